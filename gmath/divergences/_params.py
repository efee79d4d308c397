"""Parameters of distribution records, read through their public attributes and methods.

Families accept alternative spellings (``logits=`` or ``probs=``; a covariance, its Cholesky
factor or its precision); the helpers here turn any spelling into the one a formula needs, in the
promoted dtype of everything involved. Log-probabilities and log-odds come from the density
classes' own methods (``logits_parameter``, ``log_prob``), cast to that dtype first.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

from gmath._numerics import float_dtype
from gmath.densities import Bernoulli

__all__ = [
    "as_dtype",
    "bernoulli_log_probs",
    "bernoulli_logits",
    "categorical_log_probs",
    "common_dtype",
    "expm1_minus",
    "log_cosh",
    "params",
]


def _leaves(d):
    return [v for v in jax.tree_util.tree_leaves(d) if v is not None]


def common_dtype(*records):
    """The floating dtype all parameters of ``records`` promote to."""
    leaves = []
    for r in records:
        leaves.extend(_leaves(r))
    return float_dtype(*leaves)


def params(dtype, *values):
    """``values`` as arrays of ``dtype`` (``None`` passes through)."""
    out = tuple(None if v is None else jnp.asarray(v, dtype) for v in values)
    return out if len(out) > 1 else out[0]


def as_dtype(d, dtype):
    """The record ``d`` with every parameter cast to ``dtype``, so its methods compute in it."""
    return jax.tree_util.tree_map(lambda v: jnp.asarray(v, dtype), d)


def bernoulli_logits(d, dtype):
    r"""Log-odds :math:`\log p - \log(1 - p)` of a Bernoulli, Binomial or Geometric record."""
    return as_dtype(d, dtype).logits_parameter()


def bernoulli_log_probs(d, dtype):
    r""":math:`(\log p, \log(1 - p))` of a Bernoulli, Binomial or Geometric record.

    The log-probabilities of one trial, by :meth:`gmath.densities.Bernoulli.log_prob` (from
    whichever of ``logits`` and ``probs`` the record holds).
    """
    coin = as_dtype(Bernoulli(logits=d.logits, probs=d.probs), dtype)
    return coin.log_prob(1.0), coin.log_prob(0.0)


def categorical_log_probs(d, dtype):
    """Normalised log-probabilities (last axis) of a Categorical record (``logits_parameter``)."""
    return as_dtype(d, dtype).logits_parameter()


def expm1_minus(t):
    r""":math:`e^t - 1 - t \ge 0`, to a few ulps also near 0 (where it is :math:`t^2/2`).

    Below :math:`|t| = 1/2` a Horner-evaluated Taylor series (17 terms, truncation below
    :math:`10^{-19}` relative); above, ``expm1(t) - t`` (no significant cancellation there).
    """
    t = jnp.asarray(t)
    small = jnp.abs(t) < 0.5
    ts = jnp.where(small, t, 0.0)
    acc = jnp.ones_like(ts)
    for k in range(18, 2, -1):  # 1 + t/3 (1 + t/4 (1 + ...))
        acc = 1 + ts / k * acc
    series = 0.5 * ts * ts * acc
    tl = jnp.where(small, 1.0, t)
    return jnp.where(small, series, jnp.expm1(tl) - tl)


def log_cosh(x):
    r""":math:`\log\cosh x`, accurate near 0 and without overflow for large :math:`|x|`."""
    x = jnp.abs(jnp.asarray(x))
    small = x < 1
    xs = jnp.where(small, x, 0.0)
    xl = jnp.where(small, 1.0, x)
    return jnp.where(
        small,
        jnp.log1p(2 * jnp.sinh(0.5 * xs) ** 2),
        xl + jnp.log1p(jnp.exp(-2 * xl)) - math.log(2.0),
    )
