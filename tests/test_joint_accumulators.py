"""A helper's reverse sweep adds into its caller's adjoints
(``optimise/accumulators.py``): the caller passes the adjoint arrays it owns
to the helper's ``vjp`` and takes the values returned as those adjoints.  Each way a
derivative can start inside the ``vjp`` -- zeros, a first value, or used for more
than adding (then ``accumulated`` adds at the end) -- and each way a caller's
adjoint can be unfit to pass (the same name at two positions, a number),
against finite differences in every mode.
"""

import re

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.frontend.inline import joint
from tests.modes import assert_sound


@pytest.fixture(autouse=True)
def small_helpers_too(monkeypatch):
    monkeypatch.setattr(joint, "MIN_OPERATIONS", 6)
    monkeypatch.setattr(joint, "MIN_NUMBER_OPERATIONS", 6)
    srcgrad.clear_cache()
    yield
    srcgrad.clear_cache()


# -- helpers (module level: only those get adjoint functions of their own) -----

def rhs(u, theta):              # derivatives start as zeros, then d[i] += v
    x, y = u[0], u[1]
    return np.array([theta[0] * x - theta[1] * x * y, theta[2] * x * y - theta[3] * y])


def blend(u, w):                # derivatives start with a first value, then += v
    return w * u + np.tanh(u) * w * 0.5 - np.sin(w) * u


def steps(x, k):                # x's derivative is scaled in a loop: not only added to
    for i in range(3):
        x = x * k + 0.1 * np.sin(x) - 0.05 * x * x
    return 1.0 * x


def pair(a, b):                 # called with one name for both
    return a * b + np.cos(a) * b * 0.3 - np.sin(b) * a


# -- callers ---------------------------------------------------------------------

def rk4(theta, u0):
    h = 0.05
    u = u0
    s = 0.0
    for i in range(6):
        k1 = rhs(u, theta)
        k2 = rhs(u + 0.5 * h * k1, theta)
        k3 = rhs(u + 0.5 * h * k2, theta)
        k4 = rhs(u + h * k3, theta)
        u = u + h / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        s = s + np.sum(u * u)
    return s


def blended(u, w):
    s = 0.0
    for i in range(4):
        a = blend(u, w)
        b = blend(a, w)
        s = s + np.sum(a * b) + np.sum(u * w)
        u = 0.9 * u + 0.1 * b
    return s


def stepped(x, k):
    s = 0.0
    for t in range(3):
        a = steps(x, k)
        b = steps(a, k)
        s = s + np.sum(a * b) + np.sum(x * k)
    return s


def paired(a, b):
    s = 0.0
    for t in range(3):
        c = pair(a, a)
        d = pair(c, b)
        s = s + np.sum(c * d) + np.sum(a * b)
        a = a * 0.8 + 0.1 * d
    return s


def numbers(x, k):              # floats: a number passed in is added to by value
    s = 0.0
    for t in range(3):
        a = blend(x, k)
        b = blend(a, k)
        s = s + a * b + x * k
    return s


V = np.array([0.7, 1.1, 0.9])
PROGRAMS = [
    (rk4, (np.array([1.5, 1.0, 1.0, 3.0]), np.array([1.0, 0.8]))),
    (blended, (V.copy(), np.array([0.4, 0.6, 0.5]))),
    (stepped, (V.copy(), np.array([0.9, 0.8, 1.1]))),
    (paired, (V.copy(), np.array([0.3, 0.5, 0.2]))),
    (numbers, (0.7, 0.4)),
]
IDS = [f.__name__ for f, _ in PROGRAMS]


@pytest.mark.parametrize("f, args", PROGRAMS, ids=IDS)
def test_every_mode_against_finite_differences(f, args):
    assert_sound(f, args, wrt=(0, 1))
    assert_sound(f, args, wrt=0)
    assert_sound(f, args, wrt=1)


def _source(f, wrt=(0, 1)):
    return srcgrad.source(srcgrad.grad(f, wrt=wrt))


def test_zeros_only_when_the_caller_gives_none():
    text = _source(rk4)
    helper = text.split("def vjp_rhs(")[1]
    assert helper.startswith("u, theta, cotangent, d_u=None, d_theta=None):")
    assert "if d_theta is None:\n        d_theta = zeros_like(theta)" in helper
    caller = text.split("def rhs(")[0]
    # k1 = rhs(u, theta): both adjoints passed in and taken back, never added again
    assert "vjp_rhs(u, theta, d_k1, d_u, d_theta)" in caller
    assert "d_theta += " not in caller


def test_a_first_value_is_added_when_the_caller_gives_one():
    helper = _source(blended).split("def vjp_blend(")[1]
    assert "if d_w is None:" in helper and "else:\n        d_w += " in helper


def test_a_derivative_used_for_more_than_adding_is_added_at_the_end():
    helper = _source(stepped).split("def vjp_steps(")[1]
    assert "accumulated(d_x_acc, " in helper


def test_one_name_at_two_positions_is_not_passed():
    caller = _source(paired).split("def pair(")[0]
    # (the old value of the loop-carried a, a_3_old, travels in the iteration's tuple)
    assert re.search(r"vjp_pair\((a_\d+(?:_old)?), \1, d_c\)\n", caller), caller
    assert "d_c_args[0] + d_c_args[1]" in caller


def test_the_export_defines_accumulated_and_runs_with_numpy_only(tmp_path):
    import os
    import subprocess
    import sys
    args = PROGRAMS[2][1]
    df = srcgrad.grad(stepped, wrt=(0, 1))
    text = srcgrad.source(df, standalone=True)
    assert "def accumulated(" in text and "import srcgrad" not in text
    path = tmp_path / "exported.py"
    given = ", ".join(f"np.array({a.tolist()!r})" for a in args)
    path.write_text(text + f"\n\nimport numpy as np\ng = d_stepped({given})\n"
                    "print(repr([np.asarray(e).tolist() for e in g]))\n")
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONNOUSERSITE": "1"}
    out = subprocess.run([sys.executable, "-I", str(path)], capture_output=True, text=True,
                         env=env, cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr
    for a, b in zip(eval(out.stdout), df(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12)
