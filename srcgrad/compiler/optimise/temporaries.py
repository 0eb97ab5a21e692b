"""Forwarding single-use temporaries (array code): ``t = e`` whose only use
is a later simple statement of the same block puts ``e`` there, when nothing
in between may change what ``e`` reads; NumPy then reuses the buffers of the
intermediate arrays.

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... t = x[1:] - x[:-1]
... y = t ** 2
... return y''')
>>> print(source(forward_temporaries(fn, {"t"}, objects={})))
def f(x):
    y = (x[1:] - x[:-1]) ** 2
    return y
"""


import gast

from srcgrad.compiler.optimise.effects import loads_of, pure_expr
from srcgrad.compiler.optimise.simplify import Simplify
from srcgrad.compiler.ir.walk import name_nodes, replace_loads

def _pure_op(op):
    """A primal operation that may be evaluated later: arithmetic, indexing, a
    function with a derivative rule (not one without: it may draw random
    numbers or print)."""
    if op is None:
        return False
    if op.kind == "call":
        return op.rule is not None and op.rule.differentiable
    return op.kind in ("copy", "subscript", "const", "attr")


def _changed_names(s):
    """Names whose value (or array contents) statement ``s`` may change."""
    out = set()
    if isinstance(s, gast.Assign):
        for t in s.targets:
            for n in name_nodes(t):
                if isinstance(n, gast.Name):
                    out.add(n.id)          # x = ..., x[i] = ... (x changes in place)
    elif isinstance(s, gast.AugAssign):
        out |= {n.id for n in name_nodes(s.target)}
    elif isinstance(s, gast.Expr):
        out |= loads_of(s.value)          # a call may change what it is given
    return out


def forward_temporaries(fn, candidates, objects):
    """``t = e`` whose only use is a later simple statement of the same block:
    put ``e`` there (``out_4 = x[1:] - x[:-1] ** 2``), when no statement in
    between may change what ``e`` reads.  NumPy then reuses the buffer of
    each intermediate array of ``e`` (it updates temporaries in place) and
    frees it at once, where a named temporary lives until the function
    returns.  Only compiler temporaries (``candidates``) are forwarded."""
    counts, defs = {}, {}
    for n in name_nodes(fn):
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load):
                counts[n.id] = counts.get(n.id, 0) + 1
            else:
                defs[n.id] = defs.get(n.id, 0) + 1
    single = {n for n in candidates if counts.get(n) == 1 and defs.get(n) == 1}
    if single:
        _forward_block(fn.body, single, objects)
    return fn


def _forward_block(stmts, single, objects):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                _forward_block(getattr(s, field), single, objects)
        op = getattr(s, "srcgrad_op", None)
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name) and s.targets[0].id in single and \
                (_pure_op(op) or pure_expr(s.value, objects)):
            name, reads = s.targets[0].id, loads_of(s.value)
            for j in range(i + 1, len(stmts)):
                later = stmts[j]
                if getattr(later, "srcgrad_comment", None) is not None:
                    continue
                if isinstance(later, (gast.If, gast.For, gast.While)):
                    break
                if name in loads_of(later):
                    if isinstance(later, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return)):
                        _replace_load(later, name, s.value)
                        del stmts[i]
                        i -= 1
                    break
                if _changed_names(later) & (reads | {name}):
                    break
        i += 1


def _replace_load(stmt, name, value):
    replace_loads(stmt, name, value)
    if isinstance(stmt, gast.AugAssign):
        stmt.value = Simplify().visit(stmt.value)
        if isinstance(stmt.op, gast.Add) and isinstance(stmt.value, gast.UnaryOp) and \
                isinstance(stmt.value.op, gast.USub):
            stmt.op, stmt.value = gast.Sub(), stmt.value.operand
    elif isinstance(stmt, gast.Assign):
        stmt.value = Simplify().value(stmt.value)
