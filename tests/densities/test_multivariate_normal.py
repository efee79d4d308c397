"""MultivariateNormal: scipy.stats.multivariate_normal in float64, the three parameterisations
against each other, score = grad(log_prob) = -S^{-1}(x - m), sample moments (Chebyshev bands on
the mean and, by Isserlis' theorem, on the covariance) and a DKW test of a 1-D projection,
eager = jit = vmap, float32, broadcasting, bad input and the check mode."""

import inspect

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st
from jax.test_util import check_grads

import gmath
import gmath.testing as gt
from gmath.densities import MultivariateNormal

PARAMETERIZATIONS = ["scale_tril", "covariance_matrix", "precision_matrix"]


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        score=p.score(x),
        entropy=p.entropy(),
        mean=p.mean(),
        mode=p.mode(),
        variance=p.variance(),
        covariance=p.covariance(),
        precision=p.precision_matrix(),
        scale_tril=p.scale_tril,
        grad=jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
    )


def _cov(p):
    return np.asarray(p.covariance())


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
@given(data=st.data())
def test_matches_scipy(parameterization, data):
    p = data.draw(gt.multivariate_normals(batch_shape=(2,), parameterization=parameterization))
    x = data.draw(gt.finite_arrays(shape=(4, 2, 3), min_value=-10, max_value=10))
    out = _summary(p, x)
    cov = _cov(p)
    loc = np.asarray(p.loc)
    for b in range(2):
        ref = ss.multivariate_normal(loc[b], cov[b])
        gt.assert_allclose(out["log_prob"][:, b], ref.logpdf(x[:, b]), atol=1e-10)
        gt.assert_allclose(out["entropy"][b], np.asarray(ref.entropy()))
        gt.assert_allclose(out["mean"][b], ref.mean)
        gt.assert_allclose(out["mode"][b], ref.mean)
        gt.assert_allclose(out["variance"][b], np.diag(ref.cov))
        prec = np.linalg.inv(ref.cov)
        gt.assert_allclose(out["precision"][b], prec, rtol=1e-9, atol=1e-12)
        # closed-form score -S^{-1}(x - m)
        gt.assert_allclose(out["score"][:, b], -(x[:, b] - loc[b]) @ prec, rtol=1e-9, atol=1e-10)
        tril = np.asarray(out["scale_tril"])[b]
        gt.assert_allclose(tril, np.linalg.cholesky(ref.cov), rtol=1e-9, atol=1e-12)
    gt.assert_allclose(out["score"], out["grad"], rtol=1e-9, atol=1e-10)  # score = grad log p
    # the original matrix is returned as given
    if parameterization == "covariance_matrix":
        gt.assert_allclose(out["covariance"], np.asarray(p._covariance_matrix))
    if parameterization == "precision_matrix":
        gt.assert_allclose(out["precision"], np.asarray(p._precision_matrix))


@given(cov=gt.spd_matrices(dim=4, min_eigenvalue=0.1, max_eigenvalue=10.0))
def test_parameterisations_agree(cov):
    loc = np.linspace(-1.0, 2.0, 4)
    x = np.linspace(-3.0, 3.0, 20).reshape(5, 4)
    records = [
        MultivariateNormal(loc, scale_tril=np.linalg.cholesky(cov)),
        MultivariateNormal(loc, covariance_matrix=cov),
        MultivariateNormal(loc, precision_matrix=np.linalg.inv(cov)),
    ]
    outs = [_summary(p, x) for p in records]
    for out in outs[1:]:
        gt.assert_allclose(out, outs[0], rtol=1e-9, atol=1e-12)


@jax.jit
def _grad_log_prob(p, x):
    return jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x)


def test_parameter_gradients_match_finite_differences():
    cov = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])
    loc = np.array([0.1, -0.2, 0.3])
    x = np.array([[0.5, 0.1, -1.0], [1.0, -2.0, 0.0]])
    for name, mat in (
        ("scale_tril", np.linalg.cholesky(cov)),
        ("covariance_matrix", cov),
        ("precision_matrix", np.linalg.inv(cov)),
    ):

        @jax.jit
        def f(m, a, name=name):
            a = 0.5 * (a + a.T) if name != "scale_tril" else a
            return MultivariateNormal(m, **{name: a}).log_prob(x)

        check_grads(f, (loc, mat), order=1, modes=["rev"], eps=1e-6, atol=1e-6, rtol=1e-6)
    # closed form: d log p / d loc = S^{-1}(x - m)
    g = jax.grad(lambda m: jnp.sum(MultivariateNormal(m, covariance_matrix=cov).log_prob(x)))(loc)
    gt.assert_allclose(g, np.sum((x - loc) @ np.linalg.inv(cov), 0), rtol=1e-9)


def test_whitening_paths_agree():
    # fewer rows than d: triangular solve; at least d rows: explicit inverse and one product.
    cov = np.array([[2.0, 0.3, -0.2], [0.3, 1.0, 0.1], [-0.2, 0.1, 0.5]])
    p = MultivariateNormal(np.zeros(3), covariance_matrix=cov)
    x = np.random.default_rng(0).normal(size=(8, 3))
    few = np.concatenate([np.asarray(p.log_prob(x[i : i + 2])) for i in range(0, 8, 2)])
    gt.assert_allclose(np.asarray(p.log_prob(x)), few, rtol=1e-12)
    gt.assert_allclose(few, ss.multivariate_normal(np.zeros(3), cov).logpdf(x))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (Chebyshev and DKW bands), fixed key.
    cov = np.array([[2.0, 0.8, -0.3], [0.8, 1.0, 0.2], [-0.3, 0.2, 0.5]])
    loc = np.array([1.0, -2.0, 0.5])
    p = MultivariateNormal(loc, covariance_matrix=cov)
    n = 20_000
    x = np.asarray(p.sample(jax.random.key(0), (n,)))
    assert x.shape == (n, 3)
    gt.assert_mean_matches(x, loc, np.diag(cov))
    # E[(x_i - m_i)(x_j - m_j)] = S_ij; its variance S_ii S_jj + S_ij^2 (Isserlis).
    c = x - loc
    products = (c[:, :, None] * c[:, None, :]).reshape(n, 9)
    var = (np.diag(cov)[:, None] * np.diag(cov)[None, :] + cov**2).reshape(9)
    gt.assert_mean_matches(products, cov.reshape(9), var)
    a = np.array([0.3, -1.0, 2.0])
    gt.assert_samples_match_cdf(x @ a, ss.norm(a @ loc, np.sqrt(a @ cov @ a)).cdf)


def test_transforms_agree():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(2, 3, 3))
    covs = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    locs = rng.normal(size=(2, 3))
    xs = rng.normal(size=(2, 5, 3))
    for name, mats in (
        ("scale_tril", np.linalg.cholesky(covs)),
        ("covariance_matrix", covs),
        ("precision_matrix", np.linalg.inv(covs)),
    ):
        p = MultivariateNormal(locs, **{name: mats})
        gt.assert_transform_consistent(_log_prob_and_score, p, xs)


def _log_prob_and_score(p, x):
    return p.log_prob(x), p.score(x)


@pytest.mark.parametrize("parameterization", PARAMETERIZATIONS)
def test_float32_stays_float32(parameterization):
    cov = np.array([[2.0, 0.3], [0.3, 1.0]], np.float32)
    mats = {
        "scale_tril": np.linalg.cholesky(cov),
        "covariance_matrix": cov,
        "precision_matrix": np.linalg.inv(cov),
    }
    p = MultivariateNormal(jnp.zeros(2, jnp.float32), **{parameterization: mats[parameterization]})
    x = jnp.ones((5, 2), jnp.float32)
    for value in (p.log_prob(x), p.prob(x), p.score(x), p.entropy(), p.mean(), p.variance()):
        assert value.dtype == jnp.float32
    assert p.covariance().dtype == p.precision_matrix().dtype == p.scale_tril.dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    ref = ss.multivariate_normal(np.zeros(2), cov.astype(np.float64)).logpdf(np.ones(2))
    gt.assert_allclose(p.log_prob(x)[0], np.float32(ref), rtol=1e-6)


def test_extreme_scales_finite():
    for scale in (1e-30, 1e30):
        for dtype in (jnp.float32, jnp.float64):
            tril = jnp.asarray(scale * np.eye(2), dtype)
            p = MultivariateNormal(jnp.ones(2, dtype), scale_tril=tril)
            value = p.log_prob(jnp.ones(2, dtype))
            assert np.isfinite(value)
            gt.assert_allclose(value, np.asarray(-2 * np.log(scale) - np.log(2 * np.pi), dtype))
    p = MultivariateNormal(np.zeros(2), covariance_matrix=1e-60 * np.eye(2))
    gt.assert_allclose(p.log_prob(np.zeros(2)), np.asarray(60 * np.log(10) - np.log(2 * np.pi)))


def test_shapes_broadcast():
    rng = np.random.default_rng(2)
    a = rng.normal(size=(2, 3, 3))
    covs = a @ np.swapaxes(a, -1, -2) + np.eye(3)
    locs = rng.normal(size=(5, 1, 3))
    p = MultivariateNormal(locs, covariance_matrix=covs)
    assert p.batch_shape == (5, 2) and p.event_shape == (3,)
    x = rng.normal(size=(7, 5, 2, 3))

    @jax.jit
    def shapes(p, x, key):
        return dict(
            log_prob=p.log_prob(x),
            log_prob_one=p.log_prob(jnp.zeros(3)),
            score=p.score(jnp.zeros(3)),
            sample=p.sample(key, (4,)),
            entropy=p.entropy(),
            mean=p.mean(),
            variance=p.variance(),
            covariance=p.covariance(),
            precision=p.precision_matrix(),
        )

    out = shapes(p, x, jax.random.key(1))
    for i, j in ((0, 0), (4, 1)):
        ref = ss.multivariate_normal(locs[i, 0], covs[j]).logpdf(x[:, i, j])
        gt.assert_allclose(out["log_prob"][:, i, j], ref)
    expected = dict(
        log_prob=(7, 5, 2),
        log_prob_one=(5, 2),
        score=(5, 2, 3),
        sample=(4, 5, 2, 3),
        entropy=(5, 2),
        mean=(5, 2, 3),
        variance=(5, 2, 3),
        covariance=(5, 2, 3, 3),
        precision=(5, 2, 3, 3),
    )
    assert {k: v.shape for k, v in out.items()} == expected


def test_bad_input():
    with pytest.raises(
        ValueError, match=r"loc with shape \(3,\) and scale_tril with shape \(4, 4\)"
    ):
        MultivariateNormal(jnp.zeros(3), scale_tril=jnp.eye(4))
    with pytest.raises(ValueError, match=r"covariance_matrix with shape \(3, 2\)"):
        MultivariateNormal(jnp.zeros(3), covariance_matrix=jnp.ones((3, 2)))
    with pytest.raises(ValueError, match="exactly one"):
        MultivariateNormal(jnp.zeros(2), scale_tril=jnp.eye(2), covariance_matrix=jnp.eye(2))
    with pytest.raises(ValueError, match="exactly one"):
        MultivariateNormal(jnp.zeros(2))
    with pytest.raises(TypeError):  # the matrix is keyword-only: peers disagree on the order
        MultivariateNormal(jnp.zeros(2), jnp.eye(2))
    with pytest.raises(
        ValueError, match=r"loc with shape \(2, 3\).*scale_tril with shape \(4, 3, 3\)"
    ):
        MultivariateNormal(jnp.zeros((2, 3)), scale_tril=jnp.ones((4, 3, 3)))
    p = MultivariateNormal(jnp.zeros(3), scale_tril=jnp.eye(3))
    with pytest.raises(ValueError, match=r"x has shape \(4,\).*event_shape \(3,\)"):
        p.log_prob(jnp.zeros(4))
    q = MultivariateNormal(jnp.zeros((2, 3)), scale_tril=jnp.eye(3))
    with pytest.raises(ValueError, match=r"x with shape \(4, 3\).*batch_shape \(2,\)"):
        q.log_prob(jnp.zeros((4, 3)))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    bad = jnp.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1
    assert np.all(
        np.isnan(MultivariateNormal(jnp.zeros(2), covariance_matrix=bad).log_prob(jnp.zeros(2)))
    )
    assert np.all(
        np.isnan(MultivariateNormal(jnp.zeros(2), precision_matrix=bad).log_prob(jnp.zeros(2)))
    )
    negative = jnp.array([[-1.0, 0.0], [0.0, 1.0]])
    assert np.isnan(MultivariateNormal(jnp.zeros(2), scale_tril=negative).log_prob(jnp.zeros(2)))
    with gmath.config.checks(True):
        for name, mat, message in (
            ("covariance_matrix", bad, "covariance_matrix must be positive definite"),
            ("precision_matrix", bad, "precision_matrix must be positive definite"),
            ("scale_tril", negative, "scale_tril must have a positive diagonal"),
        ):
            with pytest.raises(gmath.config.InvalidParameterError, match=message):
                MultivariateNormal(jnp.zeros(2), **{name: mat})

        @jax.jit
        def f(c):
            return MultivariateNormal(jnp.zeros(2), covariance_matrix=c).log_prob(jnp.zeros(2))

        with pytest.raises(Exception, match="covariance_matrix must be positive definite"):
            jax.block_until_ready(f(bad))
        assert np.isfinite(f(jnp.eye(2)))


def test_pytree_through_jit_vmap_grad():
    p = MultivariateNormal(jnp.zeros(2), covariance_matrix=jnp.eye(2))
    assert len(jax.tree_util.tree_leaves(p)) == 2
    g = jax.grad(lambda p: p.log_prob(jnp.array([1.0, 2.0])))(p)
    assert isinstance(g, MultivariateNormal)
    # d/dS log p = (S^{-1} y y^T S^{-1} - S^{-1}) / 2 at S = I, y = (1, 2)
    gt.assert_allclose(g._covariance_matrix, 0.5 * (np.array([[1.0, 2.0], [2.0, 4.0]]) - np.eye(2)))
    gt.assert_allclose(g.loc, np.array([1.0, 2.0]))
    stacked = jax.tree_util.tree_map(lambda v: jnp.stack([v, 2 * v]), p)
    out = jax.vmap(lambda q: q.entropy())(stacked)
    gt.assert_allclose(out, np.array([1 + np.log(2 * np.pi), 1 + np.log(2 * np.pi) + np.log(2)]))


def test_signature_shows_only_public_parameters():
    # the underscored stored fields are for pytree unflattening only
    sig = inspect.signature(MultivariateNormal)
    assert list(sig.parameters) == ["loc", "scale_tril", "covariance_matrix", "precision_matrix"]
    assert all(
        sig.parameters[n].kind is inspect.Parameter.KEYWORD_ONLY
        for n in ("scale_tril", "covariance_matrix", "precision_matrix")
    )
    # flattening still round-trips every way of giving the matrix
    cov = jnp.array([[2.0, 0.5], [0.5, 1.0]])
    x = jnp.array([0.3, -0.7])
    for kw in ("scale_tril", "covariance_matrix", "precision_matrix"):
        matrix = {"scale_tril": jnp.linalg.cholesky(cov), "precision_matrix": jnp.linalg.inv(cov)}
        p = MultivariateNormal(jnp.zeros(2), **{kw: matrix.get(kw, cov)})
        leaves, tree = jax.tree_util.tree_flatten(p)
        q = jax.tree_util.tree_unflatten(tree, leaves)
        assert len(leaves) == 2
        np.testing.assert_allclose(q.log_prob(x), p.log_prob(x), rtol=1e-14)
        want = -0.5 * x @ jnp.linalg.solve(cov, x) - 0.5 * jnp.log(jnp.linalg.det(2 * jnp.pi * cov))
        np.testing.assert_allclose(jax.jit(lambda d: d.log_prob(x))(p), want, rtol=1e-12)
