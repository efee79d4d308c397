"""Cauchy: scipy.stats.cauchy in float64, quadrature, score, round trip, samples, edges."""

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
from gmath.densities import Cauchy

import _univariate as uv


def _scipy(p):
    return ss.cauchy(np.asarray(p.loc), np.asarray(p.scale))


@given(p=gt.cauchys(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60))
def test_matches_scipy(p, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in
    # p, and log p crosses 0 where its relative error is meaningless.
    x = uv.flush_subnormals(x)
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    assert np.all(np.isnan(mean)) and np.all(np.isnan(ref.mean()))
    assert np.all(np.isnan(variance)) and np.all(np.isnan(ref.var()))
    gt.assert_allclose(mode, np.asarray(p.loc))


@given(p=gt.cauchys(batch_shape=(2,)))
def test_normalised_with_quadrature(p):
    # Heavy tails: integrate on [loc - 50 scale, loc + 50 scale], whose exact mass is
    # 2 atan(50) / pi; the first moment about loc over the symmetric range is 0. Mean and
    # variance do not exist (NaN, as in scipy).
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    lo, hi = np.broadcast_to(loc - 50 * scale, (2, 2)), np.broadcast_to(loc + 50 * scale, (2, 2))

    def integrands(x):
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        return np.stack([density, (x[:, 1] - loc) * density / scale], 1)

    mass, first = gt.gauss_legendre_integral(integrands, lo, hi, num_nodes=100, num_panels=16)
    gt.assert_allclose(mass, np.full(2, 2 * np.arctan(50.0) / np.pi))
    gt.assert_allclose(first, np.zeros(2), atol=1e-13)
    assert np.all(np.isnan(p.mean())) and np.all(np.isnan(p.variance()))


@given(p=gt.cauchys(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60))
def test_score_is_grad_log_prob(p, x):
    score, autodiff = uv.score_and_grad(p, jnp.asarray(uv.flush_subnormals(x)))
    gt.assert_allclose(score, autodiff, atol=1e-13)


@given(p=gt.cauchys(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    # scipy's ppf, loc + scale tan(pi (u - 1/2)), loses up to 1e-4 relative near u = 0 and 1
    # (the pole of tan): the reference is mpmath at 30 digits.
    x, round_trip = uv.icdf_round_trip(p, u)
    # rounding x (absolute eps (|x| + |loc|)) moves F by f(x) times that: relative condition
    cond = 4e-16 * (abs(float(x)) + abs(float(p.loc))) * float(_scipy(p).pdf(x)) / u
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-13 + cond)
    with mpmath.workdps(30):
        z = mpmath.tan(mpmath.pi * (mpmath.mpf(u) - mpmath.mpf(1) / 2))
        ref = float(mpmath.mpf(float(p.loc)) + mpmath.mpf(float(p.scale)) * z)
    gt.assert_allclose(
        x, np.asarray(ref), rtol=1e-12, atol=1e-13 * (abs(float(p.loc)) + float(p.scale))
    )


def test_location_scale_equivariance():
    # log p(a x + b; a m + b, a s) = log p(x; m, s) - log a
    x = jnp.linspace(-5.0, 5.0, 11)
    a, b = 2.5, -1.0
    lhs = Cauchy(a * 0.3 + b, a * 1.7).log_prob(a * x + b)
    rhs = Cauchy(0.3, 1.7).log_prob(x) - np.log(a)
    gt.assert_allclose(lhs, rhs)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Cauchy(loc=jnp.array([1.0, -2.0]), scale=jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)

    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Cauchy(p.loc[i], p.scale[i])).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.linspace(-3.0, 3.0, 4)
    gt.assert_transform_consistent(lambda m, s, x: Cauchy(m, s).log_prob(x), locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), Cauchy(locs, scales), xs)


def test_float32_stays_float32():
    p = Cauchy(jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert Cauchy(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = Cauchy(jnp.asarray(1.0, dtype), jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    gt.assert_allclose(value, np.asarray(Cauchy(1.0, 1.0).log_prob(1.0) - np.log(scale), dtype))


def test_shapes_broadcast():
    p = Cauchy(loc=jnp.zeros((2, 1)), scale=jnp.ones(3))
    assert p.batch_shape == (2, 3)
    assert p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mean().shape == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        Cauchy(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Cauchy(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(Cauchy(0.0, -1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            Cauchy(0.0, -1.0)


def test_tails():
    # Both tails keep their relative accuracy: F(z) ~ 1/(pi |z|); log(1 + z^2) never overflows.
    p = Cauchy(0.0, 1.0)
    with mpmath.workdps(650):  # 1/2 + atan(z)/pi cancels 600 digits at z = -1e300
        for z in (-1e3, -1e20, -1e300):
            ref = float(mpmath.log(mpmath.mpf(1) / 2 + mpmath.atan(mpmath.mpf(z)) / mpmath.pi))
            gt.assert_allclose(p.log_cdf(z), np.asarray(ref))
            gt.assert_allclose(p.log_survival(-z), np.asarray(ref))
        ref = float(-mpmath.log(mpmath.pi) - mpmath.log1p(mpmath.mpf(1e200) ** 2))
    gt.assert_allclose(p.log_prob(1e200), np.asarray(ref))
    gt.assert_allclose(p.score(1e200), np.asarray(-2e-200))
    gt.assert_allclose(jax.grad(p.log_prob)(1e200), np.asarray(-2e-200))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(-1 / (np.pi * 1e-300)))
