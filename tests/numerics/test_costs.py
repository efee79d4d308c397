"""Ground costs of the pairwise geometry, and Sinkhorn with each of them.

Oracles: scipy's ``cdist`` in float64 for every cost's matrix (Minkowski, Chebyshev, cosine,
Mahalanobis); zero (minimal-norm) gradients at coincident points; the tiled path equals the
materialised one, values and gradients; for uniform weights the entropic cost is sandwiched,
OT_0 <= OT_eps <= OT_0 + eps log n, with OT_0 the exact optimum over the n! permutations
(Birkhoff: the assignment polytope's vertices are permutations) and eps log n the entropy of a
permutation plan relative to a (x) b; a precomputed matrix and the matching cost function give
the same solution, and the chain rule through the matrix gives the gradient in the points; the
Mahalanobis cost is the squared Euclidean cost of the points mapped by the Cholesky factor; the
cosine cost is invariant under positive rescaling of each point; bad input.
"""

import itertools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.spatial.distance as ssd
from hypothesis import given, settings
from hypothesis import strategies as st

import gmath.testing as gt
from gmath import config
from gmath._numerics._geometry import point_cloud
from gmath.divergences import costs, sinkhorn, sinkhorn_divergence, sinkhorn_divergence_result

_M = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, -0.3], [0.0, -0.3, 0.7]])


def _log1p_sq(u, v):
    return jnp.log1p(jnp.sum((u - v) ** 2))


_LOG1P_SQ = costs.PairCost(_log1p_sq, symmetric=True)


def _scaled_cdist(x, y, metric, **kw):
    """scipy's p-norm distances, each pair scaled by a power of two (exact) that brings its
    largest coordinate difference near 1: |u|^p neither underflows nor overflows in scipy."""
    out = np.zeros((len(x), len(y)))
    for i, j in np.ndindex(out.shape):
        top = np.max(np.abs(x[i] - y[j]))
        s = 2.0 ** -np.floor(np.log2(top)) if top > 0 else 1.0
        out[i, j] = ssd.cdist(x[i : i + 1] * s, y[j : j + 1] * s, metric, **kw)[0, 0] / s
    return out


# name: (cost record, float64 oracle of the [n, m] matrix)
COSTS = {
    "sqeuclidean": (costs.SquaredEuclidean(), lambda x, y: ssd.cdist(x, y, "sqeuclidean")),
    "euclidean": (costs.Euclidean(), lambda x, y: ssd.cdist(x, y)),
    "l1": (costs.PNorm(1.0, 1.0), lambda x, y: _scaled_cdist(x, y, "cityblock")),
    "p3_q1.5": (costs.PNorm(3.0, 1.5), lambda x, y: _scaled_cdist(x, y, "minkowski", p=3) ** 1.5),
    "p2_q0.5": (costs.PNorm(2.0, 0.5), lambda x, y: ssd.cdist(x, y) ** 0.5),
    "p2_q2": (costs.PNorm(2.0, 2.0), lambda x, y: ssd.cdist(x, y, "sqeuclidean")),
    "pinf_q2": (costs.PNorm(np.inf, 2.0), lambda x, y: ssd.cdist(x, y, "chebyshev") ** 2),
    "p40_q1": (costs.PNorm(40.0, 1.0), lambda x, y: _scaled_cdist(x, y, "minkowski", p=40)),
    "mahalanobis": (
        costs.Mahalanobis(jnp.asarray(_M)),
        lambda x, y: ssd.cdist(x, y, "mahalanobis", VI=_M) ** 2,
    ),
    "cosine": (costs.Cosine(), lambda x, y: ssd.cdist(x, y, "cosine")),
    "pair": (_LOG1P_SQ, lambda x, y: np.log1p(ssd.cdist(x, y, "sqeuclidean"))),
}
_NAMES = list(COSTS)


@jax.jit
def _matrix(cost, x, y):
    return point_cloud(x, y, cost=cost).cost_matrix()


def _points(draw_scale):
    return gt.finite_arrays(shape=(6, 3), min_value=-draw_scale, max_value=draw_scale)


@pytest.mark.parametrize("name", _NAMES)
@settings(max_examples=15)
@given(x=_points(1e3), y=_points(1e3), shift=st.floats(-1e4, 1e4))
def test_cost_matrix_matches_scipy(name, x, y, shift):
    cost, oracle = COSTS[name]
    x, y = np.asarray(x) + shift, np.asarray(y) - shift
    if name == "cosine":  # the cosine of a zero vector is undefined (NaN, tested below)
        x = np.where(np.linalg.norm(x, axis=1, keepdims=True) > 1e-3, x, 1.0)
        y = np.where(np.linalg.norm(y, axis=1, keepdims=True) > 1e-3, y, 1.0)
    got = np.asarray(_matrix(cost, jnp.asarray(x), jnp.asarray(y)))
    want = oracle(x, y)
    # the matmul forms (squared Euclidean and the costs that embed into it) cancel to within
    # u * (spread of the centred clouds)^2; the direct forms are accurate entrywise
    spread = np.max(np.abs(np.concatenate([x, y]) - 0.5 * (x.mean(0) + y.mean(0)))) ** 2
    matmul_form = name in ("sqeuclidean", "p2_q2", "mahalanobis")
    atol = 1e-13 * spread * (np.linalg.norm(_M, 2) if name == "mahalanobis" else 1)
    atol = atol if matmul_form else (2e-15 if name == "cosine" else 0)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=atol)
    assert got.dtype == np.float64


@pytest.mark.parametrize("name", ["euclidean", "l1", "p3_q1.5", "p2_q0.5", "pinf_q2", "p40_q1"])
def test_norm_costs_have_zero_gradients_at_coincident_coordinates(name):
    cost, _ = COSTS[name]
    y = jnp.array([[0.5, -1.0, 2.0], [0.5, 3.0, 2.0]])  # row 1: coincident with x; row 2: 1 of 3
    x = jnp.array([[0.5, -1.0, 2.0]])
    g = jax.grad(lambda x: _matrix(cost, x, y)[0, 0])(x)
    np.testing.assert_array_equal(np.asarray(g), 0.0)
    g2 = np.asarray(jax.grad(lambda x: _matrix(cost, x, y)[0, 1])(x))
    assert np.all(np.isfinite(g2))
    if name not in ("pinf_q2",):  # the l_inf ball's subgradient lives on the largest coordinate
        assert g2[0, 0] == 0.0 and g2[0, 2] == 0.0  # coincident coordinates move nothing


def test_cosine_is_scale_invariant_and_nan_at_zero():
    x = jax.random.normal(jax.random.key(1), (5, 3))
    y = jax.random.normal(jax.random.key(2), (4, 3))
    s = jnp.array([1e-30, 0.5, 3.0, 1e30, 2.0])[:, None]
    cost = costs.Cosine()
    np.testing.assert_allclose(_matrix(cost, s * x, y), _matrix(cost, x, y), rtol=1e-14, atol=0)
    assert np.all(np.isnan(_matrix(cost, x.at[2].set(0.0), y)[2]))


# ------------------------------------------------------------------------ Sinkhorn with costs
_TIGHT = dict(tolerance=1e-10, max_iterations=20_000)
_SOLVE = dict(max_iterations=50_000)  # the default tolerance (1e-6 in float64)
_SANDWICH = ["euclidean", "l1", "p3_q1.5", "mahalanobis", "cosine", "pair"]


@jax.jit
def _regs(cost, x, y, eps):
    out = jax.vmap(lambda e: sinkhorn(x, y, epsilon=e, cost=cost, **_SOLVE))(eps)
    return out.reg_cost, out.transport_cost, out.converged, out.marginal_error


def _exact(c):
    n = c.shape[0]
    return min(np.mean(c[np.arange(n), list(p)]) for p in itertools.permutations(range(n)))


@pytest.mark.parametrize("name", _SANDWICH)
def test_entropic_cost_is_sandwiched_by_the_exact_assignment(name):
    cost, oracle = COSTS[name]
    n = 6
    x = np.asarray(jax.random.normal(jax.random.key(3), (n, 3)))
    y = np.asarray(jax.random.normal(jax.random.key(4), (n, 3))) + 0.5
    c = oracle(x, y)
    exact = _exact(c)
    eps = np.array([1.0, 0.1, 0.01]) * np.mean(c)
    reg, transport, converged, err = (np.asarray(v) for v in _regs(cost, x, y, jnp.asarray(eps)))
    assert converged.all(), (converged, err)
    # the dual value of an iterate whose marginals are off by err in L1 is off by <= err max C
    slack = np.max(err) * np.max(c) + 1e-13
    assert np.all(reg >= exact - slack), (reg, exact)
    assert np.all(reg <= exact + eps * np.log(n) + slack), (reg - exact, eps * np.log(n))
    assert np.all(transport >= exact - slack)
    assert np.all(np.diff(reg) <= slack)  # OT_eps decreases towards OT_0 as eps -> 0
    assert reg[-1] - exact <= 0.01 * np.log(n) * np.mean(c) + slack


def test_cost_matrix_and_cost_function_give_the_same_solution_and_gradients():
    x = jax.random.normal(jax.random.key(5), (7, 2))
    y = jax.random.normal(jax.random.key(6), (9, 2))
    c = _matrix(_LOG1P_SQ, x, y)
    a = jnp.linspace(1.0, 2.0, 7) / jnp.sum(jnp.linspace(1.0, 2.0, 7))
    kw = dict(epsilon=0.1, a=a, return_plan=True, **_TIGHT)
    by_fn = sinkhorn(x, y, cost=_LOG1P_SQ.fn, **kw)
    by_matrix = sinkhorn(None, None, cost=c, **kw)
    np.testing.assert_allclose(by_matrix.reg_cost, by_fn.reg_cost, rtol=1e-13)
    np.testing.assert_allclose(by_matrix.plan, by_fn.plan, rtol=1e-9, atol=1e-15)
    gap = by_matrix.potentials[0][0] - by_fn.potentials[0][0]  # potentials up to a constant
    np.testing.assert_allclose(by_matrix.potentials[0] - gap, by_fn.potentials[0], atol=1e-10)
    # chain rule: d reg / d x = (d reg / d C) . (d C / d x)
    g_x = jax.grad(lambda x: sinkhorn(x, y, cost=_LOG1P_SQ.fn, **kw).reg_cost)(x)
    g_c = jax.grad(lambda c: sinkhorn(None, None, cost=c, **kw).reg_cost)(c)
    _, vjp = jax.vjp(lambda x: _matrix(_LOG1P_SQ, x, y), x)
    np.testing.assert_allclose(vjp(g_c)[0], g_x, rtol=1e-8, atol=1e-12)
    np.testing.assert_allclose(g_c, by_fn.plan, rtol=1e-9, atol=1e-15)  # envelope: dOT/dC = P


# one direct-difference cost through the tiled engine (every cost shares the engine; the values
# of each cost's blocks are the matrix test's)
@pytest.mark.parametrize("name", ["pair"])
def test_tiled_equals_materialised_with_a_cost(name):
    cost, _ = COSTS[name]
    x = jax.random.normal(jax.random.key(7), (21, 3))
    y = jax.random.normal(jax.random.key(8), (19, 3)) + 1.0

    def reg(x, materialize):
        kw = dict(epsilon=0.2, cost=cost, materialize=materialize, block_size=8, **_TIGHT)
        return sinkhorn(x, y, **kw).reg_cost

    v_m, g_m = jax.value_and_grad(reg)(x, True)
    v_t, g_t = jax.value_and_grad(reg)(x, False)
    np.testing.assert_allclose(v_t, v_m, rtol=1e-12)
    np.testing.assert_allclose(g_t, g_m, rtol=1e-9, atol=1e-12)


def test_mahalanobis_is_squared_euclidean_of_the_mapped_points():
    x = jax.random.normal(jax.random.key(9), (8, 3))
    y = jax.random.normal(jax.random.key(10), (6, 3))
    factor = np.linalg.cholesky(_M)
    got = sinkhorn(x, y, epsilon=0.3, cost=costs.Mahalanobis(jnp.asarray(_M)), **_TIGHT)
    want = sinkhorn(x @ factor, y @ factor, epsilon=0.3, **_TIGHT)
    np.testing.assert_allclose(got.reg_cost, want.reg_cost, rtol=1e-12)
    bad = sinkhorn(x, y, epsilon=0.3, cost=costs.Mahalanobis(-jnp.asarray(_M)))
    assert np.isnan(bad.reg_cost)


def test_divergence_with_costs_vanishes_on_equal_inputs_and_needs_a_symmetric_cost():
    x = jax.random.normal(jax.random.key(11), (9, 2))
    y = jax.random.normal(jax.random.key(12), (7, 2)) + 0.3
    kw = dict(epsilon=0.05, **_SOLVE)
    assert sinkhorn_divergence(x, y, cost=_LOG1P_SQ, **kw) > 0
    same = sinkhorn_divergence_result(x, x, cost="euclidean", **kw)
    assert bool(same.converged)
    # each dual value is off by at most its marginal error times max C (< 5 here)
    assert abs(float(same.value)) <= 5 * float(jnp.sum(same.marginal_error))
    with pytest.raises(ValueError, match="symmetric cost"):
        sinkhorn_divergence(x, y, cost=_log1p_sq, **kw)


def test_float32_stays_float32_with_a_cost():
    x = jax.random.normal(jax.random.key(13), (10, 2), jnp.float32)
    out = sinkhorn(x, x + 1, epsilon=0.1, cost="euclidean")
    assert out.reg_cost.dtype == jnp.float32 and out.potentials[0].dtype == jnp.float32
    assert bool(out.converged)
    c = sinkhorn(None, None, epsilon=0.1, cost=np.ones((3, 4), np.float32))
    assert c.reg_cost.dtype == jnp.float32


def test_bad_costs_raise_naming_the_argument():
    x = jnp.zeros((3, 2))
    c = np.ones((3, 4))
    with pytest.raises(ValueError, match=r"cost matrix has NaN.*\[0, 1\]"):
        sinkhorn(None, None, epsilon=0.1, cost=np.where(np.eye(3, 4, 1) > 0, np.nan, c))
    with pytest.raises(ValueError, match="NaN or -inf"):
        sinkhorn(None, None, epsilon=0.1, cost=np.full((3, 4), -np.inf))
    with pytest.raises(ValueError, match="x and y must be None"):
        sinkhorn(x, None, epsilon=0.1, cost=c)
    with pytest.raises(ValueError, match=r"\ba\b.*3|3.*\ba\b"):
        sinkhorn(None, None, epsilon=0.1, cost=c, a=jnp.ones(4) / 4)
    with pytest.raises(ValueError, match=r"\[n, m\] matrix"):
        sinkhorn(None, None, epsilon=0.1, cost=np.ones(3))
    with pytest.raises(ValueError, match="cost must be one of"):
        sinkhorn(x, x, epsilon=0.1, cost="manhattan")
    with pytest.raises(TypeError, match="cost must be"):
        sinkhorn(x, x, epsilon=0.1, cost=3)
    with pytest.raises(ValueError, match="p must be >= 1"):
        costs.PNorm(0.5, 1.0)
    with pytest.raises(ValueError, match="q must be > 0"):
        costs.PNorm(2.0, 0.0)
    with pytest.raises(ValueError, match="precomputed cost matrix is not accepted"):
        sinkhorn_divergence(None, None, epsilon=0.1, cost=c)
    with pytest.raises(ValueError, match=r"precision must be a \[2, 2\]"):
        sinkhorn(x, x, epsilon=0.1, cost=costs.Mahalanobis(jnp.eye(3)))


def test_traced_nan_cost_matrix_raises_in_checks_mode():
    c = jnp.ones((3, 4)).at[0, 1].set(jnp.nan)
    assert np.isnan(jax.jit(lambda c: sinkhorn(None, None, epsilon=0.1, cost=c).reg_cost)(c))
    with config.checks(True):
        run = jax.jit(lambda c: sinkhorn(None, None, epsilon=0.1, cost=c).reg_cost)
        # under a user's jit the check's error reaches the caller wrapped by XLA's runtime
        with pytest.raises(Exception, match="cost matrix has NaN or -inf"):
            jax.block_until_ready(run(c))
