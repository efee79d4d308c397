"""The Poisson distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import finite_nonnegative, promote, stirlerr
from gmath._numerics._discrete_numerics import (
    deviance,
    poisson_entropy_series,
    reciprocal,
    with_boundary_slope,
)
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import (
    is_integer,
    lattice_entropy,
    promote_value,
    stirlerr_at_integers,
    undefined_score,
)

__all__ = ["Poisson"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _loader(x, rate, *, integers: bool):
    r"""Loader's saddle-point form of :math:`\log p(x)`, NaN for a negative or NaN rate.

    With ``integers`` (``log_prob``) ``x`` off the nonnegative integers is outside the support
    (``-inf``) and the Stirling remainder is read from its table; without, any real ``x > 0``
    interpolates (``entropy``'s quadrature). :math:`\log(x/\lambda)` is
    :math:`\log(x\cdot\lambda^{-1})` for :math:`\lambda \ge 1` and :math:`\log x - \log\lambda`
    below (two nonnegative terms for :math:`x \ge 1`, no cancellation; :math:`x/\lambda` could
    overflow there). At :math:`\lambda = 0` (a point mass at 0) the positive branch is evaluated
    at :math:`\lambda = 1` and masked to ``-inf``, so gradients stay finite; an infinite rate puts
    no mass on any finite count.
    """
    ok = rate >= 0
    # subnormal rates act as 0, as XLA flushes subnormal operands to zero (inconsistently: a
    # comparison may see one that a logarithm flushes)
    positive_rate = (rate >= jnp.finfo(rate.dtype).tiny) & (rate < jnp.inf)
    # per distribution, sanitised
    rs = jnp.where(positive_rate, rate, 1.0)
    small = rs < 1
    inv = reciprocal(rs)
    scale = jnp.where(small, 1.0, inv)
    shift = jnp.where(small, -jnp.log(rs), 0.0)
    if integers:
        positive = is_integer(x) & (x > 0)
        delta = stirlerr_at_integers
    else:
        positive = x > 0
        delta = stirlerr
    xs = jnp.where(positive, x, 1.0)
    body = -delta(xs) - deviance(xs, rs, inv, scale, shift) - _HALF_LOG_2PI - 0.5 * jnp.log(xs)
    at_zero = jnp.where(x == 0, -rate, -jnp.inf)
    out = jnp.where(positive & positive_rate, body, jnp.where(positive, -jnp.inf, at_zero))
    return jnp.where(ok, out, jnp.nan)


@jax.jit
def _log_prob(x, rate):
    return _loader(x, rate, integers=True)


# rate from which the entropy is its asymptotic series (truncation error below 1e-16 relative)
_SERIES_RATE = 1e4


@jax.jit
def _entropy(rate):
    big = rate >= _SERIES_RATE
    rm = jnp.where(big | ~(rate >= 0), 0.0, rate)  # the lattice sum where used, else a point mass
    inf = jnp.full_like(rate, jnp.inf)
    lower = jnp.zeros_like(rate)
    h = lattice_entropy(
        lambda k: _loader(k, rm[..., None], integers=False), rm, jnp.sqrt(rm), lower, inf
    )
    series = poisson_entropy_series(jnp.where(big, rate, _SERIES_RATE))
    return jnp.where(rate >= 0, jnp.where(big, series, h), jnp.nan)


def _rate_zero(rate):
    at_zero = rate == 0
    return at_zero, jnp.inf, jnp.where(at_zero, 1.0, rate)


# Above this rate samples come from the normal approximation with the Cornish-Fisher skewness
# term (Kolmogorov distance O(1/rate) < 2e-8 from the Poisson law): jax.random.poisson
# returns integers, which overflow int32 (or int64 for rates beyond 9e18).
_NORMAL_SAMPLING_RATE = 2.0**26


@distribution
class Poisson(Distribution):
    r"""Poisson distribution with rate :math:`\lambda \ge 0` on :math:`\{0, 1, 2, \dots\}`.

    .. math::
        \log p(k) = k\log\lambda - \lambda - \log k!
                  = -\tfrac12\log(2\pi k) - \delta(k) - \bigl(k\log\tfrac{k}{\lambda} + \lambda - k\bigr),

    the second form (Loader 2000, as in R's ``dpois``) with the Stirling remainder
    :math:`\delta(k) = \log k! - (k + \tfrac12)\log k + k - \tfrac12\log 2\pi` and the deviance
    computed without cancellation, so ``log_prob`` stays accurate for large :math:`\lambda` and
    :math:`k` (the naive form loses :math:`\log_{10}(k\log\lambda)` digits).

    Mean and variance :math:`\lambda`; mode :math:`\lfloor\lambda\rfloor` (for integer
    :math:`\lambda`, :math:`\lambda - 1` is a mode too). The entropy has no closed form: it is an
    exact sum over a window of the support with the omitted mass below :math:`10^{-19}`, or, for
    :math:`\lambda \ge 196`, the Gauss–Legendre integral of the interpolated summand (see
    ``gmath.densities._discrete.lattice_entropy``), accurate to about 1e-13 relative.

    For :math:`\lambda \ge 10^4` the entropy is the asymptotic series
    :math:`\tfrac12\log(2\pi e\lambda) - \frac{1}{12\lambda} - \frac{1}{24\lambda^2}
    - \frac{19}{360\lambda^3}` (Evans et al. 1988; truncation below 1e-16 relative), where a
    sum or a quadrature over the nodes :math:`\lambda \pm 14\sqrt\lambda` would lose the
    digits that float32 cannot hold at large :math:`\lambda`.

    ``log_prob`` accepts integer or integer-valued floating ``x`` and is ``-inf`` for negative or
    non-integer ``x``. ``sample`` (:func:`jax.random.poisson`) returns integer values in the rate's
    floating dtype; for :math:`\lambda \ge 2^{26}` (where that sampler's integer output would
    overflow) it rounds the normal approximation with its first Cornish–Fisher term,
    :math:`\lambda + \sqrt\lambda z + (z^2 - 1)/6`, whose law is within :math:`O(1/\lambda)`
    of the Poisson law in Kolmogorov distance. ``score`` raises ``TypeError``:
    :math:`\nabla_x \log p(x)` is undefined for a discrete ``x``.

    **Edges.** :math:`\lambda = 0` is the point mass at 0 (``log_prob(0) = 0``, entropy 0,
    whose slope :math:`\partial_\lambda H = E\log(X + 1) - \log\lambda` is :math:`+\infty`
    there); ``log_prob`` is exact and its gradient finite down to the smallest normal rate
    (:math:`\partial_\lambda \log p(0) = -1`, :math:`\partial_\lambda \log p(k) =
    k/\lambda - 1`, which overflows to ``inf`` only where :math:`k/\lambda` does); a subnormal
    rate acts as 0, since XLA flushes subnormal operands to zero. A value of
    ``-inf`` (a point outside the support, or of no mass) has gradient 0. An infinite rate puts
    no mass on any count (mean, variance, entropy and samples ``inf``). A negative or NaN rate
    gives NaN from every method, samples included.

    Args:
      rate: :math:`\lambda \ge 0`, any shape.

    References:
      Loader, C. (2000). Fast and accurate computation of binomial probabilities. Technical
      report, Bell Labs [@loader2000binomial]. Johnson, Kemp and Kotz (2005). Univariate Discrete
      Distributions, 3rd ed., ch. 4 [@johnson2005univariate]. Evans, R. J., Boersma, J.,
      Blachman, N. M. and Jagers, A. A. (1988). The entropy of a Poisson distribution. SIAM
      Review 30(2) [@evans1988entropy].

    Examples:
      >>> from gmath.densities import Poisson
      >>> p = Poisson(rate=3.0)
      >>> round(float(p.log_prob(2)), 6)
      -1.495922
      >>> round(float(p.entropy()), 6)
      1.93147
    """

    rate: Any = 1.0

    _param_event_ndims = {"rate": 0}

    def _constraints(self):
        return [
            (
                finite_nonnegative(self.rate) | (jnp.asarray(self.rate) == jnp.inf),
                "rate must be nonnegative and not subnormal.",
            )
        ]

    def log_prob(self, x) -> jax.Array:
        rate, x = promote_value(self._check_value(x), self.rate)
        return _log_prob(x, rate)

    def score(self, x) -> jax.Array:
        """Undefined for a discrete ``x``: raises ``TypeError``."""
        undefined_score(self)

    def sample(self, key, sample_shape=()) -> jax.Array:
        (rate,) = promote(self.rate)
        shape = self._sample_shape(sample_shape)
        big = rate >= _NORMAL_SAMPLING_RATE
        exact = jax.random.poisson(key, jnp.where(big | ~(rate >= 0), 0.0, rate), shape)
        # X ~ round(rate + sqrt(rate) z + (z^2 - 1) / 6): the first Cornish-Fisher correction
        # (a stream folded from the key: the draws below 2^26 are jax.random.poisson's own)
        z = jax.random.normal(jax.random.fold_in(key, 1), shape, rate.dtype)
        rb = jnp.where(big, rate, _NORMAL_SAMPLING_RATE)
        approx = jnp.maximum(jnp.round(rb + jnp.sqrt(rb) * z + (z * z - 1) / 6), 0.0)
        draws = jnp.where(big, jnp.where(rate < jnp.inf, approx, jnp.inf), exact.astype(rate.dtype))
        return jnp.where(rate >= 0, draws, jnp.nan)  # a negative rate: NaN, never a count

    def entropy(self) -> jax.Array:
        r""":math:`-\sum_k p(k)\log p(k)`, summed or integrated as described above."""
        (rate,) = promote(self.rate)
        # dH/drate = E log(X + 1) - log(rate): +inf at rate 0
        return with_boundary_slope(_entropy, _rate_zero, jnp.broadcast_to(rate, self.batch_shape))

    def mean(self) -> jax.Array:
        r""":math:`\lambda`."""
        (rate,) = promote(self.rate)
        return jnp.broadcast_to(rate, self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`\lambda`."""
        return self.mean()

    def mode(self) -> jax.Array:
        r""":math:`\lfloor\lambda\rfloor`."""
        return jnp.floor(self.mean())
