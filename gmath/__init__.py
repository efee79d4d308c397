"""gmath: the mathematics of generative models as composable JAX primitives.

Subpackages: :mod:`gmath.densities`, :mod:`gmath.divergences`, :mod:`gmath.scores`,
:mod:`gmath.games`, :mod:`gmath.testing` (Hypothesis strategies; needs the ``testing`` extra).
"""

import importlib as _importlib
from typing import TYPE_CHECKING as _TYPE_CHECKING
from typing import Any as _Any

from gmath._citation import citation
from gmath._version import __version__

if _TYPE_CHECKING:  # type checkers see the subpackages that __getattr__ loads on first use
    from gmath import config, densities, divergences, games, scores, testing
    from gmath._estimate import Estimate, mean_and_stderr

__all__ = [
    "Estimate",
    "__version__",
    "citation",
    "config",
    "densities",
    "divergences",
    "games",
    "mean_and_stderr",
    "scores",
    "testing",
]


_SUBPACKAGES = ("config", "densities", "divergences", "games", "scores", "testing")
_FROM_ESTIMATE = ("Estimate", "mean_and_stderr")  # the Monte Carlo record, loaded on first use


def __getattr__(name: str) -> _Any:
    # Subpackages load on first use, so that ``import gmath`` does not import jax (and
    # gmath.testing, which imports hypothesis, only when asked for).
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"gmath.{name}")
    if name in _FROM_ESTIMATE:
        return getattr(_importlib.import_module("gmath._estimate"), name)
    raise AttributeError(f"module 'gmath' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
