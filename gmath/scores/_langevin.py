r"""Langevin kernels: ULA, MALA (init/step pairs), annealed Langevin, and a chain driver.

Annealed Langevin dynamics is the diffusion-sampler kernel of ``_sampler_annealed`` run along
its noise levels by :func:`~gmath.scores.run_sampler`'s scan.

A kernel is a pair of pure functions (blackjax/optax shape): ``init(position) -> state`` and
``step(key, state) -> (state, info)``; states and infos are NamedTuples, so kernels ``jit`` and
``vmap`` over chains.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import check_key, promote
from gmath.scores._predictions import _check_batch, _check_kind
from gmath.scores._sampler_annealed import _annealed_langevin_kernel
from gmath.scores._sampler_driver import scan_kernel, step_keys

__all__ = [
    "LangevinInfo",
    "LangevinKernel",
    "LangevinState",
    "annealed_langevin_sample",
    "langevin_proposal_log_density",
    "mala",
    "mala_log_acceptance",
    "sample_chain",
    "ula",
]


class LangevinState(NamedTuple):
    r"""State of a Langevin chain: position, its log-density and its score.

    Caching :math:`\log\pi(x)` and :math:`\nabla\log\pi(x)` lets a step use one
    ``value_and_grad`` evaluation, at the proposal only.

    Attributes:
      position: :math:`x`, any shape (the shape of the initial position).
      log_density: scalar :math:`\log\pi(x)` (unnormalised), dtype of ``position``.
      score: :math:`\nabla_x\log\pi(x)`, shaped like ``position``.

    References:
      Roberts, Tweedie (1996). Exponential convergence of Langevin distributions and their
      discrete approximations. Bernoulli [@roberts1996langevin].

    Examples:
      >>> import jax.numpy as jnp
      >>> s = ula(lambda x: -0.5 * jnp.sum(x**2), step_size=0.1).init(jnp.array([1.0, 2.0]))
      >>> float(s.log_density), s.score.tolist()
      (-2.5, [-1.0, -2.0])
    """

    position: jnp.ndarray
    log_density: jnp.ndarray
    score: jnp.ndarray


class LangevinInfo(NamedTuple):
    r"""Per-step information: Metropolis acceptance probability (1 for ULA), decision, proposal.

    Attributes:
      acceptance_probability: scalar :math:`\alpha(x, y) = \min(1, \frac{\pi(y) q(x\mid y)}
        {\pi(x) q(y\mid x)})` (see :func:`mala_log_acceptance`); 1 for ULA.
      is_accepted: scalar bool, whether the proposal was taken.
      proposal: the proposed point :math:`y`, shaped like the position.

    References:
      Roberts, Tweedie (1996) [@roberts1996langevin].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> k = ula(lambda x: -0.5 * jnp.sum(x**2), step_size=0.1)
      >>> _, info = k.step(jax.random.key(0), k.init(jnp.zeros(2)))
      >>> float(info.acceptance_probability), bool(info.is_accepted)
      (1.0, True)
    """

    acceptance_probability: jnp.ndarray
    is_accepted: jnp.ndarray
    proposal: jnp.ndarray


class LangevinKernel(NamedTuple):
    r"""A Langevin transition kernel as a pair of pure functions.

    ``init(position) -> LangevinState``; ``step(key, state) -> (LangevinState, LangevinInfo)``.
    The step proposes :math:`y = x + h\nabla\log\pi(x) + \sqrt{2h}\,\xi`,
    :math:`\xi\sim\mathcal N(0, I)` (step-size convention: :math:`h`, not :math:`h/2`, on the
    gradient), and accepts it always (:func:`ula`) or with the Metropolis probability
    (:func:`mala`).

    Attributes:
      init: ``position -> LangevinState``.
      step: ``(key, state) -> (state, info)``; ``jit``- and ``vmap``-compatible.

    References:
      Roberts, Tweedie (1996) [@roberts1996langevin].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> k = mala(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
      >>> state, info = jax.jit(k.step)(jax.random.key(0), k.init(jnp.zeros(3)))
      >>> state.position.shape
      (3,)
    """

    init: Callable[[ArrayLike], LangevinState]
    step: Callable[[jax.Array, LangevinState], tuple[LangevinState, LangevinInfo]]


def _check_step_size(owner, step_size):
    """A Python number must be positive and finite (else ValueError); see _valid_step."""
    if isinstance(step_size, (int, float)) and not (step_size > 0 and math.isfinite(step_size)):
        raise ValueError(f"{owner}: step_size must be positive and finite, got {step_size!r}.")


def _valid_step(owner, step_size, dtype):
    """``(h, ok)``: an array step size, and whether it is positive and finite.

    An array (or traced) step size is not inspected at trace time: where it is invalid the
    caller returns NaN, and checks mode raises InvalidParameterError.
    """
    h = jnp.asarray(step_size, dtype)
    ok = jnp.all((h > 0) & jnp.isfinite(h))
    error_if_not(ok, f"{owner}: step_size must be positive and finite.")
    return h, ok


def _init_fn(log_prob_fn):
    value_and_grad = jax.value_and_grad(log_prob_fn)

    def init(position):
        (position,) = promote(position)
        value, grad = value_and_grad(position)
        return LangevinState(position, jnp.asarray(value, position.dtype), grad)

    return init, value_and_grad


def langevin_proposal_log_density(log_prob_fn: Callable, x, y, *, step_size) -> jax.Array:
    r"""Log-density :math:`\log q(y\mid x)` of the Langevin proposal.

    .. math::
        q(y\mid x) = \mathcal N\big(y;\ x + h\nabla\log\pi(x),\ 2h I\big).

    Args:
      log_prob_fn: ``x -> log pi(x)`` (unnormalised).
      x, y: points of the same shape.
      step_size: :math:`h > 0`.

    Returns:
      Scalar, dtype of ``x``:
      :math:`-\|y - x - h\nabla\log\pi(x)\|^2/(4h) - \tfrac d2\log(4\pi h)`, ``d = x.size``.

    References:
      Roberts, Tweedie (1996). Exponential convergence of Langevin distributions and their
      discrete approximations. Bernoulli [@roberts1996langevin].

    Examples:
      >>> import jax.numpy as jnp
      >>> v = langevin_proposal_log_density(lambda x: -0.5 * jnp.sum(x**2), jnp.zeros(1),
      ...                                   jnp.zeros(1), step_size=0.5)
      >>> round(float(v), 6)  # log N(0; 0, 1)
      -0.918939
    """
    x, y = promote(x, y)
    if x.shape != y.shape:
        raise ValueError(f"langevin_proposal_log_density: x {x.shape} and y {y.shape} differ.")
    _check_step_size("langevin_proposal_log_density", step_size)
    h, ok = _valid_step("langevin_proposal_log_density", step_size, x.dtype)
    mean = x + h * jax.grad(log_prob_fn)(x)
    r = y - mean
    value = -jnp.sum(r * r) / (4 * h) - 0.5 * x.size * jnp.log(4 * math.pi * h)
    return jnp.where(ok, value, jnp.nan)


def mala_log_acceptance(log_prob_fn: Callable, x, y, *, step_size) -> jax.Array:
    r"""MALA log acceptance probability :math:`\log\alpha(x, y)` of moving from ``x`` to ``y``.

    .. math::
        \log\alpha(x, y) = \min\big(0,\ \log\pi(y) + \log q(x\mid y) - \log\pi(x)
        - \log q(y\mid x)\big),

    so :math:`\log\pi(x) + \log q(y\mid x) + \log\alpha(x, y)` is symmetric in :math:`(x, y)`
    (detailed balance). A NaN ratio counts as rejection (:math:`-\infty`).

    Args:
      log_prob_fn: ``x -> log pi(x)``.
      x, y: current point and proposal.
      step_size: :math:`h > 0`.

    Returns:
      Scalar :math:`\le 0`.

    References:
      Roberts, Tweedie (1996). Exponential convergence of Langevin distributions and their
      discrete approximations. Bernoulli [@roberts1996langevin].

    Examples:
      >>> import jax.numpy as jnp
      >>> f = lambda x: -0.5 * jnp.sum(x**2)
      >>> float(mala_log_acceptance(f, jnp.ones(2), jnp.ones(2), step_size=0.1))
      0.0
    """
    x, y = promote(x, y)
    _check_step_size("mala_log_acceptance", step_size)
    forward = log_prob_fn(y) + langevin_proposal_log_density(log_prob_fn, y, x, step_size=step_size)
    backward = log_prob_fn(x) + langevin_proposal_log_density(
        log_prob_fn, x, y, step_size=step_size
    )
    ratio = forward - backward
    _, ok = _valid_step("mala_log_acceptance", step_size, x.dtype)
    value = jnp.where(jnp.isnan(ratio), -jnp.inf, jnp.minimum(ratio, 0.0))
    return jnp.where(ok, value, jnp.nan)


def ula(log_prob_fn: Callable, *, step_size) -> LangevinKernel:
    r"""Unadjusted Langevin algorithm: :math:`x' = x + h\nabla\log\pi(x) + \sqrt{2h}\,\xi`.

    Biased: on :math:`\pi = \mathcal N(0, s^2)` its stationary law is
    :math:`\mathcal N(0, s^2/(1 - h/(2s^2)))` (for :math:`h < 2s^2`).

    Args:
      log_prob_fn: ``x -> log pi(x)`` (unnormalised, differentiable).
      step_size: :math:`h > 0`.

    Returns:
      :class:`LangevinKernel` (``info.acceptance_probability`` is 1).

    References:
      Roberts, Tweedie (1996) [@roberts1996langevin].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> kernel = ula(lambda x: -0.5 * jnp.sum(x**2), step_size=0.1)
      >>> state, info = kernel.step(jax.random.key(0), kernel.init(jnp.zeros(2)))
      >>> state.position.shape, float(info.acceptance_probability)
      ((2,), 1.0)
    """
    _check_step_size("ula", step_size)
    init, value_and_grad = _init_fn(log_prob_fn)

    def step(key, state):
        check_key(key, where="ula.step")
        x = state.position
        h, ok = _valid_step("ula", step_size, x.dtype)
        noise = jax.random.normal(key, x.shape, x.dtype)
        y = x + h * state.score + jnp.sqrt(2 * h) * noise
        y = jnp.where(ok, y, jnp.nan)  # an invalid array step size: NaN, never a plausible draw
        value, grad = value_and_grad(y)
        new = LangevinState(y, jnp.asarray(value, x.dtype), grad)
        info = LangevinInfo(jnp.where(ok, 1.0, jnp.nan).astype(x.dtype), jnp.asarray(True), y)
        return new, info

    return LangevinKernel(init, step)


def mala(log_prob_fn: Callable, *, step_size) -> LangevinKernel:
    r"""Metropolis-adjusted Langevin algorithm (Roberts and Tweedie 1996).

    Proposes :math:`y = x + h\nabla\log\pi(x) + \sqrt{2h}\,\xi` and accepts with probability
    :math:`\alpha(x, y)` (:func:`mala_log_acceptance`): :math:`\pi` is exactly invariant.

    Args:
      log_prob_fn: ``x -> log pi(x)`` (unnormalised, differentiable).
      step_size: :math:`h > 0`.

    Returns:
      :class:`LangevinKernel`; ``info`` holds the acceptance probability, the decision and the
      proposal.

    References:
      Roberts, Tweedie (1996) [@roberts1996langevin].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> kernel = mala(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
      >>> state, info = kernel.step(jax.random.key(0), kernel.init(jnp.zeros(2)))
      >>> 0.0 <= float(info.acceptance_probability) <= 1.0
      True
    """
    _check_step_size("mala", step_size)
    init, value_and_grad = _init_fn(log_prob_fn)

    def step(key, state):
        check_key(key, where="mala.step")
        key_prop, key_acc = jax.random.split(key)
        x = state.position
        h, ok = _valid_step("mala", step_size, x.dtype)

        def log_q(to, frm, frm_score):
            r = to - frm - h * frm_score
            return -jnp.sum(r * r) / (4 * h)

        noise = jax.random.normal(key_prop, x.shape, x.dtype)
        y = x + h * state.score + jnp.sqrt(2 * h) * noise
        value, grad = value_and_grad(y)
        value = jnp.asarray(value, x.dtype)
        ratio = value + log_q(x, y, grad) - state.log_density - log_q(y, x, state.score)
        log_alpha = jnp.where(jnp.isnan(ratio), -jnp.inf, jnp.minimum(ratio, 0.0))
        accept = jnp.log(jax.random.uniform(key_acc, (), x.dtype)) < log_alpha
        new = jax.tree_util.tree_map(
            lambda a, b: jnp.where(ok, jnp.where(accept, a, b), jnp.nan),
            LangevinState(y, value, grad),
            state,
        )
        return new, LangevinInfo(jnp.where(ok, jnp.exp(log_alpha), jnp.nan), accept, y)

    return LangevinKernel(init, step)


@cached(static_argnums=(1,), static_argnames=("num_steps",))
def sample_chain(
    key, kernel: LangevinKernel, state: LangevinState, *, num_steps: int
) -> tuple[LangevinState, tuple[jax.Array, LangevinInfo]]:
    r"""Run ``num_steps`` kernel steps with ``lax.scan``, keeping every position and info.

    Args:
      key: PRNG key (split into one key per step).
      kernel: a :class:`LangevinKernel` (any ``(init, step)`` pair of the same shape).
      state: the initial state (``kernel.init(position)``).
      num_steps: number of steps.

    Returns:
      ``(final_state, (positions [num_steps, ...], infos))``: the positions
      :math:`x_1, \dots, x_n` after each step (the initial state is not included) and the
      infos stacked along a leading axis of length ``num_steps``.

    References:
      Roberts, Tweedie (1996) [@roberts1996langevin].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> k = mala(lambda x: -0.5 * jnp.sum(x**2), step_size=0.5)
      >>> final, (xs, infos) = sample_chain(jax.random.key(0), k, k.init(jnp.zeros(2)),
      ...                                   num_steps=10)
      >>> xs.shape, infos.acceptance_probability.shape
      ((10, 2), (10,))
    """
    check_key(key, where="sample_chain")
    if not (isinstance(num_steps, int) and num_steps >= 1):
        raise ValueError(f"sample_chain: num_steps must be a positive int, got {num_steps!r}.")

    def body(s, k):
        s, info = kernel.step(k, s)
        return s, (s.position, info)

    return jax.lax.scan(body, state, jax.random.split(key, num_steps))


def _annealed_precheck(*args, sigmas=None, **kwargs):
    """Validate concrete noise levels eagerly, before the compiled call (gmath._jit.cached)."""
    if sigmas is None or isinstance(sigmas, jax.core.Tracer):
        return
    sn = np.asarray(sigmas, np.float64)
    if sn.ndim == 1 and sn.shape[0] >= 1:
        if not (np.all(np.isfinite(sn) & (sn > 0)) and np.all(np.diff(sn) <= 0)):
            raise ValueError(
                "annealed_langevin_sample: sigmas must be positive, finite and non-increasing, "
                f"got {sn!r}."
            )


@cached(
    static_argnums=(1,),
    static_argnames=("num_steps_per_level", "step_size", "prediction", "sigma_data"),
    precheck=_annealed_precheck,
)
def annealed_langevin_sample(
    key,
    model_fn: Callable,
    x_start,
    *,
    sigmas,
    num_steps_per_level: int = 100,
    step_size: float = 2e-5,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Annealed Langevin dynamics (Song and Ermon 2019, Algorithm 1).

    For each noise level :math:`\sigma_i` (decreasing), with
    :math:`\alpha_i = \epsilon\,\sigma_i^2/\sigma_L^2`, run ``num_steps_per_level`` steps
    :math:`x \leftarrow x + \tfrac{\alpha_i}{2}s(x, \sigma_i) + \sqrt{\alpha_i}\,z`.

    The model follows the convention of :mod:`gmath.scores`: it is called on the whole batch,
    ``model_fn(x, sigma)`` with ``sigma`` of shape ``[batch]``, the noise level of the
    :func:`~gmath.scores.edm` schedule (:math:`x_\sigma = x_0 + \sigma\varepsilon`); a
    prediction other than the score is converted to it through that schedule.

    Args:
      key: PRNG key.
      model_fn: noise-conditional model ``(x [batch, ...], sigma [batch]) -> [batch, ...]``,
        by default the score.
      x_start: initial batch, shape ``[batch, ...]``.
      sigmas: decreasing noise levels ``[L]``.
      num_steps_per_level: :math:`T` steps per level.
      step_size: :math:`\epsilon`.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The final sample, shaped like ``x_start``.

    References:
      Song, Ermon (2019). Generative modeling by estimating gradients of the data distribution.
      NeurIPS [@song2019generative].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> x = annealed_langevin_sample(jax.random.key(0), lambda x, s: -x / (1 + s[:, None]**2),
      ...                              jnp.zeros((3, 2)), sigmas=jnp.array([1.0, 0.1]),
      ...                              num_steps_per_level=5)
      >>> x.shape
      (3, 2)
    """
    owner = "annealed_langevin_sample"
    check_key(key, where=owner)
    if not (isinstance(num_steps_per_level, int) and num_steps_per_level >= 1):
        raise ValueError("annealed_langevin_sample: num_steps_per_level must be a positive int.")
    _check_step_size(owner, step_size)
    _check_kind(owner, prediction)
    (x_start,) = promote(x_start)
    _check_batch(owner, "x_start", x_start)
    sigmas = jnp.asarray(sigmas, x_start.dtype)
    if sigmas.ndim != 1 or sigmas.shape[0] < 1:
        raise ValueError(f"annealed_langevin_sample: sigmas must be 1-D, got {sigmas.shape}.")
    valid = "sigmas must be positive, finite and non-increasing"
    if not isinstance(sigmas, jax.core.Tracer):
        sn = np.asarray(sigmas, np.float64)
        if not (np.all(np.isfinite(sn) & (sn > 0)) and np.all(np.diff(sn) <= 0)):
            raise ValueError(f"{owner}: {valid}, got {sn!r}.")
    sig_ok = jnp.all(jnp.isfinite(sigmas) & (sigmas > 0)) & jnp.all(jnp.diff(sigmas) <= 0)
    error_if_not(sig_ok, f"{owner}: {valid}.")
    _, step_ok = _valid_step(owner, step_size, x_start.dtype)
    kernel = _annealed_langevin_kernel(
        owner, model_fn, sigmas[-1], num_steps_per_level, step_size, prediction, sigma_data
    )
    # the kernel's step runs the Langevin steps at its new level: sigma_1 repeated first
    times = jnp.concatenate([sigmas[:1], sigmas])
    keys = step_keys(key, sigmas.shape[0], kernel.keys_per_step, where=owner)
    x = scan_kernel(kernel, kernel.init(x_start), times, keys).position
    return jnp.where(sig_ok & step_ok, x, jnp.nan)
