"""A small registry that doubles as a class or function decorator.

One instance each serves collectors, JMESPath functions, output formats (and later notifiers):
string keys, duplicates refused, importing a module only registers (no clients, no I/O).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

T = TypeVar("T")


class DuplicateKeyError(ValueError):
    """Raised when a key is registered twice."""


class Registry(Generic[T]):
    """Maps string keys to registered objects, in registration order."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._items: dict[str, T] = {}

    def register(self, key: str) -> Callable[[T], T]:
        """Decorator: ``@registry.register("key")`` registers and returns the object unchanged."""

        def decorator(obj: T) -> T:
            self.add(key, obj)
            return obj

        return decorator

    def add(self, key: str, obj: T) -> None:
        if not isinstance(key, str) or not key:
            raise TypeError(f"{self.name}: keys must be non-empty strings, got {key!r}")
        if key in self._items:
            raise DuplicateKeyError(f"{self.name}: {key!r} is already registered")
        self._items[key] = obj

    def get(self, key: str) -> T:
        try:
            return self._items[key]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"{self.name}: unknown key {key!r} (known: {known})") from None

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def items(self) -> list[tuple[str, T]]:
        return list(self._items.items())

    def keys(self) -> list[str]:
        return list(self._items)
