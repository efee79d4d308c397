"""Edge grid of the families built on special functions: Beta, Gamma, StudentT, Dirichlet.

Parameters from 1e-30 to 1e30, points at the ends of the support and at +-inf, both dtypes,
values and gradients, invalid parameters. Oracles: closed forms (evaluated in float64 with
log1p/expm1 where they cancel), mpmath at 50 digits, and Boost (scipy) where mpmath's series
do not converge (huge shapes; cross-checked by quadrature in test_gamma/test_betainc).
Bounds: float64 1e-12 relative (closed forms, entropies: 1e-12 of 1 + |H|); float32 a few
ulps times the conditioning, stated per group.
"""

import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.special as sp

from gmath.densities import Beta, Dirichlet, Gamma, StudentT

from _edges import EdgeGroup, assert_edges

INF, NAN = math.inf, math.nan
F32 = 8 * float(np.finfo(np.float32).eps)  # 8 ulps


def _mp(f):
    with mp.workdps(50):
        return float(f())


def _beta_entropy(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    return (
        mp.log(mp.beta(a, b))
        - (a - 1) * mp.digamma(a)
        - (b - 1) * mp.digamma(b)
        + (a + b - 2) * mp.digamma(a + b)
    )


def _gamma_entropy(a, b):
    a, b = mp.mpf(a), mp.mpf(b)
    return a - mp.log(b) + mp.loggamma(a) + (1 - a) * mp.digamma(a)


def _gamma_log_prob(a, b, x):
    a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
    return a * mp.log(b) + (a - 1) * mp.log(x) - b * x - mp.loggamma(a)


def _t_entropy(v):
    v = mp.mpf(v)
    h = (v + 1) / 2 * (mp.digamma((v + 1) / 2) - mp.digamma(v / 2))
    return h + mp.log(mp.sqrt(v) * mp.beta(v / 2, mp.mpf(1) / 2))


def _dirichlet_entropy(*alpha):
    al = [mp.mpf(a) for a in alpha]
    a0 = sum(al)
    log_b = sum(mp.loggamma(a) for a in al) - mp.loggamma(a0)
    return log_b + (a0 - len(al)) * mp.digamma(a0) - sum((a - 1) * mp.digamma(a) for a in al)


def _rounded(args, dtype=np.float32):
    """The cases with every argument rounded to ``dtype`` (the oracle at the rounded point)."""
    return [tuple(float(dtype(v)) for v in row) for row in args]


# ---------------------------------------------------------------- Beta
_BETA_CDF = [  # (a, b, x) -> I_x(a, b): symmetry, closed forms I_x(1, b) = 1 - (1 - x)^b and
    # I_x(a, 1) = x^a (as -expm1(b log1p(-x)), exp(a log x)), ends, infinities, invalid
    ((1e8, 1e8, 0.5), 0.5),
    ((1e30, 1e30, 0.5), 0.5),
    ((1e4, 1e4, 0.5), 0.5),
    ((0.5, 0.5, 0.5), 0.5),
    ((1.0, 1e-30, 0.5), -math.expm1(float(np.float32(1e-30)) * math.log1p(-0.5))),
    # x = 1e-35: a normal float32 (XLA:CPU flushes float32 subnormals to 0)
    (
        (1.0, 1e30, 1e-35),
        -math.expm1(float(np.float32(1e30)) * math.log1p(-float(np.float32(1e-35)))),
    ),
    ((1.0, 3.0, 0.25), -math.expm1(3 * math.log1p(-0.25))),
    ((3.0, 1.0, 0.25), 0.25**3),
    ((1e-30, 1.0, 0.5), math.exp(float(np.float32(1e-30)) * math.log(0.5))),
    ((2.0, 3.0, 0.0), 0.0),
    ((2.0, 3.0, 1.0), 1.0),
    ((2.0, 3.0, -INF), 0.0),
    ((2.0, 3.0, INF), 1.0),
    ((2.0, 3.0, -1.0), 0.0),
    ((2.0, 3.0, 2.0), 1.0),
    ((-1.0, 3.0, 0.5), NAN),
    ((0.0, 1.0, 0.5), NAN),
    ((2.0, -INF, 0.5), NAN),
    ((2.0, 3.0, NAN), NAN),
]
_BETA_LOG_SURVIVAL = [  # log(1 - I_x(a, b)); log S for a = 1: b log1p(-x)
    ((1e8, 1e8, 0.5), -math.log(2)),
    ((1e30, 1e30, 0.5), -math.log(2)),
    ((1.0, 2.0, 0.5), 2 * math.log(0.5)),
    ((1.0, 1e30, 1e-35), float(np.float32(1e30)) * math.log1p(-float(np.float32(1e-35)))),
    ((2.0, 3.0, -INF), 0.0),
    ((2.0, 3.0, 0.0), 0.0),
    ((2.0, 3.0, 1.0), -INF),
    ((2.0, 3.0, INF), -INF),
    ((-1.0, 3.0, 0.5), NAN),
]
_BETA_ENTROPY = [
    (1e6, 1e6),
    (1e8, 1e8),
    (1e30, 1e30),
    (1.0, 1e8),
    (0.5, 3.0),
    (1e-3, 1e4),
    (7.9, 8.1),
    (1e-20, 1.0),
]
_BETA_MOMENTS = [  # (a, b) -> mean a/(a+b), variance ab/((a+b)^2 (a+b+1)) in float64
    (1e30, 1e30),
    (1e-30, 1e-30),
    (1e-30, 1.0),
    (2.0, 3.0),
    (1e8, 1.0),
]

# ---------------------------------------------------------------- Gamma
_GAMMA_CDF = [  # (a, rate, x) -> P(a, rate x); a = 1: -expm1(-rate x)
    ((1e8, 1.0, 1e8), float(sp.gammainc(1e8, 1e8))),
    (
        (1e30, 1.0, 1e30),
        0.5 + 1 / (3 * math.sqrt(2 * math.pi * 1e30)),
    ),  # P(a, a) ~ 1/2 + 1/(3 sqrt(2 pi a))
    ((1.0, 1e30, 1e-30), -math.expm1(-float(np.float32(1e30)) * float(np.float32(1e-30)))),
    ((1.0, 2.0, 0.25), -math.expm1(-0.5)),
    ((1.0, 1.0, 1e-30), -math.expm1(-float(np.float32(1e-30)))),
    ((2.0, 3.0, 0.0), 0.0),
    ((2.0, 3.0, -1.0), 0.0),
    ((2.0, 3.0, -INF), 0.0),
    ((2.0, 3.0, INF), 1.0),
    ((1e-30, 1.0, 1.0), 1.0),
    ((-1.0, 1.0, 1.0), NAN),
    ((1.0, 0.0, 1.0), NAN),
    ((1.0, -2.0, 1.0), NAN),
    ((2.0, 3.0, NAN), NAN),
]
_GAMMA_LOG_SURVIVAL = [  # log Q(a, rate x); a = 1: -rate x
    ((1.0, 2.0, 3.0), -6.0),
    ((1.0, 1e-30, 1e20), -float(np.float32(1e-30)) * float(np.float32(1e20))),
    ((1.0, 1.0, 1e30), -float(np.float32(1e30))),
    ((1e8, 1.0, 1e8), math.log(float(sp.gammaincc(1e8, 1e8)))),
    ((2.0, 3.0, -INF), 0.0),
    ((2.0, 3.0, 0.0), 0.0),
    ((2.0, 3.0, INF), -INF),
    ((-1.0, 1.0, 1.0), NAN),
]
_GAMMA_LOG_PROB = [
    (3.0, 1e-30, 1e-20),
    (0.5, 1e-30, 1e-30),
    (2.0, 1.0, 1e30),
    (1e8, 1e8, 1.0),
    (1e-3, 1.0, 1e-30),
    (1.0, 1e30, 1e-30),
]
_GAMMA_LOG_PROB_SPECIAL = [  # ends of the support, infinities, invalid
    ((0.5, 2.0, 0.0), INF),
    ((1.0, 2.0, 0.0), math.log(2.0)),
    ((2.0, 2.0, 0.0), -INF),
    ((2.0, 1.0, INF), -INF),
    ((2.0, 1.0, -1.0), -INF),
    ((2.0, 1.0, -INF), -INF),
    ((-1.0, 1.0, 1.0), NAN),
    ((2.0, -1.0, 1.0), NAN),
    ((2.0, 1.0, NAN), NAN),
]
_GAMMA_ENTROPY = [
    (1e6, 1.0),
    (1e8, 1.0),
    (1e30, 1.0),
    (1e-30, 1.0),
    (0.5, 1e-30),
    (7.9, 1e30),
    (8.1, 2.0),
    (50.0, 1.0),
]

# ---------------------------------------------------------------- StudentT
_T_CDF = [  # (df, x): Cauchy 1/2 + atan(x)/pi (as atan(1/|x|)/pi in the lower tail), df = 2:
    # 1/2 + x/(2 sqrt(2 + x^2)); infinities; invalid
    ((1.0, -1e30), math.atan(1 / float(np.float32(1e30))) / math.pi),
    ((1.0, 1.0), 0.75),
    ((1.0, -1.0), 0.25),
    ((2.0, 3.0), 0.5 + 3 / (2 * math.sqrt(11.0))),
    ((2.0, -1e10), 0.0),  # filled below by the closed form without cancellation
    ((1e30, 1.5), float(sp.ndtr(1.5))),  # df = 1e30: the normal cdf (difference ~1e-30)
    ((1.0, -INF), 0.0),
    ((1.0, INF), 1.0),
    ((3.0, 0.0), 0.5),
    ((-1.0, 0.5), NAN),
    ((0.0, 0.5), NAN),
    ((3.0, NAN), NAN),
]
# df = 2 lower tail: F(x) = (1 - |x|/sqrt(2 + x^2))/2 = 1/(sqrt(2 + x^2)(sqrt(2 + x^2) + |x|))
_T_CDF[4] = ((2.0, -1e10), 1 / (math.sqrt(2 + 1e20) * (math.sqrt(2 + 1e20) + 1e10)))
_T_ICDF = [  # (df, u): Cauchy tan(pi (u - 1/2)), df = 2: (2u - 1)/sqrt(2u(1 - u)), ends, overflow
    ((1.0, 0.75), 1.0),
    ((1.0, 0.25), -1.0),
    ((2.0, 0.75), 0.5 / math.sqrt(2 * 0.75 * 0.25)),
    ((2.0, 0.5), 0.0),
    ((0.001, 0.001), -INF),  # F(-max) ~ 0.24 > 0.001: below every float
    ((0.001, 0.999), INF),
    ((3.0, 0.0), -INF),
    ((3.0, 1.0), INF),
    ((3.0, -0.5), NAN),
    ((3.0, 1.5), NAN),
    ((-1.0, 0.5), NAN),
]
_T_ENTROPY = [1e-3, 0.5, 1.0, 3.0, 15.9, 16.1, 1e3, 1e8, 1e12, 1e30]


def _beta_cdf_grads_at_ends(a, b, x):
    g = jax.grad(lambda a, b: Beta(a, b).cdf(x), argnums=(0, 1))(a, b)
    return jnp.abs(g[0]) + jnp.abs(g[1])


def _t_grads_at_ends(df, loc, x):
    total = 0.0
    for m in ("cdf", "log_cdf", "log_survival"):
        g = jax.grad(lambda m_, s, m=m: getattr(StudentT(df, m_, s), m)(x), argnums=(0, 1))(
            loc, 2.0 * df
        )
        total = total + jnp.abs(g[0]) + jnp.abs(g[1])
    return total


def _off_support_log_prob_grads(a, b, x):
    """|d/d(params) log p| summed over Gamma at x < 0, Beta at x and 1 - x outside [0, 1],
    Dirichlet at (x, 1 - x): all 0 off the support."""
    gg = jax.grad(lambda a, b: Gamma(a, b).log_prob(-x), argnums=(0, 1))(a, b)
    gb = jax.grad(lambda a, b: Beta(a, b).log_prob(1 + x), argnums=(0, 1))(a, b)
    gd = jax.grad(lambda c: Dirichlet(c).log_prob(jnp.stack([-x, 1 + x])))(jnp.stack([a, b]))
    return sum(jnp.abs(g) for g in (*gg, *gb)) + jnp.sum(jnp.abs(gd))


def _pairs(table):
    return [r for r, _ in table], [o for _, o in table]


EDGE_GROUPS = []


def _add(name, fn, table, rtol, atol=None):
    args, expected = _pairs(table)
    EDGE_GROUPS.append(EdgeGroup(name, fn, args, expected, rtol, atol or {}))


def _add_mp(name, fn, args, oracle, rtol, atol=None):
    args = _rounded(args)
    expected = [_mp(lambda r=row: oracle(*r)) for row in args]
    EDGE_GROUPS.append(EdgeGroup(name, fn, args, expected, rtol, atol or {}))


# cdf near 1/2 at huge shapes: float32 within 8 ulps (x = 1/2 is exact, conditioning 0 at the
# symmetric point); closed forms within 8 ulps times their conditioning (<= 3 here).
_add(
    "beta_cdf",
    lambda a, b, x: Beta(a, b).cdf(x),
    [(_rounded([r])[0], o) for r, o in _BETA_CDF],
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "beta_log_survival",
    lambda a, b, x: Beta(a, b).log_survival(x),
    [(_rounded([r])[0], o) for r, o in _BETA_LOG_SURVIVAL],
    {"float64": 1e-12, "float32": 4 * F32},
)
# the deep tails, where I_x (or I_{1-x}(b, a)) underflows but its logarithm is finite: the
# log-space continued fraction, leading term x^a (1 - x)^b / (a B(a, b));
# the oracle at the float32-rounded arguments, both dtypes
_BETA_DEEP_LOWER = [
    (2.0, 3.0, 1e-200),
    (2.0, 3.0, 1e-300),
    (2.0, 3.0, 1e-30),
    (0.5, 2.0, 1e-300),
    (50.0, 3.0, 1e-8),
    (20.0, 3.0, 1e-3),
    (1e3, 1e3, 0.3),
    (2.0, 3.0, 0.25),  # not in the tail: the direct branch
]
_BETA_DEEP_UPPER = [  # log S(x) = log I_{1-x}(b, a)
    (2.0, 200.0, 0.99),
    (3.0, 400.0, 0.9),
    (0.5, 1000.0, 0.5),
    (2.0, 300.0, 0.9),
    (1e3, 1e3, 0.7),
    # above the mean, below 1/4: 1 - I_x(a, b) rounded to 0 (-inf) or lost digits
    (2.0, 1000.0, 0.125),
    (5.0, 200.0, 0.1875),
    (2.0, 100.0, 0.1875),
    (0.0625, 1000.0, 0.1875),
    (2.0, 3.0, 0.75),  # not in the tail
]


def _add_mp64(name, fn, args, oracle, rtol):
    """A float64-only group at the arguments as given (not rounded to float32)."""
    expected = [_mp(lambda r=row: oracle(*r)) for row in args]
    EDGE_GROUPS.append(EdgeGroup(name, fn, args, expected, rtol))


def _beta_log_cdf(a, b, x):
    return mp.log(mp.betainc(a, b, 0, x, regularized=True))


def _beta_log_sf(a, b, x):
    return mp.log(mp.betainc(b, a, 0, 1 - mp.mpf(x), regularized=True))


_add_mp(
    "beta_log_cdf_deep_lower_tail",
    lambda a, b, x: Beta(a, b).log_cdf(x),
    [r for r in _BETA_DEEP_LOWER if r[2] >= 1e-37],
    _beta_log_cdf,
    {"float32": 4 * F32},
)
_add_mp64(
    "beta_log_cdf_deep_lower_tail_float64",
    lambda a, b, x: Beta(a, b).log_cdf(x),
    _BETA_DEEP_LOWER,
    _beta_log_cdf,
    {"float64": 1e-12},
)
_add_mp(
    "beta_log_survival_deep_upper_tail",
    lambda a, b, x: Beta(a, b).log_survival(x),
    _BETA_DEEP_UPPER,
    _beta_log_sf,
    {"float32": 4 * F32},
)
_add_mp64(
    "beta_log_survival_deep_upper_tail_float64",
    lambda a, b, x: Beta(a, b).log_survival(x),
    _BETA_DEEP_UPPER,
    _beta_log_sf,
    {"float64": 1e-12},
)
# d/dx log I_x = density / I_x and d/da, d/db in the tail (finite; central differences of the
# mpmath oracle in a and b)
_add_mp64(
    "beta_log_cdf_deep_lower_tail_grad",
    lambda a, b, x: sum(
        w * g
        for w, g in zip(
            (1.0, 1.0, 1e-200),
            jax.grad(lambda *v: Beta(v[0], v[1]).log_cdf(v[2]), argnums=(0, 1, 2))(a, b, x),
            strict=True,
        )
    ),
    [(2.0, 3.0, 1e-200), (3.0, 2.0, 1e-150)],
    lambda a, b, x: (
        mp.diff(lambda t: _beta_log_cdf(t, b, x), a)
        + mp.diff(lambda t: _beta_log_cdf(a, t, x), b)
        + mp.mpf("1e-200")
        * x ** (a - 1)
        * (1 - x) ** (b - 1)
        / mp.beta(a, b)
        / mp.betainc(a, b, 0, x, regularized=True)
    ),
    {"float64": 1e-9},
)


# tiny concentrations: at a <= eps min(1, b) the complement 1 - I_x(a, b) ~
# a int_x^1 t^-1 (1 - t)^(b-1) dt is below the rounding of 1. Regression: float32
# Beta(1e-30, 1).log_cdf(0.3) was +8.3e-7 (float64 +6.4e-15; exact -1.2e-30), log_survival NaN in
# both dtypes (exact -68.9), the float32 derivative in concentration1 NaN. One function per
# group evaluates log_cdf (m = 0) or log_survival (m = 1), and for the gradients the derivative
# in a, b or x (k = 0, 1, 2): one trace for both methods. Oracle: mpmath at 80 digits (its
# betainc over [0, x] and [x, 1]), derivatives by mpmath.diff. Bounds: float64 1e-12; float32
# 32 ulps of the conditioning 1 (the log_cdf ~ -S of the mirrored evaluation, S ~ 1e-31, is
# exp(log S) with log S ~ -71, whose half-ulp moves S by 2.3e-6 relative: 19 ulps).
_BETA_TINY = [
    (1e-30, 1.0, 0.3),  # the reproducer (APSER)
    (1e-30, 3.0, 0.2),  # APSER, b x <= 1
    (1e-30, 0.5, 1e-20),
    (1e-30, 1.0, 1e-30),
    (1e-30, 3.0, 0.4),  # b x > 1: the fraction for I_{1-x}(b, a)
    (1e-30, 1.0, 0.7),
    (1.0, 1e-30, 0.7),  # concentration0 -> 0: the mirror images
    (3.0, 1e-30, 0.6),
    (3.0, 1e-30, 0.8),
    (2.0, 400.0, 0.3),  # above the mean below 1/2: log_survival was -inf (1 - I_x rounds to 0)
    # both tiny (<= eps): float32 Beta(1e-30, 1e-30) erred by 17 ulps, its gradients NaN;
    # Beta(1e-20, 1e-30)'s derivative in concentration1 was -inf
    (1e-30, 1e-30, 0.3),
    (1e-30, 1e-30, 1e-20),
    (1e-30, 1e-30, 0.999),
    (1e-20, 1e-30, 0.5),
    (1e-10, 1e-12, 0.5),
]


def _beta_log_tail(a, b, x, m):
    lo, hi = (0, x) if m == 0 else (x, 1)
    return mp.log(mp.betainc(a, b, lo, hi, regularized=True))


def _mp80(f):
    with mp.workdps(80):
        return float(f())


def _partial(log_tail, r):
    """mpmath derivative of ``log_tail(x, p1, p2, upper)`` in the argument ``r[4]`` of the
    row ``(x, p1, p2, upper, argument)``."""
    k = int(r[4])
    return mp.diff(
        lambda t: log_tail(*[t if i == k else mp.mpf(v) for i, v in enumerate(r[:3])], r[3]),
        mp.mpf(r[k]),
    )


def _beta_tails(a, b, x, m):
    p = Beta(a, b)
    return jnp.where(m == 0, p.log_cdf(x), p.log_survival(x))


def _tail_grad(family, method):
    """``(p1, p2, x, k) -> d/d(argument k) family(p1, p2).method(x)`` (k = 0, 1, 2)."""

    def grad(p1, p2, x, k):
        g = jax.grad(lambda *v: getattr(family(*v[:2]), method)(v[2]), argnums=(0, 1, 2))(p1, p2, x)
        return jnp.where(k == 0, g[0], jnp.where(k == 1, g[1], g[2]))

    return grad


def _add_tail_grads(name, family, rows, expected, rtol):
    """The rows ``(p1, p2, x, m, k)`` of a log-tail gradient table as one group per method (m = 0:
    log_cdf, 1: log_survival), a table of rows sharing one trace per method. XLA:CPU compiles a
    program holding several incomplete-beta gradients superlinearly in their number: Beta's
    log_cdf and log_survival derivatives together took 80 s in float32, apart 10 s each."""
    for m, method in enumerate(("log_cdf", "log_survival")):
        picked = [i for i, r in enumerate(rows) if r[3] == m]
        EDGE_GROUPS.append(
            EdgeGroup(
                f"{name}_{method}",
                _tail_grad(family, method),
                [rows[i][:3] + rows[i][4:] for i in picked],
                [expected[i] for i in picked],
                rtol,
            )
        )


_TINY_TOL = {"float64": 1e-12, "float32": 4 * F32}
# float32 where the complement comes from the fraction for I_{1-x}(b, a) (b x > 1 or x > 1/2):
# S ~ 1e-31 is exp(log S), log S ~ -71, whose half-ulp (3.8e-6) is 32 ulps of S; measured 75
_TINY_FRACTION_TOL = {"float64": 1e-12, "float32": 16 * F32}
# (log_cdf of Beta(2, 400) at 0.3 is -1.3e-60: below float32's range, so not a case)
_tiny_args = [r + (m,) for r in _rounded(_BETA_TINY) for m in (0.0, 1.0) if r[1] < 400 or m]
_tiny_fraction = set(_rounded(_BETA_TINY[4:9]))
for _name, _args, _tol in (
    (
        "beta_tails_tiny_concentration",
        [r for r in _tiny_args if r[:3] not in _tiny_fraction],
        _TINY_TOL,
    ),
    (
        "beta_tails_tiny_concentration_fraction",
        [r for r in _tiny_args if r[:3] in _tiny_fraction],
        _TINY_FRACTION_TOL,
    ),
):
    EDGE_GROUPS.append(
        EdgeGroup(
            _name, _beta_tails, _args, [_mp80(lambda r=r: _beta_log_tail(*r)) for r in _args], _tol
        )
    )
_tiny_grad_args = [
    r + (k,)
    for r in _tiny_args
    if r[:3] in _rounded(_BETA_TINY[:1] + _BETA_TINY[4:8] + _BETA_TINY[10:])
    for k in (0.0, 1.0, 2.0)
]
_add_tail_grads(
    "beta_tails_tiny_concentration_grad",
    Beta,
    _tiny_grad_args,
    [_mp80(lambda r=r: _partial(_beta_log_tail, r)) for r in _tiny_grad_args],
    _TINY_FRACTION_TOL,  # the fraction cases (see above); one trace per method for all
)

# entropies: the oracle at float32-rounded parameters, bound 1e-12 (f64) / 16 ulps (f32) of 1 + |H|
_ENT = {"float64": 1e-12, "float32": 2 * F32}
_add_mp("beta_entropy", lambda a, b: Beta(a, b).entropy(), _BETA_ENTROPY, _beta_entropy, _ENT, _ENT)
_add(
    "beta_mean",
    lambda a, b: Beta(a, b).mean(),
    [(r, r[0] / (r[0] + r[1])) for r in _rounded(_BETA_MOMENTS)] + [((-1.0, 2.0), NAN)],
    {"float64": 1e-12, "float32": F32},
)
_add(
    "beta_variance",
    lambda a, b: Beta(a, b).variance(),
    [
        (r, r[0] * r[1] / ((r[0] + r[1]) ** 2 * (r[0] + r[1] + 1)))
        for r in _rounded([m for m in _BETA_MOMENTS if m[0] * m[1] < 1e30])
    ]
    + [((2.0, 0.0), NAN)],
    {"float64": 1e-12, "float32": F32},
)

_add(
    "gamma_cdf",
    lambda a, b, x: Gamma(a, b).cdf(x),
    [(_rounded([r])[0], o) for r, o in _GAMMA_CDF],
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "gamma_log_survival",
    lambda a, b, x: Gamma(a, b).log_survival(x),
    [(_rounded([r])[0], o) for r, o in _GAMMA_LOG_SURVIVAL],
    {"float64": 1e-12, "float32": 4 * F32},
)


# huge concentrations: near the mean of Gamma(1e30) a relative distance 1e-10
# already puts P or Q below every float; log P and log Q there come from Temme's expansion in
# log space. Regression: float64 Gamma(1e30).log_survival(1.0000000001e30) was 9e15 (exact
# -5.0e9), log_cdf(0.9999999999e30) +4.4, and the derivative of log_survival in concentration
# NaN inside the support (float32 also 0 in place of 8e-16 at x = a, 0.19 in place of log 2
# at x = 2a). Oracle: the leading term of Temme's uniform expansion (DLMF 8.12.3-8.12.8:
# Q = erfc(eta sqrt(a/2))/2 + e^(-a eta^2/2) (1/(lambda - 1) - 1/eta)/sqrt(2 pi a)), whose
# relative error O(1/a) is below 1e-19 for a >= 1e20, in mpmath at 50 digits; derivatives
# (in concentration, m = 0, 1 for log_cdf, log_survival; k = 0, 1 for concentration, rate)
# by mpmath.diff of it.
def _temme_log_tail(a, b, x, m):
    a, z = mp.mpf(a), mp.mpf(b) * mp.mpf(x)
    with mp.extradps(300):  # 1/(lambda - 1) - 1/eta cancels near lambda = 1 (mpmath.diff's steps)
        lam = z / a
        if lam == 1:
            eta_term = -mp.mpf(1) / 3  # the limit of 1/(lambda - 1) - 1/eta
            eta = mp.mpf(0)
        else:
            eta = mp.sign(lam - 1) * mp.sqrt(2 * (lam - 1 - mp.log(lam)))
            eta_term = 1 / (lam - 1) - 1 / eta
    r = mp.exp(-a * eta**2 / 2) / mp.sqrt(2 * mp.pi * a) * eta_term
    arg = eta * mp.sqrt(a / 2)
    return mp.log(mp.erfc(-arg) / 2 - r) if m == 0 else mp.log(mp.erfc(arg) / 2 + r)


def _gamma_tails(a, b, x, m):
    p = Gamma(a, b)
    return jnp.where(m == 0, p.log_cdf(x), p.log_survival(x))


_gamma_huge = [
    (a, 1.0, a * r, m)
    for a in (1e20, 1e30)
    for r in (1 - 2**-20, 1.0, 1 + 2**-20, 0.5, 1.5, 2.0)
    for m in (0.0, 1.0)
]
_gamma_huge = _rounded(_gamma_huge)
EDGE_GROUPS.append(
    EdgeGroup(
        "gamma_tails_huge_concentration",
        _gamma_tails,
        _gamma_huge,
        [_mp(lambda r=r: _temme_log_tail(*r)) for r in _gamma_huge],
        {"float64": 1e-12, "float32": 4 * F32},
    )
)
_gamma_huge_grad = [r + (k,) for r in _gamma_huge for k in (0.0, 1.0)]
_add_tail_grads(
    "gamma_tails_huge_concentration_grad",
    Gamma,
    _gamma_huge_grad,
    [_mp80(lambda r=r: _partial(_temme_log_tail, r)) for r in _gamma_huge_grad],
    {"float64": 1e-12, "float32": 4 * F32},
)

# log_prob: conditioning |a - 1| + |b x| + |a log b| relative to |log p| is at most ~10 here
_add_mp(
    "gamma_log_prob",
    lambda a, b, x: Gamma(a, b).log_prob(x),
    _GAMMA_LOG_PROB,
    _gamma_log_prob,
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "gamma_log_prob_special",
    lambda a, b, x: Gamma(a, b).log_prob(x),
    [(_rounded([r])[0], o) for r, o in _GAMMA_LOG_PROB_SPECIAL],
    {"float64": 1e-12, "float32": F32},
)
_add_mp(
    "gamma_entropy", lambda a, b: Gamma(a, b).entropy(), _GAMMA_ENTROPY, _gamma_entropy, _ENT, _ENT
)
_add(
    "gamma_mean_variance",
    lambda a, b: Gamma(a, b).mean() + Gamma(a, b).variance(),
    [
        (r, r[0] / r[1] + r[0] / r[1] ** 2)
        for r in _rounded([(1e30, 1e10), (1e-30, 1.0), (2.0, 4.0)])
    ]
    + [((-1.0, 1.0), NAN), ((1.0, -1.0), NAN)],
    {"float64": 1e-12, "float32": F32},
)

_add(
    "student_t_cdf",
    lambda v, x: StudentT(v).cdf(x),
    [(_rounded([r])[0], o) for r, o in _T_CDF],
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "student_t_icdf",
    lambda v, u: StudentT(v).icdf(u),
    [(_rounded([r])[0], o) for r, o in _T_ICDF],
    {"float64": 1e-12, "float32": 8 * F32},
)
_add_mp(
    "student_t_entropy",
    lambda v: StudentT(v).entropy(),
    [(v,) for v in _T_ENTROPY],
    _t_entropy,
    _ENT,
    _ENT,
)
_add(
    "student_t_invalid",
    lambda v, s: StudentT(v, 0.0, s).entropy() + StudentT(v, 0.0, s).mean(),
    [((-1.0, 1.0), NAN), ((3.0, -1.0), NAN), ((3.0, 0.0), NAN), ((0.5, 1.0), NAN)],
    {"float64": 0.0, "float32": 0.0},
)

_add_mp(
    "dirichlet_entropy",
    lambda a, b, c: Dirichlet(jnp.stack([a, b, c])).entropy(),
    [(1e8, 1e8, 1e8), (1e30, 1e30, 1e30), (1e6, 1.0, 1e-3), (0.5, 2.0, 30.0), (1e-20, 1e-20, 1.0)],
    _dirichlet_entropy,
    _ENT,
    _ENT,
)
_add(
    "dirichlet_log_prob",
    lambda a, b, x: Dirichlet(jnp.stack([a, b])).log_prob(jnp.stack([x, 1 - x])),
    [
        ((1.0, 1.0, 0.25), 0.0),
        ((2.0, 1.0, 0.25), math.log(2 * 0.25)),
        ((1.0, 1.0, -0.5), -INF),
        ((2.0, 3.0, 2.0), -INF),
        ((-1.0, 3.0, 0.5), NAN),
        ((0.0, 3.0, 0.5), NAN),
    ],
    {"float64": 1e-12, "float32": F32},
    {"float64": 1e-15, "float32": F32},  # absolute: log B(1, 1) = 0 from terms of order 1
)

# gradients: 0 (not NaN) in the parameters at +-inf and off the support (constant values there)
_ZERO = {"float64": 0.0, "float32": 0.0}
# Gamma's are test_gamma.py's gradients at the ends (every method at -inf, -1, 0 and inf), Beta's
# log_cdf and log_survival test_beta.py's derivatives at the ends (x = +-inf included)
_add(
    "beta_grad_params_at_infinity_cdf",
    _beta_cdf_grads_at_ends,
    [((2.0, 3.0, x), 0.0) for x in (-INF, INF, -1.0, 2.0)],
    _ZERO,
)
_add(
    "student_t_grad_params_at_infinity",
    _t_grads_at_ends,
    [((v, 0.5, x), 0.0) for v in (1.0, 3.0, 1e8) for x in (-INF, INF)],
    _ZERO,
)
_add(
    "log_prob_grad_params_off_support",
    _off_support_log_prob_grads,
    [((a, b, x), 0.0) for a, b in ((2.0, 3.0), (0.5, 0.5), (1e8, 1e-3)) for x in (0.5, 1e30, INF)],
    _ZERO,
)
# gradients with closed forms: d/dx Beta(2, 3).cdf = 12 x (1 - x)^2; d/dx Gamma(1, b).cdf =
# b e^{-bx}; d/da Gamma(a, b).log_prob = log(b x) - psi(a) (b x below the smallest normal)
_add(
    "beta_cdf_grad_x",
    jax.grad(lambda x: Beta(2.0, 3.0).cdf(x)),
    [((x,), 12 * x * (1 - x) ** 2) for x in (0.25, 1e-20, 0.5)] + [((-1.0,), 0.0), ((INF,), 0.0)],
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "gamma_cdf_grad_x",
    jax.grad(lambda b, x: Gamma(1.0, b).cdf(x), argnums=1),
    [
        ((b, x), b * math.exp(-b * x))
        for b, x in _rounded([(1.0, 1.0), (1e-10, 1e-20), (2.0, 1e-30)])
    ]
    + [((1.0, -1.0), 0.0), ((1.0, INF), 0.0)],
    {"float64": 1e-12, "float32": 4 * F32},
)
_add(
    "gamma_log_prob_grad_a",
    jax.grad(lambda a, b, x: Gamma(a, b).log_prob(x)),
    [
        (r, math.log(r[1]) + math.log(r[2]) - float(sp.digamma(r[0])))
        for r in _rounded([(0.5, 1e-30, 1e-20), (3.0, 1e-30, 1e-20), (2.0, 1.0, 1.0)])
    ],
    {"float64": 1e-12, "float32": 4 * F32},
)


@pytest.mark.parametrize(
    ("group", "dtype"),
    [pytest.param(g, d, id=f"{g.name}-{d}") for g in EDGE_GROUPS for d in g.rtol],
)
def test_edges(group, dtype):
    assert_edges(group, dtype)
