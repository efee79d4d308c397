"""Every public function and method of gmath's public API declares its return type.

A function without a return annotation is ``Any`` to a user's mypy (pyright guesses): its
result is then never checked where the user's code uses it. Public means listed in a
subpackage's ``__all__``, and for a class its methods and properties not starting with ``_``
(``__call__`` and ``__iter__`` included). Wrappers (``functools.wraps``) are looked through.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterator
from typing import Any

SUBPACKAGES = [
    "gmath",
    "gmath.config",
    "gmath.densities",
    "gmath.divergences",
    "gmath.divergences.kernels",
    "gmath.games",
    "gmath.scores",
    "gmath.testing",
]
DUNDERS = {"__call__", "__iter__"}


def _function(obj: Any) -> Callable[..., Any] | None:
    obj = obj.fget if isinstance(obj, property) else obj
    obj = getattr(obj, "__func__", obj)  # classmethod, staticmethod
    obj = inspect.unwrap(obj) if callable(obj) else obj
    return obj if inspect.isfunction(obj) else None


def _public_callables() -> Iterator[tuple[str, Callable[..., Any]]]:
    for name in SUBPACKAGES:
        module = importlib.import_module(name)
        for attr in module.__all__:
            obj = getattr(module, attr)
            if inspect.ismodule(obj):
                continue
            if inspect.isclass(obj):
                for cls in obj.__mro__:
                    if not cls.__module__.startswith("gmath"):
                        continue
                    for mname, member in vars(cls).items():
                        if mname.startswith("_") and mname not in DUNDERS:
                            continue
                        fn = _function(member)
                        if fn is not None:
                            yield f"{name}.{attr}.{mname}", fn
            else:
                fn = _function(obj)
                if fn is not None:
                    yield f"{name}.{attr}", fn


def test_public_api_declares_return_types() -> None:
    found = dict(_public_callables())
    assert len(found) > 300  # the walk sees the API (families' methods, solvers, samplers)
    missing = sorted(
        f"{name} ({inspect.getsourcefile(fn)})"
        for name, fn in found.items()
        if "return" not in fn.__annotations__
    )
    assert not missing, f"{len(missing)} without a return annotation:\n" + "\n".join(missing)
