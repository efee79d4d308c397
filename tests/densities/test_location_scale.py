"""Gumbel, Laplace, Logistic: one harness for the location-scale families.

Each family against its scipy.stats law in float64, quadrature, score, round trip, samples and
edges; the shared checks run once per family (``SPECS``), the family-specific tails below them.
"""

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.stats as ss
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.testing as gt
from gmath.densities import Gumbel, Laplace, Logistic

import _univariate as uv


class Spec(NamedTuple):
    cls: type
    scipy: object  # the scipy.stats family
    records: object  # the gmath.testing strategy of records
    quadrature: tuple  # [loc + lo scale, loc + hi scale] holds all but 1e-16 of the mass
    kink_at_loc: bool = False  # the score at loc is 0, the midpoint of the subdifferential


SPECS = {
    "gumbel": Spec(Gumbel, ss.gumbel_r, gt.gumbels, (-5, 45)),
    "laplace": Spec(Laplace, ss.laplace, gt.laplaces, (-40, 40), kink_at_loc=True),
    "logistic": Spec(Logistic, ss.logistic, gt.logistics, (-40, 40)),
}
parametrize = pytest.mark.parametrize("spec", list(SPECS.values()), ids=list(SPECS))


def _scipy(spec, p):
    return spec.scipy(np.asarray(p.loc), np.asarray(p.scale))


_X3 = gt.finite_arrays(shape=(3,), min_value=-60, max_value=60)


@parametrize
@given(data=st.data(), x=_X3)
def test_matches_scipy(spec, data, x):
    # Log-quantities also get atol=1e-13: an absolute error d in log p is a relative error d in
    # p, and log p crosses 0 where its relative error is meaningless.
    p = data.draw(spec.records(batch_shape=(3,)), label="p")
    x = uv.flush_subnormals(x)
    ref = _scipy(spec, p)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=1e-13)
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=1e-13)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=1e-13)
    gt.assert_allclose(entropy, ref.entropy(), atol=1e-13)
    gt.assert_allclose(mean, ref.mean())
    gt.assert_allclose(variance, ref.var())
    gt.assert_allclose(mode, np.asarray(p.loc))


@parametrize
@given(data=st.data())
def test_normalised_with_quadrature_moments(spec, data):
    # Mass, mean and variance in one quadrature call, on spec.quadrature (in scales from loc).
    p = data.draw(spec.records(batch_shape=(2,)), label="p")
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    mean = np.asarray(p.mean())
    lo_k, hi_k = spec.quadrature
    lo = np.broadcast_to(loc + lo_k * scale, (3, 2))
    hi = np.broadcast_to(loc + hi_k * scale, (3, 2))

    def integrands(x):
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        return np.stack([density, (x[:, 1] - loc) * density, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=16
    )
    gt.assert_allclose(mass, np.ones(2))
    gt.assert_allclose(first + loc, mean, atol=1e-12 * float(scale.max()))
    gt.assert_allclose(second, np.asarray(p.variance()))


@parametrize
@given(data=st.data(), x=_X3)
def test_score_is_grad_log_prob(spec, data, x):
    p = data.draw(spec.records(batch_shape=(3,)), label="p")
    x = jnp.asarray(uv.flush_subnormals(x))
    score, autodiff = uv.score_and_grad(p, x)
    if spec.kink_at_loc:
        # At x = loc the score is 0 (midpoint of the subdifferential); jax.grad picks -1/scale.
        # z = (x - loc)/scale below the smallest normal float is flushed to 0 by XLA
        z = (np.asarray(x) - np.asarray(p.loc)) / np.asarray(p.scale)
        at_loc = np.abs(z) < np.finfo(np.float64).tiny
        gt.assert_allclose(score, np.where(at_loc, 0.0, autodiff), atol=1e-13)
        gt.assert_allclose(p.score(p.loc), np.zeros(3))
    else:
        gt.assert_allclose(score, autodiff, atol=1e-13)


@parametrize
@given(data=st.data(), u=st.floats(1e-12, 1 - 1e-12))
def test_cdf_inverts_icdf(spec, data, u):
    p = data.draw(spec.records(), label="p")
    x, round_trip = uv.icdf_round_trip(p, u)
    # condition of u -> icdf(u) is |u / (x f(x))|; the round trip has condition 1 up to the
    # rounding of x.
    # rounding x (absolute eps (|x| + |loc|)) moves F by f(x) times that: relative condition
    cond = 4e-16 * (abs(float(x)) + abs(float(p.loc))) * float(_scipy(spec, p).pdf(x)) / u
    gt.assert_allclose(round_trip, np.asarray(u), rtol=1e-13 + cond)
    gt.assert_allclose(
        x, np.asarray(_scipy(spec, p).ppf(u)), rtol=1e-12, atol=1e-13 * float(p.scale)
    )


@parametrize
def test_location_scale_equivariance(spec):
    # log p(a x + b; a m + b, a s) = log p(x; m, s) - log a
    x = jnp.linspace(-5.0, 5.0, 11)
    a, b = 2.5, -1.0
    lhs = spec.cls(a * 0.3 + b, a * 1.7).log_prob(a * x + b)
    rhs = spec.cls(0.3, 1.7).log_prob(x) - np.log(a)
    gt.assert_allclose(lhs, rhs)


@parametrize
def test_samples_match_distribution(spec):
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    p = spec.cls(loc=jnp.array([1.0, -2.0]), scale=jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(spec, spec.cls(p.loc[i], p.scale[i])).cdf)


@parametrize
def test_transforms_agree(spec):
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.linspace(-3.0, 3.0, 4)
    gt.assert_transform_consistent(lambda m, s, x: spec.cls(m, s).log_prob(x), locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), spec.cls(locs, scales), xs)


@parametrize
def test_float32_stays_float32(spec):
    p = spec.cls(jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival"):
        assert getattr(p, method)(x).dtype == jnp.float32, method
    assert p.icdf(jnp.float32(0.3)).dtype == jnp.float32
    for method in ("entropy", "mean", "variance", "mode"):
        assert getattr(p, method)().dtype == jnp.float32, method
    assert p.sample(jax.random.key(0), (3,)).dtype == jnp.float32
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert spec.cls(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


@parametrize
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
@pytest.mark.parametrize("scale", [1e-30, 1e30])
def test_extreme_parameters(spec, dtype, scale):
    p = spec.cls(jnp.asarray(1.0, dtype), jnp.asarray(scale, dtype))
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.isfinite(value)
    expected = spec.cls(1.0, 1.0).log_prob(1.0) - np.log(scale)
    gt.assert_allclose(value, np.asarray(expected, dtype))


@parametrize
def test_shapes_broadcast(spec):
    p = spec.cls(loc=jnp.zeros((2, 1)), scale=jnp.ones(3))
    assert p.batch_shape == (2, 3)
    assert p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mean().shape == (2, 3)


@parametrize
def test_bad_input(spec):
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        spec.cls(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        spec.cls(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))


@parametrize
def test_invalid_parameters_nan_by_default_and_raise_in_check_mode(spec):
    assert np.isnan(spec.cls(0.0, -1.0).log_prob(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            spec.cls(0.0, -1.0)


def test_gumbel_tails():
    # log_survival = log(1 - exp(-e^-z)) ~ -z deep in the upper tail; log_cdf = -e^-z exactly.
    p = Gumbel(0.0, 1.0)
    gt.assert_allclose(p.log_survival(700.0), np.asarray(-700.0))
    gt.assert_allclose(p.log_survival(40.0), np.asarray(ss.gumbel_r.logsf(40.0)))
    gt.assert_allclose(p.log_cdf(-5.0), np.asarray(-np.exp(5.0)))
    gt.assert_allclose(p.score(-3.0), np.asarray(np.expm1(3.0)))
    gt.assert_allclose(p.icdf(1 - 1e-15), np.asarray(ss.gumbel_r.ppf(1 - 1e-15)))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_survival)(700.0))


def test_laplace_tails():
    p = Laplace(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-700.0), np.asarray(-700.0 - np.log(2)))
    gt.assert_allclose(p.log_survival(700.0), np.asarray(-700.0 - np.log(2)))
    gt.assert_allclose(p.log_cdf(40.0), np.asarray(ss.laplace.logcdf(40.0)))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(np.log(2e-300)))
    # gradients stay finite where the other branch of the where would overflow
    assert np.isfinite(jax.grad(p.log_cdf)(-800.0)) and np.isfinite(jax.grad(p.log_survival)(800.0))
    assert np.isfinite(jax.grad(p.log_prob)(1e150))


def test_logistic_tails():
    p = Logistic(0.0, 1.0)
    gt.assert_allclose(p.log_cdf(-800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_survival(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.log_prob(800.0), np.asarray(-800.0))
    gt.assert_allclose(p.icdf(1e-300), np.asarray(np.log(1e-300)))
    assert np.isfinite(jax.grad(p.log_prob)(1e150)) and np.isfinite(jax.grad(p.log_cdf)(-1e150))


@pytest.mark.parametrize("cls", [Gumbel, Laplace, Logistic, gmath.densities.Cauchy])
def test_cdfs_and_log_prob_at_infinity_have_zero_gradients(cls):
    for method in ("cdf", "log_cdf", "log_survival", "log_prob"):
        for x in (-np.inf, np.inf):
            f = lambda x, m, s, method=method: getattr(cls(m, s), method)(x)
            grads = jax.grad(f, argnums=(0, 1, 2))(x, 0.3, 1.7)
            np.testing.assert_array_equal(np.asarray(grads), np.zeros(3))
    assert cls(0.3, 1.7).log_prob(-np.inf) == -np.inf  # Gumbel: was NaN (inf - inf)


def test_gumbel_log_survival_far_out_is_minus_z():
    # log(1 - exp(-e^{-z})) = -z - e^{-z}/2 + ...: finite where e^{-z} underflows (was -inf)
    p = Gumbel(jnp.float32(0), jnp.float32(1e-30))
    gt.assert_allclose(p.log_survival(jnp.float32(1.0)), np.float32(-1e30), rtol=1e-6)
    np.testing.assert_allclose(Gumbel(0.0, 1.0).log_survival(800.0), -800.0, rtol=1e-15)


@pytest.mark.parametrize("cls", [Gumbel, Laplace, Logistic, gmath.densities.Cauchy])
def test_tiny_scale_gradients_in_float32(cls):
    f32 = jnp.float32
    g = jax.grad(lambda s: cls(f32(0), s).log_prob(f32(0)))(f32(1e-30))
    gt.assert_allclose(g, np.float32(-1e30), rtol=1e-6)  # -1/scale at z = 0
    g = jax.grad(lambda s: cls(f32(0), s).score(f32(0)))(f32(1e-30))
    assert np.isfinite(g)


@pytest.mark.parametrize("cls", [Gumbel, Laplace, Logistic, gmath.densities.Cauchy])
def test_invalid_scale_gives_nan_samples(cls):
    assert np.all(np.isnan(cls(0.0, -1.0).sample(jax.random.key(0), (50,))))
    assert np.isnan(cls(0.0, -1.0).cdf(0.5))
