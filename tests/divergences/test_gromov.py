"""Entropic Gromov-Wasserstein and fused GW (square loss).

Oracles: an independent dense solver written here (the n^2 m^2 loss tensor L_ijkl =
(C1_ik - C2_jl)^2, its gradient sum_kl (L_ijkl + L_klij) P_kl, and log-domain Sinkhorn to 1e-14;
Peyre et al. 2016, Prop. 2 iteration) on symmetric and asymmetric costs; the stationarity (KKT)
conditions of the entropic objective at the returned plan, eps log(P / a b^T) + grad E(P) =
f + g; invariance under isometries of either space (rotations, reflections, translations);
GW(x, y) = GW(y, x)^T; for a cloud against its rotation, E(P) + eps KL(P | a b^T) at most the
objective of the isometric coupling (0 + eps log n); fused GW at alpha = 0 is entropic
transport with the feature cost and at alpha = 1 is GW; envelope gradients against central
differences of the solved objective; float32 kept; vmap equals a loop; bad input.
"""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gmath.divergences import costs, fused_gromov_wasserstein, gromov_wasserstein, sinkhorn


def _sqdist(x, y=None):
    x = np.asarray(x, np.float64)
    y = x if y is None else np.asarray(y, np.float64)
    return np.sum((x[:, None] - y[None]) ** 2, -1)


def _log_sinkhorn(c, a, b, eps, iters=20_000):
    """Plain log-domain Sinkhorn in numpy, to a marginal error of 1e-14."""
    f, g = np.zeros(len(a)), np.zeros(len(b))
    la, lb = np.log(a), np.log(b)

    def lse(z, axis):
        mx = np.max(z, axis=axis, keepdims=True)
        return np.squeeze(mx, axis) + np.log(np.sum(np.exp(z - mx), axis=axis))

    for _ in range(iters):
        f = -eps * lse((g[None, :] - c) / eps + lb[None, :], 1)
        g = -eps * lse((f[:, None] - c) / eps + la[:, None], 0)
        p = np.exp((f[:, None] + g[None, :] - c) / eps + la[:, None] + lb[None, :])
        if np.abs(p.sum(1) - a).sum() < 1e-14:
            break
    return p


def _dense_gw(c1, c2, a, b, eps, outer=3000, linear=None, alpha=1.0):
    """Entropic (fused) GW by the 4-tensor: the reference the decomposition must reproduce."""
    lt = (c1[:, None, :, None] - c2[None, :, None, :]) ** 2  # [i, j, k, l]
    p = np.outer(a, b)
    for _ in range(outer):
        grad = np.einsum("ijkl,kl->ij", lt, p) + np.einsum("klij,kl->ij", lt, p)
        if linear is not None:
            grad = (1 - alpha) * linear + alpha * grad
        new = _log_sinkhorn(grad, a, b, eps)
        done = np.abs(new - p).sum() < 1e-13
        p = new
        if done:
            break
    gw = np.einsum("ijkl,ij,kl->", lt, p, p)
    value = gw if linear is None else (1 - alpha) * np.sum(linear * p) + alpha * gw
    return p, value, lt


def _kl(p, a, b):
    return np.sum(p * np.log(p / np.outer(a, b))) - p.sum() + a.sum() * b.sum()


def _kkt_residual(out, lt, a, b, eps, linear=None, alpha=1.0):
    """max |eps log(P / a b^T) + grad E(P) - f_i - g_j| relative to max |grad E|."""
    p = np.asarray(out.plan, np.float64)
    grad = np.einsum("ijkl,kl->ij", lt, p) + np.einsum("klij,kl->ij", lt, p)
    if linear is not None:
        grad = (1 - alpha) * linear + alpha * grad
    f, g = (np.asarray(v, np.float64) for v in out.potentials)
    r = eps * np.log(p / np.outer(a, b)) + grad - f[:, None] - g[None, :]
    return np.max(np.abs(r)) / np.max(np.abs(grad))


TIGHT = dict(tolerance=1e-12, max_iterations=3000, sinkhorn_iterations=500)
N, M = 6, 5  # one shape for most tests: the compiled solvers are shared between them


def _clouds(seed):
    rng = np.random.default_rng(seed)
    return rng, rng.normal(size=(N, 2)), rng.normal(size=(M, 3)) * [1.0, 2.0, 0.5]


def test_matches_the_dense_four_tensor_solver_on_points_and_matrices():
    rng, x, y = _clouds(0)
    a = rng.uniform(0.5, 1.5, N)
    a /= a.sum()
    b = rng.uniform(0.5, 1.5, M)
    b /= b.sum()
    c1, c2 = _sqdist(x), _sqdist(y)
    eps = 0.5
    want, value, lt = _dense_gw(c1, c2, a, b, eps)
    out = gromov_wasserstein(x, y, a=a, b=b, epsilon=eps, **TIGHT)
    assert bool(out.converged)
    np.testing.assert_allclose(out.plan, want, rtol=0, atol=1e-11)
    np.testing.assert_allclose(out.cost, value, rtol=1e-10)
    want_reg = value + eps * _kl(want, a, b)
    np.testing.assert_allclose(out.reg_cost, want_reg, rtol=1e-10)
    assert _kkt_residual(out, lt, a, b, eps) < 1e-10
    by_matrix = gromov_wasserstein(None, None, cost_x=c1, cost_y=c2, a=a, b=b, epsilon=eps, **TIGHT)
    np.testing.assert_allclose(by_matrix.plan, out.plan, rtol=0, atol=1e-12)
    np.testing.assert_allclose(by_matrix.cost, out.cost, rtol=1e-12)


def _directed(p, q):
    return jnp.exp(p[0] - q[0]) + (p[1] - q[1]) ** 2


def test_asymmetric_costs_and_non_euclidean_costs():
    rng = np.random.default_rng(1)
    c1 = rng.uniform(0, 2, (6, 6))  # a directed graph's costs
    c2 = rng.uniform(0, 2, (5, 5))
    a, b = np.full(6, 1 / 6), np.full(5, 1 / 5)
    want, value, lt = _dense_gw(c1, c2, a, b, 0.2)
    out = gromov_wasserstein(None, None, cost_x=c1, cost_y=c2, epsilon=0.2, **TIGHT)
    assert bool(out.converged)
    np.testing.assert_allclose(out.plan, want, rtol=0, atol=1e-11)
    np.testing.assert_allclose(out.cost, value, rtol=1e-10)
    assert _kkt_residual(out, lt, a, b, 0.2) < 1e-10
    # an asymmetric cost of one pair is the matrix of its values
    pts = rng.normal(size=(6, 2))
    directed = costs.PairCost(_directed)
    by_fn = gromov_wasserstein(pts, None, cost_x=directed, cost_y=c2, epsilon=0.2, **TIGHT)
    c_fn = np.asarray(jax.vmap(lambda p: jax.vmap(lambda q: _directed(p, q))(pts))(pts))
    by_matrix = gromov_wasserstein(None, None, cost_x=c_fn, cost_y=c2, epsilon=0.2, **TIGHT)
    # the same fixed point, each solve within its L1 tolerance (1e-12) of it
    np.testing.assert_allclose(by_fn.plan, by_matrix.plan, rtol=0, atol=2e-12)
    # a materialised cost (Euclidean, not squared) and an embedded one (cosine)
    x, y = rng.normal(size=(N, 2)), rng.normal(size=(M, 3)) + 3
    for cost, fn in (
        ("euclidean", lambda z: np.sqrt(_sqdist(z))),
        ("cosine", lambda z: 1 - (z @ z.T) / np.outer(*[np.linalg.norm(z, axis=1)] * 2)),
    ):
        want, value, _ = _dense_gw(fn(x), fn(y), a, b, 0.05)
        out = gromov_wasserstein(x, y, cost_x=cost, cost_y=cost, epsilon=0.05, **TIGHT)
        np.testing.assert_allclose(out.plan, want, rtol=0, atol=1e-10)
        np.testing.assert_allclose(out.cost, value, rtol=1e-9)


_ISO = jax.jit(lambda x, y: gromov_wasserstein(x, y, relative_epsilon=0.05, tolerance=1e-10))


@settings(max_examples=10)
@given(
    angle=st.floats(0, 2 * np.pi),
    reflect=st.booleans(),
    shift=st.tuples(*[st.floats(-1e3, 1e3)] * 2),
)
def test_invariant_under_isometries_of_either_space(angle, reflect, shift):
    _, x, y = _clouds(2)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    if reflect:
        rot = rot @ np.diag([1.0, -1.0])
    rot3 = np.eye(3)
    rot3[1:, 1:] = rot  # a rotation (or reflection) of y's space about its first axis
    base = _ISO(x, y)
    for xx, yy in ((x @ rot.T + shift, y), (x, y @ rot3.T + (0.0, *shift))):
        moved = _ISO(xx, yy)
        # the costs within each space change only by the rounding of the moved points
        scale = 1e-12 * (1 + np.max(np.abs(shift))) ** 2
        np.testing.assert_allclose(moved.plan, base.plan, rtol=0, atol=scale)
        np.testing.assert_allclose(moved.cost, base.cost, rtol=scale)


def test_symmetric_in_its_arguments():
    _, x, y = _clouds(3)
    xy = gromov_wasserstein(x, y, epsilon=2.0, **TIGHT)
    yx = gromov_wasserstein(y, x, epsilon=2.0, **TIGHT)
    assert bool(xy.converged) and bool(yx.converged)
    np.testing.assert_allclose(yx.plan, xy.plan.T, rtol=0, atol=1e-12)
    np.testing.assert_allclose(yx.cost, xy.cost, rtol=1e-10)


def test_a_cloud_against_its_rotation_does_as_well_as_the_isometry():
    # GW(x, R x + t) = 0, attained by the coupling of the isometry, whose entropic objective is
    # 0 + eps KL(I / n | a b^T) = eps log n: the solver's objective must not exceed it
    n = 30
    x = np.random.default_rng(4).normal(size=(n, 2)) * [1.0, 3.0]
    rot = np.array([[0.6, -0.8], [0.8, 0.6]])
    a = np.full(n, 1 / n)
    c = _sqdist(x)
    eps = 0.02 * 2 * np.mean((c[:, None, :, None] - c[None, :, None, :]) ** 2)  # 2 E(a b^T)
    out = gromov_wasserstein(x, x @ rot.T + 7.0, epsilon=eps, max_iterations=3000)
    assert bool(out.converged)
    p = np.asarray(out.plan)
    assert 0 <= float(out.cost) + eps * _kl(p, a, a) <= eps * np.log(n)


def test_fused_limits():
    rng, x, y = _clouds(5)
    u, v = rng.normal(size=(N, 3)), rng.normal(size=(M, 3))
    a, b = np.full(N, 1 / N), np.full(M, 1 / M)
    m = _sqdist(u, v)
    ot = sinkhorn(u, v, epsilon=0.3, tolerance=1e-13, max_iterations=10_000, return_plan=True)
    f0 = fused_gromov_wasserstein(x, y, u, v, alpha=0.0, epsilon=0.3, **TIGHT)
    np.testing.assert_allclose(f0.plan, ot.plan, rtol=0, atol=1e-11)
    np.testing.assert_allclose(f0.cost, ot.transport_cost, rtol=1e-10)
    f1 = fused_gromov_wasserstein(x, y, u, v, alpha=1.0, epsilon=0.3, **TIGHT)
    gw = gromov_wasserstein(x, y, epsilon=0.3, **TIGHT)
    np.testing.assert_allclose(f1.plan, gw.plan, rtol=0, atol=1e-12)
    want, value, lt = _dense_gw(_sqdist(x), _sqdist(y), a, b, 0.3, linear=m, alpha=0.4)
    half = fused_gromov_wasserstein(None, None, cost=m, cost_x=_sqdist(x), cost_y=_sqdist(y),
                                    alpha=0.4, epsilon=0.3, **TIGHT)  # fmt: skip
    np.testing.assert_allclose(half.plan, want, rtol=0, atol=1e-11)
    np.testing.assert_allclose(half.cost, value, rtol=1e-10)
    assert _kkt_residual(half, lt, a, b, 0.3, linear=m, alpha=0.4) < 1e-10


def test_envelope_gradients_match_central_differences():
    rng, x, y = _clouds(6)
    a = rng.uniform(0.5, 1.5, N)
    a /= a.sum()
    b = np.full(M, 1 / M)

    def reg(x, a, b):
        return gromov_wasserstein(x, y, a=a, b=b, epsilon=0.5, **TIGHT).reg_cost

    gx, ga = jax.grad(reg, argnums=(0, 1))(jnp.asarray(x), jnp.asarray(a), jnp.asarray(b))
    h = 1e-5
    for direction, grad, arg in (
        (rng.normal(size=x.shape), gx, 0),
        # weights move on the simplex: a zero-sum direction
        (np.array([1.0, -1.0, 0.5, -0.5, 0.25, -0.25]), ga, 1),
    ):
        args = [x, a, b]
        hi = [v.copy() for v in args]
        lo = [v.copy() for v in args]
        hi[arg] = hi[arg] + h * direction
        lo[arg] = lo[arg] - h * direction
        fd = (float(reg(*hi)) - float(reg(*lo))) / (2 * h)
        np.testing.assert_allclose(np.sum(np.asarray(grad) * direction), fd, rtol=1e-6)
    # the cost's gradient holds the plan fixed: sum_ijkl d(C1_ik - C2_jl)^2 P_ij P_kl
    out = gromov_wasserstein(x, y, a=a, b=b, epsilon=0.5, **TIGHT)
    p = np.asarray(out.plan)
    c1, c2 = _sqdist(x), _sqdist(y)
    d = c1[:, None, :, None] - c2[None, :, None, :]
    w = np.einsum("ijkl,ij,kl->ik", d, p, p)  # dE/dC1_ik = 2 w_ik, and w is symmetric
    # x_i enters C1_ik and C1_ki, each with derivative 2 (x_i - x_k)
    want = 8 * np.einsum("ik,ikd->id", w, x[:, None] - x[None])
    gcost = jax.grad(lambda x: gromov_wasserstein(x, y, a=a, b=b, epsilon=0.5, **TIGHT).cost)(x)
    np.testing.assert_allclose(gcost, want, rtol=1e-9, atol=1e-12)


def test_float32_vmap_and_jit():
    rng = np.random.default_rng(7)
    x = jnp.asarray(rng.normal(size=(3, 10, 2)), jnp.float32)
    y = jnp.asarray(rng.normal(size=(3, 8, 2)), jnp.float32)
    batch = jax.vmap(lambda x, y: gromov_wasserstein(x, y, relative_epsilon=0.1))(x, y)
    assert batch.plan.dtype == jnp.float32 and batch.cost.dtype == jnp.float32
    for k in range(3):
        one = gromov_wasserstein(x[k], y[k], relative_epsilon=0.1)
        assert bool(one.converged)
        np.testing.assert_allclose(batch.plan[k], one.plan, rtol=0, atol=1e-6)
        ref = gromov_wasserstein(
            np.asarray(x[k], np.float64), np.asarray(y[k], np.float64), relative_epsilon=0.1
        )
        # float32 against float64: the plan to the float32 tolerance (1e-4 in L1)
        assert np.sum(np.abs(np.asarray(one.plan, np.float64) - np.asarray(ref.plan))) < 1e-3
        np.testing.assert_allclose(one.cost, ref.cost, rtol=1e-4)


def test_bad_input_raises_naming_the_argument():
    x = jnp.zeros((4, 2))
    with pytest.raises(ValueError, match="cost_x must be a square"):
        gromov_wasserstein(None, x, cost_x=np.ones((3, 4)))
    with pytest.raises(ValueError, match="x must be None"):
        gromov_wasserstein(x, x, cost_x=np.ones((4, 4)))
    with pytest.raises(ValueError, match="NaN"):
        gromov_wasserstein(None, x, cost_x=np.full((4, 4), np.nan))
    with pytest.raises(ValueError, match="finite"):
        gromov_wasserstein(None, x, cost_x=np.full((4, 4), np.inf))
    with pytest.raises(ValueError, match="equal total mass"):
        gromov_wasserstein(x, x, a=jnp.ones(4) / 4, b=jnp.ones(4) / 2)
    with pytest.raises(ValueError, match="must be nonnegative"):
        gromov_wasserstein(x, x, a=jnp.array([0.5, 0.5, 0.5, -0.5]))
    with pytest.raises(ValueError, match="alpha"):
        fused_gromov_wasserstein(x, x, x, x, alpha=1.5)
    with pytest.raises(ValueError, match="one row per point"):
        fused_gromov_wasserstein(x, x, jnp.zeros((3, 2)), x)
    with pytest.raises(ValueError, match=r"shape \(4, 4\)"):
        fused_gromov_wasserstein(x, x, cost=np.ones((4, 5)))
    with pytest.raises(ValueError, match="init"):
        gromov_wasserstein(x, x, init=jnp.ones((3, 3)))
