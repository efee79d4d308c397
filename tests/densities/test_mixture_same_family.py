"""MixtureSameFamily over Normal and over MultivariateNormalDiag components: log_prob against a
hand logsumexp of scipy densities, CDFs against the weighted scipy sums, normalisation, mean and
variance by quadrature and by the laws of total expectation/variance, score = grad(log_prob) =
the responsibility-weighted closed form, icdf round trip, samples (DKW, Chebyshev), the Monte
Carlo entropy against quadrature, broadcasting, transforms, float32 and bad input."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Categorical, MixtureSameFamily, MultivariateNormalDiag, Normal

import _univariate as uv


def _parts(p):
    w = sp.softmax(np.asarray(p.mixture_logits), axis=-1)
    return w, np.asarray(p.components.loc), np.asarray(p.components.scale)


@jax.jit
def _summary(p, x):
    return dict(
        log_prob=p.log_prob(x),
        cdf=p.cdf(x),
        log_cdf=p.log_cdf(x),
        log_survival=p.log_survival(x),
        score=p.score(x),
        grad=jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        responsibilities=p.responsibilities(x),
        mean=p.mean(),
        variance=p.variance(),
    )


@given(p=gt.mixtures_of_normals(batch_shape=(2,)), data=st.data())
def test_matches_hand_logsumexp_and_scipy(p, data):
    x = data.draw(gt.finite_arrays(shape=(5, 2), min_value=-15, max_value=15))
    out = _summary(p, x)
    w, loc, scale = _parts(p)
    comp = ss.norm(loc, scale)  # batch (2, K)
    xk = x[..., None]
    log_joint = np.log(w) + comp.logpdf(xk)
    gt.assert_allclose(out["log_prob"], sp.logsumexp(log_joint, axis=-1))
    gt.assert_allclose(out["cdf"], np.sum(w * comp.cdf(xk), -1), atol=1e-300)
    # log F near 0 from log1p(-survival), elsewhere a logsumexp of the components' log-CDFs
    cdf, sf = np.sum(w * comp.cdf(xk), -1), np.sum(w * comp.sf(xk), -1)
    log_cdf = np.where(
        sf < 0.5, np.log1p(-np.minimum(sf, 0.5)), sp.logsumexp(np.log(w) + comp.logcdf(xk), -1)
    )
    log_sf = np.where(
        cdf < 0.5, np.log1p(-np.minimum(cdf, 0.5)), sp.logsumexp(np.log(w) + comp.logsf(xk), -1)
    )
    gt.assert_allclose(out["log_cdf"], log_cdf, atol=1e-300)
    gt.assert_allclose(out["log_survival"], log_sf, atol=1e-300)
    # s(x) = sum_k r_k(x) (-(x - m_k) / s_k^2), r = softmax(log w_k + log N_k(x))
    r = sp.softmax(log_joint, axis=-1)
    gt.assert_allclose(out["responsibilities"], r, atol=1e-300)
    closed = np.sum(r * (-(xk - loc) / scale**2), -1)
    gt.assert_allclose(out["score"], closed, rtol=1e-9, atol=1e-12)
    gt.assert_allclose(out["grad"], closed, rtol=1e-9, atol=1e-12)
    mean = np.sum(w * loc, -1)
    gt.assert_allclose(out["mean"], mean, atol=1e-300)
    gt.assert_allclose(out["variance"], np.sum(w * (scale**2 + (loc - mean[:, None]) ** 2), -1))


@given(p=gt.mixtures_of_normals(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    _, loc, scale = _parts(p)
    lo = np.min(loc - 40 * scale, -1)
    hi = np.max(loc + 40 * scale, -1)
    density = lambda x: np.exp(np.asarray(uv.log_prob(p, x)))
    kw = dict(num_nodes=100, num_panels=16)
    mass = gt.gauss_legendre_integral(density, lo, hi, **kw)
    mean = np.asarray(p.mean())
    first = gt.gauss_legendre_integral(lambda x: (x - mean) * density(x), lo, hi, **kw)
    second = gt.gauss_legendre_integral(lambda x: (x - mean) ** 2 * density(x), lo, hi, **kw)
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first, np.zeros(2), atol=1e-10 * float(np.max(scale)))
    gt.assert_allclose(second, np.asarray(p.variance()))


@jax.jit
def _icdf_round_trip(p, u):
    x, vjp = jax.vjp(p.icdf, u)  # elementwise in u: the VJP with ones is dx_i/du_i
    return p.cdf(x), x, vjp(jnp.ones_like(x))[0]


@given(p=gt.mixtures_of_normals(batch_shape=(2,)), u=st.floats(1e-10, 1 - 1e-10))
def test_cdf_inverts_icdf(p, u):
    u = np.full(2, u)
    cdf, x, dxdu = _icdf_round_trip(p, u)
    gt.assert_allclose(cdf, u, rtol=1e-9 if u[0] > 1e-3 else 1e-7)
    # implicit function theorem: dx/du = 1/p(x). (Deep in a tail x itself is only determined
    # to about eps / p(x), which moves p(x) by |score| eps / p(x): check where that is small.)
    if 1e-6 < u[0] < 1 - 1e-6:
        gt.assert_allclose(dxdu, 1 / np.exp(np.asarray(uv.log_prob(p, x))), rtol=1e-8)


def test_icdf_parameter_gradient_matches_finite_differences():
    def f(shift):
        comp = Normal(jnp.array([-1.0, 2.0]) + shift, jnp.array([0.5, 1.5]))
        return MixtureSameFamily(jnp.array([0.2, -0.4]), comp).icdf(0.3)

    def g(scale):
        comp = Normal(jnp.array([-1.0, 2.0]), jnp.array([0.5, 1.5]) * scale)
        return MixtureSameFamily(jnp.array([0.2, -0.4]), comp).icdf(0.3)

    value_and_grads = jax.jit(lambda v: (f(v), g(1.0 + v), jax.grad(f)(v), jax.grad(g)(1.0 + v)))
    h = 1e-6
    (_, _, df, dg), (fp, gp, _, _), (fm, gm, _, _) = map(value_and_grads, (0.0, h, -h))
    gt.assert_allclose(df, np.asarray(1.0), rtol=1e-7)  # a shift moves every quantile by 1
    gt.assert_allclose(df, (fp - fm) / (2 * h), rtol=1e-7)
    gt.assert_allclose(dg, (gp - gm) / (2 * h), rtol=1e-6)


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = MixtureSameFamily(
        jnp.array([0.0, 1.0, -1.0]), Normal(jnp.array([-3.0, 0.0, 4.0]), jnp.array([1.0, 0.5, 2.0]))
    )
    x = np.asarray(p.sample(jax.random.key(0), (20_000,)))
    gt.assert_samples_match_cdf(x, lambda v: np.asarray(p.cdf(v)))
    gt.assert_mean_matches(x, p.mean(), p.variance())


def test_entropy_estimate_against_quadrature():
    p = MixtureSameFamily(
        jnp.array([0.0, 1.0]), Normal(jnp.array([-2.0, 1.0]), jnp.array([1.0, 0.5]))
    )
    with pytest.raises(NotImplementedError, match="entropy_estimate"):
        p.entropy()
    with pytest.raises(NotImplementedError, match="mode"):
        p.mode()
    density = lambda x: np.exp(np.asarray(p.log_prob(x)))
    exact = gt.gauss_legendre_integral(
        lambda x: -density(x) * np.asarray(p.log_prob(x)), -30.0, 30.0, num_panels=16
    )
    est = jax.jit(p.entropy_estimate, static_argnums=1)(jax.random.key(1), 20_000)
    assert isinstance(est, gmath._estimate.Estimate)
    # asymptotically normal: |error| > 5 stderr has probability below 1e-6
    assert abs(float(est.value) - float(exact)) < 5 * float(est.stderr)
    assert 0 < float(est.stderr) < 0.02


# ---------------------------------------------------------------------- vector components
def _diag_mixture():
    rng = np.random.default_rng(0)
    loc = rng.normal(size=(2, 3, 4))  # batch 2, K = 3, d = 4
    scale = rng.uniform(0.5, 2.0, size=(2, 3, 4))
    logits = rng.normal(size=(2, 3))
    return MixtureSameFamily(logits, MultivariateNormalDiag(loc, scale)), logits, loc, scale


def test_vector_components():
    p, logits, loc, scale = _diag_mixture()
    assert p.batch_shape == (2,) and p.event_shape == (4,)
    x = np.random.default_rng(1).normal(size=(5, 2, 4))
    w = sp.softmax(logits, -1)
    comp = [
        [ss.multivariate_normal(loc[b, k], np.diag(scale[b, k] ** 2)) for k in range(3)]
        for b in range(2)
    ]
    log_joint = np.stack(
        [
            np.stack([np.log(w[b, k]) + comp[b][k].logpdf(x[:, b]) for k in range(3)], -1)
            for b in range(2)
        ],
        1,
    )
    out = jax.jit(lambda p, x: (p.log_prob(x), p.score(x)))(p, x)
    gt.assert_allclose(out[0], sp.logsumexp(log_joint, -1))
    r = sp.softmax(log_joint, -1)[..., None]
    closed = np.sum(r * (-(x[:, :, None] - loc) / scale**2), -2)
    gt.assert_allclose(out[1], closed, rtol=1e-9, atol=1e-12)
    gt.assert_allclose(out[1], _grad_log_prob(p, x), rtol=1e-9, atol=1e-12)
    mean = np.sum(w[..., None] * loc, -2)
    gt.assert_allclose(p.mean(), mean)
    centred = loc - mean[:, None]
    gt.assert_allclose(p.variance(), np.sum(w[..., None] * (scale**2 + centred**2), -2))
    cov = np.einsum("bk,bkij->bij", w, np.eye(4) * (scale**2)[..., None]) + np.einsum(
        "bk,bki,bkj->bij", w, centred, centred
    )
    gt.assert_allclose(p.covariance(), cov)
    with pytest.raises(NotImplementedError, match="univariate"):
        p.cdf(x)


_grad_log_prob = jax.jit(lambda p, x: jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x))


def test_vector_samples_match_moments():
    # Chebyshev bands on mean and per-coordinate variance, false-failure probability 1e-6.
    p, *_ = _diag_mixture()
    n = 20_000
    x = np.asarray(p.sample(jax.random.key(2), (n,)))
    assert x.shape == (n, 2, 4)
    mean, var = np.asarray(p.mean()), np.asarray(p.variance())
    gt.assert_mean_matches(x, mean, var)
    # Var[(X - m)^2] <= E[(X - m)^4]: bound it by the mixture's fourth central moment.
    _, _, loc, scale = _diag_mixture()
    w = sp.softmax(np.asarray(p.mixture_logits), -1)[..., None]
    c = loc - mean[:, None]
    fourth = np.sum(w * (c**4 + 6 * c**2 * scale**2 + 3 * scale**4), -2)
    gt.assert_mean_matches((x - mean) ** 2, var, fourth)


def test_broadcast_batches_sample_independently():
    # logits batch (3,) over shared components: each batch element draws its own sample
    p = MixtureSameFamily(jnp.zeros((2, 3, 2)), Normal(jnp.array([[[0.0, 5.0]]]), 1.0))
    q = MixtureSameFamily(jnp.zeros(2), Normal(jnp.zeros((3, 2)), 1.0))
    assert p.batch_shape == (2, 3) and q.batch_shape == (3,)

    @jax.jit
    def run(p, q, key):
        x = p.sample(key, (4,))
        return x, p.log_prob(x), p.mean(), q.sample(key)

    x, log_prob, mean, y = map(np.asarray, run(p, q, jax.random.key(0)))
    assert x.shape == log_prob.shape == (4, 2, 3)
    assert len(np.unique(x)) == x.size
    gt.assert_allclose(mean, np.full((2, 3), 2.5))
    assert len(np.unique(y)) == 3


def test_float32_stays_float32():
    comp = Normal(jnp.array([-1.0, 1.0], jnp.float32), jnp.array([1.0, 2.0], jnp.float32))
    p = MixtureSameFamily(jnp.zeros(2, jnp.float32), comp)
    x = jnp.linspace(-2, 2, 5, dtype=jnp.float32)
    methods = ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival")

    @jax.jit
    def everything(p, x, key):
        out = {m: getattr(p, m)(x) for m in methods}
        out.update(icdf=p.icdf(jnp.float32(0.3)), mean=p.mean(), variance=p.variance())
        out.update(sample=p.sample(key, (3,)), entropy=p.entropy_estimate(key, 10).value)
        return out

    for name, value in everything(p, x, jax.random.key(0)).items():
        assert value.dtype == jnp.float32, name


def test_removed_component_and_outside_support():
    p = MixtureSameFamily(jnp.array([0.0, -jnp.inf]), Normal(jnp.array([0.0, 100.0]), 1.0))
    gt.assert_allclose(p.log_prob(jnp.array([0.5, 100.0])), ss.norm.logpdf([0.5, 100.0]))
    assert np.isfinite(p.score(100.0))


def test_bad_input():
    with pytest.raises(TypeError, match="components must be a distribution"):
        MixtureSameFamily(jnp.zeros(2), jnp.zeros(2))
    with pytest.raises(ValueError, match=r"mixture_logits with shape \(3,\).*2 components"):
        MixtureSameFamily(jnp.zeros(3), Normal(jnp.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"batch_shape \(\)"):
        MixtureSameFamily(jnp.zeros(1), Normal(0.0, 1.0))
    with pytest.raises(ValueError, match=r"do not broadcast"):
        MixtureSameFamily(jnp.zeros((4, 2)), Normal(jnp.zeros((3, 2)), 1.0))
    p = MixtureSameFamily(jnp.zeros((3, 2)), Normal(jnp.zeros(2), 1.0))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        p.log_prob(jnp.zeros(4))
    q, *_ = _diag_mixture()
    with pytest.raises(ValueError, match=r"event_shape \(4,\)"):
        q.log_prob(jnp.zeros(3))
    with pytest.raises(ValueError, match="num_samples"):
        q.entropy_estimate(jax.random.key(0), 1)


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    comp = Normal(jnp.zeros(2), jnp.array([1.0, -1.0]))
    assert np.isnan(MixtureSameFamily(jnp.zeros(2), comp).log_prob(0.0))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            MixtureSameFamily(jnp.zeros(2), Normal(jnp.zeros(2), jnp.array([1.0, -1.0])))
        with pytest.raises(gmath.config.InvalidParameterError, match="mixture_logits"):
            MixtureSameFamily(jnp.array([0.0, jnp.nan]), Normal(jnp.zeros(2), 1.0))

        @jax.jit
        def f(logits):
            return MixtureSameFamily(logits, Normal(jnp.zeros(2), 1.0)).log_prob(0.0)

        with pytest.raises(Exception, match="mixture_logits"):
            jax.block_until_ready(f(jnp.full(2, -jnp.inf)))


def test_categorical_mixing_distribution():
    # a Categorical record as the mixing law (given by probs or by logits) is the mixture with
    # its log-probabilities: log p(x) = logsumexp_k(log pi_k + log N(x; mu_k, s_k))
    probs = np.array([[0.2, 0.5, 0.3], [0.6, 0.1, 0.3]])
    loc, scale = np.array([-1.0, 0.5, 3.0]), np.array([0.5, 1.0, 2.0])
    x = np.array([[-0.7], [2.2], [9.0]])  # sample_shape (3, 1) against batch (2,)
    want = sp.logsumexp(np.log(probs) + ss.norm.logpdf(x[..., None], loc, scale), axis=-1)
    for mixing in (Categorical(probs=jnp.asarray(probs)), Categorical(jnp.log(probs) + 4.0)):
        p = MixtureSameFamily(mixing, Normal(jnp.asarray(loc), jnp.asarray(scale)))
        assert p.batch_shape == (2,)
        gt.assert_allclose(p.log_prob(jnp.asarray(x)), want, rtol=1e-13)
        gt.assert_allclose(jax.jit(lambda d: d.log_prob(jnp.asarray(x)))(p), want, rtol=1e-13)
    # an invalid Categorical (probs not summing to 1) makes every method NaN
    bad = MixtureSameFamily(Categorical(probs=jnp.array([0.5, 0.9])), Normal(jnp.zeros(2), 1.0))
    assert np.isnan(bad.log_prob(0.0)) and np.isnan(bad.mean())
    with pytest.raises(TypeError, match="Categorical"):
        MixtureSameFamily(Normal(0.0, 1.0), Normal(jnp.zeros(2), 1.0))
