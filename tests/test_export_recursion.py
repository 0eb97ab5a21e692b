"""Exports of gradients of recursive functions (issue #14, "self-contained
export"): a recursive call goes through the callee's split form, which
srcgrad's driver makes when the gradient runs; the export writes those split
forms out and calls them through ``recursive_split``, so the module runs
where only NumPy can be imported.  Against srcgrad's own gradient and finite
differences."""

import pathlib
import textwrap

import numpy as np
import pytest

import srcgrad
from tests.test_embed import _numpy_only_run

MODEL = '''
import numpy as np


def det_minors(M):
    n = M.shape[0]
    if n == 1:
        return M[0, 0]
    total = 0.0
    for j in range(n):
        minor = np.concatenate((M[1:, :j], M[1:, j + 1:]), axis=1)
        total = total + (-1.0) ** j * M[0, j] * det_minors(minor)
    return total


def power(x, n):
    if n == 0:
        return 1.0
    return x * power(x, n - 1)


def ping(x, n):
    if n <= 0:
        return np.sin(x)
    return pong(x * 1.1, n - 1) + x


def pong(x, n):
    return 0.5 * ping(x, n - 1) * x


def uses_both(x, M):
    return power(x, 3) * det_minors(M) + ping(x, 4)
'''


@pytest.fixture
def model(tmp_path, monkeypatch):
    (tmp_path / "model.py").write_text(MODEL)
    monkeypatch.syspath_prepend(str(tmp_path))
    import importlib
    import sys
    sys.modules.pop("model", None)
    mod = importlib.import_module("model")
    yield mod
    sys.modules.pop("model", None)
    srcgrad.clear_cache()


M3 = np.array([[2.0, 0.3, -0.4], [0.1, 1.5, 0.2], [-0.3, 0.4, 1.8]])


@pytest.mark.parametrize("name, args, wrt", [
    ("det_minors", (M3,), 0),
    ("power", (1.3, 4), 0),
    ("ping", (0.7, 5), 0),
    ("uses_both", (0.7, M3), (0, 1)),
], ids=["det_minors", "power", "mutual", "two_recursions"])
def test_export_of_a_recursion_runs_with_numpy_only(model, tmp_path, name, args, wrt):
    f = getattr(model, name)
    df = srcgrad.grad(f, wrt=wrt)
    want = df(*args)
    text = srcgrad.source(df, standalone=True)
    assert "Needs only NumPy." in text.split("\n\n")[0]
    assert "split_call" not in text and "keyword-only" not in text
    assert "def recursive_split(" in text and "def split_" in text
    out = tmp_path / "exported"
    out.mkdir()
    (out / "grad_mod.py").write_text(text)
    given = ", ".join(f"np.array({a.tolist()!r})" if isinstance(a, np.ndarray) else repr(a)
                      for a in args)
    run = _numpy_only_run(out, f"""
        import numpy as np
        import grad_mod
        g = grad_mod.d_{name}({given})
        print(repr([np.asarray(e).tolist() for e in (g if isinstance(g, tuple) else (g,))]))
    """)
    assert run.returncode == 0, run.stderr
    got = eval(run.stdout)
    for a, b in zip(got, want if isinstance(want, tuple) else (want,)):
        np.testing.assert_allclose(a, b, rtol=1e-13)
    # srcgrad's gradient itself against finite differences
    i = wrt if isinstance(wrt, int) else wrt[0]
    x = np.asarray(args[i], float)
    h, fd = 1e-6, np.zeros(x.shape)
    for k in np.ndindex(x.shape):
        e = np.zeros(x.shape)
        e[k] = h
        up = list(args)
        dn = list(args)
        up[i] = (x + e) if x.ndim else float(x + e)
        dn[i] = (x - e) if x.ndim else float(x - e)
        fd[k] = (f(*up) - f(*dn)) / (2 * h)
    g0 = want[0] if isinstance(want, tuple) else want
    np.testing.assert_allclose(g0, fd, rtol=1e-6, atol=1e-8)


def test_the_export_checks_itself_before_any_call(model, tmp_path):
    # the split forms are made for the export when the gradient has not run yet
    text = srcgrad.source(srcgrad.grad(model.power), standalone=True)
    ns = {}
    exec(compile(text, "exported", "exec"), ns)
    assert ns["d_power"](1.3, 4) == pytest.approx(4 * 1.3 ** 3, rel=1e-14)
