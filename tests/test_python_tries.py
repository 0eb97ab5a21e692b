"""``try``/``except``/``else``/``finally`` in differentiated functions
(issue #14): the path taken is recorded like a branch (each operation that
may raise what is caught is tried first), in every mode against finite
differences, on both paths; and the refusals."""

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound

X = np.array([0.6, -0.4, 0.3])
A = np.array([[2.0, 1.0], [1.0, 3.0]])
SINGULAR = np.array([[1.0, 2.0], [2.0, 4.0]])
B = np.array([0.5, -1.0])


def solve_or_lstsq(A, b):
    try:
        y = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        y = np.linalg.lstsq(A, b, rcond=None)[0]
    return np.sum(y ** 2)


def solve_or_ridge(A, b):
    try:
        y = np.linalg.solve(A, b)
    except np.linalg.LinAlgError:
        y = np.linalg.solve(A + 0.1 * np.eye(len(b)), b)
    return np.sum(y ** 2)


def key_or_default(x, d):
    try:
        v = d["k"] * x[0]
    except KeyError:
        v = x[1] ** 2
    return v + x[2]


def partial_body(x, d):
    t = 0.0
    try:
        t = x[1] * 3.0          # runs before the failure: the handler sees it
        u = d["b"]
        t = t + u * x[0]
    except KeyError as e:
        t = t * x[2] + len(str(e))
    else:
        t = t * 2.0
    finally:
        t = t + x[0]
    return t


def only_finally(x):
    try:
        y = np.sin(x)
    finally:
        z = 2.0
    return np.sum(y) * z


def divide(a, b):
    try:
        return a / b
    except ZeroDivisionError:
        return a * 0.0 + 1.0


def helper_raises(x):
    def checked(v):
        if v < 0.0:
            raise ValueError("negative")
        return np.sqrt(v)
    try:
        y = checked(x[0]) * x[1]
    except ValueError:
        y = x[1] ** 2
    return y


def loop_in_body(x, d):
    s = 0.0
    try:
        for k in ["a", "b", "c"]:
            s = s + d[k] * x[0]
    except KeyError:
        s = s - x[1]
    return s


def try_in_loop(x):
    total = 0.0
    for i in range(4):
        try:
            v = 1.0 / (i - 2)
        except ZeroDivisionError:
            v = 0.5
        total = total + v * x[i % 3]
    return total


def nested(x, d):
    try:
        try:
            v = d["a"] * x[0]
        except KeyError:
            v = np.linalg.inv(np.zeros((2, 2)))[0, 0]
    except np.linalg.LinAlgError:
        v = x[1] * 3.0
    return v * x[2]


def several_handlers(x, d):
    try:
        v = d["k"] / x[0]
    except (TypeError, ZeroDivisionError):
        v = 1.0
    except KeyError as missing:
        v = x[1] * len(missing.args)
    return v * x[2]


CASES = [
    (solve_or_lstsq, (A, B), (0, 1)),
    (solve_or_ridge, (A, B), (0, 1)),
    (solve_or_ridge, (SINGULAR, B), 1),
    (key_or_default, (X, {"k": 2.0}), 0),
    (key_or_default, (X, {"j": 2.0}), 0),
    (partial_body, (X, {"b": 2.0}), 0),
    (partial_body, (X, {"a": 2.0}), 0),
    (only_finally, (X,), 0),
    (divide, (1.5, 2.0), (0, 1)),
    (divide, (1.5, 0.0), 0),
    (helper_raises, (X,), 0),
    (helper_raises, (np.abs(X),), 0),
    (loop_in_body, (X, {"a": 1.0, "b": 2.0, "c": 3.0}), 0),
    (loop_in_body, (X, {"a": 1.0, "c": 3.0}), 0),
    (try_in_loop, (X,), 0),
    (nested, (X, {"a": 2.0}), 0),
    (nested, (X, {}), 0),
    (several_handlers, (X, {"k": 2.0}), 0),
    (several_handlers, (X, {}), 0),
    (several_handlers, (X, {"k": "s"}), 0),
]


@pytest.mark.parametrize("f, args, wrt", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_try(f, args, wrt):
    assert_sound(f, args, wrt=wrt)


def reraise(a, b):
    try:
        y = a / b
    except ZeroDivisionError:
        print("dividing by zero")
        raise
    return y


def test_raise_in_a_handler_propagates():
    assert srcgrad.grad(reraise)(1.0, 2.0) == 0.5
    with pytest.raises(ZeroDivisionError):
        srcgrad.grad(reraise)(1.0, 0.0)
    with pytest.raises(ZeroDivisionError):
        srcgrad.jvp(reraise)(1.0, 0.0, 1.0)


def return_through_finally(x):
    try:
        return x * 2.0
    finally:
        print("done")


def pops(x, d):
    try:
        v = d.pop("k")
    except KeyError:
        v = 1.0
    return v * x


def conditional(x, d):
    try:
        v = d["k"] if x > 0.0 else 1.0
    except KeyError:
        v = 2.0
    return v * x


ERRORS = (KeyError, ValueError)


def random_before(x, d):
    try:
        v = np.sum(np.random.normal(size=2)) * 0.0 + d["k"]
    except KeyError:
        v = 1.0
    return v * x


def dynamic_class(x, errors):
    try:
        v = x * 2.0
    except errors:
        v = x
    return v


@pytest.mark.parametrize("f, message", [
    (return_through_finally, "'return' in the try body of a try with finally"),
    (pops, "a call in a try body that may raise what the handlers catch and that may have "
           "effects"),
    (conditional, "inside a conditional expression"),
    (random_before, "a call with effects that runs before an operation tried"),
    (dynamic_class, "an except clause whose exception classes are not known"),
])
def test_refused(f, message):
    with pytest.raises(srcgrad.UnsupportedError, match=message) as e:
        srcgrad.grad(f)
    assert "test_python_tries.py" in str(e.value)


def test_standalone_export_runs_without_srcgrad(tmp_path):
    import subprocess
    import sys
    df = srcgrad.grad(partial_body)
    (tmp_path / "exported.py").write_text(srcgrad.source(df, standalone=True))
    code = ("import sys; sys.path.insert(0, '.'); sys.modules['srcgrad'] = None\n"
            "import numpy as np, exported\n"
            "print(list(exported.d_partial_body(np.array([0.6, -0.4, 0.3]), {'a': 2.0})))")
    done = subprocess.run([sys.executable, "-I", "-c", code], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert np.allclose(eval(done.stdout), df(X, {"a": 2.0}))
