"""TruncatedNormal: scipy.stats.truncnorm and mpmath in float64, quadrature, score, round trip,
samples (also 10 and 40 sigma out in the tail), edges."""

import functools

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
from gmath.densities import TruncatedNormal

import _univariate as uv


def _scipy(p):
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    a = (np.asarray(p.low) - loc) / scale
    b = (np.asarray(p.high) - loc) / scale
    return ss.truncnorm(a, b, loc, scale)


def _mp_cdfs(loc, scale, low, high, x):
    """(cdf, log_cdf, log_survival) of one truncated normal at one point, by mpmath."""
    with mpmath.workdps(40):
        std = lambda v: (mpmath.mpf(float(v)) - mpmath.mpf(float(loc))) / mpmath.mpf(float(scale))
        a, b, z = std(low), std(high), std(x)
        z = min(max(z, a), b)

        def mass(lo, hi):  # each form free of cancellation (40 digits)
            if lo <= 0 <= hi:
                return (mpmath.erf(hi / mpmath.sqrt(2)) - mpmath.erf(lo / mpmath.sqrt(2))) / 2
            if hi <= 0:
                return mpmath.ncdf(hi) - mpmath.ncdf(lo)
            return mpmath.ncdf(-lo) - mpmath.ncdf(-hi)

        total = mass(a, b)
        lower, upper = mass(a, z) / total, mass(z, b) / total
        log = lambda v: float(mpmath.log(v)) if v > 0 else -np.inf
        return float(lower), log(lower), log(upper)


def _flush(p):
    # parameters as XLA sees them (subnormals flushed to zero), for the oracles
    return jax.tree_util.tree_map(lambda v: uv.flush_subnormals(np.asarray(v)), p)


def _points(p, t):
    # x = low + t (high - low): inside for t in [0, 1]. t within 1e-9 of an end snaps to it:
    # x = low exactly is a sharp test, but x = low + 1 ulp is ill-conditioned (the standardised
    # z = (x - loc)/scale rounds across alpha), for every implementation and oracle alike.
    low, high = np.asarray(p.low), np.asarray(p.high)
    t = np.where(np.abs(t) < 1e-9, 0.0, np.where(np.abs(t - 1) < 1e-9, 1.0, t))
    return uv.flush_subnormals(low + t * (high - low))


def _f64(*values):
    return [np.asarray(v, np.float64) for v in values]


_score_and_grads = jax.jit(
    lambda p, x: (
        p.score(x),
        jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x),
        jax.grad(lambda v: jnp.sum(p.log_cdf(v) + p.log_survival(v)))(x),
    )
)
_sample = jax.jit(lambda p, key: p.sample(key, (20_000,)))
_grads = jax.jit(jax.grad(lambda p, u: jnp.sum(p.icdf(u)), argnums=(0, 1)))


@given(
    p=gt.truncated_normals(batch_shape=(3,)),
    t=gt.finite_arrays(shape=(3,), min_value=-0.2, max_value=1.2),
)
def test_matches_scipy_and_mpmath(p, t):
    p = _flush(p)
    low, high = np.asarray(p.low), np.asarray(p.high)
    x = _points(p, t)
    ref = _scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in p.
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    # scipy's truncnorm.logcdf loses digits (or returns -inf) just above low when [low, high]
    # contains loc (Phi(z) - Phi(alpha) cancels): the CDFs are checked against mpmath.
    refs = np.array([_mp_cdfs(*args) for args in zip(p.loc, p.scale, low, high, x, strict=True)])
    # Conditioning near an end: x - low is only known to eps (|x| + |loc| + |low|) after
    # standardising, so log F has absolute error up to that times f(x)/F(x).
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_x = 4e-16 * (np.abs(x) + np.abs(np.asarray(p.loc)))
        cond_lo = np.nan_to_num((scale_x + 4e-16 * np.abs(low)) * np.exp(log_prob - refs[:, 1]))
        cond_hi = np.nan_to_num((scale_x + 4e-16 * np.abs(high)) * np.exp(log_prob - refs[:, 2]))
    assert np.all(np.isfinite(log_cdf) == np.isfinite(refs[:, 1]))
    assert np.all(np.isfinite(log_survival) == np.isfinite(refs[:, 2]))
    for actual, desired, cond in (
        (log_cdf, refs[:, 1], cond_lo),
        (log_survival, refs[:, 2], cond_hi),
    ):
        finite = np.isfinite(desired)
        bound = 1e-10 * np.abs(desired) + 1e-13 + cond
        assert np.all(np.abs(actual - desired)[finite] <= bound[finite])
    gt.assert_allclose(cdf, refs[:, 0], rtol=1e-10 + float(np.max(cond_lo)), atol=1e-300)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.clip(np.asarray(p.loc), low, high))


@given(p=gt.truncated_normals(batch_shape=(2,)))
def test_normalised_with_quadrature_moments(p):
    # Gauss-Legendre on exactly [low, high] (width at most 6 scale)
    low, high = np.asarray(p.low), np.asarray(p.high)
    mean = np.asarray(p.mean())
    lo, hi = np.broadcast_to(low, (3, 2)), np.broadcast_to(high, (3, 2))

    def integrands(x):
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        return np.stack([density, (x[:, 1] - low) * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(integrands, lo, hi, num_nodes=60, num_panels=2)
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first + low, mean, atol=1e-13 * float(np.max(np.abs(mean)) + 1))
    gt.assert_allclose(second, np.asarray(p.variance()))


@given(
    p=gt.truncated_normals(batch_shape=(3,)),
    t=gt.finite_arrays(shape=(3,), min_value=-0.2, max_value=1.2),
)
def test_score_is_grad_log_prob(p, t):
    p = _flush(p)
    low, high = np.asarray(p.low), np.asarray(p.high)
    x = jnp.asarray(_points(p, t))
    score, autodiff, tails = _score_and_grads(p, x)
    gt.assert_allclose(score, autodiff, atol=1e-14)
    assert np.all(np.isfinite(tails))
    outside = (np.asarray(x) < low) | (np.asarray(x) > high)
    assert np.all(np.asarray(score)[outside] == 0) and np.all(np.asarray(tails)[outside] == 0)


@given(p=gt.truncated_normals(), u=st.floats(0.0, 1.0))
def test_cdf_inverts_icdf(p, u):
    p = _flush(p)
    x, round_trip = uv.icdf_round_trip(p, u)
    assert float(p.low) <= x <= float(p.high)
    # the round trip is exact up to the rounding of x = loc + scale z, an absolute error of
    # (|loc| + |x|) eps/2: relative p(x) (|loc| + |x|) eps / (2u) (e.g. 1.1e-11 for
    # TruncatedNormal(4, 0.1, 0, 0.1) at u = 1/32: 40 scales from loc, p(x) ~ 400, found by
    # a random Hypothesis run), within 4x that plus 1e-12, 1e-14 absolute
    spread = float(p.prob(x)) * (abs(float(p.loc)) + abs(float(x))) * np.finfo(np.float64).eps
    gt.assert_allclose(
        round_trip, np.asarray(u), rtol=1e-12 + 2 * spread / max(u, 1e-300), atol=1e-14
    )
    gt.assert_allclose(x, np.asarray(_scipy(p).ppf(u)), rtol=1e-11, atol=1e-12)


def _mp_truncnorm(alpha, beta):
    """log Z, mean, variance and entropy of the standard normal truncated to [alpha, beta]."""
    with mpmath.workdps(60):
        a = mpmath.mpf(alpha)
        b = mpmath.mpf(beta) if np.isfinite(beta) else mpmath.inf
        z = mpmath.ncdf(-a) - (mpmath.ncdf(-b) if b != mpmath.inf else 0)
        phi = lambda t: mpmath.npdf(t) if t != mpmath.inf else mpmath.mpf(0)
        tphi = lambda t: t * mpmath.npdf(t) if t != mpmath.inf else mpmath.mpf(0)
        mean = (phi(a) - phi(b)) / z
        var = 1 + (tphi(a) - tphi(b)) / z - mean**2
        entropy = mpmath.log(mpmath.sqrt(2 * mpmath.pi * mpmath.e) * z)
        entropy += (tphi(a) - tphi(b)) / (2 * z)
        return [float(v) for v in (mpmath.log(z), mean, var, entropy)]


@pytest.mark.parametrize(("alpha", "beta"), [(10.0, np.inf), (40.0, 41.0), (-3.0, 3.0), (5.0, 5.5)])
def test_far_tail_truncation(alpha, beta):
    # an interval far from the mode: finite log_prob, exact moments, exact samples
    p = TruncatedNormal(*_f64([1.0] * 3, [2.0] * 3, [1.0 + 2 * alpha] * 3, [1.0 + 2 * beta] * 3))
    log_z, mean, var, entropy = _mp_truncnorm(alpha, beta)
    x = 1.0 + 2 * np.array([alpha, alpha + 0.05, min(alpha + 0.5, beta)])
    log_prob, _, log_cdf, log_survival, h, m, v, _ = uv.methods(p, x)
    z = (x - 1.0) / 2
    gt.assert_allclose(log_prob, -0.5 * z * z - 0.5 * np.log(2 * np.pi) - np.log(2.0) - log_z)
    gt.assert_allclose(m, np.full(3, 1.0 + 2 * mean))
    gt.assert_allclose(v, np.full(3, 4 * var))
    gt.assert_allclose(h, np.full(3, entropy + np.log(2.0)), atol=1e-13)
    with mpmath.workdps(60):
        b = mpmath.mpf(beta) if np.isfinite(beta) else mpmath.inf

        def mass(lo, hi):
            if lo <= 0 <= hi:
                return (mpmath.erf(hi / mpmath.sqrt(2)) - mpmath.erf(lo / mpmath.sqrt(2))) / 2
            return mpmath.ncdf(-mpmath.mpf(lo)) - (0 if hi == mpmath.inf else mpmath.ncdf(-hi))

        total = mass(alpha, b)
        ref_cdf = [
            float(mpmath.log(mass(alpha, mpmath.mpf(zi)) / total)) if zi > alpha else -np.inf
            for zi in z
        ]
        ref_sf = [float(mpmath.log(mass(mpmath.mpf(zi), b) / total)) for zi in z]
    gt.assert_allclose(log_cdf, np.array(ref_cdf), atol=1e-13)
    gt.assert_allclose(log_survival, np.array(ref_sf), atol=1e-13)
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    samples = _sample(p, jax.random.key(1))
    assert np.all((samples >= 1.0 + 2 * alpha) & (samples <= 1.0 + 2 * beta))
    gt.assert_mean_matches(samples[:, 0], 1.0 + 2 * mean, 4 * var)
    # scipy's truncnorm.cdf is good to far better than the DKW band here
    gt.assert_samples_match_cdf(samples[:, 0], ss.truncnorm(alpha, beta, 1.0, 2.0).cdf)


def test_gradients():
    # d icdf / du = 1 / p(x) (implicit); every gradient finite, also with infinite ends
    p = TruncatedNormal(
        *_f64([0.5, 0.0, -1.0], [2.0, 1.0, 1.0], [-1.0, -np.inf, 11.0], [1.0, 1.0, np.inf])
    )
    u = np.array([0.3, 0.7, 0.5])
    grad_p, grad_u = _grads(p, u)
    x, _ = uv.icdf_round_trip(p, u)
    gt.assert_allclose(grad_u, 1 / np.exp(np.asarray(uv.log_prob(p, x))), rtol=1e-9)
    for leaf in jax.tree_util.tree_leaves(grad_p):
        assert np.all(np.isfinite(leaf))


def test_samples_match_distribution():
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = TruncatedNormal(
        *_f64([1.0, -2.0, 0.0], [0.5, 3.0, 1.0], [0.0, -10.0, -np.inf], [1.2, -1.0, 0.5])
    )
    x = _sample(p, jax.random.key(0))
    assert x.shape == (20_000, 3)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(3):
        sub = TruncatedNormal(p.loc[i], p.scale[i], p.low[i], p.high[i])
        gt.assert_samples_match_cdf(x[:, i], _scipy(sub).cdf)


def test_transforms_agree():
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    lows = jnp.array([-2.0, -1.0, 0.0, 3.0])
    highs = lows + jnp.array([0.5, 1.0, 2.0, jnp.inf])
    xs = jnp.array([-1.8, 0.0, 0.5, 3.5])
    us = jnp.array([0.1, 0.5, 0.9, 0.99])

    def fn(m, s, a, b, x, u):
        p = TruncatedNormal(m, s, a, b)
        return p.log_cdf(x), p.icdf(u)

    gt.assert_transform_consistent(fn, locs, scales, lows, highs, xs, us)


_float32_methods = jax.jit(
    lambda p, x, u, key: (uv.methods(p, x), p.prob(x), p.score(x), p.icdf(u), p.sample(key, (3,)))
)


def test_float32_stays_float32():
    params = (0.5, 2.0, -1.0, 3.0)
    p = TruncatedNormal(*(jnp.float32(v) for v in params))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    u = jnp.array([1e-6, 0.3, 0.9, 0.5, 0.999], jnp.float32)
    out = _float32_methods(p, x, u, jax.random.key(0))
    for leaf in jax.tree_util.tree_leaves(out):
        assert leaf.dtype == jnp.float32
    (log_prob, cdf, log_cdf, log_survival, *_), _, _, icdf, _ = out
    ref = _scipy(TruncatedNormal(*params))
    x64 = np.asarray(x, np.float64)
    gt.assert_allclose(log_prob, ref.logpdf(x64).astype(np.float32), rtol=1e-6)
    gt.assert_allclose(cdf[1:], ref.cdf(x64[1:]).astype(np.float32), rtol=1e-5)
    gt.assert_allclose(log_survival, ref.logsf(x64).astype(np.float32), rtol=1e-5, atol=1e-6)
    gt.assert_allclose(icdf, ref.ppf(np.asarray(u, np.float64)).astype(np.float32), rtol=1e-5)
    # a 15-sigma tail in float32, where the tail mass 3.7e-51 underflows float32
    q = TruncatedNormal(*(jnp.float32(v) for v in (0.0, 1.0, 15.0, 16.0)))
    out = _float32_methods(q, jnp.full(5, 15.2, jnp.float32), u, jax.random.key(0))
    assert np.all(np.isfinite(out[0][0])) and np.all((out[3] >= 15) & (out[3] <= 16))
    # log p = -z^2/2 - log Z - ... cancels 115.5 against 115.6: condition ~ 400
    ref = np.float32(ss.truncnorm(15, 16).logpdf(15.2))
    gt.assert_allclose(out[0][0][0], ref, rtol=gt.tolerance(np.float32, condition=400))
    out = jax.eval_shape(lambda x: TruncatedNormal(0.0, 1.0, -1.0, 1.0).log_prob(x), x)
    assert out.dtype == jnp.float32


_outside_grads = jax.jit(
    jax.grad(
        lambda p, x: jnp.sum(p.log_prob(x)),
        argnums=(0, 1),
    )
)


def test_outside_support():
    p = TruncatedNormal(*_f64([0.0] * 3, [1.0] * 3, [-1.0] * 3, [2.0] * 3))
    x = np.array([-3.0, -1.0, 2.5])
    log_prob, cdf, log_cdf, log_survival, *_ = uv.methods(p, x)
    assert log_prob[0] == -np.inf and np.isfinite(log_prob[1]) and log_prob[2] == -np.inf
    np.testing.assert_array_equal(cdf, [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(log_cdf, [-np.inf, -np.inf, 0.0])
    np.testing.assert_array_equal(log_survival, [0.0, 0.0, -np.inf])
    # zero (not NaN) gradient of log_prob outside, in x and in every parameter (the CDFs' x
    # gradients outside are checked in test_score_is_grad_log_prob)
    grads = _outside_grads(p, jnp.array([-3.0, 2.5, 5.0]))
    for leaf in jax.tree_util.tree_leaves(grads):
        np.testing.assert_array_equal(leaf, np.zeros(3))


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(dtype, scale):
    p = TruncatedNormal(*(jnp.asarray(v, dtype) for v in (1.0, scale, 0.0, 2.0)))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    # scale 1e-30: Z = 1; scale 1e30: Z = 2 phi(0) 1e-30 ... (the interval is tiny): log p = -log 2
    ref = -np.log(scale) - 0.5 * np.log(2 * np.pi) if scale < 1 else -np.log(2.0)
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=gt.tolerance(dtype, condition=4))


def test_shapes_broadcast():
    p = TruncatedNormal(jnp.zeros((2, 1)), 1.0, jnp.full(3, -1.0), 1.0)
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    shape = lambda f, *a: jax.eval_shape(f, *a).shape
    assert shape(p.log_prob, jnp.zeros((5, 2, 3))) == (5, 2, 3)
    assert shape(p.icdf, jnp.zeros((5, 1, 3))) == (5, 2, 3)
    assert shape(lambda k: p.sample(k, (4,)), jax.random.key(1)) == (4, 2, 3)
    assert shape(p.entropy) == (2, 3) and shape(p.mode) == (2, 3)


def test_bad_input():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*low with shape \(3,\)"):
        TruncatedNormal(jnp.zeros(2), 1.0, jnp.zeros(3), 1.0)
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        TruncatedNormal(jnp.zeros(3), 1.0, -1.0, 1.0).log_prob(jnp.zeros(4))


def test_invalid_parameters_nan_by_default_and_raise_in_check_mode():
    assert np.isnan(TruncatedNormal(0.0, -1.0, -1.0, 1.0).log_prob(0.5))
    assert np.isnan(TruncatedNormal(0.0, 1.0, 1.0, -1.0).entropy())
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            TruncatedNormal(0.0, -1.0, -1.0, 1.0)
        with pytest.raises(gmath.config.InvalidParameterError, match="low must be below high"):
            TruncatedNormal(0.0, 1.0, 1.0, 1.0)


@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_non_finite_loc_is_invalid(dtype):
    # an infinite (or NaN) loc is no normal law: NaN by default and InvalidParameterError in
    # checks mode, as for Normal (regression: TruncatedNormal(inf, 1, -1, 1) raised nothing and
    # its cdf(0) was 0, a plausible number); a finite loc beside it in the batch is unaffected.
    # Every method of such a record is NaN in the edge grid (test_edges_continuous).
    loc = jnp.asarray([jnp.inf, -jnp.inf, jnp.nan, 0.0], dtype)
    p = TruncatedNormal(loc, *(jnp.asarray(v, dtype) for v in (1.0, -1.0, 1.0)))
    for value in (p.log_prob(jnp.asarray(1.0, dtype)), p.mean(), p.mode()):
        assert value.dtype == dtype
        assert np.all(np.isnan(value[:3])) and np.isfinite(value[3])
    with gmath.config.checks(True):
        for bad in (jnp.inf, -jnp.inf, jnp.nan):
            with pytest.raises(
                gmath.config.InvalidParameterError, match="TruncatedNormal: loc must be finite"
            ):
                TruncatedNormal(jnp.asarray([0.0, bad], dtype), jnp.asarray(1.0, dtype), -1.0, 1.0)
        TruncatedNormal(jnp.asarray([0.0, 1e30], dtype), jnp.asarray(1.0, dtype), -1.0, 1.0)


def _mp_moments(loc, scale, low, high):
    """(entropy, mean, variance) by mpmath quadrature (40 digits) about the density's peak."""
    with mpmath.workdps(40):
        mu, s = mpmath.mpf(float(loc)), mpmath.mpf(float(scale))
        a, b = mpmath.mpf(float(low)), mpmath.mpf(float(high))
        x0 = min(max(mu, a), b)
        g = lambda y: -((x0 + y - mu) ** 2 - (x0 - mu) ** 2) / (2 * s * s)  # log p + const
        slope = abs(x0 - mu) / (s * s)
        width = min(s, 1 / slope) if slope > 0 else s
        lo, hi = a - x0, b - x0
        pts = sorted({lo, hi, *(p for p in (-width, 0, width) if lo < p < hi)})
        norm = mpmath.quad(lambda y: mpmath.exp(g(y)), pts)
        m1 = mpmath.quad(lambda y: y * mpmath.exp(g(y)), pts) / norm
        var = mpmath.quad(lambda y: (y - m1) ** 2 * mpmath.exp(g(y)), pts) / norm
        eg = mpmath.quad(lambda y: g(y) * mpmath.exp(g(y)), pts) / norm
        return float(mpmath.log(norm) - eg), float(x0 + m1), float(var)


@pytest.mark.parametrize(
    ("dtype", "params"),
    [
        (np.float64, (0.0, 1e8, 10.0, 50.0)),  # was mean 30.22, variance 112.5
        (np.float32, (0.0, 1e6, 10.0, 50.0)),  # was mean 0, variance 3.6e5
        (np.float64, (0.0, 1e30, 10.0, 50.0)),  # was variance -3.3e45
        (np.float32, (1e8, 1.0, -1.0, 1.0)),  # was mean NaN
        (np.float64, (1e8, 1.0, -1.0, 1.0)),
        (np.float64, (0.0, 1.0, 39.0, 40.0)),  # narrow, 39 sigma out
        (np.float32, (0.0, 1.0, 3.0, 3.5)),
        (np.float64, (2.0, 1e-3, 1.9, 2.2)),
    ],
)
def test_moments_of_narrow_and_far_intervals(dtype, params):
    p = TruncatedNormal(*(jnp.asarray(v, dtype) for v in params))
    entropy, mean, variance = _mp_moments(*(dtype(v) for v in params))
    rtol = 1e-12 if dtype == np.float64 else 4 * np.finfo(np.float32).eps
    for got, want in ((p.mean(), mean), (p.variance(), variance), (p.entropy(), entropy)):
        assert got.dtype == dtype
        gt.assert_allclose(got, np.asarray(want, dtype), rtol=rtol, atol=0)
    assert p.variance() >= 0


# the gradients of (entropy, mean, variance) in (loc, scale, low, high), one compile for a table
_MOMENT_GRADS = jax.jit(
    jax.vmap(
        lambda *a: [
            jax.grad(lambda *v, m=m: getattr(TruncatedNormal(*v), m)(), argnums=(0, 1, 2, 3))(*a)
            for m in ("entropy", "mean", "variance")
        ]
    )
)


def test_moment_gradients_match_finite_differences():
    # the three regimes of the moments (quadrature, one-sided tail, interval around loc)
    table = [(0.0, 1.0, 1.0, 1.1), (0.0, 1.0, 2.0, np.inf), (0.0, 1.0, -1.0, 2.0)]
    grads = _MOMENT_GRADS(*(jnp.asarray(c, jnp.float64) for c in zip(*table, strict=True)))
    for row, params in enumerate(table):
        h = 1e-6
        # central differences of the mpmath moments (all three from each pair of evaluations)
        fds = {}
        for j in range(4):
            if np.isfinite(params[j]):
                up, down = list(params), list(params)
                up[j] += h
                down[j] -= h
                fds[j] = (np.array(_mp_moments(*up)) - np.array(_mp_moments(*down))) / (2 * h)
        for i in range(3):  # entropy, mean, variance
            for j, g in enumerate(grads[i]):
                g = g[row]
                if not np.isfinite(params[j]):
                    assert g == 0
                    continue
                gt.assert_allclose(g, fds[j][i], rtol=1e-6, atol=1e-8)


def _closed_form_moments(loc, scale, low, high):
    """(mean, variance) in closed form at 50 digits: mean = loc + s (phi(a) - phi(b)) / Z,
    variance = s^2 (1 + (a phi(a) - b phi(b)) / Z - ((phi(a) - phi(b)) / Z)^2)."""
    with mpmath.workdps(50):
        a, b = (mpmath.mpf(low) - loc) / scale, (mpmath.mpf(high) - loc) / scale
        z = mpmath.ncdf(b) - mpmath.ncdf(a)
        r = (mpmath.npdf(a) - mpmath.npdf(b)) / z
        b_phi_b = 0 if mpmath.isinf(b) else b * mpmath.npdf(b)
        var = scale**2 * (1 + (a * mpmath.npdf(a) - b_phi_b) / z - r * r)
        return loc + scale * r, var


def _condition(fn, args):
    """sum_i |x_i d fn / d x_i| / |fn|: the relative condition number in the inputs."""
    with mpmath.workdps(50):
        args = [mpmath.mpf(v) for v in args]
        value = fn(*args)
        delta = mpmath.mpf("1e-20")  # relative step: forward differences exact to 1e-20
        total = 0
        for i, v in enumerate(args):
            moved = fn(*(args[:i] + [v * (1 + delta)] + args[i + 1 :]))
            total += abs((moved - value) / delta)
        return float(total / abs(value))


@pytest.mark.parametrize(
    "params",
    [
        (-0.7122471, 2.0942135, 4.6895514, 12.704704),  # tail, alpha = 2.58 (was 400 ulps)
        (1.1291878, 0.27904445, 1.5010109, 2.7551098),  # tail, alpha = 1.33
        (-2.5488179, 0.6001219, -5.3123865, -3.057118),  # reflected tail
        (0.0, 1.0, 1.2, np.inf),  # one-sided
    ],
)
def test_float32_moments_without_x64(params):
    # with x64 disabled the moments are computed in float32 itself (no float64 working dtype):
    # the tail's Mills-ratio quantities from the continued fraction from t = 1 (the direct
    # form's cancellations cost up to 400 ulps of the variance at alpha = 2.6)
    p32 = [np.float32(v) for v in params]
    exact = [float(v) for v in p32]
    want_mean, want_var = (float(v) for v in _closed_form_moments(*exact))
    eps = float(np.finfo(np.float32).eps)
    finite = [v for v in exact if np.isfinite(v)]
    k = len(finite)

    def moments_of(*finite_args):
        full = list(finite_args) + exact[k:]
        return _closed_form_moments(*full)

    cond_mean = _condition(lambda *a: moments_of(*a)[0], finite)
    cond_var = _condition(lambda *a: moments_of(*a)[1], finite)
    with jax.enable_x64(False):
        d = TruncatedNormal(*(jnp.asarray(v, jnp.float32) for v in p32))
        mean, var = d.mean(), d.variance()
        assert mean.dtype == var.dtype == jnp.float32
        mean, var = float(mean), float(var)
    assert abs(mean - want_mean) <= 4 * eps * (1 + cond_mean) * abs(want_mean)
    assert abs(var - want_var) <= 4 * eps * (1 + cond_var) * abs(want_var)


def _one_sided_oracles(a, w, u):
    """(log_prob, cdf, log_cdf, log_survival) of TruncatedNormal(0, 1, a, a + w) at x = a + u,
    [a, a + w] on one side of 0, at 50 digits (each mass from the tail on its side)."""
    b, x = a + w, a + u
    if b <= 0:
        mass = lambda lo, hi: mpmath.ncdf(hi) - mpmath.ncdf(lo)
    else:
        mass = lambda lo, hi: mpmath.ncdf(-lo) - mpmath.ncdf(-hi)
    z = mass(a, b)
    lower, upper = mass(a, x) / z, mass(x, b) / z
    log_prob = -x * x / 2 - mpmath.log(2 * mpmath.pi) / 2 - mpmath.log(z)
    # a mass near 1 as 1 minus the other (1 - 4e-49 has no digits of its log at 50 digits)
    log_lower = mpmath.log1p(-upper) if upper < lower else mpmath.log(lower)
    log_upper = mpmath.log1p(-lower) if lower < upper else mpmath.log(upper)
    return log_prob, lower, log_lower, log_upper


@functools.cache
def _width_conditions(a, w, u):
    """``[(value, condition)]`` of the four oracles: the relative condition number of each in
    (a, w = b - a, u = x - a), the variables the inputs determine exactly (b - a and x - a are
    exact differences of floats within a factor 2), so a few ulps times it is what an
    implementation that forms no Phi(a) can reach. (Each evaluation gives all four oracles.)"""
    with mpmath.workdps(50):
        args = [mpmath.mpf(v) for v in (a, w, u)]
        values = _one_sided_oracles(*args)
        delta = mpmath.mpf("1e-25")
        totals = [0] * len(values)
        for j, v in enumerate(args):
            moved = _one_sided_oracles(*(args[:j] + [v * (1 + delta)] + args[j + 1 :]))
            for i, (m, value) in enumerate(zip(moved, values, strict=True)):
                totals[i] += abs((m - value) / delta)
        return [
            (float(value), float(total / abs(value)))
            for value, total in zip(values, totals, strict=True)
        ]


def _width_condition(i, a, w, u):
    """(value, relative condition number) of oracle i in (a, w, u): see _width_conditions."""
    return _width_conditions(a, w, u)[i]


_ONE_SIDED = jax.jit(
    jax.vmap(
        lambda low, high, x: (
            (d := TruncatedNormal(0 * low, 1 + 0 * low, low, high)).log_prob(x),
            d.cdf(x),
            d.log_cdf(x),
            d.log_survival(x),
        )
    )
)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_narrow_and_far_intervals_against_mpmath(dtype):
    # intervals of widths 1e-5 to 3 at 0.5 to 40 standard deviations from loc, on both sides:
    # log_prob and the CDFs within 4 ulps times the condition number in (a, b - a, x - a)
    # (float32 low = 5, high = 5.01 was 1300 ulps with condition 0.1 in log_prob, cdf near 1 was
    # 1.0 for 1 - 1.4e-5, log_cdf near 0 was 0: log Phi(a) ~ -800 was formed and cancelled)
    lows, highs, xs = [], [], []
    for a in (-40.0, -39.9, -10.0, -2.0, 0.5, 5.0, 20.0, 39.9):
        for w in (1e-5, 1e-3, 0.01, 0.3, 1.0, 3.0):
            low, high = dtype(a), dtype(a + w) if a + w <= 0 or a > 0 else dtype(0.0)
            for frac in (0.1, 0.5, 0.9):
                x = dtype(float(low) + frac * (float(high) - float(low)))
                if low < x < high:
                    lows.append(low), highs.append(high), xs.append(x)
    out = _ONE_SIDED(*(jnp.asarray(np.array(v, dtype)) for v in (lows, highs, xs)))
    eps = float(np.finfo(dtype).eps)
    for i, values in enumerate(out):
        assert values.dtype == dtype
        for low, high, x, got in zip(lows, highs, xs, np.asarray(values, np.float64), strict=True):
            a, b, x = float(low), float(high), float(x)
            want, cond = _width_condition(i, a, b - a, x - a)
            # values below the smallest normal float (a cdf of 1e-45, a log_cdf of -4e-49 in
            # float32) round to subnormals or to 0, which XLA on CPU flushes to
            bound = 4 * eps * (1 + cond) * abs(want) + float(np.finfo(dtype).tiny)
            assert abs(got - want) <= bound, (i, a, b, x, got, want)


def test_cdf_a_few_ulps_inside_the_ends():
    # x one ulp above low (or below high) standardises onto the end itself: the mass there is
    # below the rounding of x, so cdf is 0 at the lower end and 1 at the upper, never the reverse
    loc, scale = -3.0, 2.718281828459045
    low = loc + 1.625 * scale
    high = low + scale
    p = TruncatedNormal(loc, scale, low, high)
    above_low = np.nextafter(low, np.inf)
    below_high = np.nextafter(high, -np.inf)
    assert float(p.cdf(above_low)) < 1e-15 and float(p.log_survival(above_low)) > -1e-15
    assert float(p.cdf(below_high)) > 1 - 1e-15 and float(p.log_cdf(below_high)) > -1e-15
    assert float(p.cdf(p.icdf(0.0))) == 0.0 and float(p.cdf(p.icdf(1.0))) == 1.0
