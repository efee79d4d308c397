"""The von Mises distribution on the circle."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gmath._numerics import finite_nonnegative, i0e, i1e, invert_cdf, ndtr, promote
from gmath.densities._base import Distribution, distribution
from gmath.densities._finite_loc import loc_is_finite, loc_mask
from gmath.densities._quantile import implicit_quantile

__all__ = ["VonMises"]

_LOG_2PI = math.log(2 * math.pi)
_SERIES_TERMS = 64  # Hill's Fourier series for concentration < 50: I_64(50)/I_0(50) < 1e-17
_SWITCH = 50.0
_ASYMPTOTIC_TERMS = 20  # expansion for concentration >= 50 (see _cdf_asymptotic)
# c_j = binom(2j, j) / 16^j: (1 - s^2/4)^(-1/2) = sum_j c_j s^(2j)
_C = np.array([math.comb(2 * j, j) / 16.0**j for j in range(_ASYMPTOTIC_TERMS)])
_MAX_REJECTION_ROUNDS = 64


def _valid(k):
    return k >= 0


# 1 - I_1(k)/I_0(k) ~ sum_j c_j k^-j (the quotient of the asymptotic series of I_1 and I_0,
# Abramowitz and Stegun 9.7.1); truncated after k^-7 it is exact to rounding from
# k = 1e3 (float64) and k = 50 (float32), where 1 - I_1/I_0 itself cancels k eps
_RATIO_SERIES = (1 / 2, 1 / 8, 1 / 8, 25 / 128, 13 / 32, 1073 / 1024, 103 / 32)


def _one_minus_bessel_ratio(k):
    r""":math:`1 - I_1(\kappa)/I_0(\kappa)`, the circular variance, without cancellation."""
    start = 1e3 if jnp.finfo(k.dtype).bits > 32 else 50.0
    large = k >= start
    inv = 1 / jnp.where(large, k, start)
    series = jnp.zeros_like(inv)
    for c in reversed(_RATIO_SERIES):
        series = (series + c) * inv
    return jnp.where(large, series, 1 - i1e(k) / i0e(k))


def _kappa_times_one_minus_bessel_ratio(k):
    r""":math:`\kappa(1 - I_1(\kappa)/I_0(\kappa)) \to \tfrac12` (entropy's first term), the
    series multiplied through by :math:`\kappa` so that nothing underflows: at
    :math:`\kappa` = ``finfo.max``, :math:`1/\kappa` is subnormal (flushed to 0 by XLA)."""
    start = 1e3 if jnp.finfo(k.dtype).bits > 32 else 50.0
    large = k >= start
    inv = 1 / jnp.where(large, k, start)
    series = jnp.zeros_like(inv)
    for c in reversed(_RATIO_SERIES[1:]):
        series = (series + c) * inv
    return jnp.where(large, _RATIO_SERIES[0] + series, k * (1 - i1e(k) / i0e(k)))


def _cdf_series(theta, k):
    r"""Hill (1977): :math:`\tfrac12 + \tfrac{\theta}{2\pi} + \tfrac1\pi\sum_{n\ge1}
    \tfrac{I_n(k)}{I_0(k)}\tfrac{\sin n\theta}{n}`, Bessel ratios by backward recurrence."""
    s, c = jnp.sin(theta), jnp.cos(theta)
    p = _SERIES_TERMS
    kk = jnp.where(k > 0, k, 1.0)

    def body(i, carry):
        sn, cn, r, v = carry
        n = p - 1 - i  # p - 1, ..., 1
        sn, cn = sn * c - cn * s, cn * c + sn * s  # sin(n theta), cos(n theta)
        r = jnp.where(k > 0, 1 / (2 * n / kk + r), 0.0)
        v = r * (sn / n + v)
        return sn, cn, r, v

    zero = jnp.zeros_like(theta * k)
    init = (jnp.sin(p * theta) + zero, jnp.cos(p * theta) + zero, zero, zero)
    _, _, _, v = jax.lax.fori_loop(0, p - 1, body, init)
    return 0.5 + theta / (2 * math.pi) + v / math.pi


def _cdf_asymptotic(theta, k):
    r"""For large :math:`k`, with :math:`s = 2\sin(\theta/2) \le 0`:
    :math:`F = \frac{1}{2\pi I_0(k)e^{-k}}\sum_j c_j \int_{-\infty}^{s} t^{2j}e^{-kt^2/2}\,dt`.

    The integrals follow the recurrence :math:`J_j = ((2j-1)J_{j-1} + |s|^{2j-1}e^{-ks^2/2})/k`
    (sums of positive terms for :math:`s \le 0`, so stable), :math:`J_0 = \sqrt{2\pi/k}\,
    \Phi(s\sqrt k)`. Only :math:`\theta \le 0` is evaluated; the caller reflects.
    """
    s = 2 * jnp.sin(theta / 2)
    a = jnp.abs(s)
    kk = jnp.where(k > 0, k, 1.0)
    gauss = jnp.exp(-kk * s * s / 2)
    j_prev = jnp.sqrt(2 * math.pi / kk) * ndtr(s * jnp.sqrt(kk))
    total = float(_C[0]) * j_prev
    power = 1 / jnp.where(a > 0, a, 1.0)  # |s|^(2j - 1) built up from |s|^(-1)
    power = jnp.where(a > 0, power, 0.0)
    for j in range(1, _ASYMPTOTIC_TERMS):
        power = power * a * a if j > 1 else a
        j_prev = ((2 * j - 1) * j_prev + power * gauss) / kk
        total = total + float(_C[j]) * j_prev
    return total / (2 * math.pi * i0e(kk))


def _centred_cdf(theta, k):
    """CDF of the centred law on [-pi, pi] (0 below, 1 above)."""
    t = jnp.clip(theta, -math.pi, math.pi)
    small = k < _SWITCH
    series = _cdf_series(t, jnp.where(small, k, 0.0))
    neg = -jnp.abs(t)
    lower = _cdf_asymptotic(neg, jnp.where(small, _SWITCH, k))
    asymptotic = jnp.where(t <= 0, lower, 1 - lower)
    out = jnp.where(small, jnp.clip(series, 0.0, 1.0), asymptotic)
    # beyond 1/eps^2 every correction to the Gaussian limit F = Phi(2 sin(theta/2) sqrt(k)) is
    # below rounding (relative O(1/k) in the bulk); the expansion's normalisation
    # sqrt(2 pi / k) / (2 pi i0e(k)) would round instead (F(0) = 0.50000006 in float32)
    huge = k >= 1 / jnp.finfo(k.dtype).eps ** 2
    gauss = ndtr(2 * jnp.sin(t / 2) * jnp.sqrt(jnp.where(huge, k, 1.0)))
    out = jnp.where(huge, gauss, out)
    out = jnp.where(theta <= -math.pi, 0.0, jnp.where(theta >= math.pi, 1.0, out))
    return jnp.where(_valid(k), out, jnp.nan)


def _log_prob_centred(theta, k):
    # k (cos t - 1) = -2 k sin^2(t / 2): no cancellation near the mode for large k
    half = jnp.sin(theta / 2)
    # 2 (half sqrt(k))^2: neither 2 k (overflows at k = finfo.max: inf * 0 = NaN at the mode)
    # nor half^2 (subnormal, flushed to 0, for half below 1e-154) is formed
    r = half * jnp.sqrt(k)
    return -2 * (r * r) - _LOG_2PI - jnp.log(i0e(k))


@jax.jit
def _log_prob(x, loc, k):
    return jnp.where(_valid(k), _log_prob_centred(x - loc, k), jnp.nan)


@jax.jit
def _cdf(x, loc, k):
    return _centred_cdf(x - loc, k)


def _pdf(x, loc, k):
    theta = x - loc
    inside = (theta >= -math.pi) & (theta <= math.pi)
    return jnp.where(inside, jnp.exp(_log_prob_centred(theta, k)), 0.0)


def _solve(u, loc, k):
    u, loc, k = jnp.broadcast_arrays(u, loc, k)
    # solve in the lower half and reflect: theta(u) = -theta(1 - u)
    v = jnp.minimum(u, 1 - u)
    theta = invert_cdf(
        lambda t: _centred_cdf(t, k),
        lambda t: jnp.exp(_log_prob_centred(t, k)),
        v,
        jnp.full_like(v, -math.pi),
        jnp.zeros_like(v),
    )
    theta = jnp.where(u > 0.5, -theta, theta)
    theta = jnp.where((u < 0) | (u > 1) | ~_valid(k), jnp.nan, theta)
    return loc + theta


_icdf = jax.jit(implicit_quantile(_solve, _cdf, _pdf))


def _sample_centred(key, k, shape, dtype):
    r"""Best and Fisher (1979) rejection sampler, at most 64 rounds (NaN if never accepted).

    Written in :math:`\delta = r - 1` and half-angles so that nothing cancels for large
    :math:`\kappa` (where :math:`r \to 1`, :math:`\delta \approx 1/(2\kappa)`): with
    :math:`z = \cos\pi u_1`, :math:`r - f = \delta(2 + \delta)/(\delta + 2\cos^2(\pi u_1/2))` and
    :math:`\arccos f = 2\arcsin\sqrt{\delta\sin^2(\pi u_1/2)/(\delta + 2\cos^2(\pi u_1/2))}`.
    """
    k = jnp.broadcast_to(jax.lax.stop_gradient(k), shape)
    tiny_cutoff = {2: 1.8e-1, 4: 2e-2, 8: 1.2e-4}[jnp.dtype(dtype).itemsize]
    kk = jnp.where(k > 0, k, 1.0)
    # rho = (tau - sqrt(2 tau)) / (2 kappa), tau = 1 + sqrt(1 + 4 kappa^2): directly for
    # kappa <= 1; above, 1 - rho in units of 1/kappa (no overflow of kappa^2, no cancellation:
    # 2 kappa - tau = -1 - 1 / (sqrt(1 + 4 kappa^2) + 2 kappa))
    small = kk <= 1
    k_s = jnp.where(small, kk, 1.0)
    tau_s = 1 + jnp.sqrt(1 + 4 * k_s * k_s)
    rho_small = (tau_s - jnp.sqrt(2 * tau_s)) / (2 * k_s)
    ik = 1 / jnp.where(small, 1.0, kk)
    big_r = 2 * jnp.sqrt(1 + 0.25 * ik * ik)  # sqrt(1 + 4 kappa^2) / kappa
    one_minus_rho_big = jnp.sqrt(2 * (ik + big_r)) / (2 * jnp.sqrt(jnp.where(small, 1.0, kk))) - (
        0.5 * ik * (1 + ik / (big_r + 2))
    )
    one_minus_rho = jnp.where(small, 1 - rho_small, one_minus_rho_big)
    rho = jnp.where(small, rho_small, 1 - one_minus_rho_big)
    # r = (1 + rho^2) / (2 rho) = 1 + (1 - rho)^2 / (2 rho); small kappa: r = 1 / kappa
    delta = jnp.where(k > tiny_cutoff, one_minus_rho * one_minus_rho / (2 * rho), 1 / kk - 1)
    # kappa * delta, about 1/2 for large kappa (where delta alone is subnormal)
    root_k_gap = jnp.sqrt(kk) * one_minus_rho
    kappa_delta = jnp.where(k > tiny_cutoff, root_k_gap * root_k_gap / (2 * rho), 1 - kk)

    def cond(state):
        i, done, _, _ = state
        return (i < _MAX_REJECTION_ROUNDS) & ~jnp.all(done)

    def body(state):
        i, done, theta, key = state
        key, k1, k2, k3 = jax.random.split(key, 4)
        u1 = jax.random.uniform(k1, shape, dtype)
        u2 = jax.random.uniform(k2, shape, dtype)
        u3 = jax.random.uniform(k3, shape, dtype)
        half = 0.5 * math.pi * u1
        cos2, sin2 = jnp.cos(half) ** 2, jnp.sin(half) ** 2  # (1 + z) / 2, (1 - z) / 2
        denominator = delta + 2 * cos2  # r + z
        c = kappa_delta * (2 + delta) / denominator  # kappa (r - f)
        accept = (c * (2 - c) - u2 > 0) | (jnp.log(c / u2) + 1 - c >= 0)
        accept = accept | (k == 0)  # uniform: the proposal is exact
        half_angle = jnp.arcsin(jnp.sqrt(jnp.clip(delta * sin2 / denominator, 0.0, 1.0)))
        proposal = jnp.sign(u3 - 0.5) * 2 * half_angle  # +-arccos(f)
        proposal = jnp.where(k == 0, math.pi * (2 * u1 - 1), proposal)
        theta = jnp.where(done, theta, proposal)
        return i + 1, done | accept, theta, key

    init = (0, jnp.zeros(shape, bool), jnp.full(shape, jnp.nan, dtype), key)
    _, done, theta, _ = jax.lax.while_loop(cond, body, init)
    return jnp.where(done, theta, jnp.nan)


@distribution
class VonMises(Distribution):
    r"""Von Mises distribution of an angle, with mean direction :math:`\mu` (``loc``) and
    concentration :math:`\kappa \ge 0`.

    .. math::
        \log p(x) = \kappa\cos(x - \mu) - \log(2\pi I_0(\kappa))
                  = -2\kappa\sin^2\tfrac{x - \mu}{2} - \log 2\pi - \log(e^{-\kappa}I_0(\kappa)),

    the second form (with the exponentially scaled :math:`I_0`, ``i0e``) exact for any
    :math:`\kappa`; :math:`\nabla_x \log p(x) = -\kappa\sin(x - \mu)`.

    **Support convention.** ``log_prob`` and ``score`` are :math:`2\pi`-periodic and accept any
    real ``x``. The CDF, quantile and samples represent the angle on the period centred at the
    mean, :math:`[\mu - \pi, \mu + \pi]`: ``cdf`` is 0 below :math:`\mu - \pi`, 1 above
    :math:`\mu + \pi`, 1/2 at :math:`\mu`; ``icdf`` maps :math:`(0, 1)` onto that interval and
    ``sample`` returns values in it. The CDF is Hill's (1977) Fourier series
    :math:`\tfrac12 + \tfrac{\theta}{2\pi} + \tfrac1\pi\sum_{n\ge1} \tfrac{I_n(\kappa)}{I_0(\kappa)}
    \tfrac{\sin n\theta}{n}` (64 terms, Bessel ratios by backward recurrence) for
    :math:`\kappa < 50` and, above, an expansion in :math:`s = 2\sin(\theta/2)` of
    :math:`\int e^{-\kappa s^2/2}(1 - s^2/4)^{-1/2}\,ds` into incomplete Gaussian moments
    (20 terms). Both are accurate to about 1e-15 in absolute terms (checked against mpmath);
    above :math:`\kappa = 50` the expansion sums positive terms and keeps ~1e-10 relative
    accuracy for tail probabilities down to about 1e-15 (farther out, near
    :math:`\theta = \pm\pi`, only the absolute accuracy holds; ``log_cdf`` there is
    :math:`\log F` of that value).

    Moments are circular: ``mean`` and ``mode`` are the mean direction :math:`\mu`;
    ``variance`` is the **circular variance** :math:`1 - I_1(\kappa)/I_0(\kappa) \in [0, 1]`
    (not the variance of the angle's representative). Entropy
    :math:`-\kappa I_1(\kappa)/I_0(\kappa) + \log(2\pi I_0(\kappa))`.

    ``sample`` is the rejection sampler of Best and Fisher (1979) (acceptance rate above 0.65
    for every :math:`\kappa`), run for at most 64 rounds (a value still rejected then, with
    probability below 1e-11 per draw, is NaN). Samples are differentiable in ``loc`` (a shift),
    not in ``concentration``. ``icdf`` inverts the CDF by safeguarded Newton with implicit
    derivatives in ``u``, ``loc`` and ``concentration``.

    Args:
      loc: mean direction :math:`\mu`, finite, any shape broadcasting with ``concentration``.
      concentration: :math:`\kappa \ge 0` (0 is the uniform law on the circle).

    References:
      Hill, G. W. (1977). Algorithm 518: Incomplete Bessel function I0. The von Mises
      distribution. ACM TOMS 3(3) [@hill1977vonmises]. Best, D. J. and Fisher, N. I. (1979).
      Efficient simulation of the von Mises distribution. Applied Statistics 28(2)
      [@best1979vonmises]. Mardia, K. V. and Jupp, P. E. (2000). Directional Statistics
      [@mardia2000directional].

    Examples:
      >>> from gmath.densities import VonMises
      >>> p = VonMises(loc=0.5, concentration=2.0)
      >>> round(float(p.log_prob(0.5)), 6)
      -0.66187
      >>> round(float(p.cdf(0.5)), 6), round(float(p.variance()), 6)
      (0.5, 0.302225)
    """

    loc: Any = 0.0
    concentration: Any = 1.0

    _param_event_ndims = {"loc": 0, "concentration": 0}

    def _constraints(self):
        return [
            (loc_is_finite(self.loc), "loc must be finite."),
            (
                finite_nonnegative(self.concentration),
                "concentration must be nonnegative and finite.",
            ),
        ]

    def _promoted(self, x=None, method=None):
        # where loc is not finite, the parameters are NaN (and so every derivative through them)
        if x is None:
            loc, k = promote(self.loc, self.concentration)
            m = loc_mask(loc)
            return loc * m, k * m
        loc, k, x = promote(self.loc, self.concentration, self._check_value(x, method))
        m = loc_mask(loc)
        return loc * m, k * m, x

    def log_prob(self, x) -> jax.Array:
        loc, k, x = self._promoted(x)
        return _log_prob(x, loc, k)

    def score(self, x) -> jax.Array:
        r""":math:`-\kappa\sin(x - \mu)`."""
        loc, k, x = self._promoted(x, "score")
        return jnp.where(_valid(k), -k * jnp.sin(x - loc), jnp.nan)

    def cdf(self, x) -> jax.Array:
        r"""CDF of the representative in :math:`[\mu - \pi, \mu + \pi]` (see above)."""
        loc, k, x = self._promoted(x, "cdf")
        return _cdf(x, loc, k)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log F(x)`."""
        return jnp.log(self.cdf(x))

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - F(x))`, evaluated as :math:`\log F` of the reflection about
        :math:`\mu` (no cancellation)."""
        loc, k, x = self._promoted(x, "log_survival")
        return jnp.log(_cdf(2 * loc - x, loc, k))

    def icdf(self, u) -> jax.Array:
        r"""Quantile in :math:`[\mu - \pi, \mu + \pi]`, with implicit derivatives."""
        loc, k, u = self._promoted(u, "icdf")
        return _icdf(u, loc, k)

    def sample(self, key, sample_shape=()) -> jax.Array:
        loc, k = self._promoted()
        shape = self._sample_shape(sample_shape)
        theta = _sample_centred(key, k, shape, loc.dtype)
        return loc + jnp.where(_valid(k), theta, jnp.nan)

    def entropy(self) -> jax.Array:
        r""":math:`-\kappa I_1(\kappa)/I_0(\kappa) + \log 2\pi + \log I_0(\kappa)`."""
        loc, k = self._promoted()
        h = _kappa_times_one_minus_bessel_ratio(k) + _LOG_2PI + jnp.log(i0e(k))
        return jnp.broadcast_to(jnp.where(_valid(k), h, jnp.nan), self.batch_shape)

    def mean(self) -> jax.Array:
        r"""Mean direction :math:`\mu` (circular mean)."""
        loc, k = self._promoted()
        return jnp.broadcast_to(jnp.where(_valid(k), loc, jnp.nan), self.batch_shape)

    def mode(self) -> jax.Array:
        r""":math:`\mu`."""
        return self.mean()

    def variance(self) -> jax.Array:
        r"""Circular variance :math:`1 - I_1(\kappa)/I_0(\kappa)`."""
        loc, k = self._promoted()
        var = _one_minus_bessel_ratio(k)
        return jnp.broadcast_to(jnp.where(_valid(k), var, jnp.nan), self.batch_shape)
