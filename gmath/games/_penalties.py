r"""Gradient penalties for discriminators: WGAN-GP, R1 and R2, with per-sample gradient norms.

``critic`` maps a batch ``[batch, ...]`` to ``[batch]`` logits with samples processed
independently (no batch statistics); per-sample input gradients are then
:math:`\nabla_x \sum_b C(x_b)`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from gmath._config import error_if_not
from gmath._numerics import check_key, promote, safe_norm

__all__ = ["gradient_penalty", "r1", "r2"]


def _per_sample_sq_norms(critic, x):
    grads = jax.grad(lambda u: jnp.sum(critic(u)))(x)
    return jnp.sum(jnp.square(grads).reshape(grads.shape[0], -1), axis=-1), grads


def _weight(value, name, arg):
    """A non-negative penalty weight: ``ValueError`` where concrete, NaN (and
    ``InvalidParameterError`` in checks mode) where traced."""
    if not isinstance(value, jax.core.Tracer):
        if np.ndim(value) != 0 or not bool(np.asarray(value) >= 0):
            raise ValueError(f"{name}: {arg} must be a non-negative scalar, got {value!r}.")
        return value
    ok = value >= 0
    error_if_not(ok, f"{name}: {arg} must be non-negative.")
    return jnp.where(ok, value, jnp.nan)


def _check_batch(name, x):
    (x,) = promote(x)
    if x.ndim < 1:
        raise ValueError(f"{name}: samples need a batch axis, got shape {x.shape}.")
    return x


def gradient_penalty(
    key, critic, real, fake, *, weight: float = 10.0, one_sided: bool = False
) -> jax.Array:
    r"""WGAN-GP penalty on random interpolates (Gulrajani et al. 2017).

    .. math::
        \lambda\, \mathbb E_{\hat x}\big(\|\nabla_x C(\hat x)\| - 1\big)^2, \qquad
        \hat x = \epsilon x_{real} + (1 - \epsilon) x_{fake},\ \epsilon \sim U[0, 1]
        \text{ per sample};

    with ``one_sided=True`` only norms above 1 are penalised:
    :math:`\lambda\,\mathbb E \max(0, \|\nabla C\| - 1)^2`. For a linear critic
    :math:`w^\top x` it equals :math:`\lambda(\|w\| - 1)^2`.

    Args:
      key: PRNG key for the interpolation weights.
      critic: ``[batch, ...] -> [batch]``.
      real, fake: samples of equal shape ``[batch, ...]``.
      weight: :math:`\lambda \ge 0`.
      one_sided: penalise only gradient norms above one.

    Returns:
      Scalar penalty (to add to the critic's loss).

    References:
      Gulrajani, Ahmed, Arjovsky, Dumoulin and Courville (2017). Improved training of
      Wasserstein GANs. NeurIPS [@gulrajani2017improved].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath import games as gg
      >>> w = jnp.array([3.0, 4.0])
      >>> x = jnp.zeros((2, 2)); y = jnp.ones((2, 2))
      >>> round(float(gg.gradient_penalty(jax.random.key(0), lambda u: u @ w, x, y)), 6)
      160.0
    """
    check_key(key, where="gradient_penalty")
    weight = _weight(weight, "gradient_penalty", "weight")
    real = _check_batch("gradient_penalty", real)
    fake = _check_batch("gradient_penalty", fake)
    real, fake = promote(real, fake)
    if real.shape != fake.shape:
        raise ValueError(
            f"gradient_penalty: real and fake must have equal shapes, got {real.shape} and "
            f"{fake.shape}."
        )
    eps = jax.random.uniform(key, (real.shape[0],) + (1,) * (real.ndim - 1), real.dtype)
    mixed = eps * real + (1.0 - eps) * fake
    grads = jax.grad(lambda u: jnp.sum(critic(u)))(mixed)
    norms = safe_norm(grads.reshape(grads.shape[0], -1), axis=-1)
    excess = norms - 1.0
    if one_sided:
        excess = jnp.maximum(excess, 0.0)
    return weight * jnp.mean(jnp.square(excess))


def r1(critic, real, *, gamma: float = 1.0) -> jax.Array:
    r"""R1 penalty (Mescheder et al. 2018): :math:`\tfrac\gamma2\,\mathbb E_p\|\nabla_x C(x)\|^2` on data.

    For a linear critic :math:`w^\top x` it equals :math:`\tfrac\gamma2\|w\|^2`. On the Dirac-GAN
    it turns the Jacobian eigenvalues at the equilibrium from :math:`\pm i/2` into
    :math:`\gamma/2 \pm \sqrt{\gamma^2/4 - 1/4}` (descent-field convention), i.e. locally
    convergent.

    Args:
      critic: ``[batch, ...] -> [batch]``.
      real: data samples ``[batch, ...]``.
      gamma: weight :math:`\gamma \ge 0`.

    Returns:
      Scalar penalty.

    References:
      Mescheder, Geiger and Nowozin (2018). Which training methods for GANs do actually
      converge? ICML [@mescheder2018training].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> float(gg.r1(lambda u: u @ jnp.array([3.0, 4.0]), jnp.ones((5, 2)), gamma=2.0))
      25.0
    """
    gamma = _weight(gamma, "r1", "gamma")
    real = _check_batch("r1", real)
    sq, _ = _per_sample_sq_norms(critic, real)
    return 0.5 * gamma * jnp.mean(sq)


def r2(critic, fake, *, gamma: float = 1.0) -> jax.Array:
    r"""R2 penalty: :math:`\tfrac\gamma2\,\mathbb E_q\|\nabla_x C(x)\|^2` on generated samples.

    Args:
      critic: ``[batch, ...] -> [batch]``.
      fake: generated samples ``[batch, ...]``.
      gamma: weight :math:`\gamma \ge 0`.

    Returns:
      Scalar penalty.

    References:
      Mescheder, Geiger and Nowozin (2018) [@mescheder2018training].

    Examples:
      >>> import jax.numpy as jnp
      >>> from gmath import games as gg
      >>> float(gg.r2(lambda u: u @ jnp.array([3.0, 4.0]), jnp.ones((5, 2))))
      12.5
    """
    gamma = _weight(gamma, "r2", "gamma")
    fake = _check_batch("r2", fake)
    sq, _ = _per_sample_sq_norms(critic, fake)
    return 0.5 * gamma * jnp.mean(sq)
