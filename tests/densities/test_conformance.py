"""One conformance battery for every family, driven by ``gmath.testing``'s parameter table.

Each family's parameters come from its row of ``FAMILY_TABLE`` (drawn once, by a fixed numpy
generator, over the ranges of its public strategy). One jitted bundle (``tests/_univariate.py``)
evaluates a whole table of cases per (family, dtype): a batched record holds the cases, so each
family compiles each bundle once.

* Every family: float32 parameters give float32 out of every method it has; invalid parameters
  give NaN (log_prob, samples, moments) by default and ``InvalidParameterError`` in checks mode; parameters that do not
  broadcast, and values whose shape does not fit, raise ``ValueError``.
* Location-scale families (``LOCATION_SCALE``): scipy.stats (or mpmath) in float64 for log_prob,
  the CDF methods, icdf, entropy and the moments; normalisation and moments by Gauss-Legendre
  quadrature; score = grad log_prob; cdf(icdf(u)) = u; samples against the CDF (DKW band) and the
  mean (Chebyshev band), false-failure probability 1e-6 per assertion with a fixed key;
  location-scale equivariance; eager = jit = vmap; extreme scales.

What is specific to one family (its tails, its edge cases) stays in its own file.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.stats as ss

import gmath
import gmath.testing as gt
from gmath.testing._families import FAMILY_TABLE

import _univariate as uv

ROWS = {row.family: row for row in FAMILY_TABLE}
FAMILIES = sorted(ROWS)
_CASES = 16  # parameter sets per family in the oracle tests


def _draw(family, *, batch_shape=(_CASES,), dtype=np.float64, seed=0, **kw):
    return ROWS[family].draw(
        np.random.default_rng(seed), batch_shape=batch_shape, dtype=dtype, **kw
    )


# ---------------------------------------------------------------------------- every family
# family -> replacements making every member of the batch invalid (each violates a constraint)
def _negate(name):
    return lambda p: {name: -jnp.asarray(getattr(p, name))}


INVALID: dict[str, Callable] = {
    "Bernoulli": lambda p: {"logits": None, "probs": jnp.full(p.batch_shape, 1.5)},
    "Beta": _negate("concentration1"),
    "Binomial": lambda p: {"total_count": -jnp.ones(p.batch_shape)},
    "Categorical": lambda p: {"logits": None, "probs": -jax.nn.softmax(p.logits)},
    "Cauchy": _negate("scale"),
    "Dirichlet": _negate("concentration"),
    "Exponential": _negate("rate"),
    "Gamma": _negate("rate"),
    "Geometric": lambda p: {"logits": None, "probs": jnp.full(p.batch_shape, 1.5)},
    "Gumbel": _negate("scale"),
    "HalfNormal": _negate("scale"),
    "Laplace": _negate("scale"),
    "LogNormal": _negate("scale"),
    "Logistic": _negate("scale"),
    "LowRankMultivariateNormal": _negate("cov_diag"),
    "MixtureSameFamily": lambda p: {"mixture_logits": jnp.full_like(p.mixture_logits, jnp.nan)},
    "MultivariateNormal": _negate("scale_tril"),
    "MultivariateNormalDiag": _negate("scale_diag"),
    "Normal": _negate("scale"),
    "Poisson": _negate("rate"),
    "StudentT": _negate("scale"),
    "TruncatedNormal": _negate("scale"),
    "Uniform": lambda p: {"low": p.high, "high": p.low},
    "VonMises": _negate("concentration"),
}
# outputs that are category indices: int32, with -1 (outside the support) for invalid parameters
INT32_OUTPUTS = {"Categorical": ("sample", "mode")}
_VALUE_METHODS = ("log_prob", "prob", "score", "cdf", "log_cdf", "log_survival")
_MOMENT_METHODS = ("entropy", "mean", "variance", "mode", "stddev")


def _call(p, method, *args):
    """``p.method(*args)``, or ``None`` where the family does not define it (a discrete score)."""
    try:
        return getattr(p, method)(*args)
    except NotImplementedError:
        return None
    except TypeError as err:
        if "undefined for the discrete distribution" in str(err):
            return None
        raise


def _outputs(p, x, u):
    """Every method of ``p`` it defines, at ``x`` (values) and ``u`` (icdf): ``{name: out}``."""
    out = {"sample": p.sample(jax.random.key(1), (3,))}
    for method in _VALUE_METHODS:
        out[method] = _call(p, method, x)
    out["icdf"] = _call(p, "icdf", u)
    for method in _MOMENT_METHODS:
        out[method] = _call(p, method)
    return {k: v for k, v in out.items() if v is not None}


def _masked_outputs(p, x):
    out = {"sample": p.sample(jax.random.key(1), (3,)), "log_prob": p.log_prob(x)}
    for method in _MOMENT_METHODS:
        out[method] = _call(p, method)
    return {k: v for k, v in out.items() if v is not None}


@pytest.mark.parametrize("family", FAMILIES)
def test_float32_in_float32_out(family):
    # dtypes by abstract evaluation (jax.eval_shape: traced, never compiled or run)
    p = _draw(family, batch_shape=(2,), dtype=np.float32)
    x = jax.eval_shape(lambda p: p.sample(jax.random.key(0), (3,)), p)
    out = jax.eval_shape(_outputs, p, x, jax.ShapeDtypeStruct((), jnp.float32))
    assert {"sample", "log_prob", "mean"} <= set(out)
    for method, value in out.items():
        expected = jnp.int32 if method in INT32_OUTPUTS.get(family, ()) else jnp.float32
        assert value.dtype == expected, method


@pytest.mark.parametrize("family", FAMILIES)
def test_invalid_parameters_nan_by_default_and_raise_in_check_mode(family):
    p = _draw(family, batch_shape=(2,))
    bad = dataclasses.replace(p, **INVALID[family](p))
    x = jax.eval_shape(lambda p: p.sample(jax.random.key(0)), p)
    x = jnp.zeros(x.shape, x.dtype)
    # one compiled program per family: log_prob, the draws and the moments are NaN on the
    # invalid batch (the same mask covers the other methods; compiling them all is the cost)
    out = jax.jit(_masked_outputs)(bad, x)
    for method, value in out.items():
        if method in INT32_OUTPUTS.get(family, ()):
            np.testing.assert_array_equal(value, -1, err_msg=method)
        else:
            assert np.all(np.isnan(value)), method
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match=family):
            dataclasses.replace(p, **INVALID[family](p))


@pytest.mark.parametrize("family", FAMILIES)
def test_bad_shapes_raise(family):
    p = _draw(family, batch_shape=(3,))
    ndims = p._param_event_ndims
    batched = [n for n, v in p._params().items() if jnp.ndim(v) > ndims[n]]
    if len(batched) > 1:  # two batched parameters that do not broadcast
        short = {batched[0]: jnp.asarray(getattr(p, batched[0]))[:2]}
        with pytest.raises(ValueError, match=r"shape \(2,?.*shape \(3,?"):
            dataclasses.replace(p, **short)
    x = jnp.zeros((4,) + tuple(p.event_shape))
    with pytest.raises(ValueError, match=rf"{family}\.log_prob: x .*shape"):
        p.log_prob(x)
    if p.event_shape:  # trailing dimensions that are not the event shape
        with pytest.raises(ValueError, match="event_shape"):
            p.log_prob(jnp.zeros((3, p.event_shape[-1] + 1)))


# ---------------------------------------------------------------------------- location-scale
class LocationScaleSpec(NamedTuple):
    scipy: object  # the scipy.stats family, called (loc, scale)
    quadrature: tuple  # [loc + lo scale, loc + hi scale]: all but 1e-16 of the mass or `mass`
    xs: tuple = (-60.0, 60.0)  # range of the x table
    log_atol: float = 1e-13  # absolute tolerance of log quantities near log p = 0
    score_atol: float = 1e-13  # absolute tolerance of the score near 0
    moments: bool = True  # the mean and variance exist (else NaN, as scipy)
    mass: Callable | None = None  # exact mass of the quadrature window (heavy tails)
    kink_at_loc: bool = False  # the score at loc is 0, the midpoint of the subdifferential
    # rtol of cdf(icdf(u)) = u (None: 1e-13 plus the rounding of x) and the icdf oracle
    round_trip_rtol: Callable | None = None
    icdf_oracle: Callable | None = None  # (loc, scale, u) -> reference; None: scipy's ppf


def _cauchy_ppf(loc, scale, u):
    # scipy's ppf, loc + scale tan(pi (u - 1/2)), loses up to 1e-4 relative near u = 0 and 1
    # (the pole of tan): mpmath at 30 digits
    with mpmath.workdps(30):
        return np.array(
            [
                [
                    float(
                        mpmath.mpf(m)
                        + mpmath.mpf(s) * mpmath.tan(mpmath.pi * (mpmath.mpf(v) - 0.5))
                    )
                    for m, s in zip(loc, scale, strict=True)
                ]
                for v in u[:, 0]
            ]
        )


LOCATION_SCALE = {
    "Normal": LocationScaleSpec(
        ss.norm,
        (-40, 40),
        xs=(-30.0, 30.0),
        log_atol=0.0,
        score_atol=0.0,
        # condition of u -> cdf(icdf(u)) is 1; of the round trip through x, |x pdf(x) / u|
        round_trip_rtol=lambda u: np.where(u > 1e-3, 1e-9, 1e-7),
    ),
    "Cauchy": LocationScaleSpec(
        ss.cauchy,
        (-50, 50),
        moments=False,
        mass=lambda: 2 * np.arctan(50.0) / np.pi,
        icdf_oracle=_cauchy_ppf,
    ),
    "Gumbel": LocationScaleSpec(ss.gumbel_r, (-5, 45)),
    "Laplace": LocationScaleSpec(ss.laplace, (-40, 40), kink_at_loc=True),
    "Logistic": LocationScaleSpec(ss.logistic, (-40, 40)),
}
loc_scale = pytest.mark.parametrize("family", sorted(LOCATION_SCALE))


def _scipy(family, loc, scale):
    return LOCATION_SCALE[family].scipy(np.asarray(loc), np.asarray(scale))


def _xs(family, p, n=8):
    """``(n, cases)`` points: uniform on the spec's range, and ``loc`` itself."""
    lo, hi = LOCATION_SCALE[family].xs
    x = np.random.default_rng(1).uniform(lo, hi, (n - 1,) + p.batch_shape)
    return uv.flush_subnormals(np.concatenate([x, np.asarray(p.loc)[None]]))


@loc_scale
def test_location_scale_matches_scipy(family):
    spec = LOCATION_SCALE[family]
    p = _draw(family)
    x = _xs(family, p)
    ref = _scipy(family, p.loc, p.scale)
    log_prob, cdf, log_cdf, log_survival, entropy, mean, variance, mode = uv.methods(p, x)
    gt.assert_allclose(log_prob, ref.logpdf(x), atol=spec.log_atol)
    gt.assert_allclose(p.prob(x), ref.pdf(x), atol=1e-300)
    gt.assert_allclose(cdf, ref.cdf(x), atol=1e-300)
    gt.assert_allclose(log_cdf, ref.logcdf(x), atol=spec.log_atol)
    gt.assert_allclose(log_survival, ref.logsf(x), atol=spec.log_atol)
    gt.assert_allclose(entropy, ref.entropy(), atol=spec.log_atol)
    if spec.moments:
        gt.assert_allclose(mean, ref.mean())
        gt.assert_allclose(variance, ref.var())
        gt.assert_allclose(p.stddev(), ref.std())
    else:
        assert np.all(np.isnan(mean)) and np.all(np.isnan(ref.mean()))
        assert np.all(np.isnan(variance)) and np.all(np.isnan(ref.var()))
    gt.assert_allclose(mode, np.asarray(p.loc))


@loc_scale
def test_location_scale_normalised_with_quadrature_moments(family):
    # Mass, first moment about loc and second about the mean in one quadrature call.
    spec = LOCATION_SCALE[family]
    p = _draw(family, batch_shape=(4,))
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    mean = np.asarray(p.mean()) if spec.moments else loc
    lo_k, hi_k = spec.quadrature
    lo = np.broadcast_to(loc + lo_k * scale, (3, 4))
    hi = np.broadcast_to(loc + hi_k * scale, (3, 4))

    def integrands(x):
        density = np.exp(np.asarray(uv.log_prob(p, x[:, 0])))
        first = (x[:, 1] - loc) * density / scale
        return np.stack([density, first, (x[:, 2] - mean) ** 2 * density], 1)

    mass, first, second = gt.gauss_legendre_integral(
        integrands, lo, hi, num_nodes=100, num_panels=16
    )
    gt.assert_allclose(mass, np.full(4, spec.mass() if spec.mass else 1.0))
    if spec.moments:
        gt.assert_allclose(first * scale + loc, mean, atol=1e-12 * float(scale.max()))
        gt.assert_allclose(second, np.asarray(p.variance()))
    else:  # symmetric window: the first moment about loc is 0
        gt.assert_allclose(first, np.zeros(4), atol=1e-13)


@loc_scale
def test_location_scale_score_is_grad_log_prob(family):
    p = _draw(family)
    x = jnp.asarray(_xs(family, p))
    score, autodiff = uv.score_and_grad(p, x)
    spec = LOCATION_SCALE[family]
    if spec.kink_at_loc:
        # At x = loc the score is 0 (midpoint of the subdifferential); jax.grad picks -1/scale.
        z = (np.asarray(x) - np.asarray(p.loc)) / np.asarray(p.scale)
        at_loc = np.abs(z) < np.finfo(np.float64).tiny
        assert at_loc[-1].all()  # the table holds x = loc
        gt.assert_allclose(score, np.where(at_loc, 0.0, autodiff), atol=spec.score_atol)
    else:
        gt.assert_allclose(score, autodiff, atol=spec.score_atol)


_US = np.array([1e-12, 1e-9, 1e-6, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 1 - 1e-3, 1 - 1e-6, 1 - 1e-12])


@loc_scale
def test_location_scale_cdf_inverts_icdf(family):
    spec = LOCATION_SCALE[family]
    p = _draw(family)
    u = np.broadcast_to(_US[:, None], (len(_US), _CASES))
    x, round_trip = uv.icdf_round_trip(p, u)
    x = np.asarray(x)
    loc, scale = np.asarray(p.loc), np.asarray(p.scale)
    if spec.round_trip_rtol is None:
        # rounding x (absolute eps (|x| + |loc|)) moves F by f(x) times that: relative condition
        cond = 4e-16 * (np.abs(x) + np.abs(loc)) * _scipy(family, loc, scale).pdf(x) / u
        rtol = 1e-13 + cond
    else:
        rtol = spec.round_trip_rtol(u)
    # rtol varies over the table: |cdf(icdf(u)) - u| <= rtol u, elementwise
    np.testing.assert_array_less(np.abs(np.asarray(round_trip) - u), rtol * u * (1 + 1e-12))
    if spec.icdf_oracle is None:
        ref, atol = _scipy(family, loc, scale).ppf(u), 1e-13 * scale
    else:
        ref, atol = spec.icdf_oracle(loc, scale, u), 1e-13 * (np.abs(loc) + scale)
    for i in range(_CASES):  # the absolute floor scales with each case's parameters
        gt.assert_allclose(x[:, i], ref[:, i], rtol=1e-12, atol=float(atol[i]))


@loc_scale
def test_location_scale_equivariance(family):
    # log p(a x + b; a m + b, a s) = log p(x; m, s) - log a
    cls = ROWS[family].cls
    x = jnp.linspace(-5.0, 5.0, 11)
    a, b = 2.5, -1.0
    lhs = cls(a * 0.3 + b, a * 1.7).log_prob(a * x + b)
    rhs = cls(0.3, 1.7).log_prob(x) - np.log(a)
    gt.assert_allclose(lhs, rhs)


@loc_scale
def test_location_scale_samples_match_distribution(family):
    # False-failure probability 1e-6 per assertion (DKW and Chebyshev bands), fixed key.
    cls = ROWS[family].cls
    p = cls(loc=jnp.array([1.0, -2.0]), scale=jnp.array([0.5, 3.0]))
    x = p.sample(jax.random.key(0), (20_000,))
    assert x.shape == (20_000, 2)
    if LOCATION_SCALE[family].moments:
        gt.assert_mean_matches(x, p.mean(), p.variance())
    for i in range(2):
        gt.assert_samples_match_cdf(x[:, i], _scipy(family, p.loc[i], p.scale[i]).cdf)


@loc_scale
def test_location_scale_transforms_agree(family):
    cls = ROWS[family].cls
    locs = jnp.linspace(-1.0, 1.0, 4)
    scales = jnp.linspace(0.5, 2.0, 4)
    xs = jnp.linspace(-3.0, 3.0, 4)
    gt.assert_transform_consistent(lambda m, s, x: cls(m, s).log_prob(x), locs, scales, xs)
    gt.assert_transform_consistent(lambda p, x: p.cdf(x), cls(locs, scales), xs)
    gt.assert_transform_consistent(lambda p, x: p.log_cdf(x), cls(locs, scales), xs)


@loc_scale
def test_location_scale_float32_and_weak_parameters(family):
    cls = ROWS[family].cls
    p = cls(jnp.float32(0.5), jnp.float32(2.0))
    x = jnp.linspace(-1, 1, 5, dtype=jnp.float32)
    for method in _VALUE_METHODS:
        assert getattr(p, method)(x).dtype == jnp.float32, method
    # Python-scalar parameters are weak: they follow the input's dtype.
    assert cls(0.0, 1.0).log_prob(jnp.float32(0.2)).dtype == jnp.float32


@loc_scale
@pytest.mark.parametrize("dtype", [jnp.float32, jnp.float64])
def test_location_scale_extreme_scales(family, dtype):
    # log p(loc) = log p_Z(0) - log scale at scale 1e-30 and 1e30, in both dtypes
    cls = ROWS[family].cls
    scale = jnp.asarray([1e-30, 1e30], dtype)
    p = cls(jnp.asarray(1.0, dtype), scale)
    value = p.log_prob(jnp.asarray(1.0, dtype))
    assert np.all(np.isfinite(value))
    expected = cls(1.0, 1.0).log_prob(1.0) - np.log(np.array([1e-30, 1e30]))
    gt.assert_allclose(value, np.asarray(expected, dtype))


@loc_scale
def test_location_scale_shapes_broadcast_and_messages(family):
    cls = ROWS[family].cls
    p = cls(loc=jnp.zeros((2, 1)), scale=jnp.ones(3))
    assert p.batch_shape == (2, 3)
    assert p.event_shape == ()
    assert p.log_prob(jnp.zeros((5, 2, 3))).shape == (5, 2, 3)
    assert p.sample(jax.random.key(1), (4,)).shape == (4, 2, 3)
    assert p.entropy().shape == (2, 3) and p.mean().shape == (2, 3)
    with pytest.raises(ValueError, match=r"loc with shape \(2,\).*scale with shape \(3,\)"):
        cls(jnp.zeros(2), jnp.ones(3))
    with pytest.raises(ValueError, match=r"x with shape \(4,\).*batch_shape \(3,\)"):
        cls(jnp.zeros(3), 1.0).log_prob(jnp.zeros(4))
    invalid = cls(0.0, -1.0)
    assert np.isnan(invalid.log_prob(0.5)) and np.isnan(invalid.cdf(0.5))
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="scale must be positive"):
            cls(0.0, -1.0)


# ---------------------------------------------------------------------------- the census
_GENERIC = (("all", "float32"), ("all", "invalid_nan"), ("all", "invalid_raises"))  # and shapes
_LOC_SCALE_CHECKS = (
    ("log_prob", "scipy"),
    ("cdf", "scipy"),
    ("log_cdf", "scipy"),
    ("log_survival", "scipy"),
    ("entropy", "scipy"),
    ("icdf", "scipy"),
    ("log_prob", "quadrature"),
    ("score", "grad_log_prob"),
    ("icdf", "round_trip"),
    ("sample", "goodness_of_fit"),
    ("log_prob", "transforms"),
    ("all", "bad_shape"),
)


def oracle_checks() -> list[tuple[str, str, str]]:
    """The (family, method, oracle) checks this battery runs (for the census of the tests)."""
    checks = [(f, m, o) for f in FAMILIES for m, o in _GENERIC + (("all", "bad_shape"),)]
    for f, spec in LOCATION_SCALE.items():
        checks += [(f, m, o) for m, o in _LOC_SCALE_CHECKS]
        checks += [(f, "prob", "scipy"), (f, "mean", "scipy"), (f, "variance", "scipy")]
        if spec.moments:
            checks.append((f, "stddev", "scipy"))
        if spec.icdf_oracle is not None:
            checks = [c for c in checks if c != (f, "icdf", "scipy")] + [(f, "icdf", "mpmath")]
    return sorted(set(checks))
