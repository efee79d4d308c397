"""Kernels, MMD estimators, the permutation test and KID.

Oracles: the Gaussian-kernel MMD between Gaussians in closed form,
E k(X, Y) = det(I + (Sx + Sy)/h^2)^(-1/2) exp(-D^T (Sx + Sy + h^2 I)^(-1) D / 2), reached exactly
by the weighted biased estimator on Gauss–Hermite nodes; linear kernel: biased MMD^2 =
|mean x - mean y|^2; the unbiased estimator against a naive double loop over i != j and its
mean against the closed form (statistical, stated false-failure probability); tiled =
materialised with gradients; kernels against their formulas; median heuristic against scipy.
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.spatial.distance as ssd
from hypothesis import given

import gmath.testing as gt
from gmath.divergences import kernels, kid, mmd_squared, mmd_test

H = 0.8


def _gauss_expect_k(d, s, h):
    # E exp(-|Z|^2 / (2 h^2)), Z ~ N(d, S)
    dim = len(d)
    det = np.linalg.det(np.eye(dim) + s / h**2)
    return det**-0.5 * np.exp(-0.5 * d @ np.linalg.solve(s + h**2 * np.eye(dim), d))


def _gh_grid(num, dim):
    t, w = np.polynomial.hermite_e.hermegauss(num)
    w = w / w.sum()
    grids = np.meshgrid(*([t] * dim), indexing="ij")
    pts = np.stack(grids, -1).reshape(-1, dim)
    weights = functools.reduce(np.multiply.outer, [w] * dim).ravel()
    return pts, weights


@jax.jit
def _biased_weighted(x, y, a, b):
    return mmd_squared(x, y, kernel=kernels.rbf(bandwidth=H), estimator="biased", a=a, b=b)


@pytest.mark.parametrize("dim", [1, 2])
def test_gaussian_closed_form(dim):
    pts, w = _gh_grid(40 if dim == 1 else 24, dim)
    mx, my = np.full(dim, 0.3), np.linspace(-0.2, 0.1, dim)
    lx = np.array([[1.0, 0.0], [0.4, 0.8]])[:dim, :dim]
    ly = np.array([[0.6, 0.0], [-0.2, 0.5]])[:dim, :dim]
    sx, sy = lx @ lx.T, ly @ ly.T
    x, y = mx + pts @ lx.T, my + pts @ ly.T
    zero = np.zeros(dim)
    ref = (
        _gauss_expect_k(zero, 2 * sx, H)
        + _gauss_expect_k(zero, 2 * sy, H)
        - 2 * _gauss_expect_k(mx - my, sx + sy, H)
    )
    gt.assert_allclose(_biased_weighted(x, y, w, w), ref, rtol=1e-10)


def _naive(x, y, k):
    x, y = np.asarray(x), np.asarray(y)
    n, m = len(x), len(y)
    kxx = sum(k(x[i], x[j]) for i in range(n) for j in range(n) if i != j) / (n * (n - 1))
    kyy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    kxy = sum(k(x[i], y[j]) for i in range(n) for j in range(m)) / (n * m)
    return kxx + kyy - 2 * kxy, None


_KERNELS = {
    "rbf": (kernels.rbf(bandwidth=H), lambda u, v: np.exp(-np.sum((u - v) ** 2) / (2 * H * H))),
    "imq": (kernels.imq(bandwidth=1.5), lambda u, v: (1 + np.sum((u - v) ** 2) / 2.25) ** -0.5),
    "laplace": (
        kernels.laplace(bandwidth=0.7),
        lambda u, v: np.exp(-np.sqrt(np.sum((u - v) ** 2)) / 0.7),
    ),
    "rational_quadratic": (
        kernels.rational_quadratic(bandwidth=1.2, alpha=2.0),
        lambda u, v: (1 + np.sum((u - v) ** 2) / (2 * 2.0 * 1.44)) ** -2.0,
    ),
    "linear": (kernels.linear(), lambda u, v: np.dot(u, v)),
    "polynomial": (
        kernels.polynomial(degree=3),
        lambda u, v: (np.dot(u, v) / len(u) + 1.0) ** 3,
    ),
    "sum": (
        kernels.rbf(bandwidth=[0.5, 2.0]),
        lambda u, v: sum(np.exp(-np.sum((u - v) ** 2) / (2 * h * h)) for h in (0.5, 2.0)),
    ),
}


def _data(seed, n=9, m=7, d=3, shift=0.5):
    k1, k2 = jax.random.split(jax.random.key(seed))
    return jax.random.normal(k1, (n, d)), jax.random.normal(k2, (m, d)) + shift


@pytest.mark.parametrize("name", sorted(_KERNELS))
def test_kernels_and_unbiased_estimator_against_naive_loops(name):
    kernel, ref = _KERNELS[name]
    x, y = _data(0)
    xn, yn = np.asarray(x), np.asarray(y)
    gram = np.array([[ref(u, v) for v in yn] for u in xn])
    gt.assert_allclose(kernel.matrix(x, y), gram, rtol=1e-12)
    gt.assert_allclose(kernel(x[:, None, :], y[None, :, :]), gram, rtol=1e-12)
    value = jax.jit(lambda x, y: mmd_squared(x, y, kernel=kernel))(x, y)
    gt.assert_allclose(value, _naive(x, y, ref)[0], rtol=1e-11, atol=1e-13)


def test_linear_kernel_biased_is_squared_mean_difference():
    x, y = _data(1)
    value = mmd_squared(x, y, kernel=kernels.linear(), estimator="biased")
    gt.assert_allclose(value, np.sum((np.mean(x, 0) - np.mean(y, 0)) ** 2), rtol=1e-12)


def test_linear_time_estimator():
    x, y = _data(2, n=10, m=8)
    kernel, ref = _KERNELS["rbf"]
    xn, yn = np.asarray(x), np.asarray(y)
    terms = [
        ref(xn[2 * i], xn[2 * i + 1])
        + ref(yn[2 * i], yn[2 * i + 1])
        - ref(xn[2 * i], yn[2 * i + 1])
        - ref(xn[2 * i + 1], yn[2 * i])
        for i in range(4)
    ]
    gt.assert_allclose(mmd_squared(x, y, kernel=kernel, estimator="linear"), np.mean(terms))


@functools.partial(jax.jit, static_argnames=("materialize",))
def _value_and_grad(x, y, h, materialize):
    def fn(x, y, h):
        return mmd_squared(
            x, y, kernel=kernels.rbf(bandwidth=h), materialize=materialize, block_size=4
        )

    return jax.value_and_grad(fn, argnums=(0, 1, 2))(x, y, h)


def test_tiled_equals_materialised_and_gradients_match_finite_differences():
    x, y = _data(3, n=11, m=6)
    v1, g1 = _value_and_grad(x, y, 1.1, True)
    v2, g2 = _value_and_grad(x, y, 1.1, False)
    gt.assert_allclose(v2, v1, rtol=1e-12)
    gt.assert_allclose(g2, g1, rtol=1e-10, atol=1e-13)
    h = 1e-6
    for i, j in ((0, 0), (5, 2)):
        e = jnp.zeros_like(x).at[i, j].set(h)
        fd = _value_and_grad(x + e, y, 1.1, True)[0] - _value_and_grad(x - e, y, 1.1, True)[0]
        gt.assert_allclose(g1[0][i, j], fd / (2 * h), rtol=1e-7, atol=1e-10)
    fd_h = _value_and_grad(x, y, 1.1 + h, True)[0] - _value_and_grad(x, y, 1.1 - h, True)[0]
    gt.assert_allclose(g1[2], fd_h / (2 * h), rtol=1e-7)


@jax.jit
def _replicates(keys):
    def one(k):
        k1, k2 = jax.random.split(k)
        x = jax.random.normal(k1, (20, 1))
        y = 0.6 * jax.random.normal(k2, (20, 1)) + 0.5
        return mmd_squared(x, y, kernel=kernels.rbf(bandwidth=H))

    return jax.vmap(one)(keys)


def test_unbiased_estimator_mean_matches_closed_form():
    # 2000 replicates; false-failure probability 1e-6 (Chebyshev band in assert_mean_matches).
    values = _replicates(jax.random.split(jax.random.key(4), 2000))
    one = np.eye(1)
    ref = (
        _gauss_expect_k(np.zeros(1), 2 * one, H)
        + _gauss_expect_k(np.zeros(1), 2 * 0.36 * one, H)
        - 2 * _gauss_expect_k(np.array([-0.5]), 1.36 * one, H)
    )
    gt.assert_mean_matches(values, ref, np.var(np.asarray(values)))


@given(x=gt.finite_arrays(shape=(6, 2), min_value=-5, max_value=5))
def test_biased_is_nonnegative_and_zero_on_equal_samples(x):
    value = _biased_weighted(x, x[::-1], jnp.full(6, 1 / 6), jnp.full(6, 1 / 6))
    assert abs(float(value)) < 1e-12


def test_median_heuristic_against_scipy():
    x, y = _data(5)
    pooled = np.concatenate([np.asarray(x), np.asarray(y)])
    gt.assert_allclose(kernels.median_heuristic(x, y), np.median(ssd.pdist(pooled)), rtol=1e-12)


def test_permutation_test_null_statistics_are_mmds_of_permuted_samples():
    x, y = _data(6, n=8, m=6, shift=2.0)
    kernel = kernels.rbf(bandwidth=1.0)
    out = mmd_test(jax.random.key(7), x, y, kernel=kernel, num_permutations=50)
    gt.assert_allclose(out.statistic, mmd_squared(x, y, kernel=kernel), rtol=1e-10)
    perms = jax.vmap(lambda k: jax.random.permutation(k, 14))(
        jax.random.split(jax.random.key(7), 50)
    )
    z = jnp.concatenate([x, y])
    direct = jax.jit(jax.vmap(lambda p: mmd_squared(z[p[:8]], z[p[8:]], kernel=kernel)))
    gt.assert_allclose(out.null_statistics, direct(perms), rtol=1e-9, atol=1e-12)
    expected_p = (1 + np.sum(np.asarray(out.null_statistics) >= float(out.statistic))) / 51
    gt.assert_allclose(out.p_value, expected_p)
    assert float(out.p_value) < 0.05  # shifted by 2 standard deviations


def test_kid_with_full_subsets_equals_unbiased_polynomial_mmd():
    x, y = _data(8, n=12, m=10, d=4)
    est = kid(jax.random.key(9), x, y, num_subsets=4, subset_size=10)
    # subsets of y are permutations of all of y; of x, 10 of 12 points: check against direct
    ref = mmd_squared(x[:10], y, kernel=kernels.polynomial(degree=3))
    assert np.isfinite(float(est.value)) and float(est.stderr) >= 0
    full = kid(jax.random.key(9), x[:10], y, num_subsets=3, subset_size=10)
    gt.assert_allclose(full.value, ref, rtol=1e-10)
    assert float(full.stderr) < 1e-12


def test_transforms_agree():
    xs = jax.random.normal(jax.random.key(10), (2, 6, 2))
    ys = jax.random.normal(jax.random.key(11), (2, 5, 2)) + 0.3
    fn = lambda x, y: mmd_squared(x, y, kernel=kernels.imq())
    gt.assert_transform_consistent(fn, xs, ys, rtol=1e-12)


def test_float32_stays_float32():
    x, y = _data(12)
    x32, y32 = x.astype(jnp.float32), y.astype(jnp.float32)
    kernel = _KERNELS["sum"][0]
    value = mmd_squared(x32, y32, kernel=kernel)
    assert value.dtype == jnp.float32
    gt.assert_allclose(value, np.float32(mmd_squared(x, y, kernel=kernel)), rtol=1e-4, atol=1e-6)
    assert mmd_squared(x32, y32, kernel=kernels.polynomial(), estimator="linear").dtype == (
        jnp.float32
    )


def test_bad_input():
    x, y = _data(13)
    with pytest.raises(ValueError, match="same dimension"):
        mmd_squared(x, y[:, :2], kernel=kernels.rbf())
    with pytest.raises(ValueError, match="estimator"):
        mmd_squared(x, y, kernel=kernels.rbf(), estimator="quadratic")
    with pytest.raises(TypeError, match="kernel"):
        mmd_squared(x, y, kernel=lambda u, v: u @ v)
    with pytest.raises(ValueError, match="empty"):
        mmd_squared(x[:0], y, kernel=kernels.rbf())
    with pytest.raises(ValueError, match="weights"):
        mmd_squared(x, y, kernel=kernels.rbf(), a=jnp.full(9, 1 / 9))
    with pytest.raises(ValueError, match="nonnegative"):
        mmd_squared(x, y, kernel=kernels.rbf(), estimator="biased", a=-jnp.full(9, 1 / 9))
    with pytest.raises(ValueError, match="n, m >= 2"):
        mmd_squared(x[:1], y, kernel=kernels.rbf())
    value = mmd_squared(x.at[0, 0].set(jnp.nan), y, kernel=kernels.rbf())
    assert np.isnan(float(value))


def test_weights_off_the_simplex_are_rejected_not_used():
    # biased mmd_squared with weights of sums 10 and 2 silently used them; now they must be
    # probability vectors (concrete: ValueError; traced: NaN, and an error in checks mode).
    from gmath import config

    x = jax.random.normal(jax.random.key(0), (10, 2))
    y = x + jnp.array([1.0, 2.0])
    a, b = jnp.full(10, 1.0), jnp.full(10, 0.2)
    k = kernels.rbf(bandwidth=1.0)
    with pytest.raises(ValueError, match="a must sum to one"):
        mmd_squared(x, y, kernel=k, estimator="biased", a=a, b=b / 2)
    traced = jax.jit(lambda a, b: mmd_squared(x, y, kernel=k, estimator="biased", a=a, b=b))
    assert np.isnan(float(traced(a, b)))
    with config.checks(True):
        checked = jax.jit(lambda a, b: mmd_squared(x, y, kernel=k, estimator="biased", a=a, b=b))
        with pytest.raises(Exception, match="must sum to one"):
            jax.block_until_ready(checked(a, b))
    # a Dirac-like weight (one 1, the rest 0) against another: 2 - 2 k(x_0, y_3)
    e0, e3 = jnp.zeros(10).at[0].set(1.0), jnp.zeros(10).at[3].set(1.0)
    want = 2 - 2 * np.exp(-np.sum((np.asarray(x[0]) - np.asarray(y[3])) ** 2) / 2)
    gt.assert_allclose(traced(e0, e3), want, rtol=1e-12)


def test_kernel_parameters_are_validated():
    # rbf(bandwidth=0) gave NaN even with checks on, and a negative bandwidth was accepted.
    from gmath import config

    bad = [
        (kernels.rbf, {"bandwidth": 0.0}, "bandwidth must be positive"),
        (kernels.rbf, {"bandwidth": -1.0}, "bandwidth must be positive"),
        (kernels.rbf, {"bandwidth": [1.0, -2.0]}, "bandwidth must be positive"),
        (kernels.imq, {"bandwidth": 0.0}, "bandwidth must be positive"),
        (kernels.imq, {"exponent": 0.5}, "exponent must be negative"),
        (kernels.laplace, {"bandwidth": -1.0}, "bandwidth must be positive"),
        (kernels.rational_quadratic, {"alpha": 0.0}, "alpha must be positive"),
        (kernels.polynomial, {"scale": 0.0}, "scale must be positive"),
        (kernels.polynomial, {"offset": -1.0}, "offset must be nonnegative"),
    ]
    for make, kw, message in bad:
        with pytest.raises(ValueError, match=message):
            make(**kw)
    x, y = jnp.zeros((3, 1)), jnp.ones((2, 1))
    for make in (kernels.rbf, kernels.imq, kernels.laplace, kernels.rational_quadratic):
        fn = jax.jit(lambda h, make=make: mmd_squared(x, y, kernel=make(bandwidth=h)))
        assert np.isnan(float(fn(0.0))) and np.isnan(float(fn(-1.0)))
        assert np.isfinite(float(fn(1.0)))
    with config.checks(True):
        fn = jax.jit(lambda h: kernels.rbf(bandwidth=h)(jnp.zeros(1), jnp.ones(1)))
        with pytest.raises(Exception, match="bandwidth must be positive"):
            jax.block_until_ready(fn(0.0))


def test_keys_are_checked():
    x = jnp.zeros((4, 2))
    with pytest.raises(TypeError, match=r"mmd_test: key must be a jax\.random key"):
        mmd_test(0, x, x + 1.0, kernel=kernels.rbf())
    with pytest.raises(TypeError, match=r"kid: key must be a jax\.random key"):
        kid(None, x, x + 1.0)
