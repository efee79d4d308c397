r"""Diffusion samplers: reverse SDE, probability-flow ODE, DDIM/ancestral, predictor–corrector,
the EDM sampler, and the probability-flow log-likelihood.

Each sampler is a kernel (:class:`~gmath.scores.SamplerKernel`, one file each:
``_sampler_ode``, ``_sampler_sde``, ``_sampler_ddim``, ``_sampler_pc``, ``_sampler_edm``) run
along a checked time grid by the one driver :func:`~gmath.scores.run_sampler`, a ``lax.scan``;
all are pure and jit-able. They follow the model convention
of :mod:`gmath.scores`: the state ``x`` is a batch ``[batch, ...]`` and the model is called on
the whole batch, ``model_fn(x, t)`` with ``t`` of shape ``[batch]`` (every entry the current
grid time), returning an array shaped like ``x``. What it returns is set by the static keyword
``prediction`` (``"score"`` by default; ``"eps"``, ``"x0"``, ``"v"``, ``"velocity"`` or
``"edm"``, see :data:`~gmath.scores.PREDICTIONS`), converted to the score or to
:math:`(\hat x_0, \hat\varepsilon)` through the schedule, so a network of any parameterisation
plugs in directly; ``sigma_data`` is the :math:`\sigma_d` of ``"edm"`` predictions.
Time grids are 1-D arrays ``times`` of length ``num_steps + 1``, from the start time to the end
time (decreasing for sampling); by default uniform in ``t`` from ``t_max`` (the schedule's end;
``t_max - 1e-3`` where :math:`\alpha_{t_{\max}} = 0`, zero terminal SNR, as the drift and the
diffusion are infinite there) to ``t_end``. An explicit grid must lie in the schedule's domain,
avoid :math:`\alpha_t = 0` and be strictly monotone (decreasing for the stochastic samplers;
either way for the deterministic maps; increasing for the likelihood): a concrete grid that is not
raises ``ValueError``, a traced one gives NaN (and raises
:class:`gmath.config.InvalidParameterError` in checks mode).

The probability-flow ODE (Song et al. 2021) is

.. math::
    \frac{dx}{dt} = f(t)\,x - \tfrac12 g(t)^2\,\nabla\log p_t(x),

and the reverse SDE :math:`dx = [f x - g^2\nabla\log p_t(x)]\,dt + g\,d\bar w`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import check_key, promote
from gmath.scores._divergence import jacobian_trace, jacobian_trace_estimate
from gmath.scores._predictions import _check_batch, _check_kind
from gmath.scores._sampler_ddim import _ddim_kernel, _stochastic
from gmath.scores._sampler_driver import SamplerState, scan_kernel, step_keys
from gmath.scores._sampler_edm import _edm_kernel
from gmath.scores._sampler_ode import check_method, flow_field, ode_kernel
from gmath.scores._sampler_pc import _predictor_corrector_kernel, check_corrector_steps
from gmath.scores._sampler_sde import _reverse_sde_kernel
from gmath.scores._schedules import NoiseSchedule

__all__ = [
    "FlowLikelihood",
    "ancestral_sample",
    "ddim_sample",
    "edm_sample",
    "predictor_corrector_sample",
    "probability_flow_drift",
    "probability_flow_log_likelihood",
    "probability_flow_sample",
    "reverse_sde_sample",
    "time_grid",
]

_NOISE_END_OFFSET = 1e-3  # distance of the default noise end from a zero of alpha


def _noise_time(schedule):
    r"""The default noisy end of a grid: ``t_max``, or ``t_max - 1e-3`` where :math:`\alpha = 0`.

    At a zero of :math:`\alpha_t` (zero terminal SNR: :func:`~gmath.scores.rectified_flow`,
    :func:`~gmath.scores.vp_cosine`, :func:`~gmath.scores.rescale_zero_terminal_snr`) the drift
    :math:`f = \dot\alpha/\alpha` and :math:`g^2` are infinite and :math:`\hat x_0 = (x +
    \sigma^2 s)/\alpha` is 0/0, so no score-based step can start there.
    """
    start = schedule.t_max
    if not math.isfinite(start):
        return start
    vanishes = schedule.zero_terminal_snr
    if vanishes is None:  # built from traced hyperparameters: alpha at t_max is unknowable here
        raise ValueError(
            f"schedule {schedule.name} was built from traced hyperparameters, so whether "
            "alpha vanishes at t_max is unknown at trace time: build it outside the traced "
            "function (it can still be passed in as an argument) or pass the grid's noisy end "
            "explicitly."
        )
    return start - _NOISE_END_OFFSET if vanishes else start


def _has_traced_parameters(schedule) -> bool:
    return any(isinstance(v, jax.core.Tracer) for v in jax.tree_util.tree_leaves(schedule))


def _check_grid(owner, schedule, times, direction):
    """Validate a time grid: 1-D, in the domain, alpha > 0, strictly monotone in ``direction``.

    A concrete grid that fails raises ValueError. A traced grid cannot be inspected at trace
    time: the returned flag is false where it fails (the caller turns its result into NaN) and
    checks mode raises InvalidParameterError.
    """
    if times.ndim != 1 or times.shape[0] < 2:
        raise ValueError(f"{owner}: times must be 1-D with >= 2 entries, got shape {times.shape}.")
    lo, hi = schedule.t_min, schedule.t_max
    words = {"decreasing": "strictly decreasing", "increasing": "strictly increasing"}
    words["either"] = "strictly monotone"
    if not isinstance(times, jax.core.Tracer):
        tn = np.asarray(times, np.float64)
        step = np.diff(tn)
        if not np.all((tn >= lo) & (tn <= hi)):
            raise ValueError(
                f"{owner}: times must lie in the domain [{lo}, {hi}] of schedule "
                f"{schedule.name}, got {tn!r}."
            )
        monotone = {
            "decreasing": np.all(step < 0),
            "increasing": np.all(step > 0),
            "either": np.all(step < 0) or np.all(step > 0),
        }[direction]
        if not monotone:
            raise ValueError(f"{owner}: times must be {words[direction]}, got {tn!r}.")
        if _has_traced_parameters(schedule):  # alpha depends on traced hyperparameters
            ok = jnp.all(schedule.alpha(jnp.asarray(tn, times.dtype)) > 0)
            error_if_not(ok, f"{owner}: times must have alpha_t > 0 in schedule {schedule.name}.")
            return ok
        with jax.ensure_compile_time_eval():
            # the raw form: a custom_jvp function ignores the compile-time context under vmap
            alpha = np.asarray(schedule._alpha_value(jnp.asarray(tn, times.dtype)))
        if not np.all(alpha > 0):
            bad = tn[~(alpha > 0)]
            raise ValueError(
                f"{owner}: times {bad!r} have alpha_t = 0 in schedule {schedule.name}, where "
                "the drift and the diffusion are infinite; end the grid before (the default grid "
                f"starts at {_noise_time(schedule)})."
            )
        return jnp.ones((), bool)
    step = jnp.diff(times)
    ok = {
        "decreasing": jnp.all(step < 0),
        "increasing": jnp.all(step > 0),
        "either": jnp.all(step < 0) | jnp.all(step > 0),
    }[direction]
    ok = ok & jnp.all((times >= lo) & (times <= hi))
    ok = ok & jnp.all(schedule.alpha(jnp.clip(times, lo, hi)) > 0)
    error_if_not(
        ok,
        f"{owner}: times must be {words[direction]}, in the domain [{lo}, {hi}] of schedule "
        f"{schedule.name}, with alpha_t > 0.",
    )
    return ok


def _nan_unless(ok, tree):
    if not isinstance(ok, jax.core.Tracer) and bool(ok):
        return tree
    return jax.tree_util.tree_map(lambda v: jnp.where(ok, v, jnp.nan), tree)


def time_grid(
    schedule: NoiseSchedule,
    num_steps: int,
    *,
    t_start: float | None = None,
    t_end: float = 1e-3,
    dtype=None,
) -> jax.Array:
    r"""A uniform time grid of ``num_steps + 1`` points from ``t_start`` to ``t_end``.

    Args:
      schedule: the :class:`~gmath.scores.NoiseSchedule` (its ``t_max`` is the default start).
      num_steps: number of intervals, ``>= 1``.
      t_start: first time (default ``schedule.t_max``, which must then be finite; where
        :math:`\alpha_{t_{\max}} = 0`, zero terminal SNR, ``t_max - 1e-3`` instead: the drift
        and the diffusion are infinite at a zero of :math:`\alpha`).
      t_end: last time (default ``1e-3``: the clean end has :math:`\sigma = 0`).
      dtype: float dtype (default: float64 with x64, else float32).

    Returns:
      Array of shape ``(num_steps + 1,)``: :math:`t_i = t_{\text{start}} + \tfrac{i}{N}
      (t_{\text{end}} - t_{\text{start}})`, decreasing by default (noise to data).

    References:
      Song et al. (2021). Score-based generative modeling through SDEs. ICLR, App. C, which
      stops at :math:`\epsilon = 10^{-3}` for VP schedules [@song2021scoresde].

    Examples:
      >>> from gmath.scores import vp_linear
      >>> [round(float(v), 3) for v in time_grid(vp_linear(), 2, t_end=0.5)]
      [1.0, 0.75, 0.5]
    """
    if not (isinstance(num_steps, int) and num_steps >= 1):
        raise ValueError(f"time_grid: num_steps must be a positive int, got {num_steps!r}.")
    start = _noise_time(schedule) if t_start is None else t_start
    if not math.isfinite(start):
        raise ValueError(f"time_grid: schedule {schedule.name} has no finite t_max; pass t_start.")
    for name, v in (("t_start", start), ("t_end", t_end)):
        if not schedule.t_min <= v <= schedule.t_max:
            raise ValueError(f"time_grid: {name}={v} outside [{schedule.t_min}, {schedule.t_max}].")
    (grid,) = promote(jnp.linspace(start, t_end, num_steps + 1, dtype=dtype))
    return grid


def _grid(owner, schedule, times, num_steps, t_end, dtype, direction="decreasing"):
    """The grid and a flag, false where a traced grid is invalid (see _check_grid)."""
    if times is None:
        if num_steps is None:
            raise ValueError(f"{owner}: pass num_steps or times.")
        return time_grid(schedule, num_steps, t_end=t_end, dtype=dtype), jnp.ones((), bool)
    times = jnp.asarray(times, dtype)
    return times, _check_grid(owner, schedule, times, direction)


def _grid_precheck(owner, direction="decreasing"):
    """Validate a concrete ``times`` eagerly, before the compiled call (``gmath._jit.cached``),
    where it would be traced and an invalid grid could only give NaN instead of a ValueError."""

    def precheck(*args, schedule=None, times=None, eta=0.0, **kwargs):
        if times is None or schedule is None or isinstance(times, jax.core.Tracer):
            return
        d = direction
        if d == "ddim":  # eta = 0 runs both ways (inversion)
            d = "either" if isinstance(eta, (int, float)) and eta == 0 else "decreasing"
        _check_grid(owner, schedule, jnp.asarray(times), d)

    return precheck


def _sigmas_precheck(*args, sigmas=None, **kwargs):
    if sigmas is not None and not isinstance(sigmas, jax.core.Tracer):
        _check_sigmas("edm_sample", jnp.asarray(sigmas))


def _state(owner, x):
    """The sampler state: a float array with a leading batch axis."""
    (x,) = promote(x)
    _check_batch(owner, "x_start" if owner != "probability_flow_log_likelihood" else "x", x)
    return x


def _run(owner, key, kernel, x, times):
    """The kernel run along a grid already checked by the caller (see run_sampler)."""
    keys = step_keys(key, times.shape[0] - 1, kernel.keys_per_step, where=owner)
    return scan_kernel(kernel, kernel.init(x), times, keys).position


def probability_flow_drift(
    model_fn: Callable,
    *,
    schedule: NoiseSchedule,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> Callable:
    r"""The probability-flow ODE vector field :math:`v(x, t) = f(t)x - \tfrac12 g(t)^2 s(x, t)`.

    The score :math:`s` is the model's, converted from its ``prediction`` type.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      ``(x, t) -> v(x, t)`` on a batch ``x [batch, ...]`` with ``t`` a scalar or ``[batch]``,
      shaped like ``x``.

    References:
      Song et al. (2021). Score-based generative modeling through stochastic differential
      equations. ICLR, eq. 13 [@song2021scoresde].

    Examples:
      >>> from gmath.scores import edm
      >>> import jax.numpy as jnp
      >>> v = probability_flow_drift(lambda x, t: -x / (1 + t[:, None] ** 2), schedule=edm())
      >>> v(jnp.array([[2.0]]), 1.0).tolist()  # -t * score for EDM
      [[1.0]]
    """
    _check_kind("probability_flow_drift", prediction)
    return flow_field("probability_flow_drift", model_fn, schedule, prediction, sigma_data)


@cached(
    static_argnums=(0,),
    static_argnames=("schedule", "num_steps", "t_end", "method", "prediction", "sigma_data"),
    precheck=_grid_precheck("probability_flow_sample", "either"),
)
def probability_flow_sample(
    model_fn: Callable,
    x_start,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    method: str = "heun",
    t_end: float = 1e-3,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Integrate the probability-flow ODE along ``times`` (Euler, Heun or RK4).

    Deterministic: maps noise at ``times[0]`` to data at ``times[-1]`` (or back, with an
    increasing grid). Global error :math:`O(h)` for ``"euler"``, :math:`O(h^2)` for ``"heun"``
    (the EDM second-order solver; Karras et al. 2022, Algorithm 1 without churn) and
    :math:`O(h^4)` for ``"rk4"``.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x_start: the batch at ``times[0]``, shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      num_steps: number of steps of the default grid (``schedule.t_max -> t_end``).
      times: explicit grid ``[num_steps + 1]`` (overrides ``num_steps``).
      method: ``"euler"``, ``"heun"`` or ``"rk4"``.
      t_end: last time of the default grid.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The state at ``times[-1]``, shaped like ``x_start``.

    References:
      Song et al. (2021) [@song2021scoresde]; Karras et al. (2022) [@karras2022edm].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> # standard normal data: the exact score is -x and the flow is the identity
      >>> x = probability_flow_sample(lambda x, t: -x, jnp.ones((1, 2)), schedule=vp_linear(),
      ...                             num_steps=4)
      >>> [round(float(v), 10) for v in x[0]]
      [1.0, 1.0]
    """
    owner = "probability_flow_sample"
    check_method(owner, method)
    _check_kind(owner, prediction)
    x_start = _state(owner, x_start)
    times, ok = _grid(owner, schedule, times, num_steps, t_end, x_start.dtype, "either")
    field = flow_field("probability_flow_drift", model_fn, schedule, prediction, sigma_data)
    return _nan_unless(ok, _run(owner, None, ode_kernel(field, method), x_start, times))


@cached(
    static_argnums=(1,),
    static_argnames=("schedule", "num_steps", "t_end", "prediction", "sigma_data"),
    precheck=_grid_precheck("reverse_sde_sample"),
)
def reverse_sde_sample(
    key,
    model_fn: Callable,
    x_start,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    t_end: float = 1e-3,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Euler–Maruyama on the reverse-time SDE (Song et al. 2021).

    .. math::
        x_{t-h} = x_t - h\,[f(t)x_t - g(t)^2 s(x_t, t)] + g(t)\sqrt{h}\,z,
        \quad z\sim\mathcal N(0, I).

    Args:
      key: PRNG key.
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x_start: the batch at ``times[0]`` (e.g. prior noise), shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      num_steps: steps of the default grid.
      times: explicit decreasing grid.
      t_end: last time of the default grid.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The sample at ``times[-1]``.

    References:
      Song et al. (2021) [@song2021scoresde].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> x = reverse_sde_sample(jax.random.key(0), lambda x, t: -x, jnp.zeros((5, 3)),
      ...                        schedule=vp_linear(), num_steps=10)
      >>> x.shape
      (5, 3)
    """
    owner = "reverse_sde_sample"
    check_key(key, where=owner)
    _check_kind(owner, prediction)
    x_start = _state(owner, x_start)
    times, ok = _grid(owner, schedule, times, num_steps, t_end, x_start.dtype)
    kernel = _reverse_sde_kernel(owner, model_fn, schedule, prediction, sigma_data)
    return _nan_unless(ok, _run(owner, key, kernel, x_start, times))


@cached(
    static_argnums=(0,),
    static_argnames=("schedule", "num_steps", "t_end", "eta", "prediction", "sigma_data"),
    precheck=_grid_precheck("ddim_sample", "ddim"),
)
def ddim_sample(
    model_fn: Callable,
    x_start,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    eta: float = 0.0,
    key=None,
    t_end: float = 1e-3,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""DDIM (Song, Meng, Ermon 2021) for any schedule; ``eta = 1`` is ancestral (DDPM) sampling.

    From :math:`t` to :math:`s < t`, with the model's :math:`(\hat x_0, \hat\varepsilon)`
    (for a score model :math:`\hat\varepsilon = -\sigma_t s(x_t, t)`,
    :math:`\hat x_0 = (x_t - \sigma_t\hat\varepsilon)/\alpha_t`) and
    :math:`c = \eta\,\sigma_s\sigma_{t|s}/\sigma_t`,
    :math:`\sigma_{t|s}^2 = \sigma_t^2 - (\alpha_t/\alpha_s)^2\sigma_s^2`:

    .. math::
        x_s = \alpha_s\hat x_0 + \sqrt{\sigma_s^2 - c^2}\,\hat\varepsilon + c\,z.

    With ``eta = 0`` this is deterministic: the exact solution of the probability-flow ODE when
    :math:`\hat\varepsilon` is constant, i.e. a first-order exponential integrator in
    :math:`\lambda`.

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x_start: the batch at ``times[0]``, shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule` (needs :math:`\alpha_t > 0` on the grid).
      num_steps: steps of the default grid.
      times: explicit decreasing grid.
      eta: stochasticity in ``[0, 1]``.
      key: PRNG key, required when ``eta > 0``.
      t_end: last time of the default grid.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The sample at ``times[-1]``.

    References:
      Song, Meng, Ermon (2021). Denoising diffusion implicit models. ICLR [@song2021ddim].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> s = vp_linear()
      >>> # data = point mass at 0: the eps-prediction x / sigma_t is constant on the flow, DDIM is
      >>> # exact
      >>> eps_model = lambda x, t: x / s.sigma(t)[:, None]
      >>> x = ddim_sample(eps_model, jnp.ones((1, 2)), schedule=s, num_steps=3, prediction="eps")
      >>> [round(float(v * s.sigma(1.0) / s.sigma(1e-3)), 5) for v in x[0]]
      [1.0, 1.0]
    """
    return _ddim(
        "ddim_sample",
        model_fn,
        x_start,
        schedule,
        num_steps,
        times,
        eta,
        key,
        t_end,
        prediction,
        sigma_data,
    )


def _ddim(
    owner, model_fn, x_start, schedule, num_steps, times, eta, key, t_end, prediction, sigma_data
):
    _check_kind(owner, prediction)
    x_start = _state(owner, x_start)
    stochastic = _stochastic(eta)
    if stochastic and key is None:
        raise ValueError(f"{owner}: eta > 0 needs a key.")
    if stochastic:
        check_key(key, where=owner)
    direction = "decreasing" if stochastic else "either"  # eta = 0 runs both ways (inversion)
    times, ok = _grid(owner, schedule, times, num_steps, t_end, x_start.dtype, direction)
    kernel = _ddim_kernel(owner, model_fn, schedule, eta, prediction, sigma_data)
    return _nan_unless(ok, _run(owner, key, kernel, x_start, times))


@cached(
    static_argnums=(1,),
    static_argnames=("schedule", "num_steps", "t_end", "prediction", "sigma_data"),
    precheck=_grid_precheck("ancestral_sample"),
)
def ancestral_sample(
    key,
    model_fn: Callable,
    x_start,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    t_end: float = 1e-3,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Ancestral sampling: draw :math:`x_s \sim q(x_s\mid x_t, \hat x_0)` step by step (DDPM).

    The Gaussian posterior of the forward process with mean
    :math:`\frac{\alpha_{t|s}\sigma_s^2}{\sigma_t^2}x_t + \frac{\alpha_s\sigma_{t|s}^2}{\sigma_t^2}
    \hat x_0` and variance :math:`\sigma_{t|s}^2\sigma_s^2/\sigma_t^2`, where
    :math:`\alpha_{t|s} = \alpha_t/\alpha_s` and
    :math:`\sigma_{t|s}^2 = \sigma_t^2 - \alpha_{t|s}^2\sigma_s^2` (Kingma et al. 2021, eq. 27),
    with :math:`\hat x_0` from Tweedie's formula; i.e. :func:`ddim_sample` with ``eta = 1``.
    Every step, the last one included, adds noise (no final noise-free denoising step).

    Args:
      key: PRNG key.
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x_start: the batch at ``times[0]``, shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      num_steps: steps of the default grid.
      times: explicit decreasing grid.
      t_end: last time of the default grid.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The sample at ``times[-1]``.

    References:
      Ho, Jain, Abbeel (2020) [@ho2020ddpm]; Kingma et al. (2021) [@kingma2021vdm].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> ancestral_sample(jax.random.key(1), lambda x, t: -x, jnp.zeros((4, 2)),
      ...                  schedule=vp_linear(), num_steps=5).shape
      (4, 2)
    """
    check_key(key, where="ancestral_sample")
    return _ddim(
        "ancestral_sample",
        model_fn,
        x_start,
        schedule,
        num_steps,
        times,
        1.0,
        key,
        t_end,
        prediction,
        sigma_data,
    )


@cached(
    static_argnums=(1,),
    static_argnames=(
        "schedule",
        "num_steps",
        "t_end",
        "snr",
        "num_corrector_steps",
        "prediction",
        "sigma_data",
    ),
    precheck=_grid_precheck("predictor_corrector_sample"),
)
def predictor_corrector_sample(
    key,
    model_fn: Callable,
    x_start,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    snr: float = 0.16,
    num_corrector_steps: int = 1,
    t_end: float = 1e-3,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""Predictor–corrector sampling (Song et al. 2021, Algorithms 2–3).

    At each time: ``num_corrector_steps`` Langevin corrector steps
    :math:`x \leftarrow x + \epsilon s + \sqrt{2\epsilon}z` with the step
    :math:`\epsilon = 2(r\|z\|/\|s\|)^2` set by the target signal-to-noise ratio ``snr`` =
    :math:`r`, then one reverse-SDE Euler–Maruyama predictor step.

    Conventions: the corrector runs *before* the predictor at each grid time, as in the
    reference implementation of Song et al. (``pc_sampler``), so there is a corrector at
    ``times[0]`` and none at ``times[-1]`` (the paper's Algorithms 2–3 run the predictor first).
    The step uses :math:`\epsilon = 2(r\|z\|/\|s\|)^2` for every schedule, i.e. the VE
    corrector (Algorithm 4); the VP corrector (Algorithm 5) would scale it by :math:`\alpha_i`.
    The norms are taken over the whole batch ``x``: one step size for the batch, as in the
    reference implementation (which divides the batch means of the per-example norms); vmap
    over batches of one for a step size per chain. The final step adds noise.

    Args:
      key: PRNG key.
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x_start: the batch at ``times[0]``, shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      num_steps: steps of the default grid.
      times: explicit decreasing grid.
      snr: corrector signal-to-noise ratio :math:`r`.
      num_corrector_steps: Langevin steps per time.
      t_end: last time of the default grid.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The sample at ``times[-1]``.

    References:
      Song et al. (2021) [@song2021scoresde].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import ve
      >>> predictor_corrector_sample(jax.random.key(2), lambda x, t: -x, jnp.zeros((3, 2)),
      ...                            schedule=ve(), num_steps=5).shape
      (3, 2)
    """
    owner = "predictor_corrector_sample"
    check_corrector_steps(owner, num_corrector_steps)
    check_key(key, where=owner)
    _check_kind(owner, prediction)
    x_start = _state(owner, x_start)
    times, ok = _grid(owner, schedule, times, num_steps, t_end, x_start.dtype)
    kernel = _predictor_corrector_kernel(
        owner, model_fn, schedule, snr, num_corrector_steps, prediction, sigma_data
    )
    return _nan_unless(ok, _run(owner, key, kernel, x_start, times))


@cached(
    static_argnums=(1,),
    static_argnames=("s_churn", "s_tmin", "s_tmax", "s_noise", "prediction", "sigma_data"),
    precheck=_sigmas_precheck,
)
def edm_sample(
    key,
    model_fn: Callable,
    x_start,
    *,
    sigmas,
    s_churn: float = 0.0,
    s_tmin: float = 0.0,
    s_tmax: float = math.inf,
    s_noise: float = 1.0,
    prediction: str = "x0",
    sigma_data: float = 0.5,
) -> jax.Array:
    r"""The EDM stochastic sampler (Karras et al. 2022, Algorithm 2), Heun with churn.

    For :math:`i = 0..N-1`: :math:`\gamma_i = \min(S_{\text{churn}}/N, \sqrt2 - 1)` if
    :math:`\sigma_i\in[S_{t\min}, S_{t\max}]` else 0; :math:`\hat\sigma = \sigma_i(1+\gamma_i)`,
    :math:`\hat x = x + \sqrt{\hat\sigma^2 - \sigma_i^2}\,S_{\text{noise}}z`; an Euler step with
    :math:`d = (\hat x - D(\hat x;\hat\sigma))/\hat\sigma` to :math:`\sigma_{i+1}`, corrected by
    Heun's rule unless :math:`\sigma_{i+1} = 0`. With ``s_churn = 0`` it is the deterministic
    Algorithm 1.

    The model is called on the batch at the noise level of the :func:`~gmath.scores.edm`
    schedule (:math:`\alpha = 1`, :math:`\sigma_t = t`): ``model_fn(x, sigma)`` with ``sigma``
    of shape ``[batch]``; by default (``prediction="x0"``) it is the EDM denoiser
    :math:`D(x;\sigma)`; any other prediction type is converted to it through the EDM schedule
    (``"edm"``: the raw network :math:`F` of :func:`edm_preconditioning`).

    Args:
      key: PRNG key (unused when ``s_churn = 0``).
      model_fn: the model ``(x [batch, ...], sigma [batch]) -> [batch, ...]``, by default the
        EDM denoiser :math:`D(x;\sigma)`.
      x_start: initial noise at ``sigmas[0]`` (e.g. ``sigmas[0] * normal``), ``[batch, ...]``.
      sigmas: decreasing noise levels ``[N + 1]``, usually :func:`karras_sigmas` (ending in 0).
      s_churn, s_tmin, s_tmax, s_noise: the churn parameters.
      prediction: what ``model_fn`` predicts: ``"x0"`` (default, the denoiser), ``"eps"``,
        ``"score"``, ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      The sample at ``sigmas[-1]``.

    References:
      Karras et al. (2022) [@karras2022edm].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.scores import karras_sigmas
      >>> # data = point mass at 1: D(x; sigma) = 1 and every path lands on 1
      >>> x = edm_sample(jax.random.key(0), lambda x, s: jnp.ones_like(x),
      ...                jnp.full((1, 2), 80.0), sigmas=karras_sigmas(8), s_churn=10.0)
      >>> [round(float(v), 8) for v in x[0]]
      [1.0, 1.0]
    """
    owner = "edm_sample"
    check_key(key, where=owner)
    _check_kind(owner, prediction)
    x_start = _state(owner, x_start)
    sigmas = jnp.asarray(sigmas, x_start.dtype)
    if sigmas.ndim != 1 or sigmas.shape[0] < 2:
        raise ValueError(f"edm_sample: sigmas must be 1-D with >= 2 entries, got {sigmas.shape}.")
    ok = _check_sigmas("edm_sample", sigmas)
    kernel = _edm_kernel(
        owner,
        model_fn,
        sigmas.shape[0] - 1,
        s_churn,
        s_tmin,
        s_tmax,
        s_noise,
        prediction,
        sigma_data,
    )
    return _nan_unless(ok, _run(owner, key, kernel, x_start, sigmas))


def _check_sigmas(owner, sigmas):
    """Noise levels finite, >= 0 and strictly decreasing (concrete: ValueError; traced: flag)."""
    message = f"{owner}: sigmas must be finite, >= 0 and strictly decreasing"
    if not isinstance(sigmas, jax.core.Tracer):
        sn = np.asarray(sigmas, np.float64)
        if not (np.all(np.isfinite(sn) & (sn >= 0)) and np.all(np.diff(sn) < 0)):
            raise ValueError(f"{message}, got {sn!r}.")
        return jnp.ones((), bool)
    ok = jnp.all(jnp.isfinite(sigmas) & (sigmas >= 0)) & jnp.all(jnp.diff(sigmas) < 0)
    error_if_not(ok, message + ".")
    return ok


class FlowLikelihood(NamedTuple):
    r"""Result of :func:`probability_flow_log_likelihood`.

    Attributes:
      log_prob: :math:`\log p_{t_0}(x)` = ``prior_log_prob + delta_log_prob``.
      prior_log_prob: :math:`\log p_T(x_T)` under the prior.
      delta_log_prob: :math:`\int_{t_0}^T \nabla\cdot v(x_t, t)\,dt`.
      x_end: :math:`x_T`, the end of the flow.

    The instantaneous change of variables gives
    :math:`\log p_{t_0}(x) = \log p_T(x_T) + \int_{t_0}^T \nabla\cdot v(x_t, t)\,dt`
    (Chen et al. 2018 [@chen2018neural]; Grathwohl et al. 2019 [@grathwohl2019ffjord]). The
    fields are per example, of shape ``[batch]``, except ``x_end``, shaped like the input ``x``.

    Examples:
      >>> import jax.numpy as jnp
      >>> r = FlowLikelihood(jnp.array(-1.5), jnp.array(-1.0), jnp.array(-0.5), jnp.zeros(2))
      >>> float(r.prior_log_prob + r.delta_log_prob) == float(r.log_prob)
      True
    """

    log_prob: jnp.ndarray
    prior_log_prob: jnp.ndarray
    delta_log_prob: jnp.ndarray
    x_end: jnp.ndarray


@cached(
    static_argnums=(0,),
    static_argnames=(
        "schedule",
        "num_steps",
        "t_start",
        "t_end",
        "method",
        "divergence_method",
        "num_probes",
        "probe",
        "prior_log_prob",
        "prediction",
        "sigma_data",
    ),
    precheck=_grid_precheck("probability_flow_log_likelihood", "increasing"),
)
def probability_flow_log_likelihood(
    model_fn: Callable,
    x,
    *,
    schedule: NoiseSchedule,
    num_steps: int | None = None,
    times=None,
    t_start: float = 1e-5,
    t_end: float | None = None,
    method: str = "rk4",
    divergence_method: str = "exact",
    key=None,
    num_probes: int = 1,
    probe: str = "rademacher",
    prior_log_prob: Callable | None = None,
    prediction: str = "score",
    sigma_data: float = 0.5,
) -> FlowLikelihood:
    r"""Exact log-likelihood through the probability-flow ODE (Song et al. 2021, FFJORD-style).

    Integrates :math:`(x_t, \ell_t)` forward with :math:`\dot x = v(x, t)`,
    :math:`\dot\ell = \nabla\cdot v(x, t)`, from ``t_start`` to ``t_end``; then

    .. math::
        \log p_{t_0}(x) = \log p_T(x_T) + \int_{t_0}^T \nabla\cdot v(x_t, t)\,dt.

    The divergence is exact (chunked Jacobian-vector products) or Hutchinson with probes fixed
    along the trajectory (an unbiased estimate of the log-likelihood). Each example of the batch
    is its own point: the divergence is taken per example (the model is called on one example at
    a time under ``vmap``, so it must treat the examples of a batch independently).

    Args:
      model_fn: the model ``(x [batch, ...], t [batch]) -> [batch, ...]``, a prediction of type
        ``prediction``.
      x: the data points, shape ``[batch, ...]``.
      schedule: the :class:`~gmath.scores.NoiseSchedule`.
      num_steps: steps of the default uniform grid from ``t_start`` to ``t_end``.
      times: explicit strictly increasing grid in the schedule's domain, with
        :math:`\alpha_t > 0` (overrides ``num_steps``, ``t_start``, ``t_end``).
      t_start: start time :math:`t_0 > 0`.
      t_end: end time :math:`T` (default ``schedule.t_max``, or ``t_max - 1e-3`` where
        :math:`\alpha_{t_{\max}} = 0`, as in :func:`time_grid`).
      method: ODE solver ``"euler"``, ``"heun"`` or ``"rk4"``.
      divergence_method: ``"exact"``, ``"hutchinson"`` or ``"hutch++"``.
      key: PRNG key for stochastic divergences.
      num_probes: probes for stochastic divergences.
      probe: ``"rademacher"`` or ``"gaussian"``.
      prior_log_prob: ``x_T [batch, ...] -> log p_T(x_T) [batch]``; default
        :math:`\mathcal N(0, \sigma_T^2 I)` per example.
      prediction: what ``model_fn`` predicts: ``"score"`` (default), ``"eps"``, ``"x0"``,
        ``"v"``, ``"velocity"`` or ``"edm"`` (static).
      sigma_data: :math:`\sigma_d` of ``"edm"`` predictions (static).

    Returns:
      :class:`FlowLikelihood`, per example.

    References:
      Song et al. (2021) [@song2021scoresde]; Grathwohl et al. (2019). FFJORD
      [@grathwohl2019ffjord].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.scores import vp_linear
      >>> prior = lambda x: -0.5 * jnp.sum(x**2, axis=-1) - jnp.log(2 * jnp.pi)
      >>> r = probability_flow_log_likelihood(lambda x, t: -x, jnp.zeros((1, 2)),
      ...                                     schedule=vp_linear(), num_steps=4,
      ...                                     prior_log_prob=prior)
      >>> round(float(r.log_prob[0]), 5)  # N(0, I) data: log p(0) = -log(2 pi)
      -1.83788
    """
    owner = "probability_flow_log_likelihood"
    check_method(owner, method)
    _check_kind(owner, prediction)
    x = _state(owner, x)
    batch, event = x.shape[0], x.shape[1:]
    size = math.prod(event)
    if times is None:
        if num_steps is None:
            raise ValueError("probability_flow_log_likelihood: pass num_steps or times.")
        end = _noise_time(schedule) if t_end is None else t_end
        with jax.ensure_compile_time_eval():  # concrete also when compiled: checked at trace
            times = time_grid(schedule, num_steps, t_start=end, t_end=t_start, dtype=x.dtype)
            times = times[::-1]
            ok = _check_grid(owner, schedule, times, "increasing")  # e.g. t_end at alpha = 0
    else:
        times = jnp.asarray(times, x.dtype)
        ok = _check_grid(owner, schedule, times, "increasing")
    field = probability_flow_drift(
        model_fn, schedule=schedule, prediction=prediction, sigma_data=sigma_data
    )
    probes = jnp.zeros((batch,), x.dtype)  # a placeholder to map over
    if divergence_method != "exact":
        if key is None:
            raise ValueError(
                f"probability_flow_log_likelihood: divergence_method={divergence_method!r} "
                "needs a key."
            )
        check_key(key, where=owner)
        draw = jax.random.rademacher if probe == "rademacher" else jax.random.normal
        probes = draw(key, (batch, num_probes, size), x.dtype)

    def one(y, t, p):
        fn = lambda v: field(v[None], t)[0]  # the model on a batch of one example
        if divergence_method == "exact":
            div = jacobian_trace(fn, y)
        else:
            div = jacobian_trace_estimate(
                None, fn, y, method=divergence_method, num_probes=num_probes, probes=p
            ).value
        return fn(y), div

    def augmented(state, t):
        y, _ = state
        return jax.vmap(one, in_axes=(0, None, 0))(y, t, probes)

    state = SamplerState((x, jnp.zeros((batch,), x.dtype)))
    x_end, delta = scan_kernel(ode_kernel(augmented, method), state, times, None).position
    if prior_log_prob is None:
        var = schedule.sigma(times[-1]) ** 2
        sq = jnp.sum(jnp.reshape(x_end * x_end, (batch, -1)), axis=-1)
        prior = -0.5 * sq / var - 0.5 * size * jnp.log(2 * math.pi * var)
    else:
        prior = jnp.asarray(prior_log_prob(x_end), x.dtype)
        if prior.shape != (batch,):
            raise ValueError(
                f"{owner}: prior_log_prob returned shape {prior.shape}, expected ({batch},) "
                "(one log-density per example)."
            )
    return _nan_unless(ok, FlowLikelihood(prior + delta, prior, delta, x_end))
