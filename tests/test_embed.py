"""Embedding srcgrad (issue #14): the disk cache of generated code, exports
that run with NumPy alone, and ``srcgrad export``."""

import json
import os
import pathlib
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.api.cli import main
from srcgrad.compiler import diskcache

ROOT = pathlib.Path(__file__).resolve().parent.parent
PY = sys.executable

MODEL = '''\
import numpy as np

SCALE = 2.5
TABLE = np.array([1.0, -2.0, 0.5])
BIG = np.linspace(0.0, 1.0, 20000)


def helper(a, b):
    return np.tanh(a * b) + SCALE * a


def f(x, y):
    z = helper(x, y) * TABLE
    return np.sum(z ** 2) + np.sum(np.linalg.solve(np.eye(3) * 2.0, x))


def g(x):
    return np.sum(np.sin(x) * BIG[:3])


class Osc:
    def __init__(self, k):
        self.k = k

    def energy(self, x):
        return 0.5 * self.k * np.sum(x ** 2)
'''

RUN = '''\
import sys, time
sys.path.insert(0, {dir!r})
import numpy as np
import srcgrad
import model
start = time.perf_counter()
df = srcgrad.grad(model.f, wrt="x")
took = time.perf_counter() - start
print(repr(getattr(df, "srcgrad_from_disk", False)), took,
      repr(df(np.ones(3), np.arange(3.0)).tolist()))
'''


def _process(tmp_path, cache, env_extra=None):
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(cache), PYTHONPATH=str(ROOT))
    env.pop("SRCGRAD_CACHE", None)
    env.update(env_extra or {})
    out = subprocess.run([PY, str(tmp_path / "run.py")], capture_output=True, text=True,
                         env=env, check=True, cwd=tmp_path)
    hit, took, value = out.stdout.split(" ", 2)
    return hit == "True", float(took), value


@pytest.fixture
def project(tmp_path):
    (tmp_path / "model.py").write_text(MODEL)
    (tmp_path / "run.py").write_text(RUN.format(dir=str(tmp_path)))
    return tmp_path


def test_a_fresh_process_reads_the_gradient_from_disk(project):
    cache = project / "cache"
    hit1, cold, v1 = _process(project, cache)
    hit2, warm, v2 = _process(project, cache)
    assert (hit1, hit2) == (False, True) and v1 == v2
    assert sorted(p.suffix for p in cache.iterdir()) == [".code", ".json"]
    print(f"cold {cold * 1000:.1f} ms, from disk {warm * 1000:.1f} ms")


def test_any_change_of_a_relevant_source_regenerates(project):
    cache = project / "cache"
    assert _process(project, cache)[0] is False
    # an inlined helper changes: regenerated, with the new derivative
    (project / "model.py").write_text(MODEL.replace("SCALE * a", "SCALE * a * a"))
    hit, _, v = _process(project, cache)
    assert hit is False
    assert _process(project, cache)[:1] == (True,)
    # a global the code reads changes value
    (project / "model.py").write_text(MODEL.replace("SCALE * a", "SCALE * a * a")
                                      .replace("SCALE = 2.5", "SCALE = 3.5"))
    assert _process(project, cache)[0] is False


def test_the_cache_can_be_turned_off_and_corrupt_entries_are_ignored(project):
    cache = project / "cache"
    assert _process(project, cache, {"SRCGRAD_CACHE": "0"})[0] is False
    assert not cache.exists()
    _process(project, cache)
    for entry in cache.glob("*.json"):
        entry.write_text("{not json")
    hit, _, value = _process(project, cache)
    assert hit is False
    assert _process(project, cache)[0] is True          # rebuilt
    for entry in cache.glob("*.code"):                   # code of another hash: compiled again
        entry.write_bytes(b"garbage")
    hit, _, v2 = _process(project, cache)
    assert hit is True and v2 == value
    for entry in cache.glob("*.json"):                   # an entry for another key
        data = json.loads(entry.read_text())
        data["key"] = "0" * 64
        entry.write_text(json.dumps(data))
    assert _process(project, cache)[0] is False


def test_disk_cache_api_and_clear(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    monkeypatch.delenv("SRCGRAD_CACHE", raising=False)
    import model
    old = diskcache._SETTINGS.copy()
    try:
        enabled, where = srcgrad.disk_cache(enabled=True, directory=project / "c2")
        assert enabled and where == project / "c2"
        srcgrad.clear_cache()
        srcgrad.grad(model.f)
        assert len(list((project / "c2").glob("*.json"))) == 1
        srcgrad.clear_cache()
        assert srcgrad.grad(model.f).srcgrad_from_disk
        srcgrad.clear_cache(disk=True)
        assert not list((project / "c2").glob("*"))
        srcgrad.disk_cache(enabled=False)
        srcgrad.clear_cache()
        srcgrad.grad(model.f)
        assert not list((project / "c2").glob("*"))
    finally:
        diskcache._SETTINGS.update(old)
        sys.modules.pop("model", None)


def _closure_maker(k):
    def h(x):
        return np.sum(x * k)
    return h


def test_what_cannot_be_described_is_not_cached(tmp_path):
    old = diskcache._SETTINGS.copy()
    try:
        srcgrad.disk_cache(enabled=True, directory=tmp_path)
        srcgrad.grad(_closure_maker(2.0))            # a closure
        srcgrad.grad(lambda x: x * 2.0)              # fine: a lambda in a file
        assert diskcache.key(_closure_maker(2.0), ["grad"]) is None
        assert diskcache.key(lambda x: x, ["grad"]) is not None
    finally:
        diskcache._SETTINGS.update(old)


def test_wrt_position_and_name_share_one_entry(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    import model
    try:
        d0 = srcgrad.grad(model.f, wrt=0)
        assert srcgrad.grad(model.f, wrt="x") is d0
        assert srcgrad.grad(model.f, wrt=("x",)) is not d0        # a tuple: a tuple result
        assert srcgrad.value_and_grad(model.f, wrt="y") is srcgrad.value_and_grad(model.f, wrt=1)
        assert srcgrad.jvp(model.f, wrt="y") is srcgrad.jvp(model.f, wrt=1)
        assert srcgrad.vjp(model.f, wrt="y") is srcgrad.vjp(model.f, wrt=1)
    finally:
        sys.modules.pop("model", None)


# -- exports -----------------------------------------------------------------------


def _numpy_only_run(directory, code):
    """Run ``code`` in a Python that can import NumPy and the files of
    ``directory``, but neither srcgrad nor the user's module (-S: no site
    packages; NumPy is reached through a directory of links)."""
    links = directory / "only_numpy"
    links.mkdir(exist_ok=True)
    site = pathlib.Path(np.__file__).resolve().parent.parent
    for name in ("numpy", "numpy.libs"):
        if (site / name).exists() and not (links / name).exists():
            (links / name).symlink_to(site / name)
    prelude = f"import sys; sys.path[:0] = [{str(links)!r}, {str(directory)!r}]\n"
    check = ("import importlib.util\n"
             "assert importlib.util.find_spec('srcgrad') is None\n"
             "assert importlib.util.find_spec('model') is None\n")
    return subprocess.run([PY, "-S", "-c", prelude + check + textwrap.dedent(code)],
                          capture_output=True, text=True, cwd=directory, env={})


def test_export_several_functions_runs_with_numpy_only(project, tmp_path_factory, monkeypatch):
    out_dir = tmp_path_factory.mktemp("exported")
    out = out_dir / "model_grad.py"
    monkeypatch.chdir(project)
    assert main(["export", "model.py:f,g,Osc.energy", "--wrt", "x", "-o", str(out),
                 "--check", "f: [1.0, 2.0, 3.0], [0.5, 0.1, 0.2]",
                 "--check", "g: [1.0, 2.0, 3.0]"]) == 0
    text = out.read_text()
    head = text.split("\n\n")[0]
    assert "Generated by srcgrad 0.1.0 on" in head and "sha256" in head
    assert str(project / "model.py") in head and "Needs only NumPy." in head
    assert "BIG (keyword-only, of d_g, d_g_generic)" in head
    assert "SCALE = 2.5" in text and "TABLE = numpy.array([1.0, -2.0, 0.5]" in text
    imports = [ln for ln in text.splitlines() if ln.startswith(("import ", "from "))]
    assert not [ln for ln in imports if "model" in ln or "srcgrad" in ln], imports
    import model
    try:
        x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 0.2])
        want_f = srcgrad.grad(model.f, wrt="x")(x, y)
        want_g = srcgrad.grad(model.g, wrt="x")(x)
        want_e = srcgrad.grad(model.Osc.energy, wrt="x")(model.Osc(3.0), x)
    finally:
        sys.modules.pop("model", None)
    result = _numpy_only_run(out_dir, """
        import numpy as np
        import model_grad as m
        x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 0.2])
        class Osc:
            k = 3.0
        print(repr(m.d_f(x, y).tolist()))
        print(repr(m.d_g(x, BIG=np.linspace(0.0, 1.0, 20000)).tolist()))
        print(repr(m.d_energy(Osc(), x).tolist()))
        """)
    assert result.returncode == 0, result.stderr
    got = [eval(line) for line in result.stdout.split("\n") if line]
    np.testing.assert_allclose(got[0], want_f, rtol=1e-12)
    np.testing.assert_allclose(got[1], want_g, rtol=1e-12)
    np.testing.assert_allclose(got[2], want_e, rtol=1e-12)


def test_export_check_fails_on_a_wrong_point_and_writes_nothing(project, monkeypatch, capsys):
    monkeypatch.chdir(project)
    assert main(["export", "model.py:f", "-o", "out.py", "--check", "1.0"]) == 1
    assert not (project / "out.py").exists()
    assert "--check" in capsys.readouterr().err
    assert main(["export", "model.py:f", "-o", "out.py", "--check", "import os"]) == 2
    sys.modules.pop("model", None)


def test_bound_method_export_is_refused_clearly(project, monkeypatch):
    monkeypatch.syspath_prepend(str(project))
    import model
    try:
        df = srcgrad.grad(model.Osc(2.0).energy)
        with pytest.raises(srcgrad.SrcgradError, match="export the function Class.method"):
            srcgrad.source(df, standalone=True)
    finally:
        sys.modules.pop("model", None)


def test_standalone_linalg_export_defines_its_helpers(tmp_path):
    df = srcgrad.grad(_solve_sum)
    (tmp_path / "solve_grad.py").write_text(srcgrad.source(df, standalone=True))
    a = np.array([[3.0, 1.0], [0.5, 2.0]])
    b = np.array([1.0, -1.0])
    result = _numpy_only_run(tmp_path, f"""
        import numpy as np
        import solve_grad as m
        print(repr(m.d__solve_sum(np.array({a.tolist()}), np.array({b.tolist()})).tolist()))
        """)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(eval(result.stdout), df(a, b), rtol=1e-12)


def _solve_sum(a, b):
    return np.sum(np.linalg.solve(a, b))


@pytest.mark.parametrize("mode", ["value_and_grad", "vjp", "jvp", "hvp"])
def test_export_modes_run_with_numpy_only(mode, project, tmp_path_factory, monkeypatch):
    """``srcgrad export --mode``: value_and_grad, vjp, jvp and hvp exports, checked against
    finite differences by ``--check`` and run where only NumPy can be imported."""
    out_dir = tmp_path_factory.mktemp(f"exported_{mode}")
    monkeypatch.chdir(project)
    assert main(["export", "model.py:f", "--wrt", "x", "--mode", mode, "-o",
                 str(out_dir / "model_grad.py"),
                 "--check", "f: [1.0, 2.0, 3.0], [0.5, 0.1, 0.2]"]) == 0
    import model
    try:
        x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 0.2])
        call = {"value_and_grad": "value_and_d_f(x, y)[1]", "vjp": "vjp_f(x, y, 1.0)[1]",
                "jvp": "jvp_f(x, y, np.ones(3))[1]", "hvp": "hvp_f(x, y, np.ones(3))"}[mode]
        make = {"value_and_grad": lambda: srcgrad.value_and_grad(model.f, wrt="x")(x, y)[1],
                "vjp": lambda: srcgrad.vjp(model.f, wrt="x")(x, y, 1.0)[1],
                "jvp": lambda: srcgrad.jvp(model.f, wrt="x")(x, y, np.ones(3))[1],
                "hvp": lambda: srcgrad.hvp(model.f, wrt="x")(x, y, np.ones(3))}[mode]
        want = make()
    finally:
        sys.modules.pop("model", None)
    result = _numpy_only_run(out_dir, f"""
        import numpy as np
        import model_grad as m
        x, y = np.array([1.0, 2.0, 3.0]), np.array([0.5, 0.1, 0.2])
        print(repr(np.asarray(m.{call}).tolist()))
        """)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(eval(result.stdout.strip()), want, rtol=1e-12)


VARIADIC = '''\
import numpy as np

SCALE = 1.5


def total(a, *xs, shift=0.0, **opts):
    s = a * opts.get("w", 1.0) + shift
    for x in xs:
        s = s + np.sum(np.sin(x) * a) * SCALE
    return s


def prod(*xs):
    return xs[0] * xs[1] ** 2
'''


@pytest.fixture
def variadic(tmp_path):
    (tmp_path / "vmodel.py").write_text(VARIADIC)
    sys.path.insert(0, str(tmp_path))
    import vmodel
    yield vmodel
    sys.path.remove(str(tmp_path))
    sys.modules.pop("vmodel", None)


def test_standalone_export_of_varargs_keeps_the_signature(variadic, tmp_path_factory):
    """``source(df, standalone=True)`` of ``*args``/``**kwargs`` functions: the version
    of the last call, and a function with the user's signature that calls it for
    calls of that shape (another shape: a clear TypeError)."""
    out_dir = tmp_path_factory.mktemp("exported_variadic")
    x1, x2 = np.array([1.0, 2.0]), np.array([0.5, -0.25, 3.0])
    df = srcgrad.grad(variadic.total, wrt=(0, 1))
    with pytest.raises(srcgrad.SrcgradError, match="call it first"):
        srcgrad.source(df, standalone=True)
    want = df(2.0, x1, x2, shift=0.5, w=3.0)
    jf = srcgrad.jvp(variadic.total, wrt=(0, 1))
    want_j = jf(2.0, x1, x2, 1.0, np.ones(2), shift=0.5, w=3.0)
    text = srcgrad.source(df, standalone=True)
    assert "def d_total(a, *xs, shift=0.0, **opts):" in text
    assert "for calls with 2 arguments for *xs and the keyword arguments w for **opts" in text
    (out_dir / "total_grad.py").write_text(text)
    (out_dir / "total_jvp.py").write_text(srcgrad.source(jf, standalone=True))
    (out_dir / "prod_grad.py").write_text(srcgrad.source(
        _called(srcgrad.grad(variadic.prod, wrt=(0, 1)), 1.5, 2.0), standalone=True))
    result = _numpy_only_run(out_dir, """
        import numpy as np
        import total_grad, total_jvp, prod_grad
        x1, x2 = np.array([1.0, 2.0]), np.array([0.5, -0.25, 3.0])
        d_a, d_x1 = total_grad.d_total(2.0, x1, x2, shift=0.5, w=3.0)
        print(repr([d_a, d_x1.tolist()]))
        print(repr([float(v) for v in total_jvp.jvp_total(2.0, x1, x2, 1.0, np.ones(2),
                                                          shift=0.5, w=3.0)]))
        print(repr(list(prod_grad.d_prod(1.5, 2.0))))
        try:
            total_grad.d_total(2.0, x1, w=3.0)
        except TypeError as e:
            print(repr(str(e)))
        """)
    assert result.returncode == 0, result.stderr
    lines = [eval(line) for line in result.stdout.split("\n") if line]
    assert np.isclose(lines[0][0], want[0]) and np.allclose(lines[0][1], want[1])
    np.testing.assert_allclose(lines[1], want_j, rtol=1e-12)
    assert lines[2] == [4.0, 6.0]
    assert "exported for calls with 2 arguments for *xs" in lines[3]
    assert "not 1 arguments for *xs" in lines[3]
    # against finite differences
    from tests.modes import assert_sound
    assert_sound(variadic.prod, (1.5, 2.0), wrt=(0, 1))


def _called(df, *args):
    df(*args)
    return df


@pytest.mark.parametrize("mode", ["grad", "value_and_grad", "vjp", "jvp", "hvp"])
def test_cli_export_of_varargs_runs_with_numpy_only(mode, tmp_path, tmp_path_factory,
                                                    monkeypatch):
    (tmp_path / "vmodel.py").write_text(VARIADIC)
    monkeypatch.chdir(tmp_path)
    out_dir = tmp_path_factory.mktemp(f"exported_varargs_{mode}")
    out = out_dir / "vmodel_grad.py"
    # without a call, the number of *args is unknown: a clear error, nothing written
    assert main(["export", "vmodel.py:total,prod", "--mode", mode, "-o", str(out)]) == 1
    assert not out.exists()
    assert main(["export", "vmodel.py:total,prod", "--mode", mode, "--wrt", "0,1", "-o",
                 str(out), "--check", "total: 2.0, [1.0, 2.0], [0.5]",
                 "--check", "prod: 1.5, 2.0"]) == 0
    import vmodel
    try:
        x1, x2 = np.array([1.0, 2.0]), np.array([0.5])
        args, names = {"grad": ((), "d_"), "value_and_grad": ((), "value_and_d_"),
                       "vjp": ((1.0,), "vjp_"), "jvp": ((1.0, np.ones(2)), "jvp_"),
                       "hvp": ((1.0, np.ones(2)), "hvp_")}[mode]
        make = {"grad": srcgrad.grad, "value_and_grad": srcgrad.value_and_grad,
                "vjp": srcgrad.vjp, "jvp": srcgrad.jvp, "hvp": srcgrad.hvp}[mode]
        want = make(vmodel.total, wrt=(0, 1))(2.0, x1, x2, *args)
        args_p = {"vjp": (1.0,), "jvp": (1.0, 1.0), "hvp": (1.0, 1.0)}.get(mode, ())
        want_p = make(vmodel.prod, wrt=(0, 1))(1.5, 2.0, *args_p)
    finally:
        sys.modules.pop("vmodel", None)
    extra = {"grad": "", "value_and_grad": "", "vjp": ", 1.0", "jvp": ", 1.0, np.ones(2)",
             "hvp": ", 1.0, np.ones(2)"}[mode]
    extra_p = {"grad": "", "value_and_grad": "", "vjp": ", 1.0", "jvp": ", 1.0, 1.0",
               "hvp": ", 1.0, 1.0"}[mode]
    result = _numpy_only_run(out_dir, f"""
        import numpy as np
        import vmodel_grad as m
        x1, x2 = np.array([1.0, 2.0]), np.array([0.5])
        def flat(v):
            return [float(e) for e in np.concatenate([np.ravel(np.asarray(p, dtype=float))
                                                      for p in (v if isinstance(v, tuple) else [v])])]
        def nested(v):
            return flat(tuple(p for q in (v if isinstance(v, tuple) else [v])
                              for p in (q if isinstance(q, tuple) else (q,))))
        print(repr(nested(m.{names}total(2.0, x1, x2{extra}))))
        print(repr(nested(m.{names}prod(1.5, 2.0{extra_p}))))
        """)
    assert result.returncode == 0, result.stderr
    got, got_p = [eval(line) for line in result.stdout.split("\n") if line]

    def nested(v):
        v = v if isinstance(v, tuple) else (v,)
        parts = [p for q in v for p in (q if isinstance(q, tuple) else (q,))]
        return [float(e) for p in parts for e in np.ravel(np.asarray(p, dtype=float))]
    np.testing.assert_allclose(got, nested(want), rtol=1e-12)
    np.testing.assert_allclose(got_p, nested(want_p), rtol=1e-12)


VARIADIC_BIG = '''\
import numpy as np

BIG = np.linspace(0.0, 1.0, 20000)


def spread(a, *args, k=2.0):
    s = a * k
    for x in args:
        s = s + np.sum(np.sin(x) * a) * BIG[3]
    return s
'''


@pytest.mark.parametrize("mode", ["grad", "jvp", "vjp", "hvp"])
def test_varargs_export_with_a_global_parameter(mode, tmp_path, tmp_path_factory):
    """A global the export cannot write in (a large array) is a keyword-only
    parameter of the function with the user's signature too (``*args`` named
    ``args``: the tangents are taken from the end of the call's arguments)."""
    (tmp_path / "vbig.py").write_text(VARIADIC_BIG)
    sys.path.insert(0, str(tmp_path))
    try:
        import vbig
        make = {"grad": srcgrad.grad, "jvp": srcgrad.jvp, "vjp": srcgrad.vjp,
                "hvp": srcgrad.hvp}[mode]
        extra = () if mode == "grad" else (1.0,)
        df = make(vbig.spread)
        want = df(2.0, np.ones(2), np.arange(3.0), *extra, k=1.5)
        text = srcgrad.source(df, standalone=True)
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("vbig", None)
    assert "BIG (keyword-only" in text
    out_dir = tmp_path_factory.mktemp(f"exported_vbig_{mode}")
    (out_dir / "vbig_grad.py").write_text(text)
    name = {"grad": "d_spread", "jvp": "jvp_spread", "vjp": "vjp_spread", "hvp": "hvp_spread"}[mode]
    result = _numpy_only_run(out_dir, f"""
        import numpy as np
        import vbig_grad as m
        got = m.{name}(2.0, np.ones(2), np.arange(3.0), *{extra!r}, k=1.5,
                       BIG=np.linspace(0.0, 1.0, 20000))
        print(repr([float(v) for v in np.ravel(got)]))
        """)
    assert result.returncode == 0, result.stderr
    np.testing.assert_allclose(eval(result.stdout), np.ravel(want), rtol=1e-12)


def test_export_verify_says_whether_the_file_still_matches_its_source(project, monkeypatch,
                                                                       capsys, tmp_path_factory):
    """``srcgrad export ... -o FILE --verify`` (for CI and pre-commit): exit 0 while FILE is
    what the source gives, 1 with a diff once the source changed, writing nothing; the date
    and the checkout's directory are not compared."""
    monkeypatch.chdir(project)
    out = project / "model_grad.py"
    assert main(["export", "model.py:f", "--wrt", "x", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["export", "model.py:f", "--wrt", "x", "-o", str(out), "--verify"]) == 0
    assert "up to date" in capsys.readouterr().err
    # another day, another checkout: still up to date
    moved = tmp_path_factory.mktemp("checkout")
    (moved / "model.py").write_text(MODEL)
    text = out.read_text()
    (moved / "model_grad.py").write_text(
        text.replace(str(project), str(moved)).replace(" on 20", " on 19", 1))
    monkeypatch.chdir(moved)
    sys.modules.pop("model", None)
    assert main(["export", "model.py:f", "--wrt", "x", "-o", "model_grad.py", "--verify"]) == 0
    capsys.readouterr()
    # the source changes: exit 1, the difference shown, the file left as it was
    (moved / "model.py").write_text(MODEL.replace("SCALE * a", "SCALE * a * a"))
    sys.modules.pop("model", None)
    before = (moved / "model_grad.py").read_text()
    assert main(["export", "model.py:f", "--wrt", "x", "-o", "model_grad.py", "--verify"]) == 1
    shown = capsys.readouterr()
    assert "no longer matches its source" in shown.err
    assert "+++ what the source gives now" in shown.out and "# Source: model.py" in shown.out
    assert (moved / "model_grad.py").read_text() == before
    assert main(["export", "model.py:f", "--wrt", "x", "--verify"]) == 2
    sys.modules.pop("model", None)
