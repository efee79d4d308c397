"""gmath._numerics.betainc against mpmath (float64), its float32 accuracy, identities, gradient.

JAX's own float32 ``betainc`` errs by 10-16 ulps at points of scripts/accuracy_table.py (Beta
and StudentT cdf at 6.4 and 5.5 excess bits); ours stays within a few ulps of the conditioning.
"""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath.testing as gt
from gmath._numerics import betainc
from gmath._numerics._betainc import _betainc_with_steps

_betainc = jax.jit(betainc)
_steps = jax.jit(lambda a, b, x: _betainc_with_steps(a, b, x)[1])
_dbetainc_dx = jax.jit(jax.vmap(jax.grad(betainc, argnums=2)))
_EPS32 = float(np.finfo(np.float32).eps)


def _ref(a, b, x):
    with mp.workdps(60):  # local: mpmath's precision is process-global
        return np.array(
            [
                float(mp.betainc(mp.mpf(p), mp.mpf(q), 0, mp.mpf(t), regularized=True))
                for p, q, t in zip(np.ravel(a), np.ravel(b), np.ravel(x), strict=True)
            ]
        )


def _points(n, seed, lo=1e-3, hi=1e4):
    """(a, b) log-uniform on [lo, hi]; x uniform, in either tail (quantiles down to 1e-6 and
    1 - 1e-6), or tiny."""
    rng = np.random.default_rng(seed)
    a, b = np.exp(rng.uniform(np.log(lo), np.log(hi), (2, n)))
    u = np.exp(rng.uniform(np.log(1e-6), 0.0, n))
    u = np.where(rng.integers(0, 2, n) == 1, u, 1 - u)
    x = ss.beta(a, b).ppf(u)
    kind = rng.integers(0, 4, n)
    x = np.where(kind == 0, rng.uniform(0, 1, n), x)
    x = np.where(kind == 1, np.exp(rng.uniform(-60, 0, n)), x)
    return a, b, np.clip(x, 1e-300, 1 - 2**-50)


_A, _B, _X = _points(400, 0)
_REF = _ref(_A, _B, _X)


def test_float64_against_mpmath():
    out = np.asarray(_betainc(jnp.asarray(_A), jnp.asarray(_B), jnp.asarray(_X)))
    assert out.dtype == np.float64
    ok = _REF > 1e-300  # below, mpmath's value underflows float64
    gt.assert_allclose(out[ok], _REF[ok], rtol=1e-12, atol=0.0)


_one = jax.jit(lambda a, b, x: betainc(a[None], b[None], x[None])[0])


@given(
    la=st.floats(np.log(1e-3), np.log(1e4)),
    lb=st.floats(np.log(1e-3), np.log(1e4)),
    where=st.sampled_from(["uniform", "low", "high"]),
    t=st.floats(0.0, 1.0),
)
def test_float64_against_mpmath_hypothesis(la, lb, where, t):
    a, b = np.exp(la), np.exp(lb)
    if where == "uniform":
        x = t
    else:  # tail quantile 1e-12 ... 1/2 of either side
        q = float(np.exp(np.log(1e-12) * (1 - t) + np.log(0.5) * t))
        x = float(ss.beta(a, b).ppf(q if where == "low" else 1 - q))
    x = float(np.clip(x, 1e-300, 1 - 2**-50))
    ref = _ref([a], [b], [x])[0]
    out = float(_one(*map(jnp.asarray, (a, b, x))))
    assert abs(out - ref) <= 1e-12 * ref or ref < 1e-300, (a, b, x, out, ref)


def _conditioning(a, b, x, value):
    """max(|I|, |x dI/dx| + |a dI/da| + |b dI/db|) from float64 (a, b: central differences of
    our float64 betainc, itself checked against mpmath above)."""
    h = 1e-6
    f = _betainc

    def at(p, q):
        return np.asarray(f(jnp.asarray(p), jnp.asarray(q), jnp.asarray(x)))

    a_da = np.abs(at(a * (1 + h), b) - at(a * (1 - h), b)) / (2 * h)
    b_db = np.abs(at(a, b * (1 + h)) - at(a, b * (1 - h))) / (2 * h)
    x_dx = np.abs(x * ss.beta(a, b).pdf(x))
    return np.maximum(np.abs(value), a_da + b_db + x_dx)


@pytest.mark.parametrize("lo,hi", [(0.2, 20.0), (1e-3, 1e4)])
def test_float32_within_4_excess_bits(lo, hi):
    # |I_32 - I| <= 2^4 eps_32 max(|I|, sum |theta dI/dtheta|) at float32 inputs: at most 4 bits
    # beyond the float32 conditioning (measured: 2.3 bits at most on [0.2, 20], 3.3 on
    # [1e-3, 1e4] over 20000 points). Float64 at the float32 inputs is the reference.
    a, b, x = (v.astype(np.float32) for v in _points(400, 1, lo, hi))
    x = np.clip(x, np.finfo(np.float32).tiny, 1 - _EPS32)
    out = _betainc(*map(jnp.asarray, (a, b, x)))
    assert out.dtype == jnp.float32
    a, b, x = (v.astype(np.float64) for v in (a, b, x))
    ref = np.asarray(_betainc(*map(jnp.asarray, (a, b, x))))
    scale = _conditioning(a, b, x, ref)
    ok = ref > np.finfo(np.float32).tiny
    err = np.abs(np.asarray(out, np.float64) - ref)
    assert np.all(err[ok] <= 16 * _EPS32 * scale[ok])


def test_symmetry_and_closed_forms():
    rng = np.random.default_rng(3)
    a, b = np.exp(rng.uniform(np.log(1e-2), np.log(1e3), (2, 200)))
    x = rng.integers(1, 2**20, 200) / 2**20  # dyadic: 1 - x is exact
    lower = _betainc(*map(jnp.asarray, (a, b, x)))
    upper = _betainc(*map(jnp.asarray, (b, a, 1 - x)))
    gt.assert_allclose(lower + upper, np.ones(200), rtol=0.0, atol=1e-14)
    one = jnp.ones(200)
    gt.assert_allclose(_betainc(jnp.asarray(a), one, jnp.asarray(x)), x**a, rtol=1e-13)
    gt.assert_allclose(
        _betainc(one, jnp.asarray(b), jnp.asarray(x)), -np.expm1(b * np.log1p(-x)), rtol=1e-13
    )


def test_gradient_in_x_is_the_density():
    a, b, x = _A[:100], _B[:100], _X[:100]
    grad = np.asarray(_dbetainc_dx(*map(jnp.asarray, (a, b, x))))
    pdf = ss.beta(a, b).pdf(x)
    ok = np.isfinite(pdf) & (pdf > 1e-290) & (pdf < 1e290)
    gt.assert_allclose(grad[ok], pdf[ok], rtol=1e-11)
    # outside (0, 1): zero derivative; and in a, b: a clear error
    assert float(jax.grad(betainc, argnums=2)(2.0, 3.0, 1.5)) == 0.0
    with pytest.raises(ValueError, match="Betainc gradient"):
        jax.grad(betainc, argnums=0)(2.0, 3.0, 0.5)


def test_edges_dtype_and_transforms():
    x = jnp.array([-1.0, 0.0, 1.0, 2.0, jnp.nan, 0.5])
    np.testing.assert_allclose(
        np.asarray(_betainc(2.0 * jnp.ones(6), 3.0 * jnp.ones(6), x)),
        [0.0, 0.0, 1.0, 1.0, np.nan, 0.6875],  # I_{1/2}(2, 3) = 11/16
        rtol=1e-14,
    )
    bad = _betainc(jnp.array([0.0, -1.0, jnp.nan, 1.0]), jnp.array([1.0, 1.0, 1.0, 0.0]), 0.5)
    assert np.all(np.isnan(np.asarray(bad)))
    for dtype in (jnp.float32, jnp.float64):
        assert _betainc(jnp.asarray(2.0, dtype), 3.0, 0.25).dtype == dtype
    gt.assert_transform_consistent(
        betainc, jnp.asarray(_A[:8]), jnp.asarray(_B[:8]), jnp.asarray(_X[:8])
    )


def test_steps_bounded():
    # every element converged within the float64 bound (400) on the drawn points
    steps = np.asarray(_steps(*map(jnp.asarray, (_A, _B, _X))))
    assert steps.max() < 400


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_shapes_near_the_mean(dtype):
    """I_x(a, b) for a, b up to 1e30 near the mean (the asymptotic expansion's region) against
    Boost's ibeta (scipy), within 8 ulps times (1 + the conditioning x f(x)/I_x in x).

    Regression: Beta(1e8, 1e8).cdf(0.5) was 0.6149 in float64 and 1.3057 in float32 (the
    continued fraction needs ~sqrt(a) steps there and stopped at its bound)."""
    a = np.array([1e8, 1e8, 1e8, 1e4, 1e4, 1e5, 1e4, 2e4, 3e6, 1e30])
    b = np.array([1e8, 1e8, 1e8, 1e4, 1e5, 1e4, 1e8, 3e4, 1e4, 1e30])
    x = np.array([0.5, 0.4999, 0.5001, 0.49, 0.09, 0.905, 1e-4, 0.41, 0.9966, 0.5])
    x = x.astype(dtype).astype(np.float64)  # the oracle at the rounded points
    ref = sp.betainc(a, b, x)
    with np.errstate(over="ignore", invalid="ignore"):
        cond = np.nan_to_num(x * ss.beta.pdf(x, a, b) / ref, nan=0.0)
    out = np.asarray(_betainc(*(jnp.asarray(v, dtype) for v in (a, b, x))))
    assert out.dtype == dtype
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), 8 * eps * (1 + cond) * ref)
    assert float(betainc(dtype(1e8), dtype(1e8), dtype(0.5))) == pytest.approx(0.5, abs=4 * eps)
