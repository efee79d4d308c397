r"""The f-divergence generators (public namespace: :mod:`gmath.divergences.generators`)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import jax
import jax.numpy as jnp

from gmath.divergences._params import expm1_minus, log_cosh

__all__ = [
    "FGAN_GENERATORS",
    "Generator",
    "amari_alpha",
    "dual",
    "gan",
    "jeffreys",
    "jensen_shannon",
    "kl_forward",
    "kl_reverse",
    "log1p_abs",
    "modified_gan",
    "neyman",
    "pearson",
    "squared_hellinger",
    "symmetrized",
    "t_power",
    "total_variation",
    "triangular",
]

_LOG2 = math.log(2.0)
_INF = math.inf


@dataclass(frozen=True)
class Generator:
    r"""A convex :math:`f` with :math:`f(1) = 0`, as a function of :math:`\log u`.

    Attributes:
      name: a readable name.
      fn: ``log_u -> f(exp(log_u))``, elementwise.
      at_zero: :math:`f(0^+)` (``inf`` allowed).
      at_infinity: :math:`\lim_{u\to\infty} f(u)/u` (``inf`` allowed).
      conjugate: ``t -> f^*(t)`` (Fenchel conjugate :math:`\sup_u tu - f(u)`, ``inf`` outside
        its domain) or None.
      activation: ``v -> g_f(v)``, the f-GAN output activation (Nowozin et al. 2016, Table 2,
        rescaled to this :math:`f`) mapping a real critic output into the domain of
        :math:`f^*`, or None.
      conjugate_activation: ``v -> f^*(g_f(v))`` written stably in ``v``, or None.

    Calling a generator evaluates ``fn``.
    """

    name: str
    fn: Callable
    at_zero: float
    at_infinity: float
    conjugate: Callable | None = None
    activation: Callable | None = None
    conjugate_activation: Callable | None = None

    def __call__(self, log_u) -> jax.Array:
        return self.fn(jnp.asarray(log_u))

    def __repr__(self) -> str:
        return f"Generator({self.name})"


def _conj_domain(t, ok, value):
    return jnp.where(ok, value, jnp.inf)


def _kl_forward(lu):
    u = jnp.exp(lu)
    return jnp.where(jnp.isneginf(lu), 0.0, u * jnp.where(jnp.isneginf(lu), 0.0, lu))


kl_forward = Generator(
    "kl_forward",
    _kl_forward,
    at_zero=0.0,
    at_infinity=_INF,
    conjugate=lambda t: jnp.exp(t - 1),
    activation=lambda v: v,
    conjugate_activation=lambda v: jnp.exp(v - 1),
)

kl_reverse = Generator(
    "kl_reverse",
    lambda lu: -lu,
    at_zero=_INF,
    at_infinity=0.0,
    conjugate=lambda t: _conj_domain(t, t < 0, -1 - jnp.log(jnp.where(t < 0, -t, 1.0))),
    activation=lambda v: -jnp.exp(-v),
    conjugate_activation=lambda v: v - 1,
)


_JS_SERIES = [1.0 / (k * (2 * k - 1)) for k in range(1, 29)]


def _js(lu):
    # f(u) = [u log u - (1 + u) log((1 + u)/2)] / 2
    #      = [-u softplus(-lu) - softplus(lu) + (1 + u) log 2] / 2            (|lu| large)
    #      = (1 + u)/4 * sum_k e^(2k) / (k (2k - 1)),  e = tanh(lu/2)        (|lu| < 1.0986)
    # the series, (1+e) log(1+e) + (1-e) log(1-e), avoids the cancellation near u = 1.
    u = jnp.exp(lu)
    direct = 0.5 * (-u * jax.nn.softplus(-lu) - jax.nn.softplus(lu) + (1 + u) * _LOG2)
    small = jnp.abs(lu) < 1.0986
    e2 = jnp.tanh(0.5 * jnp.where(small, lu, 0.0)) ** 2
    acc = jnp.zeros_like(e2)
    for c in reversed(_JS_SERIES):
        acc = (acc + c) * e2
    return jnp.where(small, 0.25 * (1 + u) * acc, direct)


def _js_conjugate(t):
    ok = t < 0.5 * _LOG2
    return _conj_domain(t, ok, -0.5 * jnp.log(2 - jnp.exp(2 * jnp.where(ok, t, 0.0))))


jensen_shannon = Generator(
    "jensen_shannon",
    _js,
    at_zero=0.5 * _LOG2,
    at_infinity=0.5 * _LOG2,
    conjugate=_js_conjugate,
    # t = (log 2 - softplus(-v))/2: e^(2t) = 2 sigmoid(v), f*(t) = (softplus(v) - log 2)/2
    activation=lambda v: 0.5 * (_LOG2 - jax.nn.softplus(-v)),
    conjugate_activation=lambda v: 0.5 * (jax.nn.softplus(v) - _LOG2),
)

total_variation = Generator(
    "total_variation",
    lambda lu: 0.5 * jnp.abs(jnp.expm1(lu)),
    at_zero=0.5,
    at_infinity=0.5,
    conjugate=lambda t: _conj_domain(t, jnp.abs(t) <= 0.5, t),
    activation=lambda v: 0.5 * jnp.tanh(v),
    conjugate_activation=lambda v: 0.5 * jnp.tanh(v),
)


def _sh_conjugate(t):
    ok = t < 0.5
    return _conj_domain(t, ok, t / (1 - 2 * jnp.where(ok, t, 0.0)))


squared_hellinger = Generator(
    "squared_hellinger",
    lambda lu: 0.5 * jnp.expm1(0.5 * lu) ** 2,
    at_zero=0.5,
    at_infinity=0.5,
    conjugate=_sh_conjugate,
    # t = (1 - e^-v)/2: 1 - 2t = e^-v, f*(t) = (e^v - 1)/2
    activation=lambda v: -0.5 * jnp.expm1(-v),
    conjugate_activation=lambda v: 0.5 * jnp.expm1(v),
)

pearson = Generator(
    "pearson",
    lambda lu: jnp.expm1(lu) ** 2,
    at_zero=1.0,
    at_infinity=_INF,
    conjugate=lambda t: t * t / 4 + t,
    activation=lambda v: v,
    conjugate_activation=lambda v: v * v / 4 + v,
)


def _neyman_conjugate(t):
    ok = t < 1
    return _conj_domain(t, ok, 2 - 2 * jnp.sqrt(1 - jnp.where(ok, t, 0.0)))


neyman = Generator(
    "neyman",
    lambda lu: 4 * jnp.sinh(0.5 * lu) ** 2,  # (u - 1)^2 / u
    at_zero=_INF,
    at_infinity=1.0,
    conjugate=_neyman_conjugate,
    # t = 1 - e^-v: f*(t) = 2 - 2 e^(-v/2)
    activation=lambda v: -jnp.expm1(-v),
    conjugate_activation=lambda v: -2 * jnp.expm1(-0.5 * v),
)

jeffreys = Generator(
    "jeffreys",
    lambda lu: jnp.expm1(lu) * lu,
    at_zero=_INF,
    at_infinity=_INF,
)

triangular = Generator(
    "triangular",
    lambda lu: jnp.expm1(lu) * jnp.tanh(0.5 * lu),  # (u - 1)^2 / (u + 1)
    at_zero=1.0,
    at_infinity=1.0,
)

log1p_abs = Generator(
    "log1p_abs",
    lambda lu: jnp.expm1(jnp.abs(lu)),  # u^sign(u - 1) - 1
    at_zero=_INF,
    at_infinity=1.0,
)

modified_gan = Generator(
    "modified_gan",
    # log(1 + u) - log u - log 2 + (u - 1)/2 = log cosh(lu/2) + (e^lu - 1 - lu)/2
    lambda lu: log_cosh(0.5 * lu) + 0.5 * expm1_minus(lu),
    at_zero=_INF,
    at_infinity=0.5,
)


def _gan_conjugate(t):
    ok = t < 0
    return _conj_domain(t, ok, -jnp.log(-jnp.expm1(jnp.where(ok, t, -1.0))) - 2 * _LOG2)


gan = Generator(
    "gan",
    # u log u - (1 + u) log(1 + u) + 2 log 2 = 2 f_JS(u) - (u - 1) log 2: the original GAN's
    # generator (Nowozin et al. 2016, Table 1) shifted to f(1) = 0; D_f = 2 JS. Not >= 0 itself
    # (f'(1) = -log 2), but convex with f(1) = 0, so D_f >= 0.
    lambda lu: 2 * _js(lu) - _LOG2 * jnp.expm1(lu),
    at_zero=2 * _LOG2,
    at_infinity=0.0,
    conjugate=_gan_conjugate,
    activation=lambda v: -jax.nn.softplus(-v),  # log sigmoid(v): D = sigmoid(v)
    conjugate_activation=lambda v: jax.nn.softplus(v) - 2 * _LOG2,
)

# the f-GAN table: every generator with a conjugate and an output activation, by name
FGAN_GENERATORS = {
    g.name: g
    for g in (
        gan,
        jensen_shannon,
        kl_forward,
        kl_reverse,
        neyman,
        pearson,
        squared_hellinger,
        total_variation,
    )
}


def amari_alpha(alpha: float) -> Generator:
    r"""Amari's :math:`\alpha`-divergence generator.

    .. math::
        f_\alpha(u) = \frac{u^\alpha - 1 - \alpha(u - 1)}{\alpha(\alpha - 1)},
        \quad f_1(u) = u\log u - (u - 1), \quad f_0(u) = -\log u + (u - 1).

    :math:`D_{f_\alpha} = \frac{1}{\alpha(\alpha - 1)}(e^{(\alpha - 1) D_\alpha(p\|q)} - 1)`
    in terms of the Rényi divergence :math:`D_\alpha`.

    Args:
      alpha: a Python float.

    Returns:
      A :class:`Generator`.

    References:
      Amari (2009). α-divergence is unique, belonging to both f-divergence and Bregman
      divergence classes [@amari2009alpha].

    Examples:
      >>> g = amari_alpha(0.5)
      >>> round(float(g(0.0)), 6)
      0.0
    """
    a = float(alpha)
    if a == 1.0:
        fn = lambda lu: lu * jnp.expm1(lu) - expm1_minus(lu)  # u log u - (u - 1)
        return Generator("amari_alpha(1)", fn, at_zero=1.0, at_infinity=_INF)
    if a == 0.0:
        fn = expm1_minus  # -log u + (u - 1)
        return Generator("amari_alpha(0)", fn, at_zero=_INF, at_infinity=1.0)
    # (u^a - 1 - a (u - 1)) = E(a lu) - a E(lu), E(t) = e^t - 1 - t: no first-order cancellation
    fn = lambda lu: (expm1_minus(a * lu) - a * expm1_minus(lu)) / (a * (a - 1))
    at_zero = (a - 1) / (a * (a - 1)) if a > 0 else _INF  # (-1 + a) / (a (a - 1)) = 1/a
    at_infinity = 1 / (1 - a) if a < 1 else _INF
    return Generator(f"amari_alpha({a:g})", fn, at_zero=at_zero, at_infinity=at_infinity)


def t_power(t: float) -> Generator:
    r"""The :math:`t`-power generator :math:`f(u) = s\,[u^t - 1 - t(u - 1)]`,
    :math:`s = -1` for :math:`0 < t < 1`, else :math:`+1` (convex, :math:`f(1) = f'(1) = 0`).

    Args:
      t: a Python float.

    Returns:
      A :class:`Generator`.

    Examples:
      >>> round(float(t_power(2.0)(jnp.log(3.0))), 6)  # (u - 1)^2
      4.0
    """
    t = float(t)
    s = -1.0 if 0 < t < 1 else 1.0
    fn = lambda lu: s * (expm1_minus(t * lu) - t * expm1_minus(lu))
    if t == 0 or t == 1:
        fn = lambda lu: jnp.zeros_like(lu)
    at_zero = s * (t - 1) if t > 0 else _INF
    at_infinity = -s * t if t < 1 else _INF
    return Generator(f"t_power({t:g})", fn, at_zero=at_zero, at_infinity=at_infinity)


def dual(g: Generator) -> Generator:
    r"""The dual (perspective) generator :math:`f^\diamond(u) = u f(1/u)`.

    :math:`D_{f^\diamond}(p \| q) = D_f(q \| p)`: ``dual(kl_forward)`` is ``kl_reverse``.

    Examples:
      >>> import jax.numpy as jnp
      >>> round(float(dual(kl_forward)(jnp.log(2.0))), 6) == round(float(kl_reverse(jnp.log(2.0))), 6)
      True
    """
    fn = lambda lu: jnp.exp(lu) * g.fn(-lu)
    return Generator(f"dual({g.name})", fn, at_zero=g.at_infinity, at_infinity=g.at_zero)


def symmetrized(g: Generator) -> Generator:
    r"""The symmetrised generator :math:`\tfrac12[f(u) + u f(1/u)]`:
    :math:`D = \tfrac12[D_f(p\|q) + D_f(q\|p)]`.

    Examples:
      >>> import jax.numpy as jnp
      >>> lu = jnp.log(3.0)
      >>> bool(jnp.isclose(symmetrized(kl_forward)(lu), 0.5 * jeffreys(lu)))
      True
    """
    d = dual(g)
    fn = lambda lu: 0.5 * (g.fn(lu) + d.fn(lu))
    return Generator(
        f"symmetrized({g.name})",
        fn,
        at_zero=0.5 * (g.at_zero + d.at_zero),
        at_infinity=0.5 * (g.at_infinity + d.at_infinity),
    )
