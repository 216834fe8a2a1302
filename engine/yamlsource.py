"""YAML with line numbers: every value's path maps to the line it came from.

Used by the rule loader (and the params and snapshot readers) so that an error names
``file:line``. Duplicate mapping keys are refused, as a silent last-one-wins would hide
mistakes in a rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

Path = tuple[str | int, ...]


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
        raise YamlSourceError(line, f"invalid YAML: {problem}") from exc
    except yaml.YAMLError as exc:
        raise YamlSourceError(None, f"invalid YAML: {exc}") from exc
    located = Located(data=None)
    if node is None:
        return located
    located.data = _build(node, (), located.lines)
    return located


_constructor = yaml.SafeLoader.__new__(yaml.SafeLoader)
yaml.constructor.SafeConstructor.__init__(_constructor)


def _scalar(node: yaml.ScalarNode) -> Any:
    return _constructor.construct_object(node, deep=True)


def _build(node: yaml.Node, path: Path, lines: dict[Path, int]) -> Any:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlSourceError(
                    key_node.start_mark.line + 1, "merge keys (<<) are not supported"
                )
            key = _build(key_node, (*path, "<key>"), {})
            if not isinstance(key, (str, int, float, bool)) and key is not None:
                raise YamlSourceError(key_node.start_mark.line + 1, "mapping keys must be scalars")
            if key in result:
                raise YamlSourceError(key_node.start_mark.line + 1, f"duplicate key {key!r}")
            child = (*path, key if isinstance(key, str) else str(key))
            result[key] = _build(value_node, child, lines)
            lines[child] = key_node.start_mark.line + 1
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), lines) for index, item in enumerate(node.value)]
    if isinstance(node, yaml.ScalarNode):
        try:
            return _scalar(node)
        except (yaml.YAMLError, ValueError) as exc:
            where = _dotted(path)
            raise YamlSourceError(node.start_mark.line + 1, f"bad value at {where}: {exc}") from exc
    raise YamlSourceError(node.start_mark.line + 1, "unsupported YAML node")


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out or "the top level"
