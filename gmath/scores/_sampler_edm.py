r"""The EDM kernel (:func:`~gmath.scores.edm_sample`): Heun with churn (Karras et al. 2022)."""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath.scores._predictions import _call_model, _check_kind, _model_x0_eps
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import edm

__all__ = ["edm_kernel"]


def _edm_kernel(
    owner, model_fn, num_steps, s_churn, s_tmin, s_tmax, s_noise, prediction, sigma_data
):
    schedule = edm()
    gamma_max = min(s_churn / num_steps, math.sqrt(2) - 1)

    def denoiser_fn(x, sigma):
        if prediction == "x0":
            return _call_model(owner, model_fn, x, sigma)
        return _model_x0_eps(owner, model_fn, x, sigma, schedule, prediction, sigma_data)[0]

    def step(key, state, s_cur, s_next):
        x = state.position
        gamma = jnp.where((s_cur >= s_tmin) & (s_cur <= s_tmax), gamma_max, 0.0)
        s_hat = s_cur * (1 + gamma)
        if gamma_max > 0:
            z = jax.random.normal(key, x.shape, x.dtype)
            # sqrt(s_hat^2 - s_cur^2) as s_cur sqrt(gamma (2 + gamma)): exactly 0 where gamma
            # is 0 (the difference of squares can round, or fuse into an FMA, below 0: NaN)
            x_hat = x + s_cur * jnp.sqrt(gamma * (2 + gamma)) * s_noise * z
        else:
            x_hat = x
        d = (x_hat - denoiser_fn(x_hat, s_hat)) / s_hat
        x_euler = x_hat + (s_next - s_hat) * d
        positive = s_next > 0
        s_safe = jnp.where(positive, s_next, 1.0)
        d_next = (x_euler - denoiser_fn(x_euler, s_safe)) / s_safe
        x_heun = x_hat + (s_next - s_hat) * 0.5 * (d + d_next)
        return SamplerState(jnp.where(positive, x_heun, x_euler))

    return SamplerKernel(SamplerState, step, 1 if gamma_max > 0 else 0)


def edm_kernel(
    model_fn: Callable,
    *,
    num_steps: int,
    s_churn: float = 0.0,
    s_tmin: float = 0.0,
    s_tmax: float = math.inf,
    s_noise: float = 1.0,
    prediction: str = "x0",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""One step of the EDM sampler (Karras et al. 2022, Algorithm 2) as a :class:`SamplerKernel`.

    From :math:`\sigma_i` to :math:`\sigma_{i+1}` (the grid times are noise levels):
    :math:`\gamma_i = \min(S_{\text{churn}}/N, \sqrt2 - 1)` if
    :math:`\sigma_i\in[S_{t\min}, S_{t\max}]` else 0; :math:`\hat\sigma = \sigma_i(1+\gamma_i)`,
    :math:`\hat x = x + \sqrt{\hat\sigma^2 - \sigma_i^2}\,S_{\text{noise}}z`; an Euler step with
    :math:`d = (\hat x - D(\hat x;\hat\sigma))/\hat\sigma`, corrected by Heun's rule unless
    :math:`\sigma_{i+1} = 0`. Deterministic (``keys_per_step = 0``) when ``s_churn = 0``.
    :func:`~gmath.scores.edm_sample` is this kernel run by :func:`run_sampler`.

    Args:
      model_fn: the model ``(x [batch, ...], sigma [batch]) -> [batch, ...]``, by default the
        EDM denoiser :math:`D(x;\sigma)`.
      num_steps: :math:`N`, the number of steps of the run (sets :math:`\gamma_i`).
      s_churn, s_tmin, s_tmax, s_noise: the churn parameters.
      prediction: what ``model_fn`` predicts (default ``"x0"``, the denoiser).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states.

    References:
      Karras et al. (2022) [@karras2022edm].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import karras_sigmas, run_sampler
      >>> # data = point mass at 1: D(x; sigma) = 1 and the sampler lands on 1
      >>> k = edm_kernel(lambda x, s: jnp.ones_like(x), num_steps=8)
      >>> run_sampler(None, k, jnp.full((1, 2), 80.0), karras_sigmas(8)).position.round(8).tolist()
      [[1.0, 1.0]]
    """
    owner = "edm_kernel"
    if not (isinstance(num_steps, int) and num_steps >= 1):
        raise ValueError(f"{owner}: num_steps must be a positive int, got {num_steps!r}.")
    _check_kind(owner, prediction)
    return _edm_kernel(
        owner, model_fn, num_steps, s_churn, s_tmin, s_tmax, s_noise, prediction, sigma_data
    )
