"""Minibatch OT couplings (ot_coupling).

Oracles: the exact pairing is a permutation of x1 whose mean squared length equals the optimal
assignment's cost and is at most that of the identity pairing and of 200 random permutations;
the Sinkhorn pairing's empirical joint law matches the entropic plan (chi-squared test, stated
false-failure probability); both work inside jit; bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss

from gmath.divergences import exact_transport, ot_coupling, sinkhorn


def test_exact_pairing_is_the_optimal_permutation():
    x0 = jax.random.normal(jax.random.key(0), (32, 2))
    x1 = jax.random.normal(jax.random.key(1), (32, 2)) * 2 + 1
    a, b = jax.jit(ot_coupling)(jax.random.key(2), x0, x1)
    np.testing.assert_array_equal(a, x0)
    np.testing.assert_array_equal(np.sort(np.asarray(b), 0), np.sort(np.asarray(x1), 0))
    cost = lambda u, v: float(jnp.mean(jnp.sum((u - v) ** 2, -1)))
    np.testing.assert_allclose(cost(a, b), exact_transport(x0, x1).cost, rtol=1e-14)
    perms = jax.vmap(lambda k: jax.random.permutation(k, 32))(
        jax.random.split(jax.random.key(3), 200)
    )
    others = jax.vmap(lambda p: jnp.mean(jnp.sum((x0 - x1[p]) ** 2, -1)))(perms)
    assert cost(a, b) <= min(float(jnp.min(others)), cost(x0, x1))


def test_sinkhorn_pairs_follow_the_entropic_plan():
    # n = m = 4 distinct points on the line; 4000 keys x 4 pairs = 16000 draws of (i, j) from
    # P (epsilon = 8: every cell expects >= 5, checked). Chi-squared with 15 degrees of freedom at a
    # false-failure probability of 1e-6.
    x0 = jnp.array([[0.0], [1.0], [2.0], [3.0]])
    x1 = jnp.array([[0.5], [1.7], [2.2], [4.0]])
    plan = np.asarray(sinkhorn(x0, x1, epsilon=8.0, return_plan=True).plan)
    draw = jax.jit(jax.vmap(lambda k: ot_coupling(k, x0, x1, method="sinkhorn", epsilon=8.0)))
    a, b = draw(jax.random.split(jax.random.key(4), 4000))
    i = np.searchsorted(np.asarray(x0[:, 0]), np.asarray(a).ravel())
    j = np.searchsorted(np.asarray(x1[:, 0]), np.asarray(b).ravel())
    counts = np.zeros((4, 4))
    np.add.at(counts, (i, j), 1)
    expected = plan / plan.sum() * counts.sum()
    assert expected.min() >= 5
    stat = np.sum((counts - expected) ** 2 / expected)
    assert stat <= ss.chi2.ppf(1 - 1e-6, 15), stat


def test_bad_input():
    x = jnp.zeros((4, 2))
    key = jax.random.key(0)
    with pytest.raises(ValueError, match="method must be one of"):
        ot_coupling(key, x, x, method="hungarian")
    with pytest.raises(ValueError, match="equal size"):
        ot_coupling(key, x, jnp.zeros((5, 2)))
    with pytest.raises(ValueError, match="sinkhorn' only"):
        ot_coupling(key, x, x, epsilon=0.1)
    with pytest.raises(TypeError, match="key"):
        ot_coupling(0, x, x)
    with pytest.raises(ValueError, match="x1"):
        ot_coupling(key, x, jnp.zeros((4, 3)))
