"""Registries: look up architectures, optimizers, metrics and losses by name.

``create_model("tabular_mlp", ...)`` and ``list_models("tab*")`` are thin wrappers around one :class:`Registry`
per kind. Entries carry metadata in a frozen dataclass so that tests can run every member through one contract.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from trainwell.core.errors import ConfigError

T = TypeVar("T")


@dataclass(frozen=True)
class Entry(Generic[T]):
    """One registered member: its name, the factory and free-form metadata."""

    name: str
    factory: T
    metadata: dict[str, Any] = field(default_factory=dict)


class Registry(Generic[T]):
    """A name -> factory table for one kind of component (``kind`` is used in error messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._entries: dict[str, Entry[T]] = {}

    def register(self, name: str | None = None, **metadata: Any) -> Callable[[T], T]:
        """Decorator: ``@models.register("mlp", family="tabular")``."""

        def decorator(factory: T) -> T:
            key = name or getattr(factory, "__name__", None)
            if not key:
                raise TypeError(f"cannot register {factory!r} without a name")
            self.add(key, factory, **metadata)
            return factory

        return decorator

    def add(self, name: str, factory: T, **metadata: Any) -> None:
        existing = self._entries.get(name)
        if (
            existing is not None
            and existing.factory is not factory
            and not _redefined(existing.factory, factory)
        ):
            raise ValueError(
                f"{self.kind} {name!r} is already registered (by {_origin(existing.factory)}); choose another name"
            )
        self._entries[name] = Entry(name, factory, dict(metadata))

    @contextmanager
    def lent(self, name: str, factory: T) -> Iterator[None]:
        """``factory`` as ``name`` while the block runs, and the table as it was afterwards: for one use that
        should leave no entry behind (``trainwell.load(dir, model=MyNet)`` builds the model it names with your
        class, then forgets it), where :meth:`register` keeps the entry for the life of the process."""
        previous = self._entries.get(name)
        self._entries[name] = Entry(name, factory)
        try:
            yield
        finally:
            if previous is None:
                self._entries.pop(name, None)
            else:
                self._entries[name] = previous

    def get(self, name: str) -> T:
        return self.entry(name).factory

    def entry(self, name: str) -> Entry[T]:
        try:
            return self._entries[name]
        except KeyError:
            import difflib

            known = ", ".join(sorted(self._entries)) or "(none registered)"
            close = difflib.get_close_matches(str(name), list(self._entries), n=1, cutoff=0.7)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"unknown {self.kind} {name!r}{hint}; known: {known}") from None

    def names(self, pattern: str = "*") -> list[str]:
        return sorted(n for n in self._entries if fnmatch.fnmatchcase(n, pattern))

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[Entry[T]]:
        return iter(self._entries.values())

    def __len__(self) -> int:
        return len(self._entries)


def _origin(factory: Any) -> str:
    return f"{getattr(factory, '__module__', '?')}.{getattr(factory, '__qualname__', repr(factory))}"


def _redefined(old: Any, new: Any) -> bool:
    """The same definition run again (a notebook cell re-run, a module reloaded): a new object of the same
    module and qualified name, which replaces the old one instead of clashing with it."""
    return _origin(old) == _origin(new) and "<lambda>" not in _origin(new)
