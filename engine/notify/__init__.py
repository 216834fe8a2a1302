"""Notifiers: after the report is written, tell people (``report -> notify``, the last stage).

``NOTIFIERS`` maps a channel name (``sns``) to a notifier class, as ``FORMATS`` maps format
names to renderers; importing a module only registers it (no clients, no I/O). A notifier's
``notify(report, report_location=None)`` returns a ``NotifyResult`` and never raises for a
delivery failure: the caller maps ``result.error`` to exit code 3, the report is already written.

When to send (``--notify-when``), decided by ``should_send``:

* ``always``: every run;
* ``on_findings``: an open finding (new or still open, not suppressed or resolved), an
  evaluation error, or a partial scan: a run that could not see everything is never silent;
* ``on_new_or_critical``: a new finding or evaluation error, an open critical finding, or a
  partial scan.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any, Protocol

from engine.registry import Registry
from engine.report import Report

POLICIES = ("always", "on_findings", "on_new_or_critical")
MODULES = ("engine.notify.sns",)


@dataclass(frozen=True)
class NotifyResult:
    channel: str
    sent: bool
    #: why it was sent or skipped, one line
    reason: str
    attempts: int = 0
    message_id: str | None = None
    #: the last delivery error after every retry, or None
    error: str | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


class Notifier(Protocol):
    def notify(self, report: Report, report_location: str | None = None) -> NotifyResult:
        """Send (or decide not to send) one notification about ``report``."""
        ...


NOTIFIERS: Registry[type[Any]] = Registry("notifiers")


def load_all() -> list[str]:
    for name in MODULES:
        importlib.import_module(name)
    return NOTIFIERS.keys()


def should_send(report: Report, when: str) -> tuple[bool, str]:
    """Whether the ``when`` policy sends a notification for ``report``, and why."""
    if when not in POLICIES:
        raise ValueError(f"unknown notify policy {when!r} (known: {', '.join(POLICIES)})")
    if when == "always":
        return True, "policy 'always'"
    if report.manifest.partial:
        return True, f"partial scan ({len(report.manifest.errors)} failed call(s))"
    current = [f for f in report.findings if f.status in ("new", "open")]
    if when == "on_findings":
        if current:
            return True, f"{len(current)} open finding(s) or evaluation error(s)"
        return False, "no open findings, no evaluation errors, complete scan"
    new = sum(1 for f in current if f.status == "new")
    critical = sum(1 for f in current if f.severity == "critical" and f.outcome == "fail")
    if new or critical:
        return True, f"{new} new finding(s), {critical} open critical finding(s)"
    return False, "nothing new, nothing critical, complete scan"
