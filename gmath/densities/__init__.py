r"""Log-densities: distribution records with ``log_prob``, ``sample``, ``score``, moments, CDFs.

Every family is a frozen pytree record: it passes through ``jit``, ``vmap`` and ``grad``.
Parameters broadcast to ``batch_shape``; ``log_prob(x)`` returns
``broadcast(sample_shape + batch_shape)``.
"""

from gmath.densities._base import Distribution
from gmath.densities._normal import Normal

__all__ = [
    "Distribution",
    "Normal",
]
