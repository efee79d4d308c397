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
from typing import Any, cast

import jax
import jax.numpy as jnp
import numpy as np
from jax.custom_derivatives import SymbolicZero

from gmath._config import error_if_not
from gmath._numerics import float_dtype, invert_cdf, log1mexp, log1pexp
from gmath._pytree import register_record

__all__ = [
    "NoiseSchedule",
    "ddpm_discrete",
    "edm",
    "learned_vdm",
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


def _invert_log_snr(log_snr_fn, lam, t_min, t_max, frozen_fn=None):
    r"""Generic :math:`t(\lambda)` for a decreasing :math:`\lambda_t` on a bounded domain.

    Safeguarded Newton on :math:`-\lambda_t = -\lambda`, with the implicit-function gradient
    :math:`dt/d\lambda = 1/\lambda'(t)`. ``frozen_fn`` is ``log_snr_fn`` with its parameters
    held constant (``stop_gradient``): the solve runs on it, and the gradient in the parameters
    :math:`\theta` is the implicit one, :math:`dt/d\theta = -(\partial\lambda/\partial\theta)
    /\lambda'(t)`.
    """
    frozen = log_snr_fn if frozen_fn is None else frozen_fn
    neg = lambda t: -frozen(t)
    lo, hi = jnp.full_like(lam, t_min), jnp.full_like(lam, t_max)
    t = invert_cdf(neg, lambda t: _derivative(neg, t), -jax.lax.stop_gradient(lam), lo, hi)
    t = jax.lax.stop_gradient(t)
    slope = jax.lax.stop_gradient(_derivative(frozen, t))
    slope = jnp.where(jnp.isfinite(slope) & (slope != 0), slope, -1.0)
    step = lam - jax.lax.stop_gradient(lam)  # value 0, derivative d lambda
    if frozen_fn is not None:  # minus the parameters' part of d lambda_t (0 where infinite)
        live = log_snr_fn(t)
        step = step - jnp.where(jnp.isfinite(live), live - jax.lax.stop_gradient(live), 0.0)
    return t + step / slope  # value t, gradient (d lambda - d_theta lambda_t) / lambda'(t)


def _is_weak(v) -> bool:
    """Whether ``v`` is weakly typed (a Python number, or an array made from one)."""
    return isinstance(v, (int, float)) or bool(jax.typeof(v).weak_type)


def _like(v, t):
    """A parameter (or a constant derived from parameters) in the float dtype of ``t``.

    A weakly typed value (a Python float hyperparameter) is returned as is: it promotes to the
    dtype of ``t`` at its first operation with ``t``, as a Python constant does. A strongly typed
    one (float32 or float64 leaves, a stacked batch of schedules) is cast, so that every method
    keeps the dtype of ``t``.
    """
    if _is_weak(v):
        return v
    v = jnp.asarray(v)
    return v if v.dtype == t.dtype else v.astype(t.dtype)


def _is_symbolic_zero(x) -> bool:
    return isinstance(x, SymbolicZero)


def _schedule_function(schedule, value: str, dot: str):
    r"""``(params, t) -> schedule.<value>(t)`` with the time derivative ``schedule.<dot>(t)``.

    The custom JVP takes the time derivative from the forward-mode form ``dot`` (exact at the
    ends of the domain, see :func:`_with_derivative`), and the derivative in the parameters by
    forward-mode differentiation of ``value``, for the parameters that carry a tangent only (a
    parameter that is not differentiated contributes nothing, not ``0 * inf``).
    """

    def value_fn(params, t):
        return getattr(schedule._with_params(params), value)(t)

    @jax.custom_jvp
    def fn(params, t):
        return value_fn(params, t)

    def _jvp(primals, tangents):
        (params, t), (params_dot, t_dot) = primals, tangents
        out = value_fn(params, t)
        tangent = jnp.zeros_like(out)
        if not _is_symbolic_zero(t_dot):
            rate = getattr(schedule._with_params(params), dot)(t)
            tangent = tangent + rate * t_dot
        leaves, tree = jax.tree_util.tree_flatten(params)
        dots = jax.tree_util.tree_leaves(params_dot, is_leaf=_is_symbolic_zero)
        live = [i for i, d in enumerate(dots) if not _is_symbolic_zero(d)]
        if live:

            def of(sub):
                full = list(leaves)
                for i, v in zip(live, sub, strict=True):
                    full[i] = v
                return value_fn(jax.tree_util.tree_unflatten(tree, full), t)

            sub_dot = [jnp.asarray(dots[i], jnp.result_type(leaves[i])) for i in live]
            tangent = tangent + jax.jvp(of, ([leaves[i] for i in live],), (sub_dot,))[1]
        return out, tangent

    fn.defjvp(_jvp, symbolic_zeros=True)
    return fn


class _Bound:
    """A law ``law(params, t)`` bound to its parameters: a function of ``t``.

    Inside a schedule whose leaves are ``params`` (``leafy``), it compares equal to every binding
    of the same law, whatever the parameters' values: they are leaves, so equal laws give equal
    tree structures and ``jax.jit`` reuses its trace. Bound into a schedule without leaves (the
    static escape hatch) it is opaque, compared by identity like any closure.
    """

    __slots__ = ("law", "leafy", "params")

    def __init__(self, law, params, leafy=True):
        self.law, self.params, self.leafy = law, params, leafy

    def __call__(self, t):
        return self.law(self.params, t)

    def rebind(self, params):
        return _Bound(self.law, params)

    def detached(self):
        return _Bound(self.law, self.params, leafy=False) if self.leafy else self

    def __eq__(self, other):
        if not (self.leafy and isinstance(other, _Bound) and other.leafy):
            return self is other
        return self.law == other.law

    def __hash__(self):
        return hash((_Bound, self.law)) if self.leafy else id(self)

    def __repr__(self):
        return f"{getattr(self.law, '__name__', self.law)}(params, t)"


class _Composed:
    """``recipe(*parts, t)``: a function derived from a schedule's others (``parts``).

    Equal when the recipe and the parts are equal, so a derived function (e.g. the
    :math:`\\log\\sigma_t` of a variance-preserving schedule) does not make two equal schedules'
    tree structures differ.
    """

    __slots__ = ("parts", "recipe")

    def __init__(self, recipe, *parts):
        self.recipe, self.parts = recipe, parts

    def __call__(self, t):
        return self.recipe(*self.parts, t)

    def rebind(self, params):
        return _Composed(self.recipe, *(_rebind(f, params) for f in self.parts))

    def detached(self):
        return _Composed(self.recipe, *(_detached(f) for f in self.parts))

    def __eq__(self, other):
        if not isinstance(other, _Composed):
            return False
        return self.recipe == other.recipe and self.parts == other.parts

    def __hash__(self):
        return hash((_Composed, self.recipe, self.parts))


def _rebind(f, params):
    return f.rebind(params) if isinstance(f, (_Bound, _Composed)) else f


def _detached(f):
    return f.detached() if isinstance(f, (_Bound, _Composed)) else f


def _vp_log_sigma_of(log_alpha, t):
    return _vp_log_sigma(log_alpha(t))


def _vp_log_snr_of(log_alpha, t):
    return _vp_log_snr(log_alpha(t))


def _log_snr_of(log_alpha, log_sigma, t):
    return 2 * (log_alpha(t) - log_sigma(t))


def _params_of(f):
    """The parameters a (derived) law function is bound to, or None."""
    if isinstance(f, _Bound):
        return f.params if f.leafy else None
    if isinstance(f, _Composed):
        for part in f.parts:
            p = _params_of(part)
            if p is not None:
                return p
    return None


def _t_from_log_snr_of(log_snr, t_min, t_max, lam):
    params = _params_of(log_snr)
    frozen = None
    if params is not None:  # the solve runs with the parameters held constant
        frozen = _rebind(log_snr, jax.tree_util.tree_map(jax.lax.stop_gradient, params))
    return _invert_log_snr(log_snr, lam, t_min, t_max, frozen)


# field(metadata=_STATIC) is gmath._pytree.static_field, spelled out for dataclass linters
_STATIC = {"static": True}


@register_record  # not jax.tree_util.register_dataclass: see gmath._pytree
@dataclasses.dataclass(frozen=True, eq=False)
class NoiseSchedule:
    r"""A diffusion noise schedule :math:`(\alpha_t, \sigma_t)`, keyed on :math:`\lambda_t`.

    Build one with a constructor (:func:`vp_linear`, :func:`vp_cosine`, :func:`sub_vp`,
    :func:`ve`, :func:`edm`, :func:`vdm`, :func:`rectified_flow`, :func:`ddpm_discrete`,
    :func:`rescale_zero_terminal_snr`, :func:`learned_vdm`).

    **A pytree of its hyperparameters.** The law (the functions) and the domain are static;
    the hyperparameters (``beta_min``, ``beta_max``, ``s``, ``sigma_min``, ``gamma_min``, the
    ``betas`` of :func:`ddpm_discrete`, the weights of :func:`learned_vdm`, ...) are the leaves,
    in ``params``. So a jitted function taking a schedule traces once for all the schedules of
    a family (freshly built, equal or not: same tree structure, other leaves); ``jax.grad``
    reaches the hyperparameters (differentiate the schedule itself, or build it inside the
    differentiated function: the constructors accept traced scalars); a stacked batch of
    schedules (``jax.tree_util.tree_map(jnp.stack, ...)``) can be ``jax.vmap``-ed; float32
    hyperparameters stay float32. A schedule with concrete parameters hashes and compares by
    value, so it can also be a static argument. The time domain stays static (Python floats:
    consumers validate time grids against it).

    **Built from functions (escape hatch).** ``NoiseSchedule(name, log_alpha_fn, ...)`` with
    functions of ``t`` and no ``params`` builds any schedule; its functions are static
    closures (compared by identity, so each construction traces anew, and nothing in them is
    differentiable as a leaf). Given ``params=``, the functions are a law taking
    ``(params, t)``: the built-in constructors are written so, with module-level functions. After
    construction the ``*_fn`` attributes are functions of ``t`` (bound to ``params``, and the
    missing ones derived).

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
      params: the hyperparameters, a pytree of scalars or arrays (the leaves), or None for a
        schedule built from functions of ``t``.
      zero_terminal_snr: whether :math:`\alpha_{t_{\max}} = 0` exactly (:math:`\lambda =
        -\infty` at the noise end, as for :func:`vp_cosine`, :func:`rectified_flow` and
        :func:`rescale_zero_terminal_snr`), found at construction from concrete parameters.
        Static: a sampler knows it for a schedule whose parameters are traced (None if the
        schedule was first built from traced parameters).

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

    # the functions (the law) and the domain are static (pytree metadata); params are the leaves
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
    params: Any = None
    zero_terminal_snr: bool | None = dataclasses.field(default=None, metadata=_STATIC)

    def __post_init__(self):
        # Bind the law to the parameters and derive what the defining formulas imply, as
        # functions of t that compare equal between equal schedules (the tree structure holds
        # them; unflattening passes them back and they are bound to the new leaves here).
        params = self.params

        def bind(f):
            if f is None:
                return None
            if params is None:
                return _detached(f)  # a function of t: the static escape hatch
            if isinstance(f, (_Bound, _Composed)):
                return f.rebind(params)
            return _Bound(f, params)  # a law (params, t)

        fields = ("log_alpha_fn", "log_sigma_fn", "log_snr_fn", "t_from_log_snr_fn")
        fields += ("diffusion_squared_fn", "alpha_fn", "sigma_fn", "drift_fn")
        bound = {f: bind(getattr(self, f)) for f in fields}
        log_alpha, log_sigma = bound["log_alpha_fn"], bound["log_sigma_fn"]
        log_snr = bound["log_snr_fn"]
        if log_sigma is None:
            if not self.variance_preserving:
                raise ValueError(f"{self.name}: log_sigma_fn is required if not VP.")
            log_sigma = _Composed(_vp_log_sigma_of, log_alpha)
        if log_snr is None and self.variance_preserving:
            log_snr = _Composed(_vp_log_snr_of, log_alpha)
        elif log_snr is None:
            log_snr = _Composed(_log_snr_of, log_alpha, log_sigma)
        t_from_log_snr, t_min, t_max = bound["t_from_log_snr_fn"], self.t_min, self.t_max
        if t_from_log_snr is None:
            if not (math.isfinite(t_min) and math.isfinite(t_max)):
                raise ValueError(f"{self.name}: t_from_log_snr_fn is required, unbounded domain.")
            t_from_log_snr = _Composed(_t_from_log_snr_of, log_snr, t_min, t_max)
        bound.update(log_sigma_fn=log_sigma, log_snr_fn=log_snr, t_from_log_snr_fn=t_from_log_snr)
        private = ("_log_alpha_f", "_log_sigma_f", "_log_snr_f", "_t_from_log_snr_f")
        private += ("_g2_f", "_alpha_f", "_sigma_f", "_drift_f")
        for field, name in zip(fields, private, strict=True):
            object.__setattr__(self, field, bound[field])
            object.__setattr__(self, name, bound[field])
        if self.zero_terminal_snr is None:
            object.__setattr__(self, "zero_terminal_snr", self._alpha_vanishes_at_t_max())

    def _alpha_vanishes_at_t_max(self) -> bool | None:
        """Whether alpha is exactly 0 at a finite t_max; None if the parameters are traced."""
        if not math.isfinite(self.t_max):
            return False
        if any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(self.params)):
            return None
        with jax.ensure_compile_time_eval():
            return bool(self._alpha_value(jnp.asarray(self.t_max)) == 0)

    def _with_params(self, params) -> NoiseSchedule:
        """The same law with other parameters (same tree structure)."""
        if params is self.params:
            return self
        return dataclasses.replace(self, params=params)

    def _key(self):
        """What equality and hashing compare: the static law and the parameters' values."""
        leaves, tree = jax.tree_util.tree_flatten(self.params)
        if any(isinstance(v, jax.core.Tracer) for v in leaves):
            raise TypeError(
                f"{self.name}: a schedule with traced parameters cannot be hashed or compared "
                "(pass it to jax.jit as a traced argument, not as a static one)."
            )
        values = tuple(
            (np.asarray(v).dtype.str, np.shape(v), np.asarray(v).tobytes()) for v in leaves
        )
        statics = tuple(
            getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "params"
        )
        return (type(self), statics, tree, values)

    def __eq__(self, other) -> bool:
        if not isinstance(other, NoiseSchedule):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def _apply(self, value: str, dot: str, t):
        """``self.<value>(t)`` with the time derivative ``self.<dot>(t)`` (custom JVP)."""
        if self.params is None:
            return _with_derivative(getattr(self, value), getattr(self, dot))(t)
        return _schedule_function(self, value, dot)(self.params, t)

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
        if self._alpha_f is not None:
            return self._alpha_f(t)
        return jnp.exp(self._log_alpha_f(t))

    def _alpha_dot(self, t):
        if self._alpha_f is not None:
            return _derivative(self._alpha_f, t)
        return self._alpha_value(t) * self._drift_value(t)

    def _sigma_value(self, t):
        if self._sigma_f is not None:
            return self._sigma_f(t)
        return jnp.exp(self._log_sigma_f(t))

    def _sigma_dot(self, t):
        if self._sigma_f is not None:
            return _derivative(self._sigma_f, t)
        sigma = self._sigma_value(t)
        if self.variance_preserving:  # sigma^2 = 1 - alpha^2: exact at alpha = 0 and sigma = 0
            return -self._alpha_value(t) * self._alpha_dot(t) / sigma
        return sigma * _derivative(self._log_sigma_f, t)

    def _log_snr_dot(self, t):
        # Where lambda = +-inf (sigma = 0 or alpha = 0) the log form's derivative is 0 * inf or has
        # the wrong sign of zero; there lambda' = 2 (alpha'/alpha - sigma'/sigma) is exact.
        lam = self._log_snr_f(t)
        ratio = 2 * (self._alpha_dot(t) / self._alpha_value(t))
        ratio = ratio - 2 * (self._sigma_dot(t) / self._sigma_value(t))
        return jnp.where(jnp.isfinite(lam), _derivative(self._log_snr_f, t), ratio)

    def _drift_value(self, t):
        if self._drift_f is not None:
            return self._drift_f(t)
        return _derivative(self._log_alpha_f, t)

    def _drift_dot(self, t):
        # f' = (log alpha)'' -> -inf at a zero of alpha (alpha ~ c (t1 - t)^m: f' ~ -m/(t1 - t)^2)
        at_zero = self._log_alpha_f(t) == -jnp.inf  # a true zero, not an underflow of alpha
        return jnp.where(at_zero, -jnp.inf, _derivative(self._drift_value, t))

    def _g2_value(self, t):
        if self._g2_f is not None:
            return self._g2_f(t)
        if self.variance_preserving:
            return -2 * self._drift_value(t)
        sigma_sq = lambda s: jnp.exp(2 * self._log_sigma_f(s))
        return _derivative(sigma_sq, t) - 2 * self._drift_value(t) * sigma_sq(t)

    def _g2_dot(self, t):
        if self._g2_f is None and self.variance_preserving:
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
        return self._apply("_log_alpha_value", "_drift_value", self._time(t))

    def log_sigma(self, t) -> jax.Array:
        r"""Log noise scale :math:`\log\sigma_t` (``-inf`` at the clean end, :math:`\sigma = 0`).

        Examples:
          >>> from gmath.scores import edm
          >>> float(edm().log_sigma(1.0))
          0.0
        """
        return self._apply("_log_sigma_value", "_log_sigma_dot", self._time(t))

    def _log_alpha_value(self, t):
        return self._log_alpha_f(t)

    def _log_sigma_value(self, t):
        return self._log_sigma_f(t)

    def _log_sigma_dot(self, t):
        return self._sigma_dot(t) / self._sigma_value(t)

    def _log_snr_value(self, t):
        return self._log_snr_f(t)

    def alpha(self, t) -> jax.Array:
        r"""Signal scale :math:`\alpha_t` (exact zeros where the schedule has them).

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().alpha(0.25))
          0.75
        """
        return self._apply("_alpha_value", "_alpha_dot", self._time(t))

    def sigma(self, t) -> jax.Array:
        r"""Noise scale :math:`\sigma_t` (the standard deviation of :math:`x_t` given :math:`x_0`).

        Examples:
          >>> from gmath.scores import rectified_flow
          >>> float(rectified_flow().sigma(0.25))
          0.25
        """
        return self._apply("_sigma_value", "_sigma_dot", self._time(t))

    def log_snr(self, t) -> jax.Array:
        r"""Log signal-to-noise ratio :math:`\lambda_t = \log(\alpha_t^2/\sigma_t^2)`.

        Decreasing in :math:`t`; :math:`+\infty` at the clean end.

        Examples:
          >>> from gmath.scores import vdm
          >>> round(float(vdm().log_snr(0.0)), 10)  # -gamma_min
          13.3
        """
        return self._apply("_log_snr_value", "_log_snr_dot", self._time(t))

    def snr(self, t) -> jax.Array:
        r"""Signal-to-noise ratio :math:`\mathrm{SNR}(t) = e^{\lambda_t} = \alpha_t^2/\sigma_t^2`.

        Examples:
          >>> from gmath.scores import edm
          >>> round(float(edm().snr(2.0)), 12)  # 1 / sigma^2
          0.25
        """
        return self._apply("_snr_value", "_snr_dot", self._time(t))

    def _snr_value(self, t):
        return jnp.exp(self._log_snr_f(t))

    def _snr_dot(self, t):  # 0 where lambda = -inf (alpha has a simple zero: SNR ~ (t1 - t)^2)
        lam = self._log_snr_f(t)
        return jnp.where(lam == -jnp.inf, 0.0, jnp.exp(lam) * self._log_snr_dot(t))

    def sigma_edm(self, t) -> jax.Array:
        r"""EDM noise level :math:`\sigma_t/\alpha_t = e^{-\lambda_t/2}` (Karras et al. 2022).

        The noise level of the rescaled state :math:`x_t/\alpha_t = x_0 + (\sigma_t/\alpha_t)
        \varepsilon` [@karras2022edm].

        Examples:
          >>> from gmath.scores import vp_linear
          >>> round(float(vp_linear().sigma_edm(0.5) ** -2 - vp_linear().snr(0.5)), 8)
          0.0
        """
        return self._apply("_sigma_edm_value", "_sigma_edm_dot", self._time(t))

    def _sigma_edm_value(self, t):
        return jnp.exp(-0.5 * self._log_snr_f(t))

    def _sigma_edm_dot(
        self, t
    ):  # (sigma / alpha)' = sigma' / alpha where sigma = 0 (lambda = +inf)
        lam = self._log_snr_f(t)
        at_zero = self._sigma_dot(t) / self._alpha_value(t)
        return jnp.where(lam == jnp.inf, at_zero, -0.5 * self._log_snr_dot(t) * jnp.exp(-0.5 * lam))

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
        t = cast(Callable, self.t_from_log_snr_fn)(lam)  # bound in __post_init__
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
        return self._apply("_drift_value", "_drift_dot", self._time(t))

    def diffusion_squared(self, t) -> jax.Array:
        r"""Squared diffusion coefficient :math:`g(t)^2 = \tfrac{d\sigma_t^2}{dt} - 2 f(t)\sigma_t^2 = -\sigma_t^2\lambda'(t)`.

        For a variance-preserving schedule this is :math:`-2f(t) = \beta(t)`.

        Examples:
          >>> from gmath.scores import vp_linear
          >>> round(float(vp_linear().diffusion_squared(1.0)), 10)  # beta_max
          20.0
        """
        return self._apply("_g2_value", "_g2_dot", self._time(t))

    def diffusion(self, t) -> jax.Array:
        r"""Diffusion coefficient :math:`g(t) = \sqrt{g(t)^2}` (see :meth:`diffusion_squared`).

        Examples:
          >>> from gmath.scores import edm
          >>> round(float(edm().diffusion(2.0)), 12)  # sqrt(2 t)
          2.0
        """
        return self._apply("_diffusion_value", "_diffusion_dot", self._time(t))

    def _diffusion_value(self, t):
        return jnp.sqrt(self._g2_value(t))

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
        return self._apply("_sigma_dot", "_sigma_ddot", self._time(t))

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
    """A schedule hyperparameter as a pytree leaf.

    Python numbers and float64 values become Python floats (weakly typed: they take the dtype of
    ``t``, as constants do); a float32 (or other non-float64) NumPy or JAX scalar keeps its dtype;
    a traced scalar (a schedule built inside ``jax.grad``, ``jax.vmap`` or ``jax.jit``) is kept.
    """
    if isinstance(v, jax.core.Tracer):
        if np.ndim(v) != 0 or not jnp.issubdtype(v.dtype, jnp.floating):
            raise TypeError(f"{owner}: {name} must be a real scalar, got {v!r}.")
        return v
    try:
        out = float(v)
    except (TypeError, ValueError):
        raise TypeError(f"{owner}: {name} must be a real number, got {v!r}.") from None
    if np.ndim(v) != 0 or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{owner}: {name} must be a real scalar, got {v!r}.")
    dtype = getattr(v, "dtype", None)
    if dtype is not None and jnp.issubdtype(dtype, jnp.floating) and dtype != np.float64:
        return jnp.asarray(v)
    return out


def _concrete(*values):
    """The values as Python floats, or None if any is traced."""
    if any(isinstance(v, jax.core.Tracer) for v in values):
        return None
    return [float(v) for v in values]


def _traced_check(owner, ok, message, params):
    """Traced hyperparameters: NaN parameters where ``ok`` fails (checks mode raises)."""
    error_if_not(ok, f"{owner}: {message}")
    return jax.tree_util.tree_map(lambda v: jnp.where(ok, v, jnp.nan), params)


def _check_positive(owner, **values):
    out = []
    for name, v in values.items():
        v = _hyperparameter(owner, name, v)
        c = _concrete(v)
        if c is not None and not (math.isfinite(c[0]) and c[0] > 0):
            raise ValueError(f"{owner}: {name} must be a positive finite number, got {c[0]!r}.")
        out.append(v)
    return out


def _one_minus_exp(x):
    r""":math:`1 - e^{-x}` for :math:`x \ge 0`, value and derivative accurate at every x.

    ``-expm1(-x)`` below :math:`\log 2`, ``1 - exp(-x)`` above, where JAX's derivative of expm1
    (``expm1 + 1``) would lose :math:`e^{-x}` to cancellation.
    """
    small = x < math.log(2)
    return jnp.where(small, -jnp.expm1(-jnp.where(small, x, 0.0)), 1 - jnp.exp(-x))


def _log(x):
    """``math.log`` of a Python float (exactly as before), ``jnp.log`` of an array."""
    return math.log(x) if isinstance(x, float) else jnp.log(x)


# ---------------------------------------------------------------------- laws
# Each law is module-level functions of (params, t): equal schedules share them, so their tree
# structures are equal and a jitted function traces once for all of them. Constants derived from
# the parameters are computed in the parameters' dtype and then brought to t's (_like).


def _linear_beta(owner, beta_min, beta_max):
    r"""The parameters of a linear :math:`\beta(t)`, checked."""
    beta_min, beta_max = _check_positive(owner, beta_min=beta_min, beta_max=beta_max)
    params = {"beta_min": beta_min, "beta_max": beta_max}
    c = _concrete(beta_min, beta_max)
    if c is None:
        ok = (beta_min > 0) & (beta_max >= beta_min) & jnp.isfinite(beta_max)
        return _traced_check(owner, ok, "need 0 < beta_min <= beta_max < inf.", params)
    if c[1] < c[0]:
        raise ValueError(f"{owner}: need beta_min <= beta_max, got {c[0]}, {c[1]}.")
    return params


def _affine(p, low, high, t):
    """``(p[low], p[high] - p[low])`` in the dtype of ``t``: the intercept and slope of a
    linear function of time on [0, 1]."""
    start = p[low]
    return _like(start, t), _like(p[high] - start, t)


def _linear(p, t):
    return _affine(p, "beta_min", "beta_max", t)


def _linear_beta_value(p, t):
    beta_min, slope = _linear(p, t)
    return beta_min + slope * t


def _linear_integral(p, t):
    beta_min, slope = _linear(p, t)
    return beta_min * t + 0.5 * slope * t * t


def _linear_integral_inverse(p, b):  # the positive root of B(t) = b, without cancellation
    beta_min, slope = _linear(p, b)
    return 2 * b / (beta_min + jnp.sqrt(beta_min * beta_min + 2 * slope * b))


def _vp_linear_log_alpha(p, t):
    return -0.5 * _linear_integral(p, t)


def _vp_linear_t_from_log_snr(p, lam):
    return _linear_integral_inverse(p, log1pexp(-lam))


def _vp_linear_sigma(p, t):
    return jnp.sqrt(_one_minus_exp(_linear_integral(p, t)))


def _sub_vp_log_sigma(p, t):
    return log1mexp(-_linear_integral(p, t))


def _sub_vp_t_from_log_snr(p, lam):
    # u = e^{-B} = 1 / larger root; written in v = e^{-lambda} (lambda >= 0) or e^{lambda}.
    pos = lam >= 0
    v = jnp.exp(-jnp.where(pos, lam, 0.0))
    root = jnp.sqrt(v * (4 + v))
    b_pos = -jnp.log1p(-(v + root) / (2 + v + root))
    e = jnp.exp(jnp.where(pos, 0.0, lam))
    b_neg = -(jnp.log(2 * e) - jnp.log(2 * e + 1 + jnp.sqrt(4 * e + 1)))
    return _linear_integral_inverse(p, jnp.where(pos, b_pos, b_neg))


def _sub_vp_g2(p, t):
    return _linear_beta_value(p, t) * -jnp.expm1(-2 * _linear_integral(p, t))


def _sub_vp_sigma(p, t):
    return _one_minus_exp(_linear_integral(p, t))


_HALF_PI = 0.5 * math.pi


def _cosine(p, t):
    """(s, k, c0, s0, log c0) of the cosine schedule, in t's dtype."""
    s = p["s"]
    k = _HALF_PI / (1 + s)  # phi(t) = (t + s) k, psi = pi/2 - phi = (1 - t) k
    phi0 = s / (1 + s) * _HALF_PI
    if isinstance(phi0, float):
        c0, s0 = math.cos(phi0), math.sin(phi0)
    else:
        c0, s0 = jnp.cos(phi0), jnp.sin(phi0)
    return _like(s, t), _like(k, t), _like(c0, t), _like(s0, t), _like(_log(c0), t)


# Each quantity in phi near t = 0 and in psi near t = 1, where that angle is exact (pi/2 is
# not: cos of the rounded pi/2 is 6e-17); the unused branch gets a harmless time.
def _halves(t):
    low = t <= 0.5
    return low, jnp.where(low, t, 0.0), jnp.where(low, 1.0, t)


def _cosine_alpha(p, t):
    s, k, c0, _, _ = _cosine(p, t)
    low, t_lo, t_hi = _halves(t)
    return jnp.where(low, jnp.cos((t_lo + s) * k), jnp.sin((1 - t_hi) * k)) / c0


def _cosine_log_alpha(p, t):
    return jnp.log(_cosine_alpha(p, t))


def _cosine_sigma_scaled(p, t):
    # c0 sigma = sqrt(cos^2 phi0 - cos^2 phi) = sqrt(sin(phi - phi0) sin(phi + phi0)), with
    # phi - phi0 = t k exact for tiny t (for s = 0 simply sin(t k)); near t = 1,
    # sqrt(c0^2 - sin^2 psi), whose derivative -k sin(psi) cos(psi) / sigma is 0 at t = 1.
    s, k, c0, _, _ = _cosine(p, t)
    low, t_lo, t_hi = _halves(t)
    a = jnp.sin(t_lo * k)
    if isinstance(s, float) and s == 0:
        near_zero = a
    else:
        near_zero = jnp.sqrt(a) * jnp.sqrt(jnp.sin((t_lo + 2 * s) * k))
        if not isinstance(s, float):  # a traced s may be 0
            near_zero = jnp.where(s == 0, a, near_zero)
    sin_psi = jnp.sin((1 - t_hi) * k)
    return jnp.where(low, near_zero, jnp.sqrt(c0 * c0 - sin_psi * sin_psi))


def _cosine_sigma(p, t):
    return _cosine_sigma_scaled(p, t) / _cosine(p, t)[2]


def _cosine_log_sigma(p, t):
    return jnp.log(_cosine_sigma_scaled(p, t)) - _cosine(p, t)[4]


def _cosine_log_snr(p, t):
    log_c0 = _cosine(p, t)[4]
    return 2 * (jnp.log(_cosine_alpha(p, t)) - jnp.log(_cosine_sigma_scaled(p, t)) + log_c0)


def _cosine_drift(p, t):
    # f = -k tan(phi) = -k / tan(psi): the first exact at t = 0 (0 when s = 0), the second
    # at t = 1 (-inf)
    s, k, _, _, _ = _cosine(p, t)
    low, t_lo, t_hi = _halves(t)
    return jnp.where(low, -k * jnp.tan((t_lo + s) * k), -k / jnp.tan((1 - t_hi) * k))


def _cosine_t_from_log_snr(p, lam):
    s, _, c0, s0, _ = _cosine(p, lam)
    alpha = jnp.exp(_vp_log_alpha_from_log_snr(lam))
    sin_phi = jnp.sqrt(s0 * s0 + c0 * c0 * jax.nn.sigmoid(-lam))
    phi = jnp.arctan2(sin_phi, alpha * c0)
    return phi / _HALF_PI * (1 + s) - s


def _ve(p, t):
    """(sigma_min, log(sigma_max / sigma_min), log sigma_min) in t's dtype."""
    sigma_min = p["sigma_min"]
    log_ratio, log_min = _log(p["sigma_max"] / sigma_min), _log(sigma_min)
    return _like(sigma_min, t), _like(log_ratio, t), _like(log_min, t)


def _zeros(p, t):
    return jnp.zeros_like(t)


def _ve_log_sigma(p, t):
    _, log_ratio, log_min = _ve(p, t)
    return log_min + 0.5 * jnp.log(jnp.expm1(2 * log_ratio * t))


def _ve_sigma(p, t):  # sqrt form: sigma' = +inf at t = 0 (not exp(-inf) * inf)
    sigma_min, log_ratio, _ = _ve(p, t)
    return sigma_min * jnp.sqrt(jnp.expm1(2 * log_ratio * t))


def _ve_t_from_log_snr(p, lam):
    _, log_ratio, log_min = _ve(p, lam)
    return jnp.log1p(jnp.exp(-lam - 2 * log_min)) / (2 * log_ratio)


def _ve_g2(p, t):
    _, log_ratio, log_min = _ve(p, t)
    return 2 * log_ratio * jnp.exp(2 * (log_min + log_ratio * t))


def _edm_t_from_log_snr(lam):
    return jnp.exp(-0.5 * lam)


def _edm_g2(t):
    return 2 * t


def _identity(t):
    return t


def _vdm(p, t):
    return _affine(p, "gamma_min", "gamma_max", t)


def _vdm_gamma(p, t):
    gamma_min, slope = _vdm(p, t)
    return gamma_min + slope * t


def _vdm_log_alpha(p, t):
    return -0.5 * log1pexp(_vdm_gamma(p, t))


def _vdm_log_sigma(p, t):
    return -0.5 * log1pexp(-_vdm_gamma(p, t))


def _vdm_log_snr(p, t):
    return -_vdm_gamma(p, t)


def _vdm_t_from_log_snr(p, lam):
    gamma_min, slope = _vdm(p, lam)
    return (-lam - gamma_min) / slope


def _vdm_g2(p, t):
    _, slope = _vdm(p, t)
    return slope * jax.nn.sigmoid(_vdm_gamma(p, t))


def _rf_log_alpha(t):
    return jnp.log1p(-t)


def _rf_t_from_log_snr(lam):
    return jax.nn.sigmoid(-0.5 * lam)


def _rf_g2(t):
    return 2 * t / (1 - t)


def _rf_alpha(t):
    return 1 - t


def _ddpm_knots(p):
    """Knot times, :math:`\\log\\bar\\alpha` at the knots and the slopes of log alpha between."""
    b = p["betas"]
    xp = jnp if isinstance(b, jax.core.Tracer) else np  # concrete: NumPy, as built
    b = b if xp is jnp else np.asarray(b)
    n = b.shape[0]
    knots_t = np.arange(n + 1, dtype=np.float64) / n
    knots_log_abar = xp.concatenate([xp.zeros(1, b.dtype), xp.cumsum(xp.log1p(-b))])
    # slopes of log alpha per interval, in the betas' dtype before any cast: a float32 difference
    # of two neighbouring knot values would lose digits to cancellation
    slopes = 0.5 * xp.diff(knots_log_abar) / np.diff(knots_t).astype(b.dtype)
    return knots_t, knots_log_abar, slopes


def _ddpm_log_alpha(p, t):
    knots_t, knots_log_abar, slopes = _ddpm_knots(p)
    n = knots_t.size - 1
    kt = jnp.asarray(knots_t, t.dtype)
    i = jnp.clip(jnp.searchsorted(kt, t, side="right") - 1, 0, n - 1)
    start = jnp.asarray(0.5 * knots_log_abar, t.dtype)[i]
    return start + jnp.asarray(slopes, t.dtype)[i] * (t - kt[i])


def _ddpm_t_from_log_snr(p, lam):
    knots_t, knots_log_abar, _ = _ddpm_knots(p)
    log_abar = -log1pexp(-lam)
    return jnp.interp(
        log_abar, knots_log_abar[::-1].astype(lam.dtype), knots_t[::-1].astype(lam.dtype)
    )


def _end_motion(base, t_end, like):
    """0 with the derivative of the base's alpha at ``t_end`` in its parameters."""
    e = base._alpha_value(jnp.asarray(t_end, jnp.result_type(like)))
    return e - jax.lax.stop_gradient(e)


def _zt(p, t):
    """The base schedule and the rescaling constants (in t's dtype) of zero terminal SNR."""
    base, a0, a_end = p["base"], p["a0"], p["a_end"]
    if any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(base.params)):
        # the ends move with the base's parameters (values unchanged: a traced base is being
        # transformed, perhaps differentiated)
        a0 = a0 + _end_motion(base, base.t_min, a0)
        a_end = a_end + _end_motion(base, base.t_max, a_end)
    c = {
        "log_a0": _log(a0),
        "factor": a0 / (a0 - a_end),
        "log_a_end": _log(a_end),
        "tail_scale": a_end / (a0 - a_end),
        "log_tail_scale": _log(a_end / (a0 - a_end)),
        "scale_back": (a0 - a_end) / a0,
        "a_end": a_end,
    }
    return base, {k: _like(v, t) for k, v in c.items()}


def _zt_ratio(p, t):
    # alpha' = 1 + (alpha - a0) / (a0 - aT): log1p of it is accurate where alpha' -> 1; exactly
    # alpha' = 0 at t_max (clamped against rounding below -1).
    base, c = _zt(p, t)
    r = c["factor"] * jnp.expm1(base._log_alpha_f(t) - c["log_a0"])
    # value -1 (keeping the derivative of r) at the end point and below it
    return jnp.where((t >= base.t_max) | (r < -1), r - jax.lax.stop_gradient(r) - 1, r)


def _zt_delta(p, t):
    # log alpha_t - log alpha_T >= 0: directly, or -(T - t) f(midpoint) near T, where the
    # difference of the two logarithms would cancel (T - t is exact there, Sterbenz)
    base, c = _zt(p, t)
    t_end = base.t_max
    near = 2.0**-10 * (t_end - base.t_min)  # the midpoint rule within this distance of T
    h = jnp.where(t > t_end, 0.0, t_end - t)  # derivative -1 at T (not max's 1/2)
    small = h < near
    mid = jnp.where(small, 0.5 * (t + t_end), t_end)
    direct = base._log_alpha_f(jnp.where(small, base.t_min, t)) - c["log_a_end"]
    return jnp.where(small, -h * base._drift_value(mid), jnp.maximum(direct, 0.0))


def _zt_tail(p, t):
    # alpha' = (alpha_t - alpha_T) / (a0 - aT) = aT expm1(delta) / (a0 - aT): no cancellation
    return _zt(p, t)[1]["tail_scale"] * jnp.expm1(_zt_delta(p, t))


def _zt_head(r):
    return r > -0.5  # alpha' > 1/2: 1 + r is accurate


def _zt_alpha(p, t):
    r = _zt_ratio(p, t)
    return jnp.where(_zt_head(r), 1 + r, _zt_tail(p, t))


def _zt_log_alpha(p, t):
    r = _zt_ratio(p, t)
    safe_r = jnp.where(_zt_head(r), r, 0.0)  # finite gradients in the unused branch
    log_tail = _zt(p, t)[1]["log_tail_scale"] + jnp.log(jnp.expm1(_zt_delta(p, t)))
    return jnp.where(_zt_head(r), jnp.log1p(safe_r), log_tail)


def _zt_sigma_sq(p, t):
    # 1 - alpha'^2 = -r (2 + r), accurate near r = 0; 1 - alpha'^2 near alpha' = 0, where its
    # derivative -2 alpha' alpha'' is exactly 0 at T (+ 0.0 turns -0.0 into +0.0 at t = 0).
    r = _zt_ratio(p, t)
    a = _zt_alpha(p, t)
    return jnp.where(_zt_head(r), -r * (2 + r), 1 - a * a) + 0.0


def _zt_log_sigma(p, t):
    return 0.5 * jnp.log(_zt_sigma_sq(p, t))


def _zt_sigma(p, t):
    return jnp.sqrt(_zt_sigma_sq(p, t))


def _zt_log_snr(p, t):
    return 2 * _zt_log_alpha(p, t) - jnp.log(_zt_sigma_sq(p, t))


def _zt_t_from_log_snr(p, lam):
    base, c = _zt(p, lam)
    alpha_new = jnp.exp(_vp_log_alpha_from_log_snr(lam))
    alpha = alpha_new * c["scale_back"] + c["a_end"]
    return base._t_from_log_snr_f(_vp_log_snr(jnp.log(alpha)))


def _learned_gamma_hat(w, t):
    r"""The unnormalised monotone network :math:`\hat\gamma(t) = w_1 t + \sum_k w_{3k}
    \operatorname{sigmoid}(w_{2k} t + b_{2k})` with positive weights (softplus)."""
    w1 = _like(jax.nn.softplus(w["w1"]), t)
    w2 = _like(jax.nn.softplus(w["w2"]), t)
    b2 = _like(w["b2"], t)
    w3 = _like(jax.nn.softplus(w["w3"]), t)
    hidden = jax.nn.sigmoid(t[..., None] * w2 + b2)
    return w1 * t + jnp.sum(w3 * hidden, axis=-1)


def _learned_gamma(p, t):
    w = p["weights"]
    gamma_min, gamma_max = _like(p["gamma_min"], t), _like(p["gamma_max"], t)
    delta = _like(p["gamma_max"] - p["gamma_min"], t)
    g = _learned_gamma_hat(w, t)
    g0 = _learned_gamma_hat(w, jnp.zeros((), t.dtype))
    g1 = _learned_gamma_hat(w, jnp.ones((), t.dtype))
    span = g1 - g0
    # the fraction from either end: exactly 0 at t = 0 and at t = 1, so gamma hits both ends
    up, down = (g - g0) / span, (g1 - g) / span
    # exactly 0 at the ends (a batched evaluation may round the sum of the hidden units other
    # than the scalar one): subtract the rounding, keeping the derivative
    up = up - jax.lax.stop_gradient(jnp.where(t <= 0, up, 0.0))
    down = down - jax.lax.stop_gradient(jnp.where(t >= 1, down, 0.0))
    return jnp.where(up <= 0.5, gamma_min + delta * up, gamma_max - delta * down)


def _learned_log_alpha(p, t):
    return -0.5 * log1pexp(_learned_gamma(p, t))


def _learned_log_sigma(p, t):
    return -0.5 * log1pexp(-_learned_gamma(p, t))


def _learned_log_snr(p, t):
    return -_learned_gamma(p, t)


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
    return NoiseSchedule(
        name="vp_linear",
        log_alpha_fn=_vp_linear_log_alpha,
        t_from_log_snr_fn=_vp_linear_t_from_log_snr,
        diffusion_squared_fn=_linear_beta_value,
        variance_preserving=True,
        sigma_fn=_vp_linear_sigma,
        params=_linear_beta("vp_linear", beta_min, beta_max),
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
    return NoiseSchedule(
        name="sub_vp",
        log_alpha_fn=_vp_linear_log_alpha,
        log_sigma_fn=_sub_vp_log_sigma,
        t_from_log_snr_fn=_sub_vp_t_from_log_snr,
        diffusion_squared_fn=_sub_vp_g2,
        sigma_fn=_sub_vp_sigma,
        params=_linear_beta("sub_vp", beta_min, beta_max),
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
    params = {"s": s}
    c = _concrete(s)
    if c is None:
        params = _traced_check("vp_cosine", (s >= 0) & (s < 1), "s must be in [0, 1).", params)
    elif not 0 <= c[0] < 1:
        raise ValueError(f"vp_cosine: s must be in [0, 1), got {c[0]!r}.")
    return NoiseSchedule(
        name="vp_cosine",
        log_alpha_fn=_cosine_log_alpha,
        log_sigma_fn=_cosine_log_sigma,
        log_snr_fn=_cosine_log_snr,
        t_from_log_snr_fn=_cosine_t_from_log_snr,
        variance_preserving=True,
        alpha_fn=_cosine_alpha,
        sigma_fn=_cosine_sigma,
        drift_fn=_cosine_drift,
        params=params,
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
    params = {"sigma_min": sigma_min, "sigma_max": sigma_max}
    c = _concrete(sigma_min, sigma_max)
    if c is None:
        ok = (sigma_min > 0) & (sigma_max > sigma_min) & jnp.isfinite(sigma_max)
        params = _traced_check("ve", ok, "need 0 < sigma_min < sigma_max < inf.", params)
    elif not c[1] > c[0]:
        raise ValueError(f"ve: need sigma_min < sigma_max, got {c[0]}, {c[1]}.")
    return NoiseSchedule(
        name="ve",
        log_alpha_fn=_zeros,
        log_sigma_fn=_ve_log_sigma,
        t_from_log_snr_fn=_ve_t_from_log_snr,
        diffusion_squared_fn=_ve_g2,
        sigma_fn=_ve_sigma,
        params=params,
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
        t_from_log_snr_fn=_edm_t_from_log_snr,
        diffusion_squared_fn=_edm_g2,
        t_max=math.inf,
        alpha_fn=jnp.ones_like,
        sigma_fn=_identity,
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
    params = {"gamma_min": gamma_min, "gamma_max": gamma_max}
    c = _concrete(gamma_min, gamma_max)
    if c is None:
        ok = jnp.isfinite(gamma_min) & jnp.isfinite(gamma_max) & (gamma_min < gamma_max)
        params = _traced_check("vdm", ok, "need finite gamma_min < gamma_max.", params)
    elif not (math.isfinite(c[0]) and math.isfinite(c[1]) and c[0] < c[1]):
        raise ValueError(f"vdm: need finite gamma_min < gamma_max, got {c[0]}, {c[1]}.")
    return NoiseSchedule(
        name="vdm",
        log_alpha_fn=_vdm_log_alpha,
        log_sigma_fn=_vdm_log_sigma,
        log_snr_fn=_vdm_log_snr,
        t_from_log_snr_fn=_vdm_t_from_log_snr,
        diffusion_squared_fn=_vdm_g2,
        variance_preserving=True,
        params=params,
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
        log_alpha_fn=_rf_log_alpha,
        log_sigma_fn=jnp.log,
        t_from_log_snr_fn=_rf_t_from_log_snr,
        diffusion_squared_fn=_rf_g2,
        alpha_fn=_rf_alpha,
        sigma_fn=_identity,
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
    b = np.asarray(betas)
    if not (b.dtype.kind == "f" and b.dtype != np.float64 and b.dtype.itemsize >= 4):
        b = b.astype(np.float64)  # float32 betas stay float32
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
    b = np.minimum(b, np.asarray(max_beta, b.dtype))
    return NoiseSchedule(
        name="ddpm_discrete",
        log_alpha_fn=_ddpm_log_alpha,
        t_from_log_snr_fn=_ddpm_t_from_log_snr,
        variance_preserving=True,
        clipped=clipped,
        params={"betas": b},
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
    return NoiseSchedule(
        name=name,
        log_alpha_fn=_zt_log_alpha,
        log_sigma_fn=_zt_log_sigma,
        log_snr_fn=_zt_log_snr,
        t_from_log_snr_fn=_zt_t_from_log_snr,
        t_min=schedule.t_min,
        t_max=schedule.t_max,
        variance_preserving=True,
        alpha_fn=_zt_alpha,
        sigma_fn=_zt_sigma,
        params={"base": schedule, "a0": a0, "a_end": a_end},
    )


def learned_vdm(weights, *, gamma_min=-13.3, gamma_max=5.0) -> NoiseSchedule:
    r"""A learned variance-preserving schedule: :math:`\gamma(t) = -\lambda_t` a monotone network.

    The monotone network of Kingma et al. (2021, appendix), with positive weights
    (:math:`\operatorname{softplus}` of the free ones) and sigmoid hidden units,

    .. math::
        \hat\gamma(t) = w_1 t + \sum_k w_{3k}\,\operatorname{sigmoid}(w_{2k} t + b_{2k}),
        \qquad w_1, w_{2k}, w_{3k} > 0,

    is increasing in :math:`t`; normalised to the ends,

    .. math::
        \gamma(t) = \gamma_{\min} + (\gamma_{\max} - \gamma_{\min})
        \frac{\hat\gamma(t) - \hat\gamma(0)}{\hat\gamma(1) - \hat\gamma(0)},

    it is increasing for *any* weights and hits :math:`\gamma(0) = \gamma_{\min}` and
    :math:`\gamma(1) = \gamma_{\max}` exactly (past the midpoint of the fraction it is evaluated
    from the upper end, :math:`\gamma_{\max} - (\gamma_{\max} - \gamma_{\min})(\hat\gamma(1) -
    \hat\gamma(t))/(\hat\gamma(1) - \hat\gamma(0))`). As in :func:`vdm`,
    :math:`\alpha_t^2 = \operatorname{sigmoid}(-\gamma)`, :math:`\sigma_t^2 =
    \operatorname{sigmoid}(\gamma)`; :math:`f` and :math:`g^2 = \sigma_t^2\gamma'(t)` come from
    forward-mode derivatives, and :math:`t(\lambda)` from a safeguarded Newton solve (with the
    implicit-function gradient, in :math:`\lambda` and in the weights).

    The weights and the ends are the schedule's leaves: differentiate a loss with respect to the
    schedule (``jax.grad(loss)(schedule)``) or build it inside the differentiated function
    (``jax.grad(lambda w: loss(learned_vdm(w)))(weights)``). Kingma et al. learn :math:`\gamma`
    by minimising the variance of the diffusion loss estimator; see the tutorial
    ``docs/tutorials/learned_schedule.py``.

    Args:
      weights: a mapping with the unconstrained weights ``"w1"`` (scalar), ``"w2"``, ``"b2"``,
        ``"w3"`` (each of shape ``[K]``, ``K >= 1`` hidden units), real arrays (e.g. drawn from
        a normal law: equal hidden units stay equal under gradient descent).
      gamma_min: :math:`\gamma(0)` (the log-SNR at the clean end is :math:`-\gamma_{\min}`).
      gamma_max: :math:`\gamma(1) > \gamma_{\min}`.

    Returns:
      A variance-preserving :class:`NoiseSchedule` on ``[0, 1]``.

    Raises:
      ValueError: if the shapes are wrong, or concrete ends are not finite with
        ``gamma_min < gamma_max`` (traced ends: NaN, or an error in checks mode).

    References:
      Kingma, Salimans, Poole, Ho (2021). Variational diffusion models. NeurIPS
      [@kingma2021vdm].

    Examples:
      >>> import jax.numpy as jnp
      >>> w = {"w1": 0.0, "w2": jnp.array([1.0, 2.0]), "b2": jnp.array([-1.0, 1.0]),
      ...      "w3": jnp.array([0.5, -0.5])}
      >>> s = learned_vdm(w, gamma_min=-10.0, gamma_max=6.0)
      >>> float(s.log_snr(0.0)), float(s.log_snr(1.0))
      (10.0, -6.0)
    """
    try:
        keys = set(weights)
    except TypeError:
        keys = set()
    if keys != {"w1", "w2", "b2", "w3"}:
        raise ValueError(
            "learned_vdm: weights must be a mapping with the keys 'w1', 'w2', 'b2', 'w3'."
        )
    w = {k: _weight(weights[k]) for k in ("w1", "w2", "b2", "w3")}
    if np.ndim(w["w1"]) != 0 or np.ndim(w["w2"]) != 1 or np.shape(w["w2"])[0] < 1:
        raise ValueError(
            f"learned_vdm: need a scalar w1 and 1-D w2 with K >= 1 entries, got shapes "
            f"{np.shape(w['w1'])} and {np.shape(w['w2'])}."
        )
    if not np.shape(w["w2"]) == np.shape(w["b2"]) == np.shape(w["w3"]):
        raise ValueError(
            f"learned_vdm: w2, b2, w3 must have equal shapes, got {np.shape(w['w2'])}, "
            f"{np.shape(w['b2'])}, {np.shape(w['w3'])}."
        )
    gamma_min = _hyperparameter("learned_vdm", "gamma_min", gamma_min)
    gamma_max = _hyperparameter("learned_vdm", "gamma_max", gamma_max)
    params = {"gamma_min": gamma_min, "gamma_max": gamma_max, "weights": w}
    c = _concrete(gamma_min, gamma_max)
    if c is None:
        ok = jnp.isfinite(gamma_min) & jnp.isfinite(gamma_max) & (gamma_min < gamma_max)
        params = _traced_check("learned_vdm", ok, "need finite gamma_min < gamma_max.", params)
    elif not (math.isfinite(c[0]) and math.isfinite(c[1]) and c[0] < c[1]):
        raise ValueError(f"learned_vdm: need finite gamma_min < gamma_max, got {c[0]}, {c[1]}.")
    return NoiseSchedule(
        name="learned_vdm",
        log_alpha_fn=_learned_log_alpha,
        log_sigma_fn=_learned_log_sigma,
        log_snr_fn=_learned_log_snr,
        variance_preserving=True,
        params=params,
    )


def _weight(v):
    """A weight of :func:`learned_vdm` as an array of its float dtype (default float otherwise)."""
    v = jnp.asarray(v)
    return v if jnp.issubdtype(v.dtype, jnp.floating) else v.astype(float_dtype(v))
