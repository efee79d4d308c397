r"""Divergence (Jacobian trace) of a vector field: exact, Hutchinson and Hutch++."""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp

from gmath._estimate import Estimate
from gmath._numerics import check_key, matmul, promote

__all__ = ["divergence"]

_METHODS = ("exact", "hutchinson", "hutch++")
_PROBES = ("rademacher", "gaussian")


def _draw_probes(key, shape, dtype, probe):
    if probe == "rademacher":
        return jax.random.rademacher(key, shape, dtype)
    return jax.random.normal(key, shape, dtype)


def _mean_and_stderr(values):
    n = values.shape[0]
    mean = jnp.mean(values)
    if n < 2:
        return mean, jnp.full((), jnp.nan, values.dtype)
    var = jnp.sum((values - mean) ** 2) / (n - 1)
    return mean, jnp.sqrt(var / n)


def divergence(
    fn: Callable,
    x,
    *,
    method: str = "exact",
    key=None,
    num_probes: int = 1,
    probe: str = "rademacher",
    probes=None,
    chunk_size: int | None = None,
) -> jax.Array | Estimate:
    r"""Divergence :math:`\nabla\cdot f(x) = \operatorname{tr} J_f(x)` of ``fn`` at ``x``.

    - ``"exact"``: the :math:`d` diagonal entries :math:`e_i^\top J e_i` from Jacobian-vector
      products of one linearisation, ``chunk_size`` at a time (memory :math:`O(\text{chunk}\cdot
      d)`; ``None`` does all :math:`d` at once). Returns an array.
    - ``"hutchinson"``: :math:`\frac1n\sum_j v_j^\top J v_j` with :math:`E[vv^\top] = I`
      (Hutchinson 1989). Per-probe variance :math:`2\|J_s\|_F^2` for Gaussian probes and
      :math:`2(\|J_s\|_F^2 - \sum_i J_{ii}^2)` for Rademacher probes, :math:`J_s = (J+J^\top)/2`.
    - ``"hutch++"``: Meyer et al. (2021): with :math:`k = \lfloor n/3\rfloor`, sketch
      :math:`Q = \operatorname{qr}(JS)`, take :math:`\operatorname{tr}(Q^\top J Q)` exactly and
      Hutchinson with the :math:`n - 2k` remaining probes on :math:`(I-QQ^\top)J(I-QQ^\top)`;
      unbiased for any :math:`J`, with variance :math:`O(1/n^2)` for symmetric PSD :math:`J`.

    Stochastic methods return :class:`~gmath.scores.Estimate` ``(value, stderr)``; ``stderr`` is
    the sample standard deviation of the Hutchinson terms over :math:`\sqrt{n}` (NaN for one
    term; for Hutch++ it is conditional on the sketch).

    Args:
      fn: vector field ``x -> fn(x)`` with ``fn(x).shape == x.shape``.
      x: the point, any shape (flattened internally: :math:`d` = ``x.size``).
      method: ``"exact"``, ``"hutchinson"`` or ``"hutch++"``.
      key: PRNG key for the probes (stochastic methods, unless ``probes`` is given).
      num_probes: number of matrix-vector products :math:`n` (``>= 3`` for Hutch++).
      probe: ``"rademacher"`` or ``"gaussian"``.
      probes: optional explicit probes of shape ``[num_probes, d]`` instead of drawing them
        (for Hutch++ the first :math:`k` are the sketch :math:`S`).
      chunk_size: number of Jacobian-vector products evaluated together (exact method).

    Returns:
      Scalar array (``"exact"``) or ``Estimate(value, stderr)``; dtype of ``x``.

    Raises:
      ValueError: unknown method/probe, ``fn`` changing the shape, missing key, bad probes.

    References:
      Hutchinson (1989). A stochastic estimator of the trace of the influence matrix for Laplacian
      smoothing splines [@hutchinson1989]. Meyer, Musco, Musco, Woodruff (2021). Hutch++: optimal
      stochastic trace estimation. SOSA [@meyer2021hutchpp].

    Examples:
      >>> import jax, jax.numpy as jnp
      >>> a = jnp.array([[2.0, 1.0], [0.0, 3.0]])
      >>> float(divergence(lambda x: a @ x, jnp.zeros(2)))
      5.0
      >>> est = divergence(lambda x: 3.0 * x, jnp.zeros(4), method="hutchinson",
      ...                  key=jax.random.key(0), num_probes=8)
      >>> float(est.value), float(est.stderr)  # Rademacher probes: exact for a diagonal J
      (12.0, 0.0)
    """
    if method not in _METHODS:
        raise ValueError(f"divergence: unknown method {method!r}; expected one of {_METHODS}.")
    if probe not in _PROBES:
        raise ValueError(f"divergence: unknown probe {probe!r}; expected one of {_PROBES}.")
    (x,) = promote(x)
    shape = x.shape
    d = x.size
    out_shape = jax.eval_shape(fn, x).shape
    if out_shape != shape:
        raise ValueError(
            f"divergence: fn(x) has shape {tuple(out_shape)} but x has shape {tuple(shape)}."
        )
    flat = lambda v: jnp.reshape(fn(jnp.reshape(v, shape)), (-1,)).astype(x.dtype)
    _, jvp = jax.linearize(flat, jnp.reshape(x, (-1,)))

    if method == "exact":
        eye = jnp.eye(d, dtype=x.dtype)

        def diag_entry(i):
            return jvp(eye[i])[i]

        entries = jax.lax.map(diag_entry, jnp.arange(d), batch_size=chunk_size or d)
        return jnp.sum(entries)

    if not (isinstance(num_probes, int) and num_probes >= 1):
        raise ValueError(f"divergence: num_probes must be a positive int, got {num_probes!r}.")
    if method == "hutch++" and num_probes < 3:
        raise ValueError(f"divergence: hutch++ needs num_probes >= 3, got {num_probes}.")
    if probes is None:
        if key is None:
            raise ValueError(f"divergence: method={method!r} needs a key (or explicit probes).")
        check_key(key, where="divergence")
        probes = _draw_probes(key, (num_probes, d), x.dtype, probe)
    else:
        probes = jnp.asarray(probes, x.dtype)
        if probes.shape != (num_probes, d):
            raise ValueError(
                f"divergence: probes with shape {probes.shape}, expected {(num_probes, d)}."
            )
    matvec = jax.vmap(jvp)
    if method == "hutchinson":
        values = jnp.sum(probes * matvec(probes), axis=-1)
        return Estimate(*_mean_and_stderr(values))
    k = num_probes // 3
    sketch, rest = probes[:k], probes[2 * k :]
    with jax.default_matmul_precision("highest"):  # the products of QR's derivative rule too
        q, _ = jnp.linalg.qr(matvec(sketch).T)  # [d, min(d, k)]
    low_rank = jnp.sum(q.T * matvec(q.T))
    g = rest - matmul(matmul(rest, q), q.T)
    values = jnp.sum(g * matvec(g), axis=-1)
    mean, stderr = _mean_and_stderr(values)
    return Estimate(low_rank + mean, stderr)
