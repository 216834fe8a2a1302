"""YAML with line numbers: every value's path maps to the line it came from.

Used by the rule loader (and the params and snapshot readers) so that an error names
``file:line``. Duplicate mapping keys are refused, as a silent last-one-wins would hide
mistakes in a rule. So are documents no hand-written config needs and a hostile one uses to
exhaust the process: nesting deeper than ``MAX_DEPTH``, aliases that refer to themselves, and
aliases that expand to more than ``MAX_VALUES`` values (the "billion laughs").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import yaml

from engine.errors import one_line

Path = tuple[str | int, ...]
#: deeper than any rule, params or suppressions file needs (rules nest about 6 levels)
MAX_DEPTH = 100
#: values a document may expand to once aliases are followed (rule files have a few hundred)
MAX_VALUES = 100_000


#: libyaml's parser where PyYAML was built with it (about ten times faster), else Python's
_DATA_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_data(text: str) -> Any:
    """A data file shipped in the package (the end-of-life dataset, the price table): safe
    loading, no line numbers (nobody edits these by hand at run time). The EOL dataset took
    0.16 s with the pure-Python loader, inside the first evaluation of every run."""
    return yaml.load(text, Loader=_DATA_LOADER)  # noqa: S506 - a safe loader, C or Python


class YamlSourceError(ValueError):
    """The text is not valid YAML (or has duplicate keys); carries the 1-based line."""

    def __init__(self, line: int | None, message: str) -> None:
        self.line = line
        self.message = message
        super().__init__(message)


@dataclass
class Located:
    """A parsed YAML document and the line of every path within it."""

    data: Any
    lines: dict[Path, int] = field(default_factory=dict)

    def line(self, path: Path) -> int | None:
        """The line of ``path``, or of its nearest parent that has one."""
        current = tuple(path)
        while True:
            if current in self.lines:
                return self.lines[current]
            if not current:
                return None
            current = current[:-1]


def load(text: str) -> Located:
    """Parse one YAML document with safe semantics, recording lines per path."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or str(exc)
        raise YamlSourceError(line, f"invalid YAML: {one_line(problem)}") from exc
    except yaml.YAMLError as exc:
        raise YamlSourceError(None, f"invalid YAML: {one_line(str(exc))}") from exc
    except RecursionError as exc:  # PyYAML's composer recurses once per nesting level
        raise YamlSourceError(None, f"nested more than {MAX_DEPTH} levels deep") from exc
    located = Located(data=None)
    if node is None:
        return located
    located.data = _Builder(located.lines).build(node, ())
    return located


_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_constructor)


def _scalar(node: yaml.ScalarNode) -> Any:
    try:
        value = _constructor.construct_object(node, deep=True)
    finally:  # the constructor caches every node it built: keep it from growing forever
        _constructor.constructed_objects.pop(node, None)
    if isinstance(value, datetime) and value.tzinfo is not None:
        # An offset can push a valid local time outside the years 1-9999 once in UTC (the
        # shape every timestamp takes downstream): refuse it here, where the line is known.
        try:
            value.astimezone(UTC)
        except OverflowError as exc:
            raise ValueError(f"{node.value!r} is out of range once converted to UTC") from exc
    return value


class _Builder:
    """Turns composed nodes into Python values, recording each path's line, within limits."""

    def __init__(self, lines: dict[Path, int]) -> None:
        self.lines = lines
        self.values = 0
        self.active: set[int] = set()  # nodes on the current path: an alias cycle revisits one

    def build(self, node: yaml.Node, path: Path, record: bool = True) -> Any:
        line = node.start_mark.line + 1
        if record:
            self.lines[path] = line
        self.values += 1
        if self.values > MAX_VALUES:
            raise YamlSourceError(
                line, f"the document expands to more than {MAX_VALUES} values (aliases?)"
            )
        if len(path) > MAX_DEPTH:
            raise YamlSourceError(line, f"nested more than {MAX_DEPTH} levels deep")
        if isinstance(node, yaml.ScalarNode):
            try:
                return _scalar(node)
            # An explicit tag sends any text to PyYAML's constructors, which then fail with
            # whatever their parsing meets: "!!timestamp nope" raises AttributeError.
            except (yaml.YAMLError, ValueError, TypeError, AttributeError, OverflowError) as exc:
                problem = exc.problem if isinstance(exc, yaml.MarkedYAMLError) else None
                reason = one_line(str(problem or exc), limit=300)
                raise YamlSourceError(line, f"bad value at {_dotted(path)}: {reason}") from exc
        if id(node) in self.active:
            raise YamlSourceError(line, f"an alias at {_dotted(path)} refers to itself")
        self.active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                return self._mapping(node, path)
            if isinstance(node, yaml.SequenceNode):
                return [self.build(item, (*path, i), record) for i, item in enumerate(node.value)]
        finally:
            self.active.discard(id(node))
        raise YamlSourceError(line, "unsupported YAML node")

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key_line = key_node.start_mark.line + 1
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSourceError(key_line, "merge keys (<<) are not supported")
            key = self.build(key_node, (*path, "<key>"), record=False)
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlSourceError(key_line, "mapping keys must be scalars")
            if key in result:
                raise YamlSourceError(key_line, f"duplicate key {one_line(repr(key), 100)}")
            child = (*path, key if isinstance(key, str) else str(key))
            result[key] = self.build(value_node, child)
            self.lines[child] = key_line
        return result


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return one_line(out, limit=200) or "the top level"
