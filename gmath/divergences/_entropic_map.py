r"""The entropic transport map of a Sinkhorn solve, evaluated at any points."""

from __future__ import annotations

import jax
import jax.numpy as jnp

from gmath._numerics import promote
from gmath._numerics._geometry import point_cloud
from gmath.divergences._samples import as_arrays, check_points, check_weights, safe_log
from gmath.divergences._sinkhorn import _check_epsilon, _resolve_cost

__all__ = ["entropic_map"]


def _weighted_targets(params, c, zs, ys):
    """Block of :math:`w_{ij} y_j` with :math:`w_{ij} = e^{(h_j - C_{ij})/\\varepsilon - \\ell_i}`."""
    (inv_eps,) = params
    _, lse = zs
    _, h, y = ys
    w = jnp.exp((h[None, :] - c) * inv_eps - lse[:, None])
    return w[:, :, None] * y[None, :, :]


def entropic_map(
    z, y, g, *, epsilon, b=None, cost=None, materialize=None, block_size=None
) -> jax.Array:
    r"""The entropic transport map :math:`T_\varepsilon(z) = \mathbb E_{P}[y \mid x = z]`.

    Given the column potential :math:`g` of an entropic transport problem towards ``y``
    (``sinkhorn(x, y, epsilon=eps, b=b).potentials[1]``), the map extends the plan's barycentric
    projection to any point (Pooladian and Niles-Weed 2021):

    .. math::
        T_\varepsilon(z) = \sum_j w_j(z)\, y_j, \qquad
        w_j(z) = \frac{b_j\, e^{(g_j - c(z, y_j))/\varepsilon}}
        {\sum_k b_k\, e^{(g_k - c(z, y_k))/\varepsilon}}.

    At the solve's own points it is the row-normalised plan applied to ``y``,
    :math:`T_\varepsilon(x_i) = \sum_j P_{ij} y_j / \sum_j P_{ij}`; as
    :math:`\varepsilon \to 0` it tends to the optimal (Monge) map where one exists. For the
    squared Euclidean cost it is the gradient of the smooth convex function
    :math:`\tfrac12\|z\|^2 - \tfrac12 f_\varepsilon(z)`. Computed by the pairwise geometry: a
    max-shifted log-sum-exp, then the weighted sum, tiled in :math:`O((k + m) d)` memory for
    large inputs; differentiable in ``z``, ``y``, ``g`` and ``b``.

    Args:
      z: ``[k, d]`` points where the map is evaluated.
      y: ``[m, d]`` target points of the solve.
      g: ``[m]`` the solve's column potential (cost units).
      epsilon: the solve's :math:`\varepsilon > 0`.
      b: ``[m]`` the solve's target weights (default uniform).
      cost: the solve's ground cost (as for :func:`~gmath.divergences.sinkhorn`; not a matrix).
      materialize: force (``True``) or forbid (``False``) the materialised cost matrix.
      block_size: tile edge of the tiled path.

    Returns:
      ``[k, d]`` the images :math:`T_\varepsilon(z)`.

    References:
      Pooladian and Niles-Weed (2021). Entropic estimation of optimal transport maps
      [@pooladian2021entropic]. Peyré and Cuturi (2019). Computational optimal transport
      [@peyre2019computational].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> from gmath.divergences import entropic_map, sinkhorn
      >>> x = jax.random.normal(jax.random.key(0), (50, 2))
      >>> out = sinkhorn(x, x + 3.0, epsilon=0.01)
      >>> t = entropic_map(jnp.zeros((1, 2)), x + 3.0, out.potentials[1], epsilon=0.01)
      >>> t.shape
      (1, 2)
    """
    owner = "entropic_map"
    why = "the map evaluates the cost at new points"
    _, _, cost = _resolve_cost(owner, z, y, cost, matrix_ok=False, needs_points=why)
    z, y, g, b = as_arrays(z, y, g, b)
    z, y = check_points(z, y, owner, names=("z", "y"))
    z, y, g, b = promote(z, y, g, b)
    m = y.shape[0]
    if g.shape != (m,):
        raise ValueError(f"{owner}: g must have shape ({m},) (one potential per y), got {g.shape}.")
    b = check_weights(b, m, owner, "b", z.dtype, probability=False)
    eps = _check_epsilon(epsilon, owner, z.dtype)
    geom = point_cloud(z, y, cost=cost, materialize=materialize, block_size=block_size)
    h = g + eps * safe_log(b)
    lse = geom.row_logsumexp(h, eps)
    num = geom.row_sum(_weighted_targets, (1 / eps,), (lse,), (h, y))
    return num
