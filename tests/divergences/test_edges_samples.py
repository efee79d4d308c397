"""Edge grid of the divergences between samples: closed forms at the edges, both dtypes.

Each group is one batched trace (tests/_edges.py). Oracles are closed forms:

- Sinkhorn divergence: S_eps(x, x + t) = m |t|^2 for every eps (the translation only adds a
  separable term to the cost) from eps = 1e-3 to 1e3 times the mean cost, equal clouds -> 0,
  two-point measures with any weights (Dirac-like 0/1 included) -> |t|^2; d/dt = 2t.
- Energy distance between Diracs: 2|t|; identical samples: 0; MMD (Gaussian kernel) between
  Diracs 2 - 2 exp(-t^2 / 2h^2), identical samples 0; one-hot (Dirac-like) weights pick one point.
- wasserstein_1d: duplicates -> 0 (atoms at the same infinity included), an atom at infinity
  against a finite one -> inf, single points -> |u - v|, [1, 2, u] vs [1, 1] -> (u - 1)/3 + 1/3.
- Fréchet: identical feature sets -> 0 exactly (n = d + 1 points); a translate -> d t^2.
- KSD of points at the mean of a Normal with score -(x - mu)/sigma^2: the score vanishes, so
  KSD^2 = u(mu, mu) = -2 d phi'(0): d / h^2 for the Gaussian kernel, -2 d beta / h^2 for IMQ.
- Invalid parameters (epsilon <= 0, a bandwidth <= 0, weights off the simplex, traced): NaN.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gmath.divergences import (
    energy_distance,
    frechet_distance_squared,
    kernels,
    ksd_squared,
    mmd_squared,
    sinkhorn_divergence,
    sliced_wasserstein,
    wasserstein_1d,
)

from _edges import EdgeGroup, assert_edges, count_edge_cases

INF, NAN = float("inf"), float("nan")

# A 3 x 3 grid: the optimal assignments are separated by cost gaps >= 2 (a swap of neighbours),
# so Sinkhorn converges at every epsilon below. (Clouds with near-ties, such as this grid plus
# a point between two nodes, converge far more slowly around epsilon ~ 1e-2 of the mean cost:
# the plan nearly decouples into blocks; `sinkhorn_divergence_result` reports it.)
_CLOUD = np.stack(np.meshgrid(np.arange(3.0), np.arange(3.0), indexing="ij"), -1).reshape(-1, 2)
_MEAN_COST = float(np.mean(np.sum((_CLOUD[:, None] - _CLOUD[None]) ** 2, -1)))
_RNG = np.random.default_rng(0)
_X = _RNG.normal(size=(6, 2))
_Y = _RNG.normal(size=(6, 2)) + 0.5
_FEATURES = _RNG.normal(size=(4, 3))  # n = d + 1


def _like(a, v):
    return jnp.asarray(a, jnp.result_type(v))


def _tight(v):
    """float64: solve to 1e-12 (a default-tolerance solve is within ~1e-6 max C of the value);
    float32: the default tolerance."""
    return 1e-12 if jnp.result_type(v) == jnp.float64 else None


def _sinkhorn_translate(eps_rel, t1, t2):
    x = _like(_CLOUD, t1)
    return sinkhorn_divergence(
        x, x + jnp.stack([t1, t2]), epsilon=eps_rel * _MEAN_COST, tolerance=_tight(t1)
    )


def _sinkhorn_two_points(w, t, eps):
    x = jnp.stack([jnp.zeros(2, w.dtype), jnp.ones(2, w.dtype)])
    a = jnp.stack([w, 1 - w])
    return sinkhorn_divergence(
        x, x + jnp.stack([t, 0 * t]), epsilon=eps, a=a, b=a, tolerance=_tight(t)
    )


def _sinkhorn_grad(t, eps):
    x = _like(_CLOUD, t)
    return jax.grad(
        lambda t: sinkhorn_divergence(
            x, x + jnp.stack([t, 2 * t]), epsilon=eps * _MEAN_COST, tolerance=_tight(t)
        )
    )(t)


def _energy_diracs(u, v):
    return energy_distance(jnp.stack([u, 0 * u])[None], jnp.stack([v, 0 * v])[None])


def _energy_identical(s):
    x = _like(_X, s) * s
    return energy_distance(x, x)


def _energy_one_hot(i, j):
    a = (jnp.arange(6, dtype=i.dtype) == i).astype(i.dtype)
    b = (jnp.arange(6, dtype=i.dtype) == j).astype(i.dtype)
    return energy_distance(_like(_X, i), _like(_Y, i), a=a, b=b)


def _mmd_diracs(s, tau):
    # x = 0, y = s tau (1-D), bandwidth s: 2 - 2 exp(-tau^2 / 2)
    return mmd_squared(
        (0 * s)[None, None],
        (s * tau)[None, None],
        kernel=kernels.rbf(bandwidth=s),
        estimator="biased",
    )


def _mmd_identical(s):
    x = _like(_X, s) * s
    return mmd_squared(x, x, kernel=kernels.rbf(bandwidth=s), estimator="biased")


def _mmd_one_hot(i, j):
    a = (jnp.arange(6, dtype=i.dtype) == i).astype(i.dtype)
    b = (jnp.arange(6, dtype=i.dtype) == j).astype(i.dtype)
    x, y = _like(_X, i), _like(_Y, i)
    return mmd_squared(x, y, kernel=kernels.rbf(bandwidth=1.0), estimator="biased", a=a, b=b)


def _mmd_grad(t, h):
    f = lambda t: mmd_squared(
        (0 * t)[None, None], t[None, None], kernel=kernels.rbf(bandwidth=h), estimator="biased"
    )
    return jax.grad(f)(t)


def _w1d_with(u):
    one = jnp.ones((), u.dtype)
    return wasserstein_1d(jnp.stack([one, 2 * one, u]), jnp.stack([one, one]))


def _w1d_duplicates(v):
    return wasserstein_1d(jnp.stack([v, v, v]), jnp.stack([v, v]), p=2)


def _w1d_single(u, v):
    return wasserstein_1d(u[None], v[None], p=2)


def _w1d_grad(u, v):
    return jax.grad(lambda u: wasserstein_1d(u[None], v[None], p=2))(u)


def _sliced_single(s):
    x = jnp.zeros((1, 2), s.dtype)
    y = jnp.stack([3 * s, 4 * s])[None]
    return sliced_wasserstein(None, x, y, projections=jnp.eye(2, dtype=s.dtype), p=2)


def _frechet_identical(s, m):
    f = _like(_FEATURES, s) * s + m
    return frechet_distance_squared(f, f)


def _frechet_translate(s, t):
    f = _like(_FEATURES, s) * s
    return frechet_distance_squared(f, f + t)


def _ksd_at_mean(mu, sigma, h):
    x = jnp.full((3, 2), mu)
    return ksd_squared(
        x, lambda v: -(v - mu) / sigma**2, kernel=kernels.rbf(bandwidth=h), estimator="biased"
    )


def _ksd_imq_at_mean(mu, h):
    x = jnp.full((3, 2), mu)
    return ksd_squared(x, lambda v: -(v - mu), kernel=kernels.imq(bandwidth=h))


def _invalid(kind, v):
    x, y = _like(_X, v), _like(_Y, v)
    return jax.lax.switch(
        kind.astype(jnp.int32),
        [
            lambda: mmd_squared(x, y, kernel=kernels.rbf(bandwidth=v)),
            lambda: mmd_squared(x, y, kernel=kernels.imq(bandwidth=v)),
            lambda: energy_distance(x, y, a=jnp.full(6, v)),
            lambda: wasserstein_1d(x[:, 0], y[:, 0], a=jnp.full(6, v)),
        ],
    )


_EPS_SMALL = [1e-3, 1e-2, 1e-1, 1.0]
_EPS_LARGE = [10.0, 100.0, 1e3]
_SHIFTS = [(1.0, 2.0), (0.0, 0.0), (-3.0, 0.5)]
_ONE_HOT = [(0, 0), (0, 5), (3, 1), (5, 5)]


@functools.cache
def _one_hot_oracles():
    d = np.sqrt(np.sum((_X[:, None] - _Y[None]) ** 2, -1))
    energy = [2 * d[i, j] for i, j in _ONE_HOT]
    mmd = [2 - 2 * np.exp(-(d[i, j] ** 2) / 2) for i, j in _ONE_HOT]
    return energy, mmd


EDGE_GROUPS = [
    EdgeGroup(
        "sinkhorn_translate_small_eps",
        _sinkhorn_translate,
        args=[(e, *t) for e in _EPS_SMALL for t in _SHIFTS],
        expected=[t[0] ** 2 + t[1] ** 2 for _ in _EPS_SMALL for t in _SHIFTS],
        rtol={"float64": 1e-10, "float32": 4e-6},
        atol={"float64": 1e-12, "float32": 1e-5},
    ),
    # large eps: the dual value carries a rounding of about u * eps (eps <= 1e3 * 3.4 here)
    EdgeGroup(
        "sinkhorn_translate_large_eps",
        _sinkhorn_translate,
        args=[(e, *t) for e in _EPS_LARGE for t in _SHIFTS],
        expected=[t[0] ** 2 + t[1] ** 2 for _ in _EPS_LARGE for t in _SHIFTS],
        rtol={"float64": 1e-10, "float32": 1e-4},
        atol={"float64": 1e-10, "float32": 1e-3},
    ),
    EdgeGroup(
        "sinkhorn_two_point_weights",
        _sinkhorn_two_points,
        # ... and invalid traced input: a negative weight, epsilon <= 0 -> NaN
        args=[(w, 1.5, e) for w in (0.0, 1e-30, 0.3, 0.5, 1.0) for e in (1e-2, 1.0, 100.0)]
        + [(1.5, 1.5, 1.0), (0.5, 1.5, 0.0), (0.5, 1.5, -1.0)],
        expected=[2.25] * 15 + [NAN] * 3,
        rtol={"float64": 1e-10, "float32": 1e-5},
        atol={"float64": 1e-12, "float32": 1e-5},
    ),
    EdgeGroup(
        "sinkhorn_grad_translate",
        _sinkhorn_grad,
        args=[(t, e) for t in (0.0, 0.5, -2.0) for e in (1e-2, 1.0, 10.0)],
        expected=[10 * t for t in (0.0, 0.5, -2.0) for _ in range(3)],  # d/dt 5 t^2
        rtol={"float64": 1e-6, "float32": 1e-3},
        atol={"float64": 1e-6, "float32": 1e-3},
    ),
    EdgeGroup(
        "energy_diracs",
        _energy_diracs,
        args=[
            (0.0, 1e-15),
            (1e15, -1e15),
            (-1e-15, 1e-15),
            (3.0, 3.0),
            (1.0, -2.0),
            (1e30, -1e30),
            (1e-30, 0.0),
        ],
        expected=[2e-15, 4e15, 4e-15, 0.0, 6.0, 4e30, 2e-30],
        rtol={"float64": 1e-14, "float32": 1e-6},
    ),
    EdgeGroup(
        "energy_identical_samples",
        _energy_identical,
        args=[(1e-15,), (1.0,), (1e15,)],
        expected=[0.0, 0.0, 0.0],
        rtol={"float64": 0.0, "float32": 0.0},
    ),
    EdgeGroup(
        "energy_one_hot_weights",
        _energy_one_hot,
        args=[(float(i), float(j)) for i, j in _ONE_HOT],
        expected=_one_hot_oracles()[0],
        rtol={"float64": 1e-13, "float32": 1e-6},
    ),
    EdgeGroup(
        "mmd_rbf_diracs",
        _mmd_diracs,
        args=[(s, tau) for s in (1e-15, 1.0, 1e15) for tau in (0.5, 1.0, 3.0)],
        expected=[2 - 2 * np.exp(-(tau**2) / 2) for _ in range(3) for tau in (0.5, 1.0, 3.0)],
        rtol={"float64": 1e-13, "float32": 2e-6},
    ),
    EdgeGroup(
        "mmd_identical_samples",
        _mmd_identical,
        args=[(1e-15,), (1.0,), (1e15,)],
        expected=[0.0, 0.0, 0.0],
        rtol={"float64": 0.0, "float32": 0.0},
    ),
    EdgeGroup(
        "mmd_one_hot_weights",
        _mmd_one_hot,
        args=[(float(i), float(j)) for i, j in _ONE_HOT],
        expected=_one_hot_oracles()[1],
        rtol={"float64": 1e-12, "float32": 2e-6},
    ),
    EdgeGroup(
        "mmd_grad_diracs",
        _mmd_grad,
        args=[(t, h) for t in (0.0, 0.5, -2.0) for h in (0.5, 1.0)],
        expected=[
            2 * t / h**2 * np.exp(-(t**2) / (2 * h**2))
            for t in (0.0, 0.5, -2.0)
            for h in (0.5, 1.0)
        ],
        rtol={"float64": 1e-12, "float32": 1e-6},
        atol={"float64": 1e-300, "float32": 1e-30},
    ),
    EdgeGroup(
        "wasserstein_1d_infinite_sample",
        _w1d_with,
        args=[(INF,), (-INF,), (3.0,), (2.0,), (NAN,)],
        expected=[INF, INF, 1.0, 2 / 3, NAN],
        rtol={"float64": 1e-14, "float32": 1e-6},
    ),
    EdgeGroup(
        "wasserstein_1d_duplicates",
        _w1d_duplicates,
        args=[(0.0,), (1e-30,), (1e30,), (-1e30,), (INF,), (-INF,)],
        expected=[0.0] * 6,
        rtol={"float64": 0.0, "float32": 0.0},
    ),
    EdgeGroup(
        "wasserstein_1d_single_points",
        _w1d_single,
        args=[(0.0, 1e-30), (1e30, -1e30), (1.0, 1.0), (-INF, 0.0)],
        expected=[1e-30, 2e30, 0.0, INF],
        rtol={"float64": 1e-15, "float32": 1e-7},
    ),
    EdgeGroup(
        "wasserstein_1d_grad_single_points",
        _w1d_grad,
        args=[(2.0, -1.0), (-1e30, 1e30), (1.0, 1.0)],
        expected=[1.0, -1.0, 0.0],  # d/du |u - v| (0 at u = v)
        rtol={"float64": 1e-15, "float32": 1e-7},
    ),
    EdgeGroup(
        "sliced_wasserstein_axis_projections",
        _sliced_single,
        args=[(1e-30,), (1.0,), (1e30,)],
        expected=[np.sqrt(12.5) * 1e-30, np.sqrt(12.5), np.sqrt(12.5) * 1e30],
        rtol={"float64": 1e-15, "float32": 1e-7},
    ),
    EdgeGroup(
        "frechet_identical_features",
        _frechet_identical,
        args=[(1e-15, 0.0), (1.0, 5.0), (1e15, -1e3), (3.0, 1e15)],
        expected=[0.0] * 4,
        rtol={"float64": 0.0, "float32": 0.0},
    ),
    EdgeGroup(
        "frechet_translate",
        _frechet_translate,
        args=[(1.0, 0.5), (1.0, -2.0), (1e-3, 1e-3)],
        expected=[3 * 0.25, 3 * 4.0, 3e-6],
        rtol={"float64": 1e-10, "float32": 1e-5},
    ),
    EdgeGroup(
        "ksd_rbf_at_the_mean",
        _ksd_at_mean,
        args=[
            (mu, sig, h)
            for mu in (0.0, -3.0, 1e15)
            for sig in (1e-10, 1.0)
            for h in (1e-3, 1.0, 1e3)
        ],
        expected=[2 / h**2 for _ in range(3) for _ in range(2) for h in (1e-3, 1.0, 1e3)],
        rtol={"float64": 1e-14, "float32": 1e-6},
    ),
    EdgeGroup(
        "ksd_imq_at_the_mean_unbiased",
        _ksd_imq_at_mean,
        args=[(mu, h) for mu in (0.0, 1e15) for h in (1e-3, 1.0, 1e3)],
        expected=[2 / h**2 for _ in range(2) for h in (1e-3, 1.0, 1e3)],  # -2 d beta / h^2
        rtol={"float64": 1e-14, "float32": 1e-6},
    ),
    EdgeGroup(
        "invalid_parameters_traced",
        _invalid,
        # rbf and imq bandwidths <= 0, energy and wasserstein_1d weights off the simplex
        args=[(0, 0.0), (0, -1.0), (1, -1.0), (2, 1.0), (2, -1 / 6), (3, 0.5)],
        expected=[NAN] * 6,
        rtol={"float64": 0.0, "float32": 0.0},
    ),
]


@pytest.mark.parametrize(
    ("group", "dtype"),
    [pytest.param(g, d, id=f"{g.name}-{d}") for g in EDGE_GROUPS for d in g.rtol],
)
def test_edges(group, dtype):
    assert_edges(group, dtype)


def test_grid_size():
    # the grid stays a grid: every group runs in both dtypes
    assert count_edge_cases(EDGE_GROUPS) == 2 * sum(len(g.args) for g in EDGE_GROUPS)
