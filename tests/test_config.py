"""The opt-in check mode: off by default, on by gmath.config.checks or GMATH_CHECKS=1."""

import os
import subprocess
import sys

import jax
import pytest

import gmath


def test_checks_context_manager_restores():
    assert not gmath.config.checks_enabled()
    with gmath.config.checks(True):
        assert gmath.config.checks_enabled()
        with gmath.config.checks(False):
            assert not gmath.config.checks_enabled()
        assert gmath.config.checks_enabled()
    assert not gmath.config.checks_enabled()


def test_error_if_not_eager_and_jit():
    gmath.config.error_if_not(False, "never raised when checks are off")
    with gmath.config.checks(True):
        with pytest.raises(gmath.config.InvalidParameterError, match="bad value"):
            gmath.config.error_if_not(jax.numpy.asarray([True, False]), "bad value")

        @jax.jit
        def f(x):
            gmath.config.error_if_not(x > 0, "x must be positive")
            return x * 2

        assert float(f(1.0)) == 2.0
        with pytest.raises(Exception, match="x must be positive"):
            jax.block_until_ready(f(-1.0))
        with pytest.raises(Exception, match="x must be positive"):
            jax.block_until_ready(jax.vmap(f)(jax.numpy.asarray([1.0, -1.0])))


def test_environment_variable_turns_checks_on():
    code = "import gmath; print(gmath.config.checks_enabled())"
    env = dict(os.environ, GMATH_CHECKS="1")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
