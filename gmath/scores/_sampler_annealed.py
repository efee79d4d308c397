r"""The annealed Langevin kernel (:func:`~gmath.scores.annealed_langevin_sample`)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath.scores._predictions import _check_kind, _model_score
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import edm

__all__ = ["annealed_langevin_kernel"]


def _annealed_langevin_kernel(
    owner, model_fn, sigma_min, num_steps_per_level, step_size, prediction, sigma_data
):
    schedule = edm()

    def step(key, state, sigma_prev, sigma):
        ks = key if num_steps_per_level > 1 else key[None]
        alpha = step_size * (sigma / sigma_min) ** 2

        def inner(x, k):
            z = jax.random.normal(k, x.shape, x.dtype)
            s = _model_score(owner, model_fn, x, sigma, schedule, prediction, sigma_data)
            return x + 0.5 * alpha * s + jnp.sqrt(alpha) * z, None

        x, _ = jax.lax.scan(inner, state.position, ks)
        return SamplerState(x)

    return SamplerKernel(SamplerState, step, num_steps_per_level)


def annealed_langevin_kernel(
    model_fn: Callable,
    *,
    sigma_min,
    num_steps_per_level: int = 100,
    step_size: float = 2e-5,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""One level of annealed Langevin dynamics (Song and Ermon 2019, Algorithm 1) as a
    :class:`SamplerKernel`.

    The step from level ``sigma_prev`` to ``sigma`` runs ``num_steps_per_level`` Langevin steps
    at the new level, :math:`x \leftarrow x + \tfrac{\alpha}{2}s(x, \sigma) + \sqrt{\alpha}\,z`
    with :math:`\alpha = \epsilon\,\sigma^2/\sigma_{\min}^2` (``sigma_prev`` is not used): run
    over the grid ``[sigma_1, sigma_1, sigma_2, ..., sigma_L]`` it is Algorithm 1, which is
    what :func:`~gmath.scores.annealed_langevin_sample` does. It takes
    ``num_steps_per_level`` keys per step (an array of them; one key when that is 1). The model
    is called at the noise level of the :func:`~gmath.scores.edm` schedule.

    Args:
      model_fn: noise-conditional model ``(x [batch, ...], sigma [batch]) -> [batch, ...]``.
      sigma_min: :math:`\sigma_L`, the last noise level (scales the step sizes).
      num_steps_per_level: Langevin steps per level, a positive int.
      step_size: :math:`\epsilon`.
      prediction: what ``model_fn`` predicts (default ``"score"``).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states.

    References:
      Song, Ermon (2019). Generative modeling by estimating gradients of the data distribution.
      NeurIPS [@song2019generative].

    Examples:
      >>> annealed_langevin_kernel(lambda x, s: -x, sigma_min=0.1,
      ...                          num_steps_per_level=5).keys_per_step
      5
    """
    owner = "annealed_langevin_kernel"
    if not (isinstance(num_steps_per_level, int) and num_steps_per_level >= 1):
        raise ValueError(f"{owner}: num_steps_per_level must be a positive int.")
    _check_kind(owner, prediction)
    return _annealed_langevin_kernel(
        owner, model_fn, sigma_min, num_steps_per_level, step_size, prediction, sigma_data
    )
