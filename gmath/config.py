"""Public configuration: ``gmath.config.checks(True)`` turns on parameter checks."""

from gmath._config import InvalidParameterError, checks, checks_enabled, error_if_not

__all__ = ["InvalidParameterError", "checks", "checks_enabled", "error_if_not"]
