"""The versions of a gradient made when needed (``compiler/lazy.py``) or not
at all (``analysis/rank_guesses.version_fails``).

- A long function's gradient (``LAZY_STATEMENTS`` statements or more) is
  its guard alone; each version is made when first needed: by a call the
  guard sends there, ``srcgrad.source``, an export, a derivative of the
  gradient; the disk cache keeps what is not made yet.
- A version for floats that no call could run (the function itself indexes a
  value the floats make a number) is not made.

Every gradient is checked against finite differences, in every mode."""

import inspect
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import srcgrad
from srcgrad.compiler import diskcache
from srcgrad.api.check import numerical_grad
from srcgrad.compiler.lazy import LAZY_STATEMENTS
from tests.modes import assert_sound

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def long_chain(x, y, a):
    s = x * y
    t = np.sin(a) * s
    u = t + y
    v = np.tanh(u) * x
    w = v * v + s
    w2 = np.exp(-w) + u
    q = w2 * 0.5 + t
    r = np.cos(q) * y
    z = r * s + q
    z2 = np.sin(z) + x
    z3 = z2 * z2 + 0.5 * w
    return np.sum(z3) + s


def short_chain(x, y):
    return np.sin(x * y) + x


def sliced(x, a, b):
    # floats for a and x would make v a number, and v[::-1] fails: only the
    # generic version is made (a and b are arrays in every call that runs)
    v = a * x
    w = np.tanh(b) + v[::-1]
    return np.sum(w * w)


def sliced_in_branch(x, a):
    # the index is in a branch: a call with floats may run (x < 0)
    v = a * x
    if x > 0.0:
        return np.sum(v[:1])
    return v * v


def sliced_long(x, a, b):
    # as sliced, long enough for the guard-alone form: the version for floats
    # is asked for only when a call with floats reaches it
    v = a * x
    w = np.tanh(b) + v[::-1]
    u = np.sin(w) * x + np.cos(w)
    u2 = u * u + 0.5 * w
    u3 = np.exp(-u2) + w * x
    u4 = np.tanh(u3) * u + b
    u5 = u4 * u4 - 0.25 * u3
    return np.sum(u5 * w)


def _made(df):
    """The names of the versions made so far (None: made with the gradient)."""
    lazy = getattr(df, "srcgrad_lazy", None)
    return None if lazy is None else [p.name for p in lazy.pendings if p.function is not None]


def test_the_long_function_is_long_enough():
    from srcgrad.compiler.pipeline import front_end, Driver
    from srcgrad.compiler.ir.dataflow import walk_stmts
    front = front_end(long_chain, ("x", "y", "a"), Driver(), reverse=True)
    assert sum(1 for _ in walk_stmts(front.fn.body)) >= LAZY_STATEMENTS


def test_a_float_call_makes_the_specialised_version_only():
    srcgrad.clear_cache()
    df = srcgrad.grad(long_chain, wrt=(0, 1, 2))
    assert _made(df) == []
    g = df(0.3, 0.5, 0.7)
    assert _made(df) == ["d_long_chain_specialised"]
    expected = srcgrad.check_grad(long_chain, 0.3, 0.5, 0.7, wrt=(0, 1, 2))
    np.testing.assert_allclose(g, expected, rtol=1e-12)


def test_an_array_call_makes_the_generic_version_only():
    srcgrad.clear_cache()
    df = srcgrad.grad(long_chain, wrt=(0, 1, 2))
    a = np.array([0.1, -0.4, 0.9])
    gx, gy, ga = df(0.3, 0.5, a)
    assert _made(df) == ["d_long_chain_generic"]
    assert isinstance(ga, np.ndarray) and ga.shape == (3,)
    assert_sound(long_chain, (0.3, 0.5, a), wrt=(0, 1, 2))
    assert_sound(long_chain, (0.3, 0.5, 0.7), wrt=(0, 1, 2))


def test_source_shows_both_versions_then_the_guard():
    srcgrad.clear_cache()
    df = srcgrad.grad(long_chain, wrt=(0, 1, 2))
    text = srcgrad.source(df)
    assert _made(df) == ["d_long_chain_generic", "d_long_chain_specialised"]
    heads = [line for line in text.splitlines() if line.startswith("def ")]
    # the specialised version first (as a short gradient shows it), the guard last
    assert heads == ["def d_long_chain_specialised(x, y, a):",
                     "def d_long_chain_generic(x, y, a):", "def d_long_chain(x, y, a):"]
    assert "        return d_long_chain_generic(x, y, a)\n" \
        "    return d_long_chain_specialised(x, y, a)\n" in text


def test_a_short_function_still_makes_both_at_once():
    srcgrad.clear_cache()
    df = srcgrad.grad(short_chain, wrt=(0, 1))
    assert _made(df) is None
    assert_sound(short_chain, (0.3, 0.5), wrt=(0, 1))


def test_export_of_a_pending_gradient_is_complete(tmp_path):
    srcgrad.clear_cache()
    df = srcgrad.grad(long_chain, wrt=(0, 1, 2))
    text = srcgrad.source(df, standalone=True)
    assert "def d_long_chain_generic(" in text and "def d_long_chain_specialised(" in text
    path = tmp_path / "exported.py"
    path.write_text(text)
    ns = {}
    exec(compile(text, str(path), "exec"), ns)
    a = np.array([0.1, -0.4, 0.9])
    for args in [(0.3, 0.5, a), (0.3, 0.5, 0.7)]:
        got = ns["d_long_chain"](*args)
        want = srcgrad.check_grad(long_chain, *args, wrt=(0, 1, 2))
        for g, w in zip(got, want):
            np.testing.assert_allclose(g, w, rtol=1e-10)


def test_second_derivatives_of_a_pending_gradient():
    srcgrad.clear_cache()
    a = np.array([0.1, -0.4, 0.9])
    h = srcgrad.hessian(long_chain, wrt=2)(0.3, 0.5, a)
    eps = 1e-6
    g = srcgrad.grad(long_chain, wrt=2)
    fd = np.stack([(g(0.3, 0.5, a + eps * e) - g(0.3, 0.5, a - eps * e)) / (2 * eps)
                   for e in np.eye(3)], axis=1)
    np.testing.assert_allclose(h, fd, rtol=1e-5, atol=1e-7)


def test_no_version_for_floats_that_no_call_could_run():
    srcgrad.clear_cache()
    df = srcgrad.grad(sliced, wrt=(0, 1, 2))
    text = srcgrad.source(df)
    assert "_generic" not in text and "type(x) is not float" not in text
    a, b = np.array([0.2, -0.5, 0.8]), np.array([1.0, 0.3, -0.2])
    assert_sound(sliced, (0.4, a, b), wrt=(0, 1, 2))


def test_a_long_function_asks_whether_the_float_version_fails_only_when_called():
    srcgrad.clear_cache()
    df = srcgrad.grad(sliced_long, wrt=(0, 1, 2))
    assert _made(df) == []
    a, b = np.array([0.2, -0.5, 0.8]), np.array([1.0, 0.3, -0.2])
    assert_sound(sliced_long, (0.4, a, b), wrt=(0, 1, 2))
    assert _made(df) == ["d_sliced_long_generic"]
    # floats: the function itself fails (v is a number), and so does its gradient
    with pytest.raises(Exception) as primal:
        sliced_long(0.4, 0.3, 0.2)
    with pytest.raises(type(primal.value)):
        df(0.4, 0.3, 0.2)
    text = srcgrad.source(df)
    # no version for floats: it passes its arguments on to the generic one
    assert "def d_sliced_long_specialised(x, a, b):\n" in text
    assert "    return d_sliced_long_generic(x, a, b)\n" in text
    special = text.split("def d_sliced_long_generic(")[0]
    assert "np." not in special and len(special.strip().splitlines()) == 4
    assert_sound(sliced_long, (0.4, a, b), wrt=(0, 1, 2))
    # exported, the forwarding version calls the module's generic one
    ns = {}
    exec(compile(srcgrad.source(df, standalone=True), "<exported>", "exec"), ns)
    for got, want in zip(ns["d_sliced_long"](0.4, a, b), df(0.4, a, b)):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    with pytest.raises(type(primal.value)):
        ns["d_sliced_long"](0.4, 0.3, 0.2)


def test_an_index_in_a_branch_keeps_the_version_for_floats():
    srcgrad.clear_cache()
    df = srcgrad.grad(sliced_in_branch, wrt=(0, 1))
    assert "_generic" in srcgrad.source(df)
    assert_sound(sliced_in_branch, (-0.4, 0.7), wrt=(0, 1))
    assert_sound(sliced_in_branch, (0.4, np.array([0.2, 0.5])), wrt=(0, 1))


# the module the other processes import: long_chain, as above
MODULE = "import numpy as np\n\n\n" + inspect.getsource(long_chain)

RUN = textwrap.dedent('''
    import sys
    sys.path.insert(0, {dir!r})
    import numpy as np
    import srcgrad
    import model
    df = srcgrad.grad(model.long_chain, wrt=(0, 1, 2))
    lazy = getattr(df, "srcgrad_lazy", None)
    print(getattr(df, "srcgrad_from_disk", False), lazy is not None and
          not any(p.function for p in lazy.pendings))
    print(repr([np.asarray(g).tolist() for g in df(0.3, 0.5, 0.7)]))
    print(repr([np.asarray(g).tolist() for g in df(0.3, 0.5, np.array([0.1, -0.4, 0.9]))]))
    print("generic" in srcgrad.source(df))
''')


def test_the_disk_cache_keeps_a_pending_gradient(tmp_path):
    (tmp_path / "model.py").write_text(MODULE)
    (tmp_path / "run.py").write_text(RUN.format(dir=str(tmp_path)))
    env = dict(os.environ, SRCGRAD_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=ROOT)
    env.pop("SRCGRAD_CACHE", None)
    runs = [subprocess.run([sys.executable, str(tmp_path / "run.py")], capture_output=True,
                           text=True, env=env, check=True, cwd=tmp_path).stdout.splitlines()
            for _ in range(2)]
    assert runs[0][0] == "False True"        # generated, no version made yet
    assert runs[1][0] == "True True"         # read from disk, none made yet
    assert runs[0][1:] == runs[1][1:]        # the same gradients, both versions
    assert runs[1][3] == "True"


def test_store_writes_the_compiled_functions_of_a_pending_gradient(tmp_path, monkeypatch):
    monkeypatch.setattr(diskcache, "is_enabled", lambda: True)
    monkeypatch.setenv("SRCGRAD_CACHE_DIR", str(tmp_path))
    srcgrad.clear_cache()
    from srcgrad.compiler.pipeline import Driver, reverse_transform
    df = reverse_transform(long_chain, ("x", "y", "a"), Driver(), with_value=False)
    assert _made(df) == []
    assert diskcache.store(long_chain, ["test"], df)
    df(0.3, 0.5, 0.7)
    no_complex = lambda params: None        # noqa: E731 (no complex argument here)
    loaded = diskcache.load(long_chain, ["test"], no_complex, lambda: reverse_transform(
        long_chain, ("x", "y", "a"), Driver(), with_value=False))
    assert loaded is not None and _made(loaded) == []
    a = np.array([0.1, -0.4, 0.9])
    for args in [(0.3, 0.5, a), (0.3, 0.5, 0.7)]:
        for g, w in zip(loaded(*args), df(*args)):
            np.testing.assert_allclose(g, w, rtol=1e-13)
    assert _made(loaded) == ["d_long_chain_generic", "d_long_chain_specialised"]
    assert srcgrad.source(loaded) == srcgrad.source(df)
    # without a way to make it again, such an entry is not used
    assert diskcache.load(long_chain, ["test"], no_complex) is None


@pytest.mark.parametrize("wrt", [0, (0, 2)])
def test_value_and_grad_and_vjp_of_a_long_function(wrt):
    srcgrad.clear_cache()
    a = np.array([0.1, -0.4, 0.9])
    assert_sound(long_chain, (0.3, 0.5, a), wrt=wrt)
    vg = srcgrad.value_and_grad(long_chain, wrt=wrt)
    v, g = vg(0.3, 0.5, a)
    np.testing.assert_allclose(v, long_chain(0.3, 0.5, a))


def test_the_command_line_shows_every_stage_of_a_long_function(tmp_path, capsys, monkeypatch):
    from srcgrad.api.cli import main
    # (the command line imports the file as module 'model': gone after the test)
    monkeypatch.setitem(sys.modules, "model", None)
    (tmp_path / "model.py").write_text(MODULE)
    assert main([f"{tmp_path / 'model.py'}:long_chain", "--wrt", "0,1,2", "--times"]) == 0
    err = capsys.readouterr().err
    for stage in ("analyse", "reverse", "eliminate_dead_code"):
        assert f"  {stage}\n" in err, err
    assert main([f"{tmp_path / 'model.py'}:long_chain", "--wrt", "0,1,2",
                 "--after", "eliminate_dead_code"]) == 0
    out = capsys.readouterr().out
    assert out.count("def d_long_chain(x, y, a):") == 2     # the generic, then the specialised


def long_with_options(x, a, *, k=2.0, n=3):
    # keyword-only parameters with defaults: the guard passes them on by name
    s = x * k
    t = np.sin(a) * s + n
    u = np.tanh(t) * x
    w = u * u + s
    w2 = np.exp(-w) + t
    q = w2 * 0.5 + u
    r = np.cos(q) * k
    z = r * s + q
    z2 = np.sin(z) + x
    return np.sum(z2 * z2) + s


def test_keyword_only_parameters_and_vjp():
    srcgrad.clear_cache()
    a = np.array([0.1, -0.4, 0.9])
    df = srcgrad.grad(long_with_options, wrt=(0, 1))
    assert _made(df) == []
    assert_sound(long_with_options, (0.3, a), wrt=(0, 1))
    assert_sound(long_with_options, (0.3, 0.7), wrt=(0, 1))
    for args in [(0.3, a), (0.3, 0.7)]:
        got = df(*args, k=1.5, n=2)
        fd = [numerical_grad(lambda x, a: long_with_options(x, a, k=1.5, n=2), args, i)
              for i in (0, 1)]
        for g, w in zip(got, fd):
            np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-8)
    vjp = srcgrad.vjp(long_with_options, wrt=1)
    value, ct = vjp(0.3, a, 2.0)
    np.testing.assert_allclose(value, long_with_options(0.3, a))
    np.testing.assert_allclose(ct, 2.0 * srcgrad.grad(long_with_options, wrt=1)(0.3, a))


def long_modulus(x, a):
    # a real result of a complex argument
    s = x * a
    t = np.sin(s) * x
    u = t + a
    v = np.tanh(u) * x
    w = v * v + s
    w2 = np.exp(-w) + u
    q = w2 * 0.5 + t
    r = np.cos(q) * x
    z = r * s + q
    return np.sum(np.abs(z) ** 2) + x


def test_complex_arguments_reach_their_own_version():
    srcgrad.clear_cache()
    df = srcgrad.grad(long_modulus, wrt=(0, 1))
    assert _made(df) == []
    a = np.array([0.1 + 0.2j, -0.4, 0.9j])
    gx, ga = df(0.3, a)
    assert np.iscomplexobj(ga) and not np.iscomplexobj(gx)
    assert _made(df) == ["d_long_modulus_generic"]     # its check sends a to that version
    # (the gradient of a real result in a complex argument: d/d re - i d/d im)
    real = numerical_grad(lambda x, b: long_modulus(x, a + b), (0.3, np.zeros(3)), 1)
    imag = numerical_grad(lambda x, b: long_modulus(x, a + 1j * b), (0.3, np.zeros(3)), 1)
    np.testing.assert_allclose(ga, real - 1j * imag, rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(gx, numerical_grad(long_modulus, (0.3, a), 0), rtol=1e-6)
    assert_sound(long_modulus, (0.3, 0.7), wrt=(0, 1))


def test_threads_calling_for_the_first_time_make_each_version_once():
    import threading
    srcgrad.clear_cache()
    df = srcgrad.grad(long_chain, wrt=(0, 1, 2))
    a = np.array([0.1, -0.4, 0.9])
    results, errors = {}, []

    def call(key, args):
        try:
            results[key] = df(*args)
        except Exception as e:      # pragma: no cover (reported below)
            errors.append(e)
    threads = [threading.Thread(target=call, args=(k, (0.3, 0.5, a) if k % 2 else (0.3, 0.5, 0.7)))
               for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert sorted(_made(df)) == ["d_long_chain_generic", "d_long_chain_specialised"]
    for k in range(8):
        want = df(0.3, 0.5, a) if k % 2 else df(0.3, 0.5, 0.7)
        for g, w in zip(results[k], want):
            np.testing.assert_array_equal(g, w)


def test_an_entry_read_under_another_threshold_gets_the_generic_version():
    # (an entry written with its versions pending, made again all at once: a process
    # with another SRCGRAD_LAZY_STATEMENTS) each pending name stands for the generic version
    from srcgrad.compiler.lazy import version_of
    srcgrad.clear_cache()
    df = srcgrad.grad(short_chain, wrt=(0, 1))         # made at once: two functions
    assert [n for n, _ in df.srcgrad_functions] == ["d_short_chain_generic", "d_short_chain"]
    for name in ("d_short_chain_generic", "d_short_chain_specialised"):
        function, text, injected = version_of(df, name)
        assert text.startswith(f"def {name}(") and text.count("\ndef ") == 0
        for args in [(0.3, 0.5), (np.float32(0.3), 0.5)]:     # (a float32: not the floats')
            for g, w in zip(function(*args), df(*args)):
                np.testing.assert_array_equal(g, w)
