"""Kernel Stein discrepancy.

Oracles: p = N(mp, S), q = N(mq, S), RBF bandwidth h:
KSD^2 = |S^-1 (mp - mq)|^2 det(I + 2 S / h^2)^(-1/2), reached exactly by the weighted
V-statistic on Gauss–Hermite nodes of q; the closed-form Stein kernel against one built by
automatic differentiation of k; the U-statistic against a naive double loop; precomputed scores
equal a score function; tiled = materialised with gradients; eager = jit = vmap; float32; bad
input.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath.testing as gt
from gmath.divergences import kernels, ksd_squared
from gmath.divergences._ksd import stein_kernel

H = 0.8


@jax.jit
def _v_stat(x, s, a):
    return ksd_squared(x, s, kernel=kernels.rbf(bandwidth=H), estimator="biased", a=a)


@pytest.mark.parametrize("dim", [1, 2])
def test_gaussian_closed_form(dim):
    t, w = np.polynomial.hermite_e.hermegauss(40)
    w = w / w.sum()
    pts = np.stack(np.meshgrid(*([t] * dim), indexing="ij"), -1).reshape(-1, dim)
    wts = np.outer(w, w).ravel() if dim == 2 else w
    chol = np.array([[1.1, 0.0], [0.3, 0.7]])[:dim, :dim]
    cov = chol @ chol.T
    mp, mq = np.linspace(0.4, -0.2, dim), np.linspace(-0.3, 0.1, dim)
    x = mq + pts @ chol.T  # nodes of q
    scores = -np.linalg.solve(cov, (x - mp).T).T  # score of p
    delta = np.linalg.solve(cov, mp - mq)
    ref = delta @ delta * np.linalg.det(np.eye(dim) + 2 * cov / H**2) ** -0.5
    gt.assert_allclose(_v_stat(x, scores, wts), ref, rtol=1e-10)


@jax.jit
def _autodiff_stein(kernel, x, sx, y, sy):
    k = lambda u, v: kernel(u, v)
    gx = jax.grad(k, 0)
    gy = jax.grad(k, 1)
    trace = lambda u, v: jnp.trace(jax.jacfwd(gy, 0)(u, v))

    def one(u, su, v, sv):
        return su @ sv * k(u, v) + su @ gy(u, v) + sv @ gx(u, v) + trace(u, v)

    return jax.vmap(lambda u, su: jax.vmap(lambda v, sv: one(u, su, v, sv))(y, sy))(x, sx)


@pytest.mark.parametrize(
    "kernel",
    [
        kernels.rbf(bandwidth=0.9),
        kernels.imq(bandwidth=1.3, exponent=-0.4),
        kernels.rational_quadratic(alpha=1.5),
    ],
    ids=["rbf", "imq", "rq"],
)
def test_stein_kernel_matches_autodiff(kernel):
    k = jax.random.split(jax.random.key(0), 4)
    x, y = jax.random.normal(k[0], (5, 3)), jax.random.normal(k[1], (4, 3))
    sx, sy = jax.random.normal(k[2], (5, 3)), jax.random.normal(k[3], (4, 3))
    gt.assert_allclose(
        stein_kernel(kernel, x, sx, y, sy),
        _autodiff_stein(kernel, x, sx, y, sy),
        rtol=1e-11,
        atol=1e-13,
    )


def test_unbiased_against_naive_and_scores_as_values():
    x = jax.random.normal(jax.random.key(1), (7, 2)) + 0.3
    score = lambda v: -(v - jnp.array([0.5, -0.5]))
    kernel = kernels.imq()
    s = jax.vmap(score)(x)
    u = np.asarray(_autodiff_stein(kernel, x, s, x, s))
    naive = (u.sum() - np.trace(u)) / (7 * 6)
    both = jax.jit(
        lambda x, s: (
            ksd_squared(x, score),
            ksd_squared(x, s),
            ksd_squared(x, s, estimator="biased"),
        )
    )(x, s)
    gt.assert_allclose(both[0], naive, rtol=1e-11)
    gt.assert_allclose(both[1], naive, rtol=1e-11)
    gt.assert_allclose(both[2], u.mean(), rtol=1e-11)


@functools.partial(jax.jit, static_argnames=("materialize",))
def _value_and_grad(x, materialize):
    fn = lambda x: ksd_squared(x, lambda v: -v, materialize=materialize, block_size=4)
    return jax.value_and_grad(fn)(x)


def test_tiled_equals_materialised_and_finite_differences():
    x = jax.random.normal(jax.random.key(2), (10, 2))
    v1, g1 = _value_and_grad(x, True)
    v2, g2 = _value_and_grad(x, False)
    gt.assert_allclose(v2, v1, rtol=1e-12)
    gt.assert_allclose(g2, g1, rtol=1e-10, atol=1e-13)
    h = 1e-6
    e = jnp.zeros_like(x).at[3, 0].set(h)
    fd = (_value_and_grad(x + e, True)[0] - _value_and_grad(x - e, True)[0]) / (2 * h)
    gt.assert_allclose(g1[3, 0], fd, rtol=1e-7)


def test_transforms_agree_and_float32():
    xs = jax.random.normal(jax.random.key(3), (2, 6, 2))
    gt.assert_transform_consistent(lambda x: ksd_squared(x, lambda v: -v), xs, rtol=1e-12)
    v32 = ksd_squared(xs[0].astype(jnp.float32), lambda v: -v)
    assert v32.dtype == jnp.float32
    gt.assert_allclose(v32, np.float32(ksd_squared(xs[0], lambda v: -v)), rtol=1e-4, atol=1e-6)


def test_bad_input():
    x = jnp.ones((4, 2))
    with pytest.raises(ValueError, match="smooth radial"):
        ksd_squared(x, -x, kernel=kernels.laplace())
    with pytest.raises(ValueError, match="smooth radial"):
        ksd_squared(x, -x, kernel=kernels.linear())
    with pytest.raises(ValueError, match="score"):
        ksd_squared(x, jnp.ones((3, 2)))
    with pytest.raises(ValueError, match="same dimension"):
        ksd_squared(x, jnp.ones((4, 3)))
    with pytest.raises(ValueError, match="empty"):
        ksd_squared(jnp.ones((0, 2)), lambda v: -v)
    with pytest.raises(ValueError, match="n >= 2"):
        ksd_squared(jnp.ones((1, 2)), lambda v: -v)
    assert np.isnan(float(ksd_squared(x.at[0, 0].set(jnp.nan), lambda v: -v)))


def test_misshaped_score_function_names_the_argument_and_shapes():
    x = jax.random.normal(jax.random.key(0), (10, 2))
    with pytest.raises(ValueError, match=r"score.*shape \(2,\).*returned shape \(1,\)"):
        ksd_squared(x, lambda v: -v[:1])
    with pytest.raises(ValueError, match=r"score.*returned shape \(\)"):
        ksd_squared(x, lambda v: jnp.sum(v))
    with pytest.raises(ValueError, match=r"x and score must have the same dimension.*\(10, 3\)"):
        ksd_squared(x, -x[:, :1] * jnp.ones((10, 3)))
    # in one dimension a scalar score is the score
    x1 = x[:, :1]
    gt.assert_allclose(ksd_squared(x1, lambda v: -v[0]), ksd_squared(x1, lambda v: -v))


def test_weights_must_be_probability_vectors():
    x = jax.random.normal(jax.random.key(0), (10, 2))
    with pytest.raises(ValueError, match="a must sum to one"):
        ksd_squared(x, lambda v: -v, estimator="biased", a=jnp.full(10, 1.0))
    fn = jax.jit(lambda a: ksd_squared(x, lambda v: -v, estimator="biased", a=a))
    assert np.isnan(float(fn(jnp.full(10, 1.0))))
    assert np.isfinite(float(fn(jnp.full(10, 0.1))))
