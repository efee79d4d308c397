"""Exponential, HalfNormal, LogNormal: one harness for the families on the positive half-line.

Each family against its scipy.stats law in float64, quadrature, score, round trip, samples and
edges; the shared checks run once per family (``SPECS``), the family-specific support edges and
tails below them.
"""

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special as sc
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Exponential, HalfNormal, LogNormal

import _univariate as uv


class Spec(NamedTuple):
    cls: type
    scipy: Callable  # record -> the frozen scipy.stats law
    records: Callable  # the gmath.testing strategy of records
    xs: object  # strategy of the points x, shape (3,)
    params: tuple  # Python-float parameters of one law (float32 and weak-type checks)
    positive: str  # the parameter that must be positive
    support: Callable  # x -> whether x is in the support (score 0 outside it)
    mode: Callable  # record -> the closed-form mode
    quadrature: Callable  # record -> (lo, hi), holding all but 1e-16 of the mass
    icdf_rtol: tuple  # rtol of cdf(icdf(u)) = u and of icdf against its oracle
    example: tuple  # batched parameters, batch_shape (2,), for the samples
    grid: tuple  # parameters and x, 4 each, for eager = jit = vmap
    extreme: Callable  # v in {1e-30, 1e30} -> (parameters, x, exact log_prob(x), condition)
    log_x: bool = False  # integrate in y = log x
    cdf_tol: dict = {}
    logsf: Callable | None = None  # (record, x) -> log_survival oracle; None: scipy's logsf
    score: Callable | None = None  # (record, x) -> closed-form score
    ppf: Callable | None = None  # (record, u) -> icdf oracle; None: scipy's ppf
    invalid: tuple = ((-1.0,),)  # parameters that give NaN (the first) and raise in check mode


def _half_normal_logsf(p, x):
    # scipy's halfnorm.logsf is log(erfc), -inf beyond z = 27; log 2 + norm.logsf(z) is exact.
    z = x / np.asarray(p.scale)
    return np.where(z > 0, np.log(2) + ss.norm.logsf(z), 0.0)


def _log_normal_scipy(p):
    return ss.lognorm(np.asarray(p.scale), scale=np.exp(np.asarray(p.loc)))


_X_HALF_LINE = gt.finite_arrays(shape=(3,), min_value=-5, max_value=60)
SPECS = {
    "exponential": Spec(
        Exponential,
        lambda p: ss.expon(scale=1.0 / np.asarray(p.rate)),
        gt.exponentials,
        _X_HALF_LINE,
        params=(2.0,),
        positive="rate",
        support=lambda x: x >= 0,
        mode=lambda p: np.zeros(np.shape(p.rate)),
        quadrature=lambda p: (np.zeros(2), 80.0 / np.asarray(p.rate)),  # e^-80 left out
        # u -> cdf(icdf(u)) has condition 1 below the median; above it, through
        # x = -log1p(-u)/rate, the condition is |x f(x) / F(x)| <= |log(1 - u)| (1 - u) / u, < 28.
        icdf_rtol=(1e-13, None),
        example=(jnp.array([0.5, 4.0]),),
        grid=(jnp.linspace(0.5, 2.0, 4), jnp.array([-1.0, 0.0, 0.5, 3.0])),
        extreme=lambda rate: ((rate,), 1.0 / rate, np.log(rate) - 1.0, 1),  # at the mean
        score=lambda p, x: np.where(x >= 0, -np.asarray(p.rate), 0.0),
        invalid=((-1.0,), (0.0,)),
    ),
    "half_normal": Spec(
        HalfNormal,
        lambda p: ss.halfnorm(scale=np.asarray(p.scale)),
        gt.half_normals,
        _X_HALF_LINE,
        params=(2.0,),
        positive="scale",
        support=lambda x: x >= 0,
        mode=lambda p: np.zeros(np.shape(p.scale)),
        quadrature=lambda p: (np.zeros(2), 40 * np.asarray(p.scale)),
        # above the median the round trip goes through 1 - u (exact) and ndtri, condition < 60
        icdf_rtol=(1e-12, 1e-12),
        example=(jnp.array([0.5, 3.0]),),
        grid=(jnp.linspace(0.5, 2.0, 4), jnp.array([-1.0, 0.0, 0.5, 3.0])),
        extreme=lambda s: ((s,), s, 0.5 * np.log(2 / np.pi) - np.log(s) - 0.5, 4),
        logsf=_half_normal_logsf,
        score=lambda p, x: np.where(x >= 0, -x / np.asarray(p.scale) ** 2, 0.0),
        # scipy's halfnorm.ppf, ndtri((1 + u)/2), loses digits for small u: erfinv is the oracle.
        ppf=lambda p, u: np.sqrt(2) * float(p.scale) * sc.erfinv(u),
    ),
    "log_normal": Spec(
        LogNormal,
        _log_normal_scipy,
        gt.log_normals,
        st.one_of(
            gt.finite_arrays(shape=(3,), min_value=-2, max_value=50),
            gt.positive_arrays(shape=(3,), min_value=1e-6, max_value=1e6),
        ),
        params=(0.5, 2.0),
        positive="scale",
        support=lambda x: x > 0,
        mode=lambda p: np.exp(np.asarray(p.loc) - np.asarray(p.scale) ** 2),
        # in y = log x: p(e^y) e^y g(e^y) dy on y in mu +- 40 sigma
        quadrature=lambda p: (p.loc - 40 * p.scale, p.loc + 40 * p.scale),
        log_x=True,
        # condition of u -> cdf(icdf(u)) through ndtri: |z phi(z) / Phi(z)| below 60 for |z| < 7.1
        icdf_rtol=(1e-12, 1e-12),
        example=(jnp.array([1.0, -0.5]), jnp.array([0.25, 0.8])),
        grid=(jnp.linspace(-1.0, 1.0, 4), jnp.linspace(0.5, 2.0, 4), jnp.array([-1.0, 0.5, 1, 3])),
        # at the median x = e^loc = 1 (where log x = loc exactly, as the width 1e-30 needs)
        extreme=lambda s: ((0.0, s), 1.0, -np.log(s) - 0.5 * np.log(2 * np.pi), 4),
        # the condition of Phi((log x - mu)/sigma) in x is |phi(z) / (sigma Phi(z))| <= 10 (1 + |z|)
        cdf_tol=dict(rtol=1e-9, atol=1e-300),
        invalid=((0.0, -1.0),),
    ),
}
parametrize = pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))


@parametrize
@given(data=st.data())
def test_matches_scipy(spec, data):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in
    # p, and log p crosses 0 (for the exponential, rate ~ 1 and x ~ 0 cancel in log(rate) - rate x).
    p = data.draw(spec.records(batch_shape=(3,)), label="p")
    x = uv.flush_subnormals(data.draw(spec.xs, label="x"))
    ref = spec.scipy(p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x), **spec.cdf_tol)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    logsf = ref.logsf(x) if spec.logsf is None else spec.logsf(p, x)
    gt.assert_allclose(log_survival, logsf, atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, spec.mode(p))


@parametrize
@given(data=st.data())
def test_normalised_with_quadrature_moments(spec, data):
    # Mass, mean and variance in one quadrature call on spec.quadrature (in y = log x if log_x).
    p = data.draw(spec.records(batch_shape=(2,)), label="p")
    mean = np.asarray(p.mean())
    lo, hi = (np.broadcast_to(np.asarray(b), (3, 2)) for b in spec.quadrature(p))

    def integrands(y):
        x = np.exp(y) if spec.log_x else y
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        if spec.log_x:
            density = density * x[:, 0]
        return np.stack([density, x[:, 1] * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=16
    )
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first, mean)
    gt.assert_allclose(second, np.asarray(p.variance()))


@parametrize
@given(data=st.data())
def test_score_is_grad_log_prob(spec, data):
    p = data.draw(spec.records(batch_shape=(3,)), label="p")
    x = uv.flush_subnormals(data.draw(spec.xs, label="x"))
    score, autodiff = uv.score_and_grad(p, jnp.asarray(x))
    gt.assert_allclose(score, autodiff)
    assert np.all(score[~spec.support(x)] == 0)
    if spec.score is not None:
        gt.assert_allclose(score, spec.score(p, x))


@parametrize
@given(data=st.data(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(spec, data, u):
    p = data.draw(spec.records(), label="p")
    x, round_trip = uv.icdf_round_trip(p, u)
    round_trip_rtol, icdf_rtol = spec.icdf_rtol
    gt.assert_allclose(round_trip, np.asarray(u), rtol=round_trip_rtol)
    ref = spec.scipy(p).ppf(u) if spec.ppf is None else spec.ppf(p, u)
    gt.assert_allclose(x, np.asarray(ref), rtol=icdf_rtol)


@parametrize
def test_samples_match_distribution(spec):
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = spec.cls(*spec.example)
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2) and np.all(spec.support(x))
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(
            x[:, i], spec.scipy(spec.cls(*(a[i] for a in spec.example))).cdf
        )


@parametrize
def test_float32_stays_float32(spec):
    p = spec.cls(*map(jnp.float32, spec.params))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    for u in (jnp.float32(0.3), jnp.float32(0.9), x * x):
        assert p.icdf(u).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert spec.cls(*spec.params).log_prob(jnp.float32(0.2)).dtype == jnp.float32


@parametrize
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("v", [1e-30, 1e30])
def test_extreme_parameters(spec, dtype, v):
    params, x, ref, condition = spec.extreme(v)
    p = spec.cls(*(jnp.asarray(a, dtype) for a in params))
    value = p.log_prob(jnp.asarray(x, dtype))
    assert np.isfinite(value)
    rtol = gt.tolerance(dtype, condition=condition)
    gt.assert_allclose(value, np.asarray(ref, dtype), rtol=rtol)


@parametrize
def test_shapes_broadcast(spec):
    # the first parameter varies along (2, 1), the last along (3,)
    shapes = [(2, 3)] if len(spec.params) == 1 else [(2, 1), (3,)]
    p = spec.cls(*(jnp.full(s, v) for s, v in zip(shapes, spec.params, strict=True)))
    assert p.batch_shape == (2, 3) and p.event_shape == ()
    assert p.log_prob(jnp.ones((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mode().shape == (2, 3)


@parametrize
def test_bad_input(spec):
    p = spec.cls(*(jnp.full(3, v) for v in spec.params))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        p.log_prob(jnp.ones(4))


@parametrize
def test_invalid_parameters_nan_by_default_and_raise_in_check_mode(spec):
    assert np.isnan(spec.cls(*spec.invalid[0]).log_prob(0.5))
    with gmath.config.checks(True):
        for params in spec.invalid:
            with pytest.raises(
                gmath.config.InvalidParameterError, match=f"{spec.positive} must be positive"
            ):
                spec.cls(*params)


def test_exponential_outside_support_and_tails():
    p = Exponential(2.0)
    assert p.log_prob(-1.0) == -np.inf
    assert p.cdf(-1.0) == 0.0 and p.log_cdf(-1.0) == -np.inf and p.log_survival(-1.0) == 0.0
    assert p.log_cdf(0.0) == -np.inf and p.cdf(0.0) == 0.0
    grads = jax.grad(lambda x, r: Exponential(r).log_prob(x), argnums=(0, 1))(-1.0, 2.0)
    assert grads == (0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0
    # log_cdf keeps its digits for tiny x (log(1 - e^-t) ~ log t) and large x.
    gt.assert_allclose(p.log_cdf(1e-20), np.asarray(ss.expon.logcdf(2e-20)))
    gt.assert_allclose(p.log_cdf(30.0), np.asarray(ss.expon.logcdf(60.0)))
    gt.assert_allclose(p.log_survival(1e150), np.asarray(-2e150))
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


def test_half_normal_outside_support_and_tails():
    p = HalfNormal(2.0)
    x = jnp.array([-1.0, 0.0])
    np.testing.assert_array_equal(p.log_prob(x), [-np.inf, 0.5 * np.log(2 / np.pi) - np.log(2)])
    np.testing.assert_array_equal(p.cdf(x), [0.0, 0.0])
    np.testing.assert_array_equal(p.log_cdf(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.log_survival(x), [0.0, 0.0])
    grad = jax.grad(lambda x, s: HalfNormal(s).log_prob(x), argnums=(0, 1))
    assert grad(-1.0, 2.0) == (0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0 and jax.grad(p.log_cdf)(0.0) == 0.0
    gt.assert_allclose(p.log_survival(400.0), np.asarray(np.log(2) + ss.norm.logsf(200.0)))
    gt.assert_allclose(p.log_cdf(1e-200), np.asarray(ss.halfnorm.logcdf(5e-201)))
    u = 1 - 2.0**-53  # icdf goes through the exact 1 - u = 2^-53
    gt.assert_allclose(p.icdf(u), np.asarray(-2 * ss.norm.ppf(2.0**-54)))
    assert p.icdf(1.0) == np.inf and p.icdf(0.0) == 0.0
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


def test_log_normal_outside_support_and_tails():
    p = LogNormal(0.0, 1.0)
    x = jnp.array([-1.0, 0.0])
    np.testing.assert_array_equal(p.log_prob(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.cdf(x), [0.0, 0.0])
    np.testing.assert_array_equal(p.log_cdf(x), [-np.inf, -np.inf])
    np.testing.assert_array_equal(p.log_survival(x), [0.0, 0.0])
    grad = jax.grad(lambda x, m, s: LogNormal(m, s).log_prob(x), argnums=(0, 1, 2))
    for v in (-1.0, 0.0):
        assert grad(v, 0.0, 1.0) == (0.0, 0.0, 0.0)
    assert jax.grad(p.log_cdf)(-1.0) == 0.0
    # deep tails by log_ndtr: scipy's lognorm.logsf is exact here (norm.logsf of log x)
    gt.assert_allclose(p.log_survival(1e100), np.asarray(ss.norm.logsf(np.log(1e100))))
    gt.assert_allclose(p.log_cdf(1e-100), np.asarray(ss.norm.logcdf(np.log(1e-100))))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_prob)(1e-300))


def test_log_normal_bad_parameter_shapes():
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        LogNormal(jnp.zeros(2), jnp.ones(3))


def test_invalid_parameters_give_nan_from_every_method():
    assert np.isnan(Exponential(-1.0).cdf(0.5))  # was -0.649
    for p in (Exponential(-1.0), HalfNormal(-1.0), LogNormal(0.0, -1.0)):
        for value in (p.log_prob(0.5), p.cdf(0.5), p.log_survival(0.5), p.icdf(0.5), p.mean()):
            assert np.isnan(value)
        assert np.all(np.isnan(p.sample(jax.random.key(0), (50,))))


@pytest.mark.parametrize(
    "make", [lambda s: Exponential(s), lambda s: HalfNormal(s), lambda s: LogNormal(0.2, s)]
)
def test_gradients_off_the_support_and_at_infinity_are_zero(make):
    for method in ("log_prob", "cdf", "log_cdf", "log_survival"):
        for x in (-np.inf, -1.0, np.inf):
            f = lambda x, s, m=method: getattr(make(s), m)(x)
            grads = jax.grad(f, argnums=(0, 1))(x, 1.7)
            np.testing.assert_array_equal(np.asarray(grads), np.zeros(2))
    assert make(1.7).log_prob(np.inf) == -np.inf and make(1.7).cdf(np.inf) == 1.0
