"""Prediction-type conversions, EDM preconditioning and Karras steps."""

import itertools
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gmath
import gmath.scores as gs
import gmath.testing as gt

SCHEDULES = {
    "vp_linear": gs.vp_linear(),
    "ve": gs.ve(),
    "rectified_flow": gs.rectified_flow(),
    "vdm": gs.vdm(),
}
PAIRS = list(itertools.permutations(gs.PREDICTIONS, 2))


def _arrays(shape, bound):
    # XLA on CPU flushes subnormals to zero; draw normal floats (or exact zeros) only.
    flush = lambda a: np.where(np.abs(a) < 1e-300, 0.0, a)
    return gt.finite_arrays(shape=shape, min_value=-bound, max_value=bound).map(flush)


def _all_round_trips(schedule, pred, x, t):
    out = []
    for source, target in PAIRS:
        y = gs.convert_prediction(pred, x, t, schedule=schedule, source=source, target=target)
        out.append(gs.convert_prediction(y, x, t, schedule=schedule, source=target, target=source))
    return jnp.stack(out)


ROUND_TRIPS = jax.jit(_all_round_trips, static_argnums=0)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
@given(x=_arrays((3,), 5), pred=_arrays((3,), 5), t=st.floats(0.05, 0.95))
def test_round_trips_are_exact(name, x, pred, t):
    back = np.asarray(ROUND_TRIPS(SCHEDULES[name], pred, x, np.float64(t)))
    for i, (source, target) in enumerate(PAIRS):
        gt.assert_allclose(back[i], pred, rtol=1e-9, atol=1e-9, err_msg=f"{source}->{target}")


def _targets(schedule, x0, eps, t):
    tg = {
        k: gs.prediction_target(x0, eps, t, schedule=schedule, prediction=k) for k in gs.PREDICTIONS
    }
    x = schedule.alpha(t) * x0 + schedule.sigma(t) * eps
    converted = {
        (a, b): gs.convert_prediction(tg[a], x, t, schedule=schedule, source=a, target=b)
        for a, b in PAIRS
    }
    da = jax.grad(schedule.alpha)(t)
    ds = jax.grad(schedule.sigma)(t)
    return tg, converted, da, ds


TARGETS = jax.jit(_targets, static_argnums=0)


@pytest.mark.parametrize("name", ["vp_linear", "rectified_flow"])
@given(x0=_arrays((2,), 3), eps=_arrays((2,), 3), t=st.floats(0.05, 0.95))
def test_targets_follow_definitions(name, x0, eps, t):
    s = SCHEDULES[name]
    a, sg = float(s.alpha(t)), float(s.sigma(t))
    x = a * x0 + sg * eps
    tg, converted, da, ds = TARGETS(s, x0, eps, np.float64(t))
    gt.assert_allclose(tg["eps"], eps)
    gt.assert_allclose(tg["x0"], x0)
    gt.assert_allclose(tg["v"], a * eps - sg * x0, atol=1e-14)
    gt.assert_allclose(tg["score"], -eps / sg)
    # flow velocity = d/dt (alpha_t x0 + sigma_t eps), with the derivatives by autodiff
    gt.assert_allclose(tg["velocity"], da * x0 + ds * eps, rtol=1e-9, atol=1e-12)
    # EDM raw output: D = c_skip x/alpha + c_out F equals x0
    c = gs.edm_preconditioning(sg / a)
    gt.assert_allclose(c.c_skip * x / a + c.c_out * tg["edm"], x0, rtol=1e-9, atol=1e-12)
    # each target converts into every other
    for (source, target), out in converted.items():
        gt.assert_allclose(out, tg[target], rtol=1e-8, atol=1e-9, err_msg=f"{source}->{target}")


def test_rectified_flow_velocity_is_eps_minus_x0():
    s = gs.rectified_flow()
    x0, eps = np.array([1.0, -2.0]), np.array([0.5, 0.25])
    v = gs.prediction_target(x0, eps, 0.3, schedule=s, prediction="velocity")
    gt.assert_allclose(v, eps - x0)


@given(sigma=st.floats(1e-3, 1e3), sigma_data=st.floats(0.1, 2.0))
def test_edm_preconditioning_closed_form(sigma, sigma_data):
    c = gs.edm_preconditioning(np.float64(sigma), sigma_data=sigma_data)
    total = sigma**2 + sigma_data**2
    gt.assert_allclose(c.c_skip, np.asarray(sigma_data**2 / total))
    gt.assert_allclose(c.c_out, np.asarray(sigma * sigma_data / math.sqrt(total)))
    gt.assert_allclose(c.c_in, np.asarray(1 / math.sqrt(total)))
    gt.assert_allclose(c.c_noise, np.asarray(math.log(sigma) / 4))
    gt.assert_allclose(c.weight, np.asarray(total / (sigma * sigma_data) ** 2))
    gt.assert_allclose(c.weight * c.c_out**2, np.asarray(1.0))


def test_karras_sigmas_formula():
    n, smin, smax, rho = 18, 0.002, 80.0, 7.0
    s = np.asarray(gs.karras_sigmas(n, sigma_min=smin, sigma_max=smax, rho=rho))
    i = np.arange(n)
    ref = (smax ** (1 / rho) + i / (n - 1) * (smin ** (1 / rho) - smax ** (1 / rho))) ** rho
    gt.assert_allclose(s[:-1], ref)
    assert s[-1] == 0.0 and s.shape == (n + 1,)
    assert gs.karras_sigmas(4, dtype=jnp.float32).dtype == jnp.float32
    with pytest.raises(ValueError, match="num_steps"):
        gs.karras_sigmas(1)


def test_float32_and_transforms():
    s = SCHEDULES["vp_linear"]
    x = jnp.linspace(-1, 1, 3, dtype=jnp.float32)
    for source, target in [("eps", "x0"), ("v", "edm"), ("velocity", "score")]:
        out = gs.convert_prediction(
            x, x, jnp.float32(0.4), schedule=s, source=source, target=target
        )
        assert out.dtype == jnp.float32
    fn = lambda p, x, t: gs.convert_prediction(p, x, t, schedule=s, source="v", target="edm")
    gt.assert_transform_consistent(
        fn, jnp.ones((3, 2)), jnp.ones((3, 2)) * 0.5, jnp.array([0.2, 0.5, 0.8])
    )


def test_bad_input():
    s = SCHEDULES["vp_linear"]
    with pytest.raises(ValueError, match="unknown prediction type 'noise'"):
        gs.convert_prediction(1.0, 1.0, 0.5, schedule=s, source="noise", target="x0")
    with pytest.raises(ValueError, match=r"prediction with shape \(2,\) and x_t with shape \(3,\)"):
        gs.convert_prediction(jnp.ones(2), jnp.ones(3), 0.5, schedule=s, source="eps", target="x0")
    with pytest.raises(ValueError, match="outside the schedule's domain"):
        gs.convert_prediction(1.0, 1.0, 1.5, schedule=s, source="eps", target="x0")


def test_edm_preconditioning_invalid_sigma_and_limits():
    # Regression: edm_preconditioning(sigma < 0) was not caught; sigma = inf gave NaN.
    for bad in (-1.0, -1e-30, np.nan):
        assert np.all(np.isnan(np.asarray(gs.edm_preconditioning(bad))))
    with gmath.config.checks(True), pytest.raises(Exception, match="sigma must be >= 0"):
        gs.edm_preconditioning(-1.0)
    with gmath.config.checks(True), pytest.raises(Exception, match="sigma must be >= 0"):
        jax.block_until_ready(jax.jit(lambda s: gs.edm_preconditioning(s).c_skip)(-1.0))
    with pytest.raises(ValueError, match="sigma_data must be positive"):
        gs.edm_preconditioning(1.0, sigma_data=0.0)
    # sigma = 0: c_skip 1, c_out 0, c_in 1/sigma_d, c_noise -inf, w inf; sigma = inf: the limits
    zero = gs.edm_preconditioning(0.0, sigma_data=0.5)
    assert [float(v) for v in zero] == [1.0, 0.0, 2.0, -np.inf, np.inf]
    big = gs.edm_preconditioning(np.inf, sigma_data=0.5)
    assert [float(v) for v in big] == [0.0, 0.5, 0.0, np.inf, 4.0]
