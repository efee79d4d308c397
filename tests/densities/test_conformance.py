"""One conformance battery for every family, driven by ``gmath.testing``'s parameter table.

Each family's parameters come from its row of ``FAMILY_TABLE`` (drawn once, by a fixed numpy
generator, over the ranges of its public strategy); the row's oracle columns give its float64
reference law (``row.scipy``) and the methods it defines (``row.methods``, ``row.support``).

* Every family: float32 parameters give float32 out of every method it has; invalid parameters
  (an infinite loc included) give NaN by default and ``InvalidParameterError`` in checks mode;
  parameters that do not broadcast, and values whose shape does not fit, raise ``ValueError``.
* The oracle battery, from ONE jitted bundle per family (every method on a table of
  ``_CASES`` parameter rows and fixed-shape points, compiled once): log_prob, prob, the CDF
  methods, entropy and the moments against the oracle in float64; normalisation by
  Gauss-Legendre quadrature on panels between quantiles (continuous) or by summation over the
  support (discrete); score = grad log_prob; cdf(icdf(u)) = u and icdf against the oracle's
  quantile (mpmath for Cauchy); samples against the CDF (DKW band) and the mean (CLT band),
  false-failure probability 1e-6 per assertion with a fixed key; eager = jit = vmap.
* Location-scale families: equivariance, extreme scales, weak Python-scalar parameters.

What is specific to one family (its tails, its edge cases) stays in its own file.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import mpmath
import numpy as np
import pytest
import scipy.special as sp
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


# families with a location: an infinite one is no distribution (regression: Normal(inf, 1) gave
# log_prob -inf and mean inf, plausible numbers)
_INFINITE_LOC = ("Cauchy", "Gumbel", "Laplace", "Logistic", "Normal", "StudentT")


@pytest.mark.parametrize("family", _INFINITE_LOC)
def test_infinite_loc_is_invalid(family):
    p = _draw(family, batch_shape=(2,))
    bad = dataclasses.replace(p, loc=jnp.array([jnp.inf, -jnp.inf]))
    out = jax.jit(_outputs)(bad, jnp.zeros(2), jnp.full(2, 0.5))
    for method, value in out.items():
        assert np.all(np.isnan(value)), method
    with gmath.config.checks(True):
        with pytest.raises(
            gmath.config.InvalidParameterError, match=f"{family}: loc must be finite"
        ):
            dataclasses.replace(p, loc=jnp.array([1.0, jnp.inf]))


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
# the families of the LocationScale mixin
LOCATION_SCALE = ("Cauchy", "Gumbel", "Laplace", "Logistic", "Normal")
loc_scale = pytest.mark.parametrize("family", LOCATION_SCALE)


# ---------------------------------------------------------------------------- the oracle battery
# Every family against its row's float64 oracle (``row.scipy``), from ONE jitted bundle per
# family: a table of ``_CASES`` parameter rows (the record's batch) and fixed-shape points.
# Points are the oracle's quantiles (the bulk and the tails to 1e-6), so every case is a
# well-conditioned one of the family's documented domain.
_U_POINTS = np.array([1e-6, 1e-3, 0.05, 0.25, 0.45, 0.6, 0.8, 0.97, 1 - 1e-4, 1 - 1e-6])
_U_ICDF = np.array([1e-10, 1e-6, 1e-3, 0.1, 0.3, 0.5, 0.7, 0.9, 0.999, 1 - 1e-6])
# quadrature panels between the oracle's quantiles at these levels: each panel's mass is known
# (the difference of the levels), and the density is smooth inside it
_U_PANELS = np.array(
    [1e-8, 1e-6, 1e-4, 1e-3, 0.01, 0.05, 0.2, 0.4, 0.5, 0.6, 0.8, 0.95, 0.99, 0.999, 1 - 1e-4]
    + [1 - 1e-6, 1 - 1e-8]
)
_GL_NODES, _GL_WEIGHTS = np.polynomial.legendre.leggauss(48)
_SAMPLES = 10_000
_FALSE_FAILURE = 1e-6  # per sampling assertion (DKW band, CLT band), fixed key
_DISCRETE_TAIL = 1e-14  # summation up to the oracle's quantile 1 - this
_VECTOR = ("vector", "simplex")


class Oracle(NamedTuple):
    """What a family's comparison with its oracle needs beyond its table row."""

    log_atol: float = 1e-12  # absolute tolerance of log quantities (they cross 0)
    cdf_atol: float = 0.0  # absolute tolerance of the CDF (scipy's own error where it is absolute)
    score_atol: float = 1e-12  # absolute tolerance of score = grad log_prob near 0
    ppf_rtol: float = 1e-9  # icdf against the oracle's ppf (root finding in scipy)
    # the CDF methods are compared where the oracle's log CDF (survival) is above this: scipy's
    # logcdf/logsf of some laws are log(cdf)/log(sf), which lose the deep tail
    log_tail: float = -np.inf
    entropy: Callable | None = None  # record -> entropy oracle; None: the oracle's entropy()
    round_trip_rtol: Callable = lambda tail: 1e-12  # |F(icdf(u)) - u| / min(u, 1 - u)
    round_trip_atol: float = 0.0  # where the CDF is exact in absolute terms only
    cdf_rtol: float | None = None  # None: gt.assert_allclose's float64 default
    panel_atol: float = 1e-17  # absolute tolerance of each quadrature panel's mass
    variance: Callable | None = None  # record -> variance oracle; None: the oracle's var()


def _geometric_entropy(p):
    # scipy's nbinom(1, q).entropy() sums the pmf to a fixed length (wrong for small q); geom,
    # the same law shifted by 1, has the closed form (-(1 - q) log(1 - q) - q log q) / q
    return ss.geom(np.asarray(p.probs_parameter())).entropy()


def _circular_variance(p):
    # VonMises.variance is the circular variance 1 - I1(k)/I0(k) (scipy's var is the linear one)
    k = np.asarray(p.concentration)
    return 1 - sp.i1e(k) / sp.i0e(k)


ORACLE = {
    # scipy's truncnorm cdf is (Phi(x) - Phi(a)) / Z, which cancels at 1e-6: ~4e-10 relative
    "TruncatedNormal": Oracle(cdf_rtol=1e-9),
    "Geometric": Oracle(entropy=_geometric_entropy),
    # the mixture's icdf inverts its CDF numerically (Chandrupatla, to a tolerance)
    "MixtureSameFamily": Oracle(round_trip_rtol=lambda tail: np.where(tail > 1e-3, 1e-9, 1e-7)),
    # scipy's vonmises cdf sums Hill's series: ~2e-13 absolute (test_von_mises holds ours to
    # mpmath at 2e-15); its log CDF and log survival are log(cdf), log(1 - cdf)
    # (so its ppf, the panels' edges: 2e-13 absolute in the panel masses); ours is exact in
    # absolute terms, so is the round trip
    "VonMises": Oracle(
        cdf_atol=5e-13,
        log_tail=np.log(1e-3),
        round_trip_atol=4e-15,
        ppf_rtol=np.inf,  # scipy's vonmises ppf root-finds on that cdf: the round trip holds ours
        panel_atol=2e-13,
        variance=_circular_variance,
    ),
    # Cauchy: scipy's ppf tan(pi (u - 1/2)) loses 1e-4 relative near 0 and 1 (mpmath below)
    "Cauchy": Oracle(ppf_rtol=np.inf),
}


def _oracle(family):
    return ORACLE.get(family, Oracle())


def _batched(p):
    """``p`` with every parameter carrying the batch axis (Binomial's total_count is drawn once
    for the batch), so that vmap maps every leaf of the record on axis 0."""
    shared = {
        name: np.broadcast_to(value, (_CASES,) + np.shape(value))
        for name, value in p._params().items()
        if np.ndim(value) == p._param_event_ndims[name]
    }
    return dataclasses.replace(p, **shared) if shared else p


class _Case(NamedTuple):
    p: object  # the record, batch (_CASES,)
    ref: object  # its oracle
    x: np.ndarray  # points (n, _CASES) + event
    u: np.ndarray  # probabilities (n, _CASES) for icdf
    nodes: np.ndarray  # quadrature nodes (panels * nodes, _CASES) or the summed support
    jac: np.ndarray  # d x / d s at the nodes, times the Gauss-Legendre weights
    panel_mass: np.ndarray  # (panels, _CASES): the oracle's mass of each panel
    out: dict  # the bundle's outputs (numpy)


def _points(row, p, ref, rng):
    if row.support in _VECTOR:
        laws = ref.laws
        return np.stack([law.rvs(size=len(_U_POINTS), random_state=rng) for law in laws], 1)
    u = np.broadcast_to(_U_POINTS[:, None], (len(_U_POINTS), _CASES))
    return uv.flush_subnormals(np.asarray(ref.ppf(u), np.float64))


def _support_ends(row, p):
    lo = {"positive": 0.0, "unit": 0.0}.get(row.support)
    hi = {"unit": 1.0}.get(row.support)
    if row.support == "interval":
        lo, hi = np.asarray(p.low), np.asarray(p.high)
    lo = None if lo is None else np.broadcast_to(lo, (_CASES,))
    hi = None if hi is None else np.broadcast_to(hi, (_CASES,))
    return lo, hi


def _quadrature_nodes(row, p, ref):
    """Nodes and weighted Jacobians of Gauss-Legendre on every panel between consecutive
    quantiles ``_U_PANELS``, in ``s = log(x - low)`` below the median where the support has a
    finite lower end and ``s = log(high - x)`` above it where it has a finite upper end (smooth
    integrands at power-law ends), in ``x`` otherwise. Panels within 1e-6 (relative) of a finite
    end, where x cannot resolve the mass, are left out (weight 0, mass 0)."""
    edges = np.asarray(ref.ppf(np.broadcast_to(_U_PANELS[:, None], (len(_U_PANELS), _CASES))))
    lo_end, hi_end = _support_ends(row, p)
    a, b = edges[:-1], edges[1:]  # (panels, cases)
    mid = 0.5 * (_U_PANELS[:-1] + _U_PANELS[1:])[:, None]
    if row.support == "real":  # tails in log |x - median| (power-law tails are smooth there)
        median = np.asarray(ref.ppf(np.full(_CASES, 0.5)))
        lo_end, hi_end = median, median
        a_tail, b_tail = mid < 0.05, mid > 0.95
    else:
        a_tail, b_tail = mid < 0.5, mid >= 0.5
    t, w = _GL_NODES[:, None, None], _GL_WEIGHTS[:, None, None]
    x = 0.5 * (a + b) + 0.5 * (b - a) * t
    jac = 0.5 * (b - a) * w * np.ones_like(t)
    keep = np.ones(a.shape, bool)
    for end, side in ((lo_end, a_tail), (hi_end, b_tail)):
        if end is None:
            continue
        sign = np.where(a + b > 2 * end, 1.0, -1.0)  # the panel lies above or below the end
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            sa, sb = np.log(sign * (a - end)), np.log(sign * (b - end))
            s = 0.5 * (sa + sb) + 0.5 * (sb - sa) * t
            xs = end + sign * np.exp(s)
            js = 0.5 * (sb - sa) * w * np.exp(s)
        x = np.where(side, xs, x)
        jac = np.where(side, np.abs(js), jac)
        if row.support != "real":
            near = np.minimum(np.abs(a - end), np.abs(b - end)) <= 1e-6 * (1 + np.abs(end))
            keep &= ~(side & near)
    mass = np.where(keep, np.diff(_U_PANELS)[:, None], 0.0)
    jac = np.where(keep, jac, 0.0)
    x = np.where(keep, x, 0.5 * (a + b))
    shape = (-1, _CASES)
    return x.reshape(shape), jac.reshape(shape), mass


def _summed_support(ref):
    top = int(np.max(ref.ppf(np.full(_CASES, 1 - _DISCRETE_TAIL)))) + 2
    support = np.broadcast_to(np.arange(top, dtype=np.float64)[:, None], (top, _CASES))
    return support, np.ones_like(support), np.asarray(ref.cdf(np.full(_CASES, top - 1.0)))


def _bundle(row):
    """``(p, x, u, nodes, key) -> {name: value}``: every method of the family at once, its
    score and autodiff's, the round trip, per-member vmaps, parameter gradients, samples."""
    methods = row.methods

    def member(q, xb, ub):
        """The value methods of one member (vmapped over the table: eager = jit = vmap)."""
        out = {"log_prob": q.log_prob(xb)}
        if "score" in methods:
            out["score"] = q.score(xb)
        if "cdf" in methods:
            out["cdf"], out["log_cdf"] = q.cdf(xb), q.log_cdf(xb)
            out["log_survival"] = q.log_survival(xb)
        if "icdf" in methods:
            out["icdf"] = q.icdf(ub)
        moments = {}
        for name in ("entropy", "mean", "variance", "mode"):
            value = _call(q, name)
            if value is not None:
                moments[name] = value
        return out, moments

    def bundle(p, x, u, nodes, key):
        out = {"log_prob": p.log_prob(x), "prob": p.prob(x), "nodes": p.log_prob(nodes)}
        for name in ("entropy", "mean", "variance", "stddev", "mode"):
            value = _call(p, name)
            if value is not None:
                out[name] = value
        if "score" in methods:
            out["score"] = p.score(x)
            out["grad"] = jax.grad(lambda v: jnp.sum(p.log_prob(v)))(x)
        if "cdf" in methods:
            out["cdf"], out["log_cdf"], out["log_survival"] = (
                p.cdf(x),
                p.log_cdf(x),
                p.log_survival(x),
            )
        if "icdf" in methods:
            q = p.icdf(u)
            out["icdf"], out["round_trip"], out["round_trip_sf"] = (
                q,
                p.cdf(q),
                p.log_survival(q),
            )
        out["sample"] = p.sample(key, (_SAMPLES,))
        values, moments = jax.vmap(member, in_axes=(0, 1, 1), out_axes=(1, 0))(p, x, u)
        out["vmap"] = {**values, **moments}
        return out

    return jax.jit(bundle)


@functools.cache
def _case(family) -> _Case:
    row = ROWS[family]
    p = _batched(_draw(family))
    ref = row.scipy(p)
    x = _points(row, p, ref, np.random.default_rng(2))
    u = np.broadcast_to(_U_ICDF[:, None], (len(_U_ICDF), _CASES))
    if row.discrete:
        nodes, jac, mass = _summed_support(ref)
    elif row.support in _VECTOR:
        nodes, jac, mass = x, np.zeros(x.shape[:2]), np.zeros(1)
    else:
        nodes, jac, mass = _quadrature_nodes(row, p, ref)
    out = _bundle(row)(p, x, u, nodes, jax.random.key(0))
    out = jax.tree_util.tree_map(np.asarray, out)
    return _Case(p, ref, x, u, nodes, jac, mass, out)


def _reference_log_prob(row, ref, x):
    return ref.logpmf(x) if row.discrete else ref.logpdf(x)


@pytest.mark.parametrize("family", FAMILIES)
def test_matches_oracle(family):
    # log_prob, prob, the CDF methods and the moments against the row's float64 oracle
    row, c, spec = ROWS[family], _case(family), _oracle(family)
    ref_log_prob = _reference_log_prob(row, c.ref, c.x)
    gt.assert_allclose(c.out["log_prob"], ref_log_prob, atol=spec.log_atol)
    gt.assert_allclose(c.out["prob"], np.exp(ref_log_prob), atol=1e-300)
    if "cdf" in row.methods:
        gt.assert_allclose(c.out["cdf"], c.ref.cdf(c.x), rtol=spec.cdf_rtol, atol=spec.cdf_atol)
        for name, ref in (("log_cdf", c.ref.logcdf(c.x)), ("log_survival", c.ref.logsf(c.x))):
            held = ref > spec.log_tail
            assert held.mean() > 0.5, name  # the table is mostly compared
            gt.assert_allclose(c.out[name][held], ref[held], atol=spec.log_atol, err_msg=name)
    if "entropy" in c.out:
        entropy = c.ref.entropy() if spec.entropy is None else spec.entropy(c.p)
        gt.assert_allclose(c.out["entropy"], entropy, atol=spec.log_atol)
    mean = np.asarray(c.ref.mean())
    defined = np.isfinite(mean)  # scipy's mean is inf or NaN where it does not exist
    gt.assert_allclose(c.out["mean"][defined], mean[defined], atol=1e-12)
    assert not np.isfinite(c.out["mean"][~defined]).any()  # gmath: NaN (Cauchy, StudentT df <= 1)
    var = np.asarray(c.ref.var() if spec.variance is None else spec.variance(c.p))
    finite = np.isfinite(var)
    gt.assert_allclose(c.out["variance"][finite], var[finite])
    gt.assert_allclose(c.out["stddev"][finite], np.sqrt(var[finite]))
    # an infinite (or undefined) variance is no finite number (StudentT: NaN for df <= 2)
    assert not np.isfinite(c.out["variance"][~finite]).any()


# the vector families' normalisation is their own file's (Gauss-Jacobi on the simplex) or follows
# from the oracle's log-density at arbitrary points
@pytest.mark.parametrize("family", [f for f in FAMILIES if ROWS[f].support not in _VECTOR])
def test_normalised(family):
    # continuous: Gauss-Legendre on panels between quantiles, each panel's mass against the
    # oracle's; discrete: the pmf summed over the support against the oracle's CDF there
    row, c = ROWS[family], _case(family)
    weighted = np.zeros_like(c.jac)
    used = c.jac > 0  # panels left out have weight 0 (their nodes may sit where p is infinite)
    weighted[used] = np.exp(c.out["nodes"][used]) * c.jac[used]
    if row.discrete:
        gt.assert_allclose(weighted.sum(0), c.panel_mass, rtol=1e-12)
        return
    panels = weighted.reshape(len(_GL_NODES), -1, _CASES).sum(0)
    gt.assert_allclose(panels, c.panel_mass, rtol=1e-9, atol=_oracle(family).panel_atol)
    assert (c.panel_mass > 0).sum() >= 0.6 * c.panel_mass.size  # most panels are integrated


@pytest.mark.parametrize("family", [f for f in FAMILIES if "score" in ROWS[f].methods])
def test_score_is_grad_log_prob(family):
    c, spec = _case(family), _oracle(family)
    gt.assert_allclose(c.out["score"], c.out["grad"], atol=spec.score_atol)


@pytest.mark.parametrize("family", [f for f in FAMILIES if "icdf" in ROWS[f].methods])
def test_icdf_round_trip_and_oracle(family):
    c, spec = _case(family), _oracle(family)
    x, u = c.out["icdf"], c.u
    eps = np.finfo(np.float64).eps
    # rounding x (relative eps (|x| + spread)) moves the CDF by the density times that
    spread = np.abs(c.ref.ppf(np.full(_CASES, 0.75)) - c.ref.ppf(np.full(_CASES, 0.25)))
    slack = 8 * eps * (np.abs(x) + spread) * c.ref.pdf(x)
    lower = u <= 0.5
    tail = np.minimum(u, 1 - u)
    bound = spec.round_trip_rtol(tail) * tail + spec.round_trip_atol + slack
    np.testing.assert_array_less(np.abs(c.out["round_trip"] - u)[lower], bound[lower])
    survival = np.exp(c.out["round_trip_sf"])
    np.testing.assert_array_less(np.abs(survival - (1 - u))[~lower], bound[~lower])
    if np.isfinite(spec.ppf_rtol):
        ref = c.ref.ppf(u)
        gt.assert_allclose(x, ref, rtol=spec.ppf_rtol, atol=1e-12 * float(spread.max()))


def _projected(row, c):
    """(samples, cdf of member b, mean, variance) of a scalar view of each member: the draw for
    univariate laws; for vectors the first coordinate (a Dirichlet marginal is Beta(a_1, a_0 -
    a_1)) or the sum of the coordinates (a normal with variance 1' C 1)."""
    x = c.out["sample"]
    if row.support == "simplex":
        alpha = np.asarray(c.p.concentration)
        laws = ss.beta(alpha[:, 0], alpha.sum(-1) - alpha[:, 0])
        return x[..., 0], lambda b: lambda t: laws.cdf(t[:, None])[:, b], laws.mean(), laws.var()
    if row.support == "vector":
        mean = np.asarray(c.ref.mean()).sum(-1)
        var = np.array([law.cov.sum() for law in c.ref.laws])
        laws = ss.norm(mean, np.sqrt(var))
        return x.sum(-1), lambda b: lambda t: laws.cdf(t[:, None])[:, b], mean, var
    if hasattr(c.ref, "laws"):  # Categorical: one scipy law per member
        return x, lambda b: c.ref.laws[b].cdf, c.ref.mean(), c.ref.var()
    return x, lambda b: lambda t: c.ref.cdf(t[:, None])[:, b], c.ref.mean(), c.ref.var()


@pytest.mark.parametrize("family", FAMILIES)
def test_samples_match_distribution(family):
    # DKW band on each member's empirical CDF and the CLT band on the means (where the
    # variance is finite), false-failure probability 1e-6 per assertion, fixed key.
    row, c = ROWS[family], _case(family)
    x, cdf, mean, var = _projected(row, c)
    assert x.shape == (_SAMPLES, _CASES)
    for b in range(_CASES):
        gt.assert_samples_match_cdf(x[:, b], cdf(b), false_failure=_FALSE_FAILURE)
    finite = np.isfinite(np.asarray(var, np.float64))
    if finite.any():
        gt.assert_mean_matches(
            x[:, finite],
            np.asarray(mean)[finite],
            np.asarray(var)[finite],
            false_failure=_FALSE_FAILURE,
        )


@pytest.mark.parametrize("family", FAMILIES)
def test_transforms_agree(family):
    # jit (the bundle) = eager (log_prob, cdf) = vmap over the members (log_prob, score, the CDF
    # methods, icdf, entropy, the moments, the mode); the score = grad check is above
    c, methods = _case(family), ROWS[family].methods
    eager = np.asarray(c.p.log_prob(jnp.asarray(c.x)))
    gt.assert_allclose(c.out["log_prob"], eager, rtol=1e-13)
    if "cdf" in methods:
        gt.assert_allclose(c.out["cdf"], np.asarray(c.p.cdf(jnp.asarray(c.x))), rtol=1e-13)
    for name, value in c.out["vmap"].items():
        gt.assert_allclose(value, c.out[name], rtol=1e-13, err_msg=name)


def _cauchy_icdf_mpmath(loc, scale, u):
    # loc + scale tan(pi (u - 1/2)) at 30 digits: scipy's tan loses the tails
    with mpmath.workdps(30):
        return np.array(
            [
                [
                    float(
                        mpmath.mpf(m)
                        + mpmath.mpf(s) * mpmath.tan(mpmath.pi * (mpmath.mpf(v) - 0.5))
                    )
                    for m, s, v in zip(loc, scale, row, strict=True)
                ]
                for row in u
            ]
        )


def test_cauchy_icdf_against_mpmath():
    c = _case("Cauchy")
    loc, scale = np.asarray(c.p.loc), np.asarray(c.p.scale)
    ref = _cauchy_icdf_mpmath(loc, scale, c.u)
    gt.assert_allclose(
        c.out["icdf"], ref, rtol=1e-12, atol=1e-13 * float(np.max(np.abs(loc) + scale))
    )


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
_GENERIC = (
    ("all", "float32"),
    ("all", "invalid_nan"),
    ("all", "invalid_raises"),
    ("all", "bad_shape"),
    ("sample", "goodness_of_fit"),
    ("log_prob", "transforms"),
    ("log_prob", "scipy"),
    ("prob", "scipy"),
    ("mean", "scipy"),
    ("variance", "scipy"),
    ("stddev", "scipy"),
)


def oracle_checks() -> list[tuple[str, str, str]]:
    """The (family, method, oracle) checks this battery runs (for the census of the tests):
    derived from the table rows as the tests above are."""
    checks = []
    for f in FAMILIES:
        row = ROWS[f]
        checks += [(f, m, o) for m, o in _GENERIC]
        if f != "MixtureSameFamily":  # the only family without a closed-form entropy
            checks.append((f, "entropy", "scipy"))
        if "cdf" in row.methods:
            checks += [(f, m, "scipy") for m in ("cdf", "log_cdf", "log_survival")]
        if row.discrete:
            checks.append((f, "log_prob", "normalisation_sum"))
        elif row.support not in _VECTOR:
            checks.append((f, "log_prob", "quadrature"))
        if "score" in row.methods:
            checks.append((f, "score", "grad_log_prob"))
        if "icdf" in row.methods:
            checks.append((f, "icdf", "round_trip"))
            if np.isfinite(_oracle(f).ppf_rtol):
                checks.append((f, "icdf", "scipy"))
    checks.append(("Cauchy", "icdf", "mpmath"))
    return sorted(set(checks))
