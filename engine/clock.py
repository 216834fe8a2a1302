"""Time, injected: every stage takes ``now`` from here rather than calling ``datetime.now()``.

ISO 8601 parsing and formatting live here too, so that timestamps in resources, findings and
manifests all have one shape: ``YYYY-MM-DDTHH:MM:SSZ`` in UTC.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real clock, for production; tests and ``--now`` pass a fixed one."""
    return datetime.now(UTC).replace(microsecond=0)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always says ``at``."""
    moment = at.astimezone(UTC)
    return lambda: moment


def parse_timestamp(text: str) -> datetime:
    """Parse an ISO 8601 date or timestamp; naive values are taken as UTC.

    >>> parse_timestamp("2026-01-02").isoformat()
    '2026-01-02T00:00:00+00:00'
    >>> parse_timestamp("2026-01-02T03:04:05Z").isoformat()
    '2026-01-02T03:04:05+00:00'
    """
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError as exc:  # '0001-01-01T00:00:00+05:00' has no UTC instant
        raise ValueError(f"{text!r} is out of range once converted to UTC") from exc


def iso(moment: datetime | date | None) -> str | None:
    """Format a datetime as ``YYYY-MM-DDTHH:MM:SSZ`` (UTC); ``None`` stays ``None``."""
    if moment is None:
        return None
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day, tzinfo=UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    utc = moment.astimezone(UTC)
    # not strftime: its %Y drops the leading zeros of years before 1000 on Linux ("999-...")
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}"
        f"T{utc.hour:02d}:{utc.minute:02d}:{utc.second:02d}Z"
    )
