"""One small generic registry: name -> lazily created object.

Built-ins register the same way plugins do: by name, with either a factory or a
``"module:attribute"`` string imported on first use, so nothing is imported until
it is asked for. Plugins come from the entry-point group given to the registry,
read only when a name is not a built-in (or all names are listed): a plugin never
replaces a built-in, so ``aif count`` on a built-in format skips the scan of every
installed distribution's entry points.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Generic, TypeVar, cast

from aifkit.errors import UnknownNameError, UsageError

__all__ = ["Registry"]

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to factories; creates each object once, on first use.

    Args:
        kind: What the names name, used in error messages (``"format"``).
        group: Entry-point group plugins register under (``"aifkit.formats"``).

    Examples:
        >>> reg: Registry[str] = Registry("greeting")
        >>> reg.register("hello", lambda: "hello, world")
        >>> reg.get("hello")
        'hello, world'
        >>> reg.get("bye")
        Traceback (most recent call last):
        ...
        aifkit.errors.UnknownNameError: unknown greeting 'bye'; known greetings: hello
    """

    def __init__(self, kind: str, group: str | None = None) -> None:
        self.kind = kind
        self.group = group
        self._factories: dict[str, Callable[[], T] | str] = {}
        self._made: dict[str, T] = {}
        self._plugins_loaded = group is None

    def register(self, name: str, factory: Callable[[], T] | str) -> None:
        """Register ``factory`` (or a ``"module:attr"`` path to it) under ``name``.

        Raises:
            UsageError: ``name`` is already registered.
        """
        if name in self._factories:
            raise UsageError(
                f"{self.kind} {name!r} is already registered",
                hint="pick another name, or unregister the first one",
            )
        self._factories[name] = factory

    def unregister(self, name: str) -> None:
        """Forget ``name`` (used by tests and by plugins replacing a built-in)."""
        self._factories.pop(name, None)
        self._made.pop(name, None)

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        self._load_plugins()
        return sorted(self._factories)

    def __contains__(self, name: object) -> bool:
        if name in self._factories:
            return True
        self._load_plugins()
        return name in self._factories

    def get(self, name: str) -> T:
        """Return the object registered under ``name``, creating it on first use.

        Raises:
            UnknownNameError: nothing is registered under ``name``.
        """
        made = self._made.get(name)
        if made is not None:
            return made
        factory = self._factories.get(name)
        if factory is None:  # not a built-in (plugins never replace one): maybe a plugin's
            self._load_plugins()
            factory = self._factories.get(name)
        if factory is None:
            raise UnknownNameError(self.kind, name, self._factories)
        if isinstance(factory, str):
            module, _, attr = factory.partition(":")
            factory = cast("Callable[[], T]", getattr(importlib.import_module(module), attr))
        obj = factory()
        self._made[name] = obj
        return obj

    def _load_plugins(self) -> None:
        if self._plugins_loaded:
            return
        self._plugins_loaded = True
        assert self.group is not None
        from importlib.metadata import entry_points  # costs ~20 ms: only when plugins are read

        for ep in entry_points(group=self.group):
            if ep.name not in self._factories:
                self.register(ep.name, ep.value)
