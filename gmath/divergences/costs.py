r"""Ground costs for optimal transport: the public namespace ``gmath.divergences.costs``.

A cost is a frozen pytree record passed as ``cost=`` to :func:`~gmath.divergences.sinkhorn`,
:func:`~gmath.divergences.sinkhorn_divergence` and
:func:`~gmath.divergences.sinkhorn_divergence_result` (which also take the names
``"sqeuclidean"``, ``"euclidean"`` and ``"cosine"``, a plain function of one pair, and, for
:func:`~gmath.divergences.sinkhorn`, a precomputed ``[n, m]`` matrix). Each cost is a geometry,
not a new solver: the same tiled reductions run for every cost, in :math:`O((n + m) d)` memory.

- :class:`SquaredEuclidean`: :math:`\|x - y\|^2` (the default);
- :class:`Euclidean`: :math:`\|x - y\|`;
- :class:`PNorm`: :math:`\|x - y\|_p^q`, :math:`p \ge 1` (``inf`` allowed), :math:`q > 0`;
- :class:`Mahalanobis`: :math:`(x - y)^\top M (x - y)`, :math:`M` positive definite;
- :class:`Cosine`: :math:`1 - \cos(x, y)`;
- :class:`PairCost`: a user function ``fn(x_i, y_j) -> scalar``.

Examples:
  >>> import jax.numpy as jnp
  >>> from gmath.divergences import costs, sinkhorn
  >>> x = jnp.array([[0.0, 0.0], [1.0, 0.0]])
  >>> out = sinkhorn(x, x + 3.0, epsilon=1e-3, cost=costs.PNorm(1.0, 1.0))
  >>> round(float(out.transport_cost), 4)
  6.0
"""

from gmath._numerics._costs import (
    Cosine,
    Euclidean,
    Mahalanobis,
    PairCost,
    PNorm,
    SquaredEuclidean,
)

__all__ = ["Cosine", "Euclidean", "Mahalanobis", "PNorm", "PairCost", "SquaredEuclidean"]
