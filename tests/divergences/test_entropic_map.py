"""The entropic transport map.

Oracles: at the solve's own points it is the row-normalised plan applied to y (an identity
that holds for any potentials, f cancels); as epsilon -> 0 it tends to the exact assignment
(exact_transport) on a problem whose optimal plan is unique, within max|y| times the plan's
mass off the assignment; tiled = materialised; with a cost (Euclidean); zero weights drop
points; the Jacobian (2 / eps) Cov_w(y) of the squared cost; bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gmath.divergences import entropic_map, exact_transport, sinkhorn


def _clouds():
    x = jax.random.normal(jax.random.key(0), (12, 2))
    y = jax.random.normal(jax.random.key(1), (15, 2)) * jnp.array([2.0, 0.5]) + 1.0
    return x, y


@pytest.mark.parametrize("cost", [None, "euclidean"])
def test_at_the_solve_points_it_is_the_barycentric_projection(cost):
    x, y = _clouds()
    b = jnp.linspace(1.0, 2.0, 15) / jnp.sum(jnp.linspace(1.0, 2.0, 15))
    out = sinkhorn(x, y, epsilon=0.3, b=b, cost=cost, return_plan=True)
    plan = out.plan
    want = (plan @ y) / jnp.sum(plan, 1, keepdims=True)
    got = entropic_map(x, y, out.potentials[1], epsilon=0.3, b=b, cost=cost)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)
    tiled = entropic_map(
        x, y, out.potentials[1], epsilon=0.3, b=b, cost=cost, materialize=False, block_size=4
    )
    np.testing.assert_allclose(tiled, got, rtol=1e-13, atol=1e-14)
    # a zero weight removes its target point
    b0 = b.at[3].set(0.0)
    g = out.potentials[1]
    mask = np.arange(15) != 3
    dropped = entropic_map(x, y[mask], g[mask], epsilon=0.3, b=b[mask], cost=cost)
    np.testing.assert_allclose(entropic_map(x, y, g, epsilon=0.3, b=b0, cost=cost), dropped)


def test_small_epsilon_tends_to_the_exact_assignment():
    x = jax.random.normal(jax.random.key(2), (10, 2))
    y = jax.random.normal(jax.random.key(3), (10, 2)) + 2.0
    sigma = exact_transport(x, y).assignment
    eps = 1e-3
    out = sinkhorn(x, y, epsilon=eps, return_plan=True, max_iterations=50_000)
    assert bool(out.converged)
    plan = np.asarray(out.plan)
    off = 1 - 10 * plan[np.arange(10), np.asarray(sigma)]  # mass of each row off the assignment
    assert np.max(off) < 1e-6
    got = entropic_map(x, y, out.potentials[1], epsilon=eps)
    bound = 2 * np.max(np.abs(np.asarray(y))) * np.max(off) + 1e-12
    np.testing.assert_allclose(got, y[sigma], atol=bound, rtol=0)


def test_gradients_and_bad_input():
    x, y = _clouds()
    g = sinkhorn(x, y, epsilon=0.3).potentials[1]
    z = jnp.array([[0.0, 0.0], [1.0, -2.0], [3.0, 1.0]])
    # for the squared cost, dT/dz = (2 / eps) Cov_w(y) with w_j(z) the map's weights (the map
    # is the gradient of a convex function: a symmetric positive semi-definite Jacobian)
    jac = jax.jit(jax.jacrev(lambda z: entropic_map(z, y, g, epsilon=0.3)))(z)
    yn, gn = np.asarray(y), np.asarray(g)
    for k, zk in enumerate(np.asarray(z)):
        logw = (gn - np.sum((zk - yn) ** 2, -1)) / 0.3
        w = np.exp(logw - logw.max())
        w /= w.sum()
        mean = w @ yn
        cov = (yn - mean).T @ (w[:, None] * (yn - mean))
        np.testing.assert_allclose(jac[k, :, k, :], 2 / 0.3 * cov, rtol=1e-10, atol=1e-13)
        np.testing.assert_array_equal(np.asarray(jac[k, :, (k + 1) % 3, :]), 0.0)
    with pytest.raises(ValueError, match=r"g must have shape \(15,\)"):
        entropic_map(z, y, g[:3], epsilon=0.3)
    with pytest.raises(ValueError, match="epsilon"):
        entropic_map(z, y, g, epsilon=-1.0)
    with pytest.raises(ValueError, match="z"):
        entropic_map(jnp.zeros((3, 3)), y, g, epsilon=0.3)
    with pytest.raises(ValueError, match="matrix is not accepted"):
        entropic_map(z, y, g, epsilon=0.3, cost=np.ones((3, 15)))
