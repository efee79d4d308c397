r"""Log-densities: distribution records with ``log_prob``, ``sample``, ``score``, moments, CDFs.

Every family is a frozen pytree record: it passes through ``jit``, ``vmap`` and ``grad``.
Parameters broadcast to ``batch_shape``; ``log_prob(x)`` returns
``broadcast(sample_shape + batch_shape)``.
"""

from gmath.densities._base import Distribution
from gmath.densities._bernoulli import Bernoulli
from gmath.densities._beta import Beta
from gmath.densities._binomial import Binomial
from gmath.densities._categorical import Categorical
from gmath.densities._cauchy import Cauchy
from gmath.densities._dirichlet import Dirichlet
from gmath.densities._exponential import Exponential
from gmath.densities._gamma import Gamma
from gmath.densities._geometric import Geometric
from gmath.densities._gumbel import Gumbel
from gmath.densities._half_normal import HalfNormal
from gmath.densities._independent import Independent
from gmath.densities._laplace import Laplace
from gmath.densities._log_normal import LogNormal
from gmath.densities._logistic import Logistic
from gmath.densities._low_rank_multivariate_normal import LowRankMultivariateNormal
from gmath.densities._mixture_same_family import MixtureSameFamily
from gmath.densities._multivariate_normal import MultivariateNormal
from gmath.densities._multivariate_normal_diag import MultivariateNormalDiag
from gmath.densities._normal import Normal
from gmath.densities._poisson import Poisson
from gmath.densities._student_t import StudentT
from gmath.densities._truncated_normal import TruncatedNormal
from gmath.densities._uniform import Uniform
from gmath.densities._von_mises import VonMises

__all__ = [
    "Bernoulli",
    "Beta",
    "Binomial",
    "Categorical",
    "Cauchy",
    "Dirichlet",
    "Distribution",
    "Exponential",
    "Gamma",
    "Geometric",
    "Gumbel",
    "HalfNormal",
    "Independent",
    "Laplace",
    "LogNormal",
    "Logistic",
    "LowRankMultivariateNormal",
    "MixtureSameFamily",
    "MultivariateNormal",
    "MultivariateNormalDiag",
    "Normal",
    "Poisson",
    "StudentT",
    "TruncatedNormal",
    "Uniform",
    "VonMises",
]
