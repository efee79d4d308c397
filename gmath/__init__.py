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

__all__ = [
    "__version__",
    "citation",
    "config",
    "densities",
    "divergences",
    "games",
    "scores",
    "testing",
]


_SUBPACKAGES = ("config", "densities", "divergences", "games", "scores", "testing")


def __getattr__(name: str) -> _Any:
    # Subpackages load on first use, so that ``import gmath`` does not import jax (and
    # gmath.testing, which imports hypothesis, only when asked for).
    if name in _SUBPACKAGES:
        return _importlib.import_module(f"gmath.{name}")
    raise AttributeError(f"module 'gmath' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {n for n in globals() if n.startswith("__")})
