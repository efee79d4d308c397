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


def _fresh_python(code):
    """Run ``code`` in a fresh interpreter without XLA_FLAGS; return its stripped stdout."""
    env = {k: v for k, v in os.environ.items() if k != "XLA_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


FLAG = "--xla_cpu_enable_concurrency_optimized_scheduler=false"


def test_avoid_cpu_lapack_deadlock_sets_the_flag_before_backends_start():
    from gmath._xla_flags import xla_knows

    code = (
        "import os, jax, jax.numpy as jnp, gmath\n"
        "print(gmath.config.avoid_cpu_lapack_deadlock())\n"
        "print(os.environ.get('XLA_FLAGS', ''))\n"
        "print(float(jnp.linalg.cholesky(jnp.eye(2) * 4.0)[0, 0]))\n"
    )
    done, flags, value = _fresh_python(code).splitlines()
    assert done == str(xla_knows(FLAG))
    assert (FLAG in flags.split()) == xla_knows(FLAG)
    assert value == "2.0"  # the backend started with the flag and computes


def test_avoid_cpu_lapack_deadlock_says_when_it_is_too_late():
    code = (
        "import jax.numpy as jnp, gmath\n"
        "jnp.ones(2).block_until_ready()\n"  # backends are running: XLA_FLAGS was read
        "try:\n"
        "    gmath.config.avoid_cpu_lapack_deadlock()\n"
        "except RuntimeError as err:\n"
        "    print(err)\n"
    )
    assert "already initialised" in _fresh_python(code)


def test_avoid_cpu_lapack_deadlock_is_idempotent_here():
    # the test suite set the flag before jax started (conftest), so a late call is a no-op
    from gmath._xla_flags import xla_knows

    if FLAG in os.environ.get("XLA_FLAGS", "").split():
        assert gmath.config.avoid_cpu_lapack_deadlock() is True
    else:
        assert not xla_knows(FLAG)
        with pytest.raises(RuntimeError, match="already initialised"):
            gmath.config.avoid_cpu_lapack_deadlock()
