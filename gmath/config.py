"""Public configuration: parameter checks, and the jaxlib CPU deadlock workaround.

``gmath.config.checks(True)`` turns on parameter checks: invalid parameters raise
:class:`InvalidParameterError` instead of giving NaN. See :mod:`gmath._config` for where that
error reaches you under ``jit`` and ``vmap`` (wrap your own jitted functions with
:func:`checked`) and when toggling takes effect.
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
