r"""The predictor–corrector kernel (:func:`~gmath.scores.predictor_corrector_sample`)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath.scores._predictions import _check_kind, _model_score
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import NoiseSchedule

__all__ = ["predictor_corrector_kernel"]


def check_corrector_steps(owner, num_corrector_steps):
    if not (isinstance(num_corrector_steps, int) and num_corrector_steps >= 0):
        raise ValueError(f"{owner}: num_corrector_steps must be an int >= 0.")


def _predictor_corrector_kernel(
    owner, model_fn, schedule, snr, num_corrector_steps, prediction, sigma_data
):
    def score_fn(x, t):
        return _model_score(owner, model_fn, x, t, schedule, prediction, sigma_data)

    def corrector(x, t, k):
        grad = score_fn(x, t)
        z = jax.random.normal(k, x.shape, x.dtype)
        grad_norm = jnp.sqrt(jnp.sum(grad * grad))
        noise_norm = jnp.sqrt(jnp.sum(z * z))
        ratio = snr * noise_norm / jnp.where(grad_norm > 0, grad_norm, 1.0)
        eps = jnp.where(grad_norm > 0, 2 * ratio * ratio, 0.0)
        return x + eps * grad + jnp.sqrt(2 * eps) * z

    def step(key, state, t0, t1):
        ks = key if num_corrector_steps > 0 else key[None]
        x = state.position
        for j in range(num_corrector_steps):
            x = corrector(x, t0, ks[j])
        h = t1 - t0
        g2 = schedule.diffusion_squared(t0)
        drift = schedule.drift(t0) * x - g2 * score_fn(x, t0)
        z = jax.random.normal(ks[-1], x.shape, x.dtype)
        return SamplerState(x + h * drift + jnp.sqrt(g2 * jnp.abs(h)) * z)

    return SamplerKernel(SamplerState, step, num_corrector_steps + 1)


def predictor_corrector_kernel(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    snr: float = 0.16,
    num_corrector_steps: int = 1,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""Predictor–corrector step (Song et al. 2021, Algorithms 2–4) as a :class:`SamplerKernel`.

    At time ``t``: ``num_corrector_steps`` Langevin corrector steps
    :math:`x \leftarrow x + \epsilon s + \sqrt{2\epsilon}z` with
    :math:`\epsilon = 2(r\|z\|/\|s\|)^2` (``snr`` = :math:`r`, norms over the whole batch), then
    one reverse-SDE Euler–Maruyama predictor step to ``t_next``. The step takes
    ``num_corrector_steps + 1`` keys (an array of them; one key when there is no corrector).
    :func:`~gmath.scores.predictor_corrector_sample` is this kernel run by :func:`run_sampler`.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      snr: corrector signal-to-noise ratio :math:`r`.
      num_corrector_steps: Langevin steps per time, an int ``>= 0``.
      prediction: what ``model_fn`` predicts (see :data:`~gmath.scores.PREDICTIONS`).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states and
      ``keys_per_step = num_corrector_steps + 1``.

    References:
      Song et al. (2021) [@song2021scoresde].

    Examples:
      >>> from gmath.scores import ve
      >>> predictor_corrector_kernel(lambda x, t: -x, schedule=ve(),
      ...                            num_corrector_steps=2).keys_per_step
      3
    """
    owner = "predictor_corrector_kernel"
    check_corrector_steps(owner, num_corrector_steps)
    _check_kind(owner, prediction)
    return _predictor_corrector_kernel(
        owner, model_fn, schedule, snr, num_corrector_steps, prediction, sigma_data
    )
