"""Game specs and analysis: matrix-free Jacobian products, classification of stationary
points, the n-player Game."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from gmath import games as gg

A = jnp.array([[1.0, 2.0, 0.0], [0.5, -1.0, 3.0]])


def f(x, y):
    return jnp.sum(jnp.sin(x)) * jnp.sum(y**2) + x @ A @ y + 0.3 * jnp.sum(x**2)


GAME = gg.ZeroSumGame(f)
Z = (jnp.array([0.3, -0.7]), jnp.array([1.1, 0.2, -0.4]))


@jax.jit
def _products(z, t):
    return (
        jnp.concatenate(GAME.jvp(z, t)),
        jnp.concatenate(GAME.vjp(z, t)),
        jnp.concatenate(GAME.symmetric_vp(z, t)),
        jnp.concatenate(GAME.antisymmetric_vp(z, t)),
        GAME.block_jvp(z, 0, 1, t[1]),
        GAME.block_vjp(z, 0, 1, t[0]),
    )


def test_matrix_free_products_match_materialised_jacobian():
    J = np.asarray(gg.jacobian(GAME, Z))
    t = (jnp.array([1.0, 2.0]), jnp.array([-1.0, 0.5, 0.25]))
    tv = np.concatenate(t)
    jv, jtv, sv, av, bj, bv = _products(Z, t)
    np.testing.assert_allclose(jv, J @ tv, rtol=1e-12)
    np.testing.assert_allclose(jtv, J.T @ tv, rtol=1e-12)
    np.testing.assert_allclose(sv, 0.5 * (J + J.T) @ tv, rtol=1e-12)
    np.testing.assert_allclose(av, 0.5 * (J - J.T) @ tv, rtol=1e-12)
    np.testing.assert_allclose(gg.jacobian(GAME, Z, part="symmetric"), 0.5 * (J + J.T))
    np.testing.assert_allclose(gg.jacobian(GAME, Z, part="antisymmetric"), 0.5 * (J - J.T))
    # blocks: J_01 = d/dy grad_x f
    np.testing.assert_allclose(bj, J[:2, 2:] @ t[1], rtol=1e-12)
    np.testing.assert_allclose(bv, J[:2, 2:].T @ t[0], rtol=1e-12)
    # bilinear part: J = [[.., A], [-A^T, ..]] at x = 0 where the sin term's cross terms vanish
    Jb = gg.jacobian(gg.ZeroSumGame(lambda x, y: x @ A @ y), Z)
    np.testing.assert_allclose(Jb, np.block([[np.zeros((2, 2)), A], [-A.T, np.zeros((3, 3))]]))


def test_zero_sum_equals_general_sum_form():
    game = gg.Game([f, lambda x, y: -f(x, y)])
    np.testing.assert_allclose(gg.jacobian(game, Z), gg.jacobian(GAME, Z), rtol=1e-13)


@pytest.mark.parametrize(
    ("fn", "label"),
    [
        (lambda x, y: x**2 - y**2 + x * y, "local Nash"),
        (lambda x, y: -0.5 * x**2 + 2 * x * y - 0.5 * y**2, "local minimax"),
        (lambda x, y: -(x**2) - y**2 + 0.1 * x * y, "neither"),
        (lambda x, y: (x - 1.0) ** 2 - y**2, "not stationary"),
    ],
)
def test_classify_stationary_point(fn, label):
    assert gg.classify_stationary_point(gg.ZeroSumGame(fn), (0.0, 0.0)).label == label


def test_classify_general_sum():
    game = gg.Game([lambda a, b: a**2 + a * b, lambda a, b: b**2 - a * b])
    c = gg.classify_stationary_point(game, (0.0, 0.0))
    assert bool(c.local_nash) and c.label == "local Nash"
    np.testing.assert_allclose(c.min_eigenvalues, [2.0, 2.0])


def test_bad_input():
    with pytest.raises(ValueError, match="callables"):
        gg.Game(lambda x: x)
    with pytest.raises(ValueError, match="part"):
        gg.jacobian(GAME, Z, part="upper")
    with pytest.raises(ValueError, match="floating"):
        GAME.check((jnp.array([1, 2]), jnp.ones(3)))
