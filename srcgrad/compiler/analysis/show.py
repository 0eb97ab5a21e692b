"""The front of the pipeline on a function's text, for the examples in the
analyses' docstrings: parse, normalise, SSA, analyse (the loop-invariant
code motion of the real pipeline is left out).  Nothing in srcgrad imports
this module.

>>> an = analysed('''
... def f(x, k):
...     y = x * k
...     return y''', wrt="x")
>>> names(an.active)
'out x y'
>>> print(refusal('''
... def f(x):
...     return unknown_function(x)''', wrt="x").splitlines()[0])
<example>:2: cannot differentiate unknown_function: srcgrad cannot tell at transformation time which function it calls
"""

import inspect
import linecache
import math
import textwrap

import gast
import numpy as np

from srcgrad.compiler.analysis.analyse import analyse
from srcgrad.compiler.frontend import Normaliser, parse
from srcgrad.compiler.ir.names import Namer, names_in
from srcgrad.compiler.ir.ssa import to_ssa
from srcgrad.errors import UnsupportedError
from srcgrad.compiler.ir.walk import name_nodes

FILENAME = "<example>"


def analysed(text, wrt, scalar_result=True):
    """The :class:`~srcgrad.compiler.analysis.analyse.Analysis` of the one
    function defined in ``text`` (which may use ``np`` and ``math``) for the
    parameters ``wrt`` (a name or a list of names)."""
    text = textwrap.dedent(text).strip("\n") + "\n"
    linecache.cache[FILENAME] = (len(text), None, text.splitlines(True), FILENAME)
    namespace = {"np": np, "math": math}
    exec(compile(text, FILENAME, "exec"), namespace)
    fun = next(v for v in namespace.values() if inspect.isfunction(v))
    parsed = parse(fun)
    namer = Namer(names_in(parsed.tree) | set(parsed.closure))
    fn = Normaliser(parsed, namer).run()
    user_of = to_ssa(fn, namer)
    locals_ = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    locals_ |= {n.id for n in name_nodes(fn) if isinstance(n.ctx, gast.Store)}
    wrt = [wrt] if isinstance(wrt, str) else list(wrt)
    return analyse(parsed, fn, wrt, locals_, user_of, scalar_result=scalar_result)


def refusal(text, wrt):
    """The message of the error the analysis of ``text`` raises, or None."""
    try:
        analysed(text, wrt)
    except UnsupportedError as e:
        return str(e)
    return None


def names(collection):
    """Names in sorted order, separated by spaces."""
    return " ".join(sorted(collection))
