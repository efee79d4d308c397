"""Exact 1-D Wasserstein, sliced Wasserstein, and the Bures (Gaussian) W2.

Oracles: scipy.stats.wasserstein_distance (p = 1, weights, unequal sizes); the
transport linear program solved by scipy.optimize.linprog (any p, weights); W2^2 of 1-D
Gaussians (m1 - m2)^2 + (s1 - s2)^2; Bures against commuting covariances
|S1^1/2 - S2^1/2|_F^2, against scipy.linalg.sqrtm, and against the univariate case; sqrt(W2^2)
obeys the triangle inequality; sliced W2 along coordinate axes of whitened samples equals
|m1 - m2|^2/d + (s1 - s2)^2; gradients finite (also at zero distance and at repeated
eigenvalues) and against finite differences; eager = jit = vmap; float32 kept; bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg as sl
import scipy.optimize as so
import scipy.stats as ss
from hypothesis import given

import gmath.testing as gt
from gmath.densities import MultivariateNormal, MultivariateNormalDiag, Normal
from gmath.divergences import (
    sliced_wasserstein,
    wasserstein_1d,
    wasserstein_gaussian_squared,
    wasserstein_gaussian_squared_from_moments,
)


@jax.jit
def _w1(x, y, a, b):
    return wasserstein_1d(x, y, a=a, b=b)


@given(
    x=gt.finite_arrays(shape=(6,), min_value=-10, max_value=10),
    y=gt.finite_arrays(shape=(4,), min_value=-10, max_value=10),
    a=gt.positive_arrays(shape=(6,), min_value=0.1, max_value=10),
    b=gt.positive_arrays(shape=(4,), min_value=0.1, max_value=10),
)
def test_matches_scipy_p1(x, y, a, b):
    # probability weights (scipy normalises its weights itself)
    value = _w1(x, y, a / a.sum(), b / b.sum())
    gt.assert_allclose(value, ss.wasserstein_distance(x, y, a, b), rtol=1e-10, atol=1e-12)


def _lp_wasserstein(x, y, a, b, p):
    n, m = len(x), len(y)
    cost = np.abs(x[:, None] - y[None]) ** p
    a_eq = np.zeros((n + m, n * m))
    for i in range(n):
        a_eq[i, i * m : (i + 1) * m] = 1
    for j in range(m):
        a_eq[n + j, j::m] = 1
    res = so.linprog(
        cost.ravel(), A_eq=a_eq, b_eq=np.concatenate([a, b]), bounds=(0, None), method="highs"
    )
    return res.fun ** (1 / p)


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_matches_transport_linear_program(p):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=7), rng.normal(size=5) + 0.5
    a, b = rng.uniform(0.1, 1, 7), rng.uniform(0.1, 1, 5)
    a, b = a / a.sum(), b / b.sum()
    value = wasserstein_1d(x, y, p=p, a=a, b=b)
    gt.assert_allclose(value, _lp_wasserstein(x, y, a, b, p), rtol=1e-8)
    # equal sizes, uniform weights: the sorted-sample fast path
    z = rng.normal(size=7) * 2
    fast = wasserstein_1d(x, z, p=p)
    gt.assert_allclose(fast, np.mean(np.abs(np.sort(x) - np.sort(z)) ** p) ** (1 / p))
    gt.assert_allclose(
        fast, _lp_wasserstein(x, z, np.full(7, 1 / 7), np.full(7, 1 / 7), p), rtol=1e-8
    )


def test_gradients_finite_at_zero_and_match_finite_differences():
    x = jnp.array([0.3, -1.0, 2.0, 0.7])
    g0 = jax.grad(lambda x: wasserstein_1d(x, x[::-1], p=2))(x)
    assert np.all(np.isfinite(np.asarray(g0))) and np.all(np.asarray(g0) == 0)
    y = jnp.array([1.0, 0.2, -0.5])
    a = jnp.array([0.1, 0.2, 0.3, 0.4])
    fn = jax.jit(lambda x: wasserstein_1d(x, y, p=2, a=a))
    grad = jax.grad(fn)(x)
    h = 1e-6
    for i in range(4):
        e = jnp.zeros(4).at[i].set(h)
        gt.assert_allclose(grad[i], (fn(x + e) - fn(x - e)) / (2 * h), rtol=1e-7, atol=1e-10)


def test_sliced_along_axes_of_whitened_samples_matches_gaussian_formula():
    # Whitened standard sample z (mean 0, identity covariance): projecting m + s z on e_k gives
    # exactly mean m_k and variance s^2 with the same order, so SW_2^2 = |m1 - m2|^2/d + (s1-s2)^2.
    z = np.random.default_rng(1).normal(size=(50, 3))
    z = z - z.mean(0)
    z = z @ np.linalg.inv(np.linalg.cholesky(z.T @ z / 50)).T
    m1, m2, s1, s2 = np.array([0.1, 0.5, -1.0]), np.array([1.0, 0.0, 0.2]), 1.3, 0.4
    value = sliced_wasserstein(None, m1 + s1 * z, m2 + s2 * z, projections=jnp.eye(3))
    gt.assert_allclose(value**2, np.sum((m1 - m2) ** 2) / 3 + (s1 - s2) ** 2, rtol=1e-10)


def test_sliced_one_dimension_and_random_directions():
    x = jax.random.normal(jax.random.key(0), (9, 1))
    y = jax.random.normal(jax.random.key(1), (6, 1)) + 1.0
    ref = wasserstein_1d(x[:, 0], y[:, 0], p=2)
    gt.assert_allclose(sliced_wasserstein(jax.random.key(2), x, y, num_projections=3), ref)
    # random directions: positive, finite gradients
    xs = jax.random.normal(jax.random.key(3), (8, 2))
    fn = jax.jit(
        jax.value_and_grad(lambda x: sliced_wasserstein(jax.random.key(4), x, 0.5 * x + 1))
    )
    sw, grad = fn(xs)
    assert float(sw) > 0 and np.all(np.isfinite(np.asarray(grad)))


def test_gaussian_univariate_and_diagonal():
    gt.assert_allclose(
        wasserstein_gaussian_squared(Normal(0.5, 2.0), Normal(-1.0, 0.5)), 1.5**2 + 1.5**2
    )
    loc1, loc2 = jnp.array([0.0, 1.0, 2.0]), jnp.array([1.0, 1.0, 0.0])
    s1, s2 = jnp.array([1.0, 2.0, 3.0]), jnp.array([0.5, 2.0, 1.0])
    ref = np.sum((loc1 - loc2) ** 2) + np.sum((s1 - s2) ** 2)
    diag = wasserstein_gaussian_squared(
        MultivariateNormalDiag(loc1, s1), MultivariateNormalDiag(loc2, s2)
    )
    gt.assert_allclose(diag, ref)
    full = wasserstein_gaussian_squared(
        MultivariateNormal(loc1, scale_tril=jnp.diag(s1)), MultivariateNormalDiag(loc2, s2)
    )
    gt.assert_allclose(full, ref)


@given(s1=gt.spd_matrices(dim=3, max_condition=1e3), s2=gt.spd_matrices(dim=3, max_condition=1e3))
def test_bures_against_scipy_sqrtm(s1, s2):
    h = sl.sqrtm(s1).real
    ref = np.trace(s1) + np.trace(s2) - 2 * np.trace(sl.sqrtm(h @ s2 @ h).real)
    value = _bures(jnp.zeros(3), s1, jnp.zeros(3), s2)
    scale = np.trace(s1) + np.trace(s2)
    gt.assert_allclose(value, ref, rtol=1e-8, atol=1e-12 * scale)


_bures = jax.jit(wasserstein_gaussian_squared_from_moments)


def test_bures_commuting_case_and_triangle_inequality():
    q = np.linalg.qr(np.random.default_rng(2).normal(size=(3, 3)))[0]
    l1, l2, l3 = np.array([1.0, 4.0, 0.25]), np.array([2.0, 0.5, 1.0]), np.array([3.0, 3.0, 0.1])
    s1, s2, s3 = (q * l1) @ q.T, (q * l2) @ q.T, (q * l3) @ q.T
    commuting = np.sum((np.sqrt(l1) - np.sqrt(l2)) ** 2)
    gt.assert_allclose(_bures(jnp.zeros(3), s1, jnp.zeros(3), s2), commuting, rtol=1e-10)
    m = [np.zeros(3), np.ones(3), np.array([2.0, -1.0, 0.0])]
    d = lambda i, j, si, sj: np.sqrt(float(_bures(m[i], si, m[j], sj)))
    assert d(0, 2, s1, s3) <= d(0, 1, s1, s2) + d(1, 2, s2, s3) + 1e-12


def test_bures_gradients_stable_at_equal_and_repeated_eigenvalues():
    eye = jnp.eye(3)
    fn = lambda s: wasserstein_gaussian_squared_from_moments(
        jnp.zeros(3), s, jnp.ones(3), 4.0 * eye
    )
    grad = jax.grad(fn)(eye)  # repeated eigenvalues everywhere
    # d/dS1 [tr S1 - 2 tr (S1^1/2 S2 S1^1/2)^1/2] at S1 = I, S2 = 4I: I - 2 * (1/2) * 2 I = -I
    gt.assert_allclose(grad, -eye, rtol=1e-12, atol=1e-12)
    same = jax.grad(
        lambda s: wasserstein_gaussian_squared_from_moments(jnp.zeros(3), s, jnp.zeros(3), eye)
    )
    assert np.all(np.isfinite(np.asarray(same(eye))))
    gt.assert_allclose(same(eye), jnp.zeros((3, 3)), atol=1e-12)
    # finite differences at a generic point, symmetric perturbation
    a = jnp.array([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]])
    b = jnp.array([[1.0, -0.4, 0.0], [-0.4, 2.0, 0.3], [0.0, 0.3, 1.5]])
    f = jax.jit(
        lambda s: wasserstein_gaussian_squared_from_moments(jnp.zeros(3), s, jnp.zeros(3), b)
    )
    g = jax.grad(f)(a)
    e = jnp.zeros((3, 3)).at[0, 1].set(1e-6).at[1, 0].set(1e-6)
    gt.assert_allclose(jnp.sum(g * e) * 2, f(a + e) - f(a - e), rtol=1e-6)


def test_transforms_and_float32():
    xs = jax.random.normal(jax.random.key(5), (2, 6))
    ys = jax.random.normal(jax.random.key(6), (2, 4))
    gt.assert_transform_consistent(lambda x, y: wasserstein_1d(x, y, p=2), xs, ys)
    v = wasserstein_1d(xs[0].astype(jnp.float32), ys[0].astype(jnp.float32))
    assert v.dtype == jnp.float32
    f32 = lambda v: jnp.float32(v)
    w = wasserstein_gaussian_squared(Normal(f32(0.0), f32(1.0)), Normal(f32(1.0), f32(2.0)))
    assert w.dtype == jnp.float32
    sw = sliced_wasserstein(
        jax.random.key(0), jnp.ones((3, 2), jnp.float32), jnp.zeros((3, 2), jnp.float32)
    )
    assert sw.dtype == jnp.float32


def test_bad_input():
    with pytest.raises(ValueError, match=r"p must be >= 1"):
        wasserstein_1d(jnp.ones(3), jnp.ones(3), p=0.5)
    with pytest.raises(ValueError, match="empty"):
        wasserstein_1d(jnp.ones(0), jnp.ones(3))
    with pytest.raises(ValueError, match=r"shape \[n\]"):
        wasserstein_1d(jnp.ones((3, 2)), jnp.ones(3))
    with pytest.raises(ValueError, match="nonnegative"):
        wasserstein_1d(jnp.ones(2), jnp.ones(3), a=jnp.array([1.0, -1.0]))
    with pytest.raises(ValueError, match="same dimension"):
        sliced_wasserstein(jax.random.key(0), jnp.ones((3, 2)), jnp.ones((3, 3)))
    with pytest.raises(ValueError, match="both be univariate"):
        wasserstein_gaussian_squared(
            Normal(0.0, 1.0), MultivariateNormalDiag(jnp.zeros(2), jnp.ones(2))
        )
    with pytest.raises(ValueError, match="dimensions differ"):
        wasserstein_gaussian_squared_from_moments(
            jnp.zeros(2), jnp.eye(2), jnp.zeros(3), jnp.eye(3)
        )
    assert np.isnan(float(wasserstein_1d(jnp.array([jnp.nan, 1.0]), jnp.ones(2), p=2)))


def test_infinite_samples_are_atoms_at_infinity():
    # wasserstein_1d([1, 2, inf], [1, 1]) was NaN: the true value is inf.
    inf = np.inf
    assert float(wasserstein_1d(jnp.array([1.0, 2.0, inf]), jnp.array([1.0, 1.0]))) == inf
    assert float(jax.jit(wasserstein_1d)(jnp.array([1.0, 2.0, inf]), jnp.array([1.0, 1.0]))) == inf
    # the same mass at the same infinity is paired at no cost
    gt.assert_allclose(
        wasserstein_1d(jnp.array([1.0, 2.0, inf]), jnp.array([1.0, 1.0, inf])), 1 / 3, rtol=1e-15
    )
    # unequal sizes: -inf, 2, inf (1/3 each) against -inf, -inf, 3, 4, inf, inf (1/6 each):
    # 2 -> 3 and 2 -> 4 with mass 1/6 each
    x, y = jnp.array([-inf, 2.0, inf]), jnp.array([-inf, 3.0, inf, inf, 4.0, -inf])
    gt.assert_allclose(wasserstein_1d(x, y), 0.5, rtol=1e-12)
    gt.assert_allclose(wasserstein_1d(x, y, p=2), np.sqrt(5 / 6), rtol=1e-12)
    assert float(wasserstein_1d(x, y[:5])) == inf  # masses at +inf differ (1/3 and 1/5)
    # (NaN samples and atoms at opposite infinities: tests/divergences/test_edges_samples.py)
    # sliced: a point with an infinite coordinate is at infinity along every direction
    pts = jnp.zeros((3, 2))
    sw = sliced_wasserstein(jax.random.key(0), pts.at[0, 0].set(inf), pts)
    assert float(sw) == inf
    with pytest.raises(TypeError, match=r"sliced_wasserstein: key must be a jax\.random key"):
        sliced_wasserstein(0, pts, pts)
