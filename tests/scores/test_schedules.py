"""Noise schedules: identities, closed forms, inverses, SDE
coefficients by autodiff, dtype, domain and NaN safety."""

import dataclasses
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

TOL = gt.tolerance(np.float64)
DDPM_BETAS = np.linspace(1e-4, 0.02, 1000)

SCHEDULES = {
    "vp_linear": gs.vp_linear(),
    "vp_linear_custom": gs.vp_linear(0.5, 12.0),
    "sub_vp": gs.sub_vp(),
    "vp_cosine": gs.vp_cosine(),
    "ve": gs.ve(),
    "vdm": gs.vdm(),
    "rectified_flow": gs.rectified_flow(),
    "ddpm_discrete": gs.ddpm_discrete(DDPM_BETAS),
    "zero_snr_vp": gs.rescale_zero_terminal_snr(gs.vp_linear()),
    "zero_snr_cosine": gs.rescale_zero_terminal_snr(gs.vp_cosine()),
    "zero_snr_ddpm": gs.rescale_zero_terminal_snr(gs.ddpm_discrete(DDPM_BETAS)),
}
NAMES = sorted(SCHEDULES)
VP = {"vp_linear", "vp_linear_custom", "vp_cosine", "vdm", "ddpm_discrete"} | {
    n for n in NAMES if n.startswith("zero_snr")
}


def _all_quantities(s, t):
    return {
        "log_alpha": s.log_alpha(t),
        "log_sigma": s.log_sigma(t),
        "log_snr": s.log_snr(t),
        "alpha": s.alpha(t),
        "sigma": s.sigma(t),
        "sigma_edm": s.sigma_edm(t),
        "drift": s.drift(t),
        "g2": s.diffusion_squared(t),
        "t_back": s.t_from_log_snr(s.log_snr(t)),
    }


JITTED = {name: jax.jit(lambda t, s=s: _all_quantities(s, t)) for name, s in SCHEDULES.items()}
T_INTERIOR = st.floats(0.01, 0.99)


@pytest.mark.parametrize("name", NAMES)
@given(t=T_INTERIOR)
def test_log_snr_identities_and_inverse(name, t):
    s = SCHEDULES[name]
    q = JITTED[name](np.float64(t))
    gt.assert_allclose(q["log_snr"], 2 * (q["log_alpha"] - q["log_sigma"]), atol=1e-12)
    gt.assert_allclose(q["sigma_edm"], q["sigma"] / q["alpha"])
    gt.assert_allclose(q["alpha"], np.exp(q["log_alpha"]))
    gt.assert_allclose(q["t_back"], np.asarray(t), rtol=1e-10)
    gt.assert_allclose(s.t_from_sigma_edm(q["sigma_edm"]), np.asarray(t), rtol=1e-10)
    if name in VP:
        gt.assert_allclose(q["alpha"] ** 2 + q["sigma"] ** 2, np.asarray(1.0))
        # log-SNR is the logit of alpha^2
        gt.assert_allclose(q["alpha"] ** 2, jax.nn.sigmoid(q["log_snr"]))


def _generic_g2(s, t):
    sigma_sq = lambda u: jnp.exp(2 * s.log_sigma_fn(u))
    return jax.grad(sigma_sq)(t) - 2 * jax.grad(s.log_alpha_fn)(t) * sigma_sq(t)


GENERIC_G2 = {name: jax.jit(lambda t, s=s: _generic_g2(s, t)) for name, s in SCHEDULES.items()}


@pytest.mark.parametrize("name", NAMES)
@given(t=T_INTERIOR)
def test_sde_coefficients_match_autodiff_of_marginals(name, t):
    # f = d log(alpha)/dt and g^2 = d sigma^2/dt - 2 f sigma^2, the latter computed by autodiff.
    s = SCHEDULES[name]
    q = JITTED[name](np.float64(t))
    gt.assert_allclose(q["drift"], jax.grad(s.log_alpha_fn)(np.float64(t)), atol=1e-14)
    gt.assert_allclose(q["g2"], GENERIC_G2[name](np.float64(t)), rtol=1e-11)
    # and g^2 = -sigma^2 d(lambda)/dt
    dlam = jax.grad(s.log_snr_fn)(np.float64(t))
    gt.assert_allclose(q["g2"], -(q["sigma"] ** 2) * dlam, rtol=1e-10)


# XLA on CPU flushes subnormals to zero: times are 0 or normal floats.
@given(t=st.one_of(st.just(0.0), st.floats(1e-300, 1.0)))
def test_vp_and_sub_vp_closed_forms(t):
    b0, b1 = 0.1, 20.0
    log_m = -(t**2) * (b1 - b0) / 4 - t * b0 / 2
    m = math.exp(log_m)
    vp, sub = SCHEDULES["vp_linear"], SCHEDULES["sub_vp"]
    gt.assert_allclose(vp.alpha(t), np.asarray(m))
    gt.assert_allclose(vp.sigma(t), np.asarray(math.sqrt(-math.expm1(2 * log_m))))
    gt.assert_allclose(sub.alpha(t), np.asarray(m))
    gt.assert_allclose(sub.sigma(t), np.asarray(-math.expm1(2 * log_m)))
    gt.assert_allclose(vp.diffusion_squared(t), np.asarray(b0 + (b1 - b0) * t))


def test_ve_marginal_is_the_integrated_diffusion():
    # sigma_t^2 = int_0^t g^2 = sigma_bar(t)^2 - sigma_min^2 (the SDE started from clean data).
    s = gs.ve(0.01, 50.0)
    g2 = jax.vmap(s.diffusion_squared)
    for t in (0.1, 0.5, 1.0):
        integral = gt.gauss_legendre_integral(
            lambda u: np.asarray(g2(jnp.asarray(u.ravel()))).reshape(u.shape), 0.0, t
        )
        exact = 0.01**2 * ((50.0 / 0.01) ** (2 * t) - 1)
        gt.assert_allclose(np.asarray(s.sigma(t) ** 2), np.asarray(exact))
        gt.assert_allclose(np.asarray(integral), np.asarray(exact), rtol=1e-11)


@given(t=st.floats(0.0, 1.0))
def test_vdm_and_edm_conventions(t):
    s = SCHEDULES["vdm"]
    gamma = -13.3 + 18.3 * t
    gt.assert_allclose(s.sigma_edm(t) ** 2, np.asarray(math.exp(gamma)))
    gt.assert_allclose(s.alpha(t) ** 2, np.asarray(1 / (1 + math.exp(gamma))))
    e = gs.edm()
    sigma = 0.002 + 80 * t
    gt.assert_allclose(e.sigma_edm(sigma), np.asarray(sigma))
    gt.assert_allclose(e.log_snr(sigma), np.asarray(-2 * math.log(sigma)))


def test_ddpm_discrete_matches_products_and_vp_linear():
    s = SCHEDULES["ddpm_discrete"]
    n = DDPM_BETAS.size
    steps = np.arange(1, n + 1)
    abar = np.cumprod(1 - DDPM_BETAS)
    gt.assert_allclose(s.alpha(steps / n) ** 2, abar, rtol=1e-12)
    # ... and discretises VP(0.1, 20): |log abar_n + B(t_n)| <= sum beta^2 (log(1-b) >= -b - b^2
    # for b <= 1/2) + |sum beta_i - B(t_n)| (Riemann sum of the linear beta(t) on the grid).
    t = steps / n
    b_int = 0.1 * t + 0.5 * 19.9 * t**2
    bound = np.cumsum(DDPM_BETAS**2) + np.abs(np.cumsum(DDPM_BETAS) - b_int)
    assert np.all(np.abs(np.log(abar) + b_int) <= bound * (1 + 1e-9))
    assert np.max(bound) < 0.15
    # mid-grid times invert exactly too
    gt.assert_allclose(s.t_from_log_snr(s.log_snr(0.12345)), np.asarray(0.12345), rtol=1e-12)


def test_ddpm_discrete_reports_clipping():
    betas = np.array([0.1, 0.5, 1.0])
    s = gs.ddpm_discrete(betas, max_beta=0.4)
    assert s.clipped == 2
    gt.assert_allclose(s.alpha(1.0) ** 2, np.asarray(0.9 * 0.6 * 0.6), rtol=1e-12)
    assert gs.ddpm_discrete(betas).clipped == 1
    with pytest.raises(ValueError, match="every beta must lie in"):
        gs.ddpm_discrete(np.array([0.1, 0.0]))
    with pytest.raises(ValueError, match="1-D"):
        gs.ddpm_discrete(np.ones((2, 2)) * 0.1)


@pytest.mark.parametrize("name", ["vp_cosine", "zero_snr_vp", "zero_snr_cosine", "zero_snr_ddpm"])
def test_zero_terminal_snr(name):
    s = SCHEDULES[name]
    for dtype in (np.float64, np.float32):
        t1 = np.asarray(1.0, dtype)
        assert float(s.alpha(t1)) == 0.0 and float(s.snr(t1)) == 0.0
        assert float(s.log_snr(t1)) == -np.inf and float(s.sigma(t1)) == 1.0
        assert float(s.alpha(np.asarray(0.0, dtype))) == 1.0
    if name.startswith("zero_snr"):
        # Lin et al. (2024): alpha' = (alpha - alpha_T) alpha_0 / (alpha_0 - alpha_T), here alpha_0 = 1
        base = {"zero_snr_vp": "vp_linear", "zero_snr_cosine": "vp_cosine"}.get(
            name, "ddpm_discrete"
        )
        b = SCHEDULES[base]
        t = np.linspace(0.0, 1.0, 11)
        a_end = float(b.alpha(1.0))
        gt.assert_allclose(s.alpha(t), (b.alpha(t) - a_end) / (1 - a_end), rtol=1e-12, atol=1e-16)


def _float32_report(s, t):
    q = _all_quantities(s, t)
    grads = {
        f"d_{fn.__name__}": jax.grad(fn)(t)
        for fn in (s.alpha, s.sigma, s.log_snr, s.drift, s.diffusion_squared)
    }
    return q | grads


F32_NAMES = ["vp_linear", "sub_vp", "vp_cosine", "ve", "rectified_flow", "zero_snr_cosine"]


@pytest.mark.parametrize("name", F32_NAMES)
def test_float32_in_float32_out_and_finite_near_t0(name):
    out = jax.jit(lambda t: _float32_report(SCHEDULES[name], t))(jnp.float32(1e-6))
    for key, v in out.items():
        assert v.dtype == jnp.float32, key
        assert not np.isnan(v), key
        if key.startswith("d_"):
            assert np.isfinite(v), key
    assert gs.edm().sigma_edm(jnp.float32(2.0)).dtype == jnp.float32


def test_values_at_clean_end_are_exact():
    for name in ("vp_linear", "sub_vp", "vp_cosine", "ve", "vdm", "rectified_flow"):
        s = SCHEDULES[name]
        if name == "vdm":  # vdm never reaches sigma = 0
            continue
        assert float(s.sigma(0.0)) == 0.0 and float(s.log_snr(0.0)) == np.inf
        assert float(s.t_from_log_snr(np.inf)) == 0.0


def _few_quantities(s, t):
    return (s.log_snr(t), s.sigma(t), s.drift(t), s.diffusion_squared(t))


def test_transforms_agree():
    ts = jnp.linspace(0.05, 0.95, 3)
    for name in ("vp_linear", "zero_snr_cosine"):
        gt.assert_transform_consistent(lambda t, s=SCHEDULES[name]: _few_quantities(s, t), ts)


def test_schedule_is_a_pytree_of_its_hyperparameters():
    # the law is static, the hyperparameters are the leaves (more in test_schedule_pytree.py)
    s = SCHEDULES["vp_linear"]
    assert jax.tree_util.tree_leaves(s) == [20.0, 0.1]  # beta_max, beta_min
    out = jax.jit(lambda sched, t: sched.alpha(t))(s, 0.5)
    gt.assert_allclose(out, s.alpha(0.5))


def test_time_outside_domain_raises_or_clamps():
    s = SCHEDULES["vp_linear"]
    with pytest.raises(ValueError, match=r"outside the schedule's domain \[0.0, 1.0\]"):
        s.alpha(1.5)
    with pytest.raises(ValueError, match="outside"):
        s.log_snr(jnp.array([0.5, -0.1]))
    # traced: clamped (documented), gradient 1 inside and at the ends, 0 outside
    f = jax.jit(s.log_snr)
    gt.assert_allclose(f(1.5), s.log_snr(1.0))
    assert float(jax.grad(lambda t: s._time(t))(1.0)) == 1.0
    assert float(jax.grad(jax.jit(lambda t: s._time(t)))(1.5)) == 0.0
    with gmath.config.checks(True):
        g = jax.jit(lambda t: s.alpha(t))
        with pytest.raises(Exception, match="outside the schedule's domain"):
            jax.block_until_ready(g(1.5))


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match="beta_min must be a positive"):
        gs.vp_linear(beta_min=0.0)
    with pytest.raises(ValueError, match="beta_min <= beta_max"):
        gs.vp_linear(2.0, 1.0)
    with pytest.raises(ValueError, match="sigma_min < sigma_max"):
        gs.ve(1.0, 0.5)
    with pytest.raises(ValueError, match="gamma_min < gamma_max"):
        gs.vdm(5.0, -5.0)
    with pytest.raises(ValueError, match="s must be in"):
        gs.vp_cosine(-0.1)
    with pytest.raises(ValueError, match="variance-preserving"):
        gs.rescale_zero_terminal_snr(gs.ve())


# A schedule given only by its defining formulas: the inverse t(lambda) is solved numerically.
GENERIC = {
    name: dataclasses.replace(SCHEDULES[name], t_from_log_snr_fn=None)
    for name in ("vp_linear", "sub_vp", "vp_cosine", "ve", "rectified_flow", "ddpm_discrete")
    + ("zero_snr_cosine",)
}
T_GRID = np.linspace(0.0313, 0.9713, 7)  # off the ddpm knots n / 1000 (kinks of its t(lambda))


def _inverse_and_slope(s, lam):
    return s.t_from_log_snr(lam), jax.vmap(jax.grad(s.t_from_log_snr))(lam)


@pytest.mark.parametrize("name", sorted(GENERIC))
def test_generic_inverse_matches_the_closed_form(name):
    closed, generic = SCHEDULES[name], GENERIC[name]
    lam = closed.log_snr(T_GRID)
    # both inverses, their slopes and the float32 solve in one compile
    (t_c, dt_c), (t_g, dt_g), t32 = jax.jit(
        lambda x: (
            _inverse_and_slope(closed, x),
            _inverse_and_slope(generic, x),
            generic.t_from_log_snr(x.astype(jnp.float32)),
        )
    )(lam)
    gt.assert_allclose(t_g, T_GRID, rtol=1e-10)
    gt.assert_allclose(t_g, t_c, rtol=1e-10)
    # implicit-function gradient 1 / lambda'(t) against the closed form's autodiff
    gt.assert_allclose(dt_g, dt_c, rtol=1e-8)
    assert t32.dtype == jnp.float32
    gt.assert_allclose(t32, T_GRID, rtol=1e-5)


def test_defining_formulas_imply_the_rest():
    vp = gs.vp_linear()
    minimal = gs.NoiseSchedule("custom", vp.log_alpha_fn, variance_preserving=True)
    for method in ("log_sigma", "log_snr", "sigma", "drift", "diffusion_squared"):
        gt.assert_allclose(getattr(minimal, method)(T_GRID), getattr(vp, method)(T_GRID))
    gt.assert_allclose(minimal.t_from_log_snr(vp.log_snr(T_GRID)), T_GRID, rtol=1e-10)
    rf = gs.rectified_flow()
    gt.assert_allclose(rf.log_snr(T_GRID), 2 * np.log((1 - T_GRID) / T_GRID))
    with pytest.raises(ValueError, match="log_sigma_fn is required"):
        gs.NoiseSchedule("custom", jnp.zeros_like)
    with pytest.raises(ValueError, match="t_from_log_snr_fn is required"):
        gs.NoiseSchedule("custom", jnp.zeros_like, jnp.log, t_max=math.inf)


def test_invalid_hyperparameters_raise():
    bad = [
        (lambda: gs.vp_linear(beta_min=-0.1), ValueError, "beta_min must be a positive"),
        (lambda: gs.vp_linear(1.0, 0.5), ValueError, "beta_min <= beta_max"),
        (lambda: gs.sub_vp(0.1, math.nan), ValueError, "beta_max must be a positive"),
        (lambda: gs.ve(0.0, 1.0), ValueError, "sigma_min must be a positive"),
        (lambda: gs.ve(-1.0, 1.0), ValueError, "sigma_min must be a positive"),
        (lambda: gs.ve(0.1, math.inf), ValueError, "sigma_max must be a positive"),
        (lambda: gs.vdm(math.nan, 1.0), ValueError, "gamma_min < gamma_max"),
        (lambda: gs.vp_cosine(1.0), ValueError, "s must be in"),
        (lambda: gs.vp_cosine("a"), TypeError, "s must be a real number"),
        (lambda: gs.ve(jnp.ones(2), 3.0), TypeError, "sigma_min must be a real number"),
        (lambda: gs.ddpm_discrete(np.full(3, 0.1), max_beta=1.0), ValueError, "max_beta"),
        (lambda: gs.ddpm_discrete(np.array([0.1, np.nan])), ValueError, "every beta"),
        (lambda: gs.karras_sigmas(4, rho=0.0), ValueError, "rho must be positive"),
        (lambda: gs.karras_sigmas(4, sigma_max=math.inf), ValueError, "sigma_max < inf"),
    ]
    for make, err, message in bad:
        with pytest.raises(err, match=message):
            make()
    # numpy and 0-d JAX scalars are numbers too
    gt.assert_allclose(
        gs.vp_linear(np.float32(0.5), jnp.asarray(20.0)).alpha(1.0), gs.vp_linear(0.5).alpha(1.0)
    )


# ---------------------------------------------------------------- edges of the schedules
B_MIN, B_MAX = (
    0.1,
    20.0,
)  # vp_linear's defaults: log alpha_t = -(b_min t / 2 + (b_max - b_min) t^2 / 4)


def _zero_snr_vp_closed_form(t):
    """alpha', d alpha'/dt of rescale_zero_terminal_snr(vp_linear()) in float64, free of
    cancellation: alpha' = aT expm1(delta) / (1 - aT), delta = log alpha_t - log alpha_T =
    (1 - t) (b_min / 2 + (b_max - b_min) (1 + t) / 4) exactly, and d alpha'/dt =
    aT e^delta f(t) / (1 - aT) with f = (log alpha)' = -(b_min + (b_max - b_min) t) / 2."""
    t = np.asarray(t, np.float64)
    a_end = math.exp(-(B_MIN / 2 + (B_MAX - B_MIN) / 4))
    delta = (1 - t) * (B_MIN / 2 + (B_MAX - B_MIN) * (1 + t) / 4)
    f = -(B_MIN + (B_MAX - B_MIN) * t) / 2
    return a_end * np.expm1(delta) / (1 - a_end), a_end * np.exp(delta) * f / (1 - a_end)


def test_zero_terminal_snr_is_accurate_up_to_the_end_in_float32():
    # Regression: in float32 alpha' = 1 + r cancelled to 0 before T (at T - t = 2^-23
    # it is 7.9e-9); it is now aT expm1(delta) with delta by the midpoint rule near T, exact for
    # vp_linear's quadratic log alpha. Float32 error: a few ulps times the condition |log aT| ~ 5
    # of aT = exp(log aT).
    s = gs.rescale_zero_terminal_snr(gs.vp_linear())
    t32 = np.array(
        [1 - 2.0**-23, 1 - 2.0**-20, 1 - 2.0**-12, 1 - 2.0**-9, 0.99, 0.9, 0.7], np.float32
    )
    alpha_ref, dot_ref = _zero_snr_vp_closed_form(t32)
    fn = jax.jit(jax.vmap(lambda t: (s.alpha(t), s.alpha_derivative(t), jax.grad(s.alpha)(t))))
    alpha, dot, grad = fn(jnp.asarray(t32))
    assert alpha.dtype == jnp.float32 and np.all(np.asarray(alpha) > 0)
    eps32 = float(np.finfo(np.float32).eps)
    rtol = 8 * eps32 * (1 + 5.025)
    # alpha' itself: within 2^-10 of T delta is exact (midpoint rule on a quadratic); farther,
    # delta = log alpha_t - log alpha_T carries the rounding of log alpha (~ eps |log aT|), so
    # the condition number is |log aT| / delta
    h = 1 - t32.astype(np.float64)
    delta = h * (B_MIN / 2 + (B_MAX - B_MIN) * (1 + t32.astype(np.float64)) / 4)
    cond = 1 + 5.025 * np.where(h < 2.0**-10, 1.0, 1 + 1 / delta)
    np.testing.assert_array_less(np.abs(np.asarray(alpha) / alpha_ref - 1), 8 * eps32 * cond)
    gt.assert_allclose(dot, dot_ref.astype(np.float32), rtol=rtol)
    gt.assert_allclose(grad, dot_ref.astype(np.float32), rtol=rtol)
    # float64 at the same times, and the ends: alpha'_T = 0 with a finite nonzero slope
    alpha64, dot64, _ = fn(jnp.asarray(t32, jnp.float64))
    gt.assert_allclose(alpha64, alpha_ref, rtol=1e-13)
    gt.assert_allclose(dot64, dot_ref, rtol=1e-13)
    for dtype in (np.float32, np.float64):
        one = jnp.asarray(1.0, dtype)
        assert float(s.alpha(one)) == 0.0
        slope = float(_zero_snr_vp_closed_form(1.0)[1])
        gt.assert_allclose(s.alpha_derivative(one), np.asarray(slope, dtype), rtol=rtol)
        gt.assert_allclose(jax.grad(s.alpha)(one), np.asarray(slope, dtype), rtol=rtol)


def test_second_derivative_of_sigma_is_minus_inf_at_a_square_root_end():
    # Regression: d/dt sigma_derivative was inf - inf = NaN where sigma = 0 and
    # sigma' = +inf (sigma ~ c sqrt(t) at the clean end of the VP and VE schedules): it is -inf.
    for name in ("vp_linear", "vp_cosine", "ve", "zero_snr_vp"):
        s = SCHEDULES[name]
        for dtype in (np.float32, np.float64):
            t0 = jnp.asarray(0.0, dtype)
            assert float(s.sigma_derivative(t0)) == np.inf, name
            assert float(jax.grad(s.sigma_derivative)(t0)) == -np.inf, name
    # elsewhere it is the closed form: sigma = sqrt(u), u = 1 - e^{2L}, L = log alpha (vp_linear),
    # sigma'' = u'' / (2 sigma) - u'^2 / (4 sigma^3)
    s = SCHEDULES["vp_linear"]
    t = np.array([1e-6, 1e-3, 0.3, 0.9])
    big_l = -(B_MIN * t / 2 + (B_MAX - B_MIN) * t**2 / 4)
    l1, l2 = -(B_MIN + (B_MAX - B_MIN) * t) / 2, -(B_MAX - B_MIN) / 2
    e2l = np.exp(2 * big_l)
    u, u1, u2 = -np.expm1(2 * big_l), -2 * l1 * e2l, -(2 * l2 + 4 * l1**2) * e2l
    sig = np.sqrt(u)
    ref = u2 / (2 * sig) - u1**2 / (4 * sig**3)
    got = jax.vmap(jax.grad(s.sigma_derivative))(jnp.asarray(t))
    gt.assert_allclose(got, ref, rtol=1e-9)
    # and where sigma' is finite at sigma's end (sub_vp: sigma ~ c t), a finite number
    assert np.isfinite(float(jax.grad(SCHEDULES["sub_vp"].sigma_derivative)(0.0)))
