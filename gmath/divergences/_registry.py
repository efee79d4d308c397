r"""One class-keyed dispatch mechanism for every closed form in :mod:`gmath.divergences`.

A :class:`Registry` maps a tuple of classes (one per argument: ``(type(p), type(q))`` for a
divergence, ``(type(d),)`` for a per-record form such as natural parameters) to a function.
Lookup walks the method resolution orders of the arguments' classes, most specific first (all
of ``p``'s bases against ``type(q)`` before ``q``'s bases), so a subclass of a family gets its
family's formula unless a more specific one is registered. Keys are classes, never names: another
library's ``Normal`` is a different class and never reaches gmath's formulas.

:func:`kl`, :func:`renyi`, :func:`total_variation`, the exponential-family route, the exact sums
of :func:`f_divergence` and the mixture bounds each own one registry;
:func:`register_kl`, :func:`register_renyi` and :func:`register_total_variation` are the same
:meth:`Registry.register` of three of them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

__all__ = ["Registry", "resolve_class"]


def resolve_class(where: str, cls_or_name: Any) -> type:
    """``cls_or_name`` itself when it is a class; a string names a class of
    :mod:`gmath.densities` (looked up there by attribute, so the key is the class)."""
    if isinstance(cls_or_name, type):
        return cls_or_name
    if isinstance(cls_or_name, str):
        import gmath.densities as gd

        cls = getattr(gd, cls_or_name, None)
        if isinstance(cls, type) and issubclass(cls, gd.Distribution):
            return cls
        raise TypeError(f"{where}: {cls_or_name!r} is not a family of gmath.densities.")
    raise TypeError(f"{where}: expected a class, got {cls_or_name!r}.")


class Registry:
    """Functions keyed by tuples of classes, looked up along the classes' MROs.

    Args:
      name: the public name of what is registered (for messages), e.g. ``"kl"``.
      arity: the number of classes in a key (2 for a divergence between ``p`` and ``q``).
    """

    def __init__(self, name: str, arity: int = 2):
        self.name = name
        self.arity = arity
        self._table: dict[tuple[type, ...], Callable] = {}
        self._cache: dict[tuple[type, ...], Callable | None] = {}

    def register(self, *types: Any) -> Callable[[Callable], Callable]:
        """Decorator registering ``fn`` for the classes ``types`` (or names of gmath
        families); it returns ``fn`` unchanged. A later registration of the same key wins."""
        if len(types) != self.arity:
            raise TypeError(
                f"register_{self.name}: expected {self.arity} classes, got {len(types)}."
            )
        key = tuple(resolve_class(f"register_{self.name}", t) for t in types)

        def decorator(fn: Callable) -> Callable:
            if not callable(fn):
                raise TypeError(f"register_{self.name}: {fn!r} is not callable.")
            self._table[key] = fn
            self._cache.clear()
            return fn

        return decorator

    def lookup(self, *objects: Any) -> Callable | None:
        """The function registered for the most specific classes of ``objects``, or ``None``."""
        classes = tuple(type(o) for o in objects)
        if classes not in self._cache:
            self._cache[classes] = next(
                (
                    self._table[k]
                    for k in itertools.product(*(c.__mro__ for c in classes))
                    if k in self._table
                ),
                None,
            )
        return self._cache[classes]

    def unregister(self, *types: Any) -> Callable | None:
        """Remove and return the function registered for exactly ``types`` (``None`` if none)."""
        key = tuple(resolve_class(f"register_{self.name}", t) for t in types)
        self._cache.clear()
        return self._table.pop(key, None)

    def keys(self) -> list[tuple[type, ...]]:
        """The registered keys."""
        return list(self._table)

    def names(self) -> list[tuple[str, ...]]:
        """The registered keys as tuples of class names, sorted (for listings and messages)."""
        return sorted({tuple(c.__qualname__ for c in k) for k in self._table})
