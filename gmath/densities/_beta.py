"""The beta distribution."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

from gmath._numerics import (
    betainc,
    betaln,
    digamma,
    invert_cdf,
    log1pexp,
    promote,
    xlog1py,
    xlogy,
)
from gmath._numerics._betainc import _log_prefactor
from gmath.densities._base import Distribution, distribution
from gmath.densities._discrete import bd0, stirlerr
from gmath.densities._quantile import implicit_quantile

__all__ = ["Beta"]


def _valid(a, b):
    return (a > 0) & (b > 0)


@jax.jit
def _log_prob(x, a, b):
    inside = (x >= 0) & (x <= 1)
    xs = jnp.where(inside, x, 0.5)
    # xlogy/xlog1py: at x = 0 (or 1) the value is +inf, -log B(1, b) = log b, or -inf for
    # concentration1 <, =, > 1 (resp. concentration0).
    body = xlogy(a - 1, xs) + xlog1py(b - 1, -xs) - betaln(a, b)
    # a, b > 2: Loader's saddle-point form (R's dbeta), p(x) = (a + b - 1) binom(a - 1; a + b - 2,
    # x) with the binomial in stirlerr/bd0 terms: float32 does not cancel the log B term (with
    # a or b near 1 the stirlerr terms grow large and the direct form is better, as in R).
    loader = (a > 2) & (b > 2) & (xs > 0) & (xs < 1)
    k = jnp.where(loader, a - 1, 1.0)
    j = jnp.where(loader, b - 1, 1.0)
    xl = jnp.where(loader, xs, 0.5)
    n = k + j
    lc = stirlerr(n) - stirlerr(k) - stirlerr(j) - bd0(k, n * xl) - bd0(j, n * (1 - xl))
    lf = jnp.log(2 * jnp.pi * k) + jnp.log1p(-k / n)
    body = jnp.where(loader, jnp.log1p(n) + lc - 0.5 * lf, body)
    # otherwise (a or b <= 2) inside (0, 1): the value of x^a (1 - x)^b / B(a, b) in the
    # saddle-point form of betainc's prefactor (stirlerr/bd0 terms in a, b themselves, never
    # near 0), over x (1 - x); the derivatives of the direct form (exact score, e.g. 0 at a = b = 1).
    other = ~loader & (xs > 0) & (xs < 1)
    xo = jnp.where(other, xs, 0.5)
    ao = jnp.where(other, a, 1.0)
    bo = jnp.where(other, b, 1.0)
    saddle = _log_prefactor(ao, bo, xo) - jnp.log(xo) - jnp.log1p(-xo)
    body = jnp.where(other, body + jax.lax.stop_gradient(saddle - body), body)
    out = jnp.where(inside, body, -jnp.inf)
    return jnp.where(_valid(a, b), out, jnp.nan)


@jax.jit
def _score(x, a, b):
    inside = (x > 0) & (x < 1)
    xs = jnp.where(inside, x, 0.5)
    out = jnp.where(inside, (a - 1) / xs - (b - 1) / (1 - xs), 0.0)
    return jnp.where(_valid(a, b), out, jnp.nan)


_CF_STEPS = 300


def _betainc_fraction(a, b, x):
    r""":math:`I_x(a, b)` by its continued fraction (modified Lentz, 300 steps; Press et al.,
    Numerical Recipes, 6.4), for :math:`x < (a+1)/(a+b+2)`. Written in JAX operations so that
    automatic differentiation gives :math:`\partial I/\partial a` and
    :math:`\partial I/\partial b`, which :func:`jax.scipy.special.betainc` does not provide."""
    tiny = jnp.finfo(x.dtype).tiny * 1e10

    def fix(v):
        return jnp.where(jnp.abs(v) < tiny, tiny, v)

    d = 1 / fix(1 - (a + b) * x / (a + 1))
    init = (d, jnp.ones_like(d), d)

    def body(m, carry):
        h, c, d = carry
        m2 = 2 * m
        even = m * (b - m) * x / ((a - 1 + m2) * (a + m2))
        d = 1 / fix(1 + even * d)
        c = fix(1 + even / c)
        h = h * d * c
        odd = -(a + m) * (a + b + m) * x / ((a + m2) * (a + 1 + m2))
        d = 1 / fix(1 + odd * d)
        c = fix(1 + odd / c)
        return h * d * c, c, d

    h, _, _ = jax.lax.fori_loop(1, _CF_STEPS + 1, body, init)
    return jnp.exp(a * jnp.log(x) + b * jnp.log1p(-x) - betaln(a, b)) / a * h


def _betainc_differentiable(a, b, x):
    inside = (x > 0) & (x < 1)
    xs = jnp.where(inside, x, 0.5)
    flip = xs > (a + 1) / (a + b + 2)
    direct = _betainc_fraction(a, b, jnp.where(flip, 0.5 * (a + 1) / (a + b + 2), xs))
    flipped = 1 - _betainc_fraction(b, a, jnp.where(flip, 1 - xs, 0.5 * (b + 1) / (a + b + 2)))
    return jnp.where(inside, jnp.where(flip, flipped, direct), jnp.where(x >= 1, 1.0, 0.0))


@jax.custom_jvp
def _betainc(a, b, x):
    """``betainc`` with derivatives in all three arguments (x: the density; a, b: by
    differentiating the continued fraction)."""
    return betainc(a, b, x)


@_betainc.defjvp
def _betainc_jvp(primals, tangents):
    a, b, x = primals
    da, db, dx = tangents
    value = betainc(a, b, x)
    inside = (x > 0) & (x < 1)
    xs = jnp.where(inside, x, 0.5)
    density = jnp.where(inside, jnp.exp(xlogy(a - 1, xs) + xlog1py(b - 1, -xs) - betaln(a, b)), 0)
    _, dab = jax.jvp(lambda a, b: _betainc_differentiable(a, b, x), (a, b), (da, db))
    return value, density * dx + dab


def _cdf(x, a, b):
    return _betainc(a, b, jnp.clip(x, 0.0, 1.0))


def _pdf(x, a, b):
    return jnp.exp(_log_prob(x, a, b))


def _solve(u, a, b):
    """Quantile solved for t = logit(x) on a log-probability scale.

    Below the median: log I_x(a, b) = log u; above: -log I_{1-x}(b, a) = -log(1 - u), with
    x = sigmoid(t) and 1 - x = sigmoid(-t) both exact, so quantiles near 0 and near 1 keep their
    relative accuracy.
    """
    u, a, b = jnp.broadcast_arrays(u, a, b)
    finfo = jnp.finfo(u.dtype)
    us = jnp.clip(u, finfo.tiny, 1 - finfo.epsneg)
    upper = us > 0.5
    target = jnp.where(upper, -jnp.log1p(-us), jnp.log(us))
    edge = -jnp.log(finfo.tiny)

    def tail(t):
        return jnp.where(
            upper,
            jnp.log(betainc(b, a, jax.nn.sigmoid(-t))),
            jnp.log(betainc(a, b, jax.nn.sigmoid(t))),
        )

    def g(t):
        return jnp.where(upper, -tail(t), tail(t))

    def dg(t):
        log_density = -a * log1pexp(-t) - b * log1pexp(t) - betaln(a, b)  # density of logit(X)
        return jnp.exp(log_density - tail(t))

    t = invert_cdf(g, dg, target, jnp.full_like(us, -edge), jnp.full_like(us, edge))
    # quantiles closer to 0 or 1 than the smallest normal float round to 0 or 1.
    low = (t < -edge + 1) & (g(t) > target + 1)
    high = (t > edge - 1) & (g(t) < target - 1)
    x = jnp.where((u <= 0) | low, 0.0, jnp.where((u >= 1) | high, 1.0, jax.nn.sigmoid(t)))
    return jnp.where((u < 0) | (u > 1) | ~_valid(a, b), jnp.nan, x)


_icdf = jax.jit(implicit_quantile(_solve, _cdf, _pdf))


@distribution
class Beta(Distribution):
    r"""Beta distribution on :math:`[0, 1]` with ``concentration1`` :math:`\alpha > 0` and
    ``concentration0`` :math:`\beta > 0` (the exponents of :math:`x` and :math:`1 - x`).

    .. math::
        \log p(x) = (\alpha - 1)\log x + (\beta - 1)\log(1 - x) - \log B(\alpha, \beta),
        \qquad \nabla_x \log p(x) = \frac{\alpha - 1}{x} - \frac{\beta - 1}{1 - x},

    .. math::
        F(x) = I_x(\alpha, \beta), \qquad
        H = \log B(\alpha, \beta) - (\alpha - 1)\psi(\alpha) - (\beta - 1)\psi(\beta)
            + (\alpha + \beta - 2)\psi(\alpha + \beta),

    with :math:`I` the regularised incomplete beta function (:func:`gmath._numerics.betainc`,
    Didonato and Morris's continued fraction with a saddle-point prefactor, float32-accurate;
    ``log_survival`` is :math:`\log I_{1-x}(\beta, \alpha)`). Mean
    :math:`\alpha/(\alpha+\beta)`, variance
    :math:`\alpha\beta/((\alpha+\beta)^2(\alpha+\beta+1))`. Mode
    :math:`(\alpha - 1)/(\alpha + \beta - 2)` for :math:`\alpha, \beta > 1`; 0 when
    :math:`\alpha \le 1 < \beta`, 1 when :math:`\beta \le 1 < \alpha`; NaN when both are
    :math:`\le 1` (no unique mode: uniform or U-shaped).

    ``log_prob`` is ``-inf`` (zero gradient) outside :math:`[0, 1]`. ``icdf`` solves for
    :math:`t = \operatorname{logit} x` on a log-probability scale by safeguarded Newton
    (:func:`gmath._numerics.invert_cdf`), accurate near both ends; its derivatives with respect to
    ``u`` and both concentrations follow from the implicit function theorem. Since ``betainc``
    has no derivatives in :math:`\alpha, \beta`, ``cdf`` takes them from automatic
    differentiation of the continued fraction for :math:`I_x` (value still from ``betainc``).
    ``log_prob`` uses Loader's saddle-point form for :math:`\alpha, \beta > 2` (in
    :math:`\alpha - 1, \beta - 1`) and otherwise :math:`\log[x^\alpha(1-x)^\beta/B(\alpha,
    \beta)] - \log x - \log(1 - x)`, the first term in the same stirlerr/bd0 form (in
    :math:`\alpha, \beta`), so that float32 cancels no large log-gamma terms (at most 1.5
    excess bits in ``scripts/accuracy_table.py``). ``sample`` is :func:`jax.random.beta` (two gamma variates, with implicit
    reparameterisation gradients).

    Args:
      concentration1: :math:`\alpha > 0`, any shape broadcasting with ``concentration0``.
      concentration0: :math:`\beta > 0`.

    References:
      Johnson, Kotz and Balakrishnan (1995). Continuous Univariate Distributions, vol. 2, ch. 25
      [@johnson1995continuous2]. Didonato and Morris (1992), ACM TOMS 18(3), 360-373
      [@didonato1992betainc]. Loader (2000) [@loader2000binomial].

    Examples:
      >>> from gmath.densities import Beta
      >>> p = Beta(concentration1=2.0, concentration0=3.0)
      >>> round(float(p.log_prob(0.25)), 6)
      0.523248
      >>> round(float(p.cdf(p.icdf(0.9))), 10)
      0.9
    """

    concentration1: Any = 1.0
    concentration0: Any = 1.0

    _param_event_ndims = {"concentration1": 0, "concentration0": 0}

    def _constraints(self):
        return [
            (jnp.asarray(self.concentration1) > 0, "concentration1 must be positive."),
            (jnp.asarray(self.concentration0) > 0, "concentration0 must be positive."),
        ]

    def _promoted(self, x=None, method="log_prob"):
        if x is None:
            return promote(self.concentration1, self.concentration0)
        return promote(self.concentration1, self.concentration0, self._check_value(x, method))

    def log_prob(self, x):
        a, b, x = self._promoted(x)
        return _log_prob(x, a, b)

    def score(self, x):
        r""":math:`(\alpha - 1)/x - (\beta - 1)/(1 - x)` on :math:`(0, 1)`, 0 outside."""
        a, b, x = self._promoted(x, "score")
        return _score(x, a, b)

    def cdf(self, x):
        r""":math:`I_x(\alpha, \beta)`."""
        a, b, x = self._promoted(x, "cdf")
        return jnp.where(_valid(a, b), _cdf(x, a, b), jnp.nan)

    def log_cdf(self, x):
        r""":math:`\log I_x(\alpha, \beta)`."""
        return jnp.log(self.cdf(x))

    def log_survival(self, x):
        r""":math:`\log(1 - I_x(\alpha, \beta))`: ``log1p(-I_x(a, b))`` below 1/2,
        :math:`\log I_{1 - x}(\beta, \alpha)` above (each exact in its input)."""
        a, b, x = self._promoted(x, "log_survival")
        # below 1/2, 1 - x would round away information about x: use log1p(-I_x) there.
        lower = x < 0.5
        out = jnp.where(
            lower,
            jnp.log1p(-_cdf(jnp.where(lower, x, 0.0), a, b)),
            jnp.log(_betainc(b, a, jnp.clip(1 - x, 0.0, 1.0))),
        )
        return jnp.where(_valid(a, b), out, jnp.nan)

    def icdf(self, u):
        r"""Quantile :math:`I^{-1}_u(\alpha, \beta)`, with implicit derivatives."""
        a, b, u = self._promoted(u, "icdf")
        return _icdf(u, a, b)

    def sample(self, key, sample_shape=()):
        a, b = promote(self.concentration1, self.concentration0)
        shape = self._sample_shape(sample_shape)
        return jax.random.beta(key, a, b, shape, a.dtype)

    def entropy(self):
        r""":math:`\log B(\alpha,\beta) - (\alpha-1)\psi(\alpha) - (\beta-1)\psi(\beta)
        + (\alpha+\beta-2)\psi(\alpha+\beta)`."""
        a, b = promote(self.concentration1, self.concentration0)
        h = (
            betaln(a, b)
            - (a - 1) * digamma(a)
            - (b - 1) * digamma(b)
            + (a + b - 2) * digamma(a + b)
        )
        return jnp.broadcast_to(jnp.where(_valid(a, b), h, jnp.nan), self.batch_shape)

    def mean(self):
        r""":math:`\alpha/(\alpha + \beta)`."""
        a, b = promote(self.concentration1, self.concentration0)
        return jnp.broadcast_to(jnp.where(_valid(a, b), a / (a + b), jnp.nan), self.batch_shape)

    def variance(self):
        r""":math:`\alpha\beta/((\alpha + \beta)^2(\alpha + \beta + 1))`."""
        a, b = promote(self.concentration1, self.concentration0)
        s = a + b
        var = a * b / (s * s * (s + 1))
        return jnp.broadcast_to(jnp.where(_valid(a, b), var, jnp.nan), self.batch_shape)

    def mode(self):
        r"""Unique mode, or NaN where there is none (see above)."""
        a, b = promote(self.concentration1, self.concentration0)
        interior = (a - 1) / jnp.where((a > 1) & (b > 1), a + b - 2, 1.0)
        mode = jnp.where(
            (a > 1) & (b > 1),
            interior,
            jnp.where((a <= 1) & (b > 1), 0.0, jnp.where((b <= 1) & (a > 1), 1.0, jnp.nan)),
        )
        return jnp.broadcast_to(jnp.where(_valid(a, b), mode, jnp.nan), self.batch_shape)
