"""The edge grid: table-driven checks of public functions at the edges of their domains.

Each row of a table is an :class:`EdgeGroup`: one scalar function (a value, or a gradient written
with ``jax.grad``), many argument tuples, and an oracle value per tuple (mpmath or a closed form,
computed in float64 or better). :func:`assert_edges` evaluates the whole group as one batched
``vmap`` under one ``jit`` per dtype, so a table of hundreds of cases costs one trace, and checks:

- the output dtype is the input dtype (float32 in, float32 out, with x64 on);
- an oracle of NaN (invalid input) gives NaN;
- an oracle of +-inf gives the same infinity;
- a finite oracle gives a finite value within ``atol + rtol * |oracle|``.

Test modules define a module-level ``EDGE_GROUPS`` list and parametrise one test over it and the
dtypes; ``count_edge_cases`` sums a table for the reports.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["EdgeGroup", "assert_edges", "count_edge_cases"]


@dataclasses.dataclass(frozen=True)
class EdgeGroup:
    """One function checked at many argument tuples against an oracle value per tuple.

    Attributes:
      name: identifier shown in test ids and failure messages.
      fn: ``fn(*args) -> scalar`` built from public gmath functions; jit- and vmap-able.
      args: one tuple of floats per case (all tuples of one length).
      expected: the oracle per case, in float64 (``nan`` = invalid input, ``+-inf`` = infinite).
      rtol: relative tolerance per dtype name (``{"float64": 1e-10, "float32": 1e-5}``); a dtype
        missing from the dict is not run for this group.
      atol: absolute floor per dtype name (default 0).
    """

    name: str
    fn: Callable
    args: Sequence[tuple]
    expected: Sequence[float]
    rtol: dict[str, float]
    atol: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self):
        if len(self.args) != len(self.expected):
            raise ValueError(
                f"{self.name}: {len(self.args)} argument tuples but "
                f"{len(self.expected)} oracle values"
            )


def count_edge_cases(groups: Sequence[EdgeGroup]) -> int:
    """The number of (case, dtype) checks a table runs."""
    return sum(len(g.args) * len(g.rtol) for g in groups)


def assert_edges(group: EdgeGroup, dtype) -> None:
    """Evaluate ``group`` batched in ``dtype`` and assert every case against its oracle."""
    dtype = np.dtype(dtype)
    rtol = group.rtol[dtype.name]
    atol = group.atol.get(dtype.name, 0.0)
    columns = [np.asarray(c, dtype=np.float64) for c in zip(*group.args, strict=True)]
    with np.errstate(over="ignore"):
        inputs = [jnp.asarray(c.astype(dtype)) for c in columns]
    out = jax.jit(jax.vmap(group.fn))(*inputs)
    assert out.dtype == dtype, f"{group.name}: {dtype.name} in, {out.dtype} out"
    got = np.asarray(out, dtype=np.float64)
    want = np.asarray(group.expected, dtype=np.float64)
    assert got.shape == want.shape, f"{group.name}: shape {got.shape}, oracle {want.shape}"
    with np.errstate(invalid="ignore"):
        ok = np.where(
            np.isnan(want),
            np.isnan(got),
            np.where(
                np.isinf(want),
                got == want,
                np.isfinite(got) & (np.abs(got - want) <= atol + rtol * np.abs(want)),
            ),
        )
    if not ok.all():
        lines = [
            f"  args={group.args[i]} got={got[i]!r} oracle={want[i]!r}"
            + (
                f" rel.err={abs(got[i] - want[i]) / abs(want[i]):.3g}"
                if np.isfinite(want[i]) and want[i] != 0 and np.isfinite(got[i])
                else ""
            )
            for i in np.flatnonzero(~ok)[:20]
        ]
        raise AssertionError(
            f"{group.name} [{dtype.name}, rtol={rtol}, atol={atol}]: "
            f"{int((~ok).sum())} of {ok.size} cases wrong\n" + "\n".join(lines)
        )
