"""The record every Monte Carlo estimator returns, and the one helper that forms it."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax.numpy as jnp

__all__ = ["Estimate", "mean_and_stderr"]


class Estimate(NamedTuple):
    r"""A Monte Carlo estimate and its standard error.

    ``stderr`` is the estimated standard deviation of ``value`` itself (for a mean of n i.i.d.
    terms, :math:`s/\sqrt n` with :math:`s` the sample standard deviation), so
    ``value ± 2 * stderr`` is an approximate 95 % interval. A NamedTuple, hence a pytree: it
    passes through ``jit`` and ``vmap``. Every estimator in gmath forms it with
    :func:`mean_and_stderr`.

    Examples:
      >>> Estimate(value=1.0, stderr=0.1).value
      1.0
    """

    value: Any
    stderr: Any


def mean_and_stderr(values, axis: int = 0) -> Estimate:
    r"""``Estimate(mean, s / sqrt(n))`` of the i.i.d. terms ``values`` along ``axis``.

    :math:`s^2 = \frac{1}{n - 1}\sum_i (x_i - \bar x)^2` (the unbiased sample variance). With
    fewer than two terms the variance has no estimate and ``stderr`` is NaN (one convention for
    every estimator in gmath).

    Args:
      values: array of terms; ``values.shape[axis]`` is :math:`n`.
      axis: the axis of the terms.

    Returns:
      ``Estimate(value, stderr)``, each of ``values``'s shape without ``axis``, in its dtype.

    Examples:
      >>> import jax.numpy as jnp
      >>> est = mean_and_stderr(jnp.array([1.0, 2.0, 3.0, 4.0]))
      >>> float(est.value), round(float(est.stderr), 6)  # s = sqrt(5/3), / sqrt(4)
      (2.5, 0.645497)
      >>> bool(jnp.isnan(mean_and_stderr(jnp.array([1.0])).stderr))
      True
    """
    values = jnp.asarray(values)
    n = values.shape[axis]
    mean = jnp.mean(values, axis)
    if n < 2:
        return Estimate(mean, jnp.full_like(mean, jnp.nan))
    std = jnp.std(values, axis, ddof=1)
    return Estimate(mean, std / math.sqrt(n))
