"""Run-time configuration: the opt-in parameter-check mode and the deadlock workaround.

The public behaviour (which class to catch under ``jit`` and ``vmap``, when toggling takes
effect) is documented in :mod:`gmath.config`.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

import jax
import jax.numpy as jnp
import numpy as np

__all__ = [
    "InvalidParameterError",
    "avoid_cpu_lapack_deadlock",
    "checked",
    "checks",
    "checks_enabled",
    "error_if_not",
]

_STATE = {"checks": os.environ.get("GMATH_CHECKS", "0").strip().lower() in {"1", "true", "yes"}}


class InvalidParameterError(ValueError):
    """A distribution or solver was given parameters outside their domain."""


class _ChecksSetting(contextlib.AbstractContextManager[None]):
    def __init__(self, previous: bool) -> None:
        self._previous = previous

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc_info) -> None:
        _STATE["checks"] = self._previous


def checks(enabled: bool = True) -> contextlib.AbstractContextManager[None]:
    """Turn parameter checks on or off; usable as a plain call or a context manager.

    Args:
      enabled: whether invalid parameters raise :class:`InvalidParameterError`.

    Returns:
      A context manager that restores the previous setting on exit (ignore it for a global switch).

    Examples:
      >>> import gmath
      >>> with gmath.config.checks(True):
      ...     gmath.config.checks_enabled()
      True
      >>> gmath.config.checks_enabled()
      False
    """
    previous = _STATE["checks"]
    _STATE["checks"] = bool(enabled)
    return _ChecksSetting(previous)


def checks_enabled() -> bool:
    """Whether parameter checks are on (``GMATH_CHECKS=1`` or :func:`checks`)."""
    return _STATE["checks"]


# Messages of checks that failed inside a compiled computation, most recent last: JAX reports
# the callback's exception as its own runtime error, and :func:`failed_check_message` finds the
# message again to re-raise it as InvalidParameterError.
_FAILED: collections.deque[str] = collections.deque(maxlen=64)
_FAILED_LOCK = threading.Lock()


def _raise_unless(ok, *, message: str) -> None:
    if not bool(np.all(np.asarray(ok))):
        with _FAILED_LOCK:
            _FAILED.append(message)
        raise InvalidParameterError(message)


def failed_check_message(error: BaseException) -> str | None:
    """The message of the gmath check behind JAX's runtime ``error``, or ``None``."""
    text = str(error)
    if "InvalidParameterError" not in text:
        return None
    with _FAILED_LOCK:
        recorded = list(_FAILED)
    for message in reversed(recorded):
        if f"InvalidParameterError: {message}" in text:
            return message
    return None


F = TypeVar("F", bound=Callable[..., Any])


def checked(fun: F) -> F:
    """Wrap ``fun`` so that a failed check inside it raises :class:`InvalidParameterError`.

    Meant for your own jitted functions: under ``jax.jit`` a failed check raises inside the
    compiled computation and JAX reports it as ``jax.errors.JaxRuntimeError``; the wrapper
    re-raises it as :class:`InvalidParameterError` with the check's message (chained to JAX's
    error). Other errors pass through unchanged.

    Args:
      fun: any callable, typically ``jax.jit(f)``.

    Returns:
      The wrapped callable.

    Examples:
      >>> import jax, gmath
      >>> from gmath import densities as gd
      >>> f = gmath.config.checked(jax.jit(lambda s: gd.Normal(0.0, s).log_prob(1.0)))
      >>> with gmath.config.checks(True):
      ...     try:
      ...         f(-1.0)
      ...     except gmath.config.InvalidParameterError as e:
      ...         print("caught")
      caught
    """

    @functools.wraps(fun)
    def wrapper(*args, **kwargs):
        try:
            return fun(*args, **kwargs)
        except jax.errors.JaxRuntimeError as error:
            message = failed_check_message(error)
            if message is None:
                raise
            raise InvalidParameterError(message) from error

    return wrapper  # type: ignore[return-value]


_DEADLOCK_FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def _backends_initialized() -> bool:
    if "jax" not in sys.modules:
        return False
    from jax._src import xla_bridge  # no public way to ask; the function exists in jax 0.4-0.10

    probe = getattr(xla_bridge, "backends_are_initialized", None)
    return True if probe is None else bool(probe())


def avoid_cpu_lapack_deadlock() -> bool:
    """Turn off the XLA CPU scheduler that can deadlock two batched LAPACK calls (jaxlib 0.10).

    On CPU with jaxlib 0.10.2, a computation holding two independent batched LAPACK calls (a
    batched multivariate-normal KL, for instance) can hang: both wait in their parallel batch
    loop for threads of the same intra-op pool, reliably on machines with 2 cores. Setting
    ``--xla_cpu_enable_concurrency_optimized_scheduler=false`` in ``XLA_FLAGS`` avoids it. XLA
    reads its flags once, when JAX starts its backends (the first computation, not ``import
    jax``), so call this at the top of your program, before any array is created. gmath never
    changes process-wide flags on its own.

    Returns:
      ``True`` if the flag is now in ``XLA_FLAGS`` (set by this call or already there);
      ``False`` if it is not: the installed jaxlib does not know the flag (its CPU backend has
      no such scheduler, so there is nothing to turn off), or ``XLA_FLAGS`` already sets it to
      another value (yours is kept).

    Raises:
      RuntimeError: JAX's backends are already running, so the flag would have no effect: call
        it earlier, or set the environment variable before starting Python.

    Examples:
      >>> import gmath
      >>> gmath.config.avoid_cpu_lapack_deadlock()  # doctest: +SKIP
      True
    """
    from gmath._xla_flags import add_xla_flag

    flags = os.environ.get("XLA_FLAGS", "").split()
    if _DEADLOCK_FLAG in flags:
        return True
    if _backends_initialized():
        raise RuntimeError(
            "avoid_cpu_lapack_deadlock: JAX's backends are already initialised, so XLA_FLAGS is "
            "no longer read; call it before the first JAX computation, or start Python with "
            f"XLA_FLAGS={_DEADLOCK_FLAG}."
        )
    return add_xla_flag(_DEADLOCK_FLAG)


def error_if_not(ok, message: str) -> None:
    """Raise ``InvalidParameterError(message)`` where ``ok`` is false, when checks are on.

    Works on concrete values and inside `jit`/`vmap` (the check is staged as a callback). A no-op
    when checks are off, so it costs nothing by default.
    """
    if not checks_enabled():
        return
    ok = jnp.all(jnp.asarray(ok))
    if isinstance(ok, jax.core.Tracer):
        jax.debug.callback(lambda v: _raise_unless(v, message=message), ok)
    else:
        _raise_unless(ok, message=message)
