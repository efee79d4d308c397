"""Fréchet distance (FID convention) and streaming moments.

Oracles: the Bures formula with scipy.linalg.sqrtm on np.cov (unbiased); the trace
term equals the nuclear norm ||X1 X2^T||_* / sqrt((n1 - 1)(n2 - 1)) of the centred features;
FD(x, x) = 0 and never negative or complex, also for rank-deficient covariances (d > n);
streaming moments over batches equal the one-shot mean and covariance; float32 in -> float32 out,
computed in float64 also with x64 disabled (only the final rounding to float32 remains).
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sl

import gmath.testing as gt
from gmath.divergences import RunningMoments, frechet_distance_squared


def _features(seed, n, d, shift=0.0, scale=1.0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    return scale * rng.normal(size=(n, d)) @ mix + shift


def test_matches_scipy_formula_and_nuclear_norm_identity():
    x, y = _features(0, 40, 5), _features(1, 30, 5, shift=0.5, scale=1.5)
    mx, my = x.mean(0), y.mean(0)
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    h = sl.sqrtm(cx).real
    trace = np.trace(sl.sqrtm(h @ cy @ h).real)
    ref = np.sum((mx - my) ** 2) + np.trace(cx) + np.trace(cy) - 2 * trace
    gt.assert_allclose(frechet_distance_squared(x, y), ref, rtol=1e-10)
    # trace term = nuclear norm of X1c X2c^T / sqrt((n1 - 1)(n2 - 1))
    nuclear = np.linalg.svd((x - mx) @ (y - my).T, compute_uv=False).sum()
    gt.assert_allclose(nuclear / np.sqrt(39 * 29), trace, rtol=1e-10)


def test_zero_on_equal_features_and_never_negative_when_rank_deficient():
    x = _features(2, 6, 10)  # d > n: singular covariances
    value = frechet_distance_squared(x, x[::-1])
    assert np.isfinite(float(value)) and 0 <= float(value) < 1e-10
    y = _features(3, 7, 10)
    value = frechet_distance_squared(x, y)
    assert np.isreal(np.asarray(value)) and float(value) > 0


def test_streaming_moments_equal_one_shot():
    x = _features(4, 50, 4, shift=3.0)
    stats = RunningMoments.empty(4)
    for start in (0, 7, 20, 21, 40):
        stop = {0: 7, 7: 20, 20: 21, 21: 40, 40: 50}[start]
        stats = stats.update(x[start:stop])
    gt.assert_allclose(stats.mean, x.mean(0), rtol=1e-12)
    gt.assert_allclose(stats.covariance(), np.cov(x, rowvar=False), rtol=1e-11)
    y = _features(5, 30, 4)
    gt.assert_allclose(
        frechet_distance_squared(stats, y), frechet_distance_squared(x, y), rtol=1e-11
    )
    # the update is jittable (batches of a fixed shape)
    upd = jax.jit(lambda s, b: s.update(b))
    s2 = upd(upd(RunningMoments.empty(4), x[:25]), x[25:])
    gt.assert_allclose(s2.covariance(), np.cov(x, rowvar=False), rtol=1e-11)


def test_float32_in_float32_out_computed_in_float64():
    x, y = _features(6, 40, 3), _features(7, 40, 3, shift=0.1)
    value = frechet_distance_squared(x.astype(np.float32), y.astype(np.float32))
    assert value.dtype == jnp.float32
    ref = frechet_distance_squared(
        x.astype(np.float32).astype(np.float64), y.astype(np.float32).astype(np.float64)
    )
    gt.assert_allclose(value, np.float32(ref))


def _scipy_fd(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    cx, cy = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    h = sl.sqrtm(cx).real
    trace = np.trace(sl.sqrtm(h @ cy @ h).real)
    return np.sum((x.mean(0) - y.mean(0)) ** 2) + np.trace(cx) + np.trace(cy) - 2 * trace


def test_float64_inside_also_with_x64_disabled():
    # Features far from the origin with a small FD: computed in float32 the moments and the
    # cancellation lose ~1% here (5% under jit); the float64 scope leaves only the final rounding
    # of the float32 result (half an ulp, 2^-24 relative).
    x = (_features(9, 3000, 16) + 300).astype(np.float32)
    y = (1.01 * _features(10, 3000, 16) + 300.02).astype(np.float32)
    want = _scipy_fd(x, y)
    grad_fn = jax.grad(lambda a, b: frechet_distance_squared(a, b))
    grad64 = np.asarray(grad_fn(jnp.asarray(x, jnp.float64), jnp.asarray(y, jnp.float64)))
    with jax.enable_x64(False):
        xj, yj = jnp.asarray(x), jnp.asarray(y)
        for value in (frechet_distance_squared(xj, yj), jax.jit(frechet_distance_squared)(xj, yj)):
            assert value.dtype == jnp.float32
            gt.assert_allclose(value, want, rtol=2.0**-23, atol=0)
        gt.assert_allclose(frechet_distance_squared(x, y), want, rtol=2.0**-23, atol=0)  # NumPy in
        grad = jax.jit(grad_fn)(xj, yj)
        assert grad.dtype == jnp.float32
        # the gradient is computed in float64 too: only its rounding to float32 remains
        gt.assert_allclose(grad, grad64, rtol=2.0**-23, atol=2.0**-24 * np.abs(grad64).max())
        stats = RunningMoments.empty(16).update(xj[:1000]).update(xj[1000:])
        assert stats.mean.dtype == jnp.float32
        gt.assert_allclose(stats.mean, x.astype(np.float64).mean(0), rtol=2.0**-23)


def test_gradient_finite_at_equal_features():
    x = jnp.asarray(_features(8, 12, 3))
    grad = jax.grad(lambda y: frechet_distance_squared(x, y))(x + 0.0)
    assert np.all(np.isfinite(np.asarray(grad)))


def test_bad_input():
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance_squared(np.ones((4, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match=r"shape \[n, d\]"):
        frechet_distance_squared(np.ones(4), np.ones((4, 2)))
    with pytest.raises(ValueError, match="at least 2"):
        frechet_distance_squared(np.ones((1, 2)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="does not match"):
        RunningMoments.empty(3).update(np.ones((2, 2)))


def test_accumulator_with_fewer_than_two_samples_is_an_error_not_a_point_mass():
    # frechet_distance_squared(RunningMoments.empty(3), x) was 3.19: an empty accumulator read as a
    # point mass at 0.
    from gmath import config

    x = jax.random.normal(jax.random.key(0), (10, 3))
    for moments in (RunningMoments.empty(3), RunningMoments.empty(3).update(x[:1])):
        with pytest.raises(ValueError, match="fewer than 2 samples"):
            frechet_distance_squared(moments, x)
        with pytest.raises(ValueError, match="fewer than 2 samples"):
            frechet_distance_squared(x, moments)
        assert np.isnan(float(jax.jit(frechet_distance_squared)(moments, x)))
        assert np.all(np.isnan(np.asarray(moments.covariance())))
    with config.checks(True):
        with pytest.raises(Exception, match="fewer than 2 samples"):
            fresh = jax.jit(lambda m, x: frechet_distance_squared(m, x))  # traced with checks on
            jax.block_until_ready(fresh(RunningMoments.empty(3), x))
    # two samples are enough: identical moments give exactly 0
    two = RunningMoments.empty(3).update(x[:2])
    assert float(jax.jit(frechet_distance_squared)(two, x[:2])) == 0.0


def test_deprecated_unsquared_names_warn_and_return_the_squared_value():
    """frechet_distance, wasserstein_gaussian and wasserstein_gaussian_from_moments are the
    old names of the _squared functions: same value, with a DeprecationWarning."""
    import gmath.densities as gd
    import gmath.divergences as gv

    x = jnp.array([[0.0, 0.0], [2.0, 0.0], [0.0, 2.0], [2.0, 2.0]])
    with pytest.warns(DeprecationWarning, match="use frechet_distance_squared"):
        old = gv.frechet_distance(x, x + 1.0)
    assert float(old) == float(gv.frechet_distance_squared(x, x + 1.0)) == 2.0  # |shift|^2
    p, q = gd.Normal(0.0, 1.0), gd.Normal(3.0, 5.0)
    with pytest.warns(DeprecationWarning, match="use wasserstein_gaussian_squared "):
        old = gv.wasserstein_gaussian(p, q)
    assert float(old) == float(gv.wasserstein_gaussian_squared(p, q)) == 25.0  # 3^2 + 4^2
    moments = (jnp.zeros(2), jnp.eye(2), jnp.ones(2), 4 * jnp.eye(2))
    with pytest.warns(DeprecationWarning, match="use wasserstein_gaussian_squared_from_moments"):
        old = gv.wasserstein_gaussian_from_moments(*moments)
    new = gv.wasserstein_gaussian_squared_from_moments(*moments)
    # |1|^2 = 2 plus tr(I + 4I - 2 (4I)^(1/2)) = 2
    np.testing.assert_allclose(float(old), 4.0, rtol=1e-12)
    assert float(old) == float(new)
