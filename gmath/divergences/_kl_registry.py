r"""The registry behind :func:`kl`: one closed form per ordered pair of families.

Each pair registers independently with :func:`register_kl`, keyed by classes (a
:class:`~gmath.divergences._registry.Registry`, the mechanism every closed form here shares).
Dispatch walks the classes of ``p`` and ``q`` (their MROs, most specific first), so another
library's ``Normal`` never reaches gmath's formulas: objects that are not gmath distributions and
have no pair registered for their own classes raise ``TypeError``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp

from gmath.densities import Distribution, MixtureSameFamily
from gmath.divergences._params import (
    check_distribution,
    check_pair,
    identical,
    invalid_mask,
    vanish,
)
from gmath.divergences._registry import Registry

__all__ = ["KL", "kl", "kl_pairs", "register_kl"]

KL = Registry("kl")


def register_kl(type_p, type_q) -> Callable[[Callable], Callable]:
    r"""Decorator registering ``fn(p, q)`` as the closed form of :math:`KL(p \| q)`.

    The same mechanism as :func:`register_renyi` and :func:`register_total_variation`: the key
    is the pair of classes, and subclasses of ``type_p`` and ``type_q`` get ``fn`` too unless a
    more specific pair is registered.

    Args:
      type_p, type_q: the classes (or the names of gmath families, e.g. ``"Normal"``, which
        stand for the classes of :mod:`gmath.densities`).

    Returns:
      The decorator; it returns ``fn`` unchanged.

    Examples:
      >>> import gmath.divergences as gv
      >>> class Point:
      ...     batch_shape = ()
      >>> @gv.register_kl(Point, Point)
      ... def _kl_point(p, q):
      ...     return 0.0
      >>> float(gv.kl(Point(), Point()))
      0.0
    """
    return KL.register(type_p, type_q)


def kl_pairs() -> list[tuple[str, str]]:
    """The ordered pairs of classes :func:`kl` answers in closed form, by name, sorted.

    Examples:
      >>> import gmath.divergences as gv
      >>> ("Normal", "Normal") in gv.kl_pairs()
      True
    """
    return [(a, b) for a, b in KL.names()]


def has_kl(p, q) -> bool:
    """Whether :func:`kl` has a closed form for the pair of records ``p``, ``q``."""
    return KL.lookup(p, q) is not None


def _batch_shape(d) -> tuple[int, ...]:
    return tuple(getattr(d, "batch_shape", ()))


def kl(p: Any, q: Any) -> jax.Array:
    r"""Kullback–Leibler divergence :math:`KL(p \| q)` in closed form.

    .. math::
        KL(p \| q) = \int p(x) \log \frac{p(x)}{q(x)} \, dx = E_p[\log p(X) - \log q(X)].

    Every ordered pair of families with a closed form is registered (``kl_pairs()`` lists them):
    same-family pairs and cross-family pairs such as Exponential–Gamma, Normal–Laplace or
    Uniform–Normal. Where the support of ``p`` is not contained in that of ``q`` the answer is
    ``+inf``. Exponential families are also available through the Bregman divergence of their
    log-normaliser, :func:`exponential_family_kl`, which the hand-written formulas are tested
    against.

    Args:
      p, q: distribution records; their batch shapes broadcast.

    Returns:
      Array of shape ``broadcast(p.batch_shape, q.batch_shape)``, in the promoted dtype of the
      parameters (float32 in, float32 out); exactly 0 where the two records have equal
      parameters, NaN where a record's parameters are invalid.

    Raises:
      TypeError: when ``p`` or ``q`` is not a gmath distribution (another library's record)
        and no closed form is registered for the pair of their own classes; the message names
        the foreign type.
      NotImplementedError: when the pair has no registered closed form; the message names both
        families and points to :func:`kl_estimate` (Monte Carlo).
      ValueError: when the batch shapes do not broadcast (the message names both families and
        their batch shapes), or the laws have different numbers of categories or dimensions.

    References:
      Kullback, S. and Leibler, R. A. (1951). On information and sufficiency. Annals of
      Mathematical Statistics 22(1) [@kullback1951information].

    Examples:
      >>> from gmath.densities import Normal
      >>> import gmath.divergences as gv
      >>> round(float(gv.kl(Normal(0.0, 1.0), Normal(1.0, 2.0))), 6)
      0.443147
    """
    shape = check_pair("kl", p, q, foreign=True)
    fn = KL.lookup(p, q)
    if fn is None:
        check_distribution("kl", p, "p")
        check_distribution("kl", q, "q")
        extra = ""
        if isinstance(p, MixtureSameFamily) or isinstance(q, MixtureSameFamily):
            extra = " For Gaussian mixtures, gmath.divergences.kl_bounds gives certified bounds."
        raise NotImplementedError(
            f"kl: no closed form registered for KL({type(p).__name__} || {type(q).__name__}). "
            "Use gmath.divergences.kl_estimate(key, p, q, num_samples) for a Monte Carlo "
            "estimate with its standard error, or register one with "
            "gmath.divergences.register_kl." + extra
        )
    gmath_pair = isinstance(p, Distribution) and isinstance(q, Distribution)
    out = jnp.asarray(fn(p, q))
    if out.shape != shape:
        out = jnp.broadcast_to(out, jnp.broadcast_shapes(out.shape, shape))
    if gmath_pair:
        same = identical(p, q)  # equal parameters: exactly 0, whatever the formula's rounding
        if same is not False:
            out = vanish(same, out)
        bad = invalid_mask(p, q)
        if bad is not None:
            out = jnp.where(bad, jnp.nan, out)
    return out
