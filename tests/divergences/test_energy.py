"""Energy distance.

Oracles: in 1-D, ED = 2 int (F - G)^2 for the (weighted) empirical CDFs, i.e. the
square of scipy.stats.energy_distance; U-statistic against a naive double loop; scale
equivariance of degree one; zero (not NaN) gradient at coincident points and gradients against
finite differences; tiled = materialised; eager = jit = vmap; float32 kept; bad input.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath.testing as gt
from gmath.divergences import energy_distance


@jax.jit
def _weighted(x, y, a, b):
    return energy_distance(x, y, a=a, b=b)


@given(
    x=gt.finite_arrays(shape=(7,), min_value=-10, max_value=10),
    y=gt.finite_arrays(shape=(5,), min_value=-10, max_value=10),
    a=gt.positive_arrays(shape=(7,), min_value=0.1, max_value=10),
    b=gt.positive_arrays(shape=(5,), min_value=0.1, max_value=10),
)
def test_one_dimension_matches_scipy(x, y, a, b):
    value = _weighted(x, y, a / a.sum(), b / b.sum())
    ref = ss.energy_distance(x, y, a, b) ** 2
    gt.assert_allclose(value, ref, rtol=1e-9, atol=1e-12)


def test_unbiased_against_naive_loops():
    x = jax.random.normal(jax.random.key(0), (8, 3))
    y = jax.random.normal(jax.random.key(1), (6, 3)) + 0.4
    xn, yn = np.asarray(x), np.asarray(y)
    dist = lambda u, v: np.sqrt(np.sum((u - v) ** 2))
    dxy = np.mean([dist(u, v) for u in xn for v in yn])
    dxx = np.mean([dist(xn[i], xn[j]) for i in range(8) for j in range(8) if i != j])
    dyy = np.mean([dist(yn[i], yn[j]) for i in range(6) for j in range(6) if i != j])
    value = energy_distance(x, y, estimator="unbiased")
    gt.assert_allclose(value, 2 * dxy - dxx - dyy, rtol=1e-12)


@given(c=st.floats(0.01, 100.0))
def test_scale_equivariance(c):
    x = jax.random.normal(jax.random.key(2), (6, 2))
    y = jax.random.normal(jax.random.key(3), (5, 2))
    w6, w5 = jnp.full(6, 1 / 6), jnp.full(5, 1 / 5)
    gt.assert_allclose(_weighted(c * x, c * y, w6, w5), c * _weighted(x, y, w6, w5), rtol=1e-12)
    gt.assert_allclose(_weighted(-c * x, -c * y, w6, w5), c * _weighted(x, y, w6, w5), rtol=1e-12)


@functools.partial(jax.jit, static_argnames=("materialize",))
def _value_and_grad(x, y, materialize):
    fn = lambda x, y: energy_distance(x, y, materialize=materialize, block_size=4)
    return jax.value_and_grad(fn, argnums=(0, 1))(x, y)


def test_gradients_tiled_and_at_coincident_points():
    x = jax.random.normal(jax.random.key(4), (9, 2))
    y = jnp.concatenate([x[:3], jax.random.normal(jax.random.key(5), (4, 2))])  # shared points
    v1, g1 = _value_and_grad(x, y, True)
    v2, g2 = _value_and_grad(x, y, False)
    assert all(np.all(np.isfinite(np.asarray(g))) for g in g1)
    gt.assert_allclose(v2, v1, rtol=1e-12)
    gt.assert_allclose(g2, g1, rtol=1e-10, atol=1e-13)
    h = 1e-6
    e = jnp.zeros_like(x).at[6, 1].set(h)
    fd = (_value_and_grad(x + e, y, True)[0] - _value_and_grad(x - e, y, True)[0]) / (2 * h)
    gt.assert_allclose(g1[0][6, 1], fd, rtol=1e-7)


def test_transforms_agree():
    xs = jax.random.normal(jax.random.key(6), (2, 5, 2))
    ys = jax.random.normal(jax.random.key(7), (2, 4, 2))
    gt.assert_transform_consistent(lambda x, y: energy_distance(x, y), xs, ys, rtol=1e-12)


def test_float32_stays_float32():
    x = jax.random.normal(jax.random.key(8), (6, 2))
    y = x[:4] + 1.0
    value = energy_distance(x.astype(jnp.float32), y.astype(jnp.float32))
    assert value.dtype == jnp.float32
    gt.assert_allclose(value, np.float32(energy_distance(x, y)), rtol=1e-5)


def test_bad_input():
    x = jnp.ones((4, 2))
    with pytest.raises(ValueError, match="same dimension"):
        energy_distance(x, jnp.ones((3, 3)))
    with pytest.raises(ValueError, match="empty"):
        energy_distance(x, jnp.ones((0, 2)))
    with pytest.raises(ValueError, match="estimator"):
        energy_distance(x, x, estimator="v")
    with pytest.raises(ValueError, match="weights"):
        energy_distance(x, x, estimator="unbiased", a=jnp.full(4, 0.25))
    assert np.isnan(float(energy_distance(x.at[0, 0].set(jnp.nan), x + 1)))


def test_weights_off_the_simplex_are_rejected_not_used():
    # energy_distance with weights of sums 10 and 2 returned a negative "distance" (-619.7 in the
    # report): weights must be probability vectors.
    from gmath import config

    x = jax.random.normal(jax.random.key(0), (10, 2))
    y = x + jnp.array([1.0, 2.0])
    a, b = jnp.full(10, 1.0), jnp.full(10, 0.2)
    with pytest.raises(ValueError, match="a must sum to one"):
        energy_distance(x, y, a=a, b=b / 2)
    with pytest.raises(ValueError, match="b must sum to one"):
        energy_distance(x, y, a=a / 10, b=b)
    with pytest.raises(ValueError, match="nonnegative"):
        energy_distance(x, y, a=jnp.zeros(10).at[0].set(2.0).at[1].set(-1.0))
    traced = jax.jit(lambda a, b: energy_distance(x, y, a=a, b=b))
    assert np.isnan(float(traced(a, b)))
    with config.checks(True):
        checked = jax.jit(lambda a, b: energy_distance(x, y, a=a, b=b))
        with pytest.raises(Exception, match="must sum to one"):
            jax.block_until_ready(checked(a, b))
    # the same weights normalised: the energy distance of the translated cloud, >= 0
    value = traced(a / 10, b / 2)
    assert float(value) > 0
    gt.assert_allclose(value, energy_distance(x, y), rtol=1e-12)
