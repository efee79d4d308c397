"""ELBO and IWAE: the analytic KL against quadrature, probabilistic PCA with the
optimal encoder (IWAE = ELBO = log N(x; b, W W^T + s^2 I)), the ELBO's expectation."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import gmath.scores as gs
import gmath.testing as gt

KL_AND_GRAD = jax.jit(
    lambda m, s: (
        gs.gaussian_kl_to_standard_normal(m, s),
        jax.grad(gs.gaussian_kl_to_standard_normal, (0, 1))(m, s),
    )
)


@given(
    mean=gt.finite_arrays(shape=(3,), min_value=-3, max_value=3),
    scale=gt.positive_arrays(shape=(3,), min_value=0.05, max_value=5.0),
)
def test_kl_matches_quadrature_and_its_gradient(mean, scale):
    # KL = E_q[log q - log p] per axis by Gauss–Hermite (exact: the integrand is quadratic)
    nodes, weights = np.polynomial.hermite_e.hermegauss(10)
    weights = weights / weights.sum()
    z = mean[:, None] + scale[:, None] * nodes
    log_q = -0.5 * nodes**2 - np.log(scale)[:, None]
    log_p = -0.5 * z**2
    ref = np.sum((log_q - log_p) @ weights)
    kl, (gm, gsd) = KL_AND_GRAD(mean, scale)
    gt.assert_allclose(kl, np.asarray(ref), rtol=1e-10, atol=1e-12)
    gt.assert_allclose(gm, mean, atol=1e-300)  # XLA flushes subnormals
    gt.assert_allclose(gsd, scale - 1 / scale, atol=1e-15)


# PPCA with orthogonal columns: W^T W diagonal, so the exact posterior is a diagonal Gaussian.
W = np.array([[2.0, 0.3], [1.0, -0.6], [0.0, 1.0]])
W[:, 1] -= W[:, 0] * (W[:, 0] @ W[:, 1]) / (W[:, 0] @ W[:, 0])
B = np.array([0.5, -1.0, 0.2])
S2 = 0.3
X = np.array([1.2, -0.4, 0.9])


def log_lik(z):
    r = X - B - W @ z
    return -0.5 * jnp.sum(r * r) / S2 - 1.5 * math.log(2 * math.pi * S2)


def exact_posterior():
    m = W.T @ W + S2 * np.eye(2)
    mean = np.linalg.solve(m, W.T @ (X - B))
    return mean, np.sqrt(S2 / np.diag(m))


def log_marginal():
    cov = W @ W.T + S2 * np.eye(3)
    r = X - B
    return -0.5 * r @ np.linalg.solve(cov, r) - 0.5 * np.linalg.slogdet(2 * np.pi * cov)[1]


def test_iwae_is_exact_with_the_true_posterior():
    mean, scale = exact_posterior()
    for k, n in [(0, 1), (2, 50)]:
        value = gs.iwae_bound(jax.random.key(k), log_lik, mean, scale, num_samples=n)
        gt.assert_allclose(value, np.asarray(log_marginal()), rtol=1e-12)


def _elbo_expectation(mean, scale):
    # E_q log p(x|z) = -(||x - b - W mu||^2 + tr(W^T W diag sigma^2)) / (2 s^2) - D/2 log 2 pi s^2
    r = X - B - W @ mean
    quad = r @ r + np.sum((W**2) @ (scale**2))
    kl = 0.5 * np.sum(scale**2 + mean**2 - 1 - 2 * np.log(scale))
    a = W * scale
    var = (4 * r @ a @ a.T @ r + 2 * np.sum((a.T @ a) ** 2)) / (4 * S2**2)
    return -0.5 * quad / S2 - 1.5 * math.log(2 * math.pi * S2) - kl, var


@pytest.mark.parametrize("which", ["posterior", "other"])
def test_elbo_expectation_and_bound(which):
    mean, scale = exact_posterior()
    if which == "other":
        mean, scale = mean + np.array([0.3, -0.2]), scale * np.array([1.5, 0.7])
    expected, var = _elbo_expectation(mean, scale)
    if which == "posterior":
        gt.assert_allclose(np.asarray(expected), np.asarray(log_marginal()), rtol=1e-12)
    else:
        assert expected < log_marginal()
    # Chebyshev band on the mean of n terms, false-failure probability 1e-6
    n = 1_000_000
    value = gs.gaussian_elbo(jax.random.key(3), log_lik, mean, scale, num_samples=n)
    assert abs(float(value) - expected) <= math.sqrt(var / (n * 1e-6))
    # the estimate is the sample mean of log p(x|z) minus the analytic KL, same draws
    eps = jax.random.normal(jax.random.key(4), (7, 2), jnp.float64)
    ref = jnp.mean(jax.vmap(log_lik)(mean + scale * eps)) - gs.gaussian_kl_to_standard_normal(
        mean, scale
    )
    gt.assert_allclose(
        gs.gaussian_elbo(jax.random.key(4), log_lik, mean, scale, num_samples=7), ref
    )


def test_dtypes_gradients_and_bad_input():
    m32, s32 = jnp.zeros(2, jnp.float32), jnp.ones(2, jnp.float32)
    f32 = lambda z: -0.5 * jnp.sum(z**2)
    assert gs.gaussian_elbo(jax.random.key(0), f32, m32, s32).dtype == jnp.float32
    assert gs.iwae_bound(jax.random.key(0), f32, m32, s32, num_samples=3).dtype == jnp.float32
    # reparameterised gradients: the estimates are smooth functions of (mu, sigma) for a fixed
    # key; compare with central finite differences
    mean, scale = exact_posterior()
    for bound in (gs.gaussian_elbo, gs.iwae_bound):
        f = jax.jit(lambda m, s, b=bound: b(jax.random.key(5), log_lik, m, s, num_samples=4))
        gm, gsd = jax.jit(jax.grad(f, (0, 1)))(mean, scale)
        h = 1e-6
        for i in range(2):
            e = np.eye(2)[i] * h
            fd_m = (f(mean + e, scale) - f(mean - e, scale)) / (2 * h)
            fd_s = (f(mean, scale + e) - f(mean, scale - e)) / (2 * h)
            gt.assert_allclose(gm[i], fd_m, rtol=1e-6, atol=1e-8)
            gt.assert_allclose(gsd[i], fd_s, rtol=1e-6, atol=1e-8)
    with pytest.raises(ValueError, match=r"mean with shape \(2,\) and scale with shape \(3,\)"):
        gs.gaussian_elbo(jax.random.key(0), f32, jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match="num_samples must be a positive int"):
        gs.iwae_bound(jax.random.key(0), f32, jnp.zeros(2), jnp.ones(2), num_samples=0)
