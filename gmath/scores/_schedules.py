r"""Noise schedules keyed on the log signal-to-noise ratio.

Every diffusion forward process with Gaussian marginals is

.. math::
    x_t = \alpha_t x_0 + \sigma_t \varepsilon, \qquad \varepsilon \sim \mathcal N(0, I),
    \qquad \lambda_t = \log \frac{\alpha_t^2}{\sigma_t^2},

and the SDE :math:`dx = f(t)\,x\,dt + g(t)\,dw` with these marginals has
:math:`f = \tfrac{d}{dt}\log\alpha_t` and :math:`g^2 = \tfrac{d\sigma_t^2}{dt} - 2 f \sigma_t^2
= -\sigma_t^2 \tfrac{d\lambda_t}{dt}`. One :class:`NoiseSchedule` record carries
:math:`\log\alpha_t`, :math:`\log\sigma_t`, :math:`\lambda_t` and the inverse :math:`t(\lambda)`,
so every convention (score SDE, DDPM, EDM, VDM, rectified flow) converts exactly through
:math:`\lambda`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from typing import cast

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._numerics import float_dtype, invert_cdf, log1mexp, log1pexp
from gmath._pytree import register_record

__all__ = [
    "NoiseSchedule",
    "ddpm_discrete",
    "edm",
    "rectified_flow",
    "rescale_zero_terminal_snr",
    "sub_vp",
    "vdm",
    "ve",
    "vp_cosine",
    "vp_linear",
]


def _as_time(t):
    t = jnp.asarray(t)
    return t.astype(float_dtype(t)) if not jnp.issubdtype(t.dtype, jnp.inexact) else t


def _vp_log_snr(log_alpha):
    # lambda = log(a^2 / (1 - a^2)) for a variance-preserving schedule.
    return 2 * log_alpha - log1mexp(2 * log_alpha)


def _vp_log_sigma(log_alpha):
    return 0.5 * log1mexp(2 * log_alpha)


def _vp_log_alpha_from_log_snr(lam):
    # alpha^2 = sigmoid(lambda)
    return -0.5 * log1pexp(-lam)


def _derivative(fn, t):
    return jax.jvp(fn, (t,), (jnp.ones_like(t),))[1]


def _with_derivative(value_fn, derivative_fn):
    """``value_fn`` whose derivative (forward and reverse mode) is ``derivative_fn``.

    The time derivatives of a schedule are computed in forward mode from forms that stay exact
    at the ends of the domain (an infinite derivative is ``inf``, not ``0 * inf``); reverse mode
    then multiplies the cotangent by that number instead of propagating an infinite cotangent
    through the formula, which would meet a zero partial derivative and give NaN.
    """

    @jax.custom_jvp
    def fn(t):
        return value_fn(t)

    @fn.defjvp
    def _jvp(primals, tangents):
        (t,), (t_dot,) = primals, tangents
        return value_fn(t), derivative_fn(t) * t_dot

    return fn


def _invert_log_snr(log_snr_fn, lam, t_min, t_max):
    r"""Generic :math:`t(\lambda)` for a decreasing :math:`\lambda_t` on a bounded domain.

    Safeguarded Newton on :math:`-\lambda_t = -\lambda`, with the implicit-function gradient
    :math:`dt/d\lambda = 1/\lambda'(t)`.
    """
    neg = lambda t: -log_snr_fn(t)
    lo, hi = jnp.full_like(lam, t_min), jnp.full_like(lam, t_max)
    t = invert_cdf(neg, lambda t: _derivative(neg, t), -jax.lax.stop_gradient(lam), lo, hi)
    slope = jax.lax.stop_gradient(_derivative(log_snr_fn, t))
    slope = jnp.where(jnp.isfinite(slope) & (slope != 0), slope, -1.0)
    return t + (lam - jax.lax.stop_gradient(lam)) / slope  # value t, gradient 1 / lambda'(t)


# field(metadata=_STATIC) is gmath._pytree.static_field, spelled out for dataclass linters
_STATIC = {"static": True}


@register_record  # not jax.tree_util.register_dataclass: see gmath._pytree
@dataclasses.dataclass(frozen=True)
class NoiseSchedule:
    r"""A diffusion noise schedule :math:`(\alpha_t, \sigma_t)`, keyed on :math:`\lambda_t`.

    Build one with a constructor (:func:`vp_linear`, :func:`vp_cosine`, :func:`sub_vp`,
    :func:`ve`, :func:`edm`, :func:`vdm`, :func:`rectified_flow`, :func:`ddpm_discrete`,
    :func:`rescale_zero_terminal_snr`). The record is a pytree with no leaves (its functions are
    static), so it can be passed to a jitted function or closed over.

    All methods are elementwise in ``t`` and keep its dtype (float32 in, float32 out).

    **Time domain.** Each schedule is defined on ``[t_min, t_max]``. A concrete ``t`` outside
    it raises ``ValueError``; a traced ``t`` is clamped to the domain (and raises
    :class:`gmath.config.InvalidParameterError` with ``gmath.config.checks(True)``). At the
    clean end (``t = 0`` for most schedules) :math:`\sigma_t = 0` and :math:`\lambda_t = +\infty`
    exactly; conversions that divide by :math:`\sigma_t` need ``t > 0``, so losses and samplers
    take a ``t_min > 0`` (default ``1e-5`` and ``1e-3``).

    Attributes:
      name: the constructor's name.
      log_alpha_fn, log_sigma_fn, log_snr_fn: :math:`\log\alpha_t`, :math:`\log\sigma_t`,
        :math:`\lambda_t` (unchecked ``t``). Only ``log_alpha_fn`` is required: a missing
        ``log_sigma_fn`` is :math:`\tfrac12\log(1 - \alpha_t^2)` (variance-preserving schedules
        only) and a missing ``log_snr_fn`` is :math:`2(\log\alpha_t - \log\sigma_t)` (for VP,
        :math:`\log\alpha_t^2 - \log(1 - \alpha_t^2)`).
      t_from_log_snr_fn: the inverse :math:`t(\lambda)`; if missing, solved numerically
        (safeguarded Newton on the bounded domain, implicit-function gradient).
      diffusion_squared_fn: optional closed form of :math:`g(t)^2` (else by autodiff).
      t_min, t_max: the time domain (default ``[0, 1]``).
      variance_preserving: whether :math:`\alpha_t^2 + \sigma_t^2 = 1`.
      clipped: number of betas clipped by :func:`ddpm_discrete` (0 otherwise).
      alpha_fn, sigma_fn: optional direct forms of :math:`\alpha_t, \sigma_t` (used for values
        and time derivatives where the log form is singular, e.g. :math:`\alpha_1 = 0`; a
        schedule reaching :math:`\alpha = 0` needs ``alpha_fn``, one reaching :math:`\sigma = 0`
        that is not variance preserving needs ``sigma_fn`` for finite time derivatives there).
      drift_fn: optional closed form of :math:`f(t)` (else forward-mode autodiff of
        :math:`\log\alpha_t`).

    **Ends of the domain.** Values and time derivatives (``jax.grad`` of every method of ``t``)
    are exact at ``t_min`` and ``t_max``: finite where the mathematics is finite (e.g.
    :math:`\dot\sigma_1 = 0` where :math:`\alpha_1 = 0`), ``+-inf`` where it is infinite
    (:math:`\lambda_t` and :math:`\lambda'(t)` at :math:`\sigma = 0` or :math:`\alpha = 0`;
    :math:`f, g^2` and their derivatives where :math:`\alpha = 0`; :math:`\dot\sigma_0` for
    :math:`\sigma_t \propto \sqrt t`), never NaN. Derivatives are computed in forward mode and
    attached with a custom JVP, so reverse mode gives the same numbers.

    **Methods of t.** Every method taking ``t`` accepts times in ``[t_min, t_max]`` of any
    shape (an integer ``t`` is promoted to the default float dtype) and returns an array shaped
    like ``t``, in its float dtype.

    **Conventions.** Time runs forward from data (``t_min``) to noise (``t_max``); samplers
    integrate it backwards. :math:`\lambda_t` is the log of the *squared* ratio
    :math:`\alpha_t^2/\sigma_t^2` (VDM's :math:`\gamma = -\lambda`); the EDM noise level is
    :math:`\sigma_t/\alpha_t = e^{-\lambda_t/2}`. The forward SDE is
    :math:`dx = f(t)\,x\,dt + g(t)\,dw` with :math:`f = \tfrac{d}{dt}\log\alpha_t` and
    :math:`g^2 = \tfrac{d\sigma_t^2}{dt} - 2f\sigma_t^2 = -\sigma_t^2\lambda'(t)`.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR [@song2021scoresde]. Kingma, Salimans, Poole, Ho (2021). Variational
      diffusion models. NeurIPS [@kingma2021vdm]. Karras et al. (2022). Elucidating the design
      space of diffusion-based generative models. NeurIPS [@karras2022edm].

    Examples:
      >>> from gmath.scores import vp_linear
      >>> s = vp_linear()
      >>> a, sg = s.alpha(0.5), s.sigma(0.5)
      >>> round(float(s.log_snr(0.5) - 2 * (s.log_alpha(0.5) - s.log_sigma(0.5))), 12)
      0.0
      >>> round(float(s.sigma_edm(0.5) - sg / a), 12)
      0.0
      >>> round(float(s.diffusion_squared(0.5)), 10)  # beta(1/2) = 0.1 + 19.9 / 2
      10.05
      >>> round(float(s.drift(0.5)), 10)  # f = -beta / 2
      -5.025
    """

    # every field is static (pytree metadata): the record has no leaves
    name: str = dataclasses.field(metadata=_STATIC)
    log_alpha_fn: Callable = dataclasses.field(metadata=_STATIC)
    log_sigma_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    log_snr_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    t_from_log_snr_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    diffusion_squared_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    t_min: float = dataclasses.field(default=0.0, metadata=_STATIC)
    t_max: float = dataclasses.field(default=1.0, metadata=_STATIC)
    variance_preserving: bool = dataclasses.field(default=False, metadata=_STATIC)
    clipped: int = dataclasses.field(default=0, metadata=_STATIC)
    alpha_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    sigma_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)
    drift_fn: Callable | None = dataclasses.field(default=None, metadata=_STATIC)

    def __post_init__(self):
        # Derive what the defining formulas imply, once (unflattening passes the results back).
        log_alpha, log_sigma, log_snr = self.log_alpha_fn, self.log_sigma_fn, self.log_snr_fn
        if log_sigma is None:
            if not self.variance_preserving:
                raise ValueError(f"{self.name}: log_sigma_fn is required if not VP.")
            log_sigma = lambda t: _vp_log_sigma(log_alpha(t))
        if log_snr is None and self.variance_preserving:
            log_snr = lambda t: _vp_log_snr(log_alpha(t))
        elif log_snr is None:
            log_snr = lambda t: 2 * (log_alpha(t) - log_sigma(t))
        t_from_log_snr, t_min, t_max = self.t_from_log_snr_fn, self.t_min, self.t_max
        if t_from_log_snr is None:
            if not (math.isfinite(t_min) and math.isfinite(t_max)):
                raise ValueError(f"{self.name}: t_from_log_snr_fn is required, unbounded domain.")
            t_from_log_snr = lambda lam: _invert_log_snr(log_snr, lam, t_min, t_max)
        object.__setattr__(self, "log_sigma_fn", log_sigma)
        object.__setattr__(self, "log_snr_fn", log_snr)
        object.__setattr__(self, "t_from_log_snr_fn", t_from_log_snr)

    # ------------------------------------------------------------------ domain
    def _time(self, t):
        t = _as_time(t) + 0.0  # -0.0 -> +0.0: signs of the infinities at the ends stay right
        if not isinstance(t, jax.core.Tracer):
            tn = np.asarray(t, np.float64)
            if np.any(~((tn >= self.t_min) & (tn <= self.t_max))):
                raise ValueError(
                    f"{self.name}: time t={tn!r} outside the schedule's domain "
                    f"[{self.t_min}, {self.t_max}]."
                )
            return t
        error_if_not(
            (t >= self.t_min) & (t <= self.t_max),
            f"{self.name}: time outside the schedule's domain [{self.t_min}, {self.t_max}].",
        )
        # where (not clip): gradient 1 on the closed domain, 0 outside.
        t = jnp.where(t < self.t_min, jnp.asarray(self.t_min, t.dtype), t)
        return jnp.where(t > self.t_max, jnp.asarray(self.t_max, t.dtype), t)

    # ------------------------------------------------------------------ raw forms (unchecked t)
    # Each quantity has a value and a forward-mode time derivative written to stay exact at the
    # ends of the domain; the public methods attach the derivative with _with_derivative.
    def _alpha_value(self, t):
        if self.alpha_fn is not None:
            return self.alpha_fn(t)
        return jnp.exp(self.log_alpha_fn(t))

    def _alpha_dot(self, t):
        if self.alpha_fn is not None:
            return _derivative(self.alpha_fn, t)
        return self._alpha_value(t) * self._drift_value(t)

    def _sigma_value(self, t):
        if self.sigma_fn is not None:
            return self.sigma_fn(t)
        return jnp.exp(self.log_sigma_fn(t))

    def _sigma_dot(self, t):
        if self.sigma_fn is not None:
            return _derivative(self.sigma_fn, t)
        sigma = self._sigma_value(t)
        if self.variance_preserving:  # sigma^2 = 1 - alpha^2: exact at alpha = 0 and sigma = 0
            return -self._alpha_value(t) * self._alpha_dot(t) / sigma
        return sigma * _derivative(self.log_sigma_fn, t)

    def _log_snr_dot(self, t):
        # Where lambda = +-inf (sigma = 0 or alpha = 0) the log form's derivative is 0 * inf or has
        # the wrong sign of zero; there lambda' = 2 (alpha'/alpha - sigma'/sigma) is exact.
        lam = self.log_snr_fn(t)
        ratio = 2 * (self._alpha_dot(t) / self._alpha_value(t))
        ratio = ratio - 2 * (self._sigma_dot(t) / self._sigma_value(t))
        return jnp.where(jnp.isfinite(lam), _derivative(self.log_snr_fn, t), ratio)

    def _drift_value(self, t):
        if self.drift_fn is not None:
            return self.drift_fn(t)
        return _derivative(self.log_alpha_fn, t)

    def _drift_dot(self, t):
        # f' = (log alpha)'' -> -inf at a zero of alpha (alpha ~ c (t1 - t)^m: f' ~ -m/(t1 - t)^2)
        at_zero = self.log_alpha_fn(t) == -jnp.inf  # a true zero, not an underflow of alpha
        return jnp.where(at_zero, -jnp.inf, _derivative(self._drift_value, t))

    def _g2_value(self, t):
        if self.diffusion_squared_fn is not None:
            return self.diffusion_squared_fn(t)
        if self.variance_preserving:
            return -2 * self._drift_value(t)
        sigma_sq = lambda s: jnp.exp(2 * self.log_sigma_fn(s))
        return _derivative(sigma_sq, t) - 2 * self._drift_value(t) * sigma_sq(t)

    def _g2_dot(self, t):
        if self.diffusion_squared_fn is None and self.variance_preserving:
            return -2 * self._drift_dot(t)
        return _derivative(self._g2_value, t)

    def _diffusion_dot(self, t):
        g2, g2_dot = self._g2_value(t), self._g2_dot(t)
        g = jnp.sqrt(g2)
        # d sqrt(g^2) = (g^2)' / (2 g): +inf where g = 0 < (g^2)' and where g^2 = +inf
        return jnp.where(jnp.isinf(g2) & (g2_dot > 0), jnp.inf, g2_dot / (2 * g))

    # ------------------------------------------------------------------ marginals
    def log_alpha(self, t) -> jax.Array:
        r"""Log signal scale :math:`\log\alpha_t`.

        Examples:
          >>> from gmath.scores import vp_linear
          >>> round(float(vp_linear().log_alpha(1.0)), 10)  # -(0.1 + 19.9 / 2) / 2
          -5.025
        """
        return _with_derivative(self.log_alpha_fn, self._drift_value)(self._time(t))

    def log_sigma(self, t) -> jax.Array:
        r"""Log noise scale :math:`\log\sigma_t` (``-inf`` at the clean end, :math:`\sigma = 0`).

        Examples:
          >>> from gmath.scores import edm
          >>> float(edm().log_sigma(1.0))
          0.0
        """
        dot = lambda s: self._sigma_dot(s) / self._sigma_value(s)
        return _with_derivative(self.log_sigma_fn, dot)(self._time(t))

    def alpha(self, t) -> jax.Array:
        r"""Signal scale :math:`\alpha_t` (exact zeros where the schedule has them).

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().alpha(0.25))
          0.75
        """
        return _with_derivative(self._alpha_value, self._alpha_dot)(self._time(t))

    def sigma(self, t) -> jax.Array:
        r"""Noise scale :math:`\sigma_t` (the standard deviation of :math:`x_t` given :math:`x_0`).

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().sigma(0.25))
          0.25
        """
        return _with_derivative(self._sigma_value, self._sigma_dot)(self._time(t))

    def log_snr(self, t) -> jax.Array:
        r"""Log signal-to-noise ratio :math:`\lambda_t = \log(\alpha_t^2/\sigma_t^2)`.

        Decreasing in :math:`t`; :math:`+\infty` at the clean end.

        Examples:
          >>> from gmath.scores import vdm
          >>> round(float(vdm().log_snr(0.0)), 10)  # -gamma_min
          13.3
        """
        return _with_derivative(self.log_snr_fn, self._log_snr_dot)(self._time(t))

    def snr(self, t) -> jax.Array:
        r"""Signal-to-noise ratio :math:`\mathrm{SNR}(t) = e^{\lambda_t} = \alpha_t^2/\sigma_t^2`.

        Examples:
          >>> from gmath.scores import edm
          >>> round(float(edm().snr(2.0)), 12)  # 1 / sigma^2
          0.25
        """

        def dot(s):  # 0 where lambda = -inf (alpha has a simple zero: SNR ~ (t1 - t)^2)
            lam = self.log_snr_fn(s)
            return jnp.where(lam == -jnp.inf, 0.0, jnp.exp(lam) * self._log_snr_dot(s))

        # cast: __post_init__ sets log_snr_fn and t_from_log_snr_fn (never None after it)
        value = lambda s: jnp.exp(cast(Callable, self.log_snr_fn)(s))
        return _with_derivative(value, dot)(self._time(t))

    def sigma_edm(self, t) -> jax.Array:
        r"""EDM noise level :math:`\sigma_t/\alpha_t = e^{-\lambda_t/2}` (Karras et al. 2022).

        The noise level of the rescaled state :math:`x_t/\alpha_t = x_0 + (\sigma_t/\alpha_t)
        \varepsilon` [@karras2022edm].

        Examples:
          >>> from gmath.scores import vp_linear
          >>> round(float(vp_linear().sigma_edm(0.5) ** -2 - vp_linear().snr(0.5)), 8)
          0.0
        """

        def dot(s):  # (sigma / alpha)' = sigma' / alpha where sigma = 0 (lambda = +inf)
            lam = self.log_snr_fn(s)
            at_zero = self._sigma_dot(s) / self._alpha_value(s)
            return jnp.where(
                lam == jnp.inf, at_zero, -0.5 * self._log_snr_dot(s) * jnp.exp(-0.5 * lam)
            )

        value = lambda s: jnp.exp(-0.5 * cast(Callable, self.log_snr_fn)(s))
        return _with_derivative(value, dot)(self._time(t))

    def t_from_log_snr(self, log_snr) -> jax.Array:
        r"""Inverse :math:`t(\lambda)` of :meth:`log_snr`, clamped to ``[t_min, t_max]``.

        Args:
          log_snr: log-SNR value(s) :math:`\lambda`, any shape (``+inf`` maps to the clean end).

        Returns:
          Times shaped like ``log_snr``, with its float dtype.

        Examples:
          >>> from gmath.scores import vdm
          >>> round(float(vdm().t_from_log_snr(-5.0)), 10)
          1.0
        """
        lam = _as_time(log_snr)
        t = cast(Callable, self.t_from_log_snr_fn)(lam)
        t = jnp.where(t < self.t_min, jnp.asarray(self.t_min, t.dtype), t)
        return jnp.where(t > self.t_max, jnp.asarray(self.t_max, t.dtype), t)

    def t_from_sigma_edm(self, sigma) -> jax.Array:
        r"""Inverse of :meth:`sigma_edm`: :math:`t(\lambda = -2\log\sigma)`, clamped to the domain.

        Args:
          sigma: EDM noise level(s) :math:`\sigma \ge 0`, any shape.

        Returns:
          Times shaped like ``sigma``, with its float dtype.

        Examples:
          >>> from gmath.scores import edm
          >>> round(float(edm().t_from_sigma_edm(3.0)), 10)
          3.0
        """
        sigma = _as_time(sigma)
        return self.t_from_log_snr(-2 * jnp.log(sigma))

    # ------------------------------------------------------------------ SDE coefficients
    def drift(self, t) -> jax.Array:
        r"""Drift coefficient :math:`f(t) = \tfrac{d}{dt}\log\alpha_t` (the drift is :math:`f x`).

        Computed by forward-mode differentiation of :math:`\log\alpha_t`.

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().drift(0.5))  # -1 / (1 - t)
          -2.0
        """
        return _with_derivative(self._drift_value, self._drift_dot)(self._time(t))

    def diffusion_squared(self, t) -> jax.Array:
        r"""Squared diffusion coefficient :math:`g(t)^2 = \tfrac{d\sigma_t^2}{dt} - 2 f(t)\sigma_t^2 = -\sigma_t^2\lambda'(t)`.

        For a variance-preserving schedule this is :math:`-2f(t) = \beta(t)`.

        Examples:
          >>> from gmath.scores import vp_linear
          >>> round(float(vp_linear().diffusion_squared(1.0)), 10)  # beta_max
          20.0
        """
        return _with_derivative(self._g2_value, self._g2_dot)(self._time(t))

    def diffusion(self, t) -> jax.Array:
        r"""Diffusion coefficient :math:`g(t) = \sqrt{g(t)^2}` (see :meth:`diffusion_squared`).

        Examples:
          >>> from gmath.scores import edm
          >>> round(float(edm().diffusion(2.0)), 12)  # sqrt(2 t)
          2.0
        """
        value = lambda s: jnp.sqrt(self._g2_value(s))
        return _with_derivative(value, self._diffusion_dot)(self._time(t))

    def alpha_derivative(self, t) -> jax.Array:
        r"""Time derivative of the signal scale, :math:`d\alpha_t/dt = f(t)\,\alpha_t`.

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().alpha_derivative(0.3))
          -1.0
        """
        return self._alpha_dot(self._time(t))

    def sigma_derivative(self, t) -> jax.Array:
        r"""Time derivative of the noise scale, :math:`\dot\sigma_t = (g^2 + 2f\sigma_t^2)/(2\sigma_t)`.

        Forward-mode derivative of ``sigma_fn`` where the schedule has one; otherwise
        :math:`-\alpha_t\dot\alpha_t/\sigma_t` (variance preserving: exact at
        :math:`\alpha = 0`, ``+inf`` at :math:`\sigma = 0`) or :math:`\sigma_t\,
        \tfrac{d}{dt}\log\sigma_t`.

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().sigma_derivative(0.3))
          1.0

        Its own derivative :math:`\ddot\sigma_t` is ``-inf`` where :math:`\sigma = 0` with
        :math:`\dot\sigma = +\infty` (:math:`\sigma \sim c\,(t - t_0)^p`, :math:`0 < p < 1`,
        e.g. :math:`\sqrt{t}` at the clean end of the VP and VE schedules), not ``inf - inf``.
        """
        return _with_derivative(self._sigma_dot, self._sigma_ddot)(self._time(t))

    def _sigma_ddot(self, t):
        dot = self._sigma_dot(t)
        at_root = (self._sigma_value(t) == 0) & (dot == jnp.inf)
        return jnp.where(at_root, -jnp.inf, _derivative(self._sigma_dot, t))

    def perturb(self, x0, eps, t) -> jax.Array:
        r"""The forward marginal sample :math:`x_t = \alpha_t x_0 + \sigma_t\varepsilon`.

        Args:
          x0: clean data, any shape.
          eps: standard normal noise :math:`\varepsilon`, shaped like ``x0``.
          t: time(s) broadcasting against ``x0`` (``[batch, 1]`` for a batch of vectors).

        Returns:
          :math:`x_t`, the broadcast shape of ``x0`` and ``t``.

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().perturb(2.0, 1.0, 0.25))  # 0.75 * 2 + 0.25 * 1
          1.75
        """
        return self.alpha(t) * x0 + self.sigma(t) * eps


def _hyperparameter(owner, name, v):
    """A schedule hyperparameter as a Python float (they are static: no traced values)."""
    if isinstance(v, jax.core.Tracer):
        raise TypeError(
            f"{owner}: {name} must be a concrete number (schedules are static), got a tracer."
        )
    try:
        out = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a real number, got {v!r}.") from None
    if np.ndim(v) != 0 or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a real scalar, got {v!r}.")
    return out


def _check_positive(owner, **values):
    out = []
    for name, v in values.items():
        v = _hyperparameter(owner, name, v)
        if not (math.isfinite(v) and v > 0):
            raise ValueError(f"{owner}: {name} must be a positive finite number, got {v!r}.")
        out.append(v)
    return out


def _one_minus_exp(x):
    r""":math:`1 - e^{-x}` for :math:`x \ge 0`, value and derivative accurate at every x.

    ``-expm1(-x)`` below :math:`\log 2`, ``1 - exp(-x)`` above, where JAX's derivative of expm1
    (``expm1 + 1``) would lose :math:`e^{-x}` to cancellation.
    """
    small = x < math.log(2)
    return jnp.where(small, -jnp.expm1(-jnp.where(small, x, 0.0)), 1 - jnp.exp(-x))


def _linear_beta(owner, beta_min, beta_max):
    r"""Linear :math:`\beta(t)`, its integral :math:`B(t)` and the inverse :math:`t(B)`."""
    beta_min, beta_max = _check_positive(owner, beta_min=beta_min, beta_max=beta_max)
    if beta_max < beta_min:
        raise ValueError(f"{owner}: need beta_min <= beta_max, got {beta_min}, {beta_max}.")
    slope = beta_max - beta_min

    def beta(t):
        return beta_min + slope * t

    def integral(t):
        return beta_min * t + 0.5 * slope * t * t

    def integral_inverse(b):  # the positive root of B(t) = b, without cancellation
        return 2 * b / (beta_min + jnp.sqrt(beta_min * beta_min + 2 * slope * b))

    return beta, integral, integral_inverse


def vp_linear(beta_min: float = 0.1, beta_max: float = 20.0) -> NoiseSchedule:
    r"""Variance-preserving SDE with linear :math:`\beta(t)` on :math:`[0, 1]` (Song et al. 2021).

    .. math::
        B(t) = \beta_{\min} t + \tfrac12(\beta_{\max} - \beta_{\min}) t^2, \quad
        \alpha_t = e^{-B/2}, \quad \sigma_t^2 = 1 - e^{-B}, \quad
        \lambda_t = -\log(e^{B} - 1), \quad f = -\beta/2, \quad g^2 = \beta(t).

    The inverse is :math:`B = \log(1 + e^{-\lambda})` and
    :math:`t = 2B / (\beta_{\min} + \sqrt{\beta_{\min}^2 + 2(\beta_{\max}-\beta_{\min})B})`.
    DDPM's linear betas :math:`10^{-4} \dots 0.02` over 1000 steps (Ho et al. 2020) discretise
    ``vp_linear(0.1, 20.0)``.

    Args:
      beta_min: :math:`\beta(0) > 0`.
      beta_max: :math:`\beta(1) \ge \beta_{\min}`.

    Returns:
      A :class:`NoiseSchedule` on ``[0, 1]``.

    References:
      Song, Sohl-Dickstein, Kingma, Kumar, Ermon, Poole (2021). Score-based generative modeling
      through stochastic differential equations. ICLR [@song2021scoresde].
      Ho, Jain, Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS [@ho2020ddpm].

    Examples:
      >>> s = vp_linear()
      >>> round(float(s.alpha(0.5) ** 2 + s.sigma(0.5) ** 2), 12)
      1.0
      >>> round(float(s.t_from_log_snr(s.log_snr(0.3))), 10)
      0.3
    """
    beta, integral, integral_inverse = _linear_beta("vp_linear", beta_min, beta_max)
    return NoiseSchedule(
        name="vp_linear",
        log_alpha_fn=lambda t: -0.5 * integral(t),
        t_from_log_snr_fn=lambda lam: integral_inverse(log1pexp(-lam)),
        diffusion_squared_fn=beta,
        variance_preserving=True,
        sigma_fn=lambda t: jnp.sqrt(_one_minus_exp(integral(t))),
    )


def sub_vp(beta_min: float = 0.1, beta_max: float = 20.0) -> NoiseSchedule:
    r"""The sub-VP SDE of Song et al. (2021): :math:`\alpha_t = e^{-B/2}`, :math:`\sigma_t = 1 - e^{-B}`.

    With :math:`B(t)` as in :func:`vp_linear`: :math:`f = -\beta/2`,
    :math:`g^2 = \beta(t)(1 - e^{-2B(t)})`. The inverse solves
    :math:`u/(1-u)^2 = e^\lambda` for :math:`u = e^{-B}` (the root below 1).

    Args:
      beta_min: :math:`\beta(0) > 0`.
      beta_max: :math:`\beta(1) \ge \beta_{\min}`.

    Returns:
      A :class:`NoiseSchedule` on ``[0, 1]`` (not variance preserving).

    References:
      Song et al. (2021). Score-based generative modeling through SDEs. ICLR [@song2021scoresde].

    Examples:
      >>> s = sub_vp()
      >>> round(float(s.sigma(0.5) - (1 - s.alpha(0.5) ** 2)), 12)
      0.0
    """
    beta, integral, integral_inverse = _linear_beta("sub_vp", beta_min, beta_max)

    def t_from_log_snr(lam):
        # u = e^{-B} = 1 / larger root; written in v = e^{-lambda} (lambda >= 0) or e^{lambda}.
        pos = lam >= 0
        v = jnp.exp(-jnp.where(pos, lam, 0.0))
        root = jnp.sqrt(v * (4 + v))
        b_pos = -jnp.log1p(-(v + root) / (2 + v + root))
        e = jnp.exp(jnp.where(pos, 0.0, lam))
        b_neg = -(jnp.log(2 * e) - jnp.log(2 * e + 1 + jnp.sqrt(4 * e + 1)))
        return integral_inverse(jnp.where(pos, b_pos, b_neg))

    return NoiseSchedule(
        name="sub_vp",
        log_alpha_fn=lambda t: -0.5 * integral(t),
        log_sigma_fn=lambda t: log1mexp(-integral(t)),
        t_from_log_snr_fn=t_from_log_snr,
        diffusion_squared_fn=lambda t: beta(t) * -jnp.expm1(-2 * integral(t)),
        sigma_fn=lambda t: _one_minus_exp(integral(t)),
    )


def vp_cosine(s: float = 0.008) -> NoiseSchedule:
    r"""The cosine schedule of Nichol and Dhariwal (2021), continuous in :math:`t \in [0, 1]`.

    .. math::
        \phi(t) = \frac{t + s}{1 + s}\frac{\pi}{2}, \quad
        \alpha_t = \frac{\cos\phi(t)}{\cos\phi(0)}, \quad \sigma_t^2 = 1 - \alpha_t^2,
        \quad g^2 = -2f = \pi\tan\phi(t)/(1 + s).

    :math:`\alpha_1 = 0` exactly (zero terminal SNR, :math:`\lambda_1 = -\infty`).

    Args:
      s: offset :math:`s \ge 0`.

    Returns:
      A variance-preserving :class:`NoiseSchedule` on ``[0, 1]``.

    References:
      Nichol, Dhariwal (2021). Improved denoising diffusion probabilistic models. ICML
      [@nichol2021improved].

    Examples:
      >>> s = vp_cosine()
      >>> float(s.alpha(1.0)), float(s.sigma(0.0))
      (0.0, 0.0)
    """
    s = _hyperparameter("vp_cosine", "s", s)
    if not 0 <= s < 1:
        raise ValueError(f"vp_cosine: s must be in [0, 1), got {s!r}.")
    half_pi = 0.5 * math.pi
    phi0 = s / (1 + s) * half_pi
    c0, s0 = math.cos(phi0), math.sin(phi0)

    k = half_pi / (1 + s)  # phi(t) = (t + s) k, psi = pi/2 - phi = (1 - t) k

    # Each quantity in phi near t = 0 and in psi near t = 1, where that angle is exact (pi/2 is
    # not: cos of the rounded pi/2 is 6e-17); the unused branch gets a harmless time.
    def _halves(t):
        low = t <= 0.5
        return low, jnp.where(low, t, 0.0), jnp.where(low, 1.0, t)

    def alpha(t):
        low, t_lo, t_hi = _halves(t)
        return jnp.where(low, jnp.cos((t_lo + s) * k), jnp.sin((1 - t_hi) * k)) / c0

    def log_alpha(t):
        return jnp.log(alpha(t))

    def sigma_scaled(t):
        # c0 sigma = sqrt(cos^2 phi0 - cos^2 phi) = sqrt(sin(phi - phi0) sin(phi + phi0)), with
        # phi - phi0 = t k exact for tiny t (for s = 0 simply sin(t k)); near t = 1,
        # sqrt(c0^2 - sin^2 psi), whose derivative -k sin(psi) cos(psi) / sigma is 0 at t = 1.
        low, t_lo, t_hi = _halves(t)
        a = jnp.sin(t_lo * k)
        near_zero = a if s == 0 else jnp.sqrt(a) * jnp.sqrt(jnp.sin((t_lo + 2 * s) * k))
        sin_psi = jnp.sin((1 - t_hi) * k)
        return jnp.where(low, near_zero, jnp.sqrt(c0 * c0 - sin_psi * sin_psi))

    def log_sigma(t):
        return jnp.log(sigma_scaled(t)) - math.log(c0)

    def log_snr(t):
        return 2 * (jnp.log(alpha(t)) - jnp.log(sigma_scaled(t)) + math.log(c0))

    def drift(t):
        # f = -k tan(phi) = -k / tan(psi): the first exact at t = 0 (0 when s = 0), the second
        # at t = 1 (-inf)
        low, t_lo, t_hi = _halves(t)
        return jnp.where(low, -k * jnp.tan((t_lo + s) * k), -k / jnp.tan((1 - t_hi) * k))

    def t_from_log_snr(lam):
        alpha = jnp.exp(_vp_log_alpha_from_log_snr(lam))
        sin_phi = jnp.sqrt(s0 * s0 + c0 * c0 * jax.nn.sigmoid(-lam))
        phi = jnp.arctan2(sin_phi, alpha * c0)
        return phi / half_pi * (1 + s) - s

    return NoiseSchedule(
        name="vp_cosine",
        log_alpha_fn=log_alpha,
        log_sigma_fn=log_sigma,
        log_snr_fn=log_snr,
        t_from_log_snr_fn=t_from_log_snr,
        variance_preserving=True,
        alpha_fn=alpha,
        sigma_fn=lambda t: sigma_scaled(t) / c0,
        drift_fn=drift,
    )


def ve(sigma_min: float = 0.01, sigma_max: float = 50.0) -> NoiseSchedule:
    r"""Variance-exploding SDE (Song et al. 2021), with its exact marginals.

    The SDE :math:`dx = g\,dw` with :math:`g^2 = \tfrac{d}{dt}\bar\sigma(t)^2`,
    :math:`\bar\sigma(t) = \sigma_{\min}(\sigma_{\max}/\sigma_{\min})^t`, started from clean data
    at :math:`t = 0`, has :math:`\alpha_t = 1` and
    :math:`\sigma_t^2 = \bar\sigma(t)^2 - \sigma_{\min}^2` (data :math:`\mathcal N(m, S)` becomes
    :math:`\mathcal N(m, S + (\bar\sigma(t)^2 - \sigma_{\min}^2) I)`). Reference code often uses
    :math:`\sigma_t = \bar\sigma(t)` instead, i.e. data pre-blurred by :math:`\sigma_{\min}`.

    Args:
      sigma_min: :math:`\bar\sigma(0) > 0`.
      sigma_max: :math:`\bar\sigma(1) > \sigma_{\min}`.

    Returns:
      A :class:`NoiseSchedule` on ``[0, 1]``.

    References:
      Song et al. (2021). Score-based generative modeling through SDEs. ICLR [@song2021scoresde].

    Examples:
      >>> s = ve(0.01, 50.0)
      >>> round(float(s.sigma(1.0) ** 2 + 0.01**2), 8)
      2500.0
    """
    sigma_min, sigma_max = _check_positive("ve", sigma_min=sigma_min, sigma_max=sigma_max)
    if not sigma_max > sigma_min:
        raise ValueError(f"ve: need sigma_min < sigma_max, got {sigma_min}, {sigma_max}.")
    log_ratio = math.log(sigma_max / sigma_min)
    log_min = math.log(sigma_min)

    def log_sigma(t):
        return log_min + 0.5 * jnp.log(jnp.expm1(2 * log_ratio * t))

    def sigma(t):  # sqrt form: sigma' = +inf at t = 0 (not exp(-inf) * inf)
        return sigma_min * jnp.sqrt(jnp.expm1(2 * log_ratio * t))

    return NoiseSchedule(
        name="ve",
        log_alpha_fn=jnp.zeros_like,
        log_sigma_fn=log_sigma,
        t_from_log_snr_fn=lambda lam: jnp.log1p(jnp.exp(-lam - 2 * log_min)) / (2 * log_ratio),
        diffusion_squared_fn=lambda t: 2 * log_ratio * jnp.exp(2 * (log_min + log_ratio * t)),
        sigma_fn=sigma,
    )


def edm() -> NoiseSchedule:
    r"""The EDM parameterisation of Karras et al. (2022): :math:`\alpha_t = 1`, :math:`\sigma_t = t`.

    Time is the noise level: :math:`\lambda = -2\log t`, :math:`f = 0`, :math:`g^2 = 2t`. Domain
    :math:`[0, \infty)`. Discretise with :func:`gmath.scores.karras_sigmas`.

    Returns:
      A :class:`NoiseSchedule`.

    References:
      Karras, Aittala, Aila, Laine (2022). Elucidating the design space of diffusion-based
      generative models. NeurIPS [@karras2022edm].

    Examples:
      >>> s = edm()
      >>> float(s.sigma_edm(2.5)), float(s.diffusion_squared(2.5))
      (2.5, 5.0)
    """
    return NoiseSchedule(
        name="edm",
        log_alpha_fn=jnp.zeros_like,
        log_sigma_fn=jnp.log,
        t_from_log_snr_fn=lambda lam: jnp.exp(-0.5 * lam),
        diffusion_squared_fn=lambda t: 2 * t,
        t_max=math.inf,
        alpha_fn=jnp.ones_like,
        sigma_fn=lambda t: t,
    )


def vdm(gamma_min: float = -13.3, gamma_max: float = 5.0) -> NoiseSchedule:
    r"""Variational diffusion model schedule with linear :math:`\gamma(t) = -\lambda_t` (Kingma et al. 2021).

    .. math::
        \gamma(t) = \gamma_{\min} + (\gamma_{\max} - \gamma_{\min}) t, \quad
        \alpha_t^2 = \operatorname{sigmoid}(-\gamma), \quad \sigma_t^2 = \operatorname{sigmoid}(\gamma),
        \quad \sigma_{\mathrm{EDM}}^2 = e^{\gamma}, \quad g^2 = \sigma_t^2\gamma'.

    Args:
      gamma_min: :math:`\gamma(0)`.
      gamma_max: :math:`\gamma(1) > \gamma_{\min}`.

    Returns:
      A variance-preserving :class:`NoiseSchedule` on ``[0, 1]``.

    References:
      Kingma, Salimans, Poole, Ho (2021). Variational diffusion models. NeurIPS
      [@kingma2021vdm].

    Examples:
      >>> s = vdm()
      >>> round(float(s.log_snr(1.0)), 10)
      -5.0
    """
    gamma_min = _hyperparameter("vdm", "gamma_min", gamma_min)
    gamma_max = _hyperparameter("vdm", "gamma_max", gamma_max)
    if not (math.isfinite(gamma_min) and math.isfinite(gamma_max) and gamma_min < gamma_max):
        raise ValueError(f"vdm: need finite gamma_min < gamma_max, got {gamma_min}, {gamma_max}.")
    slope = gamma_max - gamma_min
    gamma = lambda t: gamma_min + slope * t
    return NoiseSchedule(
        name="vdm",
        log_alpha_fn=lambda t: -0.5 * log1pexp(gamma(t)),
        log_sigma_fn=lambda t: -0.5 * log1pexp(-gamma(t)),
        log_snr_fn=lambda t: -gamma(t),
        t_from_log_snr_fn=lambda lam: (-lam - gamma_min) / slope,
        diffusion_squared_fn=lambda t: slope * jax.nn.sigmoid(gamma(t)),
        variance_preserving=True,
    )


def rectified_flow() -> NoiseSchedule:
    r"""Rectified flow / flow matching interpolation :math:`x_t = (1 - t) x_0 + t\varepsilon`.

    :math:`\lambda = 2\log((1-t)/t)`, :math:`t(\lambda) = \operatorname{sigmoid}(-\lambda/2)`,
    :math:`f = -1/(1-t)`, :math:`g^2 = 2t/(1-t)`.

    Returns:
      A :class:`NoiseSchedule` on ``[0, 1]``.

    References:
      Liu, Gong, Liu (2023). Flow straight and fast: learning to generate and transfer data with
      rectified flow. ICLR [@liu2023rectified]. Lipman, Chen, Ben-Hamu, Nickel, Le (2023). Flow
      matching for generative modeling. ICLR [@lipman2023flow].

    Examples:
      >>> s = rectified_flow()
      >>> float(s.alpha(0.25)), float(s.sigma(0.25))
      (0.75, 0.25)
    """
    return NoiseSchedule(
        name="rectified_flow",
        log_alpha_fn=lambda t: jnp.log1p(-t),
        log_sigma_fn=jnp.log,
        t_from_log_snr_fn=lambda lam: jax.nn.sigmoid(-0.5 * lam),
        diffusion_squared_fn=lambda t: 2 * t / (1 - t),
        alpha_fn=lambda t: 1 - t,
        sigma_fn=lambda t: t,
    )


def ddpm_discrete(betas, *, max_beta: float = 0.999) -> NoiseSchedule:
    r"""A discrete DDPM schedule :math:`\beta_1..\beta_N` as a continuous-time schedule on [0, 1].

    Step :math:`n` (1-based; index ``n - 1`` in diffusers) sits at :math:`t_n = n/N` with
    :math:`\bar\alpha_n = \prod_{i \le n}(1 - \beta_i)`; between steps :math:`\log\bar\alpha`
    is linear in :math:`t` (a piecewise-constant continuous :math:`\beta(t)`), so
    :math:`\alpha_{t_n}^2 = \bar\alpha_n` exactly and :math:`\lambda` inverts exactly.
    Betas above ``max_beta`` are clipped to it; the count is reported in
    ``schedule.clipped``.

    Args:
      betas: concrete 1-D array of :math:`\beta_n \in (0, 1]`.
      max_beta: clipping level in ``(0, 1)`` (0.999 as in diffusers).

    Returns:
      A variance-preserving :class:`NoiseSchedule` on ``[0, 1]``.

    Raises:
      ValueError: if ``betas`` is not 1-D or has entries outside ``(0, 1]``.

    References:
      Ho, Jain, Abbeel (2020). Denoising diffusion probabilistic models. NeurIPS [@ho2020ddpm].

    Examples:
      >>> import numpy as np
      >>> s = ddpm_discrete(np.linspace(1e-4, 0.02, 1000))
      >>> round(float(s.alpha(1.0) ** 2), 8), s.clipped
      (4.036e-05, 0)
    """
    b = np.asarray(betas, np.float64)
    if b.ndim != 1 or b.size < 1:
        raise ValueError(
            f"ddpm_discrete: betas must be a non-empty 1-D array, got shape {b.shape}."
        )
    if not np.all((b > 0) & (b <= 1)):
        raise ValueError("ddpm_discrete: every beta must lie in (0, 1].")
    max_beta = _hyperparameter("ddpm_discrete", "max_beta", max_beta)
    if not 0 < max_beta < 1:
        raise ValueError(f"ddpm_discrete: max_beta must be in (0, 1), got {max_beta}.")
    clipped = int(np.sum(b > max_beta))
    b = np.minimum(b, max_beta)
    n = b.size
    knots_t = np.arange(n + 1, dtype=np.float64) / n
    knots_log_abar = np.concatenate([[0.0], np.cumsum(np.log1p(-b))])

    # slopes of log alpha per interval, in float64 before any cast: a float32 difference of two
    # neighbouring knot values would lose digits to cancellation
    slopes = 0.5 * np.diff(knots_log_abar) / np.diff(knots_t)

    def log_alpha(t):
        kt = jnp.asarray(knots_t, t.dtype)
        i = jnp.clip(jnp.searchsorted(kt, t, side="right") - 1, 0, n - 1)
        start = jnp.asarray(0.5 * knots_log_abar, t.dtype)[i]
        return start + jnp.asarray(slopes, t.dtype)[i] * (t - kt[i])

    def t_from_log_snr(lam):
        log_abar = -log1pexp(-lam)
        return jnp.interp(
            log_abar, knots_log_abar[::-1].astype(lam.dtype), knots_t[::-1].astype(lam.dtype)
        )

    return NoiseSchedule(
        name="ddpm_discrete",
        log_alpha_fn=log_alpha,
        t_from_log_snr_fn=t_from_log_snr,
        variance_preserving=True,
        clipped=clipped,
    )


def rescale_zero_terminal_snr(schedule: NoiseSchedule) -> NoiseSchedule:
    r"""Rescale a variance-preserving schedule to zero terminal SNR (Lin et al. 2024).

    .. math::
        \alpha'_t = \frac{(\alpha_t - \alpha_T)\,\alpha_0}{\alpha_0 - \alpha_T},
        \qquad \sigma'^2_t = 1 - \alpha'^2_t,

    with :math:`0, T` the ends of the domain: :math:`\alpha'_0 = \alpha_0` and
    :math:`\alpha'_T = 0` (:math:`\lambda'_T = -\infty`). The inverse goes through the original
    schedule's :math:`t(\lambda)`.

    A schedule that already has :math:`\alpha_T = 0` is returned unchanged (renamed). Where
    :math:`\alpha'_t < 1/2` the small difference :math:`\alpha_t - \alpha_T` is computed as
    :math:`\alpha_T\,\operatorname{expm1}(\delta_t)` with :math:`\delta_t = \log\alpha_t -
    \log\alpha_T`, and within :math:`2^{-10}(T - t_{\min})` of :math:`T` as the midpoint rule
    :math:`\delta_t = -(T - t)\,f(\tfrac{t + T}{2})` (exact where :math:`\log\alpha` is
    quadratic, as for ``vp_linear``, or linear, as within the last step of ``ddpm_discrete``), so
    :math:`\alpha'_t` keeps its relative accuracy up to :math:`T`, in float32 too (it does not
    round to 0 before :math:`T`), and :math:`d\alpha'/dt = \alpha_T e^{\delta} f/(\alpha_0 -
    \alpha_T)` stays finite and nonzero at :math:`T`.

    Args:
      schedule: a variance-preserving :class:`NoiseSchedule` with :math:`\alpha_0 > \alpha_T`.

    Returns:
      The rescaled variance-preserving :class:`NoiseSchedule`.

    References:
      Lin, Liu, Li, Yang (2024). Common diffusion noise schedules and sample steps are flawed.
      WACV [@lin2024common].

    Examples:
      >>> s = rescale_zero_terminal_snr(vp_linear())
      >>> float(s.alpha(1.0)), float(s.snr(1.0))
      (0.0, 0.0)
    """
    if not isinstance(schedule, NoiseSchedule) or not schedule.variance_preserving:
        raise ValueError("rescale_zero_terminal_snr: needs a variance-preserving NoiseSchedule.")
    if not math.isfinite(schedule.t_max):
        raise ValueError("rescale_zero_terminal_snr: the schedule's domain must be bounded.")
    with jax.ensure_compile_time_eval():
        # raw forms: a custom_jvp function ignores the compile-time context under vmap
        a0 = float(schedule._alpha_value(jnp.asarray(schedule._time(np.float64(schedule.t_min)))))
        a_end = float(
            schedule._alpha_value(jnp.asarray(schedule._time(np.float64(schedule.t_max))))
        )
    if not a0 > a_end:
        raise ValueError("rescale_zero_terminal_snr: alpha must decrease over the domain.")
    name = f"zero_terminal_snr({schedule.name})"
    if a_end == 0:  # already zero terminal SNR: the rescaling is the identity
        return dataclasses.replace(schedule, name=name)
    base = schedule

    log_a0 = math.log(a0)
    factor = a0 / (a0 - a_end)

    t_end = base.t_max
    log_a_end = math.log(a_end)
    tail_scale = a_end / (a0 - a_end)
    near = 2.0**-10 * (t_end - base.t_min)  # the midpoint rule within this distance of T

    def ratio(t):
        # alpha' = 1 + (alpha - a0) / (a0 - aT): log1p of it is accurate where alpha' -> 1; exactly
        # alpha' = 0 at t_max (clamped against rounding below -1).
        r = factor * jnp.expm1(base.log_alpha_fn(t) - log_a0)
        # value -1 (keeping the derivative of r) at the end point and below it
        return jnp.where((t >= base.t_max) | (r < -1), r - jax.lax.stop_gradient(r) - 1, r)

    def delta(t):
        # log alpha_t - log alpha_T >= 0: directly, or -(T - t) f(midpoint) near T, where the
        # difference of the two logarithms would cancel (T - t is exact there, Sterbenz)
        h = jnp.where(t > t_end, 0.0, t_end - t)  # derivative -1 at T (not max's 1/2)
        small = h < near
        mid = jnp.where(small, 0.5 * (t + t_end), t_end)
        direct = base.log_alpha_fn(jnp.where(small, base.t_min, t)) - log_a_end
        return jnp.where(small, -h * base._drift_value(mid), jnp.maximum(direct, 0.0))

    def tail(t):
        # alpha' = (alpha_t - alpha_T) / (a0 - aT) = aT expm1(delta) / (a0 - aT): no cancellation
        return tail_scale * jnp.expm1(delta(t))

    def head(r):
        return r > -0.5  # alpha' > 1/2: 1 + r is accurate

    def alpha(t):
        r = ratio(t)
        return jnp.where(head(r), 1 + r, tail(t))

    def log_alpha(t):
        r = ratio(t)
        safe_r = jnp.where(head(r), r, 0.0)  # finite gradients in the unused branch
        log_tail = jnp.log(tail_scale) + jnp.log(jnp.expm1(delta(t)))
        return jnp.where(head(r), jnp.log1p(safe_r), log_tail)

    def sigma_sq(t):
        # 1 - alpha'^2 = -r (2 + r), accurate near r = 0; 1 - alpha'^2 near alpha' = 0, where its
        # derivative -2 alpha' alpha'' is exactly 0 at T (+ 0.0 turns -0.0 into +0.0 at t = 0).
        r = ratio(t)
        a = alpha(t)
        return jnp.where(head(r), -r * (2 + r), 1 - a * a) + 0.0

    def log_snr(t):
        return 2 * log_alpha(t) - jnp.log(sigma_sq(t))

    def t_from_log_snr(lam):
        alpha_new = jnp.exp(_vp_log_alpha_from_log_snr(lam))
        alpha = alpha_new * ((a0 - a_end) / a0) + a_end
        return base.t_from_log_snr_fn(_vp_log_snr(jnp.log(alpha)))

    return NoiseSchedule(
        name=name,
        log_alpha_fn=log_alpha,
        log_sigma_fn=lambda t: 0.5 * jnp.log(sigma_sq(t)),
        log_snr_fn=log_snr,
        t_from_log_snr_fn=t_from_log_snr,
        t_min=base.t_min,
        t_max=base.t_max,
        variance_preserving=True,
        alpha_fn=alpha,
        sigma_fn=lambda t: jnp.sqrt(sigma_sq(t)),
    )
