"""TruncatedNormal: scipy.stats.truncnorm and mpmath in float64, quadrature, score, round trip,
samples (also 10 and 40 sigma out in the tail), edges."""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import TruncatedNormal


def _ftz(x):
    # XLA on CPU flushes subnormals to zero; Hypothesis draws them, scipy keeps them.
    return np.where(np.abs(x) < np.finfo(np.asarray(x).dtype).tiny, 0.0, x)


def _scipy(p):
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    a = (np.asarray(p.low) - loc) / scale
    b = (np.asarray(p.high) - loc) / scale
    return ss.truncnorm(a, b, loc, scale)


def _mp_cdfs(loc, scale, low, high, x):
    """(cdf, log_cdf, log_survival) of one truncated normal at one point, by mpmath."""
    with mpmath.workdps(40):
        std = lambda v: (mpmath.mpf(float(v)) - mpmath.mpf(float(loc))) / mpmath.mpf(float(scale))
        a, b, z = std(low), std(high), std(x)
        z = min(max(z, a), b)

        def mass(lo, hi):  # each form free of cancellation (40 digits)
            if lo <= 0 <= hi:
                return (mpmath.erf(hi / mpmath.sqrt(2)) - mpmath.erf(lo / mpmath.sqrt(2))) / 2
            if hi <= 0:
                return mpmath.ncdf(hi) - mpmath.ncdf(lo)
            return mpmath.ncdf(-lo) - mpmath.ncdf(-hi)

        total = mass(a, b)
        lower, upper = mass(a, z) / total, mass(z, b) / total
        log = lambda v: float(mpmath.log(v)) if v > 0 else -np.inf
        return float(lower), log(lower), log(upper)


def _points(p, t):
    # x = low + t (high - low): inside for t in [0, 1]. t within 1e-9 of an end snaps to it:
    # x = low exactly is a sharp test, but x = low + 1 ulp is ill-conditioned (the standardised
    # z = (x - loc)/scale rounds across alpha), for every implementation and oracle alike.
    low, high = np.asarray(p.low), np.asarray(p.high)
    t = np.where(np.abs(t) < 1e-9, 0.0, np.where(np.abs(t - 1) < 1e-9, 1.0, t))
    return _ftz(low + t * (high - low))


def _f64(*values):
    return [np.asarray(v, np.float64) for v in values]


_methods = jax.jit(
    lambda p, x: (
        p.log_prob(x),
        p.cdf(x),
        p.log_cdf(x),
        p.log_survival(x),
        p.entropy(),
        p.mean(),
        p.variance(),
        p.mode(),
    )
)
_log_prob = jax.jit(lambda p, x: p.log_prob(x))
_score_and_grads = jax.jit(
    jax.grad(lambda p, u: jnp.sum(p.icdf(u) + p.entropy() + p.log_cdf(u)), argnums=(0, 1))
)


def test_gradients():
    # d icdf / du = 1 / p(x) (implicit); every gradient finite, also with infinite ends
    p = TruncatedNormal(
        *_f64([0.5, 0.0, -1.0], [2.0, 1.0, 1.0], [-1.0, -np.inf, 11.0], [1.0, 1.0, np.inf])
    )
    u = np.array([0.3, 0.7, 0.5])
    grad_p, grad_u = _grads(p, u)
    x, _ = _icdf(p, u)
    gt.assert_allclose(grad_u, 1 / np.exp(np.asarray(_log_prob(p, x))), rtol=1e-9)
    for leaf in jax.tree_util.tree_leaves(grad_p):
        assert np.all(np.isfinite(leaf))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = TruncatedNormal(
        *_f64([1.0, -2.0, 0.0], [0.5, 3.0, 1.0], [0.0, -10.0, -np.inf], [1.2, -1.0, 0.5])
    )
    x = _sample(p, jax.random.key(0))
    assert x.shape == (20_000, 3)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(3):
        sub = TruncatedNormal(p.loc[i], p.scale[i], p.low[i], p.high[i])
        gt.assert_samples_match_cdf(x[:, i], _scipy(sub).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    lows = jnp.array([-2.0, -1.0, 0.0, 3.0])
    highs = lows + jnp.array([0.5, 1.0, 2.0, jnp.inf])
    xs = jnp.array([-1.8, 0.0, 0.5, 3.5])
    us = jnp.array([0.1, 0.5, 0.9, 0.99])

    def fn(m, s, a, b, x, u):
        p = TruncatedNormal(m, s, a, b)
        return p.log_cdf(x), p.icdf(u)

    gt.assert_transform_consistent(fn, locs, scales, lows, highs, xs, us)


_float32_methods = jax.jit(
    lambda p, x, u, key: (_methods(p, x), p.prob(x), p.score(x), p.icdf(u), p.sample(key, (3,)))
)


def test_float32_stays_float32():
    params = (0.5, 2.0, -1.0, 3.0)
    p = TruncatedNormal(*(jnp.float32(v) for v in params))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    u = jnp.array([1e-6, 0.3, 0.9, 0.5, 0.999], jnp.float32)
    out = _float32_methods(p, x, u, jax.random.key(0))
    for leaf in jax.tree_util.tree_leaves(out):
        assert leaf.dtype == jnp.float32
    (log_prob, cdf, log_cdf, log_survival, *_), _, _, icdf, _ = out
    ref = _scipy(TruncatedNormal(*params))
    x64 = np.asarray(x, np.float64)
    gt.assert_allclose(log_prob, ref.logpdf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(cdf[1:], ref.cdf(x64[1:]).astype(np.float32), rtol=1e-5)
    gt.assert_allclose(log_survival, ref.logsf(x64).astype(np.float32), rtol=1e-5, atol=1e-6)
    gt.assert_allclose(icdf, ref.ppf(np.asarray(u, np.float64)).astype(np.float32), rtol=1e-5)
    # a 15-sigma tail in float32, where the tail mass 3.7e-51 underflows float32
    q = TruncatedNormal(*(jnp.float32(v) for v in (0.0, 1.0, 15.0, 16.0)))
    out = _float32_methods(q, jnp.full(5, 15.2, jnp.float32), u, jax.random.key(0))
    assert np.all(np.isfinite(out[0][0])) and np.all((out[3] >= 15) & (out[3] <= 16))
    # log p = -z^2/2 - log Z - ... cancels 115.5 against 115.6: condition ~ 400
    ref = np.float32(ss.truncnorm(15, 16).logpdf(15.2))
    gt.assert_allclose(out[0][0][0], ref, rtol=gt.tolerance(np.float32, condition=400))
    out = jax.eval_shape(lambda x: TruncatedNormal(0.0, 1.0, -1.0, 1.0).log_prob(x), x)
    assert out.dtype == jnp.float32


_outside_grads = jax.jit(
    jax.grad(
        lambda p, x: jnp.sum(p.log_prob(x) + p.log_cdf(x) + p.log_survival(x) + p.score(x)),
        argnums=(0, 1),
    )
)


def test_outside_support():
    p = TruncatedNormal(*_f64([0.0] * 3, [1.0] * 3, [-1.0] * 3, [2.0] * 3))
    x = np.array([-3.0, -1.0, 2.5])
    log_prob, cdf, log_cdf, log_survival, *_ = _methods(p, x)
    assert log_prob[0] == -np.inf and np.isfinite(log_prob[1]) and log_prob[2] == -np.inf
    np.testing.assert_array_equal(cdf, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(log_cdf, [-np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(log_survival, [0.0, 0.0, -np.inf])
    # zero (not NaN) gradient outside, in x and in every parameter
    grads = _outside_grads(p, jnp.array([-3.0, 2.5, 5.0]))
    for leaf in jax.tree_util.tree_leaves(grads):
        np.testing.assert_array_equal(leaf, np.zeros(3))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = TruncatedNormal(*(jnp.asarray(v, dtype) for v in (1.0, scale, 0.0, 2.0)))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    # scale 1e-30: Z = 1; scale 1e30: Z = 2 phi(0) 1e-30 ... (the interval is tiny): log p = -log 2
    ref = -np.log(scale) - 0.5 * np.log(2 * np.pi) if scale < 1 else -np.log(2.0)
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=gt.tolerance(dtype, condition=4))


def test_shapes_broadcast():
    p = TruncatedNormal(jnp.zeros((2, 1)), 1.0, jnp.full(3, -1.0), 1.0)
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    shape = lambda f, *a: jax.eval_shape(f, *a).shape
    assert shape(p.log_prob, jnp.zeros((5, 2, 3))) == (5, 2, 3)
    assert shape(p.icdf, jnp.zeros((5, 1, 3))) == (5, 2, 3)
    assert shape(lambda k: p.sample(k, (4,)), jax.random.key(1)) == (4, 2, 3)
    assert shape(p.entropy) == (2, 3) and shape(p.mode) == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*low with shape \(3,\)"):
        TruncatedNormal(jnp.zeros(2), 1.0, jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        TruncatedNormal(jnp.zeros(3), 1.0, -1.0, 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(TruncatedNormal(0.0, -1.0, -1.0, 1.0).log_prob(0.5))
    assert np.isnan(TruncatedNormal(0.0, 1.0, 1.0, -1.0).entropy())
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            TruncatedNormal(0.0, -1.0, -1.0, 1.0)
        with pytest.raises(gmath.config.InvalidParameterError, match="low must be below high"):
            TruncatedNormal(0.0, 1.0, 1.0, 1.0)
