r"""The generic exponential-family route: natural parameters and log-normalisers.

A family :math:`p_\theta(x) = h(x) \exp(\langle\theta, T(x)\rangle - A(\theta))` has

.. math::
    KL(p_{\theta_1} \| p_{\theta_2}) = A(\theta_2) - A(\theta_1)
        - \langle\nabla A(\theta_1), \theta_2 - \theta_1\rangle,

the Bregman divergence of the log-normaliser :math:`A`, and Rényi divergences

.. math::
    D_\alpha = \frac{A(\alpha\theta_1 + (1 - \alpha)\theta_2) - \alpha A(\theta_1)
        - (1 - \alpha) A(\theta_2)}{\alpha - 1},

finite when :math:`\alpha\theta_1 + (1 - \alpha)\theta_2` is a natural parameter (always for
:math:`0 < \alpha < 1`; else :math:`+\infty`). The gradient in the Bregman divergence is one
forward-mode derivative (``jax.jvp``) of :math:`A` along :math:`\theta_2 - \theta_1`, so no
formula is written by hand: this route is the independent check of the closed forms.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

import gmath.densities as gd
from gmath._numerics import betaln, gammaln, i0e, log1mexp, matmul, safe_norm
from gmath.densities import Distribution
from gmath.divergences._gaussian import GAUSSIAN_CLASSES, as_gaussian, is_gaussian
from gmath.divergences._params import (
    bernoulli_log_probs,
    bernoulli_logits,
    categorical_log_probs,
    check_alpha,
    check_distribution,
    check_pair,
    common_dtype,
)
from gmath.divergences._registry import Registry

__all__ = [
    "NATURAL",
    "exponential_family_kl",
    "exponential_family_renyi",
    "has_natural_parameters",
    "natural_parameters",
]


class _Family(NamedTuple):
    group: str  # records of the same group share natural parameters (Exponential -> Gamma)
    theta: tuple  # natural parameters, each with its event dimensions last
    log_normalizer: Callable  # A(*theta) -> batch-shaped
    in_domain: Callable  # (*theta) -> bool, batch-shaped
    extra: Any = None  # what the base measure depends on (Binomial total_count)
    sized: bool = False  # theta has an event axis (categories, dimensions) that must match


def _normal_like(group, d, dt):
    loc, scale = jnp.asarray(d.loc, dt), jnp.asarray(d.scale, dt)
    prec = 1 / (scale * scale)
    return _Family(
        group,
        (loc * prec, -0.5 * prec),
        lambda t1, t2: -t1 * t1 / (4 * t2) + 0.5 * jnp.log(math.pi / -t2),
        lambda t1, t2: t2 < 0,
    )


def _gamma_like(d, dt, concentration):
    rate = jnp.asarray(d.rate, dt)
    return _Family(
        "Gamma",
        (jnp.asarray(concentration, dt) - 1, -rate),
        lambda t1, t2: gammaln(t1 + 1) - (t1 + 1) * jnp.log(-t2),
        lambda t1, t2: (t1 > -1) & (t2 < 0),
    )


def _mvn(d, dt):
    g = as_gaussian(d, dt)
    prec = g.precision()
    eta = matmul(prec, g.loc[..., :, None])[..., 0]
    dim = g.dim

    def log_normalizer(t1, t2):
        lam = -(t2 + jnp.swapaxes(t2, -1, -2))  # = precision, symmetrised for the tangent
        chol = jnp.linalg.cholesky(lam)
        z = jax.lax.linalg.triangular_solve(chol, t1[..., :, None], left_side=True, lower=True)
        logdet = 2 * jnp.sum(jnp.log(jnp.diagonal(chol, axis1=-2, axis2=-1)), -1)
        return 0.5 * jnp.sum(z[..., 0] ** 2, -1) - 0.5 * logdet + 0.5 * dim * math.log(2 * math.pi)

    def in_domain(t1, t2):
        lam = -(t2 + jnp.swapaxes(t2, -1, -2))
        return jnp.all(jnp.isfinite(jnp.linalg.cholesky(lam)), (-2, -1))

    return _Family("MultivariateNormal", (eta, -0.5 * prec), log_normalizer, in_domain, sized=True)


# record class -> ``fn(d, dtype) -> _Family``; subclasses get their family's form
NATURAL = Registry("natural_parameters", arity=1)
NATURAL.register(gd.Normal)(lambda d, dt: _normal_like("Normal", d, dt))
NATURAL.register(gd.LogNormal)(lambda d, dt: _normal_like("LogNormal", d, dt))
NATURAL.register(gd.Exponential)(lambda d, dt: _gamma_like(d, dt, jnp.ones((), dt)))
NATURAL.register(gd.Gamma)(lambda d, dt: _gamma_like(d, dt, d.concentration))
for _cls in GAUSSIAN_CLASSES:
    NATURAL.register(_cls)(_mvn)


@NATURAL.register(gd.HalfNormal)
def _half_normal(d, dt):
    scale = jnp.asarray(d.scale, dt)
    return _Family(
        "HalfNormal",
        (-0.5 / (scale * scale),),
        lambda t: 0.5 * jnp.log(math.pi / -t) - math.log(2.0),
        lambda t: t < 0,
    )


@NATURAL.register(gd.Beta)
def _beta(d, dt):
    a, b = jnp.asarray(d.concentration1, dt), jnp.asarray(d.concentration0, dt)
    return _Family(
        "Beta",
        (a - 1, b - 1),
        lambda t1, t2: betaln(t1 + 1, t2 + 1),
        lambda t1, t2: (t1 > -1) & (t2 > -1),
    )


@NATURAL.register(gd.Dirichlet)
def _dirichlet(d, dt):
    a = jnp.asarray(d.concentration, dt)
    return _Family(
        "Dirichlet",
        (a - 1,),
        lambda t: jnp.sum(gammaln(t + 1), -1) - gammaln(jnp.sum(t + 1, -1)),
        lambda t: jnp.all(t > -1, -1),
        sized=True,
    )


@NATURAL.register(gd.Bernoulli)
def _bernoulli(d, dt):
    return _Family(
        "Bernoulli", (bernoulli_logits(d, dt),), jax.nn.softplus, lambda t: jnp.isfinite(t)
    )


@NATURAL.register(gd.Binomial)
def _binomial(d, dt):
    n = jnp.asarray(d.total_count, dt)
    return _Family(
        "Binomial",
        (bernoulli_logits(d, dt),),
        lambda t: n * jax.nn.softplus(t),
        lambda t: jnp.isfinite(t),
        extra=n,
    )


@NATURAL.register(gd.Categorical)
def _categorical(d, dt):
    return _Family(
        "Categorical",
        (categorical_log_probs(d, dt),),
        lambda t: jax.nn.logsumexp(t, -1),
        lambda t: jnp.all(t < jnp.inf, -1),
        sized=True,
    )


@NATURAL.register(gd.Poisson)
def _poisson(d, dt):
    rate = jnp.asarray(d.rate, dt)
    return _Family("Poisson", (jnp.log(rate),), jnp.exp, lambda t: t < jnp.inf)


@NATURAL.register(gd.Geometric)
def _geometric(d, dt):
    # T(k) = k (failures before the first success), theta = log(1 - p).
    _, log_fail = bernoulli_log_probs(d, dt)
    return _Family("Geometric", (log_fail,), lambda t: -log1mexp(t), lambda t: t < 0)


@NATURAL.register(gd.VonMises)
def _von_mises(d, dt):
    loc, k = jnp.asarray(d.loc, dt), jnp.asarray(d.concentration, dt)
    theta = jnp.stack([k * jnp.cos(loc), k * jnp.sin(loc)], -1)

    def log_normalizer(t):
        r = safe_norm(t, axis=-1)
        return math.log(2 * math.pi) + jnp.log(i0e(r)) + r

    return _Family("VonMises", (theta,), log_normalizer, lambda t: jnp.all(jnp.isfinite(t), -1))


def has_natural_parameters(d) -> bool:
    """Whether ``d`` has an exponential-family form here (an ``Independent`` only when it is a
    multivariate normal)."""
    fn = NATURAL.lookup(d)
    return fn is not None and (fn is not _mvn or is_gaussian(d))


def _family(d, dt) -> _Family:
    if not has_natural_parameters(d):
        raise NotImplementedError(
            f"{type(d).__qualname__} has no exponential-family form in gmath.divergences "
            "(families with one: Normal, LogNormal, HalfNormal, Exponential, Gamma, Beta, "
            "Dirichlet, Bernoulli, Binomial, Categorical, Poisson, Geometric, VonMises, "
            "multivariate normals)."
        )
    fn = NATURAL.lookup(d)
    assert fn is not None
    return fn(d, dt)


def natural_parameters(d: Distribution) -> tuple[tuple[jax.Array, ...], Callable[..., jax.Array]]:
    r"""Natural parameters :math:`\theta` and log-normaliser :math:`A` of a record.

    Args:
      d: a record of an exponential family (Normal, LogNormal, HalfNormal, Exponential, Gamma,
        Beta, Dirichlet, Bernoulli, Binomial, Categorical, Poisson, Geometric, VonMises,
        multivariate normals).

    Returns:
      ``(theta, log_normalizer)``: a tuple of arrays (each with its event dimensions last) and
      the function :math:`A` with :math:`\log p(x) = \log h(x) + \langle\theta, T(x)\rangle -
      A(\theta)`.

    Examples:
      >>> from gmath.densities import Normal
      >>> theta, A = natural_parameters(Normal(1.0, 2.0))
      >>> [round(float(t), 6) for t in theta]
      [0.25, -0.125]
      >>> round(float(A(*theta)), 6)  # mu^2 / 2 s^2 + log s + log(2 pi) / 2
      1.737086
    """
    check_distribution("natural_parameters", d, "d")
    fam = _family(d, common_dtype(d))
    return fam.theta, fam.log_normalizer


def _pair(p, q, where):
    check_pair(where, p, q)
    dt = common_dtype(p, q)
    fp, fq = _family(p, dt), _family(q, dt)
    if fp.group != fq.group:
        raise NotImplementedError(
            f"{type(p).__name__} and {type(q).__name__} are not the same exponential family."
        )
    if fp.sized:
        kp, kq = fp.theta[0].shape[-1], fq.theta[0].shape[-1]
        if kp != kq:
            raise ValueError(
                f"{where}: {type(p).__name__} and {type(q).__name__} of sizes {kp} and {kq} "
                "(p and q must have the same number of categories or dimensions)."
            )
    thetas = [jnp.broadcast_arrays(a, b) for a, b in zip(fp.theta, fq.theta, strict=True)]
    return fp, fq, tuple(t[0] for t in thetas), tuple(t[1] for t in thetas)


def exponential_family_kl(p: Distribution, q: Distribution) -> jax.Array:
    r"""KL between two members of one exponential family, as a Bregman divergence.

    .. math::
        KL(p_{\theta_1} \| p_{\theta_2}) = A(\theta_2) - A(\theta_1)
            - \langle\nabla A(\theta_1), \theta_2 - \theta_1\rangle.

    The directional derivative is one ``jax.jvp`` of :math:`A`. The hand-written closed forms
    of :func:`kl` are tested against this route. Binomials must share ``total_count``.

    Args:
      p, q: records of the same exponential family (Exponential and Gamma count as one family,
        and so do all multivariate normal parameterisations).

    Returns:
      Array of shape ``broadcast(p.batch_shape, q.batch_shape)``.

    References:
      Banerjee, Merugu, Dhillon and Ghosh (2005). Clustering with Bregman divergences. JMLR 6
      [@banerjee2005bregman].

    Examples:
      >>> from gmath.densities import Normal
      >>> round(float(exponential_family_kl(Normal(0.0, 1.0), Normal(1.0, 2.0))), 6)
      0.443147
    """
    fp, fq, t1, t2 = _pair(p, q, "exponential_family_kl")
    a = fp.log_normalizer
    tangent = tuple(b - c for b, c in zip(t2, t1, strict=True))
    a1, directional = jax.jvp(a, t1, tangent)
    return a(*t2) - a1 - directional


def exponential_family_renyi(p: Distribution, q: Distribution, alpha: ArrayLike) -> jax.Array:
    r"""Rényi divergence of order :math:`\alpha` within one exponential family.

    .. math::
        D_\alpha(p_{\theta_1} \| p_{\theta_2}) = \frac{A(\alpha\theta_1 + (1-\alpha)\theta_2)
            - \alpha A(\theta_1) - (1-\alpha) A(\theta_2)}{\alpha - 1},

    :math:`+\infty` when :math:`\alpha\theta_1 + (1-\alpha)\theta_2` leaves the natural
    domain (possible only for :math:`\alpha > 1`). At :math:`\alpha = 1` the KL
    (:func:`exponential_family_kl`) is returned.

    Args:
      p, q: records of the same exponential family.
      alpha: order :math:`\alpha \ge 0`, broadcasting with the batch shape (NaN outside
        :math:`[0, \infty)`; ``InvalidParameterError`` in checks mode).

    Returns:
      Array of shape ``broadcast(p.batch_shape, q.batch_shape, shape(alpha))``.

    References:
      Liese and Vajda (1987). Convex Statistical Distances; Nielsen and Nock (2011). On Rényi
      and Tsallis entropies and divergences for exponential families [@nielsen2011renyi].

    Examples:
      >>> from gmath.densities import Normal
      >>> round(float(exponential_family_renyi(Normal(0.0, 1.0), Normal(1.0, 1.0), 2.0)), 6)
      1.0
    """
    fp, fq, t1, t2 = _pair(p, q, "exponential_family_renyi")
    a = fp.log_normalizer
    dt = t1[0].dtype
    alpha = check_alpha("exponential_family_renyi", alpha, dt)
    a1, a2 = a(*t1), a(*t2)

    def mix(b, c):
        extra = b.ndim - jnp.ndim(a1)
        al = alpha.reshape(alpha.shape + (1,) * extra) if extra > 0 else alpha
        return al * b + (1 - al) * c

    tm = tuple(mix(b, c) for b, c in zip(t1, t2, strict=True))
    valid = fp.in_domain(*tm)
    safe = tuple(jnp.where(_expand(valid, b), b, c) for b, c in zip(tm, t1, strict=True))
    not_one = alpha != 1
    denom = jnp.where(not_one, alpha - 1, 1.0)
    value = (a(*safe) - alpha * a1 - (1 - alpha) * a2) / denom
    value = jnp.where(valid, value, jnp.inf)
    return jnp.where(not_one, value, exponential_family_kl(p, q))


def _expand(mask, like):
    return mask.reshape(mask.shape + (1,) * (like.ndim - mask.ndim))
