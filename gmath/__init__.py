"""gmath: the mathematics of generative models as composable JAX primitives.

Subpackages: :mod:`gmath.densities`, :mod:`gmath.divergences`, :mod:`gmath.scores`,
:mod:`gmath.games`, :mod:`gmath.testing` (Hypothesis strategies; needs the ``testing`` extra).
"""

from __future__ import annotations

import importlib
from typing import Any

from gmath import config, densities, divergences, games, scores
from gmath._citation import citation
from gmath._version import __version__

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


def __getattr__(name: str) -> Any:
    # gmath.testing imports hypothesis; load it only when asked for.
    if name == "testing":
        return importlib.import_module("gmath.testing")
    raise AttributeError(f"module 'gmath' has no attribute {name!r}")
