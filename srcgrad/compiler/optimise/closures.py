"""The split form of a gradient: the forward sweep returns the value and a
closure that runs the reverse sweep when given the result's cotangent (what
a recursive call uses, so that each level's forward sweep runs once).

The reversal marks where the reverse sweep starts with ``__srcgrad_split__()``;
after the other optimisations this pass moves what follows into ``back``.
Names the reverse sweep assigns that the forward sweep bound (restored
values, the tape's pops) are ``nonlocal``.  Code in → code out::

    def f_split(x):                      def f_split(x):
        y = np.sin(x)                        y = np.sin(x)
        __srcgrad_split__()          →       def back(cotangent):
        d_y = cotangent                          d_y = cotangent
        d_x = d_y * np.cos(x)                    d_x = d_y * np.cos(x)
        return (y, (d_x,))                       return (d_x,)
                                             return (y, back)

>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... y = np.sin(x)
... __srcgrad_split__()
... d_y = cotangent
... d_x = d_y * np.cos(x)
... return (y, (d_x,))''')
>>> split_closure(fn, "cotangent", lambda base: base, lambda e, read: e)
>>> print(to_source(fn).strip())
def f(x, __srcgrad_split__, cotangent):
    y = np.sin(x)
<BLANKLINE>
    def back(cotangent):
        d_y = cotangent
        d_x = d_y * np.cos(x)
        return (d_x,)
    return (y, back)
"""

import gast

from srcgrad.compiler.ir.names import SPLIT, load
from srcgrad.compiler.ir.ssa import assigned_names
from srcgrad.compiler.ir.walk import name_nodes


def split_closure(fn, seed, fresh, own):
    """Split ``fn`` (in place) at its ``SPLIT`` marker into a forward sweep
    returning ``(value, back)`` and the closure ``back(seed)``; ``fresh``
    makes a new name from a base, ``own(expr, read)`` wraps the value returned
    (a copy of an array the reverse sweep may change in place; ``read``: the
    names the reverse sweep reads)."""
    body = fn.body
    at = next(i for i, s in enumerate(body) if _is_marker(s))
    outer, inner = body[:at], body[at + 1:]
    ret = inner[-1]
    value, grads = ret.value.elts
    inner[-1] = gast.Return(value=grads)
    bound = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    bound |= assigned_names(outer)
    shared = sorted((assigned_names(inner) & bound) - {seed})
    if shared:
        inner.insert(0, gast.Nonlocal(names=shared))
    name = fresh("back")
    back = gast.FunctionDef(
        name=name, args=gast.arguments(args=[gast.Name(id=seed, ctx=gast.Param(),
                                                       annotation=None, type_comment=None)],
                                       posonlyargs=[], vararg=None, kwonlyargs=[],
                                       kw_defaults=[], kwarg=None, defaults=[]),
        body=inner, decorator_list=[], returns=None, type_comment=None)
    read = {n.id for n in name_nodes(back) if isinstance(n.ctx, gast.Load)}
    fn.body = outer + [back, gast.Return(value=gast.Tuple(elts=[own(value, read), load(name)],
                                                           ctx=gast.Load()))]


def _is_marker(s):
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
        isinstance(s.value.func, gast.Name) and s.value.func.id == SPLIT
