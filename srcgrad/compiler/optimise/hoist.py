"""Loop-invariant code motion (on the SSA form, before analysis): statements
of a loop body whose operands the loop never changes, and which cannot
raise, move in front of the loop, so they are computed once and never
taped.  A loop that writes into an array changes every view of it too.

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... for i in range(n):
...     a = x * 2.0
...     b = a + y
...     y = y + b * i
... return y''', params="x, y, n")
>>> fn.body = hoist_invariants(fn.body, resolve=lambda func: None)
>>> print(source(fn))
def f(x, y, n):
    a = x * 2.0
    for i in range(n):
        b = a + y
        y = y + b * i
    return y
"""

import types

import gast
import numpy as np

from srcgrad.compiler.analysis import VIEW_FUNCTIONS
from srcgrad.compiler.ir.dataflow import connected, loads as _expr_loads, walk_stmts
from srcgrad.compiler.ir.ssa import assigned_names
from srcgrad.compiler.ir.walk import name_nodes

_SAFE_BINOPS = (gast.Add, gast.Sub, gast.Mult)
_SAFE_UNARY = (gast.USub, gast.UAdd)


def _cannot_raise(value, resolve):
    """Operations that are safe to run even when the loop would not have run
    them (no exceptions on numbers): +, -, * and NumPy ufuncs."""
    if isinstance(value, gast.BinOp):
        return isinstance(value.op, _SAFE_BINOPS)
    if isinstance(value, gast.UnaryOp):
        return isinstance(value.op, _SAFE_UNARY)
    if isinstance(value, gast.Call) and not value.keywords:
        return isinstance(resolve(value.func), np.ufunc)
    return False


def hoist_invariants(body, resolve, views=None, bound=None):
    """Move statements of a loop body whose operands the loop never changes in
    front of the loop, so they are computed once and never taped.

    A loop may run no iteration, and then Python never evaluates what it
    holds: with ``bound`` (the names the function binds to values that are
    never ``None``), only statements reading such names, or globals holding
    numbers, arrays, modules or functions, move -- an undefined global or ``None * 2.0`` raises."""
    if views is None:
        views = _view_groups(body, resolve)
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, hoist_invariants(getattr(s, field), resolve, views, bound))
        if isinstance(s, (gast.For, gast.While)):
            out.extend(_hoist_from(s, resolve, views, bound))
        out.append(s)
    return out


_VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view", "diagonal"}
_VIEW_ATTRS = {"T", "mT", "real", "imag"}


def _view_groups(body, resolve):
    """name -> the names that may share its memory (copies, subscripts,
    views, the result of an augmented assignment), over the whole function:
    a loop that writes into an array also changes every view of it."""
    links = []
    for s in walk_stmts(body):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        v, src = s.value, None
        if isinstance(v, gast.Name):
            src = v.id
        elif isinstance(v, gast.BinOp) and getattr(v, "srcgrad_inplace", False) and \
                isinstance(v.left, gast.Name):
            src = v.left.id          # ``v += e``: Python changes v's array, the same object
        elif isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name):
            src = v.value.id
        elif isinstance(v, gast.Attribute) and isinstance(v.value, gast.Name) and \
                v.attr in _VIEW_ATTRS:
            src = v.value.id
        elif isinstance(v, gast.Call):
            if isinstance(v.func, gast.Attribute) and isinstance(v.func.value, gast.Name) and \
                    v.func.attr in _VIEW_METHODS:
                src = v.func.value.id
            else:
                try:
                    fun = resolve(v.func)
                    is_view = fun in VIEW_FUNCTIONS
                except TypeError:
                    is_view = False
                if is_view and v.args and isinstance(v.args[0], gast.Name):
                    src = v.args[0].id
        if src is not None:
            links.append((s.targets[0].id, src))
    return connected(links)


def _mutated_names(body):
    """Arrays the loop may change in place: written into (``a[i] = v``), or
    handed to a call made for its side effects."""
    out = set()
    for s in walk_stmts(body):
        if isinstance(s, gast.Assign):
            for t in s.targets:
                if isinstance(t, gast.Subscript):
                    out |= {n.id for n in name_nodes(t.value)}
        elif isinstance(s, gast.Expr):
            out |= {n.id for n in name_nodes(s.value)}
    return out


def _defined(value):
    """A global the transformation resolved to a value (an undefined name
    resolves to ``MISSING``, an unknown object)."""
    return value is not None and (isinstance(value, (int, float, complex, np.number, np.ndarray,
                                                     types.ModuleType)) or callable(value))


def never_none(fn, bound):
    """The names of ``bound`` that ``fn`` never binds to ``None`` (a parameter
    defaulting to ``None``, ``w = None``)."""
    args = fn.args
    positional = args.posonlyargs + args.args
    defaults = dict(zip([a.id for a in positional[len(positional) - len(args.defaults):]],
                        args.defaults))
    defaults.update({a.id: d for a, d in zip(args.kwonlyargs, args.kw_defaults) if d is not None})
    nones = {name for name, d in defaults.items()
             if isinstance(d, gast.Constant) and d.value is None}
    for s in walk_stmts(fn.body):
        if isinstance(s, gast.Assign) and isinstance(s.value, gast.Constant) and \
                s.value.value is None:
            nones |= {t.id for t in s.targets if isinstance(t, gast.Name)}
    return set(bound) - nones


def _hoist_from(loop, resolve, views=None, bound=None):
    carried = getattr(loop, "srcgrad_carried", set())
    hoisted = []
    while True:
        changed = False
        mutated = _mutated_names(loop.body)
        for n in list(mutated):
            mutated |= (views or {}).get(n, set())
        assigned = assigned_names(loop.body) | mutated
        if isinstance(loop, gast.For):
            assigned.add(loop.target.id)
        for s in list(loop.body):
            if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
                continue
            name = s.targets[0].id
            if name in carried or name in mutated or not _cannot_raise(s.value, resolve):
                continue
            loads = _expr_loads(s.value)
            if loads & assigned or bound is not None and \
                    not all(n in bound or _defined(resolve(gast.Name(n, gast.Load(), None, None)))
                            for n in loads):
                continue
            loop.body.remove(s)
            hoisted.append(s)
            changed = True
            break
        if not changed:
            return hoisted
