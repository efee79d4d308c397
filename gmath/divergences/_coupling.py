r"""Minibatch couplings by optimal transport, for flow matching (OT-CFM)."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmath._numerics import check_key
from gmath.divergences._exact_transport import exact_transport
from gmath.divergences._samples import check_points
from gmath.divergences._sinkhorn import sinkhorn

__all__ = ["ot_coupling"]

_METHODS = ("exact", "sinkhorn")


def ot_coupling(
    key, x0, x1, *, method: str = "exact", cost=None, epsilon=None, relative_epsilon=None, **kwargs
) -> tuple[jax.Array, jax.Array]:
    r"""Pair a minibatch ``x0`` with a minibatch ``x1`` by optimal transport.

    The coupling of minibatch OT conditional flow matching (Pooladian et al. 2023; Tong et al.
    2024): instead of pairing noise and data independently, pair them by a transport plan of
    the two batches, which straightens the conditional paths and lowers the variance of the
    regression target.

    - ``method="exact"`` (default): the optimal assignment :math:`\sigma` of
      :func:`~gmath.divergences.exact_transport` (equal batch sizes); returns
      ``(x0, x1[sigma])``. Deterministic: ``key`` is not used (ties go to the first optimum).
    - ``method="sinkhorn"``: ``n`` index pairs :math:`(i, j)` drawn independently from the
      entropic plan :math:`P` of :func:`~gmath.divergences.sinkhorn` (the joint law of the
      pair); returns ``(x0[i], x1[j])``. Batches may differ in size; ``epsilon`` or
      ``relative_epsilon`` and ``kwargs`` go to :func:`~gmath.divergences.sinkhorn`.

    Works inside a jitted training step. The pairing is held fixed under differentiation (the
    indices carry no gradient; the returned points keep theirs).

    Args:
      key: a PRNG key (used by ``"sinkhorn"``).
      x0: ``[n, d]`` source batch (e.g. noise).
      x1: ``[m, d]`` target batch (e.g. data); ``m = n`` for ``"exact"``.
      method: ``"exact"`` or ``"sinkhorn"``.
      cost: the ground cost, as for :func:`~gmath.divergences.sinkhorn` (default squared
        Euclidean).
      epsilon: absolute entropic regularisation (``"sinkhorn"`` only).
      relative_epsilon: as a fraction of the mean cost (``"sinkhorn"``; default 0.05).
      **kwargs: further options of :func:`~gmath.divergences.sinkhorn`.

    Returns:
      ``(x0_paired, x1_paired)``, both of ``n`` points.

    References:
      Pooladian et al. (2023). Multisample flow matching: straightening flows with minibatch
      couplings. ICML [@pooladian2023multisample]. Tong et al. (2024). Improving and
      generalizing flow-based generative models with minibatch optimal transport. TMLR
      [@tong2024improving].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import ot_coupling
      >>> x0 = jnp.array([[0.0], [1.0], [2.0]])
      >>> a, b = ot_coupling(jax.random.key(0), x0, jnp.array([[2.1], [-0.1], [0.9]]))
      >>> b[:, 0].tolist()
      [-0.1, 0.9, 2.1]
    """
    owner = "ot_coupling"
    if method not in _METHODS:
        raise ValueError(f"{owner}: method must be one of {_METHODS}, got {method!r}.")
    key = check_key(key, where=owner)
    x0p, x1p = check_points(x0, x1, owner, names=("x0", "x1"))
    if method == "exact":
        if epsilon is not None or relative_epsilon is not None or kwargs:
            raise ValueError(
                f"{owner}: epsilon, relative_epsilon and Sinkhorn options apply to "
                "method='sinkhorn' only."
            )
        if x0p.shape[0] != x1p.shape[0]:
            raise ValueError(
                f"{owner}: method='exact' pairs batches of equal size, got {x0p.shape[0]} and "
                f"{x1p.shape[0]}; use method='sinkhorn' for unequal sizes."
            )
        sigma = exact_transport(jax.lax.stop_gradient(x0p), jax.lax.stop_gradient(x1p), cost=cost)
        return x0p, x1p[sigma.assignment]
    out = sinkhorn(
        jax.lax.stop_gradient(x0p),
        jax.lax.stop_gradient(x1p),
        epsilon=epsilon,
        relative_epsilon=relative_epsilon,
        cost=cost,
        return_plan=True,
        **kwargs,
    )
    n, m = out.plan.shape
    flat = jax.random.categorical(key, jnp.log(out.plan).ravel(), shape=(n,))
    return x0p[flat // m], x1p[flat % m]
