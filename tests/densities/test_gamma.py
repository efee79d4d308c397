"""Gamma: scipy.stats in float64, quadrature, score, quantile round trips and implicit
derivatives, samples, transforms, edges."""

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Gamma

import _univariate as uv


def _scipy(p):
    return ss.gamma(np.asarray(p.concentration), scale=1 / np.asarray(p.rate))


_icdf = jax.jit(lambda p, u: p.icdf(u))
_cdf = jax.jit(lambda p, x: p.cdf(x))


@given(
    p=gt.gammas(batch_shape=(3,)),
    u=gt.finite_arrays(shape=(3,), min_value=1e-6, max_value=1 - 1e-6),
)
def test_matches_scipy(p, u):
    ref = _scipy(p)
    x = ref.ppf(u)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    a, b = np.asarray(p.concentration), np.asarray(p.rate)
    # log_prob crosses zero: allow the rounding of its largest term, ~1e-13 absolute. The oracle
    # is b p_Z(b x) with Z ~ Gamma(a, 1): scipy's own form, log p_Z(x / scale) - log(scale) with
    # scale = 1/b, inherits an absolute error |b x - a| eps from rounding 1/b, which is not
    # relative to the terms (Gamma(1, 1.000001) at x = 1e-6: log p = -1e-12, off by 2e-5).
    terms = np.abs(a * np.log(b)) + np.abs((a - 1) * np.log(x)) + b * x + np.abs(sp.gammaln(a))
    gt.assert_allclose(log_prob, ss.gamma.logpdf(b * x, a) + np.log(b), atol=1e-13 * terms.max())
    gt.assert_allclose(cdf, ref.cdf(x))
    sf_ref = ref.sf(x)
    with np.errstate(divide="ignore"):  # same for logcdf where cdf ~ 1
        logcdf_ref = np.where(sf_ref < 0.5, np.log1p(-sf_ref), ref.logcdf(x))
    gt.assert_allclose(log_cdf, logcdf_ref)
    # scipy's logsf is log(sf) and loses digits where sf ~ 1 (x -> 0: log(1 - 5e-13) keeps 3
    # digits); there log1p(-cdf) of scipy's accurate lower regularised gamma is the oracle.
    cdf_ref = ref.cdf(x)
    with np.errstate(divide="ignore"):
        logsf_ref = np.where(cdf_ref < 0.5, np.log1p(-cdf_ref), ref.logsf(x))
    gt.assert_allclose(log_survival, logsf_ref)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.where(a >= 1, (a - 1) / b, 0.0))


@given(p=gt.gammas(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    # Integrate over t = log x (smooth even when concentration < 1) from z_lo to z_hi in
    # unit-rate units: P(a, z_lo) <= z_lo^a / Gamma(a + 1) = 1e-20; Q(a, 2(a + 46) + 1) < 1e-20.
    a, b = np.asarray(p.concentration), np.asarray(p.rate)
    lo = np.log((1e-20 * sp.gamma(a + 1)) ** (1 / a) / b)
    hi = np.log((2 * (a + 46) + 1) / b)
    mean, var = np.asarray(p.mean()), np.asarray(p.variance())

    def moment(fn):
        integrand = lambda t: fn(np.exp(t)) * np.exp(np.asarray(uv.log_prob(p, np.exp(t))) + t)
        return gt.gauss_legendre_integral(integrand, lo, hi, num_nodes=100, num_panels=8)

    gt.assert_allclose(moment(lambda x: 1.0), np.ones(2))
    gt.assert_allclose(moment(lambda x: x), mean)
    gt.assert_allclose(moment(lambda x: (x - mean) ** 2), var)


@given(p=gt.gammas(batch_shape=(3,)), u=st.floats(1e-300, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    u = jnp.full(3, u)
    x = np.asarray(_icdf(p, u))
    # Quantiles below the smallest normal float round to 0; elsewhere u -> cdf(icdf(u)) has
    # condition 1 (lower tail) and the round trip holds to rounding.
    normal = x >= np.finfo(np.float64).tiny
    assert np.all(normal | (x == 0))
    gt.assert_allclose(np.asarray(_cdf(p, x))[normal], np.asarray(u)[normal], rtol=1e-12)
    ref = _scipy(p).ppf(np.asarray(u))
    ok = ref >= 1e-280  # scipy's ppf is accurate where the quantile is a normal float
    gt.assert_allclose(x[ok], ref[ok], rtol=1e-9)


_icdf_grads = jax.jit(jax.vmap(jax.grad(lambda a, b, u: Gamma(a, b).icdf(u), argnums=(0, 1, 2))))


def test_icdf_implicit_derivatives_match_finite_differences():
    a = np.array([0.3, 2.5, 40.0])
    b = np.array([2.0, 0.5, 3.0])
    u = np.array([0.2, 0.7, 1e-5])
    da, db, du = _icdf_grads(a, b, u)
    ppf = lambda a: ss.gamma(a, scale=1 / b).ppf(u)
    h = 1e-6 * a
    gt.assert_allclose(da, (ppf(a + h) - ppf(a - h)) / (2 * h), rtol=1e-6)
    gt.assert_allclose(db, -ppf(a) / b)
    gt.assert_allclose(du, 1 / ss.gamma(a, scale=1 / b).pdf(ppf(a)))


def test_samples_match_distribution_and_pathwise_gradient():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = Gamma(jnp.array([0.3, 2.0, 40.0]), jnp.array([1.0, 0.5, 4.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 3)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(3):
        gt.assert_samples_match_cdf(x[:, i], _scipy(Gamma(p.concentration[i], p.rate[i])).cdf)
    # pathwise derivative dx/da = -(dP(a, b x)/da) / pdf(x) (implicit reparameterisation).
    key = jax.random.key(1)
    a, b = 1.7, 2.0
    draw = lambda a: Gamma(a, b).sample(key, (5,))
    dx = jax.jacfwd(draw)(a)
    x = draw(a)
    dcdf = jax.vmap(jax.grad(lambda a, x: Gamma(a, b).cdf(x)), (None, 0))(a, x)
    gt.assert_allclose(dx, -np.asarray(dcdf) / np.asarray(Gamma(a, b).prob(x)), rtol=1e-8)


@pytest.mark.parametrize("method", ["log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"])
def test_float32_stays_float32(method):
    p = Gamma(jnp.float32(2.5), jnp.float32(2.0))
    assert getattr(p, method)(jnp.linspace(0.1, 3, 5, dtype=jnp.float32)).dtype == jnp.float32
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    for m in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, m)().dtype == jnp.float32
    u = jnp.float32(0.3)
    assert p.icdf(u).dtype == jnp.float32
    gt.assert_allclose(p.cdf(p.icdf(u)), u, rtol=4 * float(jnp.finfo(jnp.float32).eps))
    assert Gamma(2.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


def test_outside_support_and_boundary():
    x = jnp.array([-1.0, -1e-300])
    p = Gamma(2.0, 3.0)
    assert np.all(np.isneginf(p.log_prob(x)))
    np.testing.assert_array_equal(p.cdf(x), np.zeros(2))
    np.testing.assert_array_equal(uv.score_and_grad(p, x)[1], np.zeros(2))
    grads = jax.grad(lambda q: jnp.sum(q.log_prob(x)))(p)
    assert grads.concentration == 0.0 and grads.rate == 0.0
    # at x = 0: +inf, log(rate), -inf for concentration <, =, > 1
    at_zero = [float(Gamma(a, 3.0).log_prob(0.0)) for a in (0.5, 1.0, 2.0)]
    assert at_zero == [np.inf, float(np.log(3.0)), -np.inf]
    gt.assert_allclose(Gamma(2.0, 3.0).icdf(jnp.array([0.0, 1.0])), np.array([0.0, np.inf]))


def test_deep_tails_against_mpmath():
    # P and Q underflow below ~1e-308; log_cdf/log_survival switch to log-space series/fractions.
    mp.mp.dps = 40
    cases = [(0.3, 1.0, 1e-300), (3.0, 2.0, 1e-120), (50.0, 1.0, 1e-8), (3.0, 2.0, 900.0)]
    cases += [(50.0, 1.0, 5000.0), (1e3, 1.0, 5000.0), (0.3, 1.0, 2e4)]
    a, b, x = map(np.array, zip(*cases, strict=True))
    lower = [mp.log(mp.gammainc(a_, 0, b_ * x_, regularized=True)) for a_, b_, x_ in cases[:3]]
    upper = [mp.log(mp.gammainc(a_, b_ * x_, mp.inf, regularized=True)) for a_, b_, x_ in cases[3:]]
    p = Gamma(a, b)
    gt.assert_allclose(p.log_cdf(x)[:3], np.array([float(v) for v in lower]), rtol=1e-12)
    gt.assert_allclose(p.log_survival(x)[3:], np.array([float(v) for v in upper]), rtol=1e-12)
    assert np.all(np.isfinite(jax.grad(lambda a: jnp.sum(Gamma(a, b).log_cdf(x)))(a)))


def test_extreme_parameters():
    for rate in (1e-30, 1e30):
        for dtype in (jnp.float32, jnp.float64):
            q = Gamma(jnp.asarray(2.0, dtype), jnp.asarray(rate, dtype))
            value = q.log_prob(jnp.asarray(2.0 / rate, dtype))
            assert np.isfinite(value)
            gt.assert_allclose(
                value, np.asarray(ss.gamma(2.0, scale=1 / rate).logpdf(2 / rate), dtype)
            )
    for a in (1e-3, 1e4):
        assert np.isfinite(Gamma(a, 1.0).log_prob(a))
        assert np.isfinite(Gamma(a, 1.0).entropy())


def test_shapes_broadcast_and_bad_input():
    p = Gamma(jnp.ones((2, 1)), jnp.ones(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert jax.eval_shape(lambda: p.log_prob(jnp.ones((5, 2, 3)))).shape == (5, 2, 3)
    assert jax.eval_shape(lambda: p.sample(jax.random.key(1), (4,))).shape == (4, 2, 3)
    assert jax.eval_shape(lambda: p.entropy()).shape == (2, 3) and jax.eval_shape(
        lambda: p.icdf(0.5)
    ).shape == (2, 3)
    with pytest.raises(
        ValueError, match=r"concentration with shape \(2,\).*rate with shape \(3,\)"
    ):
        Gamma(jnp.ones(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        Gamma(jnp.ones(3), 1.0).log_prob(jnp.ones(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    for a, b in ((-1.5, 1.0), (1.0, -2.0)):
        p = Gamma(a, b)
        for value in (p.log_prob(1.0), p.cdf(1.0), p.entropy(), p.mean(), p.icdf(0.5)):
            assert np.isnan(value)
    with gmath.config.checks(True):
        with pytest.raises(
            gmath.config.InvalidParameterError, match="concentration must be positive"
        ):
            Gamma(-1.0, 1.0)

        @jax.jit
        def f(b):
            return Gamma(1.0, b).log_prob(1.0)

        with pytest.raises(Exception, match="rate must be positive"):
            jax.block_until_ready(f(-1.0))
        assert np.isfinite(f(1.0))


def test_pytree_gradients_closed_form():
    p = Gamma(jnp.array([0.5, 3.0]), jnp.array([2.0, 0.5]))
    x = 1.3
    g = jax.grad(lambda p: jnp.sum(p.log_prob(x)))(p)
    a, b = np.asarray(p.concentration), np.asarray(p.rate)
    gt.assert_allclose(g.concentration, np.log(b) + np.log(x) - sp.digamma(a))
    gt.assert_allclose(g.rate, a / b - x)


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py worst points: (x, concentration, rate) = (10.3, 43.3, 4.207) before
    # the saddle-point form (6.2 excess bits), and (0.045, 0.309, 1.513) on the direct branch.
    a = np.concatenate([np.linspace(30, 50, 8), np.linspace(0.25, 3, 8)])[:, None, None]
    b = np.array([0.5, 1.513, 4.207])[None, :, None]
    x = a / b * np.linspace(0.3, 2.0, 9)
    args = [v.ravel() for v in np.broadcast_arrays(x, a, b)]
    gt.assert_float32_excess_bits(
        lambda x, a, b: Gamma(a, b).log_prob(x),
        lambda x, a, b: ss.gamma.logpdf(x, a, scale=1 / b),
        args,
        differentiable=(0, 1, 2),
    )


def _mp_gamma_entropy(a):
    with mp.workdps(50):
        a = mp.mpf(a)
        return float(a + mp.loggamma(a) + (1 - a) * mp.digamma(a))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entropy_large_and_small_concentration(dtype):
    """H = log(2 pi a)/2 + stirlerr(a) + (1 - a)(psi(a) - log a): float32 Gamma(1e6) was 8.0
    (mpmath 8.3267); within 16 ulps of (1 + |H|) (f32) from 1e-30 to 1e30."""
    a = np.array([1e-30, 1e-3, 0.5, 1.0, 7.9, 8.1, 50.0, 1e4, 1e6, 1e8, 1e30])
    a = a.astype(dtype).astype(np.float64)
    ref = np.array([_mp_gamma_entropy(v) for v in a])
    out = np.asarray(Gamma(jnp.asarray(a, dtype)).entropy())
    assert out.dtype == dtype
    # float64: 1e-12 of (1 + |H|) (digamma and log-gamma below the series' switch carry a few
    # ulps of terms up to ~10 times |H|); float32: 16 ulps of (1 + |H|)
    tol = 1e-12 if dtype == np.float64 else 16 * float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), tol * (1 + np.abs(ref)))
    assert float(Gamma(np.float32(1e6)).entropy()) == pytest.approx(8.32669, abs=1e-4)


def test_log_prob_tiny_rate_times_x_and_infinity():
    """rate x below the smallest normal float: f32 Gamma(3, 1e-30).log_prob(1e-20) was -243.06
    (mpmath -300.0292), f64 Gamma(.5, 1e-30).log_prob(1e-300) was 284.5 (310.2766);
    Gamma(2, 1).log_prob(inf) was -1.8e308 (-inf), with a zero gradient."""

    def ref(a, b, x):
        with mp.workdps(50):
            a, b, x = mp.mpf(a), mp.mpf(b), mp.mpf(x)
            return float(a * mp.log(b) + (a - 1) * mp.log(x) - b * x - mp.loggamma(a))

    f32 = np.float32
    got = float(Gamma(f32(3), f32(1e-30)).log_prob(f32(1e-20)))
    want = ref(3, float(f32(1e-30)), float(f32(1e-20)))
    assert got == pytest.approx(want, rel=8 * float(np.finfo(f32).eps))
    assert float(Gamma(0.5, 1e-30).log_prob(1e-300)) == pytest.approx(
        ref(0.5, 1e-30, 1e-300), rel=1e-13
    )
    assert float(Gamma(2.0, 1.0).log_prob(jnp.inf)) == -np.inf
    assert np.isnan(float(Gamma(2.0, 1.0).log_prob(jnp.nan)))
    grads = jax.grad(lambda a, b: Gamma(a, b).log_prob(jnp.inf), argnums=(0, 1))(2.0, 1.0)
    assert [float(g) for g in grads] == [0.0, 0.0]
    # d/da log p = log(b x) - psi(a) where b x underflows: log(1e-330) - psi(1/2)
    da = jax.grad(lambda a: Gamma(a, 1e-30).log_prob(1e-300))(0.5)
    assert float(da) == pytest.approx(-330 * np.log(10) - float(sp.digamma(0.5)), rel=1e-13)


def _mp_gamma_p(a, x, span):
    """P(a, x) by quadrature of the density over [x - span, x] (mpmath, 30 digits): its
    hypergeometric series does not converge at these shapes."""
    with mp.workdps(30):
        a, x = mp.mpf(a), mp.mpf(x)
        lg = mp.loggamma(a)
        pts = [x - span * (1 - mp.mpf(i) / 40) for i in range(41)]
        return float(mp.quad(lambda t: mp.exp((a - 1) * mp.log(t) - t - lg), pts))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_cdf_large_concentration_temme(dtype):
    """Temme's uniform expansion: f64 Gamma(1e8).cdf(1e8) was 0.5000134299 (scipy
    0.5000132981), f32 0.084; Gamma(1e8).cdf(1e8 - 1e5) = 7.3699310669e-24 (quadrature; scipy's
    6.41e-24 is wrong there). Within 8 ulps times (1 + the conditioning x f(x)/P in x)."""
    a = np.array([1e8, 1e8, 1e4, 1e4, 300.0])
    x = np.array([1e8, 1e8 - 1e5, 9900.0, 1e4 + 200.0, 310.0])
    a, x = (v.astype(dtype).astype(np.float64) for v in (a, x))
    span = 40 * np.sqrt(a)
    # lower tail by quadrature below x; past the mode through the complement's quadrature
    ref = np.array(
        [
            _mp_gamma_p(p, t, min(s, t)) if t <= p else 1 - _mp_gamma_q(p, t, s)
            for p, t, s in zip(a, x, span, strict=True)
        ]
    )
    out = np.asarray(Gamma(jnp.asarray(a, dtype)).cdf(jnp.asarray(x, dtype)))
    cond = x * ss.gamma(a).pdf(x) / ref
    eps = float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), 8 * eps * (1 + cond) * ref)
    assert float(Gamma(1e8).cdf(1e8)) == pytest.approx(0.5000132980760141, rel=1e-13)


def _mp_gamma_q(a, x, span):
    with mp.workdps(30):
        a, x = mp.mpf(a), mp.mpf(x)
        lg = mp.loggamma(a)
        pts = [x + span * mp.mpf(i) / 40 for i in range(41)]
        return float(mp.quad(lambda t: mp.exp((a - 1) * mp.log(t) - t - lg), pts))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gradients_at_the_ends_for_extreme_parameters(dtype):
    """At x = 0 and x = +inf (and below 0) log_prob, cdf, log_cdf and log_survival are constants in the
    parameters (log_prob(0) = log(rate) for concentration 1 excepted: d/drate = 1/rate), so
    their gradients are 0, also at concentration or rate near the float32 maximum and at 1e-30
    (float32 Gamma(3e38, 1).log_prob gradients were NaN at x = 0 and inf, its log_survival(0) and
    Gamma(0.5, 1).log_survival(0) gradients NaN in both dtypes)."""
    params = [(3e38, 1.0), (1.0, 3e38), (0.5, 1e-30), (1e30, 1e30), (0.5, 1.0), (2.0, 3.0)]
    # float32 Gamma(1e8): log_survival's derivative at the stand-in point was NaN
    params += [(1e6, 1.0), (1e8, 1.0), (1e30, 1.0), (1.0, 1e8)]
    a, b = (jnp.asarray(np.array(v, dtype)) for v in zip(*params, strict=True))
    points = (-np.inf, -1.0, 0.0, np.inf)  # beyond the ends too: constants there
    ends = jnp.asarray(np.array(points, dtype))
    tiny = float(np.finfo(dtype).tiny)
    for method in ("log_prob", "cdf", "log_cdf", "log_survival"):
        # one compile per method: every (a, b) (columns) at both ends (rows)
        fn = lambda a, b, x, m=method: getattr(Gamma(a, b), m)(x)
        grads = jax.vmap(jax.vmap(jax.grad(fn, argnums=(0, 1)), (0, 0, None)), (None, None, 0))
        da, db = jax.jit(grads)(a, b, ends)
        assert da.dtype == db.dtype == dtype
        for i, x in enumerate(points):
            want_db = np.where(np.asarray(a) == 1, 1 / np.asarray(b, np.float64), 0.0)
            if not (method == "log_prob" and x == 0.0):
                want_db = np.zeros_like(want_db)
            np.testing.assert_array_equal(np.asarray(da[i]), np.zeros(len(params)))
            # 1/3e38 is subnormal in float32, which XLA on CPU flushes to 0
            np.testing.assert_allclose(np.asarray(db[i], np.float64), want_db, rtol=1e-6, atol=tiny)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_log_prob_and_log_survival_at_concentration_or_rate_near_the_maximum(dtype):
    """Gamma(3e38, 1).log_prob(1) overflows to -inf in float32 (-2.6e40), but its gradient is
    finite: d/da = log(b x) - psi(a), d/db = a/b - x (was NaN, inf: b/(a - 1) is subnormal);
    log Q(1, z) = -z and log Q(2, z) = log1p(z) - z at z near the maximum (float32
    Gamma(1, 3e38).log_survival(1) was +inf: 1/z in the continued fraction is subnormal)."""
    a = np.float64(np.float32(3e38))
    da, db = jax.grad(lambda a, b: Gamma(a, b).log_prob(dtype(1.0)), argnums=(0, 1))(
        dtype(a), dtype(1.0)
    )
    assert da.dtype == dtype
    np.testing.assert_allclose(float(da), -float(sp.digamma(a)), rtol=4e-6)
    np.testing.assert_allclose(float(db), a - 1.0, rtol=4e-6)
    for conc, rate in ((1.0, 3e38), (2.0, 1e38), (1.0, 1e30)):
        z = float(dtype(rate))
        lq = jax.jit(lambda a, b: Gamma(a, b).log_survival(dtype(1.0)))(dtype(conc), dtype(rate))
        want = -z if conc == 1.0 else np.log1p(z) - z
        assert lq.dtype == dtype
        np.testing.assert_allclose(float(lq), want, rtol=4 * float(np.finfo(dtype).eps))
