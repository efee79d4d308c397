"""LowRankMultivariateNormal: against scipy and the dense MultivariateNormal with covariance
W W^T + D, score = grad(log_prob), smooth gradients at W = 0, sample moments, transforms,
float32, bad input and the check mode."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads

import gmath
import gmath.testing as gt
from gmath.densities import LowRankMultivariateNormal, MultivariateNormal


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        score=p.score(x),
        grad=jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        entropy=p.entropy(),
        mean=p.mean(),
        variance=p.variance(),
        covariance=p.covariance(),
        precision=p.precision_matrix(),
    )


def _dense_cov(p):
    w, delta = np.asarray(p.cov_factor), np.asarray(p.cov_diag)
    return w @ np.swapaxes(w, -1, -2) + delta[..., None] * np.eye(w.shape[-2])


@given(p=gt.low_rank_multivariate_normals(batch_shape=(2,)), data=st.data())
def test_matches_scipy_and_dense(p, data):
    x = data.draw(gt.finite_arrays(shape=(3, 2, 4), min_value=-10, max_value=10))
    out = _summary(p, x)
    cov = _dense_cov(p)
    loc = np.asarray(p.loc)
    for b in range(2):
        ref = ss.multivariate_normal(loc[b], cov[b])
        gt.assert_allclose(out["log_prob"][:, b], ref.logpdf(x[:, b]), atol=1e-10)
        gt.assert_allclose(out["entropy"][b], np.asarray(ref.entropy()))
    gt.assert_allclose(out["covariance"], cov, atol=1e-300)
    gt.assert_allclose(out["variance"], np.diagonal(cov, axis1=-2, axis2=-1))
    gt.assert_allclose(out["mean"], loc)
    gt.assert_allclose(out["precision"], np.linalg.inv(cov), rtol=1e-9, atol=1e-12)
    gt.assert_allclose(out["score"], out["grad"], rtol=1e-9, atol=1e-10)
    dense = _summary(MultivariateNormal(p.loc, covariance_matrix=cov), x)
    gt.assert_allclose(out, dense, rtol=1e-9, atol=1e-10)


def test_gradients_smooth_at_zero_factor_and_match_finite_differences():
    loc, delta = np.array([0.1, -0.2, 0.3]), np.array([0.5, 1.0, 2.0])
    x = np.array([[0.5, 0.1, -1.0], [1.0, -2.0, 0.0]])

    @jax.jit
    def f(m, w, dlt):
        return LowRankMultivariateNormal(m, w, dlt).log_prob(x)

    w = np.array([[1.0, 0.2], [-0.5, 0.3], [0.0, 1.5]])
    check_grads(f, (loc, w, delta), order=1, modes=["rev"], eps=1e-6, atol=1e-6, rtol=1e-6)
    g = jax.grad(lambda w: jnp.sum(f(loc, w, delta)))(np.zeros((3, 2)))
    # d/dW log p at W = 0 is zero (log p is even in W)
    gt.assert_allclose(g, np.zeros((3, 2)), atol=1e-15)
    check_grads(f, (loc, np.zeros((3, 2)), delta), order=1, modes=["rev"], eps=1e-6, atol=1e-6)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (Chebyshev bands), fixed key.
    loc = np.array([1.0, -2.0, 0.5])
    w = np.array([[1.0, 0.5], [0.5, -1.0], [0.0, 0.3]])
    delta = np.array([0.5, 0.2, 1.0])
    p = LowRankMultivariateNormal(loc, w, delta)
    cov = _dense_cov(p)
    n = 20_000
    x = np.asarray(p.sample(jax.random.key(0), (n,)))
    assert x.shape == (n, 3)
    gt.assert_mean_matches(x, loc, np.diag(cov))
    c = x - loc
    products = (c[:, :, None] * c[:, None, :]).reshape(n, 9)
    var = (np.diag(cov)[:, None] * np.diag(cov)[None, :] + cov**2).reshape(9)
    gt.assert_mean_matches(products, cov.reshape(9), var)


def test_float32_and_shapes():
    p = LowRankMultivariateNormal(
        jnp.zeros((2, 1, 3), jnp.float32),
        jnp.ones((4, 3, 2), jnp.float32),
        jnp.ones(3, jnp.float32),
    )
    assert p.batch_shape == (2, 4) and p.event_shape == (3,) and p.rank == 2
    out = jax.jit(
        lambda p, x, key: dict(
            log_prob=p.log_prob(x),
            score=p.score(x),
            entropy=p.entropy(),
            mean=p.mean(),
            variance=p.variance(),
            covariance=p.covariance(),
            precision=p.precision_matrix(),
            sample=p.sample(key, (5,)),
        )
    )(p, jnp.ones((6, 2, 4, 3), jnp.float32), jax.random.key(0))
    for name, value in out.items():
        assert value.dtype == jnp.float32, name
    assert out["log_prob"].shape == (6, 2, 4) and out["score"].shape == (6, 2, 4, 3)
    assert out["sample"].shape == (5, 2, 4, 3) and out["entropy"].shape == (2, 4)
    assert out["covariance"].shape == (2, 4, 3, 3)
    cov = np.ones((3, 3)) * 2 + np.eye(3)
    ref = ss.multivariate_normal(np.zeros(3), cov).logpdf(np.ones(3))
    gt.assert_allclose(out["log_prob"][0, 0, 0], np.float32(ref))


def test_bad_input():
    with pytest.raises(ValueError, match=r"cov_factor with shape \(4, 2\)"):
        LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((4, 2)), jnp.ones(3))
    with pytest.raises(ValueError, match=r"cov_diag with shape \(2,\)"):
        LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((3, 2)), jnp.ones(2))
    with pytest.raises(
        ValueError, match=r"loc with shape \(2, 3\).*cov_factor with shape \(5, 3, 1\)"
    ):
        LowRankMultivariateNormal(jnp.zeros((2, 3)), jnp.ones((5, 3, 1)), jnp.ones(3))
    p = LowRankMultivariateNormal(jnp.zeros(3), jnp.ones((3, 1)), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x has shape \(2,\).*event_shape \(3,\)"):
        p.log_prob(jnp.zeros(2))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    bad = jnp.array([1.0, -1.0])
    assert np.isnan(
        LowRankMultivariateNormal(jnp.zeros(2), jnp.ones((2, 1)), bad).log_prob(jnp.zeros(2))
    )
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="cov_diag must be positive"):
            LowRankMultivariateNormal(jnp.zeros(2), jnp.ones((2, 1)), bad)

        @jax.jit
        def f(d):
            return LowRankMultivariateNormal(jnp.zeros(2), jnp.ones((2, 1)), d).log_prob(
                jnp.zeros(2)
            )

        with pytest.raises(Exception, match="cov_diag must be positive"):
            jax.block_until_ready(f(bad))
