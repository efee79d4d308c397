"""The beta distribution."""

from __future__ import annotations

import math
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from gmath._numerics import (
    betainc,
    betaln,
    digamma,
    finite_positive,
    invert_cdf,
    log1pexp,
    log1pmx,
    promote,
    stirlerr,
    xlog1py,
    xlogy,
)
from gmath._numerics._betainc import (
    _ASYM_FROM,
    _asym,
    _asym_region,
    _log_prefactor,
    log_betainc_lower,
)
from gmath._numerics._special import psi_minus_log
from gmath.densities._base import Distribution, distribution
from gmath.densities._quantile import implicit_quantile

__all__ = ["Beta"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _valid(a, b):
    return (a > 0) & (b > 0)


def _coefficients(a, b):
    r"""Parameter-only terms of ``log_prob`` (computed once, broadcast over points):
    ``(c, p1, q1, s1, p2, q2, s2)`` with :math:`\log p(x) = c + p_1\log t_1 - q_1(t_1 - 1)
    + p_2\log t_2 - q_2(t_2 - 1)`, :math:`t_1 = s_1 x`, :math:`t_2 = s_2(1 - x)`.

    For :math:`\alpha, \beta > 2` it is Loader's saddle-point form of R's ``dbeta``,
    :math:`p(x) = (n + 1)\binom{n}{k}x^k(1 - x)^j` with :math:`k = \alpha - 1`,
    :math:`j = \beta - 1`, :math:`n = k + j`, the binomial written with stirlerr (:math:`\delta`)
    and :math:`\mathrm{bd0}(k, nx) = -k[\log t_1 - (t_1 - 1)]`, :math:`t_1 = nx/k`: so
    :math:`p_1 = q_1 = k`, :math:`s_1 = n/k` (likewise :math:`j`). Otherwise it is betainc's
    prefactor :math:`x^\alpha(1 - x)^\beta / B(\alpha, \beta)` in the same form in
    :math:`\alpha, \beta` (``_log_prefactor``), over :math:`x(1 - x)`: :math:`q_1 = \alpha`,
    :math:`p_1 = \alpha - 1`, :math:`s_1 = (\alpha + \beta)/\alpha`, the :math:`-\log x` merged
    into :math:`\log t_1` and :math:`c`. Either way no large terms cancel per point: the
    linear terms sum to 0 but are kept, so that the rounding of :math:`t_1, t_2` moves the
    result only by :math:`p/t - q` times it (small near the mode), and in Loader's form
    :math:`\log t - (t - 1)` is summed as a series near :math:`t = 1` (:func:`log1pmx`).
    """
    loader = (a > 2) & (b > 2)
    valid = _valid(a, b)
    a = jnp.where(valid, a, 3.0)
    b = jnp.where(valid, b, 3.0)
    # Loader, in k = a - 1, j = b - 1 (both > 1 where used)
    k = jnp.where(loader, a - 1, 2.0)
    j = jnp.where(loader, b - 1, 2.0)
    n = k + j
    # the logarithms merged into one: (n + 1) sqrt(n / (2 pi k j)), n - k = j (fewer roundings
    # than log1p(n) - log(2 pi k (1 - k/n)) / 2, whose terms are larger than their sum)
    c_loader = (
        stirlerr(n)
        - stirlerr(k)
        - stirlerr(j)
        + jnp.log((n + 1) * jnp.sqrt(n / k) * jax.lax.rsqrt(2 * jnp.pi * j))
    )
    # betainc's prefactor over x (1 - x), in a, b themselves (any a, b > 0)
    m = a + b
    # 0.5 log(a) + 0.5 log(b / m) - log(2 pi) / 2 - log(a / m) - log(b / m) in one logarithm
    # (no quotient of quotients: XLA rewrites (m / a) / (2 pi b) as m / (2 pi a b), which
    # underflows for tiny a, b)
    c_other = (
        stirlerr(m)
        - stirlerr(a)
        - stirlerr(b)
        + jnp.log(m * jnp.sqrt(m / a) * jax.lax.rsqrt(2 * jnp.pi * b))
    )
    c = jnp.where(loader, c_loader, c_other)
    q1 = jnp.where(loader, k, a)
    q2 = jnp.where(loader, j, b)
    return c, a - 1, q1, jnp.where(loader, n, m) / q1, b - 1, q2, jnp.where(loader, n, m) / q2


@jax.custom_jvp
def _log_prob_value(x, a, b):
    c, p1, q1, s1, p2, q2, s2 = _coefficients(a, b)
    interior = (x > 0) & (x < 1)
    xs = jnp.where(interior, x, 0.5)
    # two logarithms per point (numpyro's count); max: float32 flushes a subnormal s1 x to 0
    t1 = jnp.maximum(s1 * xs, jnp.finfo(xs.dtype).tiny)
    t2 = s2 * (1 - xs)
    l1 = jnp.log(t1)
    l2 = jnp.log(t2)
    u1 = t1 - 1
    u2 = t2 - 1
    body = jnp.where(
        (a > 2) & (b > 2),  # Loader's form (p = q): see _coefficients
        c + (q1 * log1pmx(u1, l1) + q2 * log1pmx(u2, l2)),
        (c + (p1 * l1 - q1 * u1)) + (p2 * l2 - q2 * u2),
    )
    # x = 0 (or 1): +inf, -log B(1, b) = log b, or -inf for concentration1 <, =, > 1
    # (resp. concentration0); parameter-only.
    at_0 = jnp.where(a < 1, jnp.inf, jnp.where(a == 1, jnp.log(b), -jnp.inf))
    at_1 = jnp.where(b < 1, jnp.inf, jnp.where(b == 1, jnp.log(a), -jnp.inf))
    out = jnp.where(interior, body, jnp.where(x == 0, at_0, jnp.where(x == 1, at_1, -jnp.inf)))
    return jnp.where(_valid(a, b), out, jnp.nan)


@_log_prob_value.defjvp
def _log_prob_jvp(primals, tangents):
    r"""The derivatives of the direct form :math:`(\alpha - 1)\log x + (\beta - 1)\log(1 - x)
    - \log B(\alpha, \beta)` (exact: e.g. 0 in :math:`x` at :math:`\alpha = \beta = 1`), 0
    outside :math:`(0, 1)`."""
    x, a, b = primals
    dx, da, db = tangents
    value = _log_prob_value(x, a, b)
    interior = (x > 0) & (x < 1) & _valid(a, b)
    xs = jnp.where(interior, x, 0.5)
    both = digamma(a + b)
    tangent = (
        ((a - 1) / xs - (b - 1) / (1 - xs)) * dx
        + (jnp.log(xs) - digamma(a) + both) * da
        + (jnp.log1p(-xs) - digamma(b) + both) * db
    )
    return value, jnp.where(interior, tangent, 0.0)


_log_prob = jax.jit(_log_prob_value)


@jax.jit
def _score(x, a, b):
    inside = (x > 0) & (x < 1)
    xs = jnp.where(inside, x, 0.5)
    out = jnp.where(inside, (a - 1) / xs - (b - 1) / (1 - xs), 0.0)
    return jnp.where(_valid(a, b), out, jnp.nan)


_CF_STEPS = 300


def _fraction(a, b, x):
    r"""The continued fraction :math:`h` of :math:`I_x(a, b) = x^a (1-x)^b h / (a B(a, b))`
    (modified Lentz, 300 steps; Press et al., Numerical Recipes, 6.4), for
    :math:`x < (a+1)/(a+b+2)`, in JAX operations so that automatic differentiation gives
    :math:`\partial/\partial a` and :math:`\partial/\partial b`, which
    :func:`jax.scipy.special.betainc` does not provide."""
    tiny = jnp.finfo(x.dtype).tiny * 1e10

    def fix(v):
        return jnp.where(jnp.abs(v) < tiny, tiny, v)

    d = 1 / fix(1 - (a + b) * x / (a + 1))

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

    h, _, _ = jax.lax.fori_loop(1, _CF_STEPS + 1, body, (d, jnp.ones_like(d), d))
    return h


def _if_any(mask, branch, like):
    """``branch()`` when any element of ``mask`` needs it, else zeros like ``like``: a branch
    (skipped at run time) under ``jit``, a select (both evaluated) under ``vmap``; ``branch``
    must give finite values and derivatives at its sanitised inputs either way."""
    return jax.lax.cond(jnp.any(mask), branch, lambda: jnp.zeros_like(like))


def _differentiable(a, b, x, lower):
    r"""``(I_x(a, b), log I_x(a, b))`` from one fixed-step fraction (:func:`_fraction`), in
    JAX operations, for their derivatives in :math:`a` and :math:`b`: :math:`I_x` everywhere
    (the fraction mirrored past the switch point, the asymptotic expansion where betainc uses
    it), :math:`\log I_x` where ``lower`` (below the switch point: the log prefactor in
    Loader's form plus :math:`\log(h/a)`, from the same fraction), 0 elsewhere."""
    inside = (x > 0) & (x < 1)
    xs = jnp.where(inside, x, 0.5)
    lower = lower & inside
    flip = xs > (a + 1) / (a + b + 2)
    # large a, b near the mean: the asymptotic expansion (betainc's own choice there), where
    # the fraction would need ~sqrt(a) steps; both branches' inputs kept harmless elsewhere
    lam = jnp.where(xs < 0.5, a - (a + b) * xs, (a + b) * (1 - xs) - b)
    asym = inside & _asym_region(a, b, lam, xs.dtype)
    big = jnp.where(asym, a, jnp.maximum(a, _ASYM_FROM))
    asym_value = _asym(
        jnp.where(asym, a, big), jnp.where(asym, b, big), jnp.where(asym, lam, 0.0), xs.dtype
    )
    # the fraction at x itself where its logarithm is wanted (lower excludes flip)
    xf = jnp.where(asym & ~lower, 0.5 * (a + 1) / (a + b + 2), xs)
    flip = flip & ~asym
    # one fraction, its arguments mirrored per element past the switch point (1 - I_{1-x}(b, a))
    p, q, xp = jnp.where(flip, b, a), jnp.where(flip, a, b), jnp.where(flip, 1 - xs, xf)
    h = _fraction(p, q, xp)
    # log p inside the exponential: the derivative of 1/p overflows float32 at p = 1e-30
    fraction = jnp.exp(p * jnp.log(xp) + q * jnp.log1p(-xp) - betaln(p, q) - jnp.log(p)) * h
    value = jnp.where(asym, asym_value, jnp.where(flip, 1 - fraction, fraction))
    value = jnp.where(inside, value, jnp.where(x >= 1, 1.0, 0.0))
    # log I_x = log[x^a (1 - x)^b / B(a, b)] + log(h / a) where lower; its arguments (1/2, 1, 1)
    # elsewhere, so that no unused derivative is NaN
    al, bl, xl = jnp.where(lower, a, 1.0), jnp.where(lower, b, 1.0), jnp.where(lower, xs, 0.5)
    log_value = _log_prefactor(al, bl, xl) + jnp.log(jnp.where(lower, h, 1.0)) - jnp.log(al)
    return value, jnp.where(lower, log_value, 0.0)


def _betainc_differentiable(a, b, x):
    return _differentiable(a, b, x, jnp.zeros(jnp.shape(x), bool))[0]


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
    x, a, b = jnp.broadcast_arrays(x, a, b)
    # both concentrations tiny: the first-order form (see _both_tiny); betainc there runs at
    # a = b = 1
    tiny, _, _, tiny_cdf = _both_tiny(a, b, x)
    a, b = jnp.where(tiny, 1.0, a), jnp.where(tiny, 1.0, b)
    return jnp.where(tiny, tiny_cdf, _betainc(a, b, jnp.clip(x, 0.0, 1.0)))


def _log_cdf(x, a, b):
    r""":math:`\log I_x(a, b)`: ``log(betainc)`` where :math:`I_x` is a normal number, the
    log-space fraction (:func:`log_betainc_lower`) where it is below
    :math:`\sqrt{\text{tiny}}` (below the switch point :math:`(a+1)/(a+b+2)`).

    At :math:`x = 0` the value is :math:`-\infty` with :math:`d/dx = +\infty` (the limit of
    :math:`p(x)/I_x \sim a/x`; it was NaN) and zero derivatives in :math:`a, b`; below 0
    (:math:`-\infty`) and from 1 on (0) constants with zero derivatives."""
    return _log_cdf_and_cdf(x, a, b)[0]


def _outside(x):
    """``x`` outside (0, 1), and the constant ``log I_x`` there (-inf with d/dx = +inf at 0)."""
    below = x <= 0
    outside = below | (x >= 1)
    at_zero = jnp.log(jnp.where(x == 0, x, 1.0))  # -inf, with derivative 1/x = +inf
    return outside, jnp.where(x == 0, at_zero, jnp.where(below, -jnp.inf, 0.0))


def _deep_lower(a, b, x, value):
    """Where ``log I_x`` is taken in log space: below the switch point and ``I_x`` below
    ``_TAIL`` (sqrt(tiny) of the dtype)."""
    return (x <= (a + 1) / (a + b + 2)) & (value < _TAIL[x.dtype == jnp.float32])


@jax.custom_jvp
def _log_and_value(a, b, x):
    r"""``(log I_x(a, b), I_x(a, b))`` for :math:`0 < x < 1` from one betainc evaluation:
    ``log(betainc)`` where :math:`I_x` is a normal number, the log-space fraction
    (:func:`log_betainc_lower`) where it is below :math:`\sqrt{\text{tiny}}` (below the switch
    point :math:`(a+1)/(a+b+2)`; skipped at run time when no element is there)."""
    value = betainc(a, b, x)
    lower = _deep_lower(a, b, x, value)
    xl = jnp.where(lower, x, 0.5 * (a + 1) / (a + b + 2))
    log_tail = _if_any(lower, lambda: log_betainc_lower(a, b, xl), x)
    # log(1) off the direct branch: log(0) there would make its (unused) derivative NaN
    return jnp.where(lower, log_tail, jnp.log(jnp.where(lower, 1.0, value))), value


@_log_and_value.defjvp
def _log_and_value_jvp(primals, tangents):
    """Derivatives in x from the density (``d/dx log I = density / I`` formed in log space in
    the deep lower tail, where both underflow), in a and b from one differentiable fraction
    (:func:`_differentiable`) for both ``I`` and ``log I``."""
    a, b, x = primals
    da, db, dx = tangents
    log_value, value = _log_and_value(a, b, x)
    lower = _deep_lower(a, b, x, value)
    xl = jnp.where(lower, x, 0.5 * (a + 1) / (a + b + 2))
    log_density = _log_prefactor(a, b, xl) - jnp.log(xl) - jnp.log1p(-xl)
    density = jnp.exp(xlogy(a - 1, x) + xlog1py(b - 1, -x) - betaln(a, b))
    _, (d_value, d_log) = jax.jvp(lambda a, b: _differentiable(a, b, x, lower), (a, b), (da, db))
    d_value = density * dx + d_value
    # (the exponent 0 off the tail: a discarded overflow there would make the gradient NaN)
    ratio = jnp.exp(jnp.where(lower, log_density - log_value, 0.0))
    d_log = jnp.where(lower, ratio * dx + d_log, d_value / jnp.where(lower, 1.0, value))
    return (log_value, value), (d_log, d_value)


def _log_cdf_and_cdf(x, a, b):
    """``(log I_x(a, b), I_x(a, b))`` from one betainc evaluation (see :func:`_log_cdf`)."""
    x, a, b = jnp.broadcast_arrays(x, a, b)
    # outside (0, 1) the values are constants: the formula runs at x = 1/2, a = b = 1 there
    # (log 0 would make its derivatives NaN, and so would some parameters)
    outside, edge = _outside(x)
    a, b = (jnp.where(outside, 1.0, v) for v in (a, b))
    log_value, value = _log_and_value(a, b, jnp.where(outside, 0.5, x))
    return (
        jnp.where(outside, edge, log_value),
        jnp.where(outside, jnp.where(x >= 1, 1.0, 0.0), value),
    )


_EULER = 0.5772156649015329


def _apser(a, b, x):
    r""":math:`1 - I_x(a, b) = I_{1-x}(b, a)` for :math:`a \le \epsilon\min(1, b)`,
    :math:`x \le 1/2`, :math:`bx \le 1` (Didonato and Morris 1992, APSER): to first order in
    :math:`a`,

    .. math::
        1 - I_x(a, b) = a\int_x^1 t^{-1}(1 - t)^{b-1}\,dt\,(1 + O(a))
        = -\operatorname{expm1}(a\log x) - a\Bigl[\gamma + \psi(b)
        + \sum_{j\ge1}\frac{(1-b)_j\,x^j}{j!\,j}\Bigr]

    (:math:`1/B(a, b) = a(1 + O(a))` and
    :math:`\int_0^1 ((1-t)^{b-1} - 1)/t\,dt = -\gamma - \psi(b)`), so that it keeps its
    relative accuracy where :math:`I_x` rounds to 1. The terms fall at least by
    :math:`(j/2 + 1)/(j + 1)` per step; a fixed count (60 float64, 30 float32) in a loop:
    differentiable in :math:`a`, :math:`b` and :math:`x`."""
    steps = 60 if x.dtype == jnp.float64 else 30

    def body(j, carry):
        term, total = carry
        jf = jnp.asarray(j, x.dtype)
        term = term * (jf - b) * x / jf
        return term, total + term / jf

    _, total = jax.lax.fori_loop(1, steps + 1, body, (jnp.ones_like(x), jnp.zeros_like(x)))
    return -jnp.expm1(a * jnp.log(x)) - a * ((_EULER + digamma(b)) + total)


def _small_first(a, b, x):
    r"""Where :math:`a \le \epsilon\min(1, b)` (the complement :math:`1 - I_x(a, b) \approx
    a\int_x^1 t^{-1}(1-t)^{b-1}dt` is below the rounding of 1), and where :func:`_apser`
    applies there; ``(small, apser, 1 - I_x)`` with APSER's value (harmless elsewhere)."""
    eps = jnp.finfo(x.dtype).eps
    small = (a <= eps * jnp.minimum(1.0, b)) & (x > 0) & (x < 1)
    apser = small & (x <= 0.5) & (b * x <= 1)
    # skipped (a branch, not a select, outside vmap) when no element needs it
    s = jax.lax.cond(
        jnp.any(apser),
        lambda: _apser(
            jnp.where(apser, a, 0.0), jnp.where(apser, b, 1.0), jnp.where(apser, x, 0.25)
        ),
        lambda: jnp.zeros_like(x),
    )
    return small, apser, s


def _both_tiny(a, b, x):
    r"""``(tiny, log I_x, log(1 - I_x), I_x)``: where both concentrations are at most
    :math:`\epsilon` (x inside (0, 1)), and there the values to first order in :math:`a` and
    :math:`b` (harmless values elsewhere). From :math:`I_x = x^a(1-x)^b\,{}_2F_1(a+b, 1; a+1; x)/(aB(a, b))`
    (DLMF 8.17.8), :math:`1/(aB(a, b)) = b/(a+b)\,(1 + O(ab))` and
    :math:`{}_2F_1 = 1 - (a+b)\log(1-x) + O((a+b)^2)`:

    .. math::
        I_x(a, b) = \frac{b}{a+b}\,x^a(1-x)^b\,[1 - (a+b)\log(1-x)],\qquad
        1 - I_x(a, b) = \frac{a}{a+b}\,x^a(1-x)^b\,[1 - (a+b)\log x],

    each to relative :math:`O(\epsilon^2\log^2)`, below the rounding (float32
    ``Beta(1e-30, 1e-30).log_cdf(0.3)`` erred by 17 ulps in the generic evaluation and its
    gradient was NaN; ``Beta(1e-20, 1e-30)``'s derivative in the first concentration was
    -inf)."""
    eps = jnp.finfo(x.dtype).eps
    tiny = (a <= eps) & (b <= eps) & (x > 0) & (x < 1)
    at, bt, xt = jnp.where(tiny, a, 1.0), jnp.where(tiny, b, 1.0), jnp.where(tiny, x, 0.5)
    return (tiny, *_tiny_tails(at, bt, xt))


@jax.custom_jvp
def _tiny_tails(a, b, x):
    """``(log_cdf, log_survival, cdf)`` of :func:`_both_tiny`'s first-order forms, with
    ``log(b / (a + b))`` as ``-log1p(a / b)`` (``log b - log(a + b)`` cancels two logarithms
    near -69 at a, b ~ 1e-30)."""
    return _tiny_forms(a, b, x)[0]


def _tiny_forms(a, b, x):
    """``((log_cdf, log_sf, cdf), log x, log(1 - x))``: :func:`_tiny_tails` and the logarithms
    its derivatives reuse."""
    log_x, log_y = jnp.log(x), jnp.log1p(-x)
    common = a * log_x + b * log_y
    s = a + b
    log_cdf = common - jnp.log1p(a / b) + jnp.log1p(-s * log_y)
    log_sf = common - jnp.log1p(b / a) + jnp.log1p(-s * log_x)
    return (log_cdf, log_sf, b / s * jnp.exp(common) * (1 - s * log_y)), log_x, log_y


@_tiny_tails.defjvp
def _tiny_tails_jvp(primals, tangents):
    """The derivatives of the first-order forms written out: automatic differentiation forms
    ``1/a - 1/(a + b)`` (0 in float32 at ``Beta(1e-20, 1e-30)``: a + b rounds to a), ``a / b^2``
    (b^2 underflows) and ``a/x - (a + b)/x`` in x."""
    a, b, x = primals
    da, db, dx = tangents
    (log_cdf, log_sf, cdf), log_x, log_y = _tiny_forms(a, b, x)
    s = a + b
    ry, rx = log_y / (1 - s * log_y), log_x / (1 - s * log_x)
    xy = x * (1 - x)
    # a / (b (a + b)) as (a / b) / (a + b) behind a barrier: XLA rewrites a / b / s as
    # a / (b s), whose denominator underflows float32 at a, b ~ 1e-30
    a_b, b_a = jax.lax.optimization_barrier((a / b, b / a))
    d_log_cdf = (log_x - 1 / s - ry) * da + (log_y + a_b / s - ry) * db + a / xy * dx
    d_log_sf = (log_x + b_a / s - rx) * da + (log_y - 1 / s - rx) * db - b / xy * dx
    return (log_cdf, log_sf, cdf), (d_log_cdf, d_log_sf, cdf * d_log_cdf)


def _tails(x, a, b):
    r"""``(log I_x(a, b), log(1 - I_x(a, b)))`` on (0, 1) from one incomplete-beta evaluation,
    whose arguments are chosen per element: :math:`I_x(a, b)` or :math:`I_{1-x}(b, a)`,
    whichever keeps the wanted values' relative accuracy; the other value is
    ``log1p(-exp(.))`` of it. At tiny :math:`a` (:math:`a \le \epsilon\min(1, b)`) the
    complement :math:`I_{1-x}(b, a) \approx a\int_x^1 t^{-1}(1-t)^{b-1}dt` is taken directly
    (:func:`_apser` for :math:`x \le 1/2`, :math:`bx \le 1`, else the fraction for
    :math:`I_{1-x}(b, a)`, below its switch point there), and likewise at tiny :math:`b`
    (float32 ``Beta(1e-30, 1).log_cdf(0.3)`` was ``+8.3e-7``, ``log_survival`` NaN)."""
    y = 1 - x
    both_tiny, tiny_cdf, tiny_sf, _ = _both_tiny(a, b, x)
    # where both are tiny every other branch runs at harmless arguments (a, b = 1): their
    # derivatives there overflow, and 0 times inf would poison the selected gradient
    a, b = jnp.where(both_tiny, 1.0, a), jnp.where(both_tiny, 1.0, b)
    small_a, apser_a, s_a = _small_first(a, b, x)
    small_b, apser_b, s_b = _small_first(b, a, y)
    # the evaluation in the mirrored arguments (b, a, 1 - x): at tiny a without APSER, and
    # otherwise from 1/2 up unless b is tiny (then I_x(a, b) itself is small and accurate)
    # (the rounding of 1 - x perturbs the mirrored tail w = I_{1-x}(b, a) by eps y p(x) / w
    # relative, forming 1 - I_x perturbs it by eps / w: below 1/4 the mirror is taken where
    # y p(x) < 1, deep in the upper tail, where 1 - I_x would round to 0: Beta(2, 1000)'s
    # log_survival(0.1) was -inf, about -100.75)
    xs, as_, bs = (jax.lax.stop_gradient(v) for v in (x, a, b))
    deep_upper = xlogy(as_ - 1, xs) + xlog1py(bs, -xs) - betaln(as_, bs) < 0
    upper = (x > a / (a + b)) & ((x >= 0.25) | deep_upper)
    mirror = jnp.where(small_a, True, jnp.where(small_b, False, upper))
    # where APSER's value is taken, the evaluation runs at (1/2, 1, 1): its derivatives at a
    # tiny parameter overflow in float32, and 0 times inf would poison the selected gradient
    series = apser_a | apser_b
    p, q = jnp.where(mirror, b, a), jnp.where(mirror, a, b)
    # elsewhere at a tiny parameter it is the second one, q, and the evaluated tail is
    # q int t^{-1}(1 - t)^{p-1} dt (1 + O(q)): its derivative in q is v/q to relative O(q) (below
    # the rounding), taken so; automatic differentiation through the fraction overflows float32
    # there (1/q^2)
    tiny_q = (small_a | small_b) & ~series
    q_eval = jnp.where(tiny_q, jax.lax.stop_gradient(q), q)
    log_v, v = _log_cdf_and_cdf(
        jnp.where(series, 0.5, jnp.where(mirror, y, x)),
        jnp.where(series, 1.0, p),
        jnp.where(series, 1.0, q_eval),
    )
    q_safe = jnp.where(tiny_q, q, 1.0)
    # (q - q) / q with the divisor held: its own derivative, -(q - q)/q^2, is 0 * inf in float32
    dq = jnp.where(
        tiny_q, (q_safe - jax.lax.stop_gradient(q_safe)) / jax.lax.stop_gradient(q_safe), 0.0
    )
    log_v = log_v + dq
    v = v * (1 + dq)
    # log(1 - e^log_v) from v (the value, for v up to 1/2), or from log_v; each formula's
    # argument sanitised where unused (log 0 there would make the gradient NaN)
    half = v < 0.5
    log_w = jnp.where(
        half,
        jnp.log1p(-jnp.where(half, v, 0.0)),
        jnp.log(-jnp.expm1(jnp.where(half, -1.0, log_v))),
    )
    log_cdf = jnp.where(mirror, log_w, log_v)
    log_sf = jnp.where(mirror, log_v, log_w)
    log_cdf = jnp.where(apser_a, jnp.log1p(-s_a), jnp.where(apser_b, jnp.log(s_b), log_cdf))
    log_sf = jnp.where(apser_a, jnp.log(s_a), jnp.where(apser_b, jnp.log1p(-s_b), log_sf))
    return jnp.where(both_tiny, tiny_cdf, log_cdf), jnp.where(both_tiny, tiny_sf, log_sf)


def _tails_method(x, a, b):
    """``(log_cdf, log_survival)`` on the real line: outside (0, 1) constants with zero
    derivatives in the parameters (the formulas run at x = 1/2, a = b = 1 there, so that none
    of their derivatives is NaN); at x = 0 log_cdf is -inf with d/dx = +inf (the limit of
    p(x)/I_x ~ a/x), at x = 1 log_survival is -inf with d/dx = -inf."""
    outside, edge_cdf = _outside(x)
    at_one = jnp.log(jnp.where(x == 1, 1 - x, 1.0))
    edge_sf = jnp.where(x <= 0, 0.0, jnp.where(x == 1, at_one, -jnp.inf))
    a, b = (jnp.where(outside, 1.0, v) for v in (a, b))
    log_cdf, log_sf = _tails(jnp.where(outside, 0.5, x), a, b)
    return jnp.where(outside, edge_cdf, log_cdf), jnp.where(outside, edge_sf, log_sf)


# I_x below which log_cdf is taken in log space: sqrt(tiny) of the dtype
_TAIL = {False: math.sqrt(float(np.finfo(np.float64).tiny)), True: 1e-19}


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

    # the tail evaluated, I_x(a, b) or I_{1-x}(b, a), in one call with its arguments selected
    first, second = jnp.where(upper, b, a), jnp.where(upper, a, b)
    log_beta = betaln(a, b)

    def g_and_dg(t):
        # g = +-log(tail) and its derivative, the density of logit(X) over the tail
        tail = jnp.log(betainc(first, second, jax.nn.sigmoid(jnp.where(upper, -t, t))))
        log_density = -a * log1pexp(-t) - b * log1pexp(t) - log_beta
        return jnp.where(upper, -tail, tail), jnp.exp(log_density - tail)

    t = invert_cdf(g_and_dg, None, target, jnp.full_like(us, -edge), jnp.full_like(us, edge))
    g_t = g_and_dg(t)[0]
    # quantiles closer to 0 or 1 than the smallest normal float round to 0 or 1.
    low = (t < -edge + 1) & (g_t > target + 1)
    high = (t > edge - 1) & (g_t < target - 1)
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
    excess bits in ``scripts/accuracy_table.py``). All its stirlerr terms depend on the
    parameters alone (computed once per distribution); per point it takes two logarithms, as
    the direct form does. Its derivatives are those of the direct form (exact: e.g. 0 in
    :math:`x` at :math:`\alpha = \beta = 1`). ``sample`` is :func:`jax.random.beta` (two gamma
    variates, with implicit reparameterisation gradients).

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
            (finite_positive(self.concentration1), "concentration1 must be positive and finite."),
            (finite_positive(self.concentration0), "concentration0 must be positive and finite."),
        ]

    def _promoted(self, x=None, method="log_prob"):
        if x is None:
            return promote(self.concentration1, self.concentration0)
        return promote(self.concentration1, self.concentration0, self._check_value(x, method))

    def log_prob(self, x) -> jax.Array:
        a, b, x = self._promoted(x)
        return _log_prob(x, a, b)

    def score(self, x) -> jax.Array:
        r""":math:`(\alpha - 1)/x - (\beta - 1)/(1 - x)` on :math:`(0, 1)`, 0 outside."""
        a, b, x = self._promoted(x, "score")
        return _score(x, a, b)

    def cdf(self, x) -> jax.Array:
        r""":math:`I_x(\alpha, \beta)`."""
        a, b, x = self._promoted(x, "cdf")
        return jnp.where(_valid(a, b), _cdf(x, a, b), jnp.nan)

    def log_cdf(self, x) -> jax.Array:
        r""":math:`\log I_x(\alpha, \beta)`, finite deep in the lower tail where :math:`I_x`
        underflows: there :math:`\log[x^\alpha(1-x)^\beta/B(\alpha,\beta)] + \log r` with
        :math:`r` the continued fraction (leading term :math:`1/\alpha`, DLMF 8.17.8). Above
        the mean, ``log1p(-I_{1-x}(beta, alpha))``; at tiny :math:`\alpha`
        (:math:`\le \epsilon\min(1, \beta)`) the complement by Didonato and Morris's
        APSER (see ``_tails``)."""
        a, b, x = self._promoted(x, "log_cdf")
        return jnp.where(_valid(a, b), _tails_method(x, a, b)[0], jnp.nan)

    def log_survival(self, x) -> jax.Array:
        r""":math:`\log(1 - I_x(\alpha, \beta))`: :math:`\log I_{1 - x}(\beta, \alpha)` above
        the mean (from :math:`x = 1/4` on, where :math:`1 - x` rounds by at most twice
        :math:`x`'s own rounding), ``log1p(-I_x)`` below; at tiny :math:`\alpha` the
        complement by APSER (:math:`x \le 1/2`, :math:`\beta x \le 1`)."""
        a, b, x = self._promoted(x, "log_survival")
        return jnp.where(_valid(a, b), _tails_method(x, a, b)[1], jnp.nan)

    def icdf(self, u) -> jax.Array:
        r"""Quantile :math:`I^{-1}_u(\alpha, \beta)`, with implicit derivatives."""
        a, b, u = self._promoted(u, "icdf")
        return _icdf(u, a, b)

    def sample(self, key, sample_shape=()) -> jax.Array:
        a, b = promote(self.concentration1, self.concentration0)
        shape = self._sample_shape(sample_shape)
        return jax.random.beta(key, a, b, shape, a.dtype)

    def entropy(self) -> jax.Array:
        r""":math:`\log B(\alpha,\beta) - (\alpha-1)\psi(\alpha) - (\beta-1)\psi(\beta)
        + (\alpha+\beta-2)\psi(\alpha+\beta)`."""
        a, b = promote(self.concentration1, self.concentration0)
        # log B and the digammas in Stirling form (stirlerr, psi_minus_log L): the terms of size
        # a log a cancel analytically, leaving
        # H = log(2 pi)/2 + [log(a/n) + log(b/n) - log n]/2 + stirlerr(a) + stirlerr(b)
        #     - stirlerr(n) - (a - 1) L(a) - (b - 1) L(b) + (n - 2) L(n),  n = a + b,
        # exact for all a, b > 0 (float32 Beta(1e6, 1e6) was -6.0 for -6.5285).
        n = a + b
        h = (
            _HALF_LOG_2PI
            + 0.5 * (jnp.log(a / n) + jnp.log(b / n) - jnp.log(n))
            + (stirlerr(a) + stirlerr(b) - stirlerr(n))
            - (a - 1) * psi_minus_log(a)
            - (b - 1) * psi_minus_log(b)
            + (n - 2) * psi_minus_log(n)
        )
        return jnp.broadcast_to(jnp.where(_valid(a, b), h, jnp.nan), self.batch_shape)

    def mean(self) -> jax.Array:
        r""":math:`\alpha/(\alpha + \beta)`."""
        a, b = promote(self.concentration1, self.concentration0)
        return jnp.broadcast_to(jnp.where(_valid(a, b), a / (a + b), jnp.nan), self.batch_shape)

    def variance(self) -> jax.Array:
        r""":math:`\alpha\beta/((\alpha + \beta)^2(\alpha + \beta + 1))`."""
        a, b = promote(self.concentration1, self.concentration0)
        s = a + b
        var = (a / s) * (b / s) / (s + 1)  # no underflow of s^2 at tiny a, b
        return jnp.broadcast_to(jnp.where(_valid(a, b), var, jnp.nan), self.batch_shape)

    def mode(self) -> jax.Array:
        r"""Unique mode, or NaN where there is none (see above)."""
        a, b = promote(self.concentration1, self.concentration0)
        interior = (a - 1) / jnp.where((a > 1) & (b > 1), a + b - 2, 1.0)
        mode = jnp.where(
            (a > 1) & (b > 1),
            interior,
            jnp.where((a <= 1) & (b > 1), 0.0, jnp.where((b <= 1) & (a > 1), 1.0, jnp.nan)),
        )
        return jnp.broadcast_to(jnp.where(_valid(a, b), mode, jnp.nan), self.batch_shape)
