r"""Tweedie's formula: the posterior mean of the clean data from the score."""

from __future__ import annotations

import jax

from gmath._numerics import promote
from gmath.scores._schedules import NoiseSchedule

__all__ = ["tweedie_denoiser"]


def tweedie_denoiser(score, x_t, t, *, schedule: NoiseSchedule) -> jax.Array:
    r"""Tweedie's denoiser :math:`E[x_0 \mid x_t] = (x_t + \sigma_t^2\nabla\log p_t(x_t))/\alpha_t`.

    With the exact score of :math:`p_t` this is the minimum mean-squared-error denoiser, i.e.
    the minimiser of the denoising loss; for Gaussian data :math:`\mathcal N(m, S)` it equals
    :math:`m + \alpha S(\alpha^2 S + \sigma^2 I)^{-1}(x_t - \alpha m)`.

    Args:
      score: a callable ``(x_t, t) -> score`` or the score array itself (shaped like ``x_t``).
      x_t: noisy data, any shape.
      t: time, broadcasting against ``x_t``; needs :math:`\alpha_t > 0`.
      schedule: the :class:`NoiseSchedule`.

    Returns:
      The denoised estimate, shaped like ``x_t``.

    References:
      Efron (2011). Tweedie's formula and selection bias. JASA [@efron2011tweedie].
      Robbins (1956). An empirical Bayes approach to statistics [@robbins1956empirical].

    Examples:
      >>> from gmath.scores import vp_linear
      >>> s = vp_linear()
      >>> # standard normal data stays standard normal: score -x, E[x0|x] = alpha x
      >>> round(float(tweedie_denoiser(lambda x, t: -x, 1.0, 0.3, schedule=s) - s.alpha(0.3)), 12)
      0.0
    """
    s = score(x_t, t) if callable(score) else score
    x_t, t, s = promote(x_t, t, s)
    if s.shape != x_t.shape:
        raise ValueError(
            f"tweedie_denoiser: score with shape {s.shape} and x_t with shape {x_t.shape} differ."
        )
    sigma = schedule.sigma(t)
    return (x_t + sigma * sigma * s) / schedule.alpha(t)
