r"""The probability-flow ODE kernel (:func:`~gmath.scores.probability_flow_sample`): one Euler,
Heun or RK4 step of an ODE :math:`\dot x = v(x, t)`."""

from __future__ import annotations

from collections.abc import Callable

import jax

from gmath.scores._predictions import _check_kind, _column, _model_score
from gmath.scores._sampler_driver import SamplerKernel, SamplerState
from gmath.scores._schedules import NoiseSchedule

__all__ = ["probability_flow_kernel"]

ODE_METHODS = ("euler", "heun", "rk4")


def _add(a, b, c):
    return jax.tree_util.tree_map(lambda u, v: u + c * v, a, b)


def ode_step(field, method, state, t0, t1):
    """One step of ``method`` for ``dstate/dt = field(state, t)`` (``state`` any pytree)."""
    h = t1 - t0
    k1 = field(state, t0)
    if method == "euler":
        return _add(state, k1, h)
    if method == "heun":
        k2 = field(_add(state, k1, h), t1)
        return jax.tree_util.tree_map(lambda u, a, b: u + 0.5 * h * (a + b), state, k1, k2)
    tm = t0 + 0.5 * h
    k2 = field(_add(state, k1, 0.5 * h), tm)
    k3 = field(_add(state, k2, 0.5 * h), tm)
    k4 = field(_add(state, k3, h), t1)
    return jax.tree_util.tree_map(
        lambda u, a, b, c, d: u + h / 6 * (a + 2 * b + 2 * c + d), state, k1, k2, k3, k4
    )


def ode_kernel(field: Callable, method: str) -> SamplerKernel:
    """The deterministic kernel of one ``method`` step of ``dx/dt = field(x, t)``."""
    return SamplerKernel(
        SamplerState,
        lambda key, state, t0, t1: SamplerState(ode_step(field, method, state.position, t0, t1)),
        0,
    )


def flow_field(owner, model_fn, schedule, prediction, sigma_data):
    r"""``(x, t) -> f(t) x - g(t)^2 s(x, t) / 2``, the probability-flow vector field."""

    def drift(x, t):
        score = _model_score(owner, model_fn, x, t, schedule, prediction, sigma_data)
        tc = _column(t, x)
        return schedule.drift(tc) * x - 0.5 * schedule.diffusion_squared(tc) * score

    return drift


def check_method(owner, method):
    if method not in ODE_METHODS:
        raise ValueError(f"{owner}: method must be one of {ODE_METHODS}.")


def probability_flow_kernel(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    method: str = "heun",
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> SamplerKernel:
    r"""One step of the probability-flow ODE :math:`\dot x = f(t)x - \tfrac12 g(t)^2 s(x, t)`
    (Euler, Heun or RK4) as a deterministic :class:`SamplerKernel` (``keys_per_step = 0``).

    :func:`~gmath.scores.probability_flow_sample` is this kernel run by :func:`run_sampler`.
    Local error :math:`O(h^2)` for ``"euler"``, :math:`O(h^3)` for ``"heun"``, :math:`O(h^5)`
    for ``"rk4"``.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      method: ``"euler"``, ``"heun"`` or ``"rk4"``.
      prediction: what ``model_fn`` predicts (see :data:`~gmath.scores.PREDICTIONS`).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions.

    Returns:
      :class:`SamplerKernel` with :class:`SamplerState` states.

    References:
      Song et al. (2021) [@song2021scoresde]; Karras et al. (2022) [@karras2022edm].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import run_sampler, vp_linear
      >>> # standard normal data: the exact score is -x and the flow is the identity
      >>> k = probability_flow_kernel(lambda x, t: -x, schedule=vp_linear())
      >>> run_sampler(None, k, jnp.ones((1, 2)), jnp.array([1.0, 0.5, 0.1])).position.tolist()
      [[1.0, 1.0]]
    """
    owner = "probability_flow_kernel"
    check_method(owner, method)
    _check_kind(owner, prediction)
    return ode_kernel(flow_field(owner, model_fn, schedule, prediction, sigma_data), method)
