r"""Entropy-regularised (logit, quantal-response) equilibria of zero-sum matrix games."""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.flatten_util import ravel_pytree

from gmath._config import error_if_not
from gmath._jit import cached
from gmath._numerics import highest_precision, promote
from gmath.games._matrix_games import _check_matrix

__all__ = ["LogitEquilibrium", "logit_equilibrium"]


class LogitEquilibrium(NamedTuple):
    """Result of :func:`logit_equilibrium`.

    Attributes:
      x: ``[m]`` row strategy. y: ``[n]`` column strategy.
      value: regularised value :math:`x^\\top A y + \\tau(\\sum x\\log x - \\sum y \\log y)`.
      residual: max-norm of the fixed-point residual.
      converged: whether ``residual`` is at most ``tolerance``, or the rounding floor of the
        residual where that is larger.
      num_iterations: mirror-descent iterations taken (at most ``max_iterations``; the four
        Newton steps that follow are not counted).
    """

    x: jax.Array
    y: jax.Array
    value: jax.Array
    residual: jax.Array
    converged: jax.Array
    num_iterations: jax.Array


def _softmax_over(d, tau):
    r"""``softmax(d / tau)`` with differences below the rounding of ``d`` treated as ties.

    The shift by the maximum is taken in the units of ``d``, before dividing by ``tau``: XLA may
    evaluate ``d`` twice with different roundings (a fused multiply-add in one place), and an
    error of half an ulp of ``d`` divided by a small ``tau`` (``|d|/tau`` of 1e17 in float64,
    1e8 in float32) would otherwise push every exponent to ``-inf`` and the softmax to 0/0.
    Gaps within :math:`4\varepsilon\max|d|` carry no information and are set to 0 in value
    (not in gradient, which stays that of the exact softmax).
    """
    m = jax.lax.stop_gradient(jnp.max(d))
    u = d - m
    noise = jax.lax.stop_gradient(4 * jnp.finfo(d.dtype).eps * jnp.max(jnp.abs(d)))
    u = u + jax.lax.stop_gradient(jnp.where(u >= -noise, jnp.zeros_like(u), u) - u)
    e = jnp.exp(u / tau)
    return e / jnp.sum(e)


def _residual(A, tau, z):
    x, y = z
    return (x - _softmax_over(-(A @ y), tau), y - _softmax_over(x @ A, tau))


def _max_abs(z):
    return jnp.max(jnp.abs(ravel_pytree(z)[0]))


def _iterate(A, tau, tolerance, max_iterations):
    """Predictive-update (optimistic) mirror descent, linear rate 1 - eta tau, then Newton."""
    m, n = A.shape
    dt = A.dtype
    eta = 1.0 / (tau + 2.0 * jnp.max(jnp.abs(A)))
    keep = 1.0 - eta * tau
    lx0 = jnp.zeros((m,), dt)
    ly0 = jnp.zeros((n,), dt)

    def res_of(lx, ly):
        return _max_abs(_residual(A, tau, (jax.nn.softmax(lx), jax.nn.softmax(ly))))

    def cond(c):
        lx, ly, k, r = c
        return (k < max_iterations) & (r > jnp.maximum(tolerance, 1e-6))

    def body(c):
        lx, ly, k, _ = c
        x, y = jax.nn.softmax(lx), jax.nn.softmax(ly)
        bx = keep * lx - eta * (A @ y)
        by = keep * ly + eta * (x @ A)
        xb, yb = jax.nn.softmax(bx), jax.nn.softmax(by)
        lx = keep * lx - eta * (A @ yb)
        ly = keep * ly + eta * (xb @ A)
        lx = lx - jnp.max(lx)
        ly = ly - jnp.max(ly)
        return lx, ly, k + 1, res_of(lx, ly)

    lx, ly, k, _ = jax.lax.while_loop(
        cond, body, (lx0, ly0, jnp.zeros((), jnp.int32), jnp.asarray(jnp.inf, dt))
    )
    z = (jax.nn.softmax(lx), jax.nn.softmax(ly))

    # Newton on the fixed-point residual (quadratic convergence from a good start)
    flat, unravel = ravel_pytree(z)

    def F(v):
        return ravel_pytree(_residual(A, tau, unravel(v)))[0]

    def newton(_, v):
        jac = jax.jacfwd(F)(v)
        step = jnp.linalg.solve(jac, F(v))
        cand = v - step
        better = jnp.all(jnp.isfinite(cand)) & (jnp.max(jnp.abs(F(cand))) < jnp.max(jnp.abs(F(v))))
        return jnp.where(better, cand, v)

    flat = jax.lax.fori_loop(0, 4, newton, flat)
    # the count as a float: custom_root differentiates its aux too (an int tangent fails)
    return unravel(flat), k.astype(dt)


@highest_precision
def logit_equilibrium(
    A, *, temperature, tolerance: float = 1e-12, max_iterations: int = 100_000
) -> LogitEquilibrium:
    r"""The unique entropy-regularised (logit / quantal-response) equilibrium of ``A``.

    Solves :math:`\min_{x\in\Delta_m}\max_{y\in\Delta_n} x^\top A y + \tau\sum_i x_i\log x_i
    - \tau\sum_j y_j \log y_j`, whose unique saddle is the fixed point

    .. math::
        x = \operatorname{softmax}(-A y/\tau), \qquad y = \operatorname{softmax}(A^\top x/\tau),

    the logit quantal-response equilibrium of McKelvey and Palfrey (1995) with rationality
    :math:`1/\tau`. It tends to a Nash equilibrium as :math:`\tau \to 0`. Computed by
    entropy-regularised optimistic mirror descent (linear rate :math:`1 - \eta\tau`, Cen et al.
    2021) followed by Newton steps, and differentiable in ``A`` and ``temperature`` by implicit
    differentiation of the fixed point (:func:`jax.lax.custom_root`).

    Args:
      A: ``[m, n]`` loss matrix of the row player.
      temperature: :math:`\tau > 0` (a concrete :math:`\tau \le 0` raises ``ValueError``; a
        traced one gives NaN, and :class:`gmath.config.InvalidParameterError` in checks mode).
      tolerance: target max-norm residual; raised to the rounding floor of the residual,
        :math:`4(m + n)\,\varepsilon\,(1 + \max|A_{ij}|/\tau)`, below which the dtype cannot
        certify it (so the default is reachable in float32).
      max_iterations: bound on mirror-descent iterations.

    Returns:
      A :class:`LogitEquilibrium` ``(x, y, value, residual, converged, num_iterations)``; by
      the envelope theorem :math:`\partial\,\mathrm{value}/\partial A = x y^\top`.

    References:
      McKelvey and Palfrey (1995). Quantal response equilibria for normal form games. Games and
      Economic Behavior 10 [@mckelvey1995quantal].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> eq = gg.logit_equilibrium(jnp.array([[1.0, -1.0], [-1.0, 1.0]]), temperature=0.5)
      >>> eq.x.round(6).tolist(), round(float(eq.value), 6)
      ([0.5, 0.5], 0.0)
    """
    if not float(tolerance) >= 0:
        raise ValueError(f"logit_equilibrium: tolerance must be non-negative, got {tolerance!r}.")
    if int(max_iterations) < 1:
        raise ValueError(
            f"logit_equilibrium: max_iterations must be positive, got {max_iterations!r}."
        )
    A = _check_matrix(A, "logit_equilibrium")
    if jnp.ndim(temperature) != 0:
        raise ValueError(
            f"logit_equilibrium: temperature must be a scalar, got shape {jnp.shape(temperature)}."
        )
    if not isinstance(temperature, jax.core.Tracer):
        # checked on the host: a constant closed over by jit is traced once it meets jnp
        if not bool(np.asarray(temperature) > 0):
            raise ValueError(
                f"logit_equilibrium: temperature must be positive, got {temperature!r}."
            )
    else:
        error_if_not(temperature > 0, "logit_equilibrium: temperature must be positive.")
    A, tau = promote(A, temperature)
    return _logit_jit(A, tau, tolerance=float(tolerance), max_iterations=int(max_iterations))


def _residual_floor(A, tau):
    r"""Rounding floor of the max-norm residual: the logits :math:`A y/\tau` carry an absolute
    error of about :math:`(m + n)\,\varepsilon \max|A_{ij}|/\tau`, which the softmax turns into
    the same relative error of the strategies."""
    m, n = A.shape
    eps = jnp.finfo(A.dtype).eps
    # capped at sqrt(eps): a residual above it is never called converged, however small tau
    return jnp.minimum(4.0 * (m + n) * eps * (1.0 + jnp.max(jnp.abs(A)) / tau), jnp.sqrt(eps))


def _neg_entropy(p):
    """``sum p log p`` with a zero gradient where ``p`` underflowed to 0 (double-where: the limit
    of ``(log p + 1) dp`` there is 0, where ``xlogy`` would give ``-inf * 0``)."""
    positive = p > 0
    safe = jnp.where(positive, p, jnp.ones_like(p))
    return jnp.sum(jnp.where(positive, safe * jnp.log(safe), jnp.zeros_like(p)))


@cached(static_argnames=("tolerance", "max_iterations"))
def _logit_jit(A, tau, *, tolerance, max_iterations):
    # a traced temperature <= 0 (or NaN; raised in checks mode by the caller) gives NaN: solve
    # at a safe temperature and mask, so that no branch produces NaN gradients
    valid = tau > 0
    nan = jnp.asarray(jnp.nan, A.dtype)
    tau = jnp.where(valid, tau, 1.0)
    m, n = A.shape
    z0 = (jnp.full((m,), 1.0 / m, A.dtype), jnp.full((n,), 1.0 / n, A.dtype))

    def f(z):
        return _residual(A, tau, z)

    def solve(_, __):
        return _iterate(
            jax.lax.stop_gradient(A), jax.lax.stop_gradient(tau), tolerance, max_iterations
        )

    def tangent_solve(g, rhs):
        flat, unravel = ravel_pytree(rhs)
        jac = jax.jacfwd(lambda v: ravel_pytree(g(unravel(v)))[0])(jnp.zeros_like(flat))
        return unravel(jnp.linalg.solve(jac, flat))

    (x, y), iterations = jax.lax.custom_root(f, z0, solve, tangent_solve, has_aux=True)
    iterations = jax.lax.stop_gradient(iterations).astype(jnp.int32)
    value = x @ A @ y + tau * (_neg_entropy(x) - _neg_entropy(y))
    residual = _max_abs(_residual(jax.lax.stop_gradient(A), jax.lax.stop_gradient(tau), (x, y)))
    reachable = jnp.maximum(tolerance, jax.lax.stop_gradient(_residual_floor(A, tau)))
    converged = valid & (residual <= reachable)
    x, y, value, residual = (jnp.where(valid, u, nan) for u in (x, y, value, residual))
    return LogitEquilibrium(x, y, value, residual, converged, iterations)
