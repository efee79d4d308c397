r"""Float32 accuracy of every family's ``log_prob`` and ``cdf``, in excess bits.

For each family we draw parameters over a documented domain (the ``gmath.testing`` strategy
domains) and points x spread over the bulk and the tails (quantiles 1e-6 ... 1 - 1e-6), all
rounded to float32. The reference is the float64 value at those same float32 inputs (scipy.stats,
checked against mpmath where scipy is weak), so input rounding is not counted. The error of the
float32 result is compared with what rounding inside any float32 algorithm must cost, the
function's conditioning:

.. math::
    \text{excess bits} = \log_2 \max\Big(1, \frac{|f_{32} - f|}
        {\varepsilon_{32} \max(|f|, \sum_i |\theta_i\,\partial f / \partial\theta_i|)}\Big),

the sum running over x and every parameter (derivatives by autodiff of gmath's float64 code,
itself tested against scipy). 0 means "as accurate as the float32 format allows"; the goal is at
most 4 excess bits for every family.

Run: ``python scripts/accuracy_table.py`` (``make accuracy``); writes
``docs/generated/accuracy.json``, rendered by ``docs/gen_pages.py`` into ``docs/accuracy.md``.
"""

from __future__ import annotations

import json
import math
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jax

jax.config.update("jax_enable_x64", True)

import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
import scipy.special as sps  # noqa: E402
import scipy.stats as ss  # noqa: E402

from gmath import densities as gd  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
EPS32 = float(np.finfo(np.float32).eps)


@dataclass
class Spec:
    """How to test one family: parameter domain, constructor, scipy reference, points."""

    name: str
    domain: str
    params: dict[str, Any]  # name -> callable(rng, n) -> float64 array
    make: Any  # (**params) -> gmath distribution
    reference: Any  # (**params) -> scipy frozen distribution (vectorised)
    discrete: bool = False
    functions: tuple[str, ...] = ("log_prob", "cdf")

    def __post_init__(self):
        if self.discrete:
            self.functions = ("log_prob",)

    support: Any = None  # discrete: (**params) -> integer points array per parameter row
    extra: dict = field(default_factory=dict)


def _uniform(lo, hi):
    return lambda rng, n: rng.uniform(lo, hi, n)


def _log_uniform(lo, hi):
    return lambda rng, n: np.exp(rng.uniform(np.log(lo), np.log(hi), n))


def _f32(a):
    return np.asarray(a, np.float64).astype(np.float32)


def specs() -> list[Spec]:
    loc = _uniform(-10, 10)
    scale = _log_uniform(0.1, 10)
    out = [
        Spec(
            "Normal",
            "loc in [-10, 10], scale in [0.1, 10]",
            {"loc": loc, "scale": scale},
            lambda loc, scale: gd.Normal(loc, scale),
            lambda loc, scale: ss.norm(loc, scale),
        ),
        Spec(
            "LogNormal",
            "loc in [-2, 2], scale in [0.1, 2]",
            {"loc": _uniform(-2, 2), "scale": _log_uniform(0.1, 2)},
            lambda loc, scale: gd.LogNormal(loc, scale),
            lambda loc, scale: ss.lognorm(scale, scale=np.exp(loc)),
        ),
        Spec(
            "HalfNormal",
            "scale in [0.1, 10]",
            {"scale": scale},
            lambda scale: gd.HalfNormal(scale),
            lambda scale: ss.halfnorm(scale=scale),
        ),
        Spec(
            "TruncatedNormal",
            "loc in [-5, 5], scale in [0.1, 5], low = loc + a scale, a in [-4, 2], width in [0.1, 6] scale",
            {
                "loc": _uniform(-5, 5),
                "scale": _log_uniform(0.1, 5),
                "a": _uniform(-4, 2),
                "w": _uniform(0.1, 6),
            },
            lambda loc, scale, a, w: gd.TruncatedNormal(
                loc, scale, loc + a * scale, loc + (a + w) * scale
            ),
            lambda loc, scale, a, w: ss.truncnorm(a, a + w, loc=loc, scale=scale),
        ),
        Spec(
            "StudentT",
            "df in [0.5, 30], loc in [-10, 10], scale in [0.1, 10]",
            {"df": _log_uniform(0.5, 30), "loc": loc, "scale": scale},
            lambda df, loc, scale: gd.StudentT(df, loc, scale),
            lambda df, loc, scale: ss.t(df, loc, scale),
        ),
        Spec(
            "Cauchy",
            "loc in [-10, 10], scale in [0.1, 10]",
            {"loc": loc, "scale": scale},
            lambda loc, scale: gd.Cauchy(loc, scale),
            lambda loc, scale: ss.cauchy(loc, scale),
        ),
        Spec(
            "Laplace",
            "loc in [-10, 10], scale in [0.1, 10]",
            {"loc": loc, "scale": scale},
            lambda loc, scale: gd.Laplace(loc, scale),
            lambda loc, scale: ss.laplace(loc, scale),
        ),
        Spec(
            "Logistic",
            "loc in [-10, 10], scale in [0.1, 10]",
            {"loc": loc, "scale": scale},
            lambda loc, scale: gd.Logistic(loc, scale),
            lambda loc, scale: ss.logistic(loc, scale),
        ),
        Spec(
            "Gumbel",
            "loc in [-10, 10], scale in [0.1, 10]",
            {"loc": loc, "scale": scale},
            lambda loc, scale: gd.Gumbel(loc, scale),
            lambda loc, scale: ss.gumbel_r(loc, scale),
        ),
        Spec(
            "Exponential",
            "rate in [0.1, 10]",
            {"rate": _log_uniform(0.1, 10)},
            lambda rate: gd.Exponential(rate),
            lambda rate: ss.expon(scale=1 / rate),
        ),
        Spec(
            "Gamma",
            "concentration in [0.2, 50], rate in [0.1, 10]",
            {"concentration": _log_uniform(0.2, 50), "rate": _log_uniform(0.1, 10)},
            lambda concentration, rate: gd.Gamma(concentration, rate),
            lambda concentration, rate: ss.gamma(concentration, scale=1 / rate),
        ),
        Spec(
            "Beta",
            "concentration1, concentration0 in [0.2, 20]",
            {"concentration1": _log_uniform(0.2, 20), "concentration0": _log_uniform(0.2, 20)},
            lambda concentration1, concentration0: gd.Beta(concentration1, concentration0),
            lambda concentration1, concentration0: ss.beta(concentration1, concentration0),
        ),
        Spec(
            "Uniform",
            "low in [-10, 10], width in [0.1, 10]",
            {"low": _uniform(-10, 10), "w": _log_uniform(0.1, 10)},
            lambda low, w: gd.Uniform(low, low + w),
            lambda low, w: ss.uniform(low, w),
        ),
        Spec(
            "VonMises",
            "loc in [-pi, pi], concentration in [0.01, 50]",
            {"loc": _uniform(-np.pi, np.pi), "concentration": _log_uniform(0.01, 50)},
            lambda loc, concentration: gd.VonMises(loc, concentration),
            lambda loc, concentration: ss.vonmises(concentration, loc=loc),
            functions=("log_prob",),
        ),
        Spec(
            "Bernoulli",
            "logits in [-10, 10]",
            {"logits": _uniform(-10, 10)},
            lambda logits: gd.Bernoulli(logits=logits),
            lambda logits: ss.bernoulli(sps.expit(logits)),
            discrete=True,
            support=lambda logits: np.array([0, 1]),
        ),
        Spec(
            "Binomial",
            "total_count in [1, 50], logits in [-5, 5]",
            {
                "n": lambda rng, k: rng.integers(1, 51, k).astype(np.float64),
                "logits": _uniform(-5, 5),
            },
            lambda n, logits: gd.Binomial(n, logits=logits),
            lambda n, logits: ss.binom(n, sps.expit(logits)),
            discrete=True,
            support=lambda n, logits: np.arange(0, 51),
        ),
        Spec(
            "Poisson",
            "rate in [0.1, 50]",
            {"rate": _log_uniform(0.1, 50)},
            lambda rate: gd.Poisson(rate),
            lambda rate: ss.poisson(rate),
            discrete=True,
            support=lambda rate: np.arange(0, 150),
        ),
        Spec(
            "Geometric",
            "logits in [-5, 5] (failures before the first success)",
            {"logits": _uniform(-5, 5)},
            lambda logits: gd.Geometric(logits=logits),
            lambda logits: ss.geom(sps.expit(logits), loc=-1),
            discrete=True,
            support=lambda logits: np.arange(0, 200),
        ),
    ]
    return out


@dataclass
class MultiSpec:
    """A multivariate family: ``log_prob`` against a per-row scipy reference."""

    name: str
    domain: str
    draw: Any  # rng -> dict of float64 parameter arrays for one distribution
    make: Any  # (**params) -> gmath distribution
    reference: Any  # (params, x[k, d]) -> float64 log-densities [k]
    points: Any  # (rng, params, k) -> float64 points [k, d]
    scalar_events: bool = False  # univariate family: points are [k, 1], log_prob takes [k]


def _random_spd(rng, d, lo=0.1, hi=10.0):
    q, r = np.linalg.qr(rng.standard_normal((d, d)))
    q = q * np.sign(np.diag(r))
    w = np.exp(rng.uniform(np.log(lo), np.log(hi), d))
    return (q * w) @ q.T


def multi_specs() -> list[MultiSpec]:
    d = 4

    def mvn_draw(rng):
        cov = _random_spd(rng, d)
        return {"loc": rng.uniform(-5, 5, d), "scale_tril": np.linalg.cholesky(cov)}

    def gaussian_points(rng, params, k):
        if "scale_tril" in params:
            L = params["scale_tril"]
        elif "scale_diag" in params:
            L = np.diag(params["scale_diag"])
        else:
            L = np.linalg.cholesky(
                params["cov_factor"] @ params["cov_factor"].T + np.diag(params["cov_diag"])
            )
        radius = np.concatenate([np.linspace(0, 3, k // 2), np.linspace(3, 8, k - k // 2)])
        z = rng.standard_normal((k, d))
        z = z / np.linalg.norm(z, axis=1, keepdims=True) * radius[:, None]
        return params["loc"] + z @ L.T

    def mvn_ref(params, x):
        cov = params["scale_tril"] @ params["scale_tril"].T
        return ss.multivariate_normal(params["loc"], cov).logpdf(x)

    def diag_ref(params, x):
        return ss.multivariate_normal(params["loc"], np.diag(params["scale_diag"] ** 2)).logpdf(x)

    def lowrank_ref(params, x):
        w = params["cov_factor"]
        return ss.multivariate_normal(params["loc"], w @ w.T + np.diag(params["cov_diag"])).logpdf(
            x
        )

    def dirichlet_points(rng, params, k):
        x = rng.dirichlet(params["concentration"], k)
        return np.clip(x, 1e-30, None) / np.clip(x, 1e-30, None).sum(1, keepdims=True)

    def mixture_draw(rng):
        return {
            "mixture_logits": rng.uniform(-3, 3, 3),
            "loc": rng.uniform(-5, 5, 3),
            "scale": np.exp(rng.uniform(np.log(0.3), np.log(3.0), 3)),
        }

    def mixture_ref(params, x):
        w = sps.log_softmax(params["mixture_logits"])
        comp = ss.norm(params["loc"], params["scale"]).logpdf(x[:, 0:1])
        return sps.logsumexp(w + comp, axis=1)

    def mixture_points(rng, params, k):
        u = np.concatenate([np.linspace(-12, 12, k)])
        return u[:, None]

    def independent_ref(params, x):
        return ss.norm(params["loc"], params["scale"]).logpdf(x).sum(-1)

    def independent_points(rng, params, k):
        return params["loc"] + params["scale"] * rng.standard_normal((k, d)) * 3

    return [
        MultiSpec(
            "Independent",
            f"Independent(Normal, 1) over d = {d}: loc in [-10, 10], scale in [0.1, 10]",
            lambda rng: {
                "loc": rng.uniform(-10, 10, d),
                "scale": np.exp(rng.uniform(np.log(0.1), np.log(10), d)),
            },
            lambda loc, scale: gd.Independent(gd.Normal(loc, scale), 1),
            independent_ref,
            independent_points,
        ),
        MultiSpec(
            "MultivariateNormal",
            f"d = {d}, loc in [-5, 5], covariance eigenvalues in [0.1, 10]",
            mvn_draw,
            lambda loc, scale_tril: gd.MultivariateNormal(loc, scale_tril=scale_tril),
            mvn_ref,
            gaussian_points,
        ),
        MultiSpec(
            "MultivariateNormalDiag",
            f"d = {d}, loc in [-5, 5], scale_diag in [0.1, 10]",
            lambda rng: {
                "loc": rng.uniform(-5, 5, d),
                "scale_diag": np.exp(rng.uniform(np.log(0.1), np.log(10), d)),
            },
            lambda loc, scale_diag: gd.MultivariateNormalDiag(loc, scale_diag),
            diag_ref,
            gaussian_points,
        ),
        MultiSpec(
            "LowRankMultivariateNormal",
            f"d = {d}, rank 2, factor entries in [-2, 2], diag in [0.1, 10]",
            lambda rng: {
                "loc": rng.uniform(-5, 5, d),
                "cov_factor": rng.uniform(-2, 2, (d, 2)),
                "cov_diag": np.exp(rng.uniform(np.log(0.1), np.log(10), d)),
            },
            lambda loc, cov_factor, cov_diag: gd.LowRankMultivariateNormal(
                loc, cov_factor, cov_diag
            ),
            lowrank_ref,
            gaussian_points,
        ),
        MultiSpec(
            "Dirichlet",
            "d = 3, concentration in [0.3, 20]",
            lambda rng: {"concentration": np.exp(rng.uniform(np.log(0.3), np.log(20), 3))},
            lambda concentration: gd.Dirichlet(concentration),
            _dirichlet_ref,
            dirichlet_points,
        ),
        MultiSpec(
            "MixtureSameFamily",
            "3 Normal components, logits in [-3, 3], loc in [-5, 5], scale in [0.3, 3]",
            mixture_draw,
            lambda mixture_logits, loc, scale: gd.MixtureSameFamily(
                mixture_logits, gd.Normal(loc, scale)
            ),
            mixture_ref,
            mixture_points,
            scalar_events=True,
        ),
    ]


def _dirichlet_ref(params, x):
    # scipy's dirichlet.logpdf insists on sum(x) == 1 to 1e-8; float32 points are off by 3e-8.
    a = params["concentration"]
    return np.sum((a - 1) * np.log(x), axis=1) + sps.gammaln(a.sum()) - sps.gammaln(a).sum()


def _family_rng(seed: int, name: str) -> np.random.Generator:
    """One generator per family, so filtered and full runs draw the same points."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def _categorical_excess_bits(rng, num_params: int, k: int = 6):
    """Categorical log_prob over all k classes; conditioning from the logits."""
    f = jax.jit(lambda logits: gd.Categorical(logits=logits).log_prob(jnp.arange(k)))
    jac = jax.jit(jax.jacrev(lambda logits: gd.Categorical(logits=logits).log_prob(jnp.arange(k))))
    worst, at = 0.0, ""
    for _ in range(num_params):
        logits = _f32(rng.uniform(-10, 10, k)).astype(np.float64)
        ref = sps.log_softmax(logits)
        out32 = np.asarray(f(jnp.asarray(logits, jnp.float32)), np.float64)
        sens = np.abs(np.asarray(jac(jnp.asarray(logits))) * logits[None, :]).sum(-1)
        ratio = np.abs(out32 - ref) / (EPS32 * np.maximum(np.abs(ref), sens))
        i = int(np.argmax(ratio))
        bits = math.log2(max(1.0, float(ratio[i])))
        if bits >= worst:
            worst, at = bits, f"class {i}, logits={np.array2string(logits, precision=2)}"
    return worst, at


def _multi_excess_bits(spec: MultiSpec, rng, num_params: int, num_points: int):
    worst_bits, worst_at = 0.0, ""
    names = None
    for _ in range(num_params):
        params = {k: _f32(v).astype(np.float64) for k, v in spec.draw(rng).items()}
        names = list(params)
        x = _f32(spec.points(rng, params, num_points)).astype(np.float64)
        ref = np.asarray(spec.reference(params, x), np.float64)

        def f(x, *theta, names=names):
            dist = spec.make(**dict(zip(names, theta, strict=True)))
            return dist.log_prob(x[..., 0] if spec.scalar_events else x)

        out32 = np.asarray(
            _jit_cache(spec.name, f)(
                jnp.asarray(x, jnp.float32), *[jnp.asarray(params[n], jnp.float32) for n in names]
            ),
            np.float64,
        )
        grads = _grad_cache(spec.name, f, len(names))(
            jnp.asarray(x), *[jnp.asarray(params[n]) for n in names]
        )
        sens = np.abs(x * np.asarray(grads[0])).sum(-1)
        for n, g in zip(names, grads[1:], strict=True):
            sens = sens + np.abs(params[n] * np.asarray(g)).reshape(x.shape[0], -1).sum(-1)
        scale = np.maximum(np.abs(ref), sens)
        ratio = np.abs(out32 - ref) / (EPS32 * scale)
        ratio = np.where(np.isfinite(ref), ratio, 0.0)
        i = int(np.argmax(ratio))
        bits = math.log2(max(1.0, float(ratio[i])))
        if bits >= worst_bits:
            worst_bits = bits
            worst_at = f"x={np.array2string(x[i], precision=3)}"
    return worst_bits, worst_at


_JITS: dict = {}


def _jit_cache(name, f):
    if name not in _JITS:
        _JITS[name] = jax.jit(f)
    return _JITS[name]


def _grad_cache(name, f, num_params):
    key = name + "/grad"
    if key not in _JITS:
        per_point = jax.grad(
            lambda x, *theta: f(x[None], *theta)[0], argnums=tuple(range(num_params + 1))
        )
        _JITS[key] = jax.jit(jax.vmap(per_point, in_axes=(0,) + (None,) * num_params))
    return _JITS[key]


def _values(dist, fn_name, x):
    return getattr(dist, fn_name)(x)


def _central_differences(f, args, which, rel_step=1e-6):
    fj = jax.jit(f)
    out = []
    for i in which:
        h = rel_step * np.maximum(np.abs(args[i]), 1e-3)
        up = [jnp.asarray(a) for a in args]
        down = [jnp.asarray(a) for a in args]
        up[i] = jnp.asarray(args[i] + h)
        down[i] = jnp.asarray(args[i] - h)
        out.append((np.asarray(fj(*up)) - np.asarray(fj(*down))) / (2 * h))
    return out


def _excess_bits(spec: Spec, fn_name: str, params64: dict, x64: np.ndarray):
    """Worst excess bits over the grid, and where it occurs."""
    ref_dist = spec.reference(**params64)
    if fn_name == "log_prob":
        ref = ref_dist.logpmf(x64) if spec.discrete else ref_dist.logpdf(x64)
    else:
        ref = ref_dist.cdf(x64)
    names = list(params64)

    def f(x, *theta):
        return _values(spec.make(**dict(zip(names, theta, strict=True))), fn_name, x)

    theta64 = [jnp.asarray(params64[n]) for n in names]
    out32 = np.asarray(
        jax.jit(f)(jnp.asarray(x64, jnp.float32), *[t.astype(jnp.float32) for t in theta64]),
        np.float64,
    )
    differentiable = [0] if not spec.discrete else []
    differentiable += [i + 1 for i, n in enumerate(names) if n != "n"]
    args = [x64] + [np.broadcast_to(np.asarray(t), x64.shape) for t in theta64]
    try:
        grads = jax.jit(jax.vmap(jax.grad(lambda *a: f(*a), argnums=tuple(differentiable))))(
            jnp.asarray(x64), *[jnp.broadcast_to(t, x64.shape) for t in theta64]
        )
    except ValueError:
        # no autodiff rule (JAX's betainc in its shape parameters): float64 central differences
        grads = _central_differences(f, args, differentiable)
    sensitivity = sum(
        np.abs(np.asarray(args[i]) * np.asarray(g))
        for i, g in zip(differentiable, grads, strict=True)
    )
    ok = np.isfinite(ref) & (np.abs(ref) > np.finfo(np.float32).tiny)
    scale = np.maximum(np.abs(ref), sensitivity)
    err = np.abs(out32 - ref)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(ok, err / (EPS32 * scale), 0.0)
    ratio = np.where(np.isnan(ratio), np.inf, ratio)
    worst = int(np.argmax(ratio))
    bits = math.log2(max(1.0, float(ratio[worst])))
    at = ", ".join(f"{k}={float(np.asarray(v)[worst]):.4g}" for k, v in params64.items())
    return bits, f"x={float(x64[worst]):.6g}, {at}"


def run(num_params: int = 200, num_points: int = 40, seed: int = 0, only=None):
    rows, missing = [], []
    for spec in specs():
        rng = _family_rng(seed, spec.name)
        if only and spec.name not in only:
            continue
        if not hasattr(gd, spec.name):
            missing.append(spec.name)
            continue
        params = {
            k: _f32(sample(rng, num_params)).astype(np.float64) for k, sample in spec.params.items()
        }
        if spec.discrete:
            pts = spec.support(**{k: v[0] for k, v in params.items()})
            x = np.broadcast_to(pts[None, :], (num_params, pts.size)).astype(np.float64)
        else:
            u = np.concatenate(
                [
                    np.logspace(-6, -1, num_points // 4),
                    np.linspace(0.1, 0.9, num_points // 2),
                    1 - np.logspace(-1, -6, num_points // 4),
                ]
            )
            frozen = spec.reference(**{k: v[:, None] for k, v in params.items()})
            x = _f32(frozen.ppf(u[None, :])).astype(np.float64)
        grid = {k: np.broadcast_to(v[:, None], x.shape).ravel() for k, v in params.items()}
        xs = x.ravel()
        keep = np.isfinite(xs)
        grid = {k: v[keep] for k, v in grid.items()}
        xs = xs[keep]
        for fn_name in spec.functions:
            if not hasattr(spec.make(**{k: v[:1] for k, v in grid.items()}), fn_name):
                continue
            t0 = time.perf_counter()
            bits, at = _excess_bits(spec, fn_name, grid, xs)
            rows.append(
                {
                    "family": spec.name,
                    "function": fn_name,
                    "domain": spec.domain,
                    "excess_bits": round(bits, 3),
                    "at": at,
                    "seconds": round(time.perf_counter() - t0, 2),
                }
            )
            print(
                f"{spec.name:16s} {fn_name:9s} {bits:6.2f} excess bits  (worst at {at})", flush=True
            )
    if (not only or "Categorical" in only) and hasattr(gd, "Categorical"):
        bits, at = _categorical_excess_bits(_family_rng(seed, "Categorical"), num_params)
        rows.append(
            {
                "family": "Categorical",
                "function": "log_prob",
                "domain": "6 classes, logits in [-10, 10]",
                "excess_bits": round(bits, 3),
                "at": at,
                "seconds": 0.0,
            }
        )
        print(f"{'Categorical':16s} log_prob  {bits:6.2f} excess bits  (worst at {at})", flush=True)
    for spec in multi_specs():
        rng = _family_rng(seed, spec.name)
        if only and spec.name not in only:
            continue
        if not hasattr(gd, spec.name):
            missing.append(spec.name)
            continue
        t0 = time.perf_counter()
        bits, at = _multi_excess_bits(spec, rng, num_params // 4, num_points)
        rows.append(
            {
                "family": spec.name,
                "function": "log_prob",
                "domain": spec.domain,
                "excess_bits": round(bits, 3),
                "at": at,
                "seconds": round(time.perf_counter() - t0, 2),
            }
        )
        print(f"{spec.name:16s} log_prob  {bits:6.2f} excess bits  (worst at {at})", flush=True)
    return rows, missing


def main(argv=None) -> int:
    only = set(argv[1:]) if argv and len(argv) > 1 else None
    rows, missing = run(only=only)
    preamble = [
        "Each row: the worst float32 error over 200 parameter draws x 40 points (quantiles",
        "1e-6 ... 1 - 1e-6; the whole support for discrete families) against the float64",
        "reference at the same float32 inputs, in bits beyond the function's conditioning",
        "(see `scripts/accuracy_table.py` for the definition). Goal: at most 4 for every family.",
    ]
    if missing:
        preamble += ["", "Not measured (family not implemented): " + ", ".join(missing) + "."]
    out = ROOT / "docs" / "generated" / "accuracy.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    if not only:
        out.write_text(json.dumps({"preamble": preamble, "rows": rows}, indent=1) + "\n")
        print(f"wrote {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
