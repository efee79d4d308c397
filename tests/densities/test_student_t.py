"""StudentT: scipy.stats.t and mpmath in float64, quadrature, score, round trip, samples, edges.

scipy's ``t.cdf`` loses relative accuracy near the median for df = 1 (``t.cdf(1e-8, 1)`` is off
by 2e-9), so the CDF family is checked against mpmath's regularised incomplete beta function at
30 digits; scipy is the oracle for ``logpdf``, ``entropy``, moments and ``ppf``.
"""

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import StudentT

import _univariate as uv


def _scipy(p):
    return ss.t(np.asarray(p.df), np.asarray(p.loc), np.asarray(p.scale))


def _mp_cdfs(df, loc, scale, x):
    """(cdf, log_cdf, log_survival) of one t law at one point, by mpmath."""
    with mpmath.workdps(30):
        nu = mpmath.mpf(float(df))
        z = (mpmath.mpf(float(x)) - mpmath.mpf(float(loc))) / mpmath.mpf(float(scale))
        tail = mpmath.betainc(nu / 2, mpmath.mpf(1) / 2, 0, nu / (nu + z * z), regularized=True) / 2
        lower = tail if z < 0 else 1 - tail
        upper = tail if z > 0 else 1 - tail
        return float(lower), float(mpmath.log(lower)), float(mpmath.log(upper))


_icdf_grads = jax.jit(
    jax.grad(lambda u, loc, scale, df: StudentT(df, loc, scale).icdf(u), argnums=(0, 1, 2))
)


@given(
    p=gt.student_ts(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60)
)
def test_matches_scipy_and_mpmath(p, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in p.
    x = uv.flush_subnormals(x)
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    df = np.asarray(p.df)
    gt.assert_allclose(mean, np.where(df > 1, ref.mean(), np.nan))
    gt.assert_allclose(variance, np.where(df > 1, ref.var(), np.nan))  # scipy: inf on (1, 2]
    gt.assert_allclose(mode, np.asarray(p.loc))
    refs = np.array([_mp_cdfs(*args) for args in zip(df, p.loc, p.scale, x, strict=True)])
    gt.assert_allclose(cdf, refs[:, 0], atol=1e-300)
    gt.assert_allclose(log_cdf, refs[:, 1], atol=1e-13)
    gt.assert_allclose(log_survival, refs[:, 2], atol=1e-13)


def _quadrature(p, integrands, num_outputs, t_max=70.0):
    # substitution x = loc + scale sinh(t), t in [-70, 70]: the heavy tails decay like
    # e^{-df |t|} (e^{(k - df)|t|} for the k-th moment) in t.
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    lo = np.full((num_outputs, 2), -t_max)
    hi = np.full((num_outputs, 2), t_max)

    def fn(t):
        x = loc + scale * np.sinh(t)
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0]))) * scale * np.cosh(t[:, 0])
        return integrands(x, density)

    return gt.gauss_legendre_integral(fn, lo, hi, num_nodes=100, num_panels=32)


@given(p=gt.student_ts(batch_shape=(2,)))
def test_normalised_with_quadrature(p):
    # df >= 0.5: the mass beyond |t| = 70 is below e^{-35} ~ 6e-16.
    (mass,) = _quadrature(p, lambda x, d: d[:, None], 1)
    gt.assert_allclose(mass, np.ones(2))


@given(p=gt.student_ts(batch_shape=(2,), df=(3.0, 30.0)))
def test_quadrature_moments(p):
    # df >= 3: the second-moment integrand decays like e^{-|t|}, below 1e-30 at |t| = 70.
    loc, mean = np.asarray(p.loc), np.asarray(p.mean())

    def integrands(x, d):
        return np.stack([(x[:, 0] - loc) * d, (x[:, 1] - mean) ** 2 * d], 1)

    first, second = _quadrature(p, integrands, 2)
    gt.assert_allclose(first, np.zeros(2), atol=1e-12 * float(np.max(p.scale)))
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(
    p=gt.student_ts(batch_shape=(3,)), x=gt.finite_arrays(shape=(3,), min_value=-60, max_value=60)
)
def test_score_is_grad_log_prob(p, x):
    score, autodiff = uv.score_and_grad(p, jnp.asarray(uv.flush_subnormals(x)))
    gt.assert_allclose(score, autodiff, atol=1e-14)


@given(p=gt.student_ts(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(p, u):
    x, round_trip = uv.icdf_round_trip(p, u)
    # the round trip has condition 1 (plus |x f(x) / u| <= df + 1 from rounding x)
    # rounding x (absolute eps (|x| + |loc|)) moves F by f(x) times that: relative condition
    cond = 4e-16 * (abs(float(x)) + abs(float(p.loc))) * float(_scipy(p).pdf(x)) / u
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-12 + cond)
    z = (x - float(p.loc)) / float(p.scale)
    ref = (_scipy(p).ppf(u) - float(p.loc)) / float(p.scale)
    gt.assert_allclose(z, np.asarray(ref), rtol=1e-10, atol=1e-12)
    # implicit gradients: dx/du = 1/p(x), dx/dloc = 1, dx/dscale = z
    du, dloc, dscale = _icdf_grads(u, p.loc, p.scale, p.df)
    gt.assert_allclose(du, np.asarray(1 / _scipy(p).pdf(np.asarray(x))), rtol=1e-9)
    gt.assert_allclose(dloc, np.asarray(1.0))
    gt.assert_allclose(dscale, np.asarray(z), atol=1e-12)


def test_moments_that_do_not_exist():
    p = StudentT(jnp.array([0.5, 1.0, 1.5, 2.0, 2.5]), 3.0, 2.0)
    np.testing.assert_array_equal(p.mean(), [np.nan, np.nan, 3.0, 3.0, 3.0])
    np.testing.assert_array_equal(p.variance(), [np.nan, np.nan, np.inf, np.inf, 20.0])


def test_special_cases():
    # df = 1 is Cauchy, df -> inf tends to the normal
    x = jnp.linspace(-30.0, 30.0, 7)
    gt.assert_allclose(
        StudentT(1.0, 0.5, 2.0).log_prob(x), np.asarray(ss.cauchy(0.5, 2.0).logpdf(x))
    )
    u = np.array([1e-10, 0.3, 0.9])
    # the Cauchy quantile as -cot(pi u) (tan(pi (u - 1/2)) loses digits near u = 0)
    gt.assert_allclose(StudentT(1.0, 0.0, 1.0).icdf(u), -1 / np.tan(np.pi * u))
    # df = 1e8 is normal up to O(z^4 / df): below 1e-8 for |z| <= 1
    z = jnp.array([-1.0, 0.0, 1.0])
    gt.assert_allclose(StudentT(1e8, 0.0, 1.0).log_prob(z), ss.norm.logpdf(z), rtol=1e-8)


def _f64(*values):
    return [np.asarray(v, np.float64) for v in values]


def test_tails():
    # through the module-level jitted functions (batch (3,) and scalar) to avoid recompiles
    p = StudentT(*_f64([3.0] * 3, [0.0] * 3, [1.0] * 3))
    z = np.array([-1e5, -1e50, -1e200])
    log_prob, _, log_cdf, _, *_ = uv.methods(p, z)
    _, _, _, log_survival, *_ = uv.methods(p, -z)
    with mpmath.workdps(50):
        nu = mpmath.mpf(3)
        for i, zi in enumerate(z):
            tail = mpmath.betainc(nu / 2, 0.5, 0, nu / (nu + mpmath.mpf(zi) ** 2), regularized=True)
            ref = float(mpmath.log(tail / 2))
            gt.assert_allclose(log_cdf[i], np.asarray(ref))
            gt.assert_allclose(log_survival[i], np.asarray(ref))
            # log p(z) = log Gamma(2) - log Gamma(3/2) - log(3 pi)/2 - 2 log(1 + z^2/3)
            ref = -mpmath.loggamma(1.5) - mpmath.log(3 * mpmath.pi) / 2
            ref = float(ref - 2 * mpmath.log1p(mpmath.mpf(zi) ** 2 / 3))
            gt.assert_allclose(log_prob[i], np.asarray(ref))
    score, autodiff = uv.score_and_grad(p, -z)
    gt.assert_allclose(score, 4 / (z + 3 / z))  # -(df + 1) z / (df + z^2) at -z
    gt.assert_allclose(autodiff, 4 / (z + 3 / z))
    # a quantile far in the tail, and the ends of [0, 1]
    p = StudentT(*_f64(3.0, 0.0, 1.0))
    x, round_trip = uv.icdf_round_trip(p, 1e-250)
    gt.assert_allclose(round_trip, np.asarray(1e-250), rtol=1e-12)
    for u, expected in ((0.0, -np.inf), (0.5, 0.0), (1.0, np.inf)):
        assert uv.icdf_round_trip(p, u)[0] == expected
    assert np.isnan(uv.icdf_round_trip(p, -0.1)[0]) and np.isnan(uv.icdf_round_trip(p, 1.1)[0])


def test_gradient_in_df():
    # log_prob, entropy and samples differentiate in df; the CDFs cannot (betainc in JAX).
    d = jax.grad(lambda df: StudentT(df, 0.0, 1.0).log_prob(1.5))(4.0)
    eps = 1e-6
    fd = (ss.t.logpdf(1.5, 4.0 + eps) - ss.t.logpdf(1.5, 4.0 - eps)) / (2 * eps)
    gt.assert_allclose(d, np.asarray(fd), rtol=1e-7)
    with pytest.raises(ValueError, match="Betainc gradient"):
        jax.grad(lambda df: StudentT(df, 0.0, 1.0).icdf(0.3))(4.0)


_float32_methods = jax.jit(
    lambda p, x, u, key: (
        uv.methods(p, x),
        p.prob(x),
        p.score(x),
        p.icdf(u),
        p.sample(key, (3,)),
    )
)


def test_float32_stays_float32():
    p = StudentT(jnp.float32(3.0), jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    u = jnp.array([1e-6, 0.3, 0.9, 0.5, 0.999], jnp.float32)
    out = _float32_methods(p, x, u, jax.random.key(0))
    for leaf in jax.tree_util.tree_leaves(out):
        assert leaf.dtype == jnp.float32
    (log_prob, cdf, log_cdf, log_survival, *_), _, _, icdf, _ = out
    ref = ss.t(3.0, 0.5, 2.0)
    x64 = np.asarray(x, np.float64)
    gt.assert_allclose(log_prob, ref.logpdf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(cdf, ref.cdf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(log_cdf, ref.logcdf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(log_survival, ref.logsf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(icdf, ref.ppf(np.asarray(u, np.float64)).astype(np.float32), rtol=1e-5)
    # Python-scalar parameters are weak: they follow the input's dtype (shape-only check).
    out = jax.eval_shape(lambda x: StudentT(3.0, 0.0, 1.0).log_prob(x), jnp.float32(0.2))
    assert out.dtype == jnp.float32


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = StudentT(jnp.asarray(4.0, dtype), jnp.asarray(1.0, dtype), jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    ref = ss.t.logpdf(0.0, 4.0) - np.log(scale)
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=gt.tolerance(dtype, condition=4))


def test_shapes_broadcast():
    # shapes by abstract evaluation (no compilation)
    p = StudentT(jnp.full((2, 1), 3.0), 0.0, jnp.ones(3))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    shape = lambda f, *a: jax.eval_shape(f, *a).shape
    assert shape(p.log_prob, jnp.zeros((5, 2, 3))) == (5, 2, 3)
    assert shape(p.icdf, jnp.zeros((5, 1, 3))) == (5, 2, 3)
    assert shape(lambda k: p.sample(k, (4,)), jax.random.key(1)) == (4, 2, 3)
    assert shape(p.entropy) == (2, 3) and shape(p.variance) == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"df with shape \(2,\).*loc with shape \(3,\)"):
        StudentT(jnp.ones(2), jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        StudentT(1.0, jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(StudentT(3.0, 0.0, -1.0).log_prob(0.5))
    assert np.isnan(StudentT(-3.0, 0.0, 1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="df must be positive"):
            StudentT(0.0, 0.0, 1.0)
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            StudentT(1.0, 0.0, -1.0)


def test_log_prob_float32_excess_bits():
    # scripts/accuracy_table.py worst point before the saddle-point form: x = 4.8025, df = 23,
    # loc = 4.882, scale = 1.489 (4.5 excess bits, near the mode).
    df = np.array([0.99, 3.0, 23.0, 29.7])[:, None]
    z = np.concatenate([np.linspace(-0.2, 0.2, 9), [-50.0, -3.0, 2.0, 400.0]])[None, :]
    x = 4.882 + 1.489 * z
    gt.assert_float32_excess_bits(
        lambda x, df, loc, scale: StudentT(df, loc, scale).log_prob(x),
        lambda x, df, loc, scale: ss.t.logpdf(x, df, loc, scale),
        [v.ravel() for v in np.broadcast_arrays(x, df, 4.882, 1.489)],
        differentiable=(0, 1, 2, 3),
    )


def test_cdf_float32_excess_bits_in_the_tail():
    # scripts/accuracy_table.py worst point before the tail form was used for z^2 > 3 df/(df + 2):
    # x = -12.05, df = 29.66, loc = -0.069, scale = 2.207 (9.7 excess bits: 1 - I cancelled).
    # The df term is left out of the conditioning (betainc has no df derivative): stricter.
    z = np.linspace(-9.0, -2.5, 14)[None, :]
    df = np.array([5.0, 29.66, 100.0])[:, None]
    gt.assert_float32_excess_bits(
        lambda x, df, loc, scale: StudentT(df, loc, scale).cdf(x),
        lambda x, df, loc, scale: ss.t.cdf(x, df, loc, scale),
        [v.ravel() for v in np.broadcast_arrays(-0.069 + 2.207 * z, df, -0.069, 2.207)],
        differentiable=(0, 2, 3),
    )


def _mp_t_entropy(df):
    with mpmath.workdps(60):
        v = mpmath.mpf(df)
        h = (v + 1) / 2 * (mpmath.digamma((v + 1) / 2) - mpmath.digamma(v / 2))
        return float(h + mpmath.log(mpmath.sqrt(v) * mpmath.beta(v / 2, mpmath.mpf(1) / 2)))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_entropy_at_large_and_small_df(dtype):
    """Stirling-form entropy: f64 df = 1e12 was 1.41809 and f32 df >= 1e8 0.9189, for
    log(2 pi e)/2 = 1.41894; within 16 ulps (f32) of (1 + |H|) against mpmath from 1e-3 to 1e30."""
    df = np.array([1e-3, 0.5, 1.0, 3.0, 15.9, 16.1, 1e3, 1e8, 1e12, 1e30]).astype(dtype)
    df = df.astype(np.float64)
    ref = np.array([_mp_t_entropy(v) for v in df])
    out = np.asarray(StudentT(jnp.asarray(df, dtype)).entropy())
    assert out.dtype == dtype
    # float64: 1e-12 of (1 + |H|) (digamma and log-gamma below the series' switch carry a few
    # ulps of terms up to ~10 times |H|); float32: 16 ulps of (1 + |H|)
    tol = 1e-12 if dtype == np.float64 else 16 * float(np.finfo(dtype).eps)
    np.testing.assert_array_less(np.abs(out - ref), tol * (1 + np.abs(ref)))
    assert float(StudentT(1e12).entropy()) == pytest.approx(
        0.5 * np.log(2 * np.pi * np.e), rel=1e-12
    )


def test_icdf_consistent_with_cdf_where_the_quantile_overflows():
    """StudentT(0.001).icdf(0.001) was -5.7e306, where the cdf gave 0 (z / sqrt(df) overflowed
    in it): F(-max) ~ 0.24 > 0.001 for df = 0.001, so the quantile is below every float, -inf;
    and the cdf at -5.7e306 is the exact tail probability (mpmath)."""
    p = StudentT(0.001)
    assert float(p.icdf(0.001)) == -np.inf
    assert float(StudentT(np.float32(0.001)).icdf(np.float32(0.001))) == -np.inf
    with mpmath.workdps(50):
        v, z = mpmath.mpf("0.001"), mpmath.mpf(-5.7e306)
        ref = float(mpmath.betainc(v / 2, 0.5, 0, v / (v + z * z), regularized=True) / 2)
    assert float(p.cdf(-5.7e306)) == pytest.approx(ref, rel=1e-12)
    u = np.array([0.4999, 0.6])  # finite quantiles still invert
    np.testing.assert_allclose(np.asarray(p.cdf(p.icdf(jnp.asarray(u)))), u, rtol=1e-12)


@pytest.mark.parametrize("method", ["cdf", "log_cdf", "log_survival"])
@pytest.mark.parametrize("x", [-np.inf, np.inf])
def test_gradients_zero_at_infinity(method, x):
    """d/d(loc, scale) of cdf, log_cdf, log_survival at x = +-inf are 0 (were NaN)."""
    grads = jax.jit(jax.grad(lambda m, s: getattr(StudentT(2.0, m, s), method)(x), argnums=(0, 1)))(
        0.5, 2.0
    )
    assert [float(g) for g in grads] == [0.0, 0.0]
