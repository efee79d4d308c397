"""The binomial distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import bd0, bd0_scaled, log1pexp, stirlerr
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    SuccessProbability,
    check_logits_or_probs,
    is_integer,
    lattice_entropy,
    promote_value,
    stirlerr_at_integers,
    undefined_score,
)

__all__ = ["Binomial"]

_LOG_2PI = math.log(2 * math.pi)


def _p_q(param, from_logits: bool):
    """``(p, 1 - p, log p, log(1 - p))``, each computed directly; NaN for probs outside [0, 1]."""
    if from_logits:
        return (
            jax.nn.sigmoid(param),
            jax.nn.sigmoid(-param),
            -log1pexp(-param),
            -log1pexp(param),
        )
    valid = (param >= 0) & (param <= 1)
    p = jnp.where(valid, param, jnp.nan)
    return p, 1 - p, jnp.log(p), jnp.log1p(-p)


def _log_pmf(x, n, p, q, log_p, log_q):
    """Loader's saddle-point form on ``0 <= x <= n`` (real ``x`` in between interpolates)."""
    interior = (x > 0) & (x < n)
    xi = jnp.where(interior, x, 1.0)
    ni = jnp.where(interior, n, 2.0)
    lc = stirlerr(ni) - stirlerr(xi) - stirlerr(ni - xi) - bd0(xi, ni * p) - bd0(ni - xi, ni * q)
    lf = _LOG_2PI + jnp.log(xi) + jnp.log1p(-xi / ni)
    at_zero = jnp.where(n == 0, 0.0, n * log_q)
    at_n = jnp.where(n == 0, 0.0, n * log_p)
    return jnp.where(interior, lc - 0.5 * lf, jnp.where(x == 0, at_zero, at_n))


@jax.jit
def _log_prob(x, n, p, q, log_p, log_q):
    # _log_pmf at integers, arranged for throughput: the Stirling remainders read from their
    # table (exact, and far cheaper per point than the general stirlerr, which the interpolating
    # entropy needs), the terms in n alone computed once per distribution, one log for
    # 2 pi k (n - k) / n (its argument is >= 1/2 inside: rounding costs < 2 ulps absolute), and
    # one mask (validity is implied by 0 < x < n integer, x == 0 and x == n)
    interior = is_integer(x) & (x > 0) & (x < n)
    xi = jnp.where(interior, x, 1.0)
    yi = jnp.where(interior, n - x, 1.0)
    ns = jnp.where(n >= 2, n, 2.0)  # n < 2 has no interior points
    lc = (
        stirlerr_at_integers(ns)
        - stirlerr_at_integers(xi)
        - stirlerr_at_integers(yi)
        - bd0_scaled(xi, ns * p)
        - bd0_scaled(yi, ns * q)
    )
    lf = _LOG_2PI + jnp.log(xi * yi / ns)
    at_zero = jnp.where(n == 0, 0.0, n * log_q)
    at_n = jnp.where(n == 0, 0.0, n * log_p)
    ends = jnp.where(x == 0, at_zero, jnp.where(x == n, at_n, -jnp.inf))
    out = jnp.where(interior, lc - 0.5 * lf, ends)
    ok = is_integer(n) & (n >= 0) & ~jnp.isnan(p)
    return jnp.where(ok, out, jnp.nan)


@jax.jit
def _entropy(n, p, q, log_p, log_q):
    n, p, q, log_p, log_q = jnp.broadcast_arrays(n, p, q, log_p, log_q)
    e = [v[..., None] for v in (n, p, q, log_p, log_q)]
    h = lattice_entropy(lambda k: _log_pmf(k, *e), n * p, jnp.sqrt(n * p * q), jnp.zeros_like(n), n)
    ok = is_integer(n) & (n >= 0) & ~jnp.isnan(p)
    return jnp.where(ok, h, jnp.nan)


@distribution
class Binomial(SuccessProbability, Distribution):
    r"""Binomial distribution: successes in :math:`n` Bernoulli(:math:`p`) trials.

    .. math::
        \log p(k) = \log\binom{n}{k} + k\log p + (n - k)\log(1 - p), \qquad k = 0, \dots, n,

    evaluated in Loader's saddle-point form (as R's ``dbinom``),
    :math:`\delta(n) - \delta(k) - \delta(n-k) - D(k, np) - D(n-k, nq)
    - \tfrac12\log\bigl(2\pi k (n-k)/n\bigr)` with the Stirling remainder :math:`\delta` and the
    deviance :math:`D(x, m) = x\log(x/m) + m - x` computed without cancellation, so it stays
    accurate for large :math:`n`. Mean :math:`np`, variance :math:`np(1-p)`, mode
    :math:`\min(\lfloor (n+1)p \rfloor, n)`. The entropy is an exact sum over a window of the
    support (omitted mass below :math:`10^{-19}`), or for :math:`np(1-p) \ge 196` away from the
    ends of the support a Gauss–Legendre integral of the interpolated summand
    (``gmath.densities._discrete.lattice_entropy``), accurate to about 1e-13 relative.

    Pass exactly one of ``logits`` or ``probs``; both are pytree fields, the one not given is
    ``None``. ``total_count`` is a data field too (an array that broadcasts, possibly traced); it
    may be an integer or floating array. ``log_prob`` accepts integer or integer-valued floating
    ``x`` and is ``-inf`` for non-integer, negative or greater-than-``total_count`` values.
    ``sample`` (:func:`jax.random.binomial`) returns integer values in the floating dtype.
    ``score`` raises ``TypeError``: :math:`\nabla_x \log p(x)` is undefined for a discrete ``x``.

    Args:
      total_count: number of trials :math:`n \in \{0, 1, \dots\}`, any shape.
      logits: log-odds of success.
      probs: success probability :math:`p \in [0, 1]`.

    References:
      Loader, C. (2000). Fast and accurate computation of binomial probabilities
      [@loader2000binomial]. Johnson, Kemp and Kotz (2005). Univariate Discrete Distributions,
      3rd ed., ch. 3 [@johnson2005univariate].

    Examples:
      >>> from gmath.densities import Binomial
      >>> p = Binomial(10, probs=0.3)
      >>> round(float(p.log_prob(3)), 6)
      -1.32115
      >>> round(float(p.mean()), 6), round(float(p.entropy()), 6)
      (3.0, 1.779079)
    """

    total_count: Any = 1
    logits: Any = None
    probs: Any = None

    _param_event_ndims = {"total_count": 0, "logits": 0, "probs": 0}

    def __post_init__(self) -> None:
        check_logits_or_probs(self)
        super().__post_init__()

    def _constraints(self):
        n = jnp.asarray(self.total_count)
        if jnp.issubdtype(n.dtype, jnp.inexact):
            integral = n == jnp.floor(n)
        else:
            integral = jnp.ones(n.shape, bool)
        out = [((n >= 0) & integral, "total_count must be a nonnegative integer.")]
        if self.probs is not None:
            probs = jnp.asarray(self.probs)
            out.append(((probs >= 0) & (probs <= 1), "probs must lie in [0, 1]."))
        else:
            out.append((~jnp.isnan(jnp.asarray(self.logits)), "logits must not be NaN."))
        return out

    def _param(self):
        return self.logits if self.probs is None else self.probs

    def _promoted(self, x=None):
        """``(n, p, q, log p, log q[, x])`` in the common floating dtype."""
        if x is None:
            n, param = promote_value(self._param(), self.total_count)
            return (n, *_p_q(param, self.probs is None))
        n, param, x = promote_value(x, self.total_count, self._param())
        return (n, *_p_q(param, self.probs is None), x)

    def log_prob(self, x):
        *params, x = self._promoted(self._check_value(x))
        return _log_prob(x, *params)

    def score(self, x):
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()):
        n, p, *_ = self._promoted()
        shape = self._sample_shape(sample_shape)
        return jax.random.binomial(key, n, p, shape, dtype=n.dtype)

    def entropy(self):
        r""":math:`-\sum_k p(k)\log p(k)`, summed or integrated as described above."""
        return jnp.broadcast_to(_entropy(*self._promoted()), self.batch_shape)

    def mean(self):
        r""":math:`np`."""
        n, p, *_ = self._promoted()
        return jnp.broadcast_to(n * p, self.batch_shape)

    def variance(self):
        r""":math:`np(1 - p)`."""
        n, p, q, *_ = self._promoted()
        return jnp.broadcast_to(n * p * q, self.batch_shape)

    def mode(self):
        r""":math:`\min(\lfloor (n + 1)p\rfloor, n)`."""
        n, p, *_ = self._promoted()
        return jnp.broadcast_to(jnp.minimum(jnp.floor((n + 1) * p), n), self.batch_shape)
