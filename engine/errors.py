"""The engine's exception tree, one place for every stage.

The CLI catches ``EngineError`` and prints its one-line message (``--debug`` for the
traceback); each subclass maps to an exit code::

    EngineError                      base, exit 3
    ├── InputError                   exit 2: the user gave us something we cannot use
    │   ├── RuleError                a rule file: ``file:line: rule-id: field: message``
    │   │   └── RuleTestFailure      a rule's inline test did not hold
    │   ├── InventoryError           a snapshot file: file, record, field
    │   └── ConfigError              params files, CLI options
    └── RuntimeFailure               exit 3: collection, evaluation or output failed

Library errors are translated at the boundary (``raise RuleError(...) from exc``).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_INVALID_INPUT = 2
EXIT_RUNTIME = 3


class EngineError(Exception):
    """Base of every error the engine raises on purpose."""

    exit_code = EXIT_RUNTIME


class InputError(EngineError):
    """Invalid input from the user: rules, params, snapshot files, options."""

    exit_code = EXIT_INVALID_INPUT


def one_line(text: str, limit: int | None = None) -> str:
    """``text`` as one printable line: line breaks, controls and bidi marks escaped (``\\n``,
    ``\\u202e``), and cut to ``limit`` characters when given.

    Input files put any character in ids, keys and values; a message that quotes them must
    still be one line a terminal shows as written.

    >>> one_line("a\\nb\\u2028c"), one_line("x" * 10, limit=6)
    ('a\\\\nb\\\\u2028c', 'xxx...')
    """
    if not text.isprintable():
        text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 3)] + "..."
    return text


class Located:
    """Mixin formatting ``file:line: subject: field: message`` one-liners."""

    @staticmethod
    def where(file: str, line: int | None) -> str:
        """``file:line``, or ``file`` alone when the line is not known."""
        return one_line(f"{file}:{line}" if line is not None else file)

    @staticmethod
    def format(file: str, line: int | None, subject: str, field: str, message: str) -> str:
        parts = [Located.where(file, line), subject or "-", field or "-", message]
        return ": ".join(one_line(part) for part in parts)


class RuleError(InputError):
    """A rule that cannot be loaded, compiled or validated."""

    def __init__(self, file: str, line: int | None, rule_id: str, field: str, message: str) -> None:
        self.file = file
        self.line = line
        self.rule_id = rule_id
        self.field = field
        self.message = message
        super().__init__(Located.format(file, line, rule_id, field, message))


class RuleTestFailure(RuleError):
    """A rule's inline test case did not produce the expected outcome."""


class InventoryError(InputError):
    """A snapshot file that does not match the Resource schema."""


class ConfigError(InputError):
    """A params file or an option that cannot be used."""


class RuntimeFailure(EngineError):
    """A failure while running: output could not be written, and the like."""


class RuleErrors(InputError):
    """Several located rule errors at once (``engine rules validate`` reports them all)."""

    def __init__(self, errors: list[RuleError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))
