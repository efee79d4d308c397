r"""Variational bounds with a diagonal Gaussian encoder: the reparameterised ELBO and IWAE."""

from __future__ import annotations

import math
from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath._numerics import check_key, promote

__all__ = ["gaussian_elbo", "gaussian_kl_to_standard_normal", "iwae_bound"]


def _encoder(owner, mean, scale):
    mean, scale = promote(mean, scale)
    if mean.shape != scale.shape or mean.ndim < 1:
        raise ValueError(
            f"{owner}: mean with shape {mean.shape} and scale with shape {scale.shape} must "
            "match and end in the latent dimension."
        )
    return mean, scale


def gaussian_kl_to_standard_normal(mean, scale) -> jax.Array:
    r""":math:`\mathrm{KL}(\mathcal N(\mu, \operatorname{diag}\sigma^2)\,\|\,\mathcal N(0, I))`.

    .. math::
        \tfrac12\sum_i\big(\sigma_i^2 + \mu_i^2 - 1 - 2\log\sigma_i\big).

    Args:
      mean: :math:`\mu`, shape ``[..., k]``.
      scale: :math:`\sigma > 0`, same shape.

    Returns:
      Array of shape ``[...]``.

    References:
      Kingma, Welling (2014). Auto-encoding variational Bayes. ICLR [@kingma2014vae].

    Examples:
      >>> import jax.numpy as jnp
      >>> float(gaussian_kl_to_standard_normal(jnp.zeros(3), jnp.ones(3)))
      0.0
    """
    mean, scale = _encoder("gaussian_kl_to_standard_normal", mean, scale)
    return 0.5 * jnp.sum(scale * scale + mean * mean - 1 - 2 * jnp.log(scale), axis=-1)


def gaussian_elbo(
    key, log_likelihood_fn: Callable, mean, scale, *, num_samples: int = 1
) -> jax.Array:
    r"""Reparameterised ELBO with a standard-normal prior and the analytic KL term.

    .. math::
        \mathcal L = \frac1K\sum_{k=1}^K \log p(x\mid z_k)
        - \mathrm{KL}(q\,\|\,\mathcal N(0, I)), \qquad z_k = \mu + \sigma\odot\varepsilon_k,

    an unbiased estimate of :math:`E_q[\log p(x\mid z)] - \mathrm{KL} \le \log p(x)`,
    differentiable in :math:`(\mu, \sigma)` by the reparameterisation trick.

    Args:
      key: PRNG key.
      log_likelihood_fn: ``z -> log p(x | z)`` for one latent ``z [k]``.
      mean, scale: encoder :math:`\mu, \sigma`, shape ``[k]``.
      num_samples: :math:`K`.

    Returns:
      Scalar.

    References:
      Kingma, Welling (2014). Auto-encoding variational Bayes. ICLR [@kingma2014vae].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> # p(x|z) = N(x; z, 1) at x = 0 and the exact posterior N(0, 1/2): ELBO <= log N(0; 0, 2)
      >>> f = lambda z: -0.5 * jnp.sum(z**2) - 0.5 * jnp.log(2 * jnp.pi)
      >>> v = gaussian_elbo(jax.random.key(0), f, jnp.zeros(1), jnp.full(1, 0.5**0.5),
      ...                   num_samples=4)
      >>> bool(jnp.isfinite(v))
      True
    """
    check_key(key, where="gaussian_elbo")
    mean, scale = _encoder("gaussian_elbo", mean, scale)
    if not (isinstance(num_samples, int) and num_samples >= 1):
        raise ValueError(f"gaussian_elbo: num_samples must be a positive int, got {num_samples!r}.")
    eps = jax.random.normal(key, (num_samples,) + mean.shape, mean.dtype)
    z = mean + scale * eps
    expected = jnp.mean(jax.vmap(log_likelihood_fn)(z))
    return expected - gaussian_kl_to_standard_normal(mean, scale)


def iwae_bound(key, log_likelihood_fn: Callable, mean, scale, *, num_samples: int) -> jax.Array:
    r"""Importance-weighted bound (Burda et al. 2016) with a diagonal Gaussian proposal.

    .. math::
        \mathcal L_K = \log\frac1K\sum_{k=1}^K
        \frac{p(x\mid z_k)\,\mathcal N(z_k; 0, I)}{q(z_k)}, \qquad z_k = \mu + \sigma\odot
        \varepsilon_k,

    :math:`E[\mathcal L_1]` = ELBO :math:`\le E[\mathcal L_K] \le \log p(x)`, exact for any
    :math:`K` when :math:`q` is the true posterior.

    Args:
      key: PRNG key.
      log_likelihood_fn: ``z -> log p(x | z)`` for one latent ``z [k]``.
      mean, scale: proposal :math:`\mu, \sigma`, shape ``[k]``.
      num_samples: :math:`K`.

    Returns:
      Scalar.

    References:
      Burda, Grosse, Salakhutdinov (2016). Importance weighted autoencoders. ICLR
      [@burda2016iwae].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> f = lambda z: -0.5 * jnp.sum(z**2) - 0.5 * jnp.log(2 * jnp.pi)  # N(x=0; z, 1)
      >>> v = iwae_bound(jax.random.key(0), f, jnp.zeros(1), jnp.full(1, 0.5**0.5),
      ...                num_samples=3)
      >>> round(float(v), 5)  # exact posterior: log N(0; 0, 2)
      -1.26551
    """
    check_key(key, where="iwae_bound")
    mean, scale = _encoder("iwae_bound", mean, scale)
    if not (isinstance(num_samples, int) and num_samples >= 1):
        raise ValueError(f"iwae_bound: num_samples must be a positive int, got {num_samples!r}.")
    k = mean.shape[-1]
    eps = jax.random.normal(key, (num_samples,) + mean.shape, mean.dtype)
    z = mean + scale * eps
    log_prior = -0.5 * jnp.sum(z * z, axis=-1) - 0.5 * k * math.log(2 * math.pi)
    log_q = (
        -0.5 * jnp.sum(eps * eps, axis=-1)
        - jnp.sum(jnp.log(scale), axis=-1)
        - 0.5 * k * math.log(2 * math.pi)
    )
    log_w = jax.vmap(log_likelihood_fn)(z) + log_prior - log_q
    return jax.scipy.special.logsumexp(log_w) - math.log(num_samples)
