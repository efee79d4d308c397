"""Beta: scipy.stats in float64, quadrature, score, quantile round trips, samples, transforms,
edges."""

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
from gmath.densities import Beta

import _univariate as uv

EPS = np.finfo(np.float64).eps


def _scipy(p):
    return ss.beta(np.asarray(p.concentration1), np.asarray(p.concentration0))


_icdf = jax.jit(lambda p, u: p.icdf(u))
_cdf = jax.jit(lambda p, x: (p.cdf(x), p.log_survival(x)))

QUANTILES = gt.finite_arrays(shape=(3,), min_value=1e-6, max_value=1 - 1e-6)


@given(p=gt.betas(batch_shape=(3,)), u=QUANTILES)
def test_matches_scipy(p, u):
    ref = _scipy(p)
    x = ref.ppf(u)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    a, b = np.asarray(p.concentration1), np.asarray(p.concentration0)
    # log_prob crosses zero: allow the rounding of its largest term.
    with np.errstate(divide="ignore"):  # x may round to 0 or 1, where log_prob is infinite
        terms = 1 + np.abs((a - 1) * np.log(x)) + np.abs((b - 1) * np.log1p(-x))
        terms = terms + np.abs(sp.gammaln(a))
    atol = 1e-13 * np.max(terms, where=np.isfinite(terms), initial=1.0)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=atol)
    gt.assert_allclose(cdf, ref.cdf(x))
    gt.assert_allclose(log_cdf, ref.logcdf(x))
    gt.assert_allclose(log_survival, ref.logsf(x))
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    expected_mode = np.where(
        (a > 1) & (b > 1),
        (a - 1) / np.where((a > 1) & (b > 1), a + b - 2, 1),
        np.where(a <= 1, np.where(b > 1, 0.0, np.nan), np.where(a > 1, 1.0, np.nan)),
    )
    gt.assert_allclose(mode, expected_mode)


@given(
    p=st.builds(
        Beta,
        gt.positive_arrays(shape=(2,), min_value=0.2, max_value=20.0),
        # concentration0 >= 1: for concentration0 < 1 a visible share of the mass lies within one
        # float spacing of x = 1 (e.g. (1e-16)^0.2 ~ 6e-4), which no evaluation at a float x
        # can resolve; near 0 the floats are fine, so concentration1 keeps its full range.
        gt.positive_arrays(shape=(2,), min_value=1.0, max_value=20.0),
    )
)
def test_normalised_with_quadrature_moments(p):
    # Integrate over t = logit(x): smooth, with algebraic endpoint singularities removed. The mass
    # beyond |t| = T is at most e^{-a T}/(a B) + e^{-b T}/(b B) (p(x) <= x^(a-1)(1-x)^(b-1)/B);
    # T is chosen so that it is below 1e-20.
    a, b = np.asarray(p.concentration1), np.asarray(p.concentration0)
    log_b = sp.betaln(a, b)
    t_lo = (np.log(1e-20) + np.log(a) + log_b) / a
    t_hi = -(np.log(1e-20) + np.log(b) + log_b) / b
    mean, var = np.asarray(p.mean()), np.asarray(p.variance())

    def moment(fn):
        def integrand(t):
            x = sp.expit(t)
            jac = -np.logaddexp(0, -t) - np.logaddexp(0, t)  # log x(1 - x)
            return fn(x) * np.exp(np.asarray(uv.log_prob(p, x)) + jac)

        return gt.gauss_legendre_integral(integrand, t_lo, t_hi, num_nodes=100, num_panels=8)

    gt.assert_allclose(moment(lambda x: 1.0), np.ones(2))
    gt.assert_allclose(moment(lambda x: x), mean)
    gt.assert_allclose(moment(lambda x: (x - mean) ** 2), var)


@given(p=gt.betas(batch_shape=(3,)), u=st.floats(1e-300, 1 - 1e-6))
def test_cdf_inverts_icdf(p, u):
    u = jnp.full(3, u)
    x = np.asarray(_icdf(p, u))
    cdf, log_survival = map(np.asarray, _cdf(p, x))
    normal = x >= np.finfo(np.float64).tiny  # smaller quantiles round to 0
    assert np.all(normal | (x == 0))
    if u[0] <= 0.5:  # condition 1 in u
        gt.assert_allclose(cdf[normal], np.asarray(u)[normal], rtol=1e-12)
    else:
        # in 1 - u, with the rounding of x near 1: relative spacing eps / (1 - x), amplified by b.
        b = np.asarray(p.concentration0)
        below_one = x < 1  # where x rounds to 1 the upper tail is lost to the representation
        spacing = np.maximum(b[below_one], 1) * EPS / (1 - x[below_one])
        rtol = 1e-12 + 4 * np.max(spacing, initial=0.0)
        gt.assert_allclose(np.exp(log_survival)[below_one], 1 - np.asarray(u)[below_one], rtol=rtol)
    if 1e-12 <= u[0] <= 1 - 1e-12:
        gt.assert_allclose(x, _scipy(p).ppf(np.asarray(u)), rtol=1e-9)


_icdf_grads = jax.jit(jax.vmap(jax.grad(lambda a, b, u: Beta(a, b).icdf(u), argnums=(0, 1, 2))))
_cdf_grads = jax.jit(jax.vmap(jax.grad(lambda a, b, x: Beta(a, b).cdf(x), argnums=(0, 1, 2))))


def test_cdf_and_icdf_derivatives_match_finite_differences():
    # d/da, d/db of I_x(a, b) by differentiating the continued fraction; d/du of the quantile
    # by the implicit function theorem. Central differences of scipy at h = 1e-6 relative are
    # accurate to ~1e-9.
    a, b = np.array([0.3, 2.5, 15.0, 200.0]), np.array([2.0, 0.5, 3.0, 300.0])
    u = np.array([0.2, 0.7, 1e-5, 0.4])
    x = ss.beta(a, b).ppf(u)
    ha, hb = 1e-6 * a, 1e-6 * b
    da, db, dx = _cdf_grads(a, b, x)
    gt.assert_allclose(
        da, (sp.betainc(a + ha, b, x) - sp.betainc(a - ha, b, x)) / (2 * ha), rtol=1e-8
    )
    gt.assert_allclose(
        db, (sp.betainc(a, b + hb, x) - sp.betainc(a, b - hb, x)) / (2 * hb), rtol=1e-8
    )
    gt.assert_allclose(dx, ss.beta(a, b).pdf(x))
    qa, qb, qu = _icdf_grads(a, b, u)
    ppf = lambda a, b: ss.beta(a, b).ppf(u)
    gt.assert_allclose(qa, (ppf(a + ha, b) - ppf(a - ha, b)) / (2 * ha), rtol=1e-8)
    gt.assert_allclose(qb, (ppf(a, b + hb) - ppf(a, b - hb)) / (2 * hb), rtol=1e-8)
    gt.assert_allclose(qu, 1 / ss.beta(a, b).pdf(x))


def test_samples_match_distribution_and_pathwise_gradient():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Beta(jnp.array([0.3, 2.0, 15.0]), jnp.array([1.0, 0.5, 4.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 3)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(3):
        ref = ss.beta(float(p.concentration1[i]), float(p.concentration0[i]))
        gt.assert_samples_match_cdf(x[:, i], ref.cdf)
    # samples are differentiable in the parameters (implicit reparameterisation through gammas)
    g = jax.grad(lambda a: jnp.sum(Beta(a, 2.0).sample(jax.random.key(1), (4,))))(1.5)
    assert np.isfinite(g)


@pytest.mark.parametrize("method", ["log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"])
def test_float32_stays_float32(method):
    p = Beta(jnp.float32(2.5), jnp.float32(2.0))
    assert getattr(p, method)(jnp.linspace(0.1, 0.9, 5, dtype=jnp.float32)).dtype == jnp.float32
    if method == "log_prob":
        assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
        for m in ("entropy", "mean", "variance", "mode"):
            assert getattr(p, m)().dtype == jnp.float32
        u = jnp.float32(0.3)
        assert p.icdf(u).dtype == jnp.float32
        gt.assert_allclose(p.cdf(p.icdf(u)), u, rtol=4 * float(jnp.finfo(jnp.float32).eps))


def test_outside_support_and_boundary():
    x = jnp.array([-1.0, -1e-300, 1.0 + 1e-15, 2.0])
    p = Beta(2.0, 3.0)
    assert np.all(np.isneginf(p.log_prob(x)))
    np.testing.assert_array_equal(p.cdf(x), np.array([0.0, 0.0, 1.0, 1.0]))
    np.testing.assert_array_equal(uv.score_and_grad(p, x)[1], np.zeros(4))
    grads = jax.grad(lambda q: jnp.sum(q.log_prob(x)))(p)
    assert grads.concentration1 == 0.0 and grads.concentration0 == 0.0
    at_zero = np.array([float(Beta(a, 3.0).log_prob(0.0)) for a in (0.5, 1.0, 2.0)])
    gt.assert_allclose(at_zero, np.array([np.inf, np.log(3.0), -np.inf]))
    gt.assert_allclose(Beta(2.0, 3.0).icdf(jnp.array([0.0, 1.0])), np.array([0.0, 1.0]))


def test_extreme_parameters():
    for a, b in ((1e-3, 1e-3), (1e4, 1e4), (1e-3, 1e4)):
        p = Beta(a, b)
        x = min(max(a / (a + b), 1e-300), 0.5)
        assert np.isfinite(p.log_prob(x))
        gt.assert_allclose(p.log_prob(x), np.asarray(ss.beta(a, b).logpdf(x)), rtol=1e-9)
        assert np.isfinite(p.entropy())


def test_shapes_broadcast_and_bad_input():
    p = Beta(jnp.ones((2, 1)), jnp.ones(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.full((5, 2, 3), 0.5))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3) and jax.eval_shape(
        lambda: p.icdf(0.5)
    ).shape == (2, 3)
    with pytest.raises(
        ValueError, match=r"concentration1 with shape \(2,\).*concentration0 with shape \(3,\)"
    ):
        Beta(jnp.ones(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Beta(jnp.ones(3), 1.0).log_prob(jnp.ones(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    for a, b in ((-1.5, 1.0), (1.0, -2.0)):
        p = Beta(a, b)
        for value in (p.log_prob(0.5), p.cdf(0.5), p.entropy(), p.mean(), p.icdf(0.5)):
            assert np.isnan(value)
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="concentration1 must be"):
            Beta(-1.0, 1.0)

        @jax.jit
        def f(b):
            return Beta(1.0, b).log_prob(0.5)

        with pytest.raises(Exception, match="concentration0 must be positive"):
            jax.block_until_ready(f(-1.0))
        assert np.isfinite(f(1.0))


def test_pytree_gradients_closed_form():
    p = Beta(jnp.array([0.5, 3.0]), jnp.array([2.0, 0.5]))
    x = 0.3
    g = jax.grad(lambda p: jnp.sum(p.log_prob(x)))(p)
    a, b = np.asarray(p.concentration1), np.asarray(p.concentration0)
    gt.assert_allclose(g.concentration1, np.log(x) - sp.digamma(a) + sp.digamma(a + b))
    gt.assert_allclose(g.concentration0, np.log1p(-x) - sp.digamma(b) + sp.digamma(a + b))


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py worst point before the saddle-point form: x = 0.668,
    # concentration1 = 14.5, concentration0 = 7.53 (5.5 excess bits).
    a = np.array([2.5, 5.8, 9.9, 14.5, 20.0])[:, None, None]
    b = np.array([1.76, 2.4, 5.4, 7.53, 15.0])[None, :, None]
    x = np.linspace(0.05, 0.95, 10)[None, None, :]
    gt.assert_float32_excess_bits(
        lambda x, a, b: Beta(a, b).log_prob(x),
        lambda x, a, b: ss.beta.logpdf(x, a, b),
        [v.ravel() for v in np.broadcast_arrays(x, a, b)],
        differentiable=(0, 1, 2),
    )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_huge_concentrations_cdf_and_gradient(dtype):
    """Beta(1e8, 1e8): cdf(0.5) = 1/2 exactly by symmetry (was 0.6149, f32 1.3057, with
    log_survival +0.267); the derivatives in the concentrations against central differences of
    Boost's ibeta (scipy), where the continued fraction cannot converge either."""
    p = Beta(dtype(1e8), dtype(1e8))
    eps = float(np.finfo(dtype).eps)
    assert float(p.cdf(dtype(0.5))) == pytest.approx(0.5, abs=4 * eps)
    assert float(p.log_survival(dtype(0.5))) == pytest.approx(-np.log(2), rel=4 * eps)
    assert float(p.log_cdf(dtype(0.5))) == pytest.approx(-np.log(2), rel=4 * eps)
    a, b, x = (np.array(v) for v in ([1e8, 2e4, 2e4], [1e8, 3e4, 3e4], [0.5, 0.4, 0.401]))
    x = x.astype(dtype).astype(np.float64)
    da, db, _ = _cdf_grads(*(jnp.asarray(v, dtype) for v in (a, b, x)))
    h = 1e-3 * np.sqrt(a)  # I_x varies on the scale sqrt(a) in a and b
    fda = (sp.betainc(a + h, b, x) - sp.betainc(a - h, b, x)) / (2 * h)
    fdb = (sp.betainc(a, b + h, x) - sp.betainc(a, b - h, x)) / (2 * h)
    # central differences: truncation (h / sqrt(a))^2 ~ 1e-6 relative
    np.testing.assert_allclose(np.asarray(da, np.float64), fda, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(db, np.float64), fdb, rtol=1e-5)


def _mp_beta_entropy(a, b):
    import mpmath as mp

    with mp.workdps(50):
        a, b = mp.mpf(a), mp.mpf(b)
        return float(
            mp.log(mp.beta(a, b))
            - (a - 1) * mp.digamma(a)
            - (b - 1) * mp.digamma(b)
            + (a + b - 2) * mp.digamma(a + b)
        )


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entropy_huge_and_tiny_concentrations(dtype):
    """Stirling-form entropy: float32 Beta(1e6, 1e6) was -6.0 (mpmath -6.5285); within 16 ulps
    of (1 + |H|)."""
    a = np.array([1e6, 1e8, 1.0, 0.5, 1e-3, 7.9, 1e30, 1e-20])
    b = np.array([1e6, 1.0, 1e8, 3.0, 1e4, 8.1, 1e30, 1.0])
    a, b = (v.astype(dtype).astype(np.float64) for v in (a, b))
    ref = np.array([_mp_beta_entropy(p, q) for p, q in zip(a, b, strict=True)])
    out = np.asarray(Beta(jnp.asarray(a, dtype), jnp.asarray(b, dtype)).entropy())
    assert out.dtype == dtype
    # float64: 1e-12 of (1 + |H|) (digamma and log-gamma below the series' switch carry a few
    # ulps of terms up to ~10 times |H|); float32: 16 ulps of (1 + |H|)
    tol = 1e-12 if dtype == np.float64 else 16 * float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), tol * (1 + np.abs(ref)))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_cdf_and_log_survival_derivatives_at_the_ends(dtype):
    """d/dx log I_x(a, b) = p(x)/I_x ~ a/x -> +inf as x -> 0+, so log_cdf at x = 0 has
    derivative +inf in x (it was NaN) and 0 in a and b (the value is -inf for every a, b);
    log_survival at x = 1 mirrors it (d/dx = -inf). Below 0 and above 1 the values are
    constants with zero derivatives, at +-inf too (the parameter derivatives there were NaN)."""
    params = [(0.5, 2.0), (1.0, 1.0), (2.0, 3.0), (1e-30, 1.0), (30.0, 0.5)]
    a, b = (jnp.asarray(np.array(v, dtype)) for v in zip(*params, strict=True))
    cases = (  # (method, x, value, d/dx); d/da = d/db = 0 in every case
        ("log_cdf", 0.0, -np.inf, np.inf),
        ("log_cdf", -0.5, -np.inf, 0.0),
        ("log_cdf", 1.5, 0.0, 0.0),
        ("log_cdf", -np.inf, -np.inf, 0.0),
        ("log_cdf", np.inf, 0.0, 0.0),
        ("log_survival", 1.0, -np.inf, -np.inf),
        ("log_survival", 1.5, -np.inf, 0.0),
        ("log_survival", -0.5, 0.0, 0.0),
        ("log_survival", np.inf, -np.inf, 0.0),
        ("log_survival", -np.inf, 0.0, 0.0),
    )
    methods = ("log_cdf", "log_survival")

    def log_cdf(x, a, b):
        return Beta(a, b).log_cdf(x)

    def log_survival(x, a, b):
        return Beta(a, b).log_survival(x)

    def both(x, a, b):
        return tuple(
            jax.value_and_grad(f, argnums=(0, 1, 2))(x, a, b) for f in (log_cdf, log_survival)
        )

    # one compilation: both methods at every x (rows) and every (a, b) (columns)
    grads = jax.jit(jax.vmap(jax.vmap(both, (None, 0, 0)), (0, None, None)))
    out = jax.tree.map(np.asarray, grads(jnp.asarray(np.array([c[1] for c in cases], dtype)), a, b))
    n = len(params)
    for i, (method, _, value, dx) in enumerate(cases):
        got, (gx, ga, gb) = out[methods.index(method)]
        assert got.dtype == dtype
        np.testing.assert_array_equal(got[i], np.full(n, value))
        np.testing.assert_array_equal(gx[i], np.full(n, dx))
        np.testing.assert_array_equal(ga[i], np.zeros(n))
        np.testing.assert_array_equal(gb[i], np.zeros(n))
