"""Student's t distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from gmath._numerics import (
    bd0,
    betainc,
    betaln,
    finite_positive,
    invert_cdf,
    log1mexp,
    log1p_square,
    promote,
    stirlerr,
    z_over_1p_square,
)
from gmath._numerics._special import psi_minus_log
from gmath.densities._base import Distribution, distribution
from gmath.densities._finite_loc import nan_mask

__all__ = ["StudentT"]

_LOG_HALF = -math.log(2.0)
_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
_SERIES_TERMS = 6
_SERIES_BELOW = 1e-4  # x = df / (df + z^2) under which the tail is summed in log space


@jax.jit
def _log_tail(df, z):
    r"""Return :math:`\log P(T \le -|z|) = \log \tfrac12 I_x(\nu/2, \tfrac12)`, :math:`x =
    \nu/(\nu + z^2)`, for the standard t with :math:`\nu` degrees of freedom.

    Three regimes: for :math:`z^2 \le 3\nu/(\nu + 2)` the complement
    :math:`1 - I_{1-x}(\tfrac12, \nu/2)` (no cancellation near the centre); for :math:`x \ge 10^{-4}` ``betainc`` directly; below,
    where :math:`I_x` may underflow, the hypergeometric series in log space,
    :math:`\log I_x(a, b) = a\log x + b\log(1 - x) - \log a - \log B(a, b)
    + \log \sum_n \frac{(a + b)_n}{(a + 1)_n} x^n` (DLMF 8.17.8), with :math:`\log x` computed
    from :math:`w = z/\sqrt\nu` without overflow.
    """
    a = 0.5 * df
    # the tail form I_x(a, 1/2) for z^2 > 3 df / (df + 2), the complement 1 - I_{1-x}(1/2, a)
    # below: exactly where each continued fraction converges without betainc's own complement
    # x > (a + 1)/(a + b + 2), so neither form cancels in the tail (the former switch z^2 = df
    # cost float32 9.7 excess bits at z = -5.4, df = 30 in scripts/accuracy_table.py).
    w2_inv_big = z * z * (df + 2.0) > 3.0 * df
    # 1 / w^2 and w^2 without overflow (w^2 > 3 / (df + 2) on the first branch)
    w = z / jnp.sqrt(df)
    w_big = jnp.where(w2_inv_big, jnp.abs(w), 2.0)
    w_small = jnp.where(w2_inv_big, 0.0, w)
    r = (1.0 / w_big) ** 2  # = 1 / w^2
    # one betainc call serves both regimes: the centre 1 - I_{1-x}(1/2, a) with
    # 1 - x = w^2 / (1 + w^2), and the tail I_x(a, 1/2) with x = r / (1 + r)
    one_minus_x = w_small * w_small / (1.0 + w_small * w_small)
    x = jnp.where(w_big > 1, r / (1.0 + r), 1.0 / (1.0 + w_big * w_big))
    use_series = w2_inv_big & (x < _SERIES_BELOW)
    x_direct = jnp.where(use_series, _SERIES_BELOW, x)
    beta = betainc(
        jnp.where(w2_inv_big, a, 0.5),
        jnp.where(w2_inv_big, 0.5, a),
        jnp.where(w2_inv_big, x_direct, one_minus_x),
    )
    centre = jnp.log1p(-jnp.where(w2_inv_big, 0.0, beta))
    direct = jnp.log(jnp.where(w2_inv_big, beta, 1.0))
    # log x = -2 log|w| - log1p(1/w^2) with log|w| = log|z| - log(df)/2: w = z/sqrt(df) itself
    # overflows for |z| near the largest float and small df (StudentT(0.001).cdf(-5.7e306) was 0)
    log_abs_w = jnp.where(
        w2_inv_big, jnp.log(jnp.where(w2_inv_big, jnp.abs(z), 1.0)) - 0.5 * jnp.log(df), 0.0
    )
    log_x = -2.0 * log_abs_w - jnp.log1p(r)
    log_1mx = -jnp.log1p(r)
    x_series = jnp.where(use_series, x, 0.0)
    term = jnp.ones_like(x_series)
    total = jnp.ones_like(x_series)
    for n in range(_SERIES_TERMS):
        term = term * (a + 0.5 + n) / (a + 1.0 + n) * x_series
        total = total + term
    series = a * log_x + 0.5 * log_1mx - jnp.log(a) - betaln(a, 0.5) + jnp.log(total)
    tail = jnp.where(use_series, series, direct)
    return _LOG_HALF + jnp.where(w2_inv_big, tail, centre)


def _log_norm(df):
    r""":math:`\log[\Gamma(\frac{\nu+1}2)/(\Gamma(\frac\nu2)\sqrt{\nu\pi})]` in Loader's
    saddle-point form (R's ``dt``): :math:`\delta(\tfrac{n+1}{2}) - \delta(\tfrac n2)
    - \mathrm{bd0}(\tfrac n2, \tfrac{n+1}2) - \tfrac12\log 2\pi`, :math:`n = \nu`, with no
    large log-gamma terms to cancel in float32 (parameter-only)."""
    half = 0.5 * df
    return stirlerr(half + 0.5) - stirlerr(half) - bd0(half, half + 0.5) - _HALF_LOG_2PI


@jax.jit
def _log_pdf(df, z):
    r""":math:`\log p = c(\nu) - \frac{\nu + 1}{2}\log(1 + z^2/\nu)` with the constant
    :func:`_log_norm` and one ``log1p`` per point (:func:`gmath._numerics.log1p_square`, accurate relative to
    its value, so that near the mode nothing cancels; R's ``dt`` needs ``bd0`` there only
    because it takes :math:`\log(1 + z^2/\nu)` without ``log1p``)."""
    return _log_norm(df) - (0.5 * df + 0.5) * log1p_square(z / jnp.sqrt(df))


@jax.jit
def _log_prob(x, df, loc, scale):
    r"""``log_prob``: :func:`_log_pdf` at :math:`w = (x - \mu)/(\sigma\sqrt\nu)` (one
    division per point), the constants parameter-only."""
    w = (x - loc) / (scale * jnp.sqrt(df))
    return (_log_norm(df) - jnp.log(scale)) - (0.5 * df + 0.5) * log1p_square(w)


def _solve_lower(df, log_q):
    r"""The standard quantile :math:`z \le 0` with :math:`\log F(z) = \log q`, :math:`q \le 1/2`.

    Solved for :math:`s = \operatorname{asinh} z` on the bracket :math:`[-\log(\mathrm{max}),
    0]` by :func:`invert_cdf` (safeguarded Newton): :math:`\log F` is nearly linear in :math:`s`
    in the tails (:math:`\approx -\nu|s|`), so Newton converges in a few steps.
    """
    finfo = jnp.finfo(log_q.dtype)
    s_min = -math.log(float(finfo.max))

    def log_cdf_and_derivative(s):
        # log F(sinh s) and its derivative p(z) cosh(s) / F(z), from one evaluation of log F
        z = jnp.sinh(s)
        log_f = _log_tail(df, z)
        a = jnp.abs(s)
        log_cosh = a + jnp.log1p(jnp.exp(-2.0 * a)) + _LOG_HALF
        return log_f, jnp.exp(_log_pdf(df, z) + log_cosh - log_f)

    s = invert_cdf(
        log_cdf_and_derivative, None, log_q, jnp.full_like(log_q, s_min), jnp.zeros_like(log_q)
    )
    # where even the most negative float has F(z) > q (tiny df: F(-max) ~ max^-df), the quantile
    # is below every float: -inf, consistent with cdf (StudentT(0.001).icdf(0.001) was -5.7e306)
    beyond = _log_tail(df, jnp.full_like(log_q, -float(finfo.max))) > log_q
    return jnp.where(beyond, -jnp.inf, jnp.sinh(s))


@jax.custom_jvp
def _standard_icdf(df, u):
    return _standard_icdf_impl(df, u)


@jax.jit  # module level: eager calls reuse the compiled solver
def _standard_icdf_impl(df, u):
    df, u = jnp.broadcast_arrays(df, u)
    upper = u > 0.5
    q = jnp.where(upper, 1.0 - u, u)  # exact for u >= 1/2
    q_safe = jnp.where((q > 0) & (q <= 0.5), q, 0.25)
    z = _solve_lower(df, jnp.log(q_safe))
    z = jnp.where(q == 0, -jnp.inf, jnp.where(q == 0.5, 0.0, z))
    z = jnp.where(upper, -z, z)
    return jnp.where((u >= 0) & (u <= 1), z, jnp.nan)


def _standard_icdf_jvp(primals, tangents):
    # implicit differentiation of F(z; df) = u: dz = (du - dF/ddf ddf) / f(z)
    df, u = primals
    ddf, du = tangents
    z = _standard_icdf(df, u)
    density = jnp.exp(_log_pdf(df, z))

    def cdf_of_df(d):
        return _cdf(d, z)

    if type(du) is SymbolicZero:
        du = jnp.zeros_like(z)
    if type(ddf) is SymbolicZero:  # skip: betainc has no derivative in df (it raises)
        return z, du / density
    _, dcdf = jax.jvp(cdf_of_df, (df,), (ddf,))
    return z, (du - dcdf) / density


_standard_icdf.defjvp(_standard_icdf_jvp, symbolic_zeros=True)


@jax.jit
def _cdf(df, z):
    tail = jnp.exp(_log_tail(df, z))
    return jnp.where(z < 0, tail, 1.0 - tail)


@distribution
class StudentT(Distribution):
    r"""Student's t distribution with :math:`\nu` degrees of freedom, location :math:`\mu` and
    scale :math:`\sigma`.

    .. math::
        \log p(x) = -\log B\bigl(\tfrac\nu2, \tfrac12\bigr) - \tfrac12\log\nu - \log\sigma
        - \frac{\nu + 1}{2}\log\Bigl(1 + \frac{z^2}{\nu}\Bigr), \qquad z = \frac{x - \mu}{\sigma},

    .. math::
        F(x) = \tfrac12 I_{\nu/(\nu + z^2)}\bigl(\tfrac\nu2, \tfrac12\bigr) \quad (z \le 0),
        \qquad F(x) = 1 - F(2\mu - x).

    The CDF uses the regularised incomplete beta function, its complement near the centre, and
    its hypergeometric series in log space deep in the tails (``log_cdf`` stays finite and
    accurate to :math:`|z| \sim 10^{300}`). ``icdf`` inverts the CDF by safeguarded Newton in
    :math:`\operatorname{asinh} z` and is differentiable in ``u``, ``loc`` and ``scale`` by
    implicit differentiation (:math:`\partial x/\partial u = 1/p(x)`). Score
    :math:`-(\nu + 1) z / (\sigma(\nu + z^2))`.

    Moments: the mean is :math:`\mu` for :math:`\nu > 1` and NaN (undefined) for
    :math:`\nu \le 1`; the variance is :math:`\sigma^2\nu/(\nu - 2)` for :math:`\nu > 2`,
    :math:`+\infty` for :math:`1 < \nu \le 2` (the second moment diverges) and NaN for
    :math:`\nu \le 1` (no mean). Entropy
    :math:`\frac{\nu + 1}{2}\bigl(\psi(\frac{\nu + 1}{2}) - \psi(\frac\nu2)\bigr)
    + \log\bigl(\sqrt\nu\,B(\frac\nu2, \frac12)\bigr) + \log\sigma`.

    Gradients with respect to ``df`` exist for ``log_prob``, ``score``, ``entropy``, the moments
    and ``sample`` (through :func:`jax.random.gamma`), but not for ``cdf``, ``log_cdf``,
    ``log_survival`` and ``icdf``: ``betainc`` (:func:`gmath._numerics.betainc`, float32-accurate)
    has no derivative in its shape parameters and raises ``ValueError``.

    Args:
      df: degrees of freedom :math:`\nu > 0`, any shape broadcasting with ``loc`` and ``scale``.
      loc: location :math:`\mu` (median and mode).
      scale: scale :math:`\sigma > 0`.

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 28
      [@johnson1995continuous2]. DLMF 8.17 (incomplete beta function) [@dlmf].

    Examples:
      >>> from gmath.densities import StudentT
      >>> p = StudentT(df=3.0, loc=0.0, scale=1.0)
      >>> round(float(p.log_prob(1.0)), 6), round(float(p.cdf(1.0)), 6)
      (-1.576253, 0.804499)
      >>> round(float(p.icdf(0.975)), 5), float(p.variance())  # float32: 9 ulps, condition 26
      (3.18245, 3.0)
    """

    df: Any = 1.0
    loc: Any = 0.0
    scale: Any = 1.0

    _param_event_ndims = {"df": 0, "loc": 0, "scale": 0}

    def _constraints(self):
        return [
            (jnp.asarray(self.df) > 0, "df must be positive."),
            (jnp.isfinite(jnp.asarray(self.loc)), "loc must be finite."),
            (finite_positive(self.scale), "scale must be positive and finite."),
        ]

    def _parameters(self, *rest):
        """``(df, loc, scale, *rest)`` promoted to one dtype; the parameters are NaN, in value and
        derivative, for an invalid member (the output mask alone would leave a method that reads
        a parameter linearly, or branches on it, a derivative of 0 there)."""
        df, loc, scale, *rest = promote(self.df, self.loc, self.scale, *rest)
        valid = self._valid()
        if valid is not None:
            mask = nan_mask(valid, df.dtype)
            df, loc, scale = df * mask, loc * mask, scale * mask
        return (df, loc, scale, *rest)

    def _standardize(self, x, method):
        x = self._check_value(x, method)
        df, loc, scale, x = self._parameters(x)
        return df, (x - loc) / scale, scale

    def log_prob(self, x) -> jax.Array:
        x = self._check_value(x, "log_prob")
        df, loc, scale, x = self._parameters(x)
        return _log_prob(x, df, loc, scale)

    def score(self, x) -> jax.Array:
        r""":math:`-(\nu + 1) z / (\sigma(\nu + z^2))`, without overflow for large :math:`z`."""
        df, z, scale = self._standardize(x, "score")
        sqrt_df = jnp.sqrt(df)
        return -(df + 1.0) / (scale * sqrt_df) * z_over_1p_square(z / sqrt_df)

    def _standardize_finite(self, x, method):
        """``(df, z, sign)``: ``z`` standardised from ``x`` with infinite ``x`` replaced by
        ``loc`` (so that no derivative meets inf), ``sign`` = +-1 where ``x`` = +-inf, else 0."""
        x = self._check_value(x, method)
        df, loc, scale, x = self._parameters(x)
        infinite = jnp.isinf(x)
        z = (jnp.where(infinite, loc, x) - loc) / scale
        return df, z, jnp.where(infinite, jnp.sign(x), 0.0)

    def _masked(self, value, sign, at_minus_inf, at_plus_inf, df):
        out = jnp.where(sign < 0, at_minus_inf, jnp.where(sign > 0, at_plus_inf, value))
        scale = jnp.asarray(self.scale)
        return jnp.where((df > 0) & (scale > 0), out, jnp.nan)

    def cdf(self, x) -> jax.Array:
        df, z, sign = self._standardize_finite(x, "cdf")
        return self._masked(_cdf(df, z), sign, 0.0, 1.0, df)

    def log_cdf(self, x) -> jax.Array:
        df, z, sign = self._standardize_finite(x, "log_cdf")
        log_tail = _log_tail(df, z)
        value = jnp.where(z < 0, log_tail, log1mexp(log_tail))
        return self._masked(value, sign, -jnp.inf, 0.0, df)

    def log_survival(self, x) -> jax.Array:
        df, z, sign = self._standardize_finite(x, "log_survival")
        log_tail = _log_tail(df, z)
        value = jnp.where(z > 0, log_tail, log1mexp(log_tail))
        return self._masked(value, sign, 0.0, -jnp.inf, df)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`\mu + \sigma F_\nu^{-1}(u)` by safeguarded Newton (60 iterations)."""
        df, loc, scale, u = self._parameters(self._check_value(u, "icdf"))
        return loc + scale * _standard_icdf(df, u)

    def sample(self, key, sample_shape=()) -> jax.Array:
        r"""Draws :math:`\mu + \sigma\,\varepsilon / \sqrt{G/(\nu/2)}`,
        :math:`\varepsilon \sim \mathcal N(0, 1)`, :math:`G \sim \mathrm{Gamma}(\nu/2, 1)`."""
        df, loc, scale = self._parameters()
        shape = self._sample_shape(sample_shape)
        key_normal, key_gamma = jax.random.split(key)
        eps = jax.random.normal(key_normal, shape, df.dtype)
        half_df = jnp.broadcast_to(0.5 * df, shape)
        g = jax.random.gamma(key_gamma, half_df, shape, df.dtype)
        return loc + scale * eps * jax.lax.rsqrt(g / half_df)

    def entropy(self) -> jax.Array:
        df, loc, scale = self._parameters()
        # with h = df/2, the log-gammas and digammas in Stirling form (stirlerr, L =
        # psi_minus_log), the large terms cancelled analytically:
        # H = log(2 pi)/2 + 1/2 + log1p(1/(2h))/2 + stirlerr(h) - stirlerr(h + 1/2)
        #     + (h + 1/2)(L(h + 1/2) - L(h)) + log(scale), exact for df > 0; every term is O(1/h)
        # or constant at large df (df = 1e12 was 1.41809 in float64, df >= 1e8 0.9189 in
        # float32, for 1.41894).
        h = 0.5 * df
        value = (
            (_HALF_LOG_2PI + 0.5)
            + 0.5 * jnp.log1p(1 / (2 * h))
            + (stirlerr(h) - stirlerr(h + 0.5))
            + (h + 0.5) * (psi_minus_log(h + 0.5) - psi_minus_log(h))
            + jnp.log(scale)
        )
        value = jnp.where((df > 0) & (scale > 0), value, jnp.nan)
        return jnp.broadcast_to(value, self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`\mu` for :math:`\nu > 1`, NaN otherwise."""
        df, loc, scale = self._parameters()
        return jnp.broadcast_to(jnp.where((df > 1) & (scale > 0), loc, jnp.nan), self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`\sigma^2\nu/(\nu - 2)` for :math:`\nu > 2`, :math:`+\infty` for
        :math:`1 < \nu \le 2`, NaN for :math:`\nu \le 1`."""
        df, loc, scale = self._parameters()
        finite = df > 2
        value = scale * scale * df / jnp.where(finite, df - 2.0, 1.0)
        value = jnp.where(finite, value, jnp.where(df > 1, jnp.inf, jnp.nan))
        value = jnp.where(scale > 0, value, jnp.nan)
        return jnp.broadcast_to(value, self.batch_shape)

    def mode(self) -> jax.Array:
        df, loc, scale = self._parameters()
        return jnp.broadcast_to(jnp.where((df > 0) & (scale > 0), loc, jnp.nan), self.batch_shape)
