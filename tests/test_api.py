"""The public API: signatures, decorators, wrt, caching, source and tracebacks."""

import inspect
import linecache

import numpy as np
import pytest

import srcgrad

from tests import programs as p


@srcgrad.grad
def decorated(x):
    return x * x * 3.0


@srcgrad.grad(wrt=(0, 1))
def decorated_with_options(x, y):
    return x * y + y


@srcgrad.value_and_grad(wrt="y")
def decorated_value(x, y):
    return x * y * y


def test_decorators():
    assert decorated(2.0) == 12.0
    assert decorated_with_options(2.0, 3.0) == (3.0, 3.0)
    assert decorated_value(2.0, 3.0) == (18.0, 12.0)


def test_wrt_by_name_position_and_tuple():
    f = p.arithmetic
    by_pos = srcgrad.grad(f, wrt=1)(1.3, 2.1)
    by_name = srcgrad.grad(f, wrt="y")(1.3, 2.1)
    both = srcgrad.grad(f, wrt=("y", 0))(1.3, 2.1)
    assert by_pos == by_name == both[0]
    assert both[1] == srcgrad.grad(f)(1.3, 2.1)
    assert srcgrad.grad(f, wrt=-1)(1.3, 2.1) == by_pos


def test_same_signature_keywords_and_defaults():
    df = srcgrad.grad(p.keyword_defaults)
    assert str(inspect.signature(df)) == str(inspect.signature(p.keyword_defaults))
    x = np.array([0.5, -1.0])
    assert np.allclose(df(x), df(x, 2.0, shift=1.0))
    assert np.allclose(df(x, scale=3.0), 2 * (x * 3.0 + 1.0) * 3.0)


def test_cached():
    a = srcgrad.grad(p.long_function, wrt=(0, 1, 2))
    b = srcgrad.grad(p.long_function, wrt=(0, 1, 2))
    assert a is b                # the same function: the pipeline did not run again
    assert srcgrad.grad(p.long_function, wrt=0) is not a
    srcgrad.clear_cache()
    assert srcgrad.grad(p.long_function, wrt=(0, 1, 2)) is not a


def test_value_and_grad_for_scipy():
    scipy_optimize = pytest.importorskip("scipy.optimize")

    def target(w):
        return p.keyword_defaults(w)
    vg = srcgrad.value_and_grad(p.keyword_defaults)
    res = scipy_optimize.minimize(vg, np.array([3.0, -2.0]), jac=True, method="BFGS")
    assert res.success and np.allclose(res.x, -0.5, atol=1e-5)


def test_source_is_registered_for_tracebacks_and_inspect():
    df = srcgrad.grad(p.golden, wrt=(0, 1))
    text = inspect.getsource(df)
    assert text.lstrip().startswith("def d_golden(")
    assert linecache.getlines(df.__code__.co_filename)
    assert df.__name__ == "d_golden"


def test_traceback_shows_generated_line():
    df = srcgrad.grad(p.numpy_elementwise)
    with pytest.raises(TypeError) as info:
        df("not a number")
    frames = [f for f in info.traceback if str(f.path).startswith("<srcgrad")]
    assert frames, "the generated function should appear in the traceback"
    assert frames[-1].statement is not None


def test_standalone_source_runs_with_numpy_only(tmp_path):
    df = srcgrad.grad(p.broadcast_rows, wrt=(0, 1))
    text = srcgrad.source(df, standalone=True)
    assert "import srcgrad" not in text and "from srcgrad" not in text
    ns = {}
    exec(compile(text.replace("from tests.programs import", "# ").replace(
        "from programs import", "# "), "standalone", "exec"), ns)
    row, m = np.array([0.1, 0.2, 0.3]), np.arange(12.0).reshape(4, 3) / 10
    got = ns["d_broadcast_rows"](row, m)
    want = df(row, m)
    assert np.allclose(got[0], want[0]) and np.allclose(got[1], want[1])


def test_cli(tmp_path, capsys):
    from srcgrad.api.cli import main
    out = tmp_path / "d.py"
    assert main(["tests/programs.py:golden", "--wrt", "0,1", "-o", str(out)]) == 0
    assert "def d_golden(" in out.read_text()
    assert main(["tests/programs.py:golden", "--wrt", "x", "--check", "0.3,1.2"]) == 0
    assert "d_x" in capsys.readouterr().out
    assert main(["tests/bad_programs.py:uses_try"]) == 1
    assert "an except clause whose exception classes are not known" in capsys.readouterr().err


def test_cli_shows_the_code_after_a_stage(capsys):
    from srcgrad.api.cli import main
    from srcgrad.compiler.pipeline import stage_names
    names = stage_names()
    assert names[:5] == ["parse", "normalise", "ssa", "hoist", "analyse"]
    assert {"reverse", "forward", "eliminate_dead_code", "propagate_copies"} <= set(names)
    assert main(["tests/programs.py:golden", "--after", "ssa"]) == 0
    ssa = capsys.readouterr().out
    assert ssa.startswith("def golden(") and "d_" not in ssa      # the primal, in SSA form
    assert main(["tests/programs.py:golden", "--after", "reverse", "--times"]) == 0
    captured = capsys.readouterr()
    assert "def d_golden(" in captured.out
    timed = [line.split()[-1] for line in captured.err.splitlines()]
    assert {"parse", "normalise", "ssa", "analyse", "reverse"} <= set(timed)


def test_cli_check_of_an_array_function_is_a_message(tmp_path, capsys):
    from srcgrad.api.cli import main
    module = tmp_path / "arrays.py"
    module.write_text("import numpy as np\n\ndef f(x):\n    return np.sum(x[1:] * 2.0)\n")
    assert main([f"{module}:f", "--check", "1.0"]) == 1
    err = capsys.readouterr().err
    assert "--check passes scalar arguments only" in err and "Traceback" not in err
    assert main([f"{module}:f", "--check", "a"]) == 2


def test_standalone_header_says_what_the_export_needs(tmp_path, monkeypatch):
    from tests import programs as p
    assert "# Needs only NumPy." in srcgrad.source(srcgrad.grad(p.golden),
                                                   standalone=True).split("\n\n")[0]
    (tmp_path / "scaled_model.py").write_text(
        "import numpy as np\nSCALE = 2.5\n\ndef f(x):\n    return np.sum(np.sin(x) * SCALE)\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    import scaled_model
    text = srcgrad.source(srcgrad.grad(scaled_model.f), standalone=True)
    assert "# Needs only NumPy." in text.split("\n\n")[0]    # the constant is written in
    assert "SCALE = 2.5" in text and "scaled_model import" not in text
