"""Eager calls are compiled once (gmath._jit.cached); checks mode is part of the compilation key
and a failed check is caught as InvalidParameterError eagerly, under gmath's cached functions,
under a user's jit (with gmath.config.checked) and under vmap."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import gmath
from gmath import games as gg
from gmath._jit import cached

from _compile import assert_second_call_compiles_nothing, count_compilations

InvalidParameterError = gmath.config.InvalidParameterError


def rps():
    return jnp.array([[0.0, 1.0, -1.0], [-1.0, 0.0, 1.0], [1.0, -1.0, 0.0]])


GAME = gg.ZeroSumGame(lambda x, y: x * y)
SOLVER = gg.gda(learning_rate=0.1)


def _shrinking(count):
    # a learning-rate schedule that turns negative (invalid) after 10 steps
    return 0.1 - 0.01 * jnp.asarray(count, jnp.float64)


BAD_SOLVER = gg.gda(learning_rate=_shrinking)
LR_MESSAGE = "gda: learning_rate must be non-negative."

EAGER_CALLS = {
    "solve_matrix_game": lambda: gg.solve_matrix_game(rps()),
    "solve_matrix_game_rm+": lambda: gg.solve_matrix_game(rps(), method="rm+", tolerance=1e-4),
    "matrix_game_value": lambda: gg.matrix_game_value(rps()),
    "matrix_game_value_grad": lambda: jax.grad(gg.matrix_game_value)(rps()),
    "play_matrix_game": lambda: gg.play_matrix_game(rps(), num_steps=50),
    "logit_equilibrium": lambda: gg.logit_equilibrium(rps(), temperature=0.5),
    "solve": lambda: gg.solve(GAME, SOLVER, (1.0, 1.0), num_steps=100),
    "solve_tol": lambda: gg.solve(GAME, SOLVER, (1.0, 1.0), num_steps=100, tolerance=1e-3),
    "jacobian": lambda: gg.jacobian(GAME, (1.0, 1.0)),
    "classify_stationary_point": lambda: gg.classify_stationary_point(GAME, (0.0, 0.0)),
    "linearized_rate": lambda: gg.linearized_rate(SOLVER, GAME, (0.0, 0.0)),
}


@pytest.mark.parametrize("name", list(EAGER_CALLS))
def test_second_eager_call_does_not_compile(name):
    assert_second_call_compiles_nothing(name, EAGER_CALLS[name])


def test_rock_paper_scissors_value_and_strategy():
    sol = gg.solve_matrix_game(rps())
    np.testing.assert_allclose(sol.x, np.full(3, 1 / 3), atol=1e-12)
    assert abs(float(sol.value)) < 1e-12


def test_fresh_user_callable_recompiles_and_same_one_does_not():
    # user callables are static by identity (documented in solve)
    def run(game):
        return jax.block_until_ready(gg.solve(game, SOLVER, (1.0, 1.0), num_steps=5))

    run(GAME)
    with count_compilations() as count:
        run(GAME)
    assert count[0] == 0
    with count_compilations() as count:
        run(gg.ZeroSumGame(lambda x, y: x * y))
    assert count[0] >= 1


def test_validation_errors_keep_their_messages():
    with pytest.raises(ValueError, match="method must be one of"):
        gg.solve_matrix_game(rps(), method="nope")
    with pytest.raises(ValueError, match="num_steps must be a non-negative integer"):
        gg.solve(GAME, SOLVER, (1.0, 1.0), num_steps=-1)
    with pytest.raises(ValueError, match="expected 2 players"):
        gg.solve(GAME, SOLVER, (1.0, 1.0, 1.0), num_steps=3)

    @cached(static_argnames=("n",))
    def f(x, *, n):
        if x.ndim != 1:
            raise TypeError(f"f: x must be a vector, got shape {x.shape}.")
        return x[:n]

    with pytest.raises(TypeError, match=r"f: x must be a vector, got shape \(2, 2\)"):
        f(jnp.ones((2, 2)), n=1)
    np.testing.assert_array_equal(f(jnp.arange(3.0), n=2), [0.0, 1.0])


def test_unhashable_static_option_runs_uncompiled():
    @cached(static_argnames=("weights",))
    def f(x, *, weights):
        return x * sum(weights)

    assert float(f(jnp.asarray(2.0), weights=[1.0, 2.0])) == 6.0


def test_cached_is_transparent_under_jit_vmap_grad():
    @cached(static_argnames=("power",))
    def f(x, *, power):
        return jnp.sum(x**power)

    x = jnp.arange(1.0, 4.0)
    assert float(jax.jit(lambda x: f(x, power=3))(x)) == 36.0
    np.testing.assert_allclose(jax.grad(lambda x: f(x, power=3))(x), 3 * x**2, rtol=1e-15)
    np.testing.assert_allclose(jax.vmap(lambda x: f(x, power=2))(x[:, None]), x**2, rtol=1e-15)
    np.testing.assert_allclose(
        jax.jit(jax.vmap(jax.grad(lambda x: f(x, power=2))))(x), 2 * x, rtol=1e-15
    )


# ----- checks mode: part of the key, one class to catch -----


def _bad_solve(x0=1.0):
    return gg.solve(GAME, BAD_SOLVER, (x0, 1.0), num_steps=20)


def test_toggling_checks_takes_effect_on_a_compiled_function():
    # compiled with checks off: an invalid (negative) scheduled rate gives NaN players
    state, _ = _bad_solve()
    assert np.isnan(float(state.x))
    with gmath.config.checks(True):
        with pytest.raises(InvalidParameterError) as info:
            _bad_solve()
    assert str(info.value) == LR_MESSAGE
    # and off again: NaN, no error, no new compilation (both modes are cached)
    with count_compilations() as count:
        state, _ = _bad_solve()
    assert np.isnan(float(state.x)) and count[0] == 0


def test_checks_error_message_intact_eager_cached_jit_vmap():
    with gmath.config.checks(True):
        # eager, outside any compiled function
        with pytest.raises(InvalidParameterError, match=r"^x must be positive$"):
            gmath.config.error_if_not(jnp.asarray(False), "x must be positive")
        # a gmath cached function (the check runs inside its compiled loop)
        with pytest.raises(InvalidParameterError) as info:
            _bad_solve()
        assert str(info.value) == LR_MESSAGE
        assert isinstance(info.value.__cause__, jax.errors.JaxRuntimeError)
        # under vmap of a gmath function
        with pytest.raises(InvalidParameterError) as info:
            jax.vmap(lambda x0: _bad_solve(x0)[0].x)(jnp.array([1.0, 2.0]))
        assert str(info.value) == LR_MESSAGE
        # a user's own jit: JAX's runtime error, message intact; checked() gives the one class
        user = jax.jit(lambda x0: _bad_solve(x0)[0].x)
        with pytest.raises(jax.errors.JaxRuntimeError, match=LR_MESSAGE):
            user(1.0)
        with pytest.raises(InvalidParameterError) as info:
            gmath.config.checked(user)(1.0)
        assert str(info.value) == LR_MESSAGE
        with pytest.raises(InvalidParameterError) as info:
            gmath.config.checked(jax.jit(jax.vmap(lambda x0: _bad_solve(x0)[0].x)))(
                jnp.array([1.0, 2.0])
            )
        assert str(info.value) == LR_MESSAGE


def test_checked_passes_other_errors_and_values_through():
    f = gmath.config.checked(jax.jit(lambda x: x * 2))
    assert float(f(2.0)) == 4.0

    def boom(x):
        raise KeyError("not a check")

    with pytest.raises(KeyError, match="not a check"):
        gmath.config.checked(boom)(1.0)


def test_valid_input_with_checks_on_is_unchanged():
    with gmath.config.checks(True):
        sol = gg.solve_matrix_game(rps())
    np.testing.assert_allclose(sol.y, np.full(3, 1 / 3), atol=1e-12)


def test_non_array_arguments_run_uncompiled_and_keep_their_errors():
    @cached
    def f(x):
        if not hasattr(x, "shape"):
            raise TypeError(f"f: x must be an array, got {type(x).__name__}.")
        return x + 1

    with pytest.raises(TypeError, match="f: x must be an array, got object"):
        f(object())
    assert float(f(jnp.asarray(1.0))) == 2.0
