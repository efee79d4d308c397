r"""Numerics of the counting families (Binomial, Poisson) that stay finite under autodiff.

:func:`deviance` is Loader's :math:`D(x, m) = x\log(x/m) + m - x` written so that neither its
value nor its gradient overflows or turns NaN at any parameter: at tiny or zero means, where the
ratio :math:`x/m` overflows, it takes :math:`\log(x/m)` as a difference of logarithms, and each
branch of every ``where`` is evaluated at a sanitised argument (the double-``where`` rule), so
that the branch not taken contributes a zero, never ``0 * inf``, to the gradient.
:func:`poisson_entropy_series` and :func:`lattice_entropy_series` give the entropy of a law of
large variance by its asymptotic expansion.
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp

__all__ = [
    "deviance",
    "lattice_entropy_series",
    "poisson_entropy_series",
    "reciprocal",
    "with_boundary_slope",
]

_HALF_LOG_2PI_E = 0.5 * math.log(2 * math.pi * math.e)


@jax.custom_jvp
def reciprocal(m):
    r""":math:`1/m` with the derivative :math:`-t/m^2` evaluated as :math:`-(t/m)/m`.

    Autodiff of ``1 / m`` squares ``m`` first, which underflows for :math:`m < 10^{-154}`
    (float64; :math:`10^{-19}` in float32) and turns a finite derivative of
    :math:`\log(x/m)` into ``inf``; this order keeps every intermediate finite where
    :math:`1/m` is.
    """
    return 1 / m


@reciprocal.defjvp
def _reciprocal_jvp(primals, tangents):
    (m,), (t,) = primals, tangents
    r = 1 / m
    return r, -(t * r) * r


def deviance(x, m, inv_m, scale, shift):
    r"""Loader's deviance :math:`D(x, m) = x\log(x/m) + m - x \ge 0` for :math:`x > 0`,
    :math:`m \ge 0`.

    ``x`` is per point; ``m``, ``inv_m``, ``scale`` and ``shift`` are per distribution (computed
    once by the caller, not per point):

    - ``inv_m`` :math:`= 1/m` where ``m`` is a normal number (any finite value elsewhere: the
      series below is not used there);
    - ``scale`` and ``shift`` such that :math:`\log(x/m) = \log(x\cdot\text{scale})
      + \text{shift}` with ``x * scale`` finite for every ``x`` the caller passes: the caller
      chooses ``scale = inv_m, shift = 0`` where that ratio cannot overflow and the logarithm of
      a scaled ratio plus a finite ``shift`` elsewhere (a zero or subnormal mean), so that the
      value stays finite (and exact) where the naive ratio would overflow.

    Near :math:`x = m` the direct formula cancels and a series is summed instead: in float64
    :func:`gmath._numerics.bd0`'s :math:`(x - m)v + 2x\sum_{j\ge1} v^{2j+1}/(2j+1)`,
    :math:`v = (x - m)/(x + m)`, :math:`|v| < 0.1` (12 terms, truncation below 1e-26 relative);
    in lower precision :math:`m\,h(u)` with :math:`h(u) = \sum_{j\ge2}(-1)^j u^j/(j(j-1))`,
    :math:`u = (x - m)/m`, :math:`|u| < 0.2` (10 terms, truncation below 1e-8 relative; no
    division per point). Each series is evaluated at 0 where unused, and the direct formula at
    finite arguments, so gradients are finite wherever :math:`D` is.

    References:
      Loader, C. (2000). Fast and accurate computation of binomial probabilities
      [@loader2000binomial].
    """
    dtype = jnp.result_type(x, m)
    d = x - m
    normal = m >= jnp.finfo(dtype).tiny
    if dtype == jnp.float64:
        s = x + m
        near = (jnp.abs(d) < 0.1 * s) & normal
        v = jnp.where(near, d, 0.0) / jnp.where(near, s, 1.0)
        v2 = v * v
        total = jnp.zeros_like(v)
        for j in range(12, 0, -1):  # Horner in v^2: sum_j v^(2j) / (2j + 1)
            total = (total + 1.0 / (2 * j + 1)) * v2
        series = jnp.where(near, d, 0.0) * v + 2 * x * v * total
    else:
        u = d * inv_m
        near = (jnp.abs(u) < 0.2) & normal
        us = jnp.where(near, u, 0.0)
        total = jnp.zeros_like(us)
        for j in range(11, 1, -1):  # Horner: u^2 (1/2 - u (1/6 - u (1/12 - ...)))
            total = total * us + (-1) ** j / (j * (j - 1))
        series = m * (us * us * total)
    direct = x * (jnp.log(x * scale) + shift) - d
    return jnp.where(near, series, direct)


def poisson_entropy_series(rate):
    r"""Entropy of a Poisson law of large rate :math:`\lambda` by its asymptotic expansion,

    .. math::
        H(\lambda) = \tfrac12\log(2\pi e\lambda) - \frac{1}{12\lambda} - \frac{1}{24\lambda^2}
        - \frac{19}{360\lambda^3} + O(\lambda^{-4}),

    (Evans, Boersma, Blachman and Jagers 1988), accurate to 1e-16 relative for
    :math:`\lambda \ge 10^4` (the next term is of order :math:`\lambda^{-4}`).

    References:
      Evans, R. J., Boersma, J., Blachman, N. M. and Jagers, A. A. (1988). The entropy of a
      Poisson distribution. SIAM Review 30(2), 314--317 [@evans1988entropy].
    """
    r = 1 / rate
    return _HALF_LOG_2PI_E + 0.5 * jnp.log(rate) - r * (1 / 12 + r * (1 / 24 + r * (19 / 360)))


def lattice_entropy_series(variance, skewness_sq, excess_kurtosis):
    r"""Entropy of a lattice law of large variance (a sum of many independent lattice variables)
    from its Edgeworth expansion,

    .. math::
        H = \tfrac12\log(2\pi e\sigma^2) - \Bigl(\frac{\gamma_1^2}{12} + \frac{\gamma_2^2}{48}
        + \frac{7\gamma_1^4}{48} - \frac{\gamma_1^2\gamma_2}{8}\Bigr) + O(\sigma^{-6}),

    with the standardised cumulants :math:`\gamma_1 = \kappa_3/\sigma^3` (its square passed as
    ``skewness_sq``) and :math:`\gamma_2 = \kappa_4/\sigma^4`, both :math:`O(\sigma^{-2})` in
    :math:`\gamma_1^2` and :math:`\gamma_2`. The bracket is the negentropy of the Edgeworth density
    to second order (Comon 1994, section 3; the lattice sum differs from the integral of its
    interpolant by :math:`O(e^{-2\pi^2\sigma^2})`, Poisson summation). For the Poisson law it is
    the series of :func:`poisson_entropy_series` to :math:`\lambda^{-2}`.

    References:
      Comon, P. (1994). Independent component analysis, a new concept? Signal Processing 36,
      287--314 [@comon1994independent].
    """
    g1 = skewness_sq
    g2 = excess_kurtosis
    negentropy = g1 / 12 + g2 * g2 / 48 + 7 * g1 * g1 / 48 - g1 * g2 / 8
    return _HALF_LOG_2PI_E + 0.5 * jnp.log(variance) - negentropy


@functools.partial(jax.custom_jvp, nondiff_argnums=(0, 1))
def with_boundary_slope(fn, boundary, x):
    r"""``fn(x)`` (elementwise in ``x``) whose derivative is infinite where ``x`` is on a boundary.

    ``boundary(x)`` returns ``(mask, slope, x_safe)``: where ``mask``, the derivative is
    ``slope`` (:math:`\pm\infty`); elsewhere it is ``fn``'s own, evaluated at ``x_safe``
    (``x`` there, any interior point where ``mask``), so that no ``0 * inf`` of the boundary
    reaches the gradient. For entropies of point masses, :math:`-p\log p` has slope
    :math:`+\infty` at :math:`p = 0`, which autodiff of a masked lattice sum cannot produce.
    """
    return fn(x)


@with_boundary_slope.defjvp
def _with_boundary_slope_jvp(fn, boundary, primals, tangents):
    (x,), (t,) = primals, tangents
    mask, slope, x_safe = boundary(x)
    _, dy = jax.jvp(fn, (x_safe,), (jnp.where(mask, jnp.zeros_like(t), t),))
    slope = jnp.where(mask, slope, 0.0)  # else the transpose computes 0 * inf off the boundary
    return fn(x), jnp.where(mask, slope * t, dy)
