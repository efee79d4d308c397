"""The record every Monte Carlo estimator returns."""

from __future__ import annotations

from typing import Any, NamedTuple

__all__ = ["Estimate"]


class Estimate(NamedTuple):
    r"""A Monte Carlo estimate and its standard error.

    ``stderr`` is the estimated standard deviation of ``value`` itself (for a mean of n i.i.d.
    terms, :math:`s/\sqrt n` with :math:`s` the sample standard deviation), so
    ``value ± 2 * stderr`` is an approximate 95 % interval. A NamedTuple, hence a pytree: it
    passes through ``jit`` and ``vmap``.

    Examples:
      >>> Estimate(value=1.0, stderr=0.1).value
      1.0
    """

    value: Any
    stderr: Any
