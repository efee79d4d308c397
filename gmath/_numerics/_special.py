r"""Special functions the families need, and a safeguarded inverter for monotone CDFs.

JAX provides the incomplete gamma and beta functions but not their inverses; families whose
quantile function has no closed form (Gamma, Beta, StudentT, VonMises) invert their CDF with
:func:`invert_cdf`, a bracketed Newton iteration that falls back to bisection.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.scipy import special as jsp

__all__ = [
    "bd0",
    "bd0_scaled",
    "betaln",
    "digamma",
    "gammainc",
    "gammainc_pq",
    "gammaincc",
    "gammaln",
    "i0e",
    "i1e",
    "invert_cdf",
    "log1pmx",
    "psi_minus_log",
    "stirlerr",
    "xlog1py",
    "xlogy",
]

digamma = jsp.digamma
gammainc = jsp.gammainc
gammaincc = jsp.gammaincc
gammaln = jsp.gammaln
i0e = jsp.i0e
i1e = jsp.i1e
xlogy = jsp.xlogy
xlog1py = jsp.xlog1py

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def _stirling_series(x):
    """Five terms of Stirling's series for the remainder (x >= 5: truncation below 3e-9
    relative; x > 15: below 1e-17)."""
    x2 = x * x
    return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / (1188 * x2)) / x2) / x2) / x2) / x


# x delta(x) on [1/3, 5] as a polynomial of degree 17 in s = (1/x - 1.6) / 1.4 (s in [-1, 1]):
# a Chebyshev least-squares fit to mpmath at 4000 points, converted to powers of s; its
# relative error is 6e-11 in the value and 4e-8 in the derivative (mpmath), so that in float32
# rounding dominates (1.04 and 1.43 ulps over the interval, against 2.1 and 3.5 for the
# recurrence it replaces: five climbing steps of up to 18 series terms each, 458 HLO lines per
# call against 178, and most of the float32 programs of the incomplete beta function)
_MIDDLE = (
    0.07852588496181159,
    -0.006262105027711774,
    -0.00045287411685340236,
    0.0006615950737667353,
    -0.00032706280105565435,
    0.00011901536906709302,
    -2.9149963724811713e-05,
    -1.4410256408766123e-06,
    7.888886860902915e-06,
    -6.877063775561109e-06,
    5.3379926728472134e-06,
    -3.1580300809311826e-06,
    -3.523915437784715e-08,
    4.114491349213008e-07,
    1.3363355502949892e-06,
    -6.994025560344104e-07,
    -6.982553180227088e-07,
    4.305098394175742e-07,
)
_MIDDLE_FROM, _SERIES_FROM = 1 / 3, 5.0


def _stirlerr_middle(x):
    r""":math:`\delta(x)` for :math:`1/3 \le x \le 5` from ``_MIDDLE``."""
    t = 1 / x
    s = (t - 1.6) / 1.4
    total = jnp.zeros_like(s) + _MIDDLE[-1]
    for c in _MIDDLE[-2::-1]:
        total = total * s + c
    return total * t


def stirlerr(x):
    r"""Stirling-series remainder :math:`\delta(x) = \log\Gamma(x + 1) - (x + \tfrac12)\log x + x
    - \tfrac12\log 2\pi` for :math:`x > 0`.

    The series :math:`\frac{1}{12x} - \frac{1}{360x^3} + \frac{1}{1260x^5} - \frac{1}{1680x^7}
    + \frac{1}{1188x^9}` above 15 (truncation below 1e-17). Below, in float64, ``gammaln``
    (absolute error a few ulps of :math:`\log\Gamma(16) \approx 28`); in lower precision that
    cancellation would cost all but a few bits, so the series is used from 5 up (truncation below
    3e-9 relative), a polynomial in :math:`1/x` fitted to :math:`x\delta(x)` on
    :math:`[1/3, 5]` (``_MIDDLE``, relative error 6e-11), and below 1/3 one step of the
    recurrence :math:`\delta(x) = \delta(x + 1) + (x + \tfrac12)\log(1 + 1/x) - 1` (the step
    above 0.15 there: no cancellation). Loader (2000) [@loader2000binomial].

    Examples:
      >>> round(float(stirlerr(1.0)), 12)  # 1 - log(sqrt(2 pi))
      0.081061466795
    """
    x = jnp.asarray(x)
    if jnp.dtype(x.dtype) == jnp.float64:
        big = x > 15
        xb = jnp.where(big, x, 16.0)
        xs = jnp.where(big, 1.0, x)
        direct = gammaln(xs + 1) - (xs + 0.5) * jnp.log(xs) + xs - _HALF_LOG_2PI
        return jnp.where(big, _stirling_series(xb), direct)
    positive = x > 0
    y = jnp.where(positive, x, 1.0)  # 0 and below: NaN / inf from gammaln below
    low = y < _MIDDLE_FROM
    yl = jnp.where(low, y, 1.0)
    step = jnp.where(low, (yl + 0.5) * jnp.log1p(1 / yl) - 1, 0.0)
    y = jnp.where(low, y + 1, y)
    big = y >= _SERIES_FROM
    middle = _stirlerr_middle(jnp.where(big, 1.0, y))
    out = jnp.where(big, _stirling_series(jnp.where(big, y, _SERIES_FROM)), middle) + step
    at_zero = gammaln(x + 1) - (x + 0.5) * jnp.log(x) + x - _HALF_LOG_2PI
    return jnp.where(positive, out, at_zero)


_PSI_SERIES_FROM = 8.0
# -B_2k / (2k) for k = 1..7 (Bernoulli numbers): psi(x) - log x + 1/(2x) = sum_k c_k x^(-2k)
_PSI_SERIES = (-1 / 12, 1 / 120, -1 / 252, 1 / 240, -1 / 132, 691 / 32760, -1 / 12)


def psi_minus_log(x):
    r""":math:`L(x) = \psi(x) - \log x` for :math:`x > 0` without cancellation at large
    :math:`x`: from 8 up the asymptotic series :math:`-\frac1{2x} - \sum_{k=1}^{7}
    \frac{B_{2k}}{2k\,x^{2k}}` (DLMF 5.11.2; truncation below :math:`2\cdot 10^{-14}`
    absolute), below ``digamma(x) - log(x)``. The entropies of the gamma-based families are
    written with :math:`L` and :func:`stirlerr`, whose large parts cancel analytically.

    Examples:
      >>> round(float(psi_minus_log(1.0)), 12)  # -Euler's gamma
      -0.577215664902
    """
    x = jnp.asarray(x)
    big = x >= _PSI_SERIES_FROM
    xb = jnp.where(big, x, _PSI_SERIES_FROM)
    xs = jnp.where(big, 1.0, x)
    inv2 = 1 / (xb * xb)
    total = jnp.zeros_like(inv2)
    for c in reversed(_PSI_SERIES):
        total = (total + c) * inv2
    series = total - 0.5 / xb
    return jnp.where(big, series, digamma(xs) - jnp.log(xs))


# Taylor coefficients in eta of Temme's c_k(eta), k = 0..5 (DLMF 8.12.8-8.12.10: c_0 = 1/(lambda -
# 1) - 1/eta, c_k = c_{k-1}'/eta + (-1)^k g_k/(lambda - 1), g_k Stirling's coefficients of
# DLMF 5.11.3), generated with power-series arithmetic in mpmath at 60 digits (c_0: -1/3, 1/12,
# -2/135, 1/864, ...; c_1: -1/540, -1/288, ...: Temme 1979, DiDonato and Morris 1986, table 1).
_TEMME = (
    (
        -0.3333333333333333,
        0.08333333333333333,
        -0.014814814814814815,
        0.0011574074074074073,
        0.0003527336860670194,
        -0.0001787551440329218,
        3.919263178522438e-05,
        -2.185448510679992e-06,
        -1.85406221071516e-06,
        8.296711340953087e-07,
        -1.7665952736826078e-07,
        6.707853543401498e-09,
        1.0261809784240309e-08,
        -4.382036018453353e-09,
        9.14769958223679e-10,
        -2.5514193994946248e-11,
        -5.830772132550426e-11,
        2.4361948020667415e-11,
        -5.0276692801141755e-12,
        1.1004392031956135e-13,
        3.371763262400985e-13,
        -1.392388722418162e-13,
        2.8534893807047445e-14,
        -5.139111834242572e-16,
        -1.9752288294349442e-15,
    ),
    (
        -0.001851851851851852,
        -0.003472222222222222,
        0.0026455026455026454,
        -0.0009902263374485596,
        0.00020576131687242798,
        -4.018775720164609e-07,
        -1.8098550334489977e-05,
        7.64916091608111e-06,
        -1.6120900894563446e-06,
        4.647127802807434e-09,
        1.378633446915721e-07,
        -5.752545603517705e-08,
        1.1951628599778148e-08,
        -1.7543241719747647e-11,
        -1.0091543710600413e-09,
        4.162792991842583e-10,
        -8.56390702649298e-11,
        6.067215101604758e-14,
        7.1624989648114856e-12,
        -2.933186643771437e-12,
        5.996696365683689e-13,
        -2.1671786527323313e-16,
        -4.978339972369262e-14,
        2.0291628823713425e-14,
        -4.13125571381061e-15,
    ),
    (
        0.004133597883597883,
        -0.0026813271604938273,
        0.0007716049382716049,
        2.0093878600823047e-06,
        -0.0001073665322636516,
        5.2923448829120125e-05,
        -1.2760635188618728e-05,
        3.423578734096138e-08,
        1.3721957309062934e-06,
        -6.298992138380055e-07,
        1.4280614206064242e-07,
        -2.0477098421990866e-10,
        -1.409252991086752e-08,
        6.228974084922022e-09,
        -1.3670488396617114e-09,
        9.428356159014678e-13,
        1.2872252400089318e-10,
        -5.5645956134363323e-11,
        1.197593554636698e-11,
        -4.1689782251838634e-15,
        -1.0940640427884595e-12,
        4.662239946390136e-13,
        -9.905105763906907e-14,
        1.8931876768373515e-17,
    ),
    (
        0.0006494341563786008,
        0.00022947209362139917,
        -0.0004691894943952557,
        0.00026772063206283885,
        -7.561801671883977e-05,
        -2.396505113867297e-07,
        1.1082654115347302e-05,
        -5.6749528269915965e-06,
        1.4230900732435883e-06,
        -2.7861080291528143e-11,
        -1.6958404091930278e-07,
        8.099464905388083e-08,
        -1.9111168485973655e-08,
        2.3928620439808118e-12,
        2.0620131815488797e-09,
        -9.460496661855133e-10,
        2.1541049775774907e-10,
        -1.388823336813903e-14,
        -2.1894761681963938e-11,
        9.790998951171684e-12,
        -2.178219188018096e-12,
    ),
    (
        -0.0008618882909167117,
        0.0007840392217200666,
        -0.0002990724803031902,
        -1.4638452578843418e-06,
        6.641498215465122e-05,
        -3.968365047179435e-05,
        1.1375726970678419e-05,
        2.507497226237533e-10,
        -1.6954149536558305e-06,
        8.907507532205309e-07,
        -2.292934834000805e-07,
        2.956794137544049e-11,
        2.8865829742708783e-08,
        -1.4189739437803219e-08,
        3.4463580499464896e-09,
        -2.3024517174528067e-13,
        -3.9409233028046403e-10,
        1.86023389685045e-10,
    ),
    (
        -0.00033679855336635813,
        -6.972813758365857e-05,
        0.0002772753244959392,
        -0.00019932570516188847,
        6.797780477937208e-05,
        1.419062920643967e-07,
        -1.3594048189768693e-05,
        8.018470256334202e-06,
        -2.291481176508095e-06,
        -3.252473551298454e-10,
        3.4652846491085265e-07,
        -1.8447187191171344e-07,
        4.8240967037894184e-08,
        -1.7989466721743514e-14,
        -6.306194500013523e-09,
    ),
)
_TEMME_FROM = 200.0
_TEMME_ETA = 1.0


@jax.custom_jvp
def _relative_excess(z, a):
    """``(z - a) / a``, not ``z / a - 1``: ``z - a`` is exact near the mean (Sterbenz), so the
    result keeps its relative accuracy (``z / a - 1`` errs by eps absolute: 1e-6 relative at
    1e-10)."""
    return (z - a) / a


@_relative_excess.defjvp
def _relative_excess_jvp(primals, tangents):
    # d/da = -z/a^2 as -(t + 1)/a: automatic differentiation forms a^-2, which float32 flushes
    # to 0 for a > 2e19 (the derivative in a of Gamma(1e20).log_survival(2e20) was 0.19, not
    # log 2)
    z, a = primals
    dz, da = tangents
    t = _relative_excess(z, a)
    return t, (dz - (t + 1) * da) / a


def _temme_eta(a, z):
    r""":math:`\eta = \operatorname{sign}(\lambda - 1)\sqrt{2(\lambda - 1 - \log\lambda)}`,
    :math:`\lambda = z/a` (no cancellation near :math:`\lambda = 1`)."""
    # eta = t sqrt(2 phi(t)), t = lambda - 1, phi(t) = (t - log(1 + t))/t^2: smooth through
    # t = 0 (no kink of sqrt for automatic differentiation); phi by its series near 0
    t = _relative_excess(z, a)
    near = jnp.abs(t) < 1e-3
    tf = jnp.where(near, 1.0, t)
    far = -log1pmx(tf, jnp.log1p(tf)) / (tf * tf)
    tn = jnp.where(near, t, 0.0)
    series = jnp.zeros_like(tn)
    for j in range(8, 1, -1):
        series = series * (-tn) + 1.0 / j
    return t * jnp.sqrt(2 * jnp.where(near, series, far))


def temme_series(a, eta):
    r""":math:`\sum_{k=0}^{5} c_k(\eta)\,a^{-k}`, the sum in the remainder :math:`R` of Temme's
    uniform expansion (DLMF 8.12.8; see :func:`gammainc_pq`), for :math:`|\eta| \le 1`.

    Below float64 only :math:`k \le 3` and 16 Taylor terms of each :math:`c_k` are summed: the
    sum then errs by at most 2.1e-10 relative for :math:`a \ge 200` (against all six orders
    and 25 terms, measured on :math:`|\eta| \le 1`), below float32's rounding."""
    total = jnp.zeros_like(eta)
    inv_a = 1 / a
    wide = jnp.dtype(eta.dtype) == jnp.float64
    orders, terms = (len(_TEMME), None) if wide else (4, 16)
    for coefs in reversed(_TEMME[:orders]):
        ck = jnp.zeros_like(eta)
        for c in reversed(coefs[:terms]):
            ck = ck * eta + c
        total = total * inv_a + ck
    return total


def gammainc_pq(a, z):
    r"""Regularized incomplete gamma functions :math:`(P(a, z), Q(a, z))`, accurate for large
    :math:`a`.

    For :math:`a \ge 200` and :math:`|\eta| \le 1` (:math:`z/a \in [0.3, 2.4]` roughly; beyond,
    :math:`P` or :math:`Q` is below :math:`e^{-a/2}`) Temme's uniform expansion

    .. math::
        Q(a, z) = \tfrac12\operatorname{erfc}\bigl(\eta\sqrt{a/2}\bigr) + R, \quad
        P(a, z) = \tfrac12\operatorname{erfc}\bigl(-\eta\sqrt{a/2}\bigr) - R, \quad
        R = \frac{e^{-a\eta^2/2}}{\sqrt{2\pi a}}\sum_{k=0}^{5} c_k(\eta)\,a^{-k}

    (DLMF 8.12.3-8.12.10; the :math:`c_k` by 25 Taylor terms in :math:`\eta`, truncation below
    1e-16; six orders: :math:`a^{-6} < 2\cdot10^{-14}` of :math:`R`), in plain JAX operations
    (differentiable in both arguments). Elsewhere ``jax.scipy.special.gammainc``/``gammaincc``,
    whose prefactor :math:`e^{a\log z - z - \log\Gamma(a)}` loses :math:`\sim a` ulps
    (float32 Gamma(1e8).cdf(1e8) gave 0.084; float64 0.5000134299 for 0.5000132981).

    References:
      Temme (1979). The asymptotic expansion of the incomplete gamma functions. SIAM J. Math.
      Anal. 10, 757-766. DiDonato and Morris (1986). Computation of the incomplete gamma
      function ratios and their inverse. ACM TOMS 12, 377-393. DLMF 8.12 [@dlmf].

    Examples:
      >>> p, q = gammainc_pq(1e4, 1e4)
      >>> round(float(p), 10), round(float(q), 10)
      (0.5013298083, 0.4986701917)
    """
    a, z = jnp.broadcast_arrays(*map(jnp.asarray, (a, z)))
    valid = (a > 0) & (z >= 0)
    a_ok = jnp.where(valid, a, 1.0)
    z_ok = jnp.where(valid, z, 1.0)
    eta_any = _temme_eta(jnp.where(valid, a_ok, _TEMME_FROM), jnp.where(valid, z_ok, _TEMME_FROM))
    use = valid & (a >= _TEMME_FROM) & (jnp.abs(eta_any) <= _TEMME_ETA) & (z < jnp.inf)

    def temme():
        at = jnp.where(use, a, _TEMME_FROM)
        eta = jnp.where(use, _temme_eta(at, jnp.where(use, z, _TEMME_FROM)), 0.0)
        total = temme_series(at, eta)
        r = jnp.exp(-0.5 * at * eta * eta) / jnp.sqrt(2 * jnp.pi * at) * total
        arg = eta * jnp.sqrt(0.5 * at)
        return 0.5 * jax.lax.erfc(-arg) - r, 0.5 * jax.lax.erfc(arg) + r

    # skipped (a branch under jit, a select under vmap) when no element is in the region
    zeros = jnp.zeros(use.shape, jnp.result_type(a, z, float))
    p_temme, q_temme = jax.lax.cond(jnp.any(use), temme, lambda: (zeros, zeros))
    a_other = jnp.where(use, 1.0, a)
    z_other = jnp.where(use, 1.0, z)
    p = jnp.where(use, p_temme, gammainc(a_other, z_other))
    q = jnp.where(use, q_temme, gammaincc(a_other, z_other))
    return p, q


def bd0(x, m):
    r"""Deviance term :math:`x\log(x/m) + m - x \ge 0` without cancellation (Loader 2000).

    Near :math:`x = m` (:math:`|x - m| < 0.1 (x + m)`) it sums the series
    :math:`(x - m)v + 2x\sum_{j\ge1} v^{2j+1}/(2j+1)` with :math:`v = (x - m)/(x + m)`
    (12 terms in float64, 5 in lower precision, :math:`|v| < 0.1`: truncation below
    :math:`10^{-26}` resp. :math:`10^{-12}` relative); elsewhere the direct formula, which does
    not cancel there. Loader (2000) [@loader2000binomial].

    Examples:
      >>> round(float(bd0(2.0, 1.0)), 12)  # 2 log 2 - 1
      0.386294361120
    """
    d = x - m
    s = x + m
    near = jnp.abs(d) < 0.1 * s
    v = jnp.where(near, d / jnp.where(near, s, 1.0), 0.0)  # 0 (no inf/NaN) where unused
    v2 = v * v
    # |v| < 0.1: the terms fall by 100x each; 5 reach float32 rounding, 12 float64's
    terms = 12 if jnp.dtype(v.dtype) == jnp.float64 else 5
    total = jnp.zeros_like(v)
    for j in range(terms, 0, -1):  # Horner in v^2: sum_j v^(2j) / (2j + 1)
        total = (total + 1.0 / (2 * j + 1)) * v2
    series = d * v + 2 * x * v * total
    xf = jnp.where(near, 1.0, x)
    mf = jnp.where(near, 1.0, m)
    direct = xf * jnp.log(xf / mf) + mf - xf
    return jnp.where(near, series, direct)


def bd0_scaled(x, m):
    r""":func:`bd0` :math:`= x\log(x/m) + m - x` for ``x > 0``, written as
    :math:`m\,h(u)`, :math:`h(u) = (1 + u)\log(1 + u) - u`, :math:`u = (x - m)/m`, with
    :math:`1/m` the only division: where ``m`` is a parameter (Binomial's :math:`np`, Poisson's
    rate) it is computed once, and no division is left per point (:func:`bd0` takes two). For
    :math:`|u| < 0.2` the series :math:`h(u) = \sum_{j\ge2} (-1)^j u^j/(j(j-1))` (10 terms in
    float32: truncation below :math:`10^{-8}` relative), where the direct
    :math:`x\log(x/m) - (x - m)` would cancel (at most 12x beyond); in float64 :func:`bd0`
    itself (the series would need 22 terms).

    Examples:
      >>> round(float(bd0_scaled(2.0, 1.0)), 12)  # 2 log 2 - 1
      0.38629436112
    """
    x, m = jnp.asarray(x), jnp.asarray(m)
    if jnp.result_type(x, m) == jnp.float64:
        return bd0(x, m)
    inv = 1 / m
    d = x - m
    u = d * inv
    near = jnp.abs(u) < 0.2
    total = jnp.zeros_like(u)
    for j in range(11, 1, -1):  # Horner: u^2 (1/2 - u (1/6 - u (1/12 - ...)))
        total = total * u + (-1) ** j / (j * (j - 1))
    series = m * (u * u * total)
    direct = x * jnp.log(x * inv) - d
    return jnp.where(near, series, direct)


def log1pmx(u, log1p_u):
    r""":math:`\log(1 + u) - u` given ``log1p_u`` :math:`= \log(1 + u)`: for :math:`|u| < 1/4`
    the Taylor series :math:`-\sum_{j\ge2} (-u)^j/j` (13 terms in float32, 28 in float64:
    truncation below the format's rounding), where the difference would cancel (by 8x at
    :math:`|u| = 1/4`, as :func:`bd0`'s direct formula at its switch); elsewhere the difference.
    With :math:`t = 1 + u`, :math:`k(\log t - (t - 1)) = -\mathrm{bd0}(k, kt)` without a
    division per point when :math:`k` is a parameter.

    Examples:
      >>> import math
      >>> round(float(log1pmx(0.5, math.log1p(0.5))), 12)
      -0.094534891892
    """
    u = jnp.asarray(u)
    near = jnp.abs(u) < 0.25
    terms = 28 if jnp.dtype(u.dtype) == jnp.float64 else 13
    total = jnp.zeros_like(u)
    for j in range(terms + 1, 1, -1):  # Horner: u^2 (-1/2 + u (1/3 + u (-1/4 + ...)))
        total = (total + (-1) ** (j + 1) / j) * u
    return jnp.where(near, total * u, log1p_u - u)


def betaln(a, b):
    r""":math:`\log B(a, b)` to a few ulps for all positive arguments.

    With :math:`s = \min(a, b)`, :math:`t = \max(a, b)`:
    :math:`\log B = \log\Gamma(s) - [\log\Gamma(s + t) - \log\Gamma(t)]`, the bracket written
    with the Stirling remainder :math:`\delta` (:func:`stirlerr`) as
    :math:`\delta(s+t) - \delta(t) + (t - \tfrac12)\log(1 + s/t) + s\log(s + t) - s`, which
    does not cancel when :math:`t \gg s`. (``jax.scipy.special.betaln`` errs by up to ~2e-7
    relative even in float64, e.g. at (1, 12).)

    Examples:
      >>> round(float(betaln(2.0, 3.0)), 12)  # log(1/12)
      -2.48490664979
    """
    small = jnp.minimum(a, b)
    big = jnp.maximum(a, b)
    total = small + big
    diff = (
        stirlerr(total)
        - stirlerr(big)
        + (big - 0.5) * jnp.log1p(small / big)
        + small * jnp.log(total)
        - small
    )
    return gammaln(small) - diff


def invert_cdf(
    cdf: Callable,
    pdf: Callable | None,
    u,
    lo,
    hi,
    *,
    num_iters: int = 60,
):
    r"""Solve :math:`F(x) = u` on the bracket ``[lo, hi]`` for a nondecreasing ``cdf``.

    Each iteration takes the Newton step :math:`x - (F(x) - u)/f(x)` when it stays strictly inside
    the current bracket and bisects otherwise, then shrinks the bracket with the sign of
    :math:`F(x) - u`. Quadratic convergence near the root, guaranteed convergence from any start;
    a fixed iteration count keeps it `jit`- and `vmap`-friendly. Gradients should be supplied
    by the caller through the implicit function theorem (:math:`dx/du = 1/f(x)`).

    Args:
      cdf: elementwise :math:`F`; or, where ``pdf`` is None, elementwise ``(F, f)`` (for laws
        whose density reuses the work of the CDF: one evaluation per iteration, one copy of it
        in the compiled loop).
      pdf: elementwise :math:`f = F'`, or None (above).
      u: target probabilities, broadcastable with ``lo`` and ``hi``.
      lo, hi: finite bracket with :math:`F(lo) \le u \le F(hi)`.
      num_iters: iterations (60 bisections alone reach float64 resolution on any bracket).

    Returns:
      :math:`x` with the broadcast shape of the inputs.

    Examples:
      >>> import jax.numpy as jnp
      >>> from jax.scipy.special import ndtr
      >>> pdf = lambda x: jnp.exp(-x * x / 2) / jnp.sqrt(2 * jnp.pi)
      >>> round(float(invert_cdf(ndtr, pdf, 0.975, -10.0, 10.0)), 10)
      1.959963985
    """
    u, lo, hi = jnp.broadcast_arrays(*map(jnp.asarray, (u, lo, hi)))
    x = 0.5 * (lo + hi)

    def body(_, carry):
        x, lo, hi = carry
        value, density = cdf(x) if pdf is None else (cdf(x), pdf(x))
        err = value - u
        lo = jnp.where(err < 0, x, lo)
        hi = jnp.where(err >= 0, x, hi)
        newton = x - err / jnp.where(density > 0, density, 1.0)
        ok = (density > 0) & (newton > lo) & (newton < hi)
        return jnp.where(ok, newton, 0.5 * (lo + hi)), lo, hi

    x, _, _ = jax.lax.fori_loop(0, num_iters, body, (x, lo, hi))
    return jax.lax.stop_gradient(x)
