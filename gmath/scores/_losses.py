r"""Score-matching losses: explicit, implicit (Hyvärinen), sliced and denoising.

Every loss takes a batch ``x`` of shape ``[n, ...]`` and a *batch-level* model, the convention of
:mod:`gmath.scores`: ``score_fn(x)`` on the whole batch ``[n, ...] -> [n, ...]``, and for the
denoising loss ``model_fn(x_t, t)`` with ``t`` of shape ``[n]`` (one time per example), the same
call the samplers make. It returns the batch mean, a scalar to differentiate. Losses that need
the Jacobian of the model per example (the implicit loss) call it on one example at a time under
``vmap``, so the model must treat the examples of a batch independently.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath._numerics import check_key, promote
from gmath.scores._divergence import jacobian_trace, jacobian_trace_estimate
from gmath.scores._predictions import PREDICTIONS, _call_model, _column, _from_x0_eps
from gmath.scores._schedules import NoiseSchedule

__all__ = [
    "WEIGHTINGS",
    "denoising_score_matching_loss",
    "explicit_score_matching_loss",
    "implicit_score_matching_loss",
    "sliced_score_matching_loss",
]

WEIGHTINGS = ("native", "uniform", "snr", "min_snr", "edm", "likelihood")


def _batch(owner, x):
    (x,) = promote(x)
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(f"{owner}: x must have a leading batch axis, got shape {x.shape}.")
    return x


def _sum_event(v):
    return jnp.sum(jnp.reshape(v, (v.shape[0], -1)), axis=-1)


def _apply(owner, fn, x, name="score_fn"):
    """A batch-level ``fn(x)``, its shape checked against ``x``."""
    out = fn(x)
    if jnp.shape(out) != x.shape:
        raise ValueError(
            f"{owner}: {name} returned shape {jnp.shape(out)}, expected {x.shape} (the shape of "
            "its input batch)."
        )
    return jnp.asarray(out, x.dtype)


def explicit_score_matching_loss(score_fn: Callable, x, target_score_fn: Callable) -> jax.Array:
    r"""Explicit score matching :math:`J_{\mathrm{ESM}} = \tfrac12 E\|s(x) - \nabla\log p(x)\|^2`.

    Args:
      score_fn: model score on the batch, ``x [n, ...] -> s(x) [n, ...]``.
      x: samples of :math:`p`, shape ``[n, ...]``.
      target_score_fn: the true score :math:`\nabla\log p` on the batch.

    Returns:
      Scalar: the batch mean.

    References:
      Hyvärinen (2005). Estimation of non-normalized statistical models by score matching. JMLR
      [@hyvarinen2005].

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.array([[1.0], [-1.0]])
      >>> float(explicit_score_matching_loss(lambda v: -2 * v, x, lambda v: -v))
      0.5
    """
    owner = "explicit_score_matching_loss"
    x = _batch(owner, x)
    diff = _apply(owner, score_fn, x) - _apply(owner, target_score_fn, x, "target_score_fn")
    return 0.5 * jnp.mean(_sum_event(diff * diff))


def implicit_score_matching_loss(
    score_fn: Callable,
    x,
    *,
    method: str = "exact",
    key=None,
    num_probes: int = 1,
    probe: str = "rademacher",
) -> jax.Array:
    r"""Implicit (Hyvärinen) score matching :math:`J_{\mathrm{ISM}} = E[\operatorname{tr}\nabla s(x) + \tfrac12\|s(x)\|^2]`.

    Integration by parts gives :math:`J_{\mathrm{ISM}} = J_{\mathrm{ESM}} - \tfrac12
    E\|\nabla\log p\|^2`, so it is minimised by the true score without knowing it. The trace is
    exact (:func:`gmath.scores.jacobian_trace`) or a Hutchinson estimate
    (:func:`gmath.scores.jacobian_trace_estimate`). For the linear model
    :math:`s = -A(x - b)` and data :math:`\mathcal N(m, S)`:
    :math:`J = -\operatorname{tr}A + \tfrac12[\operatorname{tr}(ASA^\top) + \|A(m-b)\|^2]`,
    minimised at :math:`A = S^{-1}, b = m` with value :math:`-\operatorname{tr}(S^{-1})/2`.

    The trace is per example: ``score_fn`` is called on one example at a time (a batch of one)
    under ``vmap``.

    Args:
      score_fn: model score on the batch, ``x [n, ...] -> s(x) [n, ...]``.
      x: samples, shape ``[n, ...]``.
      method: ``"exact"`` or ``"hutchinson"`` (or ``"hutch++"``) for the trace.
      key: PRNG key for stochastic traces.
      num_probes: probes per example (stochastic traces).
      probe: ``"rademacher"`` or ``"gaussian"``.

    Returns:
      Scalar: the batch mean.

    References:
      Hyvärinen (2005). Estimation of non-normalized statistical models by score matching. JMLR
      [@hyvarinen2005].

    Examples:
      >>> import jax.numpy as jnp
      >>> x = jnp.array([[1.0], [-1.0]])  # mean 0, variance 1: minimum -1/2 at s(x) = -x
      >>> float(implicit_score_matching_loss(lambda v: -v, x))
      -0.5
    """
    owner = "implicit_score_matching_loss"
    x = _batch(owner, x)
    s = _apply(owner, score_fn, x)
    one = lambda v: score_fn(v[None])[0]  # the model on a batch of one example
    if method == "exact":
        traces = jax.vmap(lambda v: jacobian_trace(one, v))(x)
    else:
        if key is None:
            raise ValueError(f"implicit_score_matching_loss: method={method!r} needs a key.")
        check_key(key, where="implicit_score_matching_loss")
        keys = jax.random.split(key, x.shape[0])
        traces = jax.vmap(
            lambda k, v: (
                jacobian_trace_estimate(
                    k, one, v, method=method, num_probes=num_probes, probe=probe
                ).value
            )
        )(keys, x)
    return jnp.mean(traces + 0.5 * _sum_event(s * s))


def sliced_score_matching_loss(
    key,
    score_fn: Callable,
    x,
    *,
    num_projections: int = 1,
    variance_reduced: bool = True,
    probe: str = "gaussian",
) -> jax.Array:
    r"""Sliced score matching (Song et al. 2019).

    .. math::
        J_{\mathrm{SSM}} = E_{x, v}\big[v^\top\nabla s(x)\,v + \tfrac12 (v^\top s(x))^2\big],
        \qquad J_{\mathrm{SSM\text{-}VR}} = E_{x, v}\big[v^\top\nabla s(x)\,v
        + \tfrac12\|s(x)\|^2\big],

    with :math:`E[vv^\top] = I`: both are unbiased for :math:`J_{\mathrm{ISM}}`; the
    variance-reduced form integrates the second term analytically. One Jacobian-vector product
    of the batch-level ``score_fn`` per projection (each example with its own direction).

    Args:
      key: PRNG key for the projections.
      score_fn: model score on the batch, ``x [n, ...] -> s(x) [n, ...]``.
      x: samples, shape ``[n, ...]``.
      num_projections: projections per example.
      variance_reduced: use the variance-reduced form.
      probe: ``"gaussian"`` or ``"rademacher"``.

    Returns:
      Scalar: the batch mean.

    References:
      Song, Garg, Shi, Ermon (2019). Sliced score matching: a scalable approach to density and
      score estimation. UAI [@song2019sliced].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x = jnp.array([[1.0], [-1.0]])
      >>> loss = sliced_score_matching_loss(jax.random.key(0), lambda v: -v, x,
      ...                                   probe="rademacher")
      >>> float(loss)  # exact in 1-D with Rademacher probes
      -0.5
    """
    check_key(key, where="sliced_score_matching_loss")
    if probe not in ("gaussian", "rademacher"):
        raise ValueError(f"sliced_score_matching_loss: unknown probe {probe!r}.")
    if not (isinstance(num_projections, int) and num_projections >= 1):
        raise ValueError("sliced_score_matching_loss: num_projections must be a positive int.")
    owner = "sliced_score_matching_loss"
    x = _batch(owner, x)
    draw = jax.random.rademacher if probe == "rademacher" else jax.random.normal
    v = draw(key, (num_projections,) + x.shape, x.dtype)
    _apply(owner, score_fn, x)  # the shape check
    s, jvp = jax.linearize(lambda u: jnp.asarray(score_fn(u), x.dtype), x)

    def one(vj):  # [n]: v_j^T J v_j + 1/2 (...)^2 per example
        quad = _sum_event(vj * jvp(vj))
        second = _sum_event(s * s) if variance_reduced else _sum_event(vj * s) ** 2
        return quad + 0.5 * second

    return jnp.mean(jax.vmap(one)(v))


_LOG_SNR_CLIP = 60.0  # |log SNR| beyond this is clipped in the weights (SNR ~ 1e26)


def _loss_factor(kind, weighting, t, schedule, gamma, sigma_data):
    """Weight of ||pred - target||^2 in the prediction's own space, finite at SNR = 0.

    The loss is w_x0 ||x0_hat - x0||^2 = w_x0 q_K ||pred_K - target_K||^2 with
    q_K = ||dx0||^2 / ||dK||^2 at fixed x_t; both factors are written to stay finite at SNR = 0.
    """
    if weighting == "native":
        return jnp.ones_like(t)
    lam = jnp.clip(schedule.log_snr(t), -_LOG_SNR_CLIP, _LOG_SNR_CLIP)
    snr, inv_snr = jnp.exp(lam), jnp.exp(-lam)
    alpha, sigma = schedule.alpha(t), schedule.sigma(t)
    sd2 = sigma_data * sigma_data
    if kind == "eps":
        q = inv_snr
    elif kind == "x0":
        q = jnp.ones_like(t)
    elif kind == "v":
        q = sigma * sigma / (alpha * alpha + sigma * sigma) ** 2
    elif kind == "score":
        q = sigma * sigma * inv_snr
    elif kind == "edm":
        q = sd2 / (1 + sd2 * snr)  # c_out^2 at sigma_edm^2 = 1 / SNR
    else:
        det = alpha * schedule.sigma_derivative(t) - sigma * schedule.alpha_derivative(t)
        q = sigma * sigma / (det * det)
    if callable(weighting):
        w = weighting(schedule.log_snr(t)) * snr
    elif weighting == "uniform":
        w = jnp.ones_like(t)
    elif weighting == "snr":
        w = snr
    elif weighting == "min_snr":
        w = jnp.minimum(snr, gamma)
    elif weighting == "edm":
        w = snr + 1 / sd2
    else:  # likelihood: g^2/2 ||s_hat - s||^2 = g^2 SNR / (2 sigma^2) ||x0_hat - x0||^2
        w = schedule.diffusion_squared(t) * snr / (2 * sigma * sigma)
    return w * q


def denoising_score_matching_loss(
    key,
    model_fn: Callable,
    x0,
    *,
    schedule: NoiseSchedule,
    prediction: str = "eps",
    weighting="native",
    t=None,
    t_min: float = 1e-5,
    t_max: float | None = None,
    gamma: float = 5.0,
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Denoising score matching with any prediction type and weighting (Vincent 2011).

    Draws :math:`t \sim U(t_{\min}, t_{\max})` per example (unless ``t`` is given) and
    :math:`\varepsilon \sim \mathcal N(0, I)`, forms :math:`x_t = \alpha_t x_0 + \sigma_t
    \varepsilon` and scores ``model_fn(x_t, t)``, a prediction of type ``prediction``, called
    once on the whole batch: ``x_t`` of shape ``[n, ...]`` and ``t`` of shape ``[n]`` (the
    convention of :mod:`gmath.scores`; the samplers call the model the same way, so the trained
    model plugs into them with the same ``prediction``).
    Weightings, written as the weight :math:`w` of :math:`\|\hat x_0 - x_0\|^2` (equivalently
    :math:`w/\mathrm{SNR}` on :math:`\|\hat\varepsilon - \varepsilon\|^2`); the loss is
    computed as a weighted squared error of the prediction itself, the weight written to stay
    finite at SNR = 0 (log-SNR clipped to :math:`\pm 60` inside the weight only):

    - ``"native"``: MSE of the prediction itself (DDPM :math:`L_{\text{simple}}` for eps,
      flow matching for velocity);
    - ``"uniform"``: :math:`w = 1`, the :math:`x_0`-MSE;
    - ``"snr"``: :math:`w = \mathrm{SNR}`, the :math:`\varepsilon`-MSE;
    - ``"min_snr"``: :math:`w = \min(\mathrm{SNR}, \gamma)` (Hang et al. 2023);
    - ``"edm"``: :math:`w = (\sigma^2+\sigma_d^2)/(\sigma\sigma_d)^2` with
      :math:`\sigma = \sigma_t/\alpha_t` (Karras et al. 2022);
    - ``"likelihood"``: :math:`\tfrac12 g^2\|\hat s - s\|^2`, i.e.
      :math:`w = g^2\,\mathrm{SNR}/(2\sigma_t^2)` (Song, Durkan et al. 2021);
    - a callable: ``w(log_snr)`` on the :math:`\varepsilon`-MSE.

    With ``"likelihood"`` and :math:`t \sim U(t_{\min}, T)`, :math:`(T - t_{\min})` times the
    loss is the score term of the negative log-likelihood bound of Song, Durkan et al. (2021,
    Theorem 1). The loss is minimised by the Tweedie (posterior-mean) prediction; its minimum
    for the :math:`\varepsilon`-MSE at one :math:`t` and Gaussian data :math:`\mathcal N(m, S)`
    is :math:`\sum_i \mathrm{SNR}\,l_i/(\mathrm{SNR}\,l_i + 1)`, with :math:`l_i` the
    eigenvalues of :math:`S`. Note the factor conventions: the per-example error is *summed*
    over the event (not averaged) and carries no factor :math:`\tfrac12` except in
    ``"likelihood"``.

    Args:
      key: PRNG key (times and noise).
      model_fn: the model ``(x_t [n, ...], t [n]) -> prediction [n, ...]`` on the batch.
      x0: clean data, shape ``[n, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      prediction: ``"eps"``, ``"x0"``, ``"v"``, ``"score"``, ``"edm"`` or ``"velocity"``.
      weighting: a name above or a callable of the log-SNR.
      t: optional times, a scalar or shape ``[n]``; if ``None`` they are drawn uniformly.
      t_min: lower end of the time draw (``> 0``: the clean end has :math:`\sigma = 0`).
      t_max: upper end (default ``schedule.t_max``).
      gamma: :math:`\gamma` of min-SNR.
      sigma_data: :math:`\sigma_d` (EDM weighting and ``"edm"`` predictions).

    Returns:
      Scalar: the batch mean of the per-example weighted squared error (summed over the event).

    References:
      Vincent (2011). A connection between score matching and denoising autoencoders. Neural
      Computation [@vincent2011]. Ho et al. (2020) [@ho2020ddpm]. Song et al. (2021)
      [@song2021scoresde]. Song, Durkan, Murray, Ermon (2021). Maximum likelihood training of
      score-based diffusion models. NeurIPS [@song2021maximum]. Hang et al. (2023). Efficient
      diffusion training via min-SNR weighting strategy. ICCV [@hang2023minsnr]. Karras et al.
      (2022) [@karras2022edm]. Salimans and Ho
      (2022) [@salimans2022progressive]. Lipman et al. (2023) [@lipman2023flow].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> x0 = jnp.zeros((4, 2))  # data = a point mass at 0: the optimal eps-prediction is x/sigma
      >>> s = vp_linear()
      >>> eps_model = lambda x, t: x / s.sigma(t)[:, None]
      >>> loss = denoising_score_matching_loss(jax.random.key(0), eps_model, x0, schedule=s)
      >>> round(float(loss), 10)
      0.0
    """
    check_key(key, where="denoising_score_matching_loss")
    if prediction not in PREDICTIONS:
        raise ValueError(
            f"denoising_score_matching_loss: unknown prediction {prediction!r}; expected one of "
            f"{PREDICTIONS}."
        )
    if not callable(weighting) and weighting not in WEIGHTINGS:
        raise ValueError(
            f"denoising_score_matching_loss: unknown weighting {weighting!r}; expected one of "
            f"{WEIGHTINGS} or a callable."
        )
    x0 = _batch("denoising_score_matching_loss", x0)
    n = x0.shape[0]
    key_t, key_eps = jax.random.split(key)
    if t is None:
        hi = schedule.t_max if t_max is None else t_max
        if not (schedule.t_min <= t_min < hi <= schedule.t_max):
            raise ValueError(
                f"denoising_score_matching_loss: need {schedule.t_min} <= t_min < t_max <= "
                f"{schedule.t_max}, got {t_min}, {hi}."
            )
        t = jax.random.uniform(key_t, (n,), x0.dtype, t_min, hi)
    else:
        (t,) = promote(t)
        if t.shape not in ((), (n,)):
            raise ValueError(
                f"denoising_score_matching_loss: t with shape {t.shape}, expected () or ({n},)."
            )
        t = jnp.broadcast_to(t.astype(x0.dtype), (n,))
    eps = jax.random.normal(key_eps, x0.shape, x0.dtype)
    tc = _column(t, x0)
    x_t = schedule.alpha(tc) * x0 + schedule.sigma(tc) * eps
    pred = _call_model("denoising_score_matching_loss", model_fn, x_t, t)
    target = _from_x0_eps(x0, eps, x_t, tc, schedule, prediction, sigma_data)
    err = pred - target
    factor = _loss_factor(prediction, weighting, t, schedule, gamma, sigma_data)
    return jnp.mean(factor * _sum_event(err * err))
