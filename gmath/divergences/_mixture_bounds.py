r"""Certified lower and upper bounds on the KL divergence between Gaussian mixtures.

For :math:`f = \sum_a \pi_a f_a` and :math:`g = \sum_b \omega_b g_b` with Gaussian components,
:math:`KL(f \| g) = E_f[\log f] - E_f[\log g]` and each cross term
:math:`E_{f_a}[\log h]`, :math:`h = \sum_b w_b h_b`, is bracketed by

.. math::
    \log\sum_b w_b e^{-KL(f_a \| h_b)} - H(f_a) \;\le\; E_{f_a}[\log h]
    \;\le\; \log\sum_b w_b z_{ab}, \qquad z_{ab} = \int f_a h_b
    = \mathcal N(\mu_a; \mu_b, \Sigma_a + \Sigma_b),

the left by the variational (Jensen over the component posterior) bound, the right by Jensen's
inequality on :math:`\log`. Both are exact inequalities, so the bounds below are certified.
The upper bound is also compared with the convexity (chain-rule) bound
:math:`KL(\pi \| \omega) + \sum_a \pi_a KL(f_a \| g_a)` when both mixtures have the same number
of components (components matched by index), and the smaller is returned.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp

import gmath.densities as gd
from gmath.densities import Distribution
from gmath.divergences._gaussian import GAUSSIAN_CLASSES, as_gaussian, is_gaussian
from gmath.divergences._params import check_distribution, common_dtype
from gmath.divergences._registry import Registry

__all__ = ["KLBounds", "kl_bounds"]


class KLBounds(NamedTuple):
    """Certified bounds ``lower <= KL(p || q) <= upper`` (a pytree)."""

    lower: Any
    upper: Any


# component class -> ``fn(components, dtype) -> (means [..., K, d], covariances [..., K, d, d])``
COMPONENTS = Registry("kl_bounds_components", arity=1)


@COMPONENTS.register(gd.Normal)
def _normal_components(comp, dt):
    loc, scale = jnp.broadcast_arrays(jnp.asarray(comp.loc, dt), jnp.asarray(comp.scale, dt))
    return loc[..., None], (scale * scale)[..., None, None]


def _gaussian_components(comp, dt):
    if not is_gaussian(comp):
        raise _bad_components(comp)
    g = as_gaussian(comp, dt)
    loc, cov = g.loc, g.covariance()
    batch = jnp.broadcast_shapes(loc.shape[:-1], cov.shape[:-2])
    return (
        jnp.broadcast_to(loc, batch + loc.shape[-1:]),
        jnp.broadcast_to(cov, batch + cov.shape[-2:]),
    )


for _cls in GAUSSIAN_CLASSES:
    COMPONENTS.register(_cls)(_gaussian_components)


def _bad_components(comp):
    return NotImplementedError(
        "kl_bounds: mixture components must be Normal or multivariate normal, got "
        f"{type(comp).__qualname__}."
    )


def _components(mix, dt):
    """(log weights [..., K], means [..., K, d], covariances [..., K, d, d])."""
    if not isinstance(mix, gd.MixtureSameFamily):
        raise NotImplementedError(
            f"kl_bounds: expected MixtureSameFamily records, got {type(mix).__qualname__}."
        )
    comp = mix.components
    fn = COMPONENTS.lookup(comp)
    if fn is None:
        raise _bad_components(comp)
    logw = jax.nn.log_softmax(jnp.asarray(mix.mixture_logits, dt), axis=-1)
    return (logw, *fn(comp, dt))


def _pairwise(ma, ca, mb, cb):
    """KL(a || b), log z_ab = log N(mu_a; mu_b, C_a + C_b) for all pairs: [..., Ka, Kb]."""
    ma, ca = ma[..., :, None, :], ca[..., :, None, :, :]
    mb, cb = mb[..., None, :, :], cb[..., None, :, :, :]
    d = ma.shape[-1]
    lb = jnp.linalg.cholesky(cb)
    la = jnp.linalg.cholesky(ca)
    diff = (mb - ma)[..., None]
    ca_b, lb_b = jnp.broadcast_arrays(ca, lb)
    la_b, _ = jnp.broadcast_arrays(la, lb)
    diff_b = jnp.broadcast_to(diff, lb_b.shape[:-1] + (1,))
    solve = lambda l, x: jax.lax.linalg.triangular_solve(l, x, left_side=True, lower=True)
    trace = jnp.sum(solve(lb_b, la_b) ** 2, (-2, -1))
    maha = jnp.sum(solve(lb_b, diff_b) ** 2, (-2, -1))
    logdet = lambda l: 2 * jnp.sum(jnp.log(jnp.diagonal(l, axis1=-2, axis2=-1)), -1)
    kl = 0.5 * (trace + maha - d + logdet(lb_b) - logdet(la_b))
    s = jnp.linalg.cholesky(ca_b + jnp.broadcast_to(cb, ca_b.shape))
    log_z = -0.5 * jnp.sum(solve(s, diff_b) ** 2, (-2, -1)) - 0.5 * logdet(s)
    log_z = log_z - 0.5 * d * math.log(2 * math.pi)
    return kl, log_z


def _entropy(c):
    d = c.shape[-1]
    logdet = 2 * jnp.sum(jnp.log(jnp.diagonal(jnp.linalg.cholesky(c), axis1=-2, axis2=-1)), -1)
    return 0.5 * (logdet + d * (1 + math.log(2 * math.pi)))


def _cross_bounds(log_pi, entropy_a, kl_ab, log_z_ab, log_w):
    lower = jax.nn.logsumexp(log_w[..., None, :] - kl_ab, -1) - entropy_a
    upper = jax.nn.logsumexp(log_w[..., None, :] + log_z_ab, -1)
    pi = jnp.exp(log_pi)
    return jnp.sum(pi * lower, -1), jnp.sum(pi * upper, -1)


def kl_bounds(p: Distribution, q: Distribution) -> KLBounds:
    r"""Certified bounds on :math:`KL(p \| q)` between Gaussian mixtures.

    .. math::
        \underline{E_f\log f} - \overline{E_f\log g} \;\le\; KL(f \| g) \;\le\;
        \min\Big(\overline{E_f\log f} - \underline{E_f\log g},\;
        KL(\pi \| \omega) + \textstyle\sum_a \pi_a KL(f_a \| g_a)\Big),

    with the variational lower and Jensen upper bounds of the cross terms given in the module
    docstring (the lower bound is also clipped at 0). The chain-rule term is used when both
    mixtures have the same number of components. Cost :math:`O(K_p K_q d^3)`.

    Args:
      p, q: ``MixtureSameFamily`` records whose components are ``Normal`` or a multivariate
        normal (any parameterisation); batch shapes broadcast.

    Returns:
      ``KLBounds(lower, upper)``, each of the broadcast batch shape.

    References:
      Hershey and Olsen (2007). Approximating the Kullback Leibler divergence between Gaussian
      mixture models [@hershey2007approximating]; Durrieu, Thiran and Kelly (2012). Lower and
      upper bounds for approximation of the Kullback-Leibler divergence between Gaussian
      mixture models [@durrieu2012lower].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath.densities import MixtureSameFamily, Normal
      >>> import gmath.divergences as gv
      >>> p = MixtureSameFamily(jnp.zeros(2), Normal(jnp.array([-1.0, 1.0]), 1.0))
      >>> b = gv.kl_bounds(p, p)
      >>> float(b.lower), round(float(b.upper), 12)
      (0.0, 0.0)
    """
    check_distribution("kl_bounds", p, "p")
    check_distribution("kl_bounds", q, "q")
    dt = common_dtype(p, q)
    log_pi, mp, cp = _components(p, dt)
    log_w, mq, cq = _components(q, dt)
    if mp.shape[-1] != mq.shape[-1]:
        raise ValueError(f"kl_bounds: components of dimensions {mp.shape[-1]} and {mq.shape[-1]}.")
    h = _entropy(cp)
    kl_pp, log_z_pp = _pairwise(mp, cp, mp, cp)
    kl_pq, log_z_pq = _pairwise(mp, cp, mq, cq)
    self_lo, self_hi = _cross_bounds(log_pi, h, kl_pp, log_z_pp, log_pi)
    cross_lo, cross_hi = _cross_bounds(log_pi, h, kl_pq, log_z_pq, log_w)
    lower = jnp.maximum(self_lo - cross_hi, 0.0)
    upper = self_hi - cross_lo
    if log_pi.shape[-1] == log_w.shape[-1]:
        pi = jnp.exp(log_pi)
        weights_kl = jnp.sum(jnp.where(pi > 0, pi * (log_pi - log_w), 0.0), -1)
        chain = weights_kl + jnp.sum(pi * jnp.diagonal(kl_pq, axis1=-2, axis2=-1), -1)
        upper = jnp.minimum(upper, chain)
    shape = jnp.broadcast_shapes(tuple(p.batch_shape), tuple(q.batch_shape))
    return KLBounds(jnp.broadcast_to(lower, shape), jnp.broadcast_to(upper, shape))
