"""Exact optimal transport (the assignment problem and the transportation problem).

Oracles: the minimum over all n! permutations (n = 6; Birkhoff-von Neumann: the optimum of the
linear program is attained at a permutation matrix) on random, tied and duplicated costs; the
returned dual potentials certify optimality (f_i + g_j <= C_ij everywhere, equality on the
assignment, primal = dual value); in 1-D, with the cost |x - y|^p (p >= 1), the sorted matching
(wasserstein_1d ** p); the entropic cost sandwich OT <= OT_eps <= OT + eps log n; the envelope
gradient 2 (x_i - y_sigma(i)) / n of the squared cost; vmap = loop, float32 kept, bad input.
With weights or unequal sizes: scipy's HiGHS linear program (an independent solver) on random,
tied and zero-weight problems, exact marginals, the same certificate; in 1-D with weights the
quantile coupling (wasserstein_1d ** p).
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

import gmath.testing as gt
from gmath import config
from gmath.divergences import costs, exact_transport, sinkhorn, wasserstein_1d

NW, MW = 6, 4  # the weighted problems' shape: one compiled solver for all of them

N = 6
_PERMS = np.array(list(itertools.permutations(range(N))))


def _brute(c):
    return np.min(c[np.arange(N), _PERMS].sum(1)) / N


_by_matrix = jax.jit(lambda c: exact_transport(None, None, cost=c))


def _assert_certified(out, c):
    n = c.shape[0]
    f, g = (np.asarray(v) for v in out.potentials)
    sigma = np.asarray(out.assignment)
    scale = np.max(np.abs(c)) + 1e-300
    tol = 8 * n * np.finfo(c.dtype).eps * scale
    assert sorted(sigma.tolist()) == list(range(n))  # a permutation
    assert np.all(f[:, None] + g[None, :] <= c + tol)  # dual feasibility
    np.testing.assert_allclose(f + g[sigma], c[np.arange(n), sigma], atol=tol, rtol=0)  # slackness
    np.testing.assert_allclose(out.cost, (f.sum() + g.sum()) / n, atol=tol, rtol=0)  # no gap
    plan = np.asarray(out.plan)
    np.testing.assert_array_equal(plan.sum(1), np.full(n, 1 / n))
    np.testing.assert_array_equal(plan.sum(0), np.full(n, 1 / n))
    assert bool(out.optimal)


def _cost_matrices(n, m, bound, top):
    """Random costs in [-bound, bound], or small integers 0..top (ties everywhere)."""
    return st.one_of(
        gt.finite_arrays(shape=(n, m), min_value=-bound, max_value=bound),
        st.lists(st.integers(0, top), min_size=n * m, max_size=n * m).map(
            lambda v: np.array(v, np.float64).reshape(n, m)
        ),
    )


@settings(max_examples=40)
@given(c=_cost_matrices(N, N, 1e6, 3))
def test_matches_brute_force_and_certifies(c):
    c = np.asarray(c, np.float64)
    out = _by_matrix(jnp.asarray(c))
    np.testing.assert_allclose(out.cost, _brute(c), rtol=1e-12, atol=1e-12 * np.max(np.abs(c)))
    _assert_certified(out, c)


def test_duplicate_points_and_identical_clouds():
    x = jnp.array([[0.0, 1.0], [0.0, 1.0], [2.0, 0.0], [2.0, 0.0], [5.0, 5.0], [0.0, 1.0]])
    out = exact_transport(x, x[::-1])
    assert float(out.cost) == 0.0
    _assert_certified(out, np.asarray(jnp.sum((x[:, None] - x[::-1][None]) ** 2, -1)))
    same = exact_transport(x, x, cost="euclidean")
    assert float(same.cost) == 0.0


@pytest.mark.parametrize("p", [1.0, 1.5, 2.0, 3.0])
def test_on_the_line_equals_the_sorted_matching(p):
    x = jax.random.normal(jax.random.key(0), (12,))
    y = 2 * jax.random.normal(jax.random.key(1), (12,)) + 1
    out = exact_transport(x, y, cost=costs.PNorm(p, p))
    want = float(wasserstein_1d(x, y, p=p)) ** p
    np.testing.assert_allclose(out.cost, want, rtol=1e-12)
    assert bool(out.optimal)


def test_entropic_cost_sandwich_and_envelope_gradient():
    n = 40
    x = jax.random.normal(jax.random.key(2), (n, 2))
    y = jax.random.normal(jax.random.key(3), (n, 2)) * jnp.array([2.0, 0.5]) + 1
    out = exact_transport(x, y)
    _assert_certified(out, np.asarray(jnp.sum((x[:, None] - y[None]) ** 2, -1)))
    c_max = float(jnp.max(jnp.sum((x[:, None] - y[None]) ** 2, -1)))
    for eps in (0.5, 0.05):
        reg = sinkhorn(x, y, epsilon=eps, max_iterations=50_000)
        assert bool(reg.converged)
        slack = float(reg.marginal_error) * c_max  # the dual value's error at this marginal error
        assert float(out.cost) - slack <= float(reg.reg_cost) <= float(out.cost) + eps * np.log(n)
    g = jax.grad(lambda x: exact_transport(x, y).cost)(x)
    np.testing.assert_allclose(g, 2 * (x - y[out.assignment]) / n, rtol=1e-12, atol=1e-15)
    gy = jax.grad(
        lambda y: exact_transport(None, None, cost=jnp.sum((x[:, None] - y[None]) ** 2, -1)).cost
    )(y)
    np.testing.assert_allclose(
        gy, -2 * (x[jnp.argsort(out.assignment)] - y) / n, rtol=1e-12, atol=1e-15
    )


def test_vmap_equals_a_loop_and_float32_stays_float32():
    c = jax.random.uniform(jax.random.key(4), (5, 9, 9))
    batch = jax.vmap(lambda c: exact_transport(None, None, cost=c))(c)
    for k in range(5):
        one = exact_transport(None, None, cost=c[k])
        np.testing.assert_array_equal(batch.assignment[k], one.assignment)
        np.testing.assert_allclose(batch.cost[k], one.cost, rtol=1e-15)
    x = jax.random.normal(jax.random.key(5), (9, 3), jnp.float32)
    out = exact_transport(x, x + 1)
    assert out.cost.dtype == jnp.float32 and out.potentials[0].dtype == jnp.float32
    assert bool(out.optimal)
    np.testing.assert_allclose(out.cost, 3.0, rtol=4e-6)


def test_bad_input_raises_naming_the_argument():
    x = jnp.zeros((4, 2))
    with pytest.raises(ValueError, match="equal total mass"):
        exact_transport(x, x, a=jnp.ones(4) / 4, b=jnp.ones(4) / 2)
    with pytest.raises(ValueError, match="a must be nonnegative"):
        exact_transport(x, jnp.zeros((5, 2)), a=jnp.array([0.5, 0.5, 0.5, -0.5]))
    with pytest.raises(ValueError, match=r"b must have shape \(5,\)"):
        exact_transport(x, jnp.zeros((5, 2)), b=jnp.ones(4) / 4)
    with pytest.raises(ValueError, match="finite"):
        exact_transport(None, None, cost=np.full((3, 3), np.inf))
    with pytest.raises(ValueError, match="NaN or -inf"):
        exact_transport(None, None, cost=np.full((3, 3), np.nan))
    with pytest.raises(ValueError, match="shape"):
        exact_transport(x, jnp.zeros((4, 3)))


def _linprog(c, a, b):
    n, m = c.shape
    eq = np.zeros((n + m, n * m))
    for i in range(n):
        eq[i, i * m : (i + 1) * m] = 1
    for j in range(m):
        eq[n + j, j::m] = 1
    out = linprog(c.ravel(), A_eq=eq, b_eq=np.concatenate([a, b]), method="highs")
    assert out.status == 0
    return out.fun


_weighted = jax.jit(lambda c, a, b: exact_transport(None, None, cost=c, a=a, b=b))


@settings(max_examples=30)
@given(
    c=_cost_matrices(NW, MW, 1e3, 2),
    a=st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.7, 3.0]), min_size=NW, max_size=NW).filter(
        lambda v: sum(v) > 0
    ),
    b=st.lists(st.floats(0.1, 2.0), min_size=MW, max_size=MW),
)
def test_weighted_problems_match_linear_programming_and_certify(c, a, b):
    c = np.asarray(c, np.float64)
    a = np.asarray(a) / np.sum(a)
    b = np.asarray(b) / np.sum(b)
    out = _weighted(jnp.asarray(c), jnp.asarray(a), jnp.asarray(b))
    scale = max(np.max(np.abs(c)), 1e-300)
    np.testing.assert_allclose(out.cost, _linprog(c, a, b), rtol=0, atol=1e-12 * scale)
    plan = np.asarray(out.plan)
    assert np.all(plan >= 0)
    np.testing.assert_allclose(plan.sum(1), a, rtol=0, atol=1e-15)
    np.testing.assert_allclose(plan.sum(0), b, rtol=0, atol=1e-15)
    f, g = (np.asarray(v) for v in out.potentials)
    tol = 8 * (NW + MW) * np.finfo(np.float64).eps * scale
    assert np.all(f[:, None] + g[None, :] <= c + tol)
    slack = np.where(plan > 0, c - f[:, None] - g[None, :], 0)
    assert np.max(np.abs(slack)) <= tol
    assert bool(out.optimal) and out.assignment is None


@pytest.mark.parametrize("p", [1.0, 2.0, 3.0])
def test_weighted_on_the_line_equals_the_quantile_coupling(p):
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=NW), 2 * rng.normal(size=MW) + 1
    a = rng.uniform(0.2, 1.0, NW)
    a /= a.sum()
    b = rng.uniform(0.2, 1.0, MW)
    b /= b.sum()
    out = exact_transport(x, y, a=a, b=b, cost=costs.PNorm(p, p))
    want = float(wasserstein_1d(x, y, p=p, a=a, b=b)) ** p
    np.testing.assert_allclose(out.cost, want, rtol=1e-12)
    assert bool(out.optimal)


def test_unequal_sizes_duplicates_vmap_and_envelope_gradient():
    rng = np.random.default_rng(9)
    x = np.repeat(rng.normal(size=(3, 2)), 2, axis=0)  # duplicated points: ties everywhere
    y = rng.normal(size=(MW, 2))
    out = exact_transport(x, y)  # uniform weights 1/6 and 1/4
    c = np.sum((x[:, None] - y[None]) ** 2, -1)
    np.testing.assert_allclose(
        out.cost, _linprog(c, np.full(NW, 1 / NW), np.full(MW, 1 / MW)), rtol=1e-12
    )
    g = jax.grad(lambda x: exact_transport(x, y).cost)(jnp.asarray(x))
    plan = np.asarray(out.plan)
    np.testing.assert_allclose(g, 2 * (plan.sum(1)[:, None] * x - plan @ y), rtol=1e-12, atol=1e-15)
    cs = rng.uniform(size=(3, NW, MW))
    a = np.full(NW, 1 / NW)
    b = np.array([0.1, 0.2, 0.3, 0.4])
    batch = jax.vmap(lambda c: exact_transport(None, None, cost=c, a=a, b=b))(jnp.asarray(cs))
    for k in range(3):
        np.testing.assert_allclose(batch.cost[k], _linprog(cs[k], a, b), rtol=1e-12)
    assert bool(jnp.all(batch.optimal))


def test_non_finite_points_give_nan_not_a_hang():
    # a NaN cost is never settled by the searches: they used to loop forever
    x = np.random.default_rng(10).normal(size=(NW, 2))
    bad = x.copy()
    bad[0, 0] = np.nan
    for y, a in ((x, None), (x[:MW], None), (x, np.full(NW, 1 / NW))):
        out = exact_transport(bad, y, a=a)
        assert np.isnan(float(out.cost)) and not bool(out.optimal)
        assert np.all(np.isnan(np.asarray(out.plan)))
        if out.assignment is not None:
            assert np.all(np.asarray(out.assignment) == -1)
    inf = x.copy()
    inf[1] = np.inf
    assert np.isnan(float(exact_transport(inf, x).cost))
    with config.checks(True), pytest.raises(config.InvalidParameterError, match="finite"):
        exact_transport(bad, x)
