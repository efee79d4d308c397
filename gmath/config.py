"""Public configuration: parameter checks, and the jaxlib CPU deadlock workaround.

**Checks mode.** Invalid parameters (a negative scale, a covariance that is not positive
definite) give NaN by default. ``gmath.config.checks(True)`` (or ``GMATH_CHECKS=1``) makes them
raise :class:`InvalidParameterError` (a :class:`ValueError`): the one class to catch.

- Eagerly and under ``vmap``, every gmath function raises it with its message. gmath's
  functions built on loops are compiled and cached by gmath; their cache re-raises a check that
  failed inside the compiled computation as :class:`InvalidParameterError`.
- Under your own ``jax.jit``, a failed check raises inside the compiled computation, in a host
  callback, and JAX reports it as ``jax.errors.JaxRuntimeError`` (``INTERNAL: CpuCallback
  error ... InvalidParameterError: <message>``). Wrap the jitted function with :func:`checked`,
  ``f = gmath.config.checked(jax.jit(f))``, and the same call raises
  :class:`InvalidParameterError` with the original message.

**When toggling takes effect.** Checks are staged when a function is traced. gmath's cached
functions hold the check mode in their compilation key, so toggling :func:`checks` takes effect
on their next call (each mode is compiled once). A function you ``jax.jit`` yourself keeps the
mode it was traced with: turn checks on before its first call, or retrace it after toggling
(``f.clear_cache()`` on the jitted function, or :func:`jax.clear_caches`).

**Compilation cache.** Called eagerly, gmath's functions built on loops compile once per
shapes, dtypes and static options (tolerances, method names, numbers of steps, user callables)
and reuse the executable. User callables (a game, a score function) are keys by identity:
define them once; a fresh ``lambda`` on every call compiles on every call.
"""

from gmath._config import (
    InvalidParameterError,
    avoid_cpu_lapack_deadlock,
    checked,
    checks,
    checks_enabled,
    error_if_not,
)

__all__ = [
    "InvalidParameterError",
    "avoid_cpu_lapack_deadlock",
    "checked",
    "checks",
    "checks_enabled",
    "error_if_not",
]
