"""Run-time configuration: the opt-in parameter-check mode.

Invalid parameters (a negative scale, a covariance that is not positive definite) give NaN by
default, as in every JAX numerics library, so that a NaN can flow through `jit` without a host
round trip. With checks on, the same inputs raise :class:`InvalidParameterError`, eagerly and
under `jit`/`vmap` alike (through :func:`jax.debug.callback`; under `jit` the error reaches you
wrapped in JAX's runtime error, with the message intact).

Checks are read when a function is traced: turn them on before the first call of a jitted
function (or clear its cache).
"""

from __future__ import annotations

import contextlib
import os

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["InvalidParameterError", "checks", "checks_enabled", "error_if_not"]

_STATE = {"checks": os.environ.get("GMATH_CHECKS", "0").strip().lower() in {"1", "true", "yes"}}


class InvalidParameterError(ValueError):
    """A distribution or solver was given parameters outside their domain."""


class _ChecksSetting(contextlib.AbstractContextManager):
    def __init__(self, previous: bool):
        self._previous = previous

    def __exit__(self, *exc_info) -> None:
        _STATE["checks"] = self._previous


def checks(enabled: bool = True) -> contextlib.AbstractContextManager:
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


def _raise_unless(ok, *, message: str) -> None:
    if not bool(np.all(np.asarray(ok))):
        raise InvalidParameterError(message)


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
