"""Independent: log_prob and entropy are sums of the base's over the reinterpreted dimensions;
shapes move from batch to event; everything else is the base's."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath.testing as gt
from gmath.densities import Independent, MultivariateNormalDiag, Normal


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        score=p.score(x),
        grad=jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        entropy=p.entropy(),
        mean=p.mean(),
        variance=p.variance(),
        mode=p.mode(),
    )


@given(base=gt.normals(batch_shape=(2, 3)), data=st.data())
def test_sums_over_reinterpreted_dimensions(base, data):
    x = data.draw(gt.finite_arrays(shape=(4, 2, 3), min_value=-20, max_value=20))
    ref = ss.norm(np.asarray(base.loc), np.asarray(base.scale))
    for n in (1, 2):
        p = Independent(base, n)
        axes = tuple(range(-n, 0))
        out = _summary(p, x)
        gt.assert_allclose(out["log_prob"], np.sum(ref.logpdf(x), axis=axes))
        gt.assert_allclose(out["entropy"], np.asarray(np.sum(ref.entropy(), axis=axes)))
        gt.assert_allclose(out["score"], np.asarray(base.score(x)), atol=1e-300)
        gt.assert_allclose(out["score"], out["grad"])
        gt.assert_allclose(out["mean"], ref.mean())
        gt.assert_allclose(out["variance"], ref.var())
        gt.assert_allclose(out["mode"], ref.mean())


def test_shapes():
    base = Normal(jnp.zeros((5, 2, 3)), 1.0)
    for n, batch, event in ((0, (5, 2, 3), ()), (1, (5, 2), (3,)), (2, (5,), (2, 3))):
        p = Independent(base, n)
        assert p.batch_shape == batch and p.event_shape == event
        assert p.log_prob(jnp.zeros((7, 5, 2, 3))).shape == (7,) + batch
        assert p.sample(jax.random.key(0), (4,)).shape == (4, 5, 2, 3)
        assert p.entropy().shape == batch
    # nested over a multivariate base: the event grows on the left
    q = Independent(MultivariateNormalDiag(jnp.zeros((2, 3)), jnp.ones(3)), 1)
    assert q.batch_shape == () and q.event_shape == (2, 3)
    gt.assert_allclose(q.log_prob(jnp.zeros((2, 3))), np.asarray(-3 * np.log(2 * np.pi)))
    assert Independent(base, 1).reinterpreted_batch_ndims == 1


def test_samples_match_distribution():
    # Chebyshev band, false-failure probability 1e-6, fixed key.
    p = Independent(Normal(jnp.array([1.0, -1.0]), jnp.array([2.0, 0.5])), 1)
    x = p.sample(jax.random.key(3), (20_000,))
    gt.assert_mean_matches(x, p.mean(), p.variance())


def test_transforms_agree():
    rng = np.random.default_rng(0)
    p = Independent(Normal(rng.normal(size=(2, 3)), rng.uniform(0.5, 2.0, size=(2, 3))), 1)
    xs = rng.normal(size=(2, 5, 3))
    gt.assert_transform_consistent(lambda p, x: (p.log_prob(x), p.entropy()), p, xs)


def test_pytree_and_float32():
    p = Independent(Normal(jnp.zeros(3, jnp.float32), jnp.ones(3, jnp.float32)), 1)
    leaves, treedef = jax.tree_util.tree_flatten(p)
    assert len(leaves) == 2  # reinterpreted_batch_ndims is static metadata
    assert p.log_prob(jnp.zeros(3, jnp.float32)).dtype == jnp.float32
    assert p.entropy().dtype == jnp.float32
    g = jax.grad(lambda p: p.log_prob(jnp.ones(3)))(Independent(Normal(jnp.zeros(3), 1.0), 1))
    gt.assert_allclose(g.base.loc, np.ones(3))


def test_bad_input():
    with pytest.raises(TypeError, match="base must be a distribution"):
        Independent(jnp.zeros(3), 1)
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims=2 exceeds .* \(3,\)"):
        Independent(Normal(jnp.zeros(3), 1.0), 2)
    with pytest.raises(ValueError, match="non-negative int"):
        Independent(Normal(jnp.zeros(3), 1.0), -1)
    p = Independent(Normal(jnp.zeros((2, 3)), 1.0), 1)
    with pytest.raises(ValueError, match=r"x has shape \(4,\).*event_shape \(3,\)"):
        p.log_prob(jnp.zeros(4))
