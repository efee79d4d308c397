r"""The DDIM kernel (:func:`~gmath.scores.ddim_sample`); with ``eta = 1`` the ancestral (DDPM)
kernel (:func:`~gmath.scores.ancestral_sample`)."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath.scores._predictions import _check_kind, _model_x0_eps
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import NoiseSchedule

__all__ = ["ancestral_kernel", "ddim_kernel"]


def _stochastic(eta) -> bool:
    return not (isinstance(eta, (int, float)) and eta == 0)


def _ddim_kernel(owner, model_fn, schedule, eta, prediction, sigma_data):
    stochastic = _stochastic(eta)

    def step(key, state, t, s):
        x = state.position
        a_t, s_t = schedule.alpha(t), schedule.sigma(t)
        a_s, s_s = schedule.alpha(s), schedule.sigma(s)
        x0, eps = _model_x0_eps(owner, model_fn, x, t, schedule, prediction, sigma_data)
        if not stochastic:
            return SamplerState(a_s * x0 + s_s * eps)
        ratio = a_t / a_s
        var_ts = jnp.maximum(s_t * s_t - ratio * ratio * s_s * s_s, 0.0)
        c = eta * s_s * jnp.sqrt(var_ts) / s_t
        z = jax.random.normal(key, x.shape, x.dtype)
        return SamplerState(a_s * x0 + jnp.sqrt(jnp.maximum(s_s * s_s - c * c, 0.0)) * eps + c * z)

    return SamplerKernel(SamplerState, step, 1 if stochastic else 0)


def ddim_kernel(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    eta: float = 0.0,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""The DDIM step (Song, Meng, Ermon 2021) as a :class:`SamplerKernel`.

    From :math:`t` to :math:`s`, with the model's :math:`(\hat x_0, \hat\varepsilon)` and
    :math:`c = \eta\,\sigma_s\sigma_{t|s}/\sigma_t`,
    :math:`\sigma_{t|s}^2 = \sigma_t^2 - (\alpha_t/\alpha_s)^2\sigma_s^2`:

    .. math::
        x_s = \alpha_s\hat x_0 + \sqrt{\sigma_s^2 - c^2}\,\hat\varepsilon + c\,z.

    With ``eta = 0`` (a Python zero) the kernel is deterministic (``keys_per_step = 0``, run it
    with ``key=None``) and runs either way in time (inversion); otherwise it takes one key per
    step. :func:`~gmath.scores.ddim_sample` is this kernel run by :func:`run_sampler`.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      schedule: the :class:`~gmath.scores.NoiseSchedule` (:math:`\alpha_t > 0` on the grid).
      eta: stochasticity in ``[0, 1]``.
      prediction: what ``model_fn`` predicts (see :data:`~gmath.scores.PREDICTIONS`).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states.

    References:
      Song, Meng, Ermon (2021). Denoising diffusion implicit models. ICLR [@song2021ddim].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> k = ddim_kernel(lambda x, t: -x, schedule=vp_linear())
      >>> k.keys_per_step, k.step(None, k.init(jnp.ones((1, 2))), 1.0, 0.5).position.shape
      (0, (1, 2))
    """
    _check_kind("ddim_kernel", prediction)
    return _ddim_kernel("ddim_kernel", model_fn, schedule, eta, prediction, sigma_data)


def ancestral_kernel(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""The ancestral (DDPM) step, :math:`x_s \sim q(x_s\mid x_t, \hat x_0)`, as a
    :class:`SamplerKernel`: :func:`ddim_kernel` with ``eta = 1``.

    The posterior of the forward process has mean
    :math:`\frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}x_t + \frac{\alpha_s\sigma_{t|s}^2}
    {\sigma_t^2}\hat x_0` and variance :math:`\sigma_{t|s}^2\sigma_s^2/\sigma_t^2` (Kingma et
    al. 2021, eq. 27). :func:`~gmath.scores.ancestral_sample` is this kernel run by
    :func:`run_sampler`.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      prediction: what ``model_fn`` predicts (see :data:`~gmath.scores.PREDICTIONS`).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with one key per step.

    References:
      Ho, Jain, Abbeel (2020) [@ho2020ddpm]; Kingma et al. (2021) [@kingma2021vdm].

    Examples:
      >>> from gmath.scores import vp_linear
      >>> ancestral_kernel(lambda x, t: -x, schedule=vp_linear()).keys_per_step
      1
    """
    _check_kind("ancestral_kernel", prediction)
    return _ddim_kernel("ancestral_kernel", model_fn, schedule, 1.0, prediction, sigma_data)
