"""A researcher's script against gmath's public API, checked by mypy and pyright.

``tests/typing/test_typing.py`` runs both type checkers on this file and requires a clean
result; it also runs :func:`main`, so the calls here are real ones. ``assert_type`` pins the
return types (a function that returns ``Any`` fails it), the annotated assignments check that
results are usable where a ``jax.Array`` (or a record) is expected.
"""

from __future__ import annotations

import sys

import jax
import jax.numpy as jnp
import numpy as np
from hypothesis.strategies import SearchStrategy

import gmath
from gmath import config
from gmath.densities import (
    Beta,
    Categorical,
    Distribution,
    Gamma,
    Independent,
    MixtureSameFamily,
    MultivariateNormal,
    Normal,
)
from gmath.divergences import kernels, kl, mmd_squared, renyi, sinkhorn_divergence
from gmath.games import (
    LogitEquilibrium,
    MatrixGameSolution,
    Solver,
    SolverState,
    Trace,
    ZeroSumGame,
    duality_gap,
    extragradient,
    gda,
    logit_equilibrium,
    matrix_game_value,
    solve,
    solve_matrix_game,
)
from gmath.scores import (
    LangevinInfo,
    LangevinKernel,
    LangevinState,
    NoiseSchedule,
    ddim_sample,
    mala,
    sample_chain,
    ula,
    vp_linear,
)
from gmath.testing import gammas, normals

if sys.version_info >= (3, 11):
    from typing import assert_type
else:  # pragma: no cover - Python 3.10
    from typing_extensions import assert_type


def densities() -> list[jax.Array]:
    """Constructors by position and keyword; methods on the records."""
    p = Normal(0.0, 1.0)
    q = Normal(loc=jnp.zeros(3), scale=2.0)
    g = Gamma(2.0, 3.0)
    b = Beta(2.0, 5.0)
    c = Categorical(logits=jnp.array([0.0, 1.0, 2.0]))
    mvn = MultivariateNormal(jnp.zeros(2), scale_tril=jnp.eye(2))
    ind = Independent(q, 1)
    mix = MixtureSameFamily(jnp.zeros(2), Normal(jnp.array([-1.0, 1.0]), 0.5))
    assert_type(p, Normal)
    assert_type(mvn, MultivariateNormal)
    families: list[Distribution] = [p, q, g, b, c, mvn, ind, mix]
    shapes: list[tuple[int, ...]] = [d.batch_shape for d in families]
    assert shapes == [(), (3,), (), (), (), (), (), ()]
    key = jax.random.key(0)
    x = p.sample(key, (4,))
    lp = p.log_prob(x)
    mean = mix.mean()
    entropies = [mvn.entropy(), ind.entropy()]
    assert_type(x, jax.Array)
    assert_type(lp, jax.Array)
    assert_type(mean, jax.Array)
    assert_type(entropies, list[jax.Array])
    return [lp, mean, *entropies]


def divergences() -> list[jax.Array]:
    """Closed-form divergences between records, and sample divergences."""
    p, q = Normal(0.0, 1.0), Normal(1.0, 2.0)
    d_kl = kl(p, q)
    d_renyi = renyi(Gamma(2.0, 1.0), Gamma(3.0, 2.0), 0.5)
    x = jax.random.normal(jax.random.key(1), (16, 2))
    y = x + 1.0
    s = sinkhorn_divergence(x, y, epsilon=0.1)
    # the median heuristic's bandwidth is an array
    m = mmd_squared(x, y, kernel=kernels.rbf(bandwidth=kernels.median_heuristic(x, y)))
    assert_type(d_kl, jax.Array)
    assert_type(d_renyi, jax.Array)
    assert_type(s, jax.Array)
    assert_type(m, jax.Array)
    return [d_kl, d_renyi, s, m]


def samplers() -> list[jax.Array]:
    """A Langevin chain on a Gaussian target; a DDIM sampler."""
    target = Independent(Normal(jnp.zeros(2), 1.0), 1)
    kernel: LangevinKernel = mala(target.log_prob, step_size=0.1)
    state: LangevinState = kernel.init(jnp.zeros(2))
    final, (positions, infos) = sample_chain(jax.random.key(2), kernel, state, num_steps=5)
    assert_type(final, LangevinState)
    assert_type(positions, jax.Array)
    assert_type(infos, LangevinInfo)
    biased: LangevinKernel = ula(target.log_prob, step_size=0.1)
    assert_type(biased, LangevinKernel)
    # DDIM from an eps-prediction model ``(x [batch, ...], t [batch]) -> [batch, ...]``
    schedule: NoiseSchedule = vp_linear()

    def eps_model(x: jax.Array, t: jax.Array) -> jax.Array:
        return x / schedule.sigma(t)[:, None]

    xs = ddim_sample(eps_model, jnp.ones((4, 2)), schedule=schedule, num_steps=3, prediction="eps")
    assert_type(xs, jax.Array)
    return [positions, xs]


def games() -> list[jax.Array]:
    """Matrix games and a differentiable game with two solvers."""
    A = jnp.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
    sol = solve_matrix_game(A)
    assert_type(sol, MatrixGameSolution)
    xs, ys, value, gap = sol
    converged: jax.Array = sol.converged
    v = matrix_game_value(A)
    g = duality_gap(A, xs, ys)
    assert_type(v, jax.Array)
    assert_type(g, jax.Array)
    qre = logit_equilibrium(A, temperature=0.1)
    assert_type(qre, LogitEquilibrium)
    game = ZeroSumGame(lambda x, y: jnp.sum(x * y))
    solver: Solver = extragradient(0.1)
    state, trace = solve(game, solver, (jnp.ones(1), jnp.ones(1)), num_steps=10)
    assert_type(state, SolverState)
    assert_type(trace, Trace)
    decaying = gda(lambda count: jnp.where(count < 5, 0.1, 0.05))  # a schedule count -> rate
    _, trace_gda = solve(game, decaying, state.players, num_steps=10, tolerance=1e-6)
    return [value, gap, v, g, converged, qre.value, trace.grad_norm, trace_gda.num_iterations]


def strategies() -> None:
    """Hypothesis strategies of records, for a user's property tests."""
    normal_records: SearchStrategy[Normal] = normals(batch_shape=(2,), dtype=np.float32)
    assert_type(gammas(batch_shape=(3,), concentration=(0.5, 5.0)), SearchStrategy[Gamma])
    del normal_records


def main() -> float:
    """Sum of every result (finite when all went well) plus the length of the citation."""
    with config.checks(True):
        results = densities() + divergences() + samplers() + games()
    strategies()
    # the subpackages through the top-level module (loaded on first use)
    assert_type(gmath.densities.Normal(0.0, 1.0), gmath.densities.Normal)
    text: str = gmath.citation(kl, "gmath.games.solve_matrix_game", file=False)
    return sum(float(jnp.sum(r.astype(float))) for r in results) + len(text)


if __name__ == "__main__":
    print(main())
