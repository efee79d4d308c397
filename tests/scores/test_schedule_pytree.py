"""Schedules as pytrees: hyperparameters are leaves, the law is static.

A jitted function traces once for every schedule of a family (equal or unequal
hyperparameters: same tree structure, other leaves), ``jax.grad`` reaches the hyperparameters
(closed-form derivatives of vp_linear), schedules vmap, float32 leaves stay float32, and the
learned monotone VDM schedule is monotone, exact at its ends and differentiable in its weights.
"""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath
import gmath.scores as gs
import gmath.testing as gt

TOL = gt.tolerance(np.float64)
BETAS = np.linspace(1e-4, 0.02, 50)


def _weights(seed, k=4, scale=2.0):
    keys = jax.random.split(jax.random.key(seed), 4)
    return {
        "w1": scale * jax.random.normal(keys[0], (), jnp.float64),
        "w2": scale * jax.random.normal(keys[1], (k,), jnp.float64),
        "b2": scale * jax.random.normal(keys[2], (k,), jnp.float64),
        "w3": scale * jax.random.normal(keys[3], (k,), jnp.float64),
    }


# each family: (equal construction, another construction with other hyperparameters)
FAMILIES = {
    "vp_linear": (lambda: gs.vp_linear(0.1, 20.0), lambda: gs.vp_linear(0.3, 12.0)),
    "sub_vp": (lambda: gs.sub_vp(0.1, 20.0), lambda: gs.sub_vp(0.2, 10.0)),
    "vp_cosine": (lambda: gs.vp_cosine(0.008), lambda: gs.vp_cosine(0.0)),
    "ve": (lambda: gs.ve(0.01, 50.0), lambda: gs.ve(0.1, 20.0)),
    "edm": (gs.edm, gs.edm),
    "vdm": (lambda: gs.vdm(-13.3, 5.0), lambda: gs.vdm(-10.0, 8.0)),
    "rectified_flow": (gs.rectified_flow, gs.rectified_flow),
    "ddpm_discrete": (lambda: gs.ddpm_discrete(BETAS), lambda: gs.ddpm_discrete(BETAS / 2)),
    "zero_snr_vp": (
        lambda: gs.rescale_zero_terminal_snr(gs.vp_linear(0.1, 20.0)),
        lambda: gs.rescale_zero_terminal_snr(gs.vp_linear(0.2, 5.0)),
    ),
    "learned_vdm": (lambda: gs.learned_vdm(_weights(0)), lambda: gs.learned_vdm(_weights(1))),
}


def _quantities(s, t):
    return jnp.stack(
        [s.alpha(t), s.sigma(t), s.log_snr(t), s.drift(t), s.diffusion_squared(t)]
        + [s.t_from_log_snr(s.log_snr(t))]
    )


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_jit_traces_once_per_family(name):
    make, make_other = FAMILIES[name]
    traces, zero_snr = [], []

    @jax.jit
    def f(s, t):
        traces.append(1)  # runs once per trace
        zero_snr.append(s.zero_terminal_snr)  # static: known with traced parameters
        return _quantities(s, t)

    t = np.float64(0.4)
    outs = [f(make(), t) for _ in range(3)]  # three freshly built equal schedules
    assert len(traces) == 1
    s = make()
    assert zero_snr == [math.isfinite(s.t_max) and float(s.alpha(s.t_max)) == 0.0]
    for out in outs[1:]:
        np.testing.assert_array_equal(out, outs[0])
    gt.assert_allclose(outs[0], _quantities(make(), t), rtol=TOL)  # jit agrees with eager
    other = make_other()
    out = f(other, t)  # other hyperparameters: same tree structure, other leaves
    assert len(traces) == 1
    gt.assert_allclose(out, _quantities(other, t), rtol=TOL)
    # as a static argument (the samplers' use): equal schedules are equal and hash alike
    assert make() == make() and hash(make()) == hash(make())
    if jax.tree_util.tree_leaves(make()):
        assert make() != other


def _loss(s, ts):
    # a weighted sum of the marginals and coefficients, each with its own derivative in beta_max
    return jnp.sum(
        s.alpha(ts) + 2 * s.sigma(ts) + 0.1 * s.log_snr(ts) + s.diffusion_squared(ts)
    ) + jnp.sum(s.t_from_log_snr(jnp.array([-1.0, 2.0])))


def _loss_beta_max_derivative(beta_min, beta_max, ts):
    r"""Closed form of d loss / d beta_max for vp_linear (dB/d beta_max = t^2/2)."""
    b = beta_min * ts + 0.5 * (beta_max - beta_min) * ts**2
    db = 0.5 * ts**2
    alpha, sigma = np.exp(-b / 2), np.sqrt(-np.expm1(-b))
    d_alpha = -0.5 * alpha * db
    d_sigma = np.exp(-b) * db / (2 * sigma)
    d_log_snr = -db / -np.expm1(-b)  # lambda = -log(e^B - 1)
    d_g2 = ts  # g^2 = beta(t) = beta_min + (beta_max - beta_min) t
    # t(lambda) solves B(t) = log(1 + e^-lambda): dt/d beta_max = -(t^2 / 2) / beta(t)
    lam = np.array([-1.0, 2.0])
    target = np.log1p(np.exp(-lam))
    slope = beta_max - beta_min
    t_inv = 2 * target / (beta_min + np.sqrt(beta_min**2 + 2 * slope * target))
    d_t = -0.5 * t_inv**2 / (beta_min + slope * t_inv)
    return np.sum(d_alpha + 2 * d_sigma + 0.1 * d_log_snr + d_g2) + np.sum(d_t)


def test_grad_reaches_the_hyperparameters():
    ts = np.linspace(0.05, 1.0, 7)
    expected = _loss_beta_max_derivative(0.1, 20.0, ts)
    # differentiating the schedule record: its cotangent holds d loss / d leaf
    cotangent = jax.jit(jax.grad(_loss))(gs.vp_linear(0.1, 20.0), ts)
    gt.assert_allclose(cotangent.params["beta_max"], expected, rtol=TOL)
    # building it inside the differentiated function
    by_value = jax.jit(jax.grad(lambda b: _loss(gs.vp_linear(0.1, b), ts)))(20.0)
    gt.assert_allclose(by_value, expected, rtol=TOL)
    # the time derivative is unchanged by traced hyperparameters
    d_sigma_dt = jax.grad(lambda b, t: gs.vp_linear(0.1, b).sigma(t), argnums=1)(20.0, 0.3)
    gt.assert_allclose(d_sigma_dt, gs.vp_linear().sigma_derivative(0.3), rtol=TOL)


def test_grad_is_exact_at_the_ends():
    # the hyperparameters' derivative is attached without touching the time derivative at the
    # clean end, where d sigma / dt = +inf: d sigma_0 / d beta_max = 0 (sigma_0 = 0 for all)
    grad_t = jax.grad(lambda s, t: s.sigma(t), argnums=1)(gs.vp_linear(), 0.0)
    assert float(grad_t) == math.inf
    grad_b = jax.grad(lambda b: gs.vp_linear(0.1, b).alpha(1.0))(20.0)
    # alpha_1 = exp(-(beta_min + beta_max) / 4): d/d beta_max = -alpha_1 / 4
    gt.assert_allclose(grad_b, -0.25 * math.exp(-(0.1 + 20.0) / 4), rtol=TOL)


@pytest.mark.parametrize(
    "build",
    [
        lambda i: gs.vp_linear(0.1 + 0.1 * i, 20.0 - 3 * i),
        lambda i: gs.vp_cosine(0.002 * i),
        lambda i: gs.ve(0.01 * (i + 1), 50.0 - i),
        lambda i: gs.ddpm_discrete(BETAS * (1 - 0.1 * i)),
        lambda i: gs.rescale_zero_terminal_snr(gs.vp_linear(0.1, 20.0 - 3 * i)),
        lambda i: gs.learned_vdm(_weights(i), gamma_min=-13.0 + i, gamma_max=5.0 + i),
    ],
    ids=["vp_linear", "vp_cosine", "ve", "ddpm_discrete", "zero_snr_vp", "learned_vdm"],
)
def test_vmap_over_a_stack_of_schedules(build):
    schedules = [build(i) for i in range(3)]
    stacked = jax.tree_util.tree_map(lambda *v: jnp.stack([jnp.asarray(x) for x in v]), *schedules)
    ts = np.array([0.2, 0.5, 0.9])
    out = jax.vmap(_quantities)(stacked, ts)
    for i, s in enumerate(schedules):
        gt.assert_allclose(out[i], _quantities(s, ts[i]), rtol=TOL, atol=1e-14)


def test_float32_leaves_stay_float32():
    s = gs.vp_linear(np.float32(0.1), np.float32(20.0))
    leaves = jax.tree_util.tree_leaves(s)
    assert [v.dtype for v in leaves] == [np.float32, np.float32]
    passed = jax.jit(lambda x: x)(s)  # through a jit boundary and back
    assert [v.dtype for v in jax.tree_util.tree_leaves(passed)] == [np.float32, np.float32]
    t32 = np.float32(0.3)
    for q in (s.alpha(t32), s.sigma(t32), s.log_snr(t32), passed.drift(t32)):
        assert q.dtype == np.float32
    ref = gs.vp_linear(float(np.float32(0.1)), 20.0)  # the same numbers in float64
    gt.assert_allclose(s.alpha(t32), ref.alpha(0.3), rtol=gt.tolerance(np.float32, condition=3))
    # float64 leaves (a stacked batch) with float32 times: the times' dtype wins
    s64 = jax.tree_util.tree_map(jnp.asarray, gs.vp_linear())
    assert s64.alpha(t32).dtype == np.float32
    assert gs.ddpm_discrete(BETAS.astype(np.float32)).params["betas"].dtype == np.float32


def _exponential_log_alpha(p, t):
    return -0.5 * p["b"] * t  # alpha_t^2 = e^{-b t}: vp_linear with beta_min = beta_max = b


def test_user_law_with_params():
    # NoiseSchedule(..., params=): the functions take (params, t); no inverse given, so t(lambda)
    # is the generic Newton solve, whose gradient in b is the implicit one:
    # b t = log(1 + e^{-lambda}) gives t = log1p(e^{-lambda}) / b and dt/db = -t / b
    def make(b):
        return gs.NoiseSchedule(
            "exponential", _exponential_log_alpha, variance_preserving=True, params={"b": b}
        )

    traces = []

    @jax.jit
    def f(s, lam):
        traces.append(1)
        return s.t_from_log_snr(lam), s.alpha(0.5)

    for b in (2.0, 3.0):
        t, alpha = f(make(b), 0.7)
        gt.assert_allclose(t, math.log1p(math.exp(-0.7)) / b, rtol=TOL)
        gt.assert_allclose(alpha, math.exp(-0.25 * b), rtol=TOL)
    assert len(traces) == 1
    d_t = jax.jit(jax.grad(lambda b: make(b).t_from_log_snr(0.7)))(3.0)
    gt.assert_allclose(d_t, -math.log1p(math.exp(-0.7)) / 9.0, rtol=TOL)
    d_alpha = jax.grad(lambda b: make(b).alpha(0.5))(3.0)  # -t/2 alpha
    gt.assert_allclose(d_alpha, -0.25 * math.exp(-0.75), rtol=TOL)


# ---------------------------------------------------------------------- learned VDM

SEEDS = np.arange(6)
LEARNED = [
    gs.learned_vdm(_weights(int(i), scale=3.0), gamma_min=-12.0, gamma_max=7.0) for i in SEEDS
]
STACK = jax.tree_util.tree_map(lambda *v: jnp.stack(v), *LEARNED)
TS = np.linspace(0.0, 1.0, 401)


@jax.jit
def _learned_table(stack):
    quantities = lambda s: (s.log_snr(TS), s.diffusion_squared(TS), s.alpha(TS), s.sigma(TS))
    lam, g2, alpha, sigma = jax.vmap(quantities)(stack)
    t_back = jax.vmap(lambda s, lam: s.t_from_log_snr(lam))(stack, lam)
    ends32 = jax.vmap(lambda s: s.log_snr(jnp.array([0.0, 0.5, 1.0], jnp.float32)))(stack)
    return lam, g2, alpha, sigma, t_back, ends32


def test_learned_vdm_is_monotone_with_exact_ends():
    lam, g2, alpha, sigma, t_back, ends32 = _learned_table(STACK)
    # log-SNR strictly decreasing and g^2 = sigma^2 gamma' > 0 for every (random) weights
    assert np.all(np.diff(lam, axis=1) < 0)
    assert np.all(g2 > 0)
    # the ends are hit exactly, in float64 and float32
    np.testing.assert_array_equal(lam[:, 0], 12.0)
    np.testing.assert_array_equal(lam[:, -1], -7.0)
    assert ends32.dtype == np.float32
    np.testing.assert_array_equal(ends32[:, 0], 12.0)
    np.testing.assert_array_equal(ends32[:, 2], -7.0)
    # VP identities and the inverse (Newton to the bracket's resolution)
    gt.assert_allclose(alpha**2 + sigma**2, np.ones_like(alpha), rtol=TOL)
    gt.assert_allclose(t_back, np.broadcast_to(TS, t_back.shape), rtol=1e-9, atol=1e-12)


def _diffusion_loss(s):
    r"""The VDM continuous-time loss of Gaussian data N(1, 0.5^2) under a fixed linear denoiser.

    :math:`\tfrac12 E_{t,\varepsilon}[-\lambda'(t)\,(x_0 - \hat x_0(z_t))^2]` at fixed draws, with
    :math:`\hat x_0(z) = 0.8 z` (Kingma et al. 2021, eq. 17).
    """
    key_t, key_x, key_e = jax.random.split(jax.random.key(3), 3)
    t = jax.random.uniform(key_t, (16,), jnp.float64, 0.02, 0.98)
    x0 = 1.0 + 0.5 * jax.random.normal(key_x, (16,), jnp.float64)
    eps = jax.random.normal(key_e, (16,), jnp.float64)
    sigma = s.sigma(t)
    z = s.alpha(t) * x0 + sigma * eps
    dlam = -s.diffusion_squared(t) / sigma**2  # g^2 = -sigma^2 lambda'(t)
    return 0.5 * jnp.mean(-dlam * (x0 - 0.8 * z) ** 2) + jnp.sum(s.t_from_log_snr(jnp.array([0.5])))


def _learned_loss(theta):
    s = gs.learned_vdm(theta["w"], gamma_min=theta["lo"], gamma_max=theta["hi"])
    return _diffusion_loss(s)


@jax.jit
def _learned_loss_along(theta, v):
    """d loss(theta + c v)/dc at c = 0: by reverse mode and by a fourth-order central difference
    with h = 1e-3 (truncation ~ h^4 |f^(5)|, rounding ~ 1e-16 / h: both far below 1e-8)."""
    h = 1e-3
    grad = jax.grad(_learned_loss)(theta)
    leaves = zip(jax.tree_util.tree_leaves(grad), jax.tree_util.tree_leaves(v), strict=True)
    along = sum(jnp.vdot(g, d) for g, d in leaves)
    step = lambda c: jax.tree_util.tree_map(lambda a, b: a + c * h * b, theta, v)
    f = jax.vmap(lambda c: _learned_loss(step(c)))(jnp.array([1.0, -1.0, 2.0, -2.0]))
    fd = (8 * (f[0] - f[1]) - (f[2] - f[3])) / (12 * h)
    return grad, along, fd


def test_learned_vdm_gradient_matches_finite_differences():
    # in the weights and in the ends, which are leaves too
    theta = {"w": _weights(4), "lo": jnp.float64(-8.0), "hi": jnp.float64(6.0)}
    v = {"w": _weights(5, scale=1.0), "lo": jnp.float64(1.0), "hi": jnp.float64(0.5)}
    grad, along, fd = _learned_loss_along(theta, v)
    assert all(np.all(np.isfinite(g)) for g in jax.tree_util.tree_leaves(grad))
    gt.assert_allclose(along, fd, rtol=1e-8)


def test_learned_vdm_bad_arguments():
    w = _weights(0)
    with pytest.raises(ValueError, match="keys"):
        gs.learned_vdm({"w1": 0.0})
    with pytest.raises(ValueError, match="equal shapes"):
        gs.learned_vdm({**w, "b2": jnp.zeros(3)})
    with pytest.raises(ValueError, match="gamma_min < gamma_max"):
        gs.learned_vdm(w, gamma_min=1.0, gamma_max=1.0)
    # traced invalid ends: NaN by default, an error in checks mode
    bad = jax.jit(lambda lo: gs.learned_vdm(w, gamma_min=lo, gamma_max=1.0).log_snr(0.5))
    assert np.isnan(bad(2.0))
    with gmath.config.checks(True):
        with pytest.raises(Exception, match="gamma_min < gamma_max"):
            jax.block_until_ready(
                jax.jit(lambda lo: gs.learned_vdm(w, gamma_min=lo, gamma_max=1.0).log_snr(0.5))(2.0)
            )


def _pf_score(x, t):
    return -0.5 * x  # under a VP schedule the flow is dx/dt = -beta(t) x / 4


def test_samplers_take_a_schedule_as_a_traced_argument():
    # a schedule passed into a jitted function has traced leaves; the sampler must read what it
    # needs (whether alpha vanishes at t_max) from the record's static fields
    x = jax.random.normal(jax.random.key(3), (16, 2))
    for schedule in (gs.vp_linear(beta_min=0.1, beta_max=20.0), gs.vp_cosine()):
        run = jax.jit(
            lambda s, x: gs.probability_flow_sample(_pf_score, x, schedule=s, num_steps=4)
        )
        eager = gs.probability_flow_sample(_pf_score, x, schedule=schedule, num_steps=4)
        gt.assert_allclose(run(schedule, x), eager, rtol=1e-12)


def test_gradient_through_sampling_reaches_the_schedule():
    x = jax.random.normal(jax.random.key(4), (16, 2))
    times = jnp.linspace(1.0, 1e-3, 9)

    def loss(beta_max):
        schedule = gs.vp_linear(beta_min=0.1, beta_max=beta_max)
        out = gs.probability_flow_sample(_pf_score, x, schedule=schedule, times=times)
        return jnp.sum(out**2)

    h = 1e-4
    fd = (loss(20.0 + h) - loss(20.0 - h)) / (2 * h)
    gt.assert_allclose(jax.grad(loss)(20.0), fd, rtol=1e-7)  # O(h^2) = 1e-8 relative
    # built inside the traced function, the default grid's noisy end is unknowable: a clear error
    with pytest.raises(ValueError, match="traced hyperparameters"):
        jax.grad(
            lambda b: jnp.sum(
                gs.probability_flow_sample(
                    _pf_score, x, schedule=gs.vp_linear(beta_max=b), num_steps=4
                )
            )
        )(20.0)
