"""The one pairwise geometry (gmath._numerics._geometry).

Checks: every reduction of a PointCloud against a direct float64 numpy computation of the dense
cost matrix (squared Euclidean, Euclidean in low and high dimension, a kernel), on the three
paths of the materialise-or-tile policy (tiled with padded blocks, materialised, materialised and
kept for reuse), in float64 and float32 (float32 stays float32); gradients of the tiled path equal
the materialised path's and the analytic gradient of a row log-sum-exp; the derived clouds
(transpose, within, pooled, rescaled) share one centring shift; the policy's rules; and a source
scan: no module of gmath other than the pairwise engine and the geometry writes the pairwise
distance formula, the centring shift or the materialisation threshold.
"""

import pathlib
import re

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.special import logsumexp as np_logsumexp

from gmath._numerics import _geometry
from gmath._numerics._geometry import (
    Euclidean,
    KernelCost,
    SquaredEuclidean,
    centring_shift,
    materialises,
    point_cloud,
)
from gmath._numerics._pairwise import MATERIALIZE_MAX_ELEMENTS
from gmath.divergences import kernels

# path name -> point_cloud policy options
_PATHS = {
    "tiled": dict(materialize=False, block_size=8),
    "materialised": dict(materialize=True),
    "kept": dict(materialize=True, reuse=True),
}
_EPS = 0.7
_TOL = {"float64": dict(rtol=1e-11, atol=1e-12), "float32": dict(rtol=2e-5, atol=2e-5)}


def _data(n=37, m=23, d=3, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)) + 3.0  # off the origin: the centring shift matters
    y = 0.8 * rng.normal(size=(m, d)) + 2.5
    f = rng.normal(size=n)
    g = rng.normal(size=m)
    a = rng.uniform(0.5, 1.5, size=n)
    b = rng.uniform(0.5, 1.5, size=m)
    return x, y, f, g, a / a.sum(), b / b.sum()


def _dense64(x, y):
    x, y = np.asarray(x, np.float64), np.asarray(y, np.float64)
    return np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)


def _oracle(x, y, f, g, a, b, eps):
    c = _dense64(x, y)
    la, lb = np.log(a), np.log(b)
    p = np.exp((f[:, None] + g[None, :] - c) / eps + la[:, None] + lb[None, :])
    return {
        "cost_matrix": c,
        "row_lse": np_logsumexp((g[None, :] - c) / eps, axis=1),
        "col_lse": np_logsumexp((f[:, None] - c) / eps, axis=0),
        "row_gibbs": np.sum(np.exp((f[:, None] + g[None, :] - c) / eps + lb[None, :]), axis=1),
        "col_gibbs": np.sum(np.exp((f[:, None] + g[None, :] - c) / eps + la[:, None]), axis=0),
        "plan_rows": p.sum(1),
        "plan_cols": p.sum(0),
        "plan_cost": np.sum(p * c),
        "plan": p,
        "apply": c @ b,
        "row_sum": np.sum(np.exp(-c)[:, :, None] * np.stack([b, b * b], -1)[None], axis=1),
        "mean_cost": a @ c @ b,
    }


def _stacked_block(params, c, xs, ys):
    (_,), (_, w) = xs, ys
    k = jnp.exp(-c * params)
    return jnp.stack([k * w[None, :], k * (w * w)[None, :]], axis=-1)


def _reductions(path):
    opts = _PATHS[path]

    @jax.jit
    def run(x, y, f, g, a, b):
        geom = point_cloud(x, y, **opts)
        la, lb = jnp.log(a), jnp.log(b)
        rows, cols, cost, _ = geom.transport_sums(f, g, la, lb, _EPS)
        return {
            "cost_matrix": geom.cost_matrix(),
            "row_lse": geom.row_logsumexp(g, _EPS),
            "col_lse": geom.col_logsumexp(f, _EPS),
            "row_gibbs": geom.row_gibbs_sum(f, g, lb, _EPS),
            "col_gibbs": geom.col_gibbs_sum(g, f, la, _EPS),
            "plan_rows": rows,
            "plan_cols": cols,
            "plan_cost": cost,
            "plan": geom.transport_plan(f, g, la, lb, _EPS),
            "apply": geom.apply(b),
            "row_sum": geom.row_sum(_stacked_block, jnp.ones((), x.dtype), (), (b,)),
            "mean_cost": geom.mean_cost(a, b),
        }

    return run


_RUN = {path: _reductions(path) for path in _PATHS}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("path", list(_PATHS))
def test_reductions_match_dense_float64(path, dtype):
    x, y, f, g, a, b = _data()
    args = [jnp.asarray(v, dtype) for v in (x, y, f, g, a, b)]
    out = _RUN[path](*args)
    want = _oracle(x, y, f, g, a, b, _EPS)
    for name, value in out.items():
        assert value.dtype == jnp.dtype(dtype), name
        np.testing.assert_allclose(np.asarray(value, np.float64), want[name], err_msg=name,
                                   **_TOL[dtype])  # fmt: skip


def test_policy_paths_are_the_ones_asked_for():
    x, y, *_ = _data()
    x, y = jnp.asarray(x), jnp.asarray(y)
    tiled = point_cloud(x, y, **_PATHS["tiled"])
    kept = point_cloud(x, y, **_PATHS["kept"])
    assert not tiled.materialised and tiled.matrix is None
    assert kept.materialised and kept.matrix is not None and kept.matrix_t.shape == (23, 37)
    # the default: small single-pass clouds materialise, reused ones keep their matrix
    assert point_cloud(x, y).materialised and point_cloud(x, y).matrix is None
    assert point_cloud(x, y, reuse=True).matrix is not None


def test_policy_rules():
    sq, eu = SquaredEuclidean(), Euclidean()
    side = int(MATERIALIZE_MAX_ELEMENTS**0.5)
    assert materialises(side, side, 3, sq, None, reuse=False)
    assert not materialises(side + 1, side + 1, 3, sq, None, reuse=False)
    # direct differences cost d elements per pair; high dimension uses the matmul form
    assert not materialises(side, side, 3, eu, None, reuse=False)
    assert materialises(side, side, 17, eu, None, reuse=False)
    assert materialises(side // 4, side // 4, 16, eu, None, reuse=False)
    # reused clouds: always below 2^16 pairs, up to 2^20 above dimension 8
    assert materialises(256, 256, 3, sq, None, reuse=True)
    assert not materialises(1024, 1024, 3, sq, None, reuse=True)
    assert materialises(1024, 1024, 9, sq, None, reuse=True)
    assert not materialises(1025, 1024, 9, sq, None, reuse=True)
    # ... and in any dimension for costs of direct differences (dear to recompute)
    assert materialises(1024, 1024, 3, eu, None, reuse=True)
    assert not materialises(1025, 1024, 3, eu, None, reuse=True)
    # the user's choice wins
    assert materialises(10**6, 10**6, 3, sq, True, reuse=False)
    assert not materialises(2, 2, 3, sq, False, reuse=True)


@pytest.mark.parametrize("d", [3, 20])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_euclidean_and_kernel_costs(d, dtype):
    x, y, _, _, a, b = _data(d=d, seed=d)
    c = _dense64(x, y)
    rbf = kernels.rbf(bandwidth=1.5)
    for cost, want in ((Euclidean(), np.sqrt(c)), (KernelCost(rbf), np.exp(-c / 4.5))):
        for path in ("tiled", "materialised"):
            opts = dict(_PATHS[path])
            geom = point_cloud(jnp.asarray(x, dtype), jnp.asarray(y, dtype), cost=cost, **opts)
            out = geom.apply(jnp.asarray(b, dtype))
            assert out.dtype == jnp.dtype(dtype)
            np.testing.assert_allclose(np.asarray(out, np.float64), want @ b, **_TOL[dtype])
            np.testing.assert_allclose(
                np.asarray(geom.cost_matrix(), np.float64), want, **_TOL[dtype]
            )
    # coincident points: the Euclidean cost is exactly zero in low dimension (direct differences)
    z = jnp.asarray(x, dtype)
    if d <= 16:
        assert np.all(np.diagonal(np.asarray(point_cloud(z, cost=Euclidean()).cost_matrix())) == 0)


def _grad_fn(path):
    opts = _PATHS[path]

    def loss(x, y, f, g, b, eps):
        geom = point_cloud(x, y, **opts)
        lb = jnp.log(b)
        rows, cols, cost, _ = geom.transport_sums(f, g, jnp.zeros_like(f), lb, eps)
        terms = (
            geom.row_logsumexp(g, eps),
            geom.col_logsumexp(f, eps),
            geom.row_gibbs_sum(f, g, lb, eps),
            geom.col_gibbs_sum(g, f, jnp.zeros_like(f), eps),
            geom.apply(b),
            rows,
            cols,
        )
        return sum(jnp.sum(jnp.cos(t)) for t in terms) + jnp.sin(cost)

    return jax.jit(jax.grad(loss, argnums=(0, 1, 2, 3, 4, 5)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_gradients_tiled_equal_materialised(dtype):
    x, y, f, g, _, b = _data(n=19, m=13)
    args = [jnp.asarray(v, dtype) for v in (x, y, f, g, b)] + [jnp.asarray(_EPS, dtype)]
    grads = {path: _grad_fn(path)(*args) for path in _PATHS}
    tol = dict(rtol=1e-10, atol=1e-11) if dtype == "float64" else dict(rtol=1e-4, atol=1e-4)
    for path in ("tiled", "kept"):
        for got, want in zip(grads[path], grads["materialised"], strict=True):
            assert got.dtype == jnp.dtype(dtype)
            np.testing.assert_allclose(got, want, err_msg=path, **tol)


@pytest.mark.parametrize("path", ["tiled", "materialised"])
def test_row_logsumexp_gradient_is_the_softmax(path):
    # L = sum_i w_i l_i, l_i = LSE_j (g_j - |x_i - y_j|^2)/eps: dL/dg_j = sum_i w_i P_ij / eps and
    # dL/dx_i = -(2 w_i / eps) sum_j P_ij (x_i - y_j), P the row softmax.
    x, y, _, g, a, _ = _data()
    opts = _PATHS[path]

    def loss(x, y, g):
        return jnp.sum(jnp.asarray(a) * point_cloud(x, y, **opts).row_logsumexp(g, _EPS))

    gx, gy, gg = jax.jit(jax.grad(loss, argnums=(0, 1, 2)))(*map(jnp.asarray, (x, y, g)))
    z = (g[None, :] - _dense64(x, y)) / _EPS
    p = np.exp(z - np_logsumexp(z, axis=1, keepdims=True))
    wp = a[:, None] * p
    np.testing.assert_allclose(gg, wp.sum(0) / _EPS, rtol=1e-11, atol=1e-13)
    diff = x[:, None, :] - y[None, :, :]
    np.testing.assert_allclose(gx, -2 / _EPS * np.sum(wp[..., None] * diff, 1), rtol=1e-10)
    np.testing.assert_allclose(gy, 2 / _EPS * np.sum(wp[..., None] * diff, 0), rtol=1e-10)


@pytest.mark.parametrize("kept", [False, True])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_knn_reductions(kept, dtype):
    # 600 rows: two row blocks of 512, the second padded
    rng = np.random.default_rng(1)
    x = rng.normal(size=(600, 2))
    y = rng.normal(size=(50, 2)) + 0.3
    c = _dense64(x, y)
    # radii at the middle of the widest gap between a column's 100 smallest costs: no cost within
    # rounding of a radius, so the counts are exact in both dtypes
    cs = np.sort(c, 0)[:100]
    at = np.argmax(np.diff(cs, axis=0), axis=0)
    cols = np.arange(50)
    r = 0.5 * (cs[at, cols] + cs[at + 1, cols])
    opts = dict(materialize=True, reuse=True) if kept else {}
    geom = point_cloud(jnp.asarray(x, dtype), jnp.asarray(y, dtype), **opts)
    assert (geom.matrix is not None) == kept
    low, idx = geom.row_min()
    small = geom.row_smallest(4)
    counts = geom.row_count_within(jnp.asarray(r, dtype))
    assert low.dtype == small.dtype == jnp.dtype(dtype)
    tol = _TOL[dtype]
    np.testing.assert_allclose(np.asarray(low, np.float64), c.min(1), **tol)
    np.testing.assert_array_equal(idx, c.argmin(1))
    np.testing.assert_allclose(np.asarray(small, np.float64), np.sort(c, 1)[:, :4], **tol)
    assert np.min(np.abs(c - r[None, :])) > 1e-4
    np.testing.assert_array_equal(counts, np.sum(c <= r[None, :], 1))


def test_derived_clouds_share_one_shift():
    x, y, *_ = _data()
    geom = point_cloud(jnp.asarray(x), jnp.asarray(y))
    shift = 0.5 * (x.mean(0) + y.mean(0))
    np.testing.assert_allclose(geom.shift, shift, rtol=1e-14)
    np.testing.assert_allclose(geom.x, x - shift, rtol=1e-14, atol=1e-14)
    np.testing.assert_allclose(centring_shift(jnp.asarray(x)), x.mean(0), rtol=1e-14)
    z = np.concatenate([x, y])
    cases = {
        "transpose": (geom.transpose(), _dense64(y, x)),
        "within_x": (geom.within_x(), _dense64(x, x)),
        "within_y": (geom.within_y(), _dense64(y, y)),
        "pooled": (geom.pooled(), _dense64(z, z)),
        "rescaled": (geom.rescaled(4.0), _dense64(x, y) / 16),
    }
    for name, (cloud, want) in cases.items():
        np.testing.assert_array_equal(cloud.shift, geom.shift, err_msg=name)
        np.testing.assert_allclose(cloud.cost_matrix(), want, rtol=1e-11, atol=1e-12, err_msg=name)
    # the cost bound is an upper bound of the largest cost
    assert float(geom.cost_bound()) >= _dense64(x, y).max()
    # a kernel that is not translation invariant is not centred
    lin = point_cloud(jnp.asarray(x), jnp.asarray(y), cost=KernelCost(kernels.linear()))
    np.testing.assert_array_equal(lin.x, x)
    np.testing.assert_allclose(lin.cost_matrix(), x @ y.T, rtol=1e-13)


def test_point_cloud_is_a_pytree_with_static_policy():
    x, y, *_ = _data()
    geom = point_cloud(jnp.asarray(x), jnp.asarray(y), materialize=False, block_size=8)
    leaves, tree = jax.tree_util.tree_flatten(geom)
    assert len(leaves) == 5  # x, y, xx, yy, shift (no kept matrix, a cost without parameters)
    back = jax.tree_util.tree_unflatten(tree, leaves)
    assert back.block_size == 8 and back.materialize is False and not back.materialised


# ------------------------------------------------------------------------------ source scan
_GMATH = pathlib.Path(_geometry.__file__).resolve().parents[1]
_OWNERS = {"_numerics/_pairwise.py", "_numerics/_geometry.py", "_numerics/_costs.py"}
# Patterns on the source with all whitespace removed.
_FORBIDDEN = {
    "squared-distance matmul form |x|^2 + |y|^2 - 2 x.y": [
        r"\[:,None\]\+\w+\[None,:\]-2\*",
        r"-2\*(?:matmul|jnp\.dot|jnp\.matmul|jnp\.einsum|lax\.dot\w*)\(",
        r"-2\*\w+@\w+\.T",
    ],
    "direct pairwise differences x[:, None, :] - y[None, :, :]": [
        r"\[:,None,:\]-\w+\[None,:,:\]",
        r"\[:,None\]-\w+\[None\]",
    ],
    "centring shift of both clouds": [r"0\.5\*\(jnp\.mean\(\w+,0\)\+jnp\.mean\("],
    "materialise-or-tile threshold": [r"MATERIALIZE_MAX_ELEMENTS"],
    "k smallest pairwise costs (k-NN radii)": [r"lax\.top_k\(-"],
}


def scan_source(text: str) -> list[str]:
    """Names of the forbidden pairwise patterns that ``text`` (Python source) contains."""
    flat = re.sub(r"\s+", "", text)
    return [name for name, pats in _FORBIDDEN.items() if any(re.search(p, flat) for p in pats)]


def test_scan_catches_the_patterns():
    assert scan_source("c = jnp.maximum(xx[:, None] + yy[None, :] - 2 * xy, 0)")
    assert scan_source("r2 = a - 2 * matmul(x, y.T)")
    assert scan_source("d = x[:, None, :] - y[None, :, :]")
    assert scan_source("s = lax.stop_gradient(0.5 * (jnp.mean(x, 0) + jnp.mean(y, 0)))")
    assert scan_source("if n * m <= MATERIALIZE_MAX_ELEMENTS:")
    assert scan_source("r = -lax.top_k(-d2, k + 1)[0][:, k]")
    assert not scan_source("r2 = squared_distances(x, y)\ngeom = point_cloud(x, y)")


def test_no_module_outside_the_geometry_writes_pairwise_distances():
    offenders = {}
    for path in sorted(_GMATH.rglob("*.py")):
        rel = path.relative_to(_GMATH).as_posix()
        if rel in _OWNERS:
            continue
        found = scan_source(path.read_text(encoding="utf-8"))
        if found:
            offenders[rel] = found
    assert not offenders, (
        f"pairwise geometry written outside gmath/_numerics/_geometry: {offenders}"
    )


def test_apply_matrix_equals_the_formed_product():
    # the squared Euclidean cost through its expansion, any other cost through its matrix
    rng = np.random.default_rng(11)
    x, y = jnp.asarray(rng.normal(size=(7, 3)) + 5.0), jnp.asarray(rng.normal(size=(4, 3)))
    v = jnp.asarray(rng.normal(size=(4, 2)))
    for cost in (None, Euclidean()):
        cloud = point_cloud(x, y, cost=cost)
        want = np.asarray(cloud.cost_matrix()) @ np.asarray(v)
        np.testing.assert_allclose(cloud.apply_matrix(v), want, rtol=1e-12, atol=1e-12)
