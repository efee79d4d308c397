"""Score-matching losses: Hyvärinen identity and the linear-model ISM minimum on
sigma points (exact for quadratic objectives), sliced SM, DSM minimised by the Tweedie denoiser
with the closed-form minimum, weightings, NaN safety at t -> 0 and SNR = 0."""

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given

import gmath.scores as gs
import gmath.testing as gt

D = 3


def sigma_points(mean, cov):
    # 2d points m +- sqrt(d) L e_i: their empirical mean and (1/n) covariance are exactly m, S,
    # so batch means of quadratic functions equal Gaussian expectations exactly.
    chol = np.linalg.cholesky(cov) * math.sqrt(len(mean))
    return np.concatenate([mean + chol.T, mean - chol.T])


def _linear_model(a, b):
    """The batch-level score s(x) = -A (x - b) of every row of x [n, d]."""
    return lambda x: -(x - b) @ a.T


def _ism_esm(x, a, b, mean, cov):
    model = _linear_model(a, b)
    true = _linear_model(jnp.linalg.inv(cov), mean)
    return (
        gs.implicit_score_matching_loss(model, x),
        gs.explicit_score_matching_loss(model, x, true),
    )


ISM_ESM = jax.jit(_ism_esm)
ISM_GRAD = jax.jit(
    jax.grad(lambda a, b, x: gs.implicit_score_matching_loss(_linear_model(a, b), x), (0, 1))
)


@given(
    cov=gt.spd_matrices(dim=D, min_eigenvalue=0.2, max_eigenvalue=5.0),
    mean=gt.finite_arrays(shape=(D,), min_value=-2, max_value=2),
    a=gt.finite_arrays(shape=(D, D), min_value=-2, max_value=2),
    b=gt.finite_arrays(shape=(D,), min_value=-2, max_value=2),
)
def test_hyvarinen_identity_and_linear_model_minimum(cov, mean, a, b):
    x = sigma_points(mean, cov)
    ism, esm = ISM_ESM(x, a, b, mean, cov)
    prec = np.linalg.inv(cov)
    ref = -np.trace(a) + 0.5 * (np.trace(a @ cov @ a.T) + np.sum((a @ (mean - b)) ** 2))
    scale = 1 + abs(ref) + np.sum(a**2) * np.max(np.abs(cov))
    gt.assert_allclose(ism, np.asarray(ref), rtol=0, atol=1e-10 * scale)
    # J_ISM = J_ESM - E||grad log p||^2 / 2 with E||grad log p||^2 = tr S^-1
    gt.assert_allclose(ism, esm - 0.5 * np.trace(prec), rtol=0, atol=1e-10 * scale)
    # minimum at A = S^-1, b = m, value -tr(S^-1)/2, with zero gradient
    best, esm0 = ISM_ESM(x, prec, mean, mean, cov)
    gt.assert_allclose(best, np.asarray(-0.5 * np.trace(prec)))
    assert abs(float(esm0)) < 1e-20 + 1e-12 * np.trace(prec)
    ga, gb = ISM_GRAD(prec, mean, x)
    assert np.max(np.abs(ga)) < 1e-10 * np.max(np.abs(prec)) * 10
    assert np.max(np.abs(gb)) < 1e-10 * np.max(np.abs(prec)) ** 2 * 10


def _stochastic_traces(key, x, x1):
    a = jnp.diag(jnp.array([1.5, 0.3, -0.7]))  # diagonal Jacobian: Rademacher probes are exact
    model = _linear_model(a, jnp.zeros(3))
    exact = gs.implicit_score_matching_loss(model, x)
    hutch = gs.implicit_score_matching_loss(model, x, method="hutchinson", key=key, num_probes=2)
    ssm_vr = gs.sliced_score_matching_loss(key, model, x, probe="rademacher", num_projections=3)
    # non-VR sliced SM in 1-D with Rademacher probes: (v s)^2 = s^2 exactly
    m1 = lambda v: -2.0 * v + 0.3
    ssm_1d = gs.sliced_score_matching_loss(key, m1, x1, variance_reduced=False, probe="rademacher")
    return exact, hutch, ssm_vr, ssm_1d, gs.implicit_score_matching_loss(m1, x1)


def test_stochastic_traces_and_sliced_sm_are_exact_where_probes_are():
    x = sigma_points(np.array([0.5, -1.0, 2.0]), np.diag([0.5, 2.0, 1.0]))
    x1 = np.array([[1.0], [-2.0], [0.5]])
    exact, hutch, ssm_vr, ssm_1d, ism_1d = jax.jit(_stochastic_traces)(jax.random.key(3), x, x1)
    gt.assert_allclose(hutch, exact, atol=1e-14)
    gt.assert_allclose(ssm_vr, exact, atol=1e-14)
    gt.assert_allclose(ssm_1d, ism_1d)


def test_sliced_sm_gaussian_probes_unbiased():
    # VR form with Gaussian probes on a linear model: each projection term is
    # -v^T A v + ||s||^2/2, with mean -tr A + ||s||^2/2 and variance 2 ||A_s||_F^2, and it is
    # a Gaussian quadratic form: the Laurent–Massart bound P(|Q - E Q| >= 2 ||a||_2 sqrt(u) +
    # 2 ||a||_inf u) <= 2 e^{-u} gives false-failure probability 2e^{-16} < 1e-6.
    a = np.array([[1.0, 0.5, 0.0], [0.5, 2.0, -0.3], [0.0, -0.3, 0.7]])
    x = sigma_points(np.zeros(3), np.eye(3))
    model = _linear_model(a, np.zeros(3))
    p = 2000
    value = gs.sliced_score_matching_loss(jax.random.key(5), model, x, num_projections=p)
    exact = gs.implicit_score_matching_loss(model, x)
    eig = np.abs(np.linalg.eigvalsh(a))
    n = x.shape[0] * p
    u = 16.0
    band = (2 * math.sqrt(n * np.sum(eig**2) * u) + 2 * eig.max() * u) / n
    assert abs(float(value - exact)) <= band


# ---------------------------------------------------------------- denoising score matching
S = gs.vp_linear()
MEAN = np.array([1.0, -0.5])
COV = np.array([[1.5, 0.4], [0.4, 0.3]])


def optimal_eps(x, t, schedule=S):
    # eps_hat = (x - alpha D*(x)) / sigma with the Gaussian oracle denoiser (= Tweedie), on the
    # batch x [n, d] with times t [n]
    def one(xi, ti):
        d = gt.gaussian_optimal_denoiser(xi, MEAN, COV, ti, schedule=schedule)
        return (xi - schedule.alpha(ti) * d) / schedule.sigma(ti)

    return jax.vmap(one)(x, t)


def _dsm_at_optimum(key, t):
    x0 = jax.random.multivariate_normal(key, MEAN, COV, (4096,))
    kw = dict(schedule=S, t=t)
    eps_loss = gs.denoising_score_matching_loss(key, optimal_eps, x0, weighting="snr", **kw)
    x0_loss = gs.denoising_score_matching_loss(key, optimal_eps, x0, weighting="uniform", **kw)
    return eps_loss, x0_loss


DSM_AT_OPTIMUM = jax.jit(_dsm_at_optimum)


@pytest.mark.parametrize("t", [0.05, 0.3, 0.8])
def test_dsm_minimum_is_the_closed_form_at_the_tweedie_denoiser(t):
    # The error e = eps - E[eps | x_t] is N(0, P), P = I - sigma^2 C_t^-1, independent of x_t,
    # so n * loss is a weighted chi-square: Laurent–Massart with u = 16 (false failure < 1e-6).
    eps_loss, x0_loss = DSM_AT_OPTIMUM(jax.random.key(11), t)
    snr = float(S.snr(t))
    lam = np.linalg.eigvalsh(COV)
    minimum = np.sum(snr * lam / (snr * lam + 1))
    gt.assert_allclose(gt.gaussian_minimum_denoising_loss(COV, t, schedule=S), np.asarray(minimum))
    p_eig = snr * lam / (snr * lam + 1)
    n, u = 4096, 16.0
    band = (2 * math.sqrt(n * np.sum(p_eig**2) * u) + 2 * p_eig.max() * u) / n
    assert abs(float(eps_loss) - minimum) <= band
    assert abs(float(x0_loss) - minimum / snr) <= band / snr


def _perturbed_losses(key):
    x0 = jax.random.multivariate_normal(key, MEAN, COV, (4096,))
    kw = dict(schedule=S, t=0.4, weighting="snr")
    losses = [gs.denoising_score_matching_loss(key, optimal_eps, x0, **kw)]
    for delta in (jnp.array([0.5, 0.0]), jnp.array([-0.25, 0.4])):
        model = lambda x, t, d=delta: optimal_eps(x, t) + d
        losses.append(gs.denoising_score_matching_loss(key, model, x0, **kw))
    return jnp.stack(losses)


def test_tweedie_denoiser_is_the_loss_minimiser():
    # Perturbing the optimal prediction by a constant delta changes the eps-loss (common random
    # numbers) by ||delta||^2 - 2 delta . mean(e), e = eps - E[eps | x_t] ~ N(0, P) with
    # ||P|| < 1: delta . mean(e) has sd <= ||delta|| / 64 at n = 4096, so the change is positive
    # unless a normal deviate exceeds ||delta|| * 32 >= 15 sd (probability < 1e-6).
    losses = np.asarray(jax.jit(_perturbed_losses)(jax.random.key(2)))
    assert np.all(losses[1:] > losses[0])


def _all_predictions(key, x0, t, schedule, weighting):
    def model_for(kind):
        def model(x, tt):
            eps_hat = 0.3 * x - 0.1  # any eps-model, converted exactly to `kind`
            return gs.convert_prediction(
                eps_hat, x, tt[:, None], schedule=schedule, source="eps", target=kind
            )

        return model

    return jnp.stack(
        [
            gs.denoising_score_matching_loss(
                key, model_for(k), x0, schedule=schedule, prediction=k, weighting=weighting, t=t
            )
            for k in gs.PREDICTIONS
        ]
    )


ALL_PREDICTIONS = jax.jit(_all_predictions, static_argnums=(3, 4))


@pytest.mark.parametrize("weighting", ["uniform", "snr", "min_snr", "edm", "likelihood"])
def test_weightings_do_not_depend_on_the_prediction_type(weighting):
    x0 = np.linspace(-1, 1, 8).reshape(4, 2)
    t = np.array([0.1, 0.3, 0.6, 0.9])
    losses = ALL_PREDICTIONS(jax.random.key(0), x0, t, S, weighting)
    gt.assert_allclose(losses, jnp.full_like(losses, losses[0]), rtol=1e-9)


def test_weightings_match_their_definitions():
    key = jax.random.key(4)
    x0 = np.linspace(-1, 1, 8).reshape(4, 2)
    t = np.array([0.1, 0.3, 0.6, 0.9])
    eps = np.asarray(jax.random.normal(jax.random.split(key)[1], x0.shape, jnp.float64))
    a, sg = np.asarray(S.alpha(t))[:, None], np.asarray(S.sigma(t))[:, None]
    xt = a * x0 + sg * eps
    calls = []

    def model(x, tt):  # batch-level, and time-dependent per example
        calls.append((x.shape, tt.shape))
        return 0.3 * x - 0.1 * tt[:, None]

    eps_hat = 0.3 * xt - 0.1 * t[:, None]
    x0_hat = (xt - sg * eps_hat) / a
    err_x0 = np.sum((x0_hat - x0) ** 2, -1)
    snr = (a / sg)[:, 0] ** 2
    sd = 0.5
    sig_edm = (sg / a)[:, 0]
    g2 = np.asarray(S.diffusion_squared(t))
    err_score = np.sum(((eps_hat - eps) / sg) ** 2, -1)
    expected = {
        "native": np.sum((eps_hat - eps) ** 2, -1),
        "snr": snr * err_x0,
        "uniform": err_x0,
        "min_snr": np.minimum(snr, 5.0) * err_x0,
        "edm": (sig_edm**2 + sd**2) / (sig_edm * sd) ** 2 * err_x0,
        "likelihood": 0.5 * g2 * err_score,
    }
    for weighting, ref in expected.items():
        loss = gs.denoising_score_matching_loss(
            key, model, x0, schedule=S, weighting=weighting, t=t
        )
        gt.assert_allclose(loss, np.asarray(ref.mean()), rtol=1e-10, err_msg=weighting)
    custom = gs.denoising_score_matching_loss(
        key, model, x0, schedule=S, t=t, weighting=lambda lam: jnp.exp(lam)
    )
    gt.assert_allclose(
        custom, np.asarray((snr * np.sum((eps_hat - eps) ** 2, -1)).mean()), rtol=1e-10
    )
    # the convention: one call on the whole batch, x_t [n, d] and t [n]
    assert set(calls) == {((4, 2), (4,))}
    # v and flow-matching native targets
    rf = gs.rectified_flow()
    u_model = lambda x, tt: -x
    loss = gs.denoising_score_matching_loss(
        key, u_model, x0, schedule=rf, prediction="velocity", t=t
    )
    xt_rf = (1 - t)[:, None] * x0 + t[:, None] * eps
    gt.assert_allclose(loss, np.asarray(np.sum((-xt_rf - (eps - x0)) ** 2, -1).mean()), rtol=1e-10)


def _float32_losses(w, t):
    key = jax.random.key(0)
    x0 = jnp.linspace(-1, 1, 8, dtype=jnp.float32).reshape(4, 2)
    cos = gs.vp_cosine()
    rf = gs.rectified_flow()
    lin = lambda x, tt: w * x  # a parameterised model
    cases = [
        (cos, "eps", "snr"),
        (cos, "eps", "min_snr"),
        (cos, "v", "native"),
        (cos, "v", "min_snr"),
        (cos, "x0", "edm"),
        (rf, "velocity", "native"),
        (rf, "eps", "snr"),
    ]
    return jnp.stack(
        [
            gs.denoising_score_matching_loss(
                key, lin, x0, schedule=sched, prediction=p, weighting=wt, t=t
            )
            for sched, p, wt in cases
        ]
    )


FLOAT32_LOSSES = jax.jit(jax.value_and_grad(lambda w, t: jnp.sum(_float32_losses(w, t))))
FLOAT32_EACH = jax.jit(_float32_losses)


@pytest.mark.parametrize("t", [1.0, 1e-6])
def test_no_nan_at_snr_zero_and_t_to_zero_in_float32(t):
    # t = 1: alpha = 0 (SNR = 0) for the cosine schedule and rectified flow.
    w = jnp.float32(0.7)
    t = jnp.float32(t)
    values = FLOAT32_EACH(w, t)
    assert values.dtype == jnp.float32
    assert np.all(np.isfinite(values)), values
    value, grad = FLOAT32_LOSSES(w, t)
    assert np.isfinite(value) and np.isfinite(grad) and grad.dtype == jnp.float32


def test_transforms_and_bad_input():
    model = lambda x, tt: 0.5 * x
    x0 = jnp.ones((3, 4, 2))
    keys = jax.random.split(jax.random.key(0), 3)
    gt.assert_transform_consistent(
        lambda k, x: gs.denoising_score_matching_loss(k, model, x, schedule=S), keys, x0
    )
    x = jnp.ones((4, 2))
    with pytest.raises(ValueError, match="unknown prediction 'noise'"):
        gs.denoising_score_matching_loss(keys[0], model, x, schedule=S, prediction="noise")
    with pytest.raises(ValueError, match="unknown weighting 'p2'"):
        gs.denoising_score_matching_loss(keys[0], model, x, schedule=S, weighting="p2")
    with pytest.raises(ValueError, match=r"t with shape \(3,\), expected \(\) or \(4,\)"):
        gs.denoising_score_matching_loss(keys[0], model, x, schedule=S, t=jnp.ones(3) * 0.5)
    with pytest.raises(ValueError, match=r"model returned shape \(3,\), expected \(4, 2\)"):
        gs.denoising_score_matching_loss(keys[0], lambda x, t: jnp.ones(3), x, schedule=S)
    with pytest.raises(ValueError, match="t_min < t_max"):
        gs.denoising_score_matching_loss(keys[0], model, x, schedule=S, t_min=0.0, t_max=2.0)
    with pytest.raises(ValueError, match="leading batch axis"):
        gs.implicit_score_matching_loss(lambda v: v, jnp.float64(1.0))
    with pytest.raises(ValueError, match="needs a key"):
        gs.implicit_score_matching_loss(lambda v: v, x, method="hutchinson")
    with pytest.raises(ValueError, match="score with shape"):
        gs.tweedie_denoiser(jnp.ones(3), jnp.ones(2), 0.5, schedule=S)


def test_random_losses_check_their_key():
    x = jnp.ones((3, 2))
    s = gs.vp_linear()
    with pytest.raises(TypeError, match="sliced_score_matching_loss: key must be"):
        gs.sliced_score_matching_loss(0, lambda v: -v, x)
    with pytest.raises(TypeError, match="denoising_score_matching_loss: key must be"):
        gs.denoising_score_matching_loss(0, lambda v, t: v, x, schedule=s)
    with pytest.raises(TypeError, match="implicit_score_matching_loss: key must be"):
        gs.implicit_score_matching_loss(lambda v: -v, x, method="hutchinson", key=0)
    with pytest.raises(TypeError, match="jacobian_trace_estimate: key must be"):
        gs.jacobian_trace_estimate(0, lambda v: -v, x[0])
    with pytest.raises(TypeError, match="gaussian_elbo: key must be"):
        gs.gaussian_elbo(0, lambda z: -jnp.sum(z**2), jnp.zeros(2), jnp.ones(2))
    with pytest.raises(TypeError, match="iwae_bound: key must be"):
        gs.iwae_bound(0, lambda z: -jnp.sum(z**2), jnp.zeros(2), jnp.ones(2), num_samples=2)
