r"""Closed-form KL divergences, registered pair by pair.

Each function reads its records' public parameters, promotes them to one dtype and evaluates the
formula in a form that is accurate near :math:`p = q` (``expm1(t) - t`` instead of
``exp(t) - 1 - t``), so that :math:`KL(p \| p) = 0` exactly, with a zero gradient.
Supports that do not nest give ``+inf``.

References: the formulas are collected in Gil, Alajaji and Linder (2013) [@gil2013renyi] for
exponential families; Laplace, Gumbel and cross-family pairs are derived from
:math:`KL(p \| q) = -H(p) - E_p[\log q]`; Cauchy from Chyzak and Nielsen (2019)
[@chyzak2019cauchy]; von Mises from Kitagawa and Rowley (2022) [@kitagawa2022vonmises].
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

import gmath.densities as gd
from gmath._numerics import betaln, digamma, gammaln, i0e, i1e, xlogy
from gmath.divergences._gaussian import GAUSSIAN_CLASSES, as_gaussian, gaussian_kl, is_gaussian
from gmath.divergences._kl_registry import kl, register_kl
from gmath.divergences._params import (
    _binet_bregman,
    _ratio,
    bernoulli_log_probs,
    check_same_categories,
    common_dtype,
    expm1_minus,
    lgamma_bregman,
    log1p_minus,
    log1p_rel,
    log_ratio,
    nonnegative,
    params,
    raw_log_weights,
)

__all__: list[str] = []

_EULER = 0.5772156649015329
_LOG_2PI = math.log(2 * math.pi)


_expm1_minus = expm1_minus  # e^t - 1 - t, accurate near 0 (the KL of scale families)


def _loc_scale(p, q):
    dt = common_dtype(p, q)
    return params(dt, p.loc, p.scale, q.loc, q.scale)


# ---------------------------------------------------------------------------- location-scale
@register_kl(gd.Normal, gd.Normal)
def _kl_normal_normal(p, q):
    r""":math:`\tfrac12 (\mu_p - \mu_q)^2/\sigma_q^2 + \tfrac12 (e^t - 1 - t)`,
    :math:`t = 2 \log(\sigma_p/\sigma_q)`."""
    mp, sp, mq, sq = _loc_scale(p, q)
    t = 2 * log_ratio(sq, sp)  # log1p of the exact difference for nearby scales
    z = (mp - mq) / sq
    return 0.5 * z * z + 0.5 * _expm1_minus(t)


@register_kl(gd.LogNormal, gd.LogNormal)
def _kl_lognormal_lognormal(p, q):
    """KL is invariant under the bijection exp: that of the underlying normals."""
    return _kl_normal_normal(p, q)


@register_kl(gd.HalfNormal, gd.HalfNormal)
def _kl_halfnormal_halfnormal(p, q):
    dt = common_dtype(p, q)
    sp, sq = params(dt, p.scale, q.scale)
    return 0.5 * _expm1_minus(2 * log_ratio(sq, sp))


@register_kl(gd.Laplace, gd.Laplace)
def _kl_laplace_laplace(p, q):
    r""":math:`\log\frac{b_q}{b_p} + \frac{\delta}{b_q} + \frac{b_p}{b_q} e^{-\delta/b_p} - 1`,
    :math:`\delta = |\mu_p - \mu_q|`, written as :math:`(e^u - 1 - u) + \delta (1/b_q - 1/b_p)`
    with :math:`u = \log(b_p/b_q) - \delta/b_p`."""
    mp, bp, mq, bq = _loc_scale(p, q)
    delta = jnp.abs(mp - mq)
    u = log_ratio(bq, bp) - delta / bp
    return _expm1_minus(u) + delta * (1 / bq - 1 / bp)


@register_kl(gd.Gumbel, gd.Gumbel)
def _kl_gumbel_gumbel(p, q):
    r""":math:`-\log\rho + \gamma(\rho - 1) + e^{-c}\Gamma(1 + \rho) - 1 + c`,
    :math:`\rho = \beta_p/\beta_q`, :math:`c = (\mu_p - \mu_q)/\beta_q`."""
    mp, bp, mq, bq = _loc_scale(p, q)
    log_rho = jnp.log(bp) - jnp.log(bq)
    rho = jnp.exp(log_rho)
    c = (mp - mq) / bq
    return jnp.expm1(gammaln(1 + rho) - c) + c - log_rho + _EULER * (rho - 1)


@register_kl(gd.Cauchy, gd.Cauchy)
def _kl_cauchy_cauchy(p, q):
    r""":math:`\log\frac{(\sigma_p + \sigma_q)^2 + (\mu_p - \mu_q)^2}{4\sigma_p\sigma_q}`
    (Chyzak and Nielsen 2019), as a ``log1p``."""
    mp, sp, mq, sq = _loc_scale(p, q)
    return jnp.log1p(((sp - sq) ** 2 + (mp - mq) ** 2) / (4 * sp * sq))


def _bessel_ratio_derivatives(r, a):
    r"""First and second derivatives of :math:`A_1 = I_1/I_0` at :math:`r \ge 0`, from the
    Riccati equation :math:`A_1' = 1 - A_1/r - A_1^2`, :math:`A_1'' = -A_1'/r + A_1/r^2 -
    2A_1A_1'` (DLMF 10.29.2), with the Maclaurin series below :math:`r = 0.01` and the
    asymptotic series of :math:`A_1 \sim 1 - 1/(2r) - 1/(8r^2) - 1/(8r^3) - 25/(128r^4)`
    (DLMF 10.40.1) at large r, where the Riccati form cancels. ``a``: :math:`A_1(r)`."""
    big_at = 1e3 if r.dtype == jnp.float64 else 30.0
    small, big = r < 0.01, r > big_at
    rm = jnp.where(small | big, 1.0, r)
    d1 = 1 - a / rm - a * a
    d2 = -d1 / rm + a / (rm * rm) - 2 * a * d1
    x = jnp.where(small, r, 0.0)
    x2 = x * x
    d1_s = 0.5 + x2 * (-3 / 16 + x2 * (5 / 96 - x2 * 77 / 6144))
    d2_s = x * (-3 / 8 + x2 * (5 / 24 - x2 * 77 / 1024))
    y = 1 / jnp.where(big, r, 1.0)
    d1_b = y * y * (0.5 + y * (0.25 + y * (3 / 8 + y * 25 / 32)))
    d2_b = -(y**3) * (1 + y * (0.75 + y * (1.5 + y * 125 / 32)))
    return jnp.where(small, d1_s, jnp.where(big, d1_b, d1)), jnp.where(
        small, d2_s, jnp.where(big, d2_b, d2)
    )


@jax.custom_jvp
def _log_i0e_ratio(r):
    r"""``(log i0e(r), I_1(r)/I_0(r))`` at :math:`r \ge 0`, differentiated through the
    recurrences :math:`(\log I_0 - r)' = A_1 - 1` and :func:`_bessel_ratio_derivatives`: no
    further Bessel function in the derivatives of any order (and a small trace to compile)."""
    i0 = i0e(r)
    return jnp.log(i0), i1e(r) / i0


@_log_i0e_ratio.defjvp
def _log_i0e_ratio_jvp(primals, tangents):
    (r,), (dr,) = primals, tangents
    h, a = _log_i0e_ratio(r)
    a1, _ = _bessel_ratio_derivatives(r, a)
    return (h, a), ((a - 1) * dr, a1 * dr)


@jax.custom_jvp
def _hypot(x, y):
    r""":math:`\sqrt{x^2 + y^2}` with the derivative :math:`(x\,dx + y\,dy)/r` as
    :math:`(x/r)dx + (y/r)dy` (``jnp.hypot``'s is NaN at float32 arguments near 1e-30); 0 at
    the origin."""
    return jnp.hypot(x, y)


@_hypot.defjvp
def _hypot_jvp(primals, tangents):
    (x, y), (dx, dy) = primals, tangents
    r = _hypot(x, y)
    pos = r > 0
    rs = jnp.where(pos, r, 1.0)
    return r, jnp.where(pos, x / rs * dx + y / rs * dy, 0.0)


def von_mises_natural(mp, kp, mq, kq):
    r"""Natural parameters :math:`\theta = \kappa(\cos\mu, \sin\mu)` of two VonMises laws
    (last axis) and :math:`\theta_p - \theta_q` from exact differences of the parameters,
    :math:`(\kappa_p - \kappa_q)\cos\mu_p - 2\kappa_q\sin\frac{\mu_p + \mu_q}2
    \sin\frac{\mu_p - \mu_q}2` (and the sine likewise): exactly 0 for identical laws, with
    its derivatives, and relatively accurate for nearby ones."""
    half, mid = 0.5 * (mp - mq), 0.5 * (mp + mq)
    dk, sh = kp - kq, 2 * kq * jnp.sin(half)
    cp, sp = jnp.cos(mp), jnp.sin(mp)
    theta_p = jnp.stack([kp * cp, kp * sp], -1)
    theta_q = jnp.stack([kq * jnp.cos(mq), kq * jnp.sin(mq)], -1)
    delta = jnp.stack([dk * cp - sh * jnp.sin(mid), dk * sp + sh * jnp.cos(mid)], -1)
    return theta_p, theta_q, delta


def von_mises_bregman(theta, d):
    r""":math:`KL(p_\theta \| p_{\theta + d})` for VonMises laws of natural parameters
    :math:`\theta = \kappa(\cos\mu, \sin\mu)` (last axis), the Bregman divergence of
    :math:`A(\theta) = \log 2\pi I_0(|\theta|)`. With :math:`r = |\theta|`,
    :math:`v = \theta + d`, :math:`s = |v| - r = (2\theta + d)\cdot d / (r + |v|)`,
    :math:`h = \log I_0 - r` (``log i0e``, :math:`h' = A_1 - 1`) and :math:`A_1 = I_1/I_0`,

    .. math::
        KL = [h(|v|) - h(r) - h'(r)s] + A_1(r)(|v| - \hat\theta\cdot v),

    the radial Bregman term of the log-Bessel function (no term of size :math:`r`) and the
    angular one, :math:`|v| - \hat\theta\cdot v = v_\perp^2/(|v| + \hat\theta\cdot v) \ge 0`:
    both vanish exactly, with their first derivatives, at :math:`d = 0`."""
    t1, t2 = theta[..., 0], theta[..., 1]
    d1, d2 = d[..., 0], d[..., 1]
    r = _hypot(t1, t2)
    rv = _hypot(t1 + d1, t2 + d2)
    pos = r > 0
    rs = jnp.where(pos, r, 1.0)
    # quotients through _ratio: no 1/r^2 in the derivatives (overflows for tiny concentrations)
    u1, u2 = jnp.where(pos, _ratio(t1, rs), 1.0), jnp.where(pos, _ratio(t2, rs), 0.0)
    both = r + rv
    both_s = jnp.where(both > 0, both, 1.0)
    s = _ratio(2 * t1 + d1, both_s) * d1 + _ratio(2 * t2 + d2, both_s) * d2
    par = r + (u1 * d1 + u2 * d2)
    perp = u1 * d2 - u2 * d1
    den = jnp.where(par > 0, rv + par, 1.0)
    angular = jnp.where(par > 0, perp * _ratio(perp, den), rv - par)
    # the radial term by its Taylor series for small s (relative to max(r, 1)), where the
    # difference cancels; always there at d = 0 (s = 0), so that the first derivatives vanish
    # exactly and the second are the Fisher information
    log_i0_r, ratio = _log_i0e_ratio(r)
    tau = 1e-4 if r.dtype == jnp.float64 else 1e-2
    near = jnp.abs(s) <= tau * jnp.maximum(r, 1.0)
    sn, sf = jnp.where(near, s, 0.0), jnp.where(near, 0.0, s)
    a1, a2 = _bessel_ratio_derivatives(r, ratio)
    series = sn * sn * (0.5 * a1 + sn * a2 / 6)
    direct = _log_i0e_ratio(r + sf)[0] - log_i0_r - (ratio - 1) * sf
    radial = jnp.where(near, series, direct)
    return nonnegative(radial + ratio * angular)


@register_kl(gd.VonMises, gd.VonMises)
def _kl_vonmises_vonmises(p, q):
    r""":math:`\log\frac{I_0(\kappa_q)}{I_0(\kappa_p)} + A(\kappa_p)(\kappa_p - \kappa_q
    \cos(\mu_p - \mu_q))`, :math:`A = I_1/I_0`, as the Bregman divergence of the
    log-normaliser (:func:`von_mises_bregman`) from the exact difference of the natural
    parameters (:func:`von_mises_natural`): exactly 0 with a zero gradient between identical
    laws, no cancellation of terms of size :math:`\kappa`."""
    dt = common_dtype(p, q)
    mp, kp, mq, kq = params(dt, p.loc, p.concentration, q.loc, q.concentration)
    mp, kp, mq, kq = jnp.broadcast_arrays(mp, kp, mq, kq)
    theta_p, _, delta = von_mises_natural(mp, kp, mq, kq)
    return von_mises_bregman(theta_p, -delta)


@register_kl(gd.Uniform, gd.Uniform)
def _kl_uniform_uniform(p, q):
    r""":math:`\log\frac{h_q - l_q}{h_p - l_p}` when :math:`[l_p, h_p] \subseteq [l_q, h_q]`,
    else :math:`+\infty`."""
    dt = common_dtype(p, q)
    lp, hp, lq, hq = params(dt, p.low, p.high, q.low, q.high)
    inside = (lq <= lp) & (hp <= hq)
    return jnp.where(inside, jnp.log(hq - lq) - jnp.log(hp - lp), jnp.inf)


# ---------------------------------------------------------------------------- positive support
def gamma_bregman(a, b, da, db, a2=None, b2=None) -> jax.Array:
    r""":math:`KL(\mathrm{Gamma}(a, b) \| \mathrm{Gamma}(a + da, b + db))` (shape, rate) from the
    differences, without cancellation near :math:`da = db = 0`.

    With :math:`G` the Bregman divergence of :math:`\log\Gamma` (:func:`lgamma_bregman`) and
    :math:`\rho = \log(1 + db/b)`, :math:`KL = G(a, da) + a(e^\rho - 1 - \rho) - da\,\rho`.
    For :math:`a, a + da \ge 16` Stirling's series turns this into a sum of nonnegative terms,
    :math:`(a + da)(e^{-\tau} - 1 + \tau) + \tfrac12(s - \log(1 + s)) + B_\mu(a, da)`,
    :math:`s = da/a`, :math:`\tau = \log(1 + s) - \rho` (the log-ratio of the means), free of
    the cancellation of order :math:`a` between the first three terms. ``a2``, ``b2``: the
    parameters of the second law when known exactly (used where they are far from a, b).
    """
    rho = log1p_rel(b, db, b2)
    ls = log1p_rel(a, da, a2)
    stir = (a >= 16) & (a + da >= 16)
    a_s = jnp.where(stir, a, 16.0)
    da_s = jnp.where(stir, da, 0.0)
    tau = jnp.where(stir, ls - rho, 0.0)
    stirling = (
        (a_s + da_s) * _expm1_minus(-tau)
        + 0.5 * _expm1_minus(jnp.where(stir, ls, 0.0))
        + _binet_bregman(a_s + 0.0, da_s)
    )
    a_g = jnp.where(stir, 1.0, a)
    da_g = jnp.where(stir, 0.0, da)
    rho_g = jnp.where(stir, 0.0, rho)
    general = lgamma_bregman(a_g, da_g) + a_g * _expm1_minus(rho_g) - da_g * rho_g
    return nonnegative(jnp.where(stir, stirling, general))


def _gamma_kl(ap, bp, aq, bq):
    r"""KL between Gamma(shape, rate) laws."""
    return gamma_bregman(ap, bp, aq - ap, bq - bp)


@register_kl(gd.Exponential, gd.Exponential)
def _kl_exponential_exponential(p, q):
    r""":math:`e^t - 1 - t`, :math:`t = \log(\lambda_q/\lambda_p)`."""
    dt = common_dtype(p, q)
    rp, rq = params(dt, p.rate, q.rate)
    return _expm1_minus(log_ratio(rp, rq))


@register_kl(gd.Gamma, gd.Gamma)
def _kl_gamma_gamma(p, q):
    r""":math:`(\alpha_p - \alpha_q)\psi(\alpha_p) - \log\Gamma(\alpha_p) + \log\Gamma(\alpha_q)
    + \alpha_q \log(\beta_p/\beta_q) + \alpha_p (\beta_q - \beta_p)/\beta_p`."""
    dt = common_dtype(p, q)
    ap, bp, aq, bq = params(dt, p.concentration, p.rate, q.concentration, q.rate)
    return _gamma_kl(ap, bp, aq, bq)


@register_kl(gd.Exponential, gd.Gamma)
def _kl_exponential_gamma(p, q):
    dt = common_dtype(p, q)
    rp, aq, bq = params(dt, p.rate, q.concentration, q.rate)
    return _gamma_kl(jnp.ones_like(rp), rp, aq, bq)


@register_kl(gd.Gamma, gd.Exponential)
def _kl_gamma_exponential(p, q):
    dt = common_dtype(p, q)
    ap, bp, rq = params(dt, p.concentration, p.rate, q.rate)
    return _gamma_kl(ap, bp, jnp.ones_like(rq), rq)


def _beta_entropy(a, b):
    return betaln(a, b) - (a - 1) * digamma(a) - (b - 1) * digamma(b) + (a + b - 2) * digamma(a + b)


def dirichlet_bregman(a, da) -> jax.Array:
    r""":math:`KL(\mathrm{Dir}(a) \| \mathrm{Dir}(a + da))` (last axis) from the differences:
    :math:`\sum_i G(a_i, da_i) - G(a_0, da_0)`, :math:`a_0 = \sum_i a_i`, with :math:`G` the
    Bregman divergence of :math:`\log\Gamma` (:func:`lgamma_bregman`), each term accurate."""
    a0 = jnp.sum(a, -1)
    d0 = jnp.sum(da, -1)
    out = jnp.sum(lgamma_bregman(a, da), -1) - lgamma_bregman(a0, d0)
    return nonnegative(out)


@register_kl(gd.Beta, gd.Beta)
def _kl_beta_beta(p, q):
    r""":math:`\log\frac{B(a_q, b_q)}{B(a_p, b_p)} + (a_p - a_q)\psi(a_p) + (b_p - b_q)\psi(b_p)
    + (a_q - a_p + b_q - b_p)\psi(a_p + b_p)`, evaluated as
    :math:`G(a_p, a_q - a_p) + G(b_p, b_q - b_p) - G(a_p + b_p, a_q + b_q - a_p - b_p)`
    (:func:`lgamma_bregman`: accurate for nearby parameters)."""
    dt = common_dtype(p, q)
    ap, bp, aq, bq = params(
        dt, p.concentration1, p.concentration0, q.concentration1, q.concentration0
    )
    ap, bp, aq, bq = jnp.broadcast_arrays(ap, bp, aq, bq)
    a = jnp.stack([ap, bp], -1)
    return dirichlet_bregman(a, jnp.stack([aq - ap, bq - bp], -1))


@register_kl(gd.Dirichlet, gd.Dirichlet)
def _kl_dirichlet_dirichlet(p, q):
    r""":math:`\log\Gamma(\alpha_{p0}) - \log\Gamma(\alpha_{q0}) - \sum_i[\log\Gamma(\alpha_{pi})
    - \log\Gamma(\alpha_{qi})] + \sum_i (\alpha_{pi} - \alpha_{qi})(\psi(\alpha_{pi})
    - \psi(\alpha_{p0}))`, as a sum of Bregman divergences of :math:`\log\Gamma`."""
    dt = common_dtype(p, q)
    ap, aq = params(dt, p.concentration, q.concentration)
    if ap.shape[-1] != aq.shape[-1]:
        raise ValueError(
            f"kl: Dirichlet concentrations of sizes {ap.shape[-1]} and {aq.shape[-1]} (p and q "
            "must have the same number of categories)."
        )
    ap, aq = jnp.broadcast_arrays(ap, aq)
    return dirichlet_bregman(ap, aq - ap)


# ---------------------------------------------------------------------------- cross-family
@register_kl(gd.Normal, gd.Laplace)
def _kl_normal_laplace(p, q):
    r""":math:`-\tfrac12\log(2\pi e\sigma^2) + \log 2b + E|X - m|/b`, with
    :math:`E|X - m| = \sigma\sqrt{2/\pi}\, e^{-\delta^2/2\sigma^2} + \delta\,(1 - 2\Phi(-\delta/
    \sigma))`, :math:`\delta = \mu - m`."""
    from jax.scipy.special import erf

    mu, s, m, b = _loc_scale(p, q)
    delta = mu - m
    mean_abs = s * math.sqrt(2 / math.pi) * jnp.exp(-0.5 * (delta / s) ** 2) + delta * erf(
        delta / (s * math.sqrt(2))
    )
    return -0.5 * (_LOG_2PI + 1) - jnp.log(s) + jnp.log(2 * b) + mean_abs / b


@register_kl(gd.Laplace, gd.Normal)
def _kl_laplace_normal(p, q):
    r""":math:`-(1 + \log 2b) + \tfrac12\log 2\pi\sigma^2 + (2b^2 + (m - \mu)^2)/2\sigma^2`."""
    m, b, mu, s = _loc_scale(p, q)
    return (
        -(1 + jnp.log(2 * b))
        + 0.5 * _LOG_2PI
        + jnp.log(s)
        + (2 * b * b + (m - mu) ** 2) / (2 * s * s)
    )


@register_kl(gd.Normal, gd.Gumbel)
def _kl_normal_gumbel(p, q):
    r""":math:`-\tfrac12\log(2\pi e\sigma^2) + \log\beta + c + e^{-c + \sigma^2/2\beta^2}`,
    :math:`c = (\mu - m)/\beta`."""
    mu, s, m, b = _loc_scale(p, q)
    c = (mu - m) / b
    return -0.5 * (_LOG_2PI + 1) - jnp.log(s) + jnp.log(b) + c + jnp.exp(-c + 0.5 * (s / b) ** 2)


# Uniform(l, h) against a density q: -log(h - l) - E_U[log q].
def _uniform_params(p, q, *names):
    dt = common_dtype(p, q)
    lo, hi = params(dt, p.low, p.high)
    rest = params(dt, *[getattr(q, n) for n in names])
    if len(names) == 1:
        rest = (rest,)
    return (lo, hi, *rest)


def _mean_log_x(lo, hi):
    r""":math:`E_U[\log x]` for :math:`U(l, h)`, :math:`0 \le l`."""
    prim = lambda x: xlogy(x, x) - x
    return (prim(hi) - prim(lo)) / (hi - lo)


def _from_cross_entropy(lo, hi, mean_log_q, valid=None):
    out = -jnp.log(hi - lo) - mean_log_q
    return out if valid is None else jnp.where(valid, out, jnp.inf)


@register_kl(gd.Uniform, gd.Normal)
def _kl_uniform_normal(p, q):
    lo, hi, m, s = _uniform_params(p, q, "loc", "scale")
    second = (hi - lo) ** 2 / 12 + (0.5 * (lo + hi) - m) ** 2
    return _from_cross_entropy(lo, hi, -0.5 * _LOG_2PI - jnp.log(s) - second / (2 * s * s))


@register_kl(gd.Uniform, gd.Laplace)
def _kl_uniform_laplace(p, q):
    lo, hi, m, b = _uniform_params(p, q, "loc", "scale")
    mid = 0.5 * (lo + hi)
    inside = ((hi - m) ** 2 + (m - lo) ** 2) / (2 * (hi - lo))
    mean_abs = jnp.where(m <= lo, mid - m, jnp.where(m >= hi, m - mid, inside))
    return _from_cross_entropy(lo, hi, -jnp.log(2 * b) - mean_abs / b)


@register_kl(gd.Uniform, gd.Exponential)
def _kl_uniform_exponential(p, q):
    lo, hi, r = _uniform_params(p, q, "rate")
    return _from_cross_entropy(lo, hi, jnp.log(r) - r * 0.5 * (lo + hi), lo >= 0)


@register_kl(gd.Uniform, gd.Gamma)
def _kl_uniform_gamma(p, q):
    lo, hi, a, b = _uniform_params(p, q, "concentration", "rate")
    valid = lo >= 0
    lo_s = jnp.where(valid, lo, 0.0)
    mean_log_q = a * jnp.log(b) - gammaln(a) + (a - 1) * _mean_log_x(lo_s, hi) - b * 0.5 * (lo + hi)
    return _from_cross_entropy(lo, hi, mean_log_q, valid)


@register_kl(gd.Uniform, gd.HalfNormal)
def _kl_uniform_halfnormal(p, q):
    lo, hi, s = _uniform_params(p, q, "scale")
    second = (hi * hi + hi * lo + lo * lo) / 3
    mean_log_q = 0.5 * math.log(2 / math.pi) - jnp.log(s) - second / (2 * s * s)
    return _from_cross_entropy(lo, hi, mean_log_q, lo >= 0)


@register_kl(gd.Uniform, gd.LogNormal)
def _kl_uniform_lognormal(p, q):
    lo, hi, m, s = _uniform_params(p, q, "loc", "scale")
    valid = lo >= 0
    lo_s = jnp.where(valid, lo, 0.0)
    # primitives of log x and log^2 x (xlogy keeps x = 0 finite)
    p1 = lambda x: xlogy(x, x) - x
    p2 = lambda x: xlogy(x, x) * jnp.log(jnp.where(x > 0, x, 1.0)) - 2 * xlogy(x, x) + 2 * x
    width = hi - lo_s
    e1 = (p1(hi) - p1(lo_s)) / width
    e2 = (p2(hi) - p2(lo_s)) / width
    mean_sq = e2 - 2 * m * e1 + m * m
    mean_log_q = -e1 - jnp.log(s) - 0.5 * _LOG_2PI - mean_sq / (2 * s * s)
    return _from_cross_entropy(lo, hi, mean_log_q, valid)


@register_kl(gd.Uniform, gd.Gumbel)
def _kl_uniform_gumbel(p, q):
    lo, hi, m, b = _uniform_params(p, q, "loc", "scale")
    mean_z = (0.5 * (lo + hi) - m) / b
    mean_exp = b * (jnp.exp(-(lo - m) / b) - jnp.exp(-(hi - m) / b)) / (hi - lo)
    return _from_cross_entropy(lo, hi, -jnp.log(b) - mean_z - mean_exp)


@register_kl(gd.Uniform, gd.Cauchy)
def _kl_uniform_cauchy(p, q):
    lo, hi, m, s = _uniform_params(p, q, "loc", "scale")
    prim = lambda z: z * jnp.log1p(z * z) - 2 * z + 2 * jnp.arctan(z)
    mean = s * (prim((hi - m) / s) - prim((lo - m) / s)) / (hi - lo)
    return _from_cross_entropy(lo, hi, -math.log(math.pi) - jnp.log(s) - mean)


@register_kl(gd.Uniform, gd.StudentT)
def _kl_uniform_studentt(p, q):
    lo, hi, df, m, s = _uniform_params(p, q, "df", "loc", "scale")
    rdf = jnp.sqrt(df)
    prim = lambda z: z * jnp.log1p(z * z / df) - 2 * z + 2 * rdf * jnp.arctan(z / rdf)
    mean = s * (prim((hi - m) / s) - prim((lo - m) / s)) / (hi - lo)
    log_norm = (
        gammaln(0.5 * (df + 1)) - gammaln(0.5 * df) - 0.5 * jnp.log(df * math.pi) - jnp.log(s)
    )
    return _from_cross_entropy(lo, hi, log_norm - 0.5 * (df + 1) * mean)


@register_kl(gd.Uniform, gd.Beta)
def _kl_uniform_beta(p, q):
    lo, hi, a, b = _uniform_params(p, q, "concentration1", "concentration0")
    valid = (lo >= 0) & (hi <= 1)
    lo_s = jnp.where(valid, lo, 0.25)
    hi_s = jnp.where(valid, hi, 0.75)
    mean_log_x = _mean_log_x(lo_s, hi_s)
    mean_log_1mx = _mean_log_x(1 - hi_s, 1 - lo_s)
    mean_log_q = (a - 1) * mean_log_x + (b - 1) * mean_log_1mx - betaln(a, b)
    return _from_cross_entropy(lo, hi, mean_log_q, valid)


@register_kl(gd.Beta, gd.Uniform)
def _kl_beta_uniform(p, q):
    r""":math:`-H(p) + \log(h - l)` when :math:`[0, 1] \subseteq [l, h]`, else :math:`+\infty`."""
    dt = common_dtype(p, q)
    a, b, lo, hi = params(dt, p.concentration1, p.concentration0, q.low, q.high)
    return jnp.where((lo <= 0) & (hi >= 1), jnp.log(hi - lo) - _beta_entropy(a, b), jnp.inf)


def _infinite(p, q):
    """Support of p (unbounded) not inside the bounded support of q."""
    dt = common_dtype(p, q)
    shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    return jnp.full(shape, jnp.inf, dt)


for _cls in (
    gd.Normal, gd.Laplace, gd.Gumbel, gd.Cauchy, gd.StudentT, gd.Logistic, gd.Exponential,
    gd.Gamma, gd.HalfNormal, gd.LogNormal,
):  # fmt: skip
    register_kl(_cls, gd.Uniform)(_infinite)


# ---------------------------------------------------------------------------- discrete
def categorical_bregman(a, d) -> jax.Array:
    r""":math:`KL(p \| q)` for :math:`p \propto e^{a}`, :math:`q \propto e^{a + d}` (last axis).

    ``a`` may hold :math:`-\infty` (categories outside the support of p, which must hold
    :math:`d = 0`); ``d`` is finite on the support of p. The value is the Bregman divergence of
    the log-sum-exp, :math:`\log\sum_k p_k e^{d_k} - \sum_k p_k d_k`, invariant under adding a
    constant to d. With d centred at the mode of p and :math:`x = \sum_k p_k(e^{d_k} - 1)` it is
    :math:`[\log(1 + x) - x] + \sum_k p_k(e^{d_k} - 1 - d_k)`: second order in d, accurate for
    nearby laws (used where :math:`\log\sum_k p_k e^{d_k} \le 1`; beyond, the direct form,
    which does not cancel there).
    """
    lp = a - jax.nn.logsumexp(a, axis=-1, keepdims=True)
    on = lp > -jnp.inf
    ref = jnp.argmax(lp, axis=-1)[..., None]
    d = jnp.where(on, d, 0.0)
    d = d - jnp.take_along_axis(d, ref, axis=-1)
    lp_s = jnp.where(on, lp, -jnp.inf)
    p = jnp.exp(lp_s)
    lse = jax.nn.logsumexp(jnp.where(on, lp_s + d, -jnp.inf), axis=-1)
    near = lse <= 1.0
    dn = jnp.where(near[..., None], d, 0.0)
    small = jnp.abs(dn) < 1
    ds = jnp.where(small, dn, 0.0)
    dl = jnp.where(small, 0.0, dn)
    big = jnp.exp(jnp.where(on, lp_s + dl, -jnp.inf))
    x = jnp.sum(jnp.where(small, p * jnp.expm1(ds), big - p), -1)
    terms = jnp.where(small, p * _expm1_minus(ds), big - p - p * dl)
    close = log1p_minus(x) + jnp.sum(jnp.where(on, terms, 0.0), -1)
    far = lse - jnp.sum(jnp.where(on, p * d, 0.0), -1)
    return nonnegative(jnp.where(near, close, far))


def log_mass_outside(on, b) -> jax.Array:
    r""":math:`-\log Q(S)` for the set ``on`` (last axis) and log-weights ``b`` of q.

    ``-log1p(-Q(not S))`` where little mass lies outside (:math:`Q(\text{not } S) < 1/2`,
    accurate as :math:`Q(S) \to 1`), else :math:`-(\log\sum_S e^{b} - \log\sum e^{b})`
    directly (accurate as :math:`Q(S) \to 0`, where :math:`1 - Q(\text{not } S)` rounds to 0:
    a point mass against :math:`q = 10^{-30}` gives :math:`-\log q = 69.08`, not inf)."""
    total = jax.nn.logsumexp(b, axis=-1)
    # rows with no category outside S: -log Q(S) = 0, from dummy finite weights (a log-sum-exp
    # of only -inf has NaN derivatives, which the where below would not stop)
    any_out = jnp.any(~on, axis=-1)
    b_out = jnp.where(on, jnp.where(any_out[..., None], -jnp.inf, 0.0), b)
    out = jnp.where(any_out, jax.nn.logsumexp(b_out, axis=-1) - total, -jnp.inf)
    inside = jax.nn.logsumexp(jnp.where(on, b, -jnp.inf), axis=-1) - total
    mostly_in = out < -math.log(2.0)
    return jnp.where(
        mostly_in,
        -jnp.log1p(-jnp.exp(jnp.where(mostly_in, out, -1.0))),
        -jnp.where(mostly_in, -1.0, inside),
    )


def categorical_kl_logweights(a, b, d=None) -> jax.Array:
    r""":math:`KL(p \| q)` for unnormalised log-weights ``a``, ``b`` (last axis; :math:`-\infty`
    allowed): :math:`+\infty` where p weighs a category q does not; else, with S the support
    of p, :math:`KL(p \| q_S) - \log Q(S)` (:math:`q_S`: q conditioned on S). ``d``, if given,
    is :math:`b - a` computed more accurately (from probabilities, see :func:`pair_log_weights`).
    """
    on = a > -jnp.inf
    escape = jnp.any(on & (b == -jnp.inf), -1)
    ok = on & (b > -jnp.inf)
    if d is None:
        d = b - jnp.where(ok, a, 0.0)
    d = jnp.where(ok, d, 0.0)
    a_s = jnp.where(escape[..., None], jnp.where(on, 0.0, -jnp.inf), a)
    inside = categorical_bregman(a_s, jnp.where(escape[..., None], 0.0, d))
    outside = log_mass_outside(on, jnp.where(escape[..., None], 0.0, b))
    return jnp.where(escape, jnp.inf, inside + outside)


def bernoulli_log_weights(d, dt) -> jax.Array:
    r"""Log-weights ``[..., 2]`` (success, failure) of a Bernoulli, Binomial or Geometric record:
    ``[logits, 0]`` when it holds logits (differences of nearby logits stay exact), else
    :math:`[\log p, \log(1 - p)]`."""
    if getattr(d, "logits", None) is not None:
        t = jnp.asarray(d.logits, dt)
        return jnp.stack([t, jnp.zeros_like(t)], -1)
    l1, l0 = bernoulli_log_probs(d, dt)
    return jnp.stack([l1, l0], -1)


def pair_log_weights(p, q, dt) -> tuple[jax.Array, jax.Array, jax.Array | None]:
    r"""``(a, b, d)``: log-weights of two Bernoulli, Binomial or Categorical records (last axis)
    and :math:`d = b - a`, where both hold ``probs`` computed as :math:`\log(1 + (q_k - p_k)/p_k)`
    from the exact differences (for Bernoulli also :math:`(1 - q) - (1 - p) = p - q`), so that
    nearby laws keep their relative accuracy; else the difference of the log-weights."""
    if isinstance(p, gd.Categorical):
        a, b = raw_log_weights(p, dt), raw_log_weights(q, dt)
        if a.shape[-1] != b.shape[-1]:
            return a, b, None
        a, b = jnp.broadcast_arrays(a, b)
        if p.probs is not None and q.probs is not None:
            pp, qq = jnp.broadcast_arrays(jnp.asarray(p.probs, dt), jnp.asarray(q.probs, dt))
            return a, b, log_ratio(jnp.where(pp > 0, pp, 1.0), jnp.where(pp > 0, qq, 1.0))
        return a, b, b - a
    a, b = jnp.broadcast_arrays(bernoulli_log_weights(p, dt), bernoulli_log_weights(q, dt))
    if p.probs is not None and q.probs is not None:
        pp, qq = jnp.broadcast_arrays(jnp.asarray(p.probs, dt), jnp.asarray(q.probs, dt))
        x = jnp.stack([pp, 1 - pp], -1)
        y = jnp.stack([qq, 1 - qq], -1)
        dx = jnp.stack([qq - pp, pp - qq], -1)
        ok = (x > 0) & (y > 0)
        d = log1p_rel(jnp.where(ok, x, 1.0), jnp.where(ok, dx, 0.0), jnp.where(ok, y, 1.0))
        return a, b, d
    return a, b, b - a


@register_kl(gd.Bernoulli, gd.Bernoulli)
def _kl_bernoulli_bernoulli(p, q):
    r""":math:`p\log\frac{p}{q} + (1 - p)\log\frac{1 - p}{1 - q}`, as the Bregman divergence of
    the log-normaliser (:func:`categorical_bregman`): accurate for nearby laws, 0 between equal
    ones, :math:`-\log(1 - q)` from a point mass at 0."""
    dt = common_dtype(p, q)
    return categorical_kl_logweights(*pair_log_weights(p, q, dt))


@register_kl(gd.Categorical, gd.Categorical)
def _kl_categorical_categorical(p, q):
    r""":math:`\sum_k p_k (\log p_k - \log q_k)` over the last axis, as the Bregman divergence
    of the log-sum-exp at the logits as given (:func:`categorical_bregman`)."""
    dt = common_dtype(p, q)
    a, b, d = pair_log_weights(p, q, dt)
    check_same_categories("kl", a.shape[-1], b.shape[-1])
    return categorical_kl_logweights(a, b, d)


@register_kl(gd.Binomial, gd.Binomial)
def _kl_binomial_binomial(p, q):
    r""":math:`n\,KL(\mathrm{Bern}(p) \| \mathrm{Bern}(q))` for equal ``total_count`` n;
    :math:`+\infty` when :math:`n_p > n_q`; NaN when :math:`n_p < n_q` (no closed form: use
    :func:`kl_estimate`)."""
    dt = common_dtype(p, q)
    n_p, n_q = params(dt, p.total_count, q.total_count)
    per_trial = _kl_bernoulli_bernoulli(p, q)
    same = n_p == n_q
    return jnp.where(
        same, jnp.where(n_p == 0, 0.0, n_p * per_trial), jnp.where(n_p > n_q, jnp.inf, jnp.nan)
    )


def poisson_bregman(log_rate, delta) -> jax.Array:
    r""":math:`KL(\mathrm{Poisson}(\lambda) \| \mathrm{Poisson}(\lambda e^{\delta}))
    = \lambda(e^\delta - 1 - \delta)`, :math:`\lambda = e^{\text{log_rate}}`."""
    small = jnp.abs(delta) < 1
    ds = jnp.where(small, delta, 0.0)
    dl = jnp.where(small, 0.0, delta)
    # far: e^(t + d) - e^t (1 + d), so that an underflowing rate never multiplies an overflow
    far = jnp.exp(log_rate + dl) - jnp.exp(log_rate) * (1 + dl)
    return jnp.where(small, jnp.exp(log_rate) * _expm1_minus(ds), far)


@register_kl(gd.Poisson, gd.Poisson)
def _kl_poisson_poisson(p, q):
    r""":math:`\lambda_p \log(\lambda_p/\lambda_q) - (\lambda_p - \lambda_q)
    = \lambda_p(e^\delta - 1 - \delta)`, :math:`\delta = \log(\lambda_q/\lambda_p)` (a
    ``log1p`` of the exact difference for nearby rates); :math:`\lambda_q` when
    :math:`\lambda_p = 0`."""
    dt = common_dtype(p, q)
    rp, rq = params(dt, p.rate, q.rate)
    rp, rq = jnp.broadcast_arrays(rp, rq)
    zero_p = rp == 0
    zero_q = rq == 0
    regular = ~zero_p & ~zero_q
    rps = jnp.where(regular, rp, 1.0)
    rqs = jnp.where(regular, rq, 1.0)
    value = rps * _expm1_minus(log_ratio(rps, rqs))
    return jnp.where(regular, value, jnp.where(zero_p, rq, jnp.inf))


def geometric_bregman(log_fail, delta, target=None) -> jax.Array:
    r""":math:`KL(\mathrm{Geom}(p) \| \mathrm{Geom}(q))` from :math:`f = \log(1 - p)` and
    :math:`\delta = \log(1 - q) - f`: with :math:`w = (1 - p)/p` (the mean number of failures)
    and :math:`x = -w(e^\delta - 1) = q/p - 1`,
    :math:`KL = [x - \log(1 + x)] + w(e^\delta - 1 - \delta)`, both terms nonnegative.
    ``target``: :math:`\log(1 - q)` itself when known exactly (used for distant laws)."""
    f = log_fail
    p = -jnp.expm1(f)
    fail = jnp.exp(f)
    small = jnp.abs(delta) < 1
    ds = jnp.where(small, delta, 0.0)
    dl = jnp.where(small, 0.0, delta)
    fail_q = jnp.exp(f + dl if target is None else jnp.where(small, 0.0, target))
    # every quotient by p through _ratio: its derivative has no 1/p^2, which overflows float32
    # at p = 1e-30 (an inf times the zero derivative of the terms at identical laws was NaN)
    x = _ratio(jnp.where(small, -fail * jnp.expm1(ds), fail - fail_q), p)
    tail = _ratio(jnp.where(small, fail * _expm1_minus(ds), fail_q - fail * (1 + dl)), p)
    return nonnegative(-log1p_minus(x) + tail)


def geometric_delta(p, q, dt, lp0, lq0) -> jax.Array:
    r""":math:`\log(1 - q) - \log(1 - p)`; from probabilities as
    :math:`\log(1 + (p - q)/(1 - p))` (the difference exact), else from the log-probabilities."""
    if p.probs is not None and q.probs is not None:
        pp, qq = jnp.broadcast_arrays(jnp.asarray(p.probs, dt), jnp.asarray(q.probs, dt))
        ok = (pp < 1) & (qq < 1)
        return jnp.where(
            ok, log1p_rel(jnp.where(ok, 1 - pp, 1.0), jnp.where(ok, pp - qq, 0.0)), 0.0
        )
    return lq0 - jnp.where(lp0 > -jnp.inf, lp0, 0.0)


@register_kl(gd.Geometric, gd.Geometric)
def _kl_geometric_geometric(p, q):
    r""":math:`\frac{1 - p}{p}\log\frac{1 - p}{1 - q} + \log\frac{p}{q}` (the mean number of
    failures times the log-ratio of failure probabilities), as :func:`geometric_bregman`;
    :math:`-\log q` from the point mass :math:`p = 1`."""
    dt = common_dtype(p, q)
    lp1, lp0 = bernoulli_log_probs(p, dt)
    lq1, lq0 = bernoulli_log_probs(q, dt)
    lp1, lp0, lq1, lq0 = jnp.broadcast_arrays(lp1, lp0, lq1, lq0)
    point_p = lp0 == -jnp.inf
    point_q = lq0 == -jnp.inf
    regular = ~point_p & ~point_q
    f = jnp.where(regular, lp0, -1.0)
    delta = jnp.where(regular, geometric_delta(p, q, dt, lp0, lq0), 0.0)
    value = geometric_bregman(f, delta, jnp.where(regular, lq0, -1.0))
    degenerate = jnp.where(point_p, -lq1, jnp.inf)  # q = 1, p < 1: p has mass outside {0}
    return jnp.where(regular, value, degenerate)


# ---------------------------------------------------------------------------- multivariate
def _kl_gaussians(p, q):
    r"""Multivariate normals in any parameterisation (full, diagonal, low-rank, mixed)."""
    if not (is_gaussian(p) and is_gaussian(q)):
        raise NotImplementedError(
            f"kl: no closed form registered for KL({type(p).__name__} || {type(q).__name__}). "
            "Use gmath.divergences.kl_estimate(key, p, q, num_samples)."
        )
    dt = common_dtype(p, q)
    return gaussian_kl(as_gaussian(p, dt), as_gaussian(q, dt))


for _a in GAUSSIAN_CLASSES:
    for _b in GAUSSIAN_CLASSES:
        if not (_a is gd.Independent and _b is gd.Independent):
            register_kl(_a, _b)(_kl_gaussians)


@register_kl(gd.Independent, gd.Independent)
def _kl_independent_independent(p, q):
    r""":math:`\sum` of the base KLs over the reinterpreted batch dimensions."""
    n_p, n_q = int(p.reinterpreted_batch_ndims), int(q.reinterpreted_batch_ndims)
    if n_p != n_q:
        if is_gaussian(p) and is_gaussian(q):
            return _kl_gaussians(p, q)
        raise ValueError(f"kl: Independent records with reinterpreted_batch_ndims {n_p} and {n_q}.")
    base = kl(p.base, q.base)
    return jnp.sum(base, axis=tuple(range(base.ndim - n_p, base.ndim))) if n_p else base
