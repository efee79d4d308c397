"""Edge grid of the continuous families (all but Beta, Gamma, StudentT, Dirichlet), and of a NaN
value and infinite parameters for every family.

Values and gradients at parameters 1e-30 and 1e30 and near the dtype's limits, at the ends of
the support and at +-inf, in float64 and float32, against mpmath (40 digits) or a closed form;
invalid parameters (an infinite or subnormal scale among them) give NaN from every public
method, samples included, and raise ``InvalidParameterError`` in checks mode; a NaN value gives
NaN from every method of a value (``log_prob``, ``prob``, the CDFs, ``score``, ``icdf``), for
every family.

Each float32 group evaluates its oracle at the float32-rounded arguments, so its tolerance is
the rounding of the computation alone.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

import gmath
from gmath.densities import (
    Bernoulli,
    Beta,
    Binomial,
    Categorical,
    Cauchy,
    Dirichlet,
    Exponential,
    Gamma,
    Geometric,
    Gumbel,
    HalfNormal,
    Independent,
    Laplace,
    Logistic,
    LogNormal,
    LowRankMultivariateNormal,
    MixtureSameFamily,
    MultivariateNormal,
    MultivariateNormalDiag,
    Normal,
    Poisson,
    StudentT,
    TruncatedNormal,
    Uniform,
    VonMises,
)

from _edges import EdgeGroup, assert_edges, count_edge_cases

INF = math.inf
NAN = math.nan
F32_MAX = float(np.finfo(np.float32).max)
F64_MAX = float(np.finfo(np.float64).max)


def _f32(v: float) -> float:
    with np.errstate(over="ignore"):
        return float(np.float32(v))


def _mpf(v):
    return mp.mpf(v) if math.isfinite(v) else (mp.inf if v > 0 else mp.ninf)


def _float(v) -> float:
    """An mpmath value as a float64 (overflow to +-inf, as the dtype would)."""
    if v is None:
        return NAN
    if mp.isinf(v):
        return INF if v > 0 else -INF
    if abs(v) > F64_MAX:
        return INF if v > 0 else -INF
    return float(v)


def _log(v):
    return mp.ninf if v == 0 else mp.log(v)


class _Spec(NamedTuple):
    name: str
    dtype: str
    fn: Callable
    rows: list
    oracle: Callable | None  # mpmath oracle of the (rounded) arguments, or None
    expected: list | None  # fixed oracle values (invalid parameters)
    rtol: float
    atol: float


def _pair(name, fn, args, oracle, rtol64, rtol32, *, atol64=0.0, atol32=0.0, f32_args=None):
    """A float64 and a float32 spec of one function; the float32 oracle is evaluated at the
    float32-rounded arguments (``f32_args`` replaces the argument list for float32)."""
    specs = []
    for dtype, rtol, atol, rows in (
        ("float64", rtol64, atol64, args),
        ("float32", rtol32, atol32, f32_args if f32_args is not None else args),
    ):
        rounded = [tuple(_f32(v) for v in a) if dtype == "float32" else a for a in rows]
        specs.append(_Spec(name, dtype, fn, rounded, oracle, None, rtol, atol))
    return specs


def _zero_gradients(name, fn, args):
    """Specs asserting exactly 0 (a sum of gradients) in both dtypes."""
    return [
        _Spec(
            name,
            d,
            fn,
            [tuple(_f32(v) for v in a) if d == "float32" else a for a in args],
            None,
            [0.0] * len(args),
            0.0,
            0.0,
        )
        for d in ("float64", "float32")
    ]


def _materialize(spec: _Spec) -> EdgeGroup:
    if spec.expected is not None:
        expected = spec.expected
    else:
        with mp.workdps(80):
            expected = [_float(spec.oracle(*(_mpf(v) for v in a))) for a in spec.rows]
        if spec.dtype == "float32":
            expected = [_f32(e) if math.isfinite(e) else e for e in expected]
    return EdgeGroup(
        spec.name,
        spec.fn,
        spec.rows,
        expected,
        rtol={spec.dtype: spec.rtol},
        atol={spec.dtype: spec.atol},
    )


# ---------------------------------------------------------------- location-scale families


def _ls_oracles(family):
    """mpmath (log_prob, cdf, log_cdf, log_survival) of z = (x - loc) / scale."""

    def z_of(loc, scale, x):
        return (x - loc) / scale

    if family == "normal":
        lp = lambda z, s: -z * z / 2 - mp.log(s) - mp.log(2 * mp.pi) / 2
        cdf = lambda z: mp.ncdf(z)
        sf = lambda z: mp.ncdf(-z)
    elif family == "laplace":
        lp = lambda z, s: -abs(z) - mp.log(2 * s)
        cdf = lambda z: mp.exp(z) / 2 if z < 0 else 1 - mp.exp(-z) / 2
        sf = lambda z: 1 - mp.exp(z) / 2 if z < 0 else mp.exp(-z) / 2
    elif family == "logistic":
        lp = lambda z, s: -abs(z) - 2 * mp.log1p(mp.exp(-abs(z))) - mp.log(s)
        cdf = lambda z: 1 / (1 + mp.exp(-z))
        sf = lambda z: 1 / (1 + mp.exp(z))
    elif family == "gumbel":
        lp = lambda z, s: -z - mp.exp(-z) - mp.log(s)
        cdf = lambda z: mp.exp(-mp.exp(-z))
        sf = lambda z: -mp.expm1(-mp.exp(-z))
    else:  # cauchy
        lp = lambda z, s: -mp.log(mp.pi * s) - mp.log1p(z * z)
        cdf = lambda z: mp.atan2(1, -z) / mp.pi
        sf = lambda z: mp.atan2(1, z) / mp.pi

    def limit(z, value_at, upper_value, lower_value):
        if mp.isinf(z):
            return upper_value if z > 0 else lower_value
        return value_at(z)

    def log_prob(loc, scale, x):
        z = z_of(loc, scale, x)
        return mp.ninf if mp.isinf(z) else lp(z, scale)

    return {
        "log_prob": log_prob,
        "cdf": lambda loc, scale, x: limit(z_of(loc, scale, x), cdf, 1, 0),
        "log_cdf": lambda loc, scale, x: limit(
            z_of(loc, scale, x), lambda z: _log(cdf(z)), 0, mp.ninf
        ),
        "log_survival": lambda loc, scale, x: limit(
            z_of(loc, scale, x), lambda z: _log(sf(z)), mp.ninf, 0
        ),
    }


_LS_CLASSES = {
    "normal": Normal,
    "laplace": Laplace,
    "logistic": Logistic,
    "gumbel": Gumbel,
    "cauchy": Cauchy,
}

# (loc, scale, x): scales 1e-30, 1, 1e30 and the dtype's range; x at loc, a few scales out,
# far out and at +-inf
_LS_ARGS = [
    (0.0, 1.0, 0.0),
    (0.0, 1.0, 0.75),
    (0.0, 1.0, -3.0),
    (0.0, 1.0, 6.0),
    (0.0, 1.0, -INF),
    (0.0, 1.0, INF),
    (1.0, 1e-30, 1.0),
    (1.0, 1e-30, 1.0 + 2**-20),  # z = 9.5e23: log densities overflow only in squares
    (0.0, 1e-30, 3e-30),
    (0.0, 1e30, 0.0),
    (0.0, 1e30, 2e30),
    (0.0, 1e30, -1e30),
    (-1e30, 1e30, 1e30),
    (0.0, 1e-30, -INF),
    (0.0, 1e30, INF),
]


def _ls_groups():
    groups = []
    for family, cls in _LS_CLASSES.items():
        oracles = _ls_oracles(family)
        for method, oracle in oracles.items():
            fn = lambda loc, scale, x, cls=cls, m=method: getattr(cls(loc, scale), m)(x)
            # float32: the same cases, but the far ones whose values overflow float32 squares
            # are evaluated honestly (+-inf) by the oracle's float32 rounding
            groups += _pair(f"{family}_{method}", fn, _LS_ARGS, oracle, 1e-12, 4e-6, atol32=1e-37)
        # d/dscale of log_prob: (z^2 - 1)/scale (Normal), analogues; zero at x = +-inf
        grad_oracle = _ls_scale_gradient(family)
        fn = lambda loc, scale, x, cls=cls: jax.grad(lambda s: cls(loc, s).log_prob(x))(scale)
        grad_args = [a for a in _LS_ARGS if not (family == "laplace" and a[2] == a[0])]
        groups += _pair(f"{family}_dlogp_dscale", fn, grad_args, grad_oracle, 1e-12, 4e-6)
        # every CDF-type method at +-inf: zero gradients in loc, scale and x
        for method in ("cdf", "log_cdf", "log_survival", "log_prob"):
            fn = lambda loc, scale, x, cls=cls, m=method: sum(
                jax.grad(lambda *v: getattr(cls(v[0], v[1]), m)(v[2]), argnums=(0, 1, 2))(
                    loc, scale, x
                )
            )
            args = [(0.3, 1.7, -INF), (0.3, 1.7, INF), (0.0, 1e-30, INF), (0.0, 1e30, -INF)]
            groups += _zero_gradients(f"{family}_{method}_grad_at_inf", fn, args)
    return groups


def _ls_scale_gradient(family):
    def grad(loc, scale, x):
        z = (x - loc) / scale
        if mp.isinf(z):
            return 0
        if family == "normal":
            return (z * z - 1) / scale
        if family == "laplace":
            return (abs(z) - 1) / scale
        if family == "logistic":
            return (z * mp.tanh(z / 2) - 1) / scale
        if family == "gumbel":
            return (z - z * mp.exp(-z) - 1) / scale
        return (2 * z * z / (1 + z * z) - 1) / scale

    return grad


# ---------------------------------------------------------------- positive half-line


def _positive_groups():
    def exp_oracles():
        def lp(rate, x):
            return mp.log(rate) - rate * x if 0 <= x < mp.inf else mp.ninf

        return {
            "log_prob": lp,
            "cdf": lambda r, x: 0 if x <= 0 else (1 if mp.isinf(x) else -mp.expm1(-r * x)),
            "log_cdf": lambda r, x: (
                mp.ninf if x <= 0 else (0 if mp.isinf(x) else mp.log1p(-mp.exp(-r * x)))
            ),
            "log_survival": lambda r, x: 0 if x <= 0 else (mp.ninf if mp.isinf(x) else -r * x),
        }

    def half_normal_oracles():
        def lp(s, x):
            if x < 0 or mp.isinf(x):
                return mp.ninf
            return mp.log(2 / mp.pi) / 2 - mp.log(s) - (x / s) ** 2 / 2

        def cdf(s, x):
            return 0 if x <= 0 else (1 if mp.isinf(x) else mp.erf(x / (s * mp.sqrt(2))))

        def sf(s, x):
            return 1 if x <= 0 else (0 if mp.isinf(x) else mp.erfc(x / (s * mp.sqrt(2))))

        return {
            "log_prob": lp,
            "cdf": cdf,
            "log_cdf": lambda s, x: _log(cdf(s, x)),
            "log_survival": lambda s, x: _log(sf(s, x)),
        }

    def log_normal_oracles():
        def z(loc, s, x):
            return (mp.log(x) - loc) / s

        def lp(loc, s, x):
            if x <= 0 or mp.isinf(x):
                return mp.ninf
            zz = z(loc, s, x)
            return -zz * zz / 2 - mp.log(x) - mp.log(s) - mp.log(2 * mp.pi) / 2

        def cdf(loc, s, x):
            return 0 if x <= 0 else (1 if mp.isinf(x) else mp.ncdf(z(loc, s, x)))

        def sf(loc, s, x):
            return 1 if x <= 0 else (0 if mp.isinf(x) else mp.ncdf(-z(loc, s, x)))

        return {
            "log_prob": lp,
            "cdf": cdf,
            "log_cdf": lambda loc, s, x: _log(cdf(loc, s, x)),
            "log_survival": lambda loc, s, x: _log(sf(loc, s, x)),
        }

    one_param_args = [
        (1.0, 0.0),
        (1.0, 0.5),
        (1.0, -1.0),
        (1.0, -INF),
        (1.0, INF),
        (1e-30, 1e29),
        (1e-30, 0.0),
        (1e30, 1e-30),
        (1e30, 2e-31),
        (2.5, 30.0),
        (1e-30, INF),
    ]
    groups = []
    for name, cls, oracles in (
        ("exponential", Exponential, exp_oracles()),
        ("half_normal", HalfNormal, half_normal_oracles()),
    ):
        for method, oracle in oracles.items():
            fn = lambda p, x, cls=cls, m=method: getattr(cls(p), m)(x)
            groups += _pair(
                f"{name}_{method}", fn, one_param_args, oracle, 1e-12, 4e-6, atol32=1e-37
            )
        # gradients off the support, at 0- and at +-inf: zero in the parameter and in x
        for method in oracles:
            fn = lambda p, x, cls=cls, m=method: sum(
                jax.grad(lambda a, b: getattr(cls(a), m)(b), argnums=(0, 1))(p, x)
            )
            args = [(1.7, -1.0), (1.7, -INF), (1.7, INF), (1e-30, INF), (1e30, -1e-30)]
            groups += _zero_gradients(f"{name}_{method}_grad_off_support", fn, args)
    ln_args = [
        (0.0, 1.0, 1.0),
        (0.0, 1.0, 0.0),
        (0.0, 1.0, -2.0),
        (0.0, 1.0, INF),
        (0.0, 1.0, -INF),
        (0.0, 1e-30, 1.0),
        (2.0, 1e30, 1e30),
        (-50.0, 1.0, 1e-22),
        (50.0, 1.0, 1e22),
        (0.0, 0.25, 3.0),
    ]
    for method, oracle in log_normal_oracles().items():
        fn = lambda loc, s, x, m=method: getattr(LogNormal(loc, s), m)(x)
        groups += _pair(f"log_normal_{method}", fn, ln_args, oracle, 1e-12, 4e-6, atol32=1e-37)
        fn = lambda loc, s, x, m=method: sum(
            jax.grad(lambda *a: getattr(LogNormal(a[0], a[1]), m)(a[2]), argnums=(0, 1, 2))(
                loc, s, x
            )
        )
        args = [(0.2, 1.7, -1.0), (0.2, 1.7, 0.0), (0.2, 1.7, INF), (0.2, 1.7, -INF)]
        groups += _zero_gradients(f"log_normal_{method}_grad_off_support", fn, args)
    return groups


# ---------------------------------------------------------------- uniform


def _uniform_groups():
    def frac(a, b, x):
        return min(max((x - a) / (b - a), 0), 1) if not mp.isinf(x) else (1 if x > 0 else 0)

    oracles = {
        "log_prob": lambda a, b, x: -mp.log(b - a) if a <= x <= b else mp.ninf,
        "cdf": frac,
        "log_cdf": lambda a, b, x: _log(frac(a, b, x)),
        "log_survival": lambda a, b, x: _log(1 - frac(a, b, x)),
    }
    args = [
        (0.0, 1.0, 0.0),
        (0.0, 1.0, 1.0),
        (0.0, 1.0, 0.25),
        (0.0, 1.0, -INF),
        (0.0, 1.0, INF),
        (-1e30, 1e30, 0.0),
        (-1e30, 1e30, 5e29),
        (1.0, 1.0 + 2**-20, 1.0 + 2**-21),
        (0.0, 1e-30, 2.5e-31),
        (-2.0, 3.0, -5.0),
    ]
    groups = []
    for method, oracle in oracles.items():
        fn = lambda a, b, x, m=method: getattr(Uniform(a, b), m)(x)
        groups += _pair(f"uniform_{method}", fn, args, oracle, 1e-12, 4e-6, atol32=1e-37)
        fn = lambda a, b, x, m=method: sum(
            jax.grad(lambda *v: getattr(Uniform(v[0], v[1]), m)(v[2]), argnums=(0, 1, 2))(a, b, x)
        )
        grad_args = [(-1.0, 2.0, -3.0), (-1.0, 2.0, 5.0), (-1.0, 2.0, INF), (-1.0, 2.0, -INF)]
        groups += _zero_gradients(f"uniform_{method}_grad_outside", fn, grad_args)
    return groups


# ---------------------------------------------------------------- truncated normal


def _tn_moments(loc, scale, low, high):
    """(entropy, mean, variance) by quadrature about the density's peak, in units of the width
    over which it decays (mpmath's quadrature works to an absolute tolerance)."""
    x0 = min(max(loc, low), high)
    slope = abs(x0 - loc) / (scale * scale)
    w = min(scale, 1 / slope) if slope > 0 else scale
    w = min(w, high - low)  # a narrow interval: its own width
    g = lambda u: -((x0 + w * u - loc) ** 2 - (x0 - loc) ** 2) / (2 * scale * scale)
    # beyond 200 widths the density is below e^-200 of its peak
    lo, hi = max((low - x0) / w, -200), min((high - x0) / w, 200)
    pts = sorted({lo, hi, *(p for p in (-40, -8, -1, 0, 1, 8, 40) if lo < p < hi)})
    norm = mp.quad(lambda u: mp.exp(g(u)), pts)
    m1 = mp.quad(lambda u: u * mp.exp(g(u)), pts) / norm
    var = mp.quad(lambda u: (u - m1) ** 2 * mp.exp(g(u)), pts) / norm
    eg = mp.quad(lambda u: g(u) * mp.exp(g(u)), pts) / norm
    return mp.log(w * norm) - eg, x0 + w * m1, w * w * var


def _tn_groups():
    args = [
        (0.0, 1e8, 10.0, 50.0),
        (0.0, 1e30, 10.0, 50.0),
        (0.0, 1e6, 10.0, 50.0),
        (1e8, 1.0, -1.0, 1.0),
        (-1e8, 1.0, -1.0, 1.0),
        (0.0, 1.0, 39.0, 40.0),
        (0.0, 1.0, 10.0, INF),
        (0.0, 1.0, -INF, -30.0),
        (0.0, 1.0, -INF, INF),
        (0.0, 1.0, -1.0, 2.0),
        (0.0, 1e-30, -1.0, 1.0),
        (5.0, 1e-3, 4.9, 5.2),
        (0.0, 1.0, 1.0, 1.0 + 2**-20),
        (0.0, 1.0, 2.9, 3.3),
        (0.0, 1.0, 0.5, INF),
    ]
    groups = []
    for i, method in enumerate(("entropy", "mean", "variance")):
        fn = lambda *a, m=method: getattr(TruncatedNormal(*a), m)()
        oracle = functools.lru_cache(maxsize=None)(lambda *a: _tn_moments(*a))
        groups += _pair(
            f"truncated_normal_{method}",
            fn,
            args,
            lambda *a, i=i, oracle=oracle: oracle(*a)[i],
            1e-12,
            4 * float(np.finfo(np.float32).eps),
            # the mean of a symmetric case is 0: quadrature noise far below the spread
            atol64=1e-50 if method == "mean" else 1e-300,
            atol32=1e-37 if method == "mean" else 0.0,
        )

    # log_prob and the CDFs at and beyond the ends, at +-inf: values and zero gradients
    def lp(loc, s, a, b, x):
        if not (a <= x <= b) or mp.isinf(x):
            return mp.ninf
        z = (x - loc) / s
        mass = mp.ncdf((b - loc) / s) - mp.ncdf((a - loc) / s)
        return -z * z / 2 - mp.log(2 * mp.pi) / 2 - mp.log(s) - mp.log(mass)

    lp_args = [
        (0.0, 1.0, -1.0, 2.0, -1.0),
        (0.0, 1.0, -1.0, 2.0, 2.0),
        (0.0, 1.0, -1.0, 2.0, 3.0),
        (0.0, 1.0, -1.0, 2.0, -INF),
        (0.0, 1.0, -INF, INF, INF),
        (0.0, 1e-30, -1e-30, 1e-30, 0.0),
    ]
    fn = lambda *a: TruncatedNormal(*a[:4]).log_prob(a[4])
    groups += _pair("truncated_normal_log_prob", fn, lp_args, lp, 1e-12, 4e-6)

    # every partial derivative (in loc, scale, low, high and x) exactly 0: the sum of their
    # absolute values (NaN if any is NaN). One group per method: XLA:CPU compiled the four
    # methods' gradients in one program in 42 s, apart in 17 s in all
    def grad_sum(method):
        def fn(*a):
            g = jax.grad(
                lambda *v: getattr(TruncatedNormal(*v[:4]), method)(v[4]),
                argnums=(0, 1, 2, 3, 4),
            )(*a)
            return sum(jnp.abs(d) for d in g)

        return fn

    grad_args = [
        (0.3, 1.7, -1.0, 2.0, -3.0),
        (0.3, 1.7, -1.0, 2.0, INF),
        (0.3, 1.7, -1.0, 2.0, -INF),
        (0.3, 1.7, -INF, INF, INF),
        (0.3, 1.7, -INF, INF, -INF),
    ]
    for method in ("log_prob", "cdf", "log_cdf", "log_survival"):
        groups += _zero_gradients(
            f"truncated_normal_{method}_grad_outside", grad_sum(method), grad_args
        )
    return groups


# ---------------------------------------------------------------- von Mises


def _von_mises_groups():
    def lp(loc, k, x):
        return k * (mp.cos(x - loc) - 1) - mp.log(2 * mp.pi * mp.besseli(0, k) * mp.exp(-k))

    def entropy(loc, k):
        r = mp.besseli(1, k) / mp.besseli(0, k)
        return k * (1 - r) + mp.log(2 * mp.pi * mp.besseli(0, k) * mp.exp(-k))

    def circ_var(loc, k):
        return 1 - mp.besseli(1, k) / mp.besseli(0, k)

    lp_args = [
        (0.0, 0.0, 1.0),
        (0.0, 1e-30, 2.0),
        (1.0, 1.0, -2.0),
        (0.0, 1e6, 0.0),
        (0.0, 1e6, 1e-3),
        (0.0, 1e30, 0.0),
        (0.5, 50.0, 0.5 + math.pi),
    ]
    groups = _pair(
        "von_mises_log_prob",
        lambda loc, k, x: VonMises(loc, k).log_prob(x),
        lp_args,
        lp,
        1e-12,
        4e-6,
        atol32=2e-6,
    )

    # concentration 1e30 and the dtype's largest float: the large-kappa asymptotics (A&S
    # 9.7.1: e^-k I_0(k) = (2 pi k)^-1/2 (1 + 1/(8k) + 9/(128k^2) + ...), exact to rounding
    # there; F = Phi(2 sin(theta/2) sqrt(k)) up to relative O(1/k); H -> 1/2 + log(2 pi e^-k
    # I_0(k)))
    def log_i0e_huge(k):
        return -mp.log(2 * mp.pi * k) / 2 + mp.log1p(1 / (8 * k) + 9 / (128 * k * k))

    def lp_huge(loc, k, x):
        return -2 * k * mp.sin((x - loc) / 2) ** 2 - mp.log(2 * mp.pi) - log_i0e_huge(k)

    huge64 = [(0.0, F64_MAX, x) for x in (0.0, 1e-10, -1e-154, 1.0)]
    huge32 = [(0.0, F32_MAX, x) for x in (0.0, 1e-10, -1e-20, 1.0)]
    huge = [(0.0, 1e30, x) for x in (0.0, 1e-16, -3e-16, 1e-10, 1.0)]
    groups += _pair(
        "von_mises_huge_concentration_log_prob",
        lambda loc, k, x: VonMises(loc, k).log_prob(x),
        huge64 + huge,
        lp_huge,
        1e-12,
        4e-6,
        f32_args=huge32 + huge,
    )
    groups += _pair(
        "von_mises_huge_concentration_cdf",
        lambda loc, k, x: VonMises(loc, k).cdf(x),
        huge64 + huge,
        lambda loc, k, x: mp.ncdf(2 * mp.sin((x - loc) / 2) * mp.sqrt(k)),
        1e-12,
        4e-6,
        f32_args=huge32 + huge,
    )
    groups += _pair(
        "von_mises_huge_concentration_entropy",
        lambda loc, k: VonMises(loc, k).entropy(),
        [(0.0, F64_MAX), (0.0, 1e30)],
        lambda loc, k: 1 / mp.mpf(2) + 1 / (8 * k) + mp.log(2 * mp.pi) + log_i0e_huge(k),
        1e-12,
        4e-6,
        f32_args=[(0.0, F32_MAX), (0.0, 1e30)],
    )
    k_args = [(0.0, 0.0), (0.0, 1e-30), (0.0, 1e-8), (0.0, 1.0), (0.0, 1e3), (0.0, 1e8)]
    groups += _pair(
        "von_mises_entropy",
        lambda loc, k: VonMises(loc, k).entropy(),
        k_args,
        entropy,
        1e-12,
        1e-5,
    )
    groups += _pair(
        "von_mises_circular_variance",
        lambda loc, k: VonMises(loc, k).variance(),
        k_args,
        circ_var,
        1e-10,
        1e-5,
    )
    return groups


# ---------------------------------------------------------------- multivariate


def _multivariate_groups():
    def diag_lp(s1, s2, x1, x2):
        return -((x1 / s1) ** 2 + (x2 / s2) ** 2) / 2 - mp.log(s1) - mp.log(s2) - mp.log(2 * mp.pi)

    args = [
        (1.0, 2.0, 0.5, -1.0),
        (1e-30, 1e-30, 0.0, 1e-30),
        (1e30, 1e-30, 1e30, 0.0),
        (1e30, 1e30, -2e30, 1e30),
    ]
    vec = lambda a, b: jnp.stack([a, b])
    groups = _pair(
        "mvn_diag_log_prob",
        lambda s1, s2, x1, x2: MultivariateNormalDiag(vec(0 * s1, 0 * s2), vec(s1, s2)).log_prob(
            vec(x1, x2)
        ),
        args,
        diag_lp,
        1e-12,
        4e-6,
    )
    groups += _pair(
        "mvn_tril_log_prob",
        lambda s1, s2, x1, x2: MultivariateNormal(
            vec(0 * s1, 0 * s2), scale_tril=jnp.diag(vec(s1, s2))
        ).log_prob(vec(x1, x2)),
        args,
        diag_lp,
        1e-12,
        4e-6,
    )
    groups += _pair(
        "low_rank_mvn_log_prob",
        lambda s1, s2, x1, x2: LowRankMultivariateNormal(
            vec(0 * s1, 0 * s2), jnp.zeros((2, 1), s1.dtype), vec(s1 * s1, s2 * s2)
        ).log_prob(vec(x1, x2)),
        args[:2],
        diag_lp,
        1e-12,
        4e-6,
        f32_args=args[:1],
    )
    # d/ds log p for the diagonal normal at the mean: -1/s (f32: finite for s = 1e-30)
    groups += _pair(
        "mvn_diag_dlogp_dscale",
        lambda s1, s2, x1, x2: jax.grad(
            lambda a: MultivariateNormalDiag(vec(0 * s1, 0 * s2), vec(a, s2)).log_prob(vec(x1, x2))
        )(s1),
        [(1e-30, 1.0, 0.0, 0.0), (1.0, 1.0, 0.0, 0.0), (1e30, 1.0, 0.0, 0.0)],
        lambda s1, s2, x1, x2: ((x1 / s1) ** 2 - 1) / s1,
        1e-12,
        4e-6,
    )
    return groups


# ---------------------------------------------------------------- invalid parameters


_KEY = jax.random.key(0)


def _all_nan(*values):
    """NaN if every value (samples included) is entirely NaN, else 0."""
    every = jnp.stack([jnp.all(jnp.isnan(v)) for v in values]).all()
    return jnp.where(every, jnp.nan, 0.0).astype(values[0].dtype)


def _univariate_methods(p, x, u):
    return (
        p.log_prob(x),
        p.prob(x),
        p.cdf(x),
        p.log_cdf(x),
        p.log_survival(x),
        p.icdf(u),
        p.mean(),
        p.variance(),
        p.stddev(),
        p.mode(),
        p.entropy(),
        p.score(x),
        p.sample(_KEY, (4,)),
    )


def _mv_methods(p, x, *, covariance=True):
    out = (
        p.log_prob(x),
        p.prob(x),
        p.mean(),
        p.variance(),
        p.stddev(),
        p.mode(),
        p.entropy(),
        p.score(x),
        p.sample(_KEY, (4,)),
    )
    return out + (p.covariance(),) if covariance else out


def _mv_all_nan(make):
    """``_all_nan`` of every multivariate method of ``make(loc, diag)`` at location ``(a, 0)``
    and diagonal ``(b, 1)``: the parameters under test are the first loc and scale entries."""

    def fn(a, b):
        p = make(jnp.stack([a, jnp.zeros_like(a)]), jnp.stack([b, 1 + 0 * b]))
        return _all_nan(*_mv_methods(p, jnp.array([0.3, 0.1], a.dtype)))

    return fn


def _mixture_methods(p):
    # a mixture has no closed-form mode or entropy
    x, u = 0.3, 0.4
    return (
        p.log_prob(x),
        p.prob(x),
        p.cdf(x),
        p.log_cdf(x),
        p.log_survival(x),
        p.icdf(u),
        p.mean(),
        p.variance(),
        p.stddev(),
        p.score(x),
        p.sample(_KEY, (4,)),
    )


_INVALID = {
    # name: (fn of (a, b) -> NaN iff every method is NaN, [invalid (a, b)], [valid (a, b)])
    "normal": (lambda a, b: _all_nan(*_univariate_methods(Normal(a, b), 0.3, 0.4)), "loc_scale"),
    "laplace": (lambda a, b: _all_nan(*_univariate_methods(Laplace(a, b), 0.3, 0.4)), "loc_scale"),
    "logistic": (
        lambda a, b: _all_nan(*_univariate_methods(Logistic(a, b), 0.3, 0.4)),
        "loc_scale",
    ),
    "gumbel": (lambda a, b: _all_nan(*_univariate_methods(Gumbel(a, b), 0.3, 0.4)), "loc_scale"),
    "cauchy": (
        lambda a, b: _all_nan(
            *(m for i, m in enumerate(_univariate_methods(Cauchy(a, b), 0.3, 0.4)) if i != 6)
        ),
        "loc_scale",
    ),
    "log_normal": (
        lambda a, b: _all_nan(*_univariate_methods(LogNormal(a, b), 0.3, 0.4)),
        "loc_scale",
    ),
    "exponential": (
        lambda a, b: _all_nan(*_univariate_methods(Exponential(b), 0.3, 0.4)),
        "scale",
    ),
    "half_normal": (
        lambda a, b: _all_nan(*_univariate_methods(HalfNormal(b), 0.3, 0.4)),
        "scale",
    ),
    "uniform": (lambda a, b: _all_nan(*_univariate_methods(Uniform(a, b), 0.3, 0.4)), "bounds"),
    "truncated_normal": (  # (loc, shift of high, scale)
        lambda m, a, b: _all_nan(
            *_univariate_methods(TruncatedNormal(m, b, -1 + 0 * a, 1 + a), 0.3, 0.4)
        ),
        "loc_scale_and_bounds",
    ),
    "von_mises": (
        lambda a, b: _all_nan(
            *(m for i, m in enumerate(_univariate_methods(VonMises(a, b), 0.3, 0.4)) if i != 10)
        ),
        "loc_concentration",
    ),
    "mvn_diag": (_mv_all_nan(lambda loc, sd: MultivariateNormalDiag(loc, sd)), "loc_scale"),
    "mvn_tril": (
        _mv_all_nan(lambda loc, sd: MultivariateNormal(loc, scale_tril=jnp.diag(sd))),
        "loc_scale",
    ),
    "mvn_covariance": (
        _mv_all_nan(lambda loc, sd: MultivariateNormal(loc, covariance_matrix=jnp.diag(sd))),
        "loc_scale",
    ),
    "low_rank_mvn": (
        _mv_all_nan(
            lambda loc, sd: LowRankMultivariateNormal(loc, jnp.ones((2, 1), loc.dtype), sd)
        ),
        "loc_scale",
    ),
    "independent_normal": (
        lambda a, b: _all_nan(
            *_mv_methods(
                Independent(Normal(jnp.stack([a, a]), jnp.stack([b, b])), 1),
                jnp.array([0.3, 0.1], a.dtype),
                covariance=False,
            )
        ),
        "loc_scale",
    ),
    "mixture_of_normals": (
        lambda a, b: _all_nan(
            *_mixture_methods(
                MixtureSameFamily(jnp.stack([0 * a, 0 * a]), Normal(jnp.stack([a, -a]), b))
            )
        ),
        "loc_scale",
    ),
}

# invalid: NaN from every method; valid: no method NaN (the oracle 0)
# an infinite scale (rate, concentration) is no distribution: invalid, as is a subnormal one
# (XLA flushes it to zero; 5e-324 rounds to 0 in float32)
_INVALID_ARGS = {
    "scale": (
        [
            (0.0, -1.0),
            (0.0, 0.0),
            (1.0, -1e-30),
            (0.0, -INF),
            (0.0, NAN),
            (0.0, INF),
            (0.0, 5e-324),
        ],
        [(0.0, 1.0)],
    ),
    "bounds": ([(0.0, 0.0), (1.0, -1.0), (0.0, NAN)], [(0.0, 1.0)]),
    "loc_scale_and_bounds": (
        [
            (0.0, 0.0, -1.0),
            (0.0, -2.0, 1.0),
            (0.0, 0.0, NAN),
            (0.0, 0.0, INF),
            (INF, 0.0, 1.0),
            (-INF, 0.0, 1.0),
            (NAN, 0.0, 1.0),
        ],
        [(0.0, 0.0, 1.0)],
    ),
    "concentration": (
        [(0.0, -1.0), (0.0, -1e-30), (0.0, NAN), (0.0, INF)],
        [(0.0, 1.0)],
    ),
}
# a location (the first coordinate of a vector one) that is not finite is no distribution
_INVALID_LOC = [(INF, 1.0), (-INF, 1.0), (NAN, 1.0)]
_INVALID_ARGS["loc_scale"] = (_INVALID_ARGS["scale"][0] + _INVALID_LOC, _INVALID_ARGS["scale"][1])
_INVALID_ARGS["loc_concentration"] = (
    _INVALID_ARGS["concentration"][0] + _INVALID_LOC,
    _INVALID_ARGS["concentration"][1],
)


def _invalid_groups():
    specs = []
    for name, (fn, kind) in _INVALID.items():
        invalid, valid = _INVALID_ARGS[kind]
        expected = [NAN] * len(invalid) + [0.0] * len(valid)
        for d in ("float64", "float32"):
            rows = [tuple(_f32(v) for v in a) if d == "float32" else a for a in invalid + valid]
            specs.append(
                _Spec(f"{name}_invalid_parameters_nan", d, fn, rows, None, expected, 0.0, 0.0)
            )
    return specs


def _nan_or_finite(*values):
    """NaN if every value is entirely NaN, 0 if every value is finite, else 1."""
    nan = jnp.stack([jnp.all(jnp.isnan(v)) for v in values]).all()
    finite = jnp.stack([jnp.all(jnp.isfinite(v)) for v in values]).all()
    return jnp.where(nan, jnp.nan, jnp.where(finite, 0.0, 1.0)).astype(values[0].dtype)


def _loc_gradients(family):
    """``a ->`` derivatives of the methods of ``family`` (LogNormal, VonMises or a multivariate
    normal) with location ``a`` (the first coordinate of a vector one, the other 0): in loc for
    every method (log_prob, cdf, log_survival, mean, sample; score for a vector; icdf and
    entropy for LogNormal), and in the other parameter for the methods into which loc enters
    nonlinearly. NaN where ``a`` is not finite (the output mask alone would give 0 for a method
    linear in loc), finite where it is. One family per group (one program for all six compiled
    no faster than six apart)."""

    def univariate(make, a, second):
        x, key = jnp.asarray(0.3, a.dtype), _KEY
        methods = [
            lambda p: p.log_prob(x),
            lambda p: p.cdf(x),
            lambda p: p.log_survival(x),
            lambda p: p.mean(),
            lambda p: p.sample(key),
        ]
        grads = [jax.grad(lambda loc, m=m: m(make(loc, second)))(a) for m in methods]
        return grads + [jax.grad(lambda o, m=m: m(make(a, o)))(second) for m in methods[:3]]

    def multivariate(make, a, matrix, select=lambda g: g):
        xv, key = jnp.array([0.3, 0.1], a.dtype), _KEY
        methods = [
            lambda p: p.log_prob(xv),
            lambda p: jnp.sum(p.score(xv)),
            lambda p: jnp.sum(p.mean()),
            lambda p: jnp.sum(p.sample(key)),
        ]
        loc = jnp.stack([a, jnp.zeros_like(a)])
        grads = [jax.grad(lambda v, m=m: m(make(v, matrix)))(loc) for m in methods]
        # in the matrix (the entries the family reads: scale_tril's lower triangle), for the
        # methods that read it: log_prob, score, sample
        return grads + [
            select(jax.grad(lambda o, m=m: m(make(loc, o)))(matrix))
            for m in methods[:2] + methods[3:]
        ]

    def grads(a):
        dtype = a.dtype
        one, eye, ones = jnp.asarray(1.0, dtype), jnp.eye(2, dtype=dtype), jnp.ones(2, dtype)
        if family == "LogNormal":
            u = jnp.asarray(0.4, dtype)
            out = univariate(LogNormal, a, one)
            out.append(jax.grad(lambda loc: LogNormal(loc, one).icdf(u))(a))
            out.append(jax.grad(lambda loc: LogNormal(loc, one).entropy())(a))
        elif family == "VonMises":
            out = univariate(VonMises, a, one)
        elif family == "MultivariateNormal_scale_tril":
            out = multivariate(
                lambda loc, m: MultivariateNormal(loc, scale_tril=m),
                a,
                eye,
                lambda g: g[jnp.tril_indices(2)],
            )
        elif family == "MultivariateNormal_precision":
            out = multivariate(lambda loc, m: MultivariateNormal(loc, precision_matrix=m), a, eye)
        elif family == "MultivariateNormalDiag":
            out = multivariate(MultivariateNormalDiag, a, ones)
        else:
            out = multivariate(
                lambda loc, d: LowRankMultivariateNormal(loc, jnp.ones((2, 1), dtype), d), a, ones
            )
        return _nan_or_finite(*out)

    return grads


_LOC_FAMILIES = (
    "LogNormal",
    "VonMises",
    "MultivariateNormal_scale_tril",
    "MultivariateNormal_precision",
    "MultivariateNormalDiag",
    "LowRankMultivariateNormal",
)


def _loc_gradient_groups():
    rows = [(INF,), (-INF,), (NAN,), (0.5,)]
    return [
        _Spec(
            f"loc_gradients_nan_{family}",
            d,
            _loc_gradients(family),
            rows,
            None,
            [NAN, NAN, NAN, 0.0],
            0.0,
            0.0,
        )
        for family in _LOC_FAMILIES
        for d in ("float64", "float32")
    ]


# (family, whether its standard law's mean is nonzero, so that the mean reads the scale; None:
# no mean)
_GRADIENT_FAMILIES = {
    "Normal": (Normal, False),
    "Laplace": (Laplace, False),
    "Logistic": (Logistic, False),
    "Gumbel": (Gumbel, True),
    "Cauchy": (Cauchy, None),  # no mean: NaN whatever the parameters
    "StudentT": (lambda m, s: StudentT(jnp.asarray(3.0, m.dtype), m, s), False),
    "TruncatedNormal": (
        lambda m, s: TruncatedNormal(m, s, jnp.asarray(-1.0, m.dtype), jnp.asarray(1.0, m.dtype)),
        True,
    ),
}


def _invalid_parameter_gradients(family):
    """``(loc, scale) ->`` derivatives of ``family`` in each parameter a method reads
    (log_prob, cdf, sample: loc and scale; mean: loc, and scale where the standard law's mean
    is not 0; entropy: scale; TruncatedNormal: log_prob and mean): NaN at an invalid
    (loc, scale), where the value is NaN (an output select alone gives a method linear in a
    parameter derivative 0), finite where the parameters are valid. One family per group: one
    program for all seven took 1.2x as long to compile as seven apart."""
    make, mean_reads_scale = _GRADIENT_FAMILIES[family]

    def grads(loc, scale):
        x, key = jnp.asarray(0.3, loc.dtype), _KEY
        both, loc_only, scale_only = (0, 1), (0,), (1,)
        cases = [(lambda p: p.log_prob(x), both)]
        if family != "TruncatedNormal":
            cases += [(lambda p: p.cdf(x), both), (lambda p: p.sample(key), both)]
            cases.append((lambda p: p.entropy(), scale_only))
        if mean_reads_scale is not None:
            cases.append((lambda p: p.mean(), both if mean_reads_scale else loc_only))
        values = [
            jax.grad(lambda m, s, f=f: f(make(m, s)), argnums=argnums)(loc, scale)
            for f, argnums in cases
        ]
        return _nan_or_finite(*[g for per_case in values for g in per_case])

    return grads


def _invalid_parameter_gradient_groups():
    rows = [(INF, 1.0), (-INF, 1.0), (NAN, 1.0), (0.5, -1.0), (0.5, 0.0), (0.5, INF), (0.5, NAN)]
    rows.append((0.5, 2.0))
    expected = [NAN] * (len(rows) - 1) + [0.0]
    return [
        _Spec(
            f"location_scale_gradients_nan_{family}",
            d,
            _invalid_parameter_gradients(family),
            rows,
            None,
            expected,
            0.0,
            0.0,
        )
        for family in _GRADIENT_FAMILIES
        for d in ("float64", "float32")
    ]


# ---------------------------------------------------------------- a NaN value


def _value_methods(p, x, *, continuous=True, cdfs=True):
    """The methods of a value: NaN in any coordinate of ``x`` must give NaN from each."""
    out = (p.log_prob(x), p.prob(x))
    if cdfs:
        out += (p.cdf(x), p.log_cdf(x), p.log_survival(x))
    if continuous:
        out += (p.score(x),)
    return out


def _const(dtype, *values):
    return [jnp.asarray(v, dtype) for v in values]


def _pair_x(x):
    return jnp.stack([x, jnp.asarray(0.1, x.dtype)])


# name: (x -> NaN iff every value method of the family at x is NaN, else 0; a valid x)
_NAN_VALUE = {
    "normal": (lambda x: _all_nan(*_value_methods(Normal(*_const(x.dtype, 0.0, 1.0)), x)), 0.3),
    "laplace": (lambda x: _all_nan(*_value_methods(Laplace(*_const(x.dtype, 0.0, 1.0)), x)), 0.3),
    "logistic": (
        lambda x: _all_nan(*_value_methods(Logistic(*_const(x.dtype, 0.0, 1.0)), x)),
        0.3,
    ),
    "gumbel": (lambda x: _all_nan(*_value_methods(Gumbel(*_const(x.dtype, 0.0, 1.0)), x)), 0.3),
    "cauchy": (lambda x: _all_nan(*_value_methods(Cauchy(*_const(x.dtype, 0.0, 1.0)), x)), 0.3),
    "log_normal": (
        lambda x: _all_nan(*_value_methods(LogNormal(*_const(x.dtype, 0.0, 1.0)), x)),
        0.3,
    ),
    "half_normal": (
        lambda x: _all_nan(*_value_methods(HalfNormal(*_const(x.dtype, 1.0)), x)),
        0.3,
    ),
    "exponential": (
        lambda x: _all_nan(*_value_methods(Exponential(*_const(x.dtype, 2.0)), x)),
        0.3,
    ),
    "uniform": (lambda x: _all_nan(*_value_methods(Uniform(*_const(x.dtype, 0.0, 1.0)), x)), 0.3),
    "truncated_normal": (
        lambda x: _all_nan(
            *_value_methods(TruncatedNormal(*_const(x.dtype, 0.0, 1.0, -1.0, 2.0)), x)
        ),
        0.3,
    ),
    "von_mises": (
        lambda x: _all_nan(*_value_methods(VonMises(*_const(x.dtype, 0.0, 2.0)), x)),
        0.3,
    ),
    "beta": (lambda x: _all_nan(*_value_methods(Beta(*_const(x.dtype, 2.0, 3.0)), x)), 0.3),
    "gamma": (lambda x: _all_nan(*_value_methods(Gamma(*_const(x.dtype, 2.0, 3.0)), x)), 0.3),
    "student_t": (
        lambda x: _all_nan(*_value_methods(StudentT(*_const(x.dtype, 3.0, 0.0, 1.0)), x)),
        0.3,
    ),
    "icdf": (  # u = NaN: every family's quantile
        lambda u: _all_nan(
            *(
                p.icdf(u)
                for p in (
                    Normal(*_const(u.dtype, 0.0, 1.0)),
                    Uniform(*_const(u.dtype, 0.0, 1.0)),
                    Exponential(*_const(u.dtype, 2.0)),
                    HalfNormal(*_const(u.dtype, 1.0)),
                    LogNormal(*_const(u.dtype, 0.0, 1.0)),
                    Cauchy(*_const(u.dtype, 0.0, 1.0)),
                    TruncatedNormal(*_const(u.dtype, 0.0, 1.0, -1.0, 2.0)),
                    Gamma(*_const(u.dtype, 2.0, 3.0)),
                    StudentT(*_const(u.dtype, 3.0, 0.0, 1.0)),
                )
            )
        ),
        0.4,
    ),
    "poisson": (
        lambda x: _all_nan(
            *_value_methods(Poisson(*_const(x.dtype, 2.0)), x, continuous=False, cdfs=False)
        ),
        1.0,
    ),
    "bernoulli": (
        lambda x: _all_nan(
            *_value_methods(
                Bernoulli(probs=_const(x.dtype, 0.3)[0]), x, continuous=False, cdfs=False
            )
        ),
        1.0,
    ),
    "geometric": (
        lambda x: _all_nan(
            *_value_methods(
                Geometric(probs=_const(x.dtype, 0.3)[0]), x, continuous=False, cdfs=False
            )
        ),
        1.0,
    ),
    "binomial": (
        lambda x: _all_nan(
            *_value_methods(
                Binomial(5, probs=_const(x.dtype, 0.3)[0]), x, continuous=False, cdfs=False
            )
        ),
        1.0,
    ),
    "categorical": (
        lambda x: _all_nan(
            *_value_methods(
                Categorical(probs=jnp.asarray([0.2, 0.8], x.dtype)), x, continuous=False, cdfs=False
            )
        ),
        1.0,
    ),
    "dirichlet": (
        lambda x: _all_nan(
            *_value_methods(
                Dirichlet(jnp.asarray([2.0, 3.0], x.dtype)),
                jnp.stack([x, 1 - jnp.asarray(0.3, x.dtype)]),
                cdfs=False,
            )
        ),
        0.3,
    ),
    "mvn_diag": (
        lambda x: _all_nan(
            *_value_methods(
                MultivariateNormalDiag(jnp.zeros(2, x.dtype), jnp.ones(2, x.dtype)),
                _pair_x(x),
                cdfs=False,
            )
        ),
        0.3,
    ),
    "mvn_tril": (
        lambda x: _all_nan(
            *_value_methods(
                MultivariateNormal(jnp.zeros(2, x.dtype), scale_tril=jnp.eye(2, dtype=x.dtype)),
                _pair_x(x),
                cdfs=False,
            )
        ),
        0.3,
    ),
    "low_rank_mvn": (
        lambda x: _all_nan(
            *_value_methods(
                LowRankMultivariateNormal(
                    jnp.zeros(2, x.dtype), jnp.ones((2, 1), x.dtype), jnp.ones(2, x.dtype)
                ),
                _pair_x(x),
                cdfs=False,
            )
        ),
        0.3,
    ),
    "independent_normal": (
        lambda x: _all_nan(
            *_value_methods(
                Independent(Normal(jnp.zeros(2, x.dtype), jnp.ones(2, x.dtype)), 1),
                _pair_x(x),
                cdfs=False,
            )
        ),
        0.3,
    ),
    "mixture_of_normals": (
        lambda x: _all_nan(
            *_value_methods(
                MixtureSameFamily(
                    jnp.zeros(2, x.dtype), Normal(jnp.asarray([-1.0, 1.0], x.dtype), 1.0)
                ),
                x,
            )
        ),
        0.3,
    ),
}


def _nan_value_groups():
    specs = []
    for name, (fn, valid) in _NAN_VALUE.items():
        for d in ("float64", "float32"):
            specs.append(
                _Spec(f"{name}_nan_value", d, fn, [(NAN,), (valid,)], None, [NAN, 0.0], 0.0, 0.0)
            )
    return specs


SPECS = {
    (spec.name, spec.dtype): spec
    for spec in (
        _ls_groups()
        + _positive_groups()
        + _uniform_groups()
        + _tn_groups()
        + _von_mises_groups()
        + _multivariate_groups()
        + _invalid_groups()
        + _loc_gradient_groups()
        + _invalid_parameter_gradient_groups()
        + _nan_value_groups()
    )
}


@functools.cache
def edge_group(name: str, dtype: str) -> EdgeGroup:
    """The group with its oracle values (mpmath, computed once per group)."""
    return _materialize(SPECS[(name, dtype)])


@pytest.mark.parametrize(
    ("name", "dtype"), sorted(SPECS), ids=[f"{n}-{d}" for n, d in sorted(SPECS)]
)
def test_edges(name, dtype):
    assert_edges(edge_group(name, dtype), dtype)


def test_edge_case_count():
    # the (case, dtype) checks of this grid, as count_edge_cases reports them
    groups = [
        EdgeGroup(s.name, s.fn, s.rows, [0.0] * len(s.rows), {s.dtype: 0.0}) for s in SPECS.values()
    ]
    assert count_edge_cases(groups) == sum(len(s.rows) for s in SPECS.values()) > 1000


_CHECKED = [
    lambda: Normal(0.0, -1.0),
    lambda: Laplace(0.0, 0.0),
    lambda: Logistic(0.0, -1.0),
    lambda: Gumbel(0.0, -1.0),
    lambda: Cauchy(0.0, -1.0),
    lambda: LogNormal(0.0, -1.0),
    lambda: Exponential(-1.0),
    lambda: HalfNormal(0.0),
    lambda: Uniform(1.0, 0.0),
    lambda: TruncatedNormal(0.0, 1.0, 1.0, -1.0),
    lambda: TruncatedNormal(jnp.inf, 1.0, -1.0, 1.0),
    lambda: TruncatedNormal(jnp.array([0.0, jnp.nan]), 1.0, -1.0, 1.0),
    lambda: VonMises(0.0, -1.0),
    lambda: MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, -1.0])),
    lambda: MultivariateNormal(jnp.zeros(2), scale_tril=jnp.diag(jnp.array([1.0, -1.0]))),
    lambda: MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.diag(jnp.array([1.0, -1.0]))),
    lambda: LowRankMultivariateNormal(jnp.zeros(2), jnp.ones((2, 1)), jnp.array([1.0, -1.0])),
    lambda: MixtureSameFamily(jnp.array([jnp.nan, 0.0]), Normal(jnp.zeros(2), 1.0)),
    # an infinite or subnormal scale, rate or concentration
    lambda: Normal(0.0, jnp.inf),
    lambda: Normal(0.0, 5e-324),
    lambda: HalfNormal(jnp.float32(1e-45)),
    lambda: Exponential(jnp.inf),
    lambda: Gamma(2.0, jnp.inf),
    lambda: Gamma(jnp.inf, 1.0),
    lambda: Beta(jnp.inf, 1.0),
    lambda: StudentT(3.0, 0.0, jnp.inf),
    lambda: Dirichlet(jnp.array([1.0, jnp.inf])),
    lambda: VonMises(0.0, jnp.inf),
    lambda: MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, jnp.inf])),
    lambda: MultivariateNormal(jnp.zeros(2), scale_tril=jnp.array([[1.0, 0.0], [jnp.inf, 1.0]])),
    lambda: LowRankMultivariateNormal(jnp.zeros(2), jnp.ones((2, 1)), jnp.array([1.0, jnp.inf])),
    lambda: Poisson(5e-324),
    lambda: Bernoulli(probs=5e-324),
    lambda: Categorical(probs=jnp.array([5e-324, 1.0])),
]


@pytest.mark.parametrize("make", _CHECKED)
def test_invalid_parameters_raise_in_checks_mode(make):
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError):
            make()
    make()  # NaN by default: constructing is fine


# a location that is not finite (any coordinate of a vector one): the error names it
_CHECKED_LOC = [
    ("LogNormal", lambda: LogNormal(jnp.inf, 1.0)),
    ("LogNormal", lambda: LogNormal(jnp.nan, 1.0)),
    ("VonMises", lambda: VonMises(-jnp.inf, 1.0)),
    ("VonMises", lambda: VonMises(jnp.array([0.0, jnp.nan]), 1.0)),
    (
        "MultivariateNormal",
        lambda: MultivariateNormal(jnp.array([0.0, jnp.inf]), scale_tril=jnp.eye(2)),
    ),
    (
        "MultivariateNormal",
        lambda: MultivariateNormal(jnp.array([jnp.nan, 0.0]), covariance_matrix=jnp.eye(2)),
    ),
    (
        "MultivariateNormal",
        lambda: MultivariateNormal(jnp.array([-jnp.inf, 0.0]), precision_matrix=jnp.eye(2)),
    ),
    (
        "MultivariateNormalDiag",
        lambda: MultivariateNormalDiag(jnp.array([0.0, jnp.inf]), jnp.ones(2)),
    ),
    (
        "LowRankMultivariateNormal",
        lambda: LowRankMultivariateNormal(
            jnp.array([[0.0, 0.0], [jnp.nan, 0.0]]), jnp.ones((2, 1)), jnp.ones(2)
        ),
    ),
]


@pytest.mark.parametrize(("family", "make"), _CHECKED_LOC)
def test_non_finite_loc_raises_naming_loc_in_checks_mode(family, make):
    with gmath.config.checks(True):
        with pytest.raises(
            gmath.config.InvalidParameterError, match=f"{family}: loc must be finite"
        ):
            make()
    make()  # NaN by default: constructing is fine
