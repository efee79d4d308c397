"""Free-support Wasserstein barycenters and the max-sliced Wasserstein distance.

Oracles. Barycenter: in 1-D the W2 barycenter of equal-size uniform clouds is the quantile
average, sort(X) = sum_k lambda_k sort(y_k) (Agueh and Carlier 2011); for clouds related by an
affine map y1 = A y0 + t with A symmetric positive definite (so the optimal matching is the map,
Brenier), the barycenter with weights (1 - s, s) is McCann's interpolation ((1 - s) I + s A) y0
+ s t, whose mean and covariance are the Bures closed form between the clouds' Gaussian fits,
and whose cost is s (1 - s) W2^2(y0, y1); entropic plans keep the lambda-average of the means
exactly (the barycentric projections preserve them). Max-sliced: for y = D x with D diagonal,
the maximum is attained along the largest |D_ii - 1| axis, where it equals W2 of the full
clouds under the identity coupling (an upper bound of every slice); SW_p <= max-SW_p <= W_p.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sl

from gmath.divergences import (
    exact_transport,
    free_support_barycenter,
    max_sliced_wasserstein,
    sliced_wasserstein,
)


def test_one_dimensional_barycenter_is_the_quantile_average():
    rng = np.random.default_rng(0)
    ys = [rng.normal(size=(20, 1)) * s + m for s, m in ((1, 0), (2, 3), (0.5, -1))]
    lam = np.array([0.2, 0.5, 0.3])
    out = free_support_barycenter(ys[0], ys, lambdas=lam)
    assert bool(out.converged) and float(out.movement) == 0.0
    want = sum(w * np.sort(y[:, 0]) for w, y in zip(lam, ys, strict=True))
    np.testing.assert_allclose(np.sort(out.points[:, 0]), want, rtol=0, atol=1e-14)
    cost = sum(w * np.mean((want - np.sort(y[:, 0])) ** 2) for w, y in zip(lam, ys, strict=True))
    np.testing.assert_allclose(out.cost, cost, rtol=1e-12)


def test_barycenter_of_an_affine_pair_is_mccann_interpolation():
    rng = np.random.default_rng(1)
    n, s = 60, 0.3
    y0 = rng.normal(size=(n, 2)) * [1.0, 2.0] @ np.array([[1.0, 0.4], [0.0, 1.0]])
    b = rng.normal(size=(2, 2))
    a_map = b @ b.T + 0.3 * np.eye(2)
    y1 = (y0 @ a_map + [4.0, -1.0])[rng.permutation(n)]  # shuffled: the matching must be found
    out = free_support_barycenter(y1, [y0, y1], lambdas=np.array([1 - s, s]))
    assert bool(out.converged)
    # Bures closed form between the clouds' Gaussian fits (population covariance, 1/n)
    m0, m1 = y0.mean(0), y1.mean(0)
    c0, c1 = np.cov(y0.T, bias=True), np.cov(y1.T, bias=True)
    r = sl.sqrtm(c0).real
    t_map = np.linalg.solve(r, np.linalg.solve(r, sl.sqrtm(r @ c1 @ r).real).T).T
    mid = (1 - s) * np.eye(2) + s * t_map
    pts = np.asarray(out.points)
    np.testing.assert_allclose(pts.mean(0), (1 - s) * m0 + s * m1, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(np.cov(pts.T, bias=True), mid @ c0 @ mid, rtol=1e-10)
    w2 = float(exact_transport(y0, y1).cost)
    np.testing.assert_allclose(out.cost, s * (1 - s) * w2, rtol=1e-10)


def test_entropic_barycenter_keeps_the_mean_and_approaches_the_exact_one():
    rng = np.random.default_rng(2)
    ys = [rng.normal(size=(16, 2)) + [3.0, 0.0], rng.normal(size=(12, 2)) * 2.0]
    b1 = rng.uniform(0.5, 1.5, 12)
    b1 /= b1.sum()
    lam = np.array([0.4, 0.6])
    out = free_support_barycenter(
        ys[0][:10], ys, b=[None, b1], lambdas=lam, method="sinkhorn", tolerance=1e-8
    )
    assert bool(out.converged)
    mean = lam[0] * ys[0].mean(0) + lam[1] * (b1 @ ys[1])
    np.testing.assert_allclose(np.asarray(out.points).mean(0), mean, rtol=0, atol=1e-6)


def test_barycenter_bad_input():
    y = jnp.zeros((4, 2))
    with pytest.raises(ValueError, match="method='exact' needs"):
        free_support_barycenter(y, [y, jnp.zeros((5, 2))])
    with pytest.raises(ValueError, match="lambdas"):
        free_support_barycenter(y, [y, y], lambdas=jnp.array([0.7, 0.7]))
    with pytest.raises(ValueError, match="dimension"):
        free_support_barycenter(y, [y, jnp.zeros((4, 3))])
    with pytest.raises(TypeError, match="sequence"):
        free_support_barycenter(y, jnp.zeros((2, 4, 2)))
    with pytest.raises(ValueError, match="method must be"):
        free_support_barycenter(y, [y], method="lp")
    with pytest.raises(ValueError, match="sinkhorn' only"):
        free_support_barycenter(y, [y], epsilon=0.1)


def test_max_sliced_finds_the_stretched_axis_and_is_sandwiched():
    x = jax.random.normal(jax.random.key(0), (400, 3))
    y = x * jnp.array([1.0, 1.0, 3.0])
    out = max_sliced_wasserstein(jax.random.key(1), x, y)
    # along e3 the projections are x3 and 3 x3 (a monotone map): W2 = 2 sqrt(mean x3^2), which
    # is also W2 of the identity coupling in 3-D, an upper bound of every slice
    want = 2 * float(jnp.sqrt(jnp.mean(x[:, 2] ** 2)))
    np.testing.assert_allclose(out.value, want, rtol=1e-10)
    assert abs(float(out.direction[2])) > 1 - 1e-8
    sw = float(sliced_wasserstein(jax.random.key(2), x, y, num_projections=50))
    w2 = float(exact_transport(x[:100], y[:100]).cost) ** 0.5
    ms = float(max_sliced_wasserstein(jax.random.key(1), x[:100], y[:100]).value)
    assert sw <= float(out.value) and ms <= w2 * (1 + 1e-12)
    # Danskin: the gradient is that of W2 along the fixed direction
    g = jax.grad(lambda y: max_sliced_wasserstein(jax.random.key(1), x, y).value)(y)
    theta = out.direction
    px, py = x @ theta, y @ theta
    ix, iy = jnp.argsort(px), jnp.argsort(py)
    dpy = jnp.zeros(400).at[iy].set((py[iy] - px[ix]) / (400 * float(out.value)))
    np.testing.assert_allclose(g, dpy[:, None] * theta[None, :], rtol=1e-9, atol=1e-14)


def test_max_sliced_float32_and_bad_input():
    x = jax.random.normal(jax.random.key(3), (64, 2), jnp.float32)
    out = max_sliced_wasserstein(jax.random.key(4), x, x + jnp.array([3.0, 4.0], jnp.float32))
    assert out.value.dtype == jnp.float32
    np.testing.assert_allclose(out.value, 5.0, rtol=1e-5)  # a translation: |t| along t / |t|
    with pytest.raises(ValueError, match="num_starts"):
        max_sliced_wasserstein(jax.random.key(0), x, x, num_starts=0)
    with pytest.raises(TypeError, match="key"):
        max_sliced_wasserstein(0, x, x)


def test_a_nan_cloud_gives_a_nan_barycenter():
    y = np.random.default_rng(3).normal(size=(5, 2))
    bad = y.copy()
    bad[2, 1] = np.nan
    for method in ("exact", "sinkhorn"):
        out = free_support_barycenter(y, [y, bad], method=method)
        assert np.all(np.isnan(np.asarray(out.points))) and not bool(out.converged)
