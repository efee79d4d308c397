"""Compile once per shape: the cache behind gmath's public functions built on loops.

A public function built on ``lax.while_loop``/``lax.scan`` or on many primitives costs one XLA
compilation per primitive when it is called eagerly, on every call. :func:`cached` compiles it
once per (shapes, dtypes, static options, check mode) and reuses the executable, so a second
eager call costs what the same call costs under a user's ``jax.jit``.

What the key holds:

- the shapes and dtypes of the array arguments (as for any ``jax.jit``);
- the options named in ``static_argnames`` / ``static_argnums`` (tolerances, method names,
  numbers of steps, user callables), by value and hash: a user callable is static by identity,
  so passing a fresh ``lambda`` on every call compiles on every call (define it once);
- whether parameter checks are on (:func:`gmath.config.checks`), so that toggling them takes
  effect on the next call.

Unhashable static values (a list, a dict, an unhashable user object) and arguments that are
not pytrees of arrays (a foreign distribution object, a string) run the function uncompiled,
so that it reports them in its own words. Under a user's own ``jit``/``vmap``/``grad`` the wrapper is transparent
(a nested ``jit`` is inlined into the caller's computation). Validation errors raised while
tracing (``ValueError``/``TypeError``) propagate with their messages; a failed parameter check
raises :class:`gmath.config.InvalidParameterError`, not JAX's runtime error.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import Any, Literal, TypeVar, overload

import jax
import numpy as np

from gmath import _config

__all__ = ["cached"]

F = TypeVar("F", bound=Callable[..., Any])

_CHECKS = "_gmath_checks"


@overload
def cached(
    fun: F,
    *,
    static_argnames: Sequence[str] = (),
    static_argnums: Sequence[int] = (),
    precheck: Callable[..., None] | None = None,
) -> F: ...


@overload
def cached(
    fun: None = None,
    *,
    static_argnames: Sequence[str] = (),
    static_argnums: Sequence[int] = (),
    precheck: Callable[..., None] | None = None,
) -> Callable[[F], F]: ...


def cached(
    fun: F | None = None,
    *,
    static_argnames: Sequence[str] = (),
    static_argnums: Sequence[int] = (),
    precheck: Callable[..., None] | None = None,
) -> F | Callable[[F], F]:
    """Decorate ``fun`` so that it compiles once per shape, dtype, static option and check mode.

    Args:
      fun: the function (usable as ``@cached`` or ``@cached(static_argnames=...)``).
      static_argnames: keyword arguments that select the computation (tolerances, method names,
        step counts, user callables); they must be passed by keyword.
      static_argnums: positional arguments that are static (game or solver objects).
      precheck: called with the same arguments before the compiled call, to validate concrete
        array arguments eagerly (a time grid, noise levels): inside the compiled function they
        are traced, and an invalid one could only give NaN instead of a ``ValueError``.

    Returns:
      The wrapped function, with ``fun``'s name, docstring and signature.
    """
    if fun is None:

        def decorate(f: F) -> F:
            return cached(
                f,
                static_argnames=static_argnames,
                static_argnums=static_argnums,
                precheck=precheck,
            )

        return decorate
    static_argnames = tuple(static_argnames)
    static_argnums = tuple(static_argnums)

    def traced(*args: Any, **kwargs: Any) -> Any:
        checks = kwargs.pop(_CHECKS)
        with _config.checks(checks):  # the mode this executable was compiled for
            return fun(*args, **kwargs)

    jitted = jax.jit(
        traced, static_argnames=(*static_argnames, _CHECKS), static_argnums=static_argnums
    )

    @functools.wraps(fun)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not _compilable(args, kwargs, static_argnums, static_argnames):
            # unhashable options, or non-array arguments (a foreign object, a string): run
            # uncompiled, so that ``fun`` reports them in its own words
            with translate_check_errors():
                return fun(*args, **kwargs)
        if precheck is not None:
            precheck(*args, **kwargs)
        with translate_check_errors():
            return jitted(*args, **kwargs, **{_CHECKS: _config.checks_enabled()})

    wrapper.clear_cache = jitted.clear_cache  # type: ignore[attr-defined]
    return wrapper  # functools.wraps: the signature of fun


_ARRAY_LEAVES = (jax.Array, np.ndarray, np.generic, bool, int, float, complex)


def _compilable(args, kwargs, static_argnums, static_argnames) -> bool:
    """Whether the static options hash and every other argument is a pytree of arrays."""
    statics = [kwargs[k] for k in static_argnames if k in kwargs]
    statics += [args[i] for i in static_argnums if i < len(args)]
    try:
        hash(tuple(statics))
    except TypeError:
        return False
    dynamic = [a for i, a in enumerate(args) if i not in static_argnums]
    dynamic += [v for k, v in kwargs.items() if k not in static_argnames]
    return all(isinstance(leaf, _ARRAY_LEAVES) for leaf in jax.tree_util.tree_leaves(dynamic))


class translate_check_errors:
    """Re-raise JAX's runtime error for a failed gmath check as ``InvalidParameterError``.

    A check that fails inside a compiled computation raises from a host callback; JAX reports it
    as ``jax.errors.JaxRuntimeError`` (``INTERNAL: CpuCallback error``). The message recorded by
    the failing check is re-raised as :class:`gmath.config.InvalidParameterError`, chained to
    JAX's error.
    """

    def __enter__(self) -> None:
        return None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> Literal[False]:
        if exc is None or not isinstance(exc, jax.errors.JaxRuntimeError):
            return False
        message = _config.failed_check_message(exc)
        if message is None:
            return False
        raise _config.InvalidParameterError(message) from exc
