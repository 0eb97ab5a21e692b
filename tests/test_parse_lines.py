"""The parse stage reads a function's lines from where its code says they
end (``parse._parse_known_lines``, Python 3.11+), not by tokenizing the
file as ``inspect.getsourcelines`` does: the same tree, the same line
numbers, for every form a definition takes; ``inspect`` when the lines do
not parse alone."""

import importlib
import inspect
import textwrap

import gast
import numpy as np
import pytest

import srcgrad
from srcgrad.compiler.frontend.parse import parse
from tests.modes import assert_sound

parse_module = importlib.import_module("srcgrad.compiler.frontend.parse")

SOURCE = '''
import functools
import numpy as np


def plain(x, y):
    z = x * y
    return np.sin(z) + x


@functools.lru_cache(maxsize=None)
def cached(n):
    return n + 1


def deco(f):
    return f


@deco
@deco
def decorated(x):
    return (x *
            2.0
            )


def trailing(x, a):
    y = x * a
    if y > 0.0:
        y = y * y
    else:
        pass
    return y
    # a comment after the last line


def nested_last(x):
    def inner(t):
        return t * t + np.cos(
            t)
    return inner(x) + x


def one_line(x): return x * 3.0


def with_lambda(x, s):
    g = lambda t: t * x      # noqa: E731
    return g(s[0]) + g(
        s[1])


class Model:
    def energy(self, x):
        e = x * x
        return np.sum(
            e)


def pass_last(x, out):
    y = x * 2.0
    if x > 0.0:
        out[0] = y
    else:
        pass


def written_after(x):
    y = x * 2.0
    return y
    y = y + 1.0
'''


@pytest.fixture(scope="module")
def module(tmp_path_factory):
    path = tmp_path_factory.mktemp("parse_lines") / "parse_lines_model.py"
    path.write_text(textwrap.dedent(SOURCE))
    ns = {"__name__": "parse_lines_model"}
    exec(compile(path.read_text(), str(path), "exec"), ns)
    return ns


def _by_inspect(fun):
    lines, first = inspect.getsourcelines(fun)
    module = gast.parse("\n" * (first - 1) + textwrap.dedent("".join(lines)))
    return module.body[0]


NAMES = ["plain", "decorated", "trailing", "pass_last", "nested_last", "one_line", "with_lambda",
         "written_after"]


@pytest.mark.parametrize("name", NAMES + ["energy"])
def test_the_same_tree_and_lines_as_inspect(module, name):
    fun = module["Model"].energy if name == "energy" else module[name]
    module_tree, lines = parse_module._parse_known_lines(fun)
    want = _by_inspect(fun)
    if not hasattr(fun.__code__, "co_positions"):
        assert module_tree is None          # (Python 3.10: inspect's way)
        return
    got = module_tree.body[0]
    if name == "pass_last" and not got.body[-1].orelse:
        # the last 'else: pass' computes nothing and may leave no instruction: left out
        want.body[-1].orelse = []
    elif name == "written_after":
        want.body = want.body[:2]           # (code after the return never runs)
        want.end_lineno, want.end_col_offset = got.end_lineno, got.end_col_offset
    assert gast.dump(got, include_attributes=True) == gast.dump(want, include_attributes=True)
    assert parse(fun).tree.lineno == fun.__code__.co_firstlineno + \
        (len(getattr(want, "decorator_list", [])) if name == "decorated" else 0)


def test_node_lines_are_the_file_lines(module):
    parsed = parse(module["nested_last"])
    for node in gast.walk(parsed.tree):
        if isinstance(node, gast.Call) and getattr(node.func, "attr", None) == "cos":
            assert parsed.source_lines[node.lineno - 1].strip() == "return t * t + np.cos("


def test_a_wrapped_function_is_parsed_through_inspect(module):
    # lru_cache: the wrapper's code is not the function's; inspect.unwrap finds it
    assert parse(module["cached"]).tree.name == "cached"


@pytest.mark.parametrize("name", ["plain", "decorated", "trailing", "nested_last",
                                  "with_lambda"])
def test_gradients_read_from_the_lines_are_right(module, name):
    args = {"plain": (0.3, 0.7), "decorated": (0.4,), "trailing": (0.5, 0.6),
            "nested_last": (0.3,), "with_lambda": (0.4, [0.1, 0.2])}[name]
    assert_sound(module[name], args, wrt=0)


def test_a_method_gradient(module):
    df = srcgrad.grad(module["Model"]().energy)
    x = np.array([0.3, -0.2])
    np.testing.assert_allclose(df(x), 2.0 * x)


def test_an_edited_and_reloaded_module_is_read_again(tmp_path, monkeypatch):
    # the lines come from linecache, checked against the file first (as
    # inspect does): an edit then a reload gives the new function's gradient
    import sys
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    path = tmp_path / "edited_model.py"
    path.write_text("def f(x):\n    y = x * x\n    return y\n")
    monkeypatch.setitem(sys.modules, "edited_model", None)
    del sys.modules["edited_model"]
    mod = importlib.import_module("edited_model")
    assert srcgrad.grad(mod.f)(3.0) == 6.0
    path.write_text("def f(x):\n    y = x * x * x\n    return y\n")
    mod = importlib.reload(mod)
    srcgrad.clear_cache()
    assert srcgrad.grad(mod.f)(3.0) == 27.0
