"""MultivariateNormalDiag: against scipy, against MultivariateNormal with a diagonal scale_tril
and against Independent(Normal, 1); score = grad(log_prob); samples; transforms; float32; bad
input and the check mode."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Independent, MultivariateNormal, MultivariateNormalDiag, Normal


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        score=p.score(x),
        entropy=p.entropy(),
        mean=p.mean(),
        mode=p.mode(),
        variance=p.variance(),
    )


@jax.jit
def _grad_log_prob(p, x):
    return jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x)


@given(p=gt.multivariate_normal_diags(batch_shape=(2,)), data=st.data())
def test_matches_scipy_dense_and_independent(p, data):
    x = data.draw(gt.finite_arrays(shape=(4, 2, 3), min_value=-20, max_value=20))
    out = _summary(p, x)
    loc, scale = np.asarray(p.loc), np.asarray(p.scale_diag)
    for b in range(2):
        ref = ss.multivariate_normal(loc[b], np.diag(scale[b] ** 2))
        gt.assert_allclose(out["log_prob"][:, b], ref.logpdf(x[:, b]), atol=1e-10)
        gt.assert_allclose(out["entropy"][b], np.asarray(ref.entropy()))
    gt.assert_allclose(out["mean"], loc)
    gt.assert_allclose(out["mode"], loc)
    gt.assert_allclose(out["variance"], scale**2)
    gt.assert_allclose(out["score"], -(x - loc) / scale**2, atol=1e-300)
    gt.assert_allclose(out["score"], _grad_log_prob(p, x), atol=1e-300)
    dense = _summary(MultivariateNormal(p.loc, scale_tril=p.scale_tril), x)
    gt.assert_allclose(out, dense, rtol=1e-9, atol=1e-10)
    independent = _summary(Independent(Normal(p.loc, p.scale_diag), 1), x)
    gt.assert_allclose(out, independent, atol=1e-12)
    gt.assert_allclose(p.covariance(), np.asarray(dense["variance"])[..., None] * np.eye(3))
    gt.assert_allclose(p.precision_matrix(), np.linalg.inv(np.asarray(p.covariance())))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (Chebyshev and DKW bands), fixed key.
    loc, scale = np.array([1.0, -2.0, 0.0]), np.array([0.5, 3.0, 1.0])
    p = MultivariateNormalDiag(loc, scale)
    x = np.asarray(p.sample(jax.random.key(0), (20_000,)))
    assert x.shape == (20_000, 3)
    gt.assert_mean_matches(x, loc, scale**2)
    gt.assert_mean_matches((x - loc) ** 2, scale**2, 2 * scale**4)
    gt.assert_samples_match_cdf(x[:, 1], ss.norm(loc[1], scale[1]).cdf)


def test_float32_stays_float32():
    p = MultivariateNormalDiag(jnp.zeros(2, jnp.float32), jnp.array([1.0, 2.0], jnp.float32))
    x = jnp.ones((5, 2), jnp.float32)
    for value in (p.log_prob(x), p.prob(x), p.score(x), p.entropy(), p.mean(), p.variance()):
        assert value.dtype == jnp.float32
    assert p.covariance().dtype == p.scale_tril.dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    ref = ss.multivariate_normal(np.zeros(2), np.diag([1.0, 4.0])).logpdf(np.ones(2))
    gt.assert_allclose(p.log_prob(x)[0], np.float32(ref))


def test_extreme_scales_finite():
    for scale in (1e-30, 1e30):
        for dtype in (jnp.float32, jnp.float64):
            p = MultivariateNormalDiag(jnp.ones(2, dtype), jnp.full(2, scale, dtype))
            value = p.log_prob(jnp.ones(2, dtype))
            gt.assert_allclose(value, np.asarray(-2 * np.log(scale) - np.log(2 * np.pi), dtype))


def test_shapes_broadcast():
    p = MultivariateNormalDiag(jnp.zeros((2, 1, 3)), jnp.ones((4, 1)))
    assert p.batch_shape == (2, 4) and p.event_shape == (3,)

    @jax.jit
    def shapes(p, key):
        return dict(
            log_prob=p.log_prob(jnp.zeros((5, 2, 4, 3))),
            log_prob_one=p.log_prob(jnp.zeros(3)),
            score=p.score(jnp.zeros(3)),
            sample=p.sample(key, (6,)),
            entropy=p.entropy(),
            mean=p.mean(),
            variance=p.variance(),
        )

    out = shapes(p, jax.random.key(1))
    expected = dict(
        log_prob=(5, 2, 4),
        log_prob_one=(2, 4),
        score=(2, 4, 3),
        sample=(6, 2, 4, 3),
        entropy=(2, 4),
        mean=(2, 4, 3),
        variance=(2, 4, 3),
    )
    assert {k: v.shape for k, v in out.items()} == expected
    gt.assert_allclose(out["entropy"], np.full((2, 4), 1.5 * (1 + np.log(2 * np.pi))))


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(3,\) and scale_diag with shape \(4,\)"):
        MultivariateNormalDiag(jnp.zeros(3), jnp.ones(4))
    with pytest.raises(
        ValueError, match=r"loc with shape \(2, 3\).*scale_diag with shape \(4, 3\)"
    ):
        MultivariateNormalDiag(jnp.zeros((2, 3)), jnp.ones((4, 3)))
    with pytest.raises(ValueError, match="at least 1 dimension"):
        MultivariateNormalDiag(0.0, 1.0)
    p = MultivariateNormalDiag(jnp.zeros(3), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x has shape \(2,\).*event_shape \(3,\)"):
        p.log_prob(jnp.zeros(2))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    p = MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, -1.0]))
    assert np.isnan(p.log_prob(jnp.zeros(2)))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale_diag must be positive"):
            MultivariateNormalDiag(jnp.zeros(2), jnp.array([1.0, -1.0]))

        @jax.jit
        def f(s):
            return MultivariateNormalDiag(jnp.zeros(2), s).log_prob(jnp.zeros(2))

        with pytest.raises(Exception, match="scale_diag must be positive"):
            jax.block_until_ready(f(jnp.array([1.0, -1.0])))


def test_parameter_gradients_closed_form():
    loc, scale, x = np.array([0.5, -1.0]), np.array([2.0, 0.5]), np.array([1.0, 1.0])
    g = jax.grad(lambda p: p.log_prob(x))(MultivariateNormalDiag(loc, scale))
    z = (x - loc) / scale
    gt.assert_allclose(g.loc, z / scale)
    gt.assert_allclose(g.scale_diag, (z * z - 1) / scale)
