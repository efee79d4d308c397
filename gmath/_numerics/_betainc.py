r"""Regularized incomplete beta function :math:`I_x(a, b)`, accurate in float32 and float64.

JAX's ``jax.scipy.special.betainc`` (jax 0.10.2) errs by 10-16 float32 ulps where its prefactor
:math:`\exp(a\log x + b\log(1-x) - \log B(a, b))` cancels large log-gamma terms; this one writes
the prefactor in Loader's saddle-point form and sums Didonato and Morris's continued fraction.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
from jax.custom_derivatives import SymbolicZero

from gmath._numerics._dtypes import promote
from gmath._numerics._special import bd0, stirlerr

__all__ = ["betainc", "log_betainc_lower"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)
# Bound on the continued-fraction steps; the loop stops as soon as every element has converged
# (at most ~60 steps for a, b <= 1e4 on the cheap side of the switch, usually below 10).
_MAX_STEPS = {"float32": 200, "float64": 400}
# The asymptotic expansion replaces the fraction where min(a, b) >= _ASYM_FROM and
# |lambda| <= 0.03 min(a, b) (DiDonato and Morris's BASYM region, with their threshold 100
# raised): there the fraction needs ~sqrt(a) steps (400 at a = 1e6 near the mean), while the
# expansion's terms fall by w0^2 <= 1 / _ASYM_FROM per order, so _ASYM_TERMS orders reach the
# format's rounding.
_ASYM_FROM = 1e4
_ASYM_TERMS = {"float32": 2, "float64": 6}
_E0 = 2 / math.sqrt(math.pi)
_E1 = 2**-1.5
_ERFCX_TERMS = 30


def _erfcx(z, f):
    r""":math:`e^{z^2}\operatorname{erfc}(z)` for :math:`z = \sqrt f \ge 0`: below 3 as
    ``exp(f) * erfc(z)`` (the rounding of :math:`z` costs at most :math:`z^2 \le 9` ulps), above
    by Laplace's continued fraction :math:`\pi^{-1/2}/(z + \tfrac12/(z + 1/(z +
    \tfrac32/(z + \dots))))` (DLMF 7.9.2), 30 levels (below 1e-16 relative for :math:`z \ge 3`).
    """
    small = z < 3
    zs = jnp.where(small, z, 0.0)
    zl = jnp.where(small, 3.0, z)
    t = zl
    for k in range(_ERFCX_TERMS, 0, -1):
        t = zl + (0.5 * k) / t
    return jnp.where(
        small, jnp.exp(jnp.where(small, f, 0.0)) * jax.lax.erfc(zs), 1 / (t * math.sqrt(math.pi))
    )


def _log_basym(a, b, lam, terms):
    r""":math:`\log I_x(a, b)` for large :math:`a, b` and :math:`\lambda = a - (a + b)x \ge 0`
    by DiDonato and Morris's BASYM (1992, sec. 4; Temme's uniform expansion in
    :math:`\operatorname{erfc}`):

    .. math::
        I_x(a, b) = \frac{2}{\sqrt\pi} e^{-f - \Delta}\Bigl[J_0 + \sum_{n \ge 1} d_n w_0^n J_n\Bigr],
        \quad f = \mathrm{bd0}(a, (a+b)x) + \mathrm{bd0}(b, (a+b)(1-x)) = \lambda^2 q,

    :math:`\Delta = \delta(a) + \delta(b) - \delta(a + b)` (stirlerr),
    :math:`J_0 = \tfrac{\sqrt\pi}4 \operatorname{erfcx}(\sqrt f)`, the :math:`J_n` and
    :math:`d_n` by their recurrences (the :math:`d_n` from powers of a power series in
    :math:`h = \min(a,b)/\max(a,b)`, J.C.P. Miller's formula). The terms are carried as
    :math:`w_0^n J_n` (:math:`w_0^2 (2f) \approx \lambda^2/a^2` per order), so nothing
    overflows in float32. ``terms`` (even) orders are summed. Plain JAX operations: automatic
    differentiation gives the derivatives in :math:`a` and :math:`b`.
    """
    # f = lam^2 q, q = phi(-lam/a)/a + phi(lam/b)/b with phi(u) = (u - log(1 + u))/u^2 =
    # sum_j (-u)^(j-2)/j (|u| <= 0.03 in the region: 12 terms in float64, 7 in float32), and
    # sqrt(f) = lam sqrt(q): smooth through lam = 0, so automatic differentiation sees no kink
    # (Temme's signed eta).
    nterms = 12 if jnp.dtype(lam.dtype) == jnp.float64 else 7

    def phi(u):
        total = jnp.zeros_like(u)
        for j in range(nterms, 1, -1):
            total = total * (-u) + 1.0 / j
        return total

    q = phi(-lam / a) / a + phi(lam / b) / b
    z0 = lam * jnp.sqrt(q)
    f = z0 * z0
    z2 = f + f
    small_a = a < b
    h = jnp.where(small_a, a / b, b / a)
    r0 = 1 / (h + 1)
    r1 = jnp.where(small_a, (b - a) / b, (b - a) / a)
    w0sq = 1 / (jnp.minimum(a, b) * (h + 1))
    w0 = jnp.sqrt(w0sq)
    a0 = [r1 * (2 / 3)]
    c = [a0[0] * -0.5]
    d = [-c[0]]
    j0 = (0.25 * math.sqrt(math.pi)) * _erfcx(z0, f)
    j1 = _E1 * w0  # w0 J_1
    total = j0 + d[0] * j1
    s = 1.0
    h2 = h * h
    hn = 1.0
    zm = math.sqrt(2.0) * z0 * w0sq  # z^(n-1) w0^n at n = 2, z = sqrt(2 f)
    zn = z2 * w0sq * w0  # z^n w0^(n+1)
    step = z2 * w0sq
    for n in range(2, terms + 1, 2):
        hn = hn * h2
        a0.append(r0 * 2 * (h * hn + 1) / (n + 2))
        s = s + hn
        a0.append(r1 * 2 * s / (n + 3))
        for i in (n, n + 1):
            # b0 = coefficients of A(t)^r, A = 1 + sum a0[k] t^(k+1) (Miller's recurrence)
            r = -(i + 1) / 2
            b0 = [r * a0[0]]
            for m in range(2, i + 1):
                bsum = sum((j * r - (m - j)) * a0[j - 1] * b0[m - j - 1] for j in range(1, m))
                b0.append(r * a0[m - 1] + bsum / m)
            c.append(b0[i - 1] / (i + 1))
            d.append(-(sum(d[i - j - 1] * c[j - 1] for j in range(1, i)) + c[i - 1]))
        j0 = _E1 * zm + (n - 1) * w0sq * j0
        j1 = _E1 * zn + n * w0sq * j1
        zm = zm * step
        zn = zn * step
        total = total + d[n - 1] * j0 + d[n] * j1
    bcorr = stirlerr(a) + stirlerr(b) - stirlerr(a + b)
    return math.log(_E0) - f - bcorr + jnp.log(total)


def _log_prefactor(a, b, x):
    r""":math:`\log[x^a (1 - x)^b / B(a, b)]` for :math:`0 < x < 1`, in Loader's form

    .. math::
        \delta(n) - \delta(a) - \delta(b) - \mathrm{bd0}(a, nx) - \mathrm{bd0}(b, n(1-x))
        + \tfrac12\log\frac{ab}{2\pi n}, \qquad n = a + b,

    (:math:`\delta` = :func:`stirlerr`, :math:`\mathrm{bd0}(a, m) = a\log(a/m) + m - a`), with no
    large terms to cancel at any :math:`a, b > 0` (Didonato and Morris's BRCOMP uses the same
    idea for :math:`a, b \ge 8`; in float32 it is also the better form for small :math:`a, b`).
    ``1 - x`` enters only through bd0's argument, whose rounding moves the result by less than
    the conditioning in :math:`x`. Far below the mean (:math:`nx < a/2`) the :math:`x` term is
    written with :math:`\log(a/n) - \log x`, so that subnormal :math:`x` do not overflow
    :math:`a/(nx)`.
    """
    n = a + b
    nx = n * x
    far = nx < 0.5 * a
    xf = jnp.where(far, x, 1.0)
    x_term = jnp.where(
        far,
        a * (jnp.log(a / n) - jnp.log(xf)) + nx - a,
        bd0(a, jnp.where(far, a, nx)),
    )
    return (
        stirlerr(n)
        - stirlerr(a)
        - stirlerr(b)
        - x_term
        - bd0(b, n * (1 - x))
        + 0.5 * (jnp.log(a) + jnp.log(b / n))
        - _HALF_LOG_2PI
    )


def _continued_fraction(a, b, x, y, lam, max_steps):
    r"""The continued fraction :math:`r` with :math:`I_x(a, b) = r\,x^a y^b / B(a, b)`,
    :math:`y = 1 - x`, :math:`\lambda = a - (a + b)x` (Didonato and Morris 1992, BFRAC: the
    even part of DLMF 8.17.22, started from :math:`\lambda + 1` instead of the nearly singular
    :math:`1 - (a + b)x/(a + 1)`; the caller computes ``lam`` without cancelling more than the
    conditioning in :math:`x`).

    Summed by its three-term recurrence with rescaling; an element stops updating once a step
    changes it by at most one ulp (later steps would only add rounding), and the loop stops when
    every element has, or after ``max_steps`` steps. Returns ``(r, steps)``, ``steps`` the
    number used per element (``max_steps`` where it did not converge).
    """
    dtype = x.dtype
    eps = jnp.finfo(dtype).eps
    c = lam + 1
    c0 = b / a
    c1 = 1 / a + 1
    yp1 = y + 1
    r = c1 / c
    init = (
        jnp.asarray(1, jnp.int32),
        jnp.zeros_like(r),  # A_{n-1}
        jnp.ones_like(r),  # B_{n-1}
        jnp.ones_like(r),  # A_n
        c / c1,  # B_n
        r,
        jnp.zeros(r.shape, bool),
        jnp.full(r.shape, max_steps, jnp.int32),
    )

    def cond(carry):
        i, *_, done, _ = carry
        return (i <= max_steps) & ~jnp.all(done)

    def body(carry):
        i, an, bn, anp1, bnp1, r, done, steps = carry
        n = jnp.asarray(i, dtype)
        t = n / a
        w = n * (b - n) * x
        s = a + 2 * n - 1
        e = a / s
        p = 1 + (n - 1) / a
        alpha = p * (p + c0) * e * e * (w * x)
        e = (t + 1) / (c1 + t + t)
        beta = n + w / s + e * (c + n * yp1)
        an, anp1 = anp1, alpha * an + beta * anp1
        bn, bnp1 = bnp1, alpha * bn + beta * bnp1
        r_new = anp1 / bnp1
        converged = jnp.abs(r_new - r) <= eps * r_new
        r = jnp.where(done, r, r_new)
        steps = jnp.where(~done & converged, i, steps)
        done = done | converged
        an, bn, anp1 = an / bnp1, bn / bnp1, r_new  # rescale so that B_n = 1
        return i + 1, an, bn, anp1, jnp.ones_like(bnp1), r, done, steps

    out = jax.lax.while_loop(cond, body, init)
    return out[5], out[7]


def _asym_region(a, b, lam, dtype):
    """Where :func:`_asym` replaces the continued fraction (see ``_ASYM_FROM``)."""
    small = jnp.minimum(a, b)
    return (small >= _ASYM_FROM) & (jnp.abs(lam) <= 0.03 * small)


def _asym(a, b, lam, dtype):
    r""":math:`I_x(a, b)` from :func:`_log_basym`: directly for :math:`\lambda \ge 0`
    (:math:`x` at most the mean, :math:`I_x \lesssim 1/2`), else :math:`1 - I_{1-x}(b, a)` (the
    complement's :math:`\lambda` is :math:`-\lambda`), so that neither side cancels."""
    terms = _ASYM_TERMS["float32" if dtype == jnp.float32 else "float64"]
    lower = lam >= 0
    value = jnp.exp(_log_basym(jnp.where(lower, a, b), jnp.where(lower, b, a), jnp.abs(lam), terms))
    return jnp.where(lower, value, 1 - value)


def _betainc_with_steps(a, b, x):
    """:func:`betainc` and the continued-fraction steps used per element."""
    a, b, x = jnp.broadcast_arrays(*promote(a, b, x))
    max_steps = _MAX_STEPS["float32" if x.dtype == jnp.float32 else "float64"]
    valid = (a > 0) & (b > 0)
    ok = (x > 0) & (x < 1) & valid
    xs = jnp.where(ok, x, 0.5)
    a = jnp.where(ok, a, 1.0)
    b = jnp.where(ok, b, 1.0)
    ys = 1 - xs  # rounded where xs < 1/2: only ever used as a factor
    flip = xs > (a + 1) / (a + b + 2)
    p = jnp.where(flip, b, a)
    q = jnp.where(flip, a, b)
    # lambda = a - (a + b) x = (a + b)(1 - x) - b, the product taken with min(x, 1 - x): its
    # rounding then moves lambda by less than an ulp of x does (Didonato and Morris's choice);
    # the flipped fraction's lambda is -lambda.
    n = a + b
    lam = jnp.where(xs < 0.5, a - n * xs, n * ys - b)
    asym = _asym_region(a, b, lam, x.dtype)
    # asymptotic elements: the fraction at a point where it converges at once (result unused)
    r, steps = _continued_fraction(
        p,
        q,
        jnp.where(asym, 0.0, jnp.where(flip, ys, xs)),
        jnp.where(asym, 1.0, jnp.where(flip, xs, ys)),
        jnp.where(asym, p, jnp.where(flip, -lam, lam)),
        max_steps,
    )
    prefactor = jnp.exp(_log_prefactor(a, b, xs))
    tail = prefactor * r
    out = jnp.where(flip, 1 - tail, tail)
    out = jax.lax.cond(
        jnp.any(asym),
        lambda _: jnp.where(asym, _asym(a, b, lam, x.dtype), out),
        lambda _: out,
        None,
    )
    steps = jnp.where(asym, 0, steps)
    # Where the complement cancels (I_x < 1/2 although x is past the switch: b < 1, x near 1),
    # sum the fraction for I_x itself, which converges there too, if more slowly; keep the
    # complement where it does not converge within the bound. Skipped when no element needs it.
    redo = flip & (tail > 0.5) & ~asym

    def direct(_):
        xr = jnp.where(redo, xs, 0.0)
        yr = jnp.where(redo, ys, 1.0)
        r, used = _continued_fraction(a, b, xr, yr, jnp.where(redo, lam, 0.0), max_steps)
        better = redo & (used < max_steps)
        return jnp.where(better, prefactor * r, out), jnp.where(better, used, steps)

    out, steps = jax.lax.cond(jnp.any(redo), direct, lambda _: (out, steps), None)
    out = jnp.where(ok, out, jnp.where(x >= 1, 1.0, 0.0))
    return jnp.where(valid & ~jnp.isnan(x), out, jnp.nan), steps


def log_betainc_lower(a, b, x):
    r""":math:`\log I_x(a, b)` in log space, for :math:`0 < x \le (a+1)/(a+b+2)`: the deep lower
    tail, where :math:`I_x` underflows although its logarithm is finite.

    .. math::
        \log I_x(a, b) = \log\frac{x^a (1-x)^b}{B(a, b)} + \log r(a, b, x),

    the prefactor in Loader's form (:func:`_log_prefactor`, no underflow: it is a sum of
    logarithms) and :math:`r` Didonato and Morris's continued fraction (BFRAC), which converges
    fast below the switch point; as :math:`x \to 0`, :math:`r \to 1/a` and the value tends to
    the leading term :math:`\log[x^a (1-x)^b / (a B(a, b))]` (DLMF 8.17.8). Elements outside
    the range are NaN-free placeholders (the caller selects). Values only (the while loop has
    no reverse-mode derivative).

    References:
      Didonato and Morris (1992), ACM TOMS 18(3) [@didonato1992betainc]; DLMF 8.17 [@dlmf].
    """
    a, b, x = jnp.broadcast_arrays(*promote(a, b, x))
    max_steps = _MAX_STEPS["float32" if x.dtype == jnp.float32 else "float64"]
    ok = (a > 0) & (b > 0) & (x > 0) & (x < 1)
    a = jnp.where(ok, a, 1.0)
    b = jnp.where(ok, b, 1.0)
    xs = jnp.where(ok, x, 0.25)
    n = a + b
    lam = jnp.where(xs < 0.5, a - n * xs, n * (1 - xs) - b)
    r, _ = _continued_fraction(a, b, xs, 1 - xs, lam, max_steps)
    return jnp.where(ok, _log_prefactor(a, b, xs) + jnp.log(r), jnp.nan)


@jax.custom_jvp
def betainc(a, b, x):
    r"""Regularized incomplete beta function

    .. math::
        I_x(a, b) = \frac{1}{B(a, b)} \int_0^x t^{a-1} (1 - t)^{b-1}\,dt
        = \frac{x^a (1-x)^b}{B(a, b)}\, r(a, b, x),

    with :math:`r` Didonato and Morris's continued fraction (BFRAC, the even part of DLMF
    8.17.22) for :math:`x \le (a+1)/(a+b+2)`, where it converges fast (at most ~60 steps for
    :math:`a, b \le 10^4`), and :math:`1 - I_{1-x}(b, a)` above. Where that complement would
    cancel (:math:`I_x < 1/2` past the switch: :math:`b < 1` and :math:`x` near 1) the fraction
    for :math:`I_x` itself is summed too, if it converges within the step bound. The prefactor
    :math:`x^a(1-x)^b/B(a,b)` is Loader's saddle-point form in :func:`stirlerr` and
    :func:`bd0` terms (BRCOMP), which cancels nothing at any :math:`a, b`; the fraction's first
    term :math:`\lambda = a - (a+b)x = (a+b)(1-x) - b` is computed with the smaller of
    :math:`x, 1 - x`.

    Computed in the input dtype (float32 in, float32 out, no upcast): in float32 within a few
    ulps times the conditioning over :math:`a, b \in [10^{-3}, 10^4]`
    (``scripts/accuracy_table.py``: Beta and StudentT ``cdf`` at most 2.3 excess bits); in
    float64 ~1e-13 relative against mpmath. The loop runs until every element has converged
    (bounded: 200 steps in float32, 400 in float64), so it is ``jit``- and ``vmap``-compatible.

    :math:`I = 0` for :math:`x \le 0`, 1 for :math:`x \ge 1`; NaN where :math:`a \le 0`,
    :math:`b \le 0` or any input is NaN. Differentiable in ``x`` (the beta density
    :math:`x^{a-1}(1-x)^{b-1}/B(a, b)`, zero outside :math:`(0, 1)`); derivatives in ``a`` and
    ``b`` raise ``ValueError`` (``Beta.cdf`` provides them by differentiating the fraction).

    Args:
      a, b: shape parameters, broadcasting with ``x``.
      x: points.

    Returns:
      :math:`I_x(a, b)` with the broadcast shape, in the promoted floating dtype.

    References:
      Didonato and Morris (1992). Algorithm 708: significant digit computation of the
      incomplete beta function ratios. ACM TOMS 18(3), 360-373 [@didonato1992betainc].
      Loader (2000). Fast and accurate computation of binomial probabilities
      [@loader2000binomial]. DLMF 8.17 [@dlmf].

    Examples:
      >>> round(float(betainc(2.0, 3.0, 0.25)), 12)  # 1 - (1 - x)^3 (1 + 3x)
      0.26171875
      >>> round(float(betainc(0.5, 0.5, 0.5)), 12)
      0.5
    """
    return _betainc_with_steps(a, b, x)[0]


def _betainc_jvp(primals, tangents):
    a, b, x = primals
    da, db, dx = tangents
    if type(da) is not SymbolicZero or type(db) is not SymbolicZero:
        raise ValueError(
            "Betainc gradient with respect to a and b is not supported by "
            "gmath._numerics.betainc (only with respect to x)."
        )
    value = betainc(a, b, x)
    if type(dx) is SymbolicZero:
        return value, jnp.zeros_like(value)
    a, b, x = jnp.broadcast_arrays(*promote(a, b, x))
    inside = (x > 0) & (x < 1) & (a > 0) & (b > 0)
    xs = jnp.where(inside, x, 0.5)
    aa = jnp.where(inside, a, 1.0)
    bb = jnp.where(inside, b, 1.0)
    log_density = _log_prefactor(aa, bb, xs) - jnp.log(xs) - jnp.log1p(-xs)
    density = jnp.where(inside, jnp.exp(log_density), 0.0)
    return value, density * jnp.broadcast_to(dx, density.shape)


betainc.defjvp(_betainc_jvp, symbolic_zeros=True)
