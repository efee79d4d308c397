"""Edge grid of gmath.scores: every schedule constructor at the ends of its domain, EDM
preconditioning at sigma 0 / tiny / huge / invalid, prediction conversions at the ends.

Schedule oracles are the constructors' formulas written out by hand (alpha, sigma and their
derivatives, f = alpha'/alpha, f', g^2 and (g^2)') and evaluated with mpmath at 50 digits; the
rest follows from lambda = 2 log(alpha / sigma), lambda' = 2 (alpha'/alpha - sigma'/sigma),
g = sqrt(g^2), g' = (g^2)'/(2 g). A finite nonzero number over an exact zero is the infinity of
its sign (the one-sided limit at the end of the domain). Times are exact in float32 and float64:
0, 2^-100, 1/2, 1 - 2^-24, 1 (EDM: also 80 and 2^100). Gradients are taken with respect to t
only (the hyperparameters, the schedules' leaves, are held fixed).
"""

import functools
import math

import jax
import jax.numpy as jnp
import mpmath as mp
import numpy as np
import pytest

import gmath.scores as gs

from _edges import EdgeGroup, assert_edges

mp.mp.dps = 50
INF = mp.inf
TINY, ONE_MINUS = 2.0**-100, 1.0 - 2.0**-24
TIMES = (0.0, TINY, 0.5, ONE_MINUS, 1.0)
EDM_TIMES = (0.0, TINY, 0.5, 1.0, 80.0, 2.0**100)


def _div(a, b):
    """a / b, with a finite nonzero a over an exact zero the infinity of its sign."""
    if b == 0:
        return mp.nan if a == 0 else mp.sign(a) * INF
    if mp.isinf(a) and mp.isinf(b):
        raise ValueError("inf / inf: give the limit by hand")
    return a / b


def _log(x):
    return -INF if x == 0 else mp.log(x)


# ----------------------------------------------------------------------------- schedule formulas
# Each returns {alpha, dalpha, sigma, dsigma, f, df, g2, dg2} at an mpf time.


def _vp_linear_formulas(b0, b1):
    def at(t):
        big_b, beta = b0 * t + (b1 - b0) * t * t / 2, b0 + (b1 - b0) * t
        alpha = mp.exp(-big_b / 2)
        sigma = mp.sqrt(-mp.expm1(-big_b))
        return dict(
            alpha=alpha,
            dalpha=-beta / 2 * alpha,
            sigma=sigma,
            dsigma=_div(beta * mp.exp(-big_b), 2 * sigma),
            f=-beta / 2,
            df=-(b1 - b0) / 2,
            g2=beta,
            dg2=b1 - b0,
        )

    return at


def _sub_vp_formulas(b0, b1):
    def at(t):
        big_b, beta = b0 * t + (b1 - b0) * t * t / 2, b0 + (b1 - b0) * t
        alpha = mp.exp(-big_b / 2)
        return dict(
            alpha=alpha,
            dalpha=-beta / 2 * alpha,
            sigma=-mp.expm1(-big_b),
            dsigma=beta * mp.exp(-big_b),
            f=-beta / 2,
            df=-(b1 - b0) / 2,
            g2=-beta * mp.expm1(-2 * big_b),
            dg2=-(b1 - b0) * mp.expm1(-2 * big_b) + 2 * beta * beta * mp.exp(-2 * big_b),
        )

    return at


def _vp_cosine_formulas(s):
    k = mp.pi / (2 * (1 + s))
    c0 = mp.cos(s * k)

    def at(t):
        # phi = (t + s) k and psi = pi/2 - phi = (1 - t) k, each exact at its own end
        phi, psi = (t + s) * k, (1 - t) * k
        alpha = mp.sin(psi) / c0
        dalpha = -k * mp.sin(phi) / c0
        # 1 - alpha^2 = sin(phi - phi0) sin(phi + phi0) / c0^2 (exact 0 at t = 0); s = 0: sin(t k)
        sigma = mp.sqrt(mp.sin(t * k) * mp.sin((t + 2 * s) * k)) / c0
        dsigma = _div(-alpha * dalpha, sigma) if s > 0 or t > 0.5 else k * mp.cos(t * k)
        f = -k * mp.tan(phi) if t < 0.5 else _div(-k * mp.cos(psi), mp.sin(psi))
        df = _div(-k * k, mp.sin(psi) ** 2)
        return dict(
            alpha=alpha,
            dalpha=dalpha,
            sigma=sigma,
            dsigma=dsigma,
            f=f,
            df=df,
            g2=-2 * f,
            dg2=-2 * df,
        )

    return at


def _ve_formulas(smin, smax):
    big_l = mp.log(mp.mpf(smax) / smin)

    def at(t):
        e = mp.exp(2 * big_l * t)
        sigma = smin * mp.sqrt(mp.expm1(2 * big_l * t))
        return dict(
            alpha=mp.mpf(1),
            dalpha=mp.mpf(0),
            sigma=sigma,
            dsigma=_div(smin * smin * big_l * e, sigma),
            f=mp.mpf(0),
            df=mp.mpf(0),
            g2=2 * big_l * smin * smin * e,
            dg2=4 * big_l * big_l * smin * smin * e,
        )

    return at


def _edm_formulas():
    def at(t):
        one, zero = mp.mpf(1), mp.mpf(0)
        return dict(alpha=one, dalpha=zero, sigma=t, dsigma=one, f=zero, df=zero, g2=2 * t, dg2=2)

    return at


def _vdm_formulas(gmin, gmax):
    slope = mp.mpf(gmax) - gmin

    def at(t):
        gamma = gmin + slope * t
        a2, s2 = 1 / (1 + mp.exp(gamma)), 1 / (1 + mp.exp(-gamma))
        alpha, sigma = mp.sqrt(a2), mp.sqrt(s2)
        return dict(
            alpha=alpha,
            dalpha=-alpha * s2 * slope / 2,
            sigma=sigma,
            dsigma=sigma * a2 * slope / 2,
            f=-s2 * slope / 2,
            df=-slope * slope * s2 * a2 / 2,
            g2=slope * s2,
            dg2=slope * slope * s2 * a2,
        )

    return at


def _rectified_flow_formulas():
    def at(t):
        return dict(
            alpha=1 - t,
            dalpha=mp.mpf(-1),
            sigma=t,
            dsigma=mp.mpf(1),
            f=_div(-1, 1 - t),
            df=_div(-1, (1 - t) ** 2),
            g2=_div(2 * t, 1 - t),
            dg2=_div(2, (1 - t) ** 2),
        )

    return at


def _ddpm_equal_formulas(beta, n):
    # equal betas: log alpha_bar = n t log(1 - beta) is linear in t (no kinks between knots)
    c = n * mp.log1p(-mp.mpf(beta)) / 2  # log alpha = c t

    def at(t):
        alpha = mp.exp(c * t)
        sigma = mp.sqrt(-mp.expm1(2 * c * t))
        zero = mp.mpf(0)
        return dict(
            alpha=alpha,
            dalpha=c * alpha,
            sigma=sigma,
            dsigma=_div(-c * alpha * alpha, sigma),
            f=c,
            df=zero,
            g2=-2 * c,
            dg2=zero,
        )

    return at


def _zero_snr_vp_linear_formulas(b0, b1):
    # alpha' = (alpha - alpha_1) / (1 - alpha_1) for the VP-linear alpha (alpha_0 = 1)
    a_end = mp.exp(-(b0 + (b1 - b0) / 2) / 2)

    def at(t):
        big_b, beta = b0 * t + (b1 - b0) * t * t / 2, b0 + (b1 - b0) * t
        base = mp.exp(-big_b / 2)
        d_base = -beta / 2 * base
        dd_base = (beta * beta / 4 - (b1 - b0) / 2) * base
        alpha = 1 - (1 - base) / (1 - a_end) if t < 1 else mp.mpf(0)
        dalpha, ddalpha = d_base / (1 - a_end), dd_base / (1 - a_end)
        sigma = mp.sqrt(1 - alpha * alpha)
        f = _div(dalpha, alpha)
        df = _div(ddalpha * alpha - dalpha * dalpha, alpha * alpha)
        return dict(
            alpha=alpha,
            dalpha=dalpha,
            sigma=sigma,
            dsigma=_div(-alpha * dalpha, sigma),
            f=f,
            df=df,
            g2=-2 * f,
            dg2=-2 * df,
        )

    return at


LEARNED_WEIGHTS = {"w1": 0.5, "w2": [1.0, 4.0], "b2": [0.0, -2.0], "w3": [1.0, 0.5]}


def _learned_vdm_formulas(weights, gmin, gmax):
    # gamma = gmin + (gmax - gmin) (h(t) - h(0)) / (h(1) - h(0)), with the monotone network
    # h(t) = w1 t + sum_k w3k sigmoid(w2k t + b2k), weights through softplus (b2 as is)
    softplus = lambda x: mp.log1p(mp.exp(mp.mpf(x)))
    w1 = softplus(weights["w1"])
    units = [
        (softplus(a), mp.mpf(b), softplus(c))
        for a, b, c in zip(weights["w2"], weights["b2"], weights["w3"], strict=True)
    ]

    def h(t, order):
        sig = [(w2, w3, 1 / (1 + mp.exp(-(w2 * t + b2)))) for w2, b2, w3 in units]
        if order == 0:
            return w1 * t + sum(w3 * s for _, w3, s in sig)
        if order == 1:
            return w1 + sum(w3 * w2 * s * (1 - s) for w2, w3, s in sig)
        return sum(w3 * w2 * w2 * s * (1 - s) * (1 - 2 * s) for w2, w3, s in sig)

    scale = (mp.mpf(gmax) - gmin) / (h(mp.mpf(1), 0) - h(mp.mpf(0), 0))

    def at(t):
        gamma = gmin + scale * (h(t, 0) - h(mp.mpf(0), 0))
        d1, d2 = scale * h(t, 1), scale * h(t, 2)  # gamma', gamma''
        a2, s2 = 1 / (1 + mp.exp(gamma)), 1 / (1 + mp.exp(-gamma))
        alpha, sigma = mp.sqrt(a2), mp.sqrt(s2)
        return dict(
            alpha=alpha,
            dalpha=-alpha * s2 * d1 / 2,
            sigma=sigma,
            dsigma=sigma * a2 * d1 / 2,
            f=-s2 * d1 / 2,
            df=-(s2 * a2 * d1 * d1 + s2 * d2) / 2,
            g2=s2 * d1,
            dg2=s2 * a2 * d1 * d1 + s2 * d2,
        )

    return at


# name -> (schedule, formulas, times, float64-only)
SCHEDULES = {
    "vp_linear": (gs.vp_linear(), _vp_linear_formulas(0.1, 20.0), TIMES),
    "vp_linear_wide": (gs.vp_linear(1e-3, 1e3), _vp_linear_formulas(1e-3, 1e3), TIMES),
    "sub_vp": (gs.sub_vp(), _sub_vp_formulas(0.1, 20.0), TIMES),
    "vp_cosine": (gs.vp_cosine(), _vp_cosine_formulas(mp.mpf("0.008")), TIMES),
    "vp_cosine_s0": (gs.vp_cosine(0.0), _vp_cosine_formulas(mp.mpf(0)), TIMES),
    "ve": (gs.ve(), _ve_formulas(mp.mpf("0.01"), mp.mpf(50)), TIMES),
    "edm": (gs.edm(), _edm_formulas(), EDM_TIMES),
    "vdm": (gs.vdm(), _vdm_formulas(mp.mpf("-13.3"), mp.mpf(5)), TIMES),
    "learned_vdm": (
        gs.learned_vdm({k: np.asarray(v) for k, v in LEARNED_WEIGHTS.items()}),
        _learned_vdm_formulas(LEARNED_WEIGHTS, mp.mpf("-13.3"), mp.mpf(5)),
        TIMES,
    ),
    "rectified_flow": (gs.rectified_flow(), _rectified_flow_formulas(), TIMES),
    "ddpm_discrete": (
        gs.ddpm_discrete(np.full(1000, 0.01)),
        _ddpm_equal_formulas(mp.mpf("0.01"), 1000),
        TIMES,
    ),
    "zero_snr_vp_linear": (
        gs.rescale_zero_terminal_snr(gs.vp_linear()),
        _zero_snr_vp_linear_formulas(mp.mpf("0.1"), mp.mpf(20)),
        TIMES,
    ),
    "zero_snr_vp_cosine": (
        gs.rescale_zero_terminal_snr(gs.vp_cosine()),
        _vp_cosine_formulas(mp.mpf("0.008")),  # already zero terminal SNR: the identity
        TIMES,
    ),
}


def test_every_constructor_is_in_the_grid():
    constructors = {
        n
        for n in gs.__all__
        if callable(getattr(gs, n))
        and getattr(getattr(gs, n), "__annotations__", {}).get("return") == "NoiseSchedule"
    }
    covered = {s.name.split("(")[0] for s, _, _ in SCHEDULES.values()}
    covered = {"rescale_zero_terminal_snr" if c == "zero_terminal_snr" else c for c in covered}
    assert constructors == covered


def _oracles(formulas, t):
    q = formulas(mp.mpf(t))
    alpha, sigma = q["alpha"], q["sigma"]
    g = mp.sqrt(q["g2"]) if not mp.isinf(q["g2"]) else INF
    if mp.isinf(q["g2"]):
        dg = INF if q["dg2"] > 0 else mp.nan
    else:
        dg = _div(q["dg2"], 2 * g)
    log_snr = 2 * _log(alpha) - 2 * _log(sigma)
    d_log_snr = 2 * _div(q["dalpha"], alpha) - 2 * _div(q["dsigma"], sigma)
    return {
        "alpha": alpha,
        "sigma": sigma,
        "log_snr": log_snr,
        "drift": q["f"],
        "diffusion_squared": q["g2"],
        "diffusion": g,
        "alpha_derivative": q["dalpha"],
        "sigma_derivative": q["dsigma"],
        # gradients (jax.grad of the method) = the time derivatives
        "grad_alpha": q["dalpha"],
        "grad_sigma": q["dsigma"],
        "grad_log_snr": d_log_snr,
        "grad_drift": q["df"],
        "grad_diffusion_squared": q["dg2"],
        "grad_diffusion": dg,
    }


QUANTITIES = (
    "alpha",
    "sigma",
    "log_snr",
    "drift",
    "diffusion_squared",
    "diffusion",
    "alpha_derivative",
    "sigma_derivative",
    "grad_alpha",
    "grad_sigma",
    "grad_log_snr",
    "grad_drift",
    "grad_diffusion_squared",
    "grad_diffusion",
)


def _method(schedule, name):
    if name.startswith("grad_"):
        return jax.grad(getattr(schedule, name[5:]))
    return getattr(schedule, name)


def _schedule_fn(schedule, names):
    fns = [_method(schedule, n) for n in names]

    def fn(t, which):
        # one trace for every quantity: a switch on the quantity's index (vmap: a select)
        branches = [lambda u, f=f: f(u) for f in fns]
        return jax.lax.switch(jnp.asarray(which, jnp.int32), branches, t)

    return fn


# Relative tolerances: float64 closed forms at 1e-10; float32 at a few ulps times the
# condition number of the formula in t (the inputs are exact): 2e-5 (~170 ulps) covers the
# exp/log/expm1/sqrt chains; g' and lambda' at t = 1/2 involve one more division.
RTOL = {"float64": 1e-10, "float32": 2e-5}
# results below the smallest normal number flush to zero on XLA's CPU (and underflow anyway)
ATOL = {"float64": 2.3e-308, "float32": 1.2e-38}


# lambda crosses 0 (vp_cosine with s = 0 at t = 1/2: log(cos / sin) of the rounded pi/4): there
# the accuracy is absolute, a few ulps of the logs it is the difference of.
LOG_SNR_ATOL = {"float64": 1e-15, "float32": 1e-6}
# zero_snr_vp_linear at T - t = 2^-24: alpha' = alpha_t - alpha_T (rescaled) is a difference of
# the base's values; its relative accuracy is the rounding of log alpha_t (~2e-15) over
# |log alpha_t - log alpha_T| = 6e-7, i.e. ~3e-9, doubled in quantities quadratic in alpha';
# float32 rounds alpha' to 0 there (documented in rescale_zero_terminal_snr): float64 only.
NEAR_END = {"zero_snr_vp_linear": {"float64": 5e-8}}


def _group(name, schedule, formulas, times, quantities, rtol, atol):
    args, expected = [], []
    for t in times:
        oracle = _oracles(formulas, t)
        for q in quantities:
            args.append((t, float(quantities.index(q))))
            expected.append(float(oracle[q]))
    return EdgeGroup(name, _schedule_fn(schedule, quantities), args, expected, rtol, atol)


@functools.cache
def _schedule_groups():
    groups = []
    main = tuple(q for q in QUANTITIES if q != "log_snr")
    for name, (schedule, formulas, times) in SCHEDULES.items():
        near_end = NEAR_END.get(name)
        if near_end is not None:
            label = f"schedule_{name}_near_end"
            groups.append(
                _group(label, schedule, formulas, (ONE_MINUS,), QUANTITIES, near_end, ATOL)
            )
            times = tuple(t for t in times if t != ONE_MINUS)
        label = f"schedule_{name}"
        groups.append(_group(label, schedule, formulas, times, main, RTOL, ATOL))
        label = f"schedule_{name}_log_snr"
        groups.append(_group(label, schedule, formulas, times, ("log_snr",), RTOL, LOG_SNR_ATOL))
    return groups


# ----------------------------------------------------------------------------- EDM preconditioning
def _edm_pre_oracle(sigma, sd):
    sigma, sd = mp.mpf(sigma), mp.mpf(sd)
    if mp.isnan(sigma) or sigma < 0:
        return [mp.nan] * 5, [mp.nan] * 5
    if mp.isinf(sigma):
        values = [0, sd, 0, INF, 1 / sd**2]
        grads = [0, 0, 0, 0, 0]
        return values, grads
    total = sigma**2 + sd**2
    values = [
        sd**2 / total,
        sigma * sd / mp.sqrt(total),
        1 / mp.sqrt(total),
        -INF if sigma == 0 else mp.log(sigma) / 4,
        INF if sigma == 0 else total / (sigma * sd) ** 2,
    ]
    grads = [
        -2 * sigma * sd**2 / total**2,
        sd**3 / total**1.5,
        -sigma / total**1.5,
        INF if sigma == 0 else 1 / (4 * sigma),
        -INF if sigma == 0 else -2 / sigma**3,
    ]
    return values, grads


EDM_SIGMAS = (0.0, 1e-12, 0.5, 1.0, 1e30, 2.0**100, math.inf, -1.0, -1e-30, math.nan)
# w = 1/sigma_d^2 + 1/sigma^2 and its derivative -2/sigma^3 overflow float32 below ~1e-13
EDM_SIGMAS_F64 = (1e-18, 2.0**-100, 1e-30, 1e-300, 1e300)


def _edm_fn(which):
    fields = [lambda s, i=i: gs.edm_preconditioning(s, sigma_data=0.5)[i] for i in range(5)]
    if which == "grad":
        fields = [jax.grad(f) for f in fields]

    def fn(sigma, index):
        return jax.lax.switch(jnp.asarray(index, jnp.int32), fields, sigma)

    return fn


@functools.cache
def _edm_groups():
    groups = []
    for label, sigmas, rtol in (
        ("", EDM_SIGMAS, RTOL),
        ("_float64_range", EDM_SIGMAS_F64, {"float64": 1e-10}),
    ):
        for which in ("value", "grad"):
            args, expected = [], []
            for sigma in sigmas:
                values, grads = _edm_pre_oracle(sigma, 0.5)
                for i, v in enumerate(values if which == "value" else grads):
                    if which == "grad" and (math.isnan(sigma) or sigma < 0):
                        continue  # gradients at invalid input: not specified
                    args.append((sigma, float(i)))
                    expected.append(float(v))
            name = f"edm_preconditioning_{which}{label}"
            groups.append(EdgeGroup(name, _edm_fn(which), args, expected, rtol, ATOL))
    return groups


# ----------------------------------------------------------------------------- predictions
KINDS = ("eps", "x0", "v", "score")


def _conversion_oracle(pred, x, alpha, sigma, source, target):
    """Solve for (x0, eps) from x = alpha x0 + sigma eps; NaN where not identifiable."""
    pred, x = mp.mpf(pred), mp.mpf(x)
    if source == target:
        return pred

    def solve(num, den):
        return mp.nan if den == 0 else num / den

    if source == "eps":
        x0, eps = solve(x - sigma * pred, alpha), pred
    elif source == "x0":
        x0, eps = pred, solve(x - alpha * pred, sigma)
    elif source == "v":
        norm = alpha**2 + sigma**2
        x0, eps = (alpha * x - sigma * pred) / norm, (sigma * x + alpha * pred) / norm
    else:
        eps = -sigma * pred
        x0 = solve(x - sigma * eps, alpha)
    if target == "eps":
        return eps
    if target == "x0":
        return x0
    if target == "v":
        return alpha * eps - sigma * x0
    return _div(-eps, sigma) if not mp.isnan(eps) else mp.nan


PREDICTION_SCHEDULES = ("vp_linear", "vp_cosine", "rectified_flow", "ve", "zero_snr_vp_linear")


def _prediction_fn(schedule):
    pairs = [(a, b) for a in KINDS for b in KINDS]
    fns = [
        lambda pred, x, t, a=a, b=b: gs.convert_prediction(
            pred, x, t, schedule=schedule, source=a, target=b
        )
        for a, b in pairs
    ]

    def fn(pred, x, t, index):
        return jax.lax.switch(jnp.asarray(index, jnp.int32), fns, pred, x, t)

    return fn, pairs


@functools.cache
def _prediction_groups():
    groups = []
    for name in PREDICTION_SCHEDULES:
        schedule, formulas, _ = SCHEDULES[name]
        fn, pairs = _prediction_fn(schedule)
        args, expected = [], []
        for t in (0.0, 0.5, 1.0):
            q = formulas(mp.mpf(t))
            for pred, x in ((0.25, 0.75), (-1.5, 0.5)):
                for i, (a, b) in enumerate(pairs):
                    args.append((pred, x, t, float(i)))
                    oracle = _conversion_oracle(pred, x, q["alpha"], q["sigma"], a, b)
                    expected.append(float(oracle))
        # t = 1/2 goes through sigma^2 and divisions: float32 at a few ulps times their condition
        groups.append(
            EdgeGroup(
                f"convert_prediction_{name}",
                fn,
                args,
                expected,
                RTOL,
                {"float64": 1e-14, "float32": 1e-6},
            )
        )
    return groups


def _all_groups():
    return _schedule_groups() + _edm_groups() + _prediction_groups()


GROUPS = {g.name: g for g in _all_groups()}


@pytest.mark.parametrize(
    ("name", "dtype"),
    [pytest.param(n, d, id=f"{n}-{d}") for n, g in GROUPS.items() for d in g.rtol],
)
def test_edges(name, dtype):
    assert_edges(GROUPS[name], dtype)
