"""Pass-through adjoints of accumulations: the adjoint of ``out[i] += e``
reads the written part of ``d_out``, zeroes it, and adds it back as the
adjoint of the ``out[i]`` read; the zeroing and the adding back cancel.

Code in → code out::

    d_v = d_out[i]                  d_v = d_out[i]
    d_out[i] = 0.0          →       d_x[k] += d_v * w
    d_x[k] += d_v * w
    d_out[i] += d_v

Applied to adjoints only (``adjoints``: their names), when nothing between
the three statements mentions ``d_out`` or assigns ``d_v`` or a name the
index reads (the part read is then the part added back).  The reversal reads
a part that is not a number with ``.copy()``, so ``d_v`` is never a view the
zeroing would change; and an adjoint array written in place is owned by its
name (the reversal copies a shared one first), so no other name changes it.

>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... d_v = d_out[i]
... d_out[i] = 0.0
... d_x[k] += d_v * w
... d_out[i] += d_v''')
>>> cancel_accumulations(fn, {"d_out", "d_x", "d_v"})
>>> print(to_source(fn).strip())
def f(d_out, i, d_x, k, w):
    d_v = d_out[i]
    d_x[k] += d_v * w
"""

from ast import AST

import gast

from srcgrad.compiler.ir.walk import mentions
from srcgrad.compiler.ir.walk import walk as walk_tree


def cancel_accumulations(fn, adjoints):
    """Remove each ``X[idx] = 0.0`` ... ``X[idx] += V`` pair that gives
    back what ``V = X[idx]`` read, ``X`` one of ``adjoints`` (in place, in
    every block of ``fn``)."""
    _block(fn.body, adjoints)
    for node in _statements(fn):
        if isinstance(node, (gast.If, gast.For, gast.While)):
            _block(node.body, adjoints)
            _block(node.orelse, adjoints)


def _statements(fn):
    """The nodes of ``fn`` that are not expressions (statements, handlers),
    in :func:`walk_tree`'s order: an expression holds no statement, so its
    nodes are not looked at (each block is rewritten before the blocks
    nested in it, as a walk of the whole tree gives them)."""
    todo = [fn]
    push = todo.append
    for node in todo:
        for field in node._fields:
            value = getattr(node, field, None)
            if isinstance(value, list):
                for item in value:
                    if isinstance(item, AST) and not isinstance(item, gast.expr):
                        push(item)
            elif isinstance(value, AST) and not isinstance(value, gast.expr):
                push(value)
        yield node


def _block(stmts, adjoints):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        pair = _zeroing(s)
        if pair is not None and pair[0] in adjoints and _cancel(stmts, i, *pair):
            continue
        i += 1


def _zeroing(s):
    """``(X, index)`` of ``X[index] = 0.0``, or None."""
    if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
            isinstance(s.targets[0], gast.Subscript) and \
            isinstance(s.targets[0].value, gast.Name) and \
            isinstance(s.value, gast.Constant) and s.value.value == 0.0 and \
            type(s.value.value) is float and _plain_index(s.targets[0].slice):
        return s.targets[0].value.id, s.targets[0].slice
    return None


def _plain_index(index):
    return all(isinstance(n, (gast.Name, gast.Constant, gast.Slice, gast.Tuple, gast.UnaryOp,
                              gast.USub, gast.Load, gast.BinOp, gast.Add, gast.Sub))
               for n in walk_tree(index))


def _stores(s):
    return {n.id for n in walk_tree(s) if isinstance(n, gast.Name) and
            isinstance(n.ctx, gast.Store)} | \
        {n.target.id for n in walk_tree(s) if isinstance(n, gast.AugAssign) and
         isinstance(n.target, gast.Name)}


def _same(a, b):
    return gast.dump(a) == gast.dump(b)


def _read_of(s, x, index):
    """``V`` of ``V = x[index]`` or ``V = x[index].copy()``, or None."""
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], gast.Name)):
        return None
    v = s.value
    if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
            v.func.attr == "copy" and not v.args and not v.keywords:
        v = v.func.value
    if isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name) and \
            v.value.id == x and _same(v.slice, index):
        return s.targets[0].id
    return None


def _cancel(stmts, b, x, index):
    """Remove ``stmts[b]`` and its matching ``+=`` when the pattern holds."""
    guarded = {n.id for n in walk_tree(index) if isinstance(n, gast.Name)}
    a = b - 1
    while a >= 0 and not mentions(stmts[a], x):
        a -= 1
    if a < 0:
        return False
    v = _read_of(stmts[a], x, index)
    if v is None or any(_stores(s) & (guarded | {v}) for s in stmts[a + 1:b]):
        return False
    c = b + 1
    while c < len(stmts) and not mentions(stmts[c], x):
        if _stores(stmts[c]) & (guarded | {v}):
            return False
        c += 1
    if c == len(stmts):
        return False
    s = stmts[c]
    if not (isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add) and
            isinstance(s.target, gast.Subscript) and isinstance(s.target.value, gast.Name) and
            s.target.value.id == x and _same(s.target.slice, index) and
            isinstance(s.value, gast.Name) and s.value.id == v):
        return False
    del stmts[c]
    del stmts[b]
    return True
