r"""Conversions between what a denoising network predicts, given a schedule.

With :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon` every prediction is a linear function of
the pair :math:`(x_0, \varepsilon)` given :math:`x_t`:

=============  =================================================================================
``"eps"``      :math:`\varepsilon`
``"x0"``       :math:`x_0` (also the EDM denoiser output :math:`D(x_t/\alpha_t;\sigma_t/\alpha_t)`)
``"v"``        :math:`v = \alpha_t\varepsilon - \sigma_t x_0` (Salimans and Ho 2022)
``"score"``    :math:`\nabla\log p_t(x_t) = -\varepsilon/\sigma_t`
``"edm"``      raw EDM network output :math:`F = (x_0 - c_{\mathrm{skip}}\hat x)/c_{\mathrm{out}}`,
               :math:`\hat x = x_t/\alpha_t` (Karras et al. 2022)
``"velocity"`` flow velocity :math:`u = \dot\alpha_t x_0 + \dot\sigma_t\varepsilon`
               (= :math:`\varepsilon - x_0` for rectified flow)
=============  =================================================================================
"""

from __future__ import annotations

import math
from typing import NamedTuple

import jax
import jax.numpy as jnp

from gmath._config import error_if_not
from gmath._numerics import promote
from gmath.scores._schedules import NoiseSchedule

__all__ = [
    "PREDICTIONS",
    "EDMPreconditioning",
    "convert_prediction",
    "edm_preconditioning",
    "karras_sigmas",
    "prediction_target",
]

PREDICTIONS = ("eps", "x0", "v", "score", "edm", "velocity")


class EDMPreconditioning(NamedTuple):
    r"""Coefficients of the EDM preconditioning; see :func:`edm_preconditioning`.

    The denoiser is :math:`D(x;\sigma) = c_{\mathrm{skip}}(\sigma)\,x + c_{\mathrm{out}}(\sigma)
    F\big(c_{\mathrm{in}}(\sigma)\,x;\ c_{\mathrm{noise}}(\sigma)\big)`, trained with loss weight
    :math:`w(\sigma)` on :math:`\|D - x_0\|^2`.

    Attributes:
      c_skip: skip-connection scale :math:`c_{\mathrm{skip}}`, shaped like ``sigma``.
      c_out: output scale :math:`c_{\mathrm{out}}`.
      c_in: input scale :math:`c_{\mathrm{in}}`.
      c_noise: noise conditioning :math:`c_{\mathrm{noise}} = \tfrac14\ln\sigma`.
      weight: loss weight :math:`w = 1/c_{\mathrm{out}}^2`.

    References:
      Karras et al. (2022). Elucidating the design space of diffusion-based generative models.
      NeurIPS, Table 1 [@karras2022edm].

    Examples:
      >>> c = edm_preconditioning(1.0, sigma_data=1.0)
      >>> round(float(c.c_skip), 6), round(float(c.c_out), 6), round(float(c.c_in), 6)
      (0.5, 0.707107, 0.707107)
    """

    c_skip: jnp.ndarray
    c_out: jnp.ndarray
    c_in: jnp.ndarray
    c_noise: jnp.ndarray
    weight: jnp.ndarray


def edm_preconditioning(sigma, *, sigma_data: float = 0.5) -> EDMPreconditioning:
    r"""EDM preconditioning (Karras et al. 2022, Table 1).

    .. math::
        c_{\mathrm{skip}} = \frac{\sigma_d^2}{\sigma^2 + \sigma_d^2},\;
        c_{\mathrm{out}} = \frac{\sigma\sigma_d}{\sqrt{\sigma^2 + \sigma_d^2}},\;
        c_{\mathrm{in}} = \frac{1}{\sqrt{\sigma^2 + \sigma_d^2}},\;
        c_{\mathrm{noise}} = \tfrac14\ln\sigma,\;
        w = \frac{\sigma^2 + \sigma_d^2}{(\sigma\sigma_d)^2}.

    The denoiser is :math:`D(x;\sigma) = c_{\mathrm{skip}} x + c_{\mathrm{out}}
    F(c_{\mathrm{in}} x; c_{\mathrm{noise}})` and :math:`w\,c_{\mathrm{out}}^2 = 1`.
    Computed in ratios of :math:`\sigma/\sigma_d` or :math:`\sigma_d/\sigma`, whichever is
    at most 1, so every coefficient is exact from :math:`\sigma = 0` (:math:`c_{\mathrm{skip}}
    = 1, c_{\mathrm{out}} = 0, w = \infty`) to :math:`\sigma = \infty` (:math:`c_{\mathrm{skip}}
    = 0, c_{\mathrm{out}} = \sigma_d, w = 1/\sigma_d^2`); :math:`w = 1/\sigma_d^2 + 1/\sigma^2`.
    A negative or NaN ``sigma`` gives NaN (and raises
    :class:`gmath.config.InvalidParameterError` with ``gmath.config.checks(True)``).

    Args:
      sigma: EDM noise level(s) :math:`\sigma \ge 0`, any shape.
      sigma_data: data standard deviation :math:`\sigma_d > 0`.

    Returns:
      :class:`EDMPreconditioning` with arrays shaped like ``sigma``.

    References:
      Karras et al. (2022). Elucidating the design space of diffusion-based generative models.
      NeurIPS [@karras2022edm].

    Examples:
      >>> c = edm_preconditioning(0.5, sigma_data=0.5)
      >>> round(float(c.c_skip), 6), round(float(c.weight * c.c_out**2), 6)
      (0.5, 1.0)
    """
    if isinstance(sigma_data, (int, float)) and not (0 < sigma_data < math.inf):
        raise ValueError(
            f"edm_preconditioning: sigma_data must be positive and finite, got {sigma_data!r}."
        )
    (sigma,) = promote(sigma)
    sd = jnp.asarray(sigma_data, sigma.dtype)
    valid = (sigma >= 0) & (sd > 0) & jnp.isfinite(sd)
    error_if_not(valid, "edm_preconditioning: sigma must be >= 0 and sigma_data > 0.")
    s = jnp.where(valid, sigma, 1.0)  # sanitised: finite gradients in the unused branch
    sd = jnp.where(valid, sd, 1.0)
    big = s > sd
    inv = sd / jnp.where(big, s, 1.0)  # sigma_d / sigma <= 1 where big
    ratio = jnp.where(big, 0.0, s) / sd  # sigma / sigma_d <= 1 elsewhere
    root_big, root_small = jnp.sqrt(1 + inv * inv), jnp.sqrt(1 + ratio * ratio)
    out = EDMPreconditioning(
        c_skip=jnp.where(big, inv * inv / (1 + inv * inv), 1 / (1 + ratio * ratio)),
        c_out=sd * jnp.where(big, 1 / root_big, ratio / root_small),
        c_in=jnp.where(big, 1 / jnp.where(big, s, 1.0) / root_big, 1 / sd / root_small),
        c_noise=0.25 * jnp.log(s),
        weight=1 / (sd * sd) + s**-2,  # -2 / sigma^3 = -inf at 0 (not 0 * inf)
    )
    return EDMPreconditioning(*(jnp.where(valid, v, jnp.nan) for v in out))


def karras_sigmas(
    num_steps: int,
    *,
    sigma_min: float = 0.002,
    sigma_max: float = 80.0,
    rho: float = 7.0,
    dtype=None,
) -> jax.Array:
    r"""The EDM time steps :math:`\sigma_i`, descending, with a final :math:`\sigma_N = 0`.

    .. math::
        \sigma_i = \Big(\sigma_{\max}^{1/\rho} + \tfrac{i}{N-1}
        (\sigma_{\min}^{1/\rho} - \sigma_{\max}^{1/\rho})\Big)^{\rho}, \quad i = 0..N-1.

    Args:
      num_steps: :math:`N \ge 2`.
      sigma_min, sigma_max: the ends, :math:`0 < \sigma_{\min} < \sigma_{\max}`.
      rho: the exponent (7 in EDM).
      dtype: output dtype (default float, float64 with x64).

    Returns:
      Array of shape ``(num_steps + 1,)``.

    References:
      Karras et al. (2022), eq. 5 [@karras2022edm].

    Examples:
      >>> s = karras_sigmas(5, sigma_min=0.002, sigma_max=80.0)
      >>> [round(float(v), 4) for v in s]
      [80.0, 17.5278, 2.5152, 0.1698, 0.002, 0.0]
    """
    if not (isinstance(num_steps, int) and num_steps >= 2):
        raise ValueError(f"karras_sigmas: num_steps must be an int >= 2, got {num_steps!r}.")
    if not 0 < sigma_min < sigma_max < math.inf:
        raise ValueError(
            f"karras_sigmas: need 0 < sigma_min < sigma_max < inf, got {sigma_min}, {sigma_max}."
        )
    if not 0 < rho < math.inf:
        raise ValueError(f"karras_sigmas: rho must be positive and finite, got {rho!r}.")
    (ramp,) = promote(jnp.linspace(0.0, 1.0, num_steps, dtype=dtype))
    inv_rho = 1.0 / rho
    sig = (sigma_max**inv_rho + ramp * (sigma_min**inv_rho - sigma_max**inv_rho)) ** rho
    return jnp.concatenate([sig, jnp.zeros((1,), sig.dtype)])


def _check_kind(name: str, kind: str) -> None:
    if kind not in PREDICTIONS:
        raise ValueError(
            f"{name}: unknown prediction type {kind!r}; expected one of {PREDICTIONS}."
        )


def _solve(num, den):
    r"""``num / den``, NaN where ``den = 0``: the quantity is not identifiable from ``x_t`` there.

    At :math:`\sigma_t = 0`, :math:`x_t = x_0` says nothing about :math:`\varepsilon`; at
    :math:`\alpha_t = 0`, :math:`x_t = \varepsilon` says nothing about :math:`x_0`.
    """
    zero = den == 0
    return jnp.where(zero, jnp.nan, num / jnp.where(zero, 1.0, den))


def _to_x0_eps(pred, x, t, schedule, kind, sigma_data):
    alpha, sigma = schedule.alpha(t), schedule.sigma(t)
    if kind == "eps":
        return _solve(x - sigma * pred, alpha), pred
    if kind == "x0":
        return pred, _solve(x - alpha * pred, sigma)
    if kind == "v":
        norm = alpha * alpha + sigma * sigma
        return (alpha * x - sigma * pred) / norm, (sigma * x + alpha * pred) / norm
    if kind == "score":
        eps = -sigma * pred
        return _solve(x - sigma * eps, alpha), eps
    if kind == "edm":
        c = edm_preconditioning(sigma / alpha, sigma_data=sigma_data)
        x0 = c.c_skip * (x / alpha) + c.c_out * pred
        return x0, (x - alpha * x0) / sigma
    # velocity
    da, ds = schedule.alpha_derivative(t), schedule.sigma_derivative(t)
    det = alpha * ds - sigma * da
    return (ds * x - sigma * pred) / det, (alpha * pred - da * x) / det


def _from_x0_eps(x0, eps, x, t, schedule, kind, sigma_data):
    if kind == "eps":
        return eps
    if kind == "x0":
        return x0
    alpha, sigma = schedule.alpha(t), schedule.sigma(t)
    if kind == "v":
        return alpha * eps - sigma * x0
    if kind == "score":
        return -eps / sigma
    if kind == "edm":
        c = edm_preconditioning(sigma / alpha, sigma_data=sigma_data)
        return (x0 - c.c_skip * (x / alpha)) / c.c_out
    return schedule.alpha_derivative(t) * x0 + schedule.sigma_derivative(t) * eps


def convert_prediction(
    prediction,
    x_t,
    t,
    *,
    schedule: NoiseSchedule,
    source: str,
    target: str,
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Convert a network prediction from one parameterisation to another at :math:`(x_t, t)`.

    Goes through :math:`(\hat x_0, \hat\varepsilon)`, solving the linear relations listed in the
    module docstring; every pair of types round-trips to rounding.

    Args:
      prediction: array shaped like ``x_t``.
      x_t: noisy input, shape ``[..., d]`` (any shape).
      t: time(s), broadcasting against ``x_t`` (a scalar, or ``[batch, 1]`` for a batch).
      schedule: the :class:`NoiseSchedule`.
      source, target: one of ``"eps"``, ``"x0"``, ``"v"``, ``"score"``, ``"edm"``,
        ``"velocity"``.
      sigma_data: :math:`\sigma_d` of the EDM preconditioning (``"edm"`` only).

    Returns:
      The ``target`` prediction, shaped like ``x_t``. At the ends of a schedule a conversion
      that must recover what :math:`x_t` does not determine is NaN: :math:`\varepsilon` (so
      ``"eps"``, ``"v"``, ``"score"``) from ``"x0"`` where :math:`\sigma_t = 0`, and
      :math:`x_0` from ``"eps"`` or ``"score"`` where :math:`\alpha_t = 0`; the others are
      exact there (e.g. ``"v"`` to ``"x0"`` and ``"eps"`` to ``"v"`` at :math:`\sigma_t = 0`).

    Raises:
      ValueError: unknown types, or ``prediction`` and ``x_t`` of different shapes.

    References:
      Salimans, Ho (2022). Progressive distillation for fast sampling of diffusion models. ICLR
      [@salimans2022progressive]. Karras et al. (2022) [@karras2022edm].

    Examples:
      >>> from gmath.scores import vp_linear
      >>> s = vp_linear()
      >>> v = convert_prediction(0.3, 1.0, 0.5, schedule=s, source="eps", target="v")
      >>> e = convert_prediction(v, 1.0, 0.5, schedule=s, source="v", target="eps")
      >>> round(float(e), 12)
      0.3
    """
    _check_kind("convert_prediction", source)
    _check_kind("convert_prediction", target)
    if jnp.shape(prediction) != jnp.shape(x_t):
        raise ValueError(
            f"convert_prediction: prediction with shape {jnp.shape(prediction)} and x_t with "
            f"shape {jnp.shape(x_t)} differ."
        )
    prediction, x_t, t = promote(prediction, x_t, t)
    if source == target:  # the identity, also where the round trip through (x0, eps) is 0/0
        return jnp.broadcast_to(prediction, jnp.broadcast_shapes(prediction.shape, t.shape))
    x0, eps = _to_x0_eps(prediction, x_t, t, schedule, source, sigma_data)
    return _from_x0_eps(x0, eps, x_t, t, schedule, target, sigma_data)


def prediction_target(
    x0, eps, t, *, schedule: NoiseSchedule, prediction: str, sigma_data: float = 0.5
) -> jax.Array:
    r"""The regression target of a ``prediction`` type for the pair :math:`(x_0, \varepsilon)`.

    Args:
      x0: clean data, any shape.
      eps: the noise, shaped like ``x0``.
      t: time(s), broadcasting against ``x0``.
      schedule: the :class:`NoiseSchedule`.
      prediction: a type of :data:`PREDICTIONS`.
      sigma_data: EDM :math:`\sigma_d`.

    Returns:
      The target shaped like ``x0`` (for ``"score"``: the conditional score
      :math:`\nabla_{x_t}\log q(x_t\mid x_0) = -\varepsilon/\sigma_t`), evaluated at
      :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon`; see the table in the module docstring.

    References:
      Salimans, Ho (2022). Progressive distillation for fast sampling of diffusion models. ICLR
      (``"v"``) [@salimans2022progressive]. Karras et al. (2022) (``"edm"``) [@karras2022edm].
      Lipman et al. (2023) (``"velocity"``) [@lipman2023flow].

    Examples:
      >>> from gmath.scores import rectified_flow
      >>> float(prediction_target(1.0, 3.0, 0.5, schedule=rectified_flow(), prediction="velocity"))
      2.0
    """
    _check_kind("prediction_target", prediction)
    x0, eps, t = promote(x0, eps, t)
    x = schedule.alpha(t) * x0 + schedule.sigma(t) * eps
    return _from_x0_eps(x0, eps, x, t, schedule, prediction, sigma_data)


# ------------------------------------------------------------------ the model-call convention
def _call_model(owner, model_fn, x, t):
    """``model_fn(x, t)`` under the batch convention: ``x [B, ...]``, ``t [B]`` (a scalar ``t``
    is broadcast over the batch); the output must be shaped like ``x``."""
    tb = jnp.broadcast_to(jnp.asarray(t, x.dtype), x.shape[:1])
    pred = model_fn(x, tb)
    if jnp.shape(pred) != x.shape:
        raise ValueError(
            f"{owner}: the model returned shape {jnp.shape(pred)}, expected {x.shape} (the "
            "shape of its input x [batch, ...])."
        )
    return jnp.asarray(pred, x.dtype)


def _column(t, x):
    """A scalar ``t`` as is; ``t [B]`` as ``[B, 1, ..., 1]``, broadcasting against ``x``."""
    t = jnp.asarray(t, x.dtype)
    return t if t.ndim == 0 else jnp.reshape(t, t.shape + (1,) * (x.ndim - 1))


def _model_x0_eps(owner, model_fn, x, t, schedule, prediction, sigma_data):
    r"""The model's :math:`(\hat x_0, \hat\varepsilon)` at ``(x, t)`` whatever it predicts."""
    pred = _call_model(owner, model_fn, x, t)
    return _to_x0_eps(pred, x, _column(t, x), schedule, prediction, sigma_data)


def _model_score(owner, model_fn, x, t, schedule, prediction, sigma_data):
    r"""The model's score :math:`-\hat\varepsilon/\sigma_t` at ``(x, t)``."""
    pred = _call_model(owner, model_fn, x, t)
    if prediction == "score":
        return pred
    tc = _column(t, x)
    _, eps = _to_x0_eps(pred, x, tc, schedule, prediction, sigma_data)
    return -eps / schedule.sigma(tc)


def _check_batch(owner, name, x):
    if x.ndim < 1 or x.shape[0] < 1:
        raise ValueError(
            f"{owner}: {name} must have a leading batch axis [batch, ...], got shape {x.shape}."
        )
