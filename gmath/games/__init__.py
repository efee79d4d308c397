r"""Min-max games: game specs, solvers, matrix games, GAN objectives and stability analysis.

Conventions: in :class:`ZeroSumGame` ``f(x, y)`` the first player minimises and the second
maximises; in a matrix game the row player minimises :math:`x^\top A y`. Every solver is a
:class:`Solver` ``(init, step)`` of pure functions over :class:`SolverState` records whose
``aux`` is typed per solver (:class:`NoAux`, :class:`CGDAux`, ...), and accepts a per-player
``optimizer=`` with optax's ``init``/``update`` shape.
"""

from gmath.games._analysis import (
    Classification,
    classify_stationary_point,
    jacobian,
    linearized_rate,
)
from gmath.games._cgd import CGDAux, cgd
from gmath.games._consensus import consensus
from gmath.games._exploitability import exploitability
from gmath.games._extragradient import extragradient
from gmath.games._game import Game, ZeroSumGame
from gmath.games._gan_losses import (
    f_gan_loss,
    hinge_loss,
    least_squares_loss,
    minimax_loss,
    non_saturating_loss,
    optimal_discriminator,
    relativistic_loss,
    wasserstein_loss,
)
from gmath.games._gda import gda
from gmath.games._hamiltonian import hamiltonian
from gmath.games._logit import LogitEquilibrium, logit_equilibrium
from gmath.games._lola import lola
from gmath.games._lookahead import LookaheadAux, lookahead
from gmath.games._matrix_games import (
    MatrixGameSolution,
    duality_gap,
    matrix_game_value,
    play_matrix_game,
    solve_matrix_game,
)
from gmath.games._optimistic import OptimisticAux, optimistic_gda
from gmath.games._penalties import gradient_penalty, r1, r2
from gmath.games._proximal import proximal_point
from gmath.games._ridge import FollowTheRidgeAux, follow_the_ridge
from gmath.games._sga import sga
from gmath.games._solve import Trace, solve
from gmath.games._solver import NoAux, Solver, SolverState, StepInfo

__all__ = [
    "CGDAux",
    "Classification",
    "FollowTheRidgeAux",
    "Game",
    "LogitEquilibrium",
    "LookaheadAux",
    "MatrixGameSolution",
    "NoAux",
    "OptimisticAux",
    "Solver",
    "SolverState",
    "StepInfo",
    "Trace",
    "ZeroSumGame",
    "cgd",
    "classify_stationary_point",
    "consensus",
    "duality_gap",
    "exploitability",
    "extragradient",
    "f_gan_loss",
    "follow_the_ridge",
    "gda",
    "gradient_penalty",
    "hamiltonian",
    "hinge_loss",
    "jacobian",
    "least_squares_loss",
    "linearized_rate",
    "logit_equilibrium",
    "lola",
    "lookahead",
    "matrix_game_value",
    "minimax_loss",
    "non_saturating_loss",
    "optimal_discriminator",
    "optimistic_gda",
    "play_matrix_game",
    "proximal_point",
    "r1",
    "r2",
    "relativistic_loss",
    "sga",
    "solve",
    "solve_matrix_game",
    "wasserstein_loss",
]
