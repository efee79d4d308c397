r"""The Euler–Maruyama kernel of the reverse-time SDE (:func:`~gmath.scores.reverse_sde_sample`)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath.scores._predictions import _check_kind, _model_score
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import NoiseSchedule

__all__ = ["reverse_sde_kernel"]


def _reverse_sde_kernel(owner, model_fn, schedule, prediction, sigma_data):
    def step(key, state, t0, t1):
        x = state.position
        h = t1 - t0  # negative when sampling
        g2 = schedule.diffusion_squared(t0)
        score = _model_score(owner, model_fn, x, t0, schedule, prediction, sigma_data)
        drift = schedule.drift(t0) * x - g2 * score
        z = jax.random.normal(key, x.shape, x.dtype)
        return SamplerState(x + h * drift + jnp.sqrt(g2 * jnp.abs(h)) * z)

    return SamplerKernel(SamplerState, step, 1)


def reverse_sde_kernel(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""The Euler–Maruyama step of the reverse-time SDE, as a :class:`SamplerKernel`.

    .. math::
        x_{t-h} = x_t - h\,[f(t)x_t - g(t)^2 s(x_t, t)] + g(t)\sqrt{h}\,z,
        \quad z\sim\mathcal N(0, I).

    :func:`~gmath.scores.reverse_sde_sample` is this kernel run by :func:`run_sampler` on a
    checked grid.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      prediction: what ``model_fn`` predicts (see :data:`~gmath.scores.PREDICTIONS`).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states and one key per step.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR [@song2021scoresde].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> k = reverse_sde_kernel(lambda x, t: -x, schedule=vp_linear())
      >>> k.step(jax.random.key(0), k.init(jnp.zeros((2, 3))), 1.0, 0.9).position.shape
      (2, 3)
    """
    _check_kind("reverse_sde_kernel", prediction)
    return _reverse_sde_kernel("reverse_sde_kernel", model_fn, schedule, prediction, sigma_data)
