"""A branch setting an adjoint to zero on one side, added right after it:
the addition moves into the other side (what a hand adjoint writes; the
misfit over ``zip(xs, obs)``, whose items past the shorter list add
nothing).

Code in → code out::

    if i_2 < n:                         if i_2 < n:
        e = ys[i_2] - obs[i_2]              e = ys[i_2] - obs[i_2]
        d_yi = 2.0 * e           →          d_y = d_y + 2.0 * e
    else:
        d_yi = 0.0
    d_y = d_y + d_yi

It applies where every read of the name (``d_yi``) is such an addition
right after such a branch (the name then goes), and where the sum was a new
value on the zero side only for a name nothing changes in place (``d_y +=
...``, ``d_y[i] = ...``): there, skipping ``d_y + 0.0`` leaves ``d_y`` the
same object it was, which no one can tell.

>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... d_y = 0.0
... if i < n:
...     e = ys[i] - obs[i]
...     d_yi = 2.0 * e
... else:
...     d_yi = 0.0
... d_y = d_y + d_yi
... return d_y''')
>>> print(*to_source(move_zero_branches(fn)).strip().splitlines()[1:], sep=chr(10))
    d_y = 0.0
    if i < n:
        e = ys[i] - obs[i]
        d_y = d_y + 2.0 * e
    return d_y
"""

import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.walk import name_nodes


def move_zero_branches(fn):
    """Rewrite ``fn`` (in place) as the module docstring shows; returns it."""
    found = {}
    _find(fn.body, found, None)
    if not found:
        return fn                   # (the common case: one look at each statement)
    loads, inplace = {}, set()
    for n in name_nodes(fn):
        if isinstance(n.ctx, gast.Load):
            loads[n.id] = loads.get(n.id, 0) + 1
    for s in walk_stmts(fn.body):
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            inplace.add(s.target.id)
        for t in getattr(s, "targets", []) + [getattr(s, "target", None)]:
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                inplace.add(t.value.id)
    found.clear()
    _find(fn.body, found, inplace)
    moved = {t for t, sites in found.items() if len(sites) == loads.get(t, 0)}
    if moved:
        _rewrite(fn.body, moved)
    return fn


def _match(stmts, k, inplace):
    """``(t, s, add)`` when ``stmts[k]`` is the branch and ``stmts[k + 1]``
    the addition of the pattern, else None."""
    if k + 1 >= len(stmts):
        return None
    s, add = stmts[k], stmts[k + 1]
    if not isinstance(s, gast.If):
        return None
    body = [b for b in s.body if not _comment(b)]
    orelse = [b for b in s.orelse if not _comment(b)]
    if not body or len(orelse) != 1:
        return None
    zero, last = orelse[0], body[-1]
    if not (_assigns_name(zero) and isinstance(zero.value, gast.Constant) and
            type(zero.value.value) in (int, float) and zero.value.value == 0 and
            _assigns_name(last)):
        return None
    t = zero.targets[0].id
    if last.targets[0].id != t or any(n.id == t for b in body[:-1] for n in name_nodes(b)):
        return None
    v = _added(add, t)
    if v is None or inplace is not None and isinstance(add, gast.Assign) and v in inplace:
        return None
    return t


def _find(stmts, found, inplace):
    for k, s in enumerate(stmts):
        t = _match(stmts, k, inplace)
        if t is not None:
            found.setdefault(t, []).append(id(s))
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list):
                _find(block, found, inplace)


def _rewrite(stmts, moved):
    k = 0
    while k < len(stmts):
        s = stmts[k]
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list):
                _rewrite(block, moved)
        t = _match(stmts, k, None)
        if t in moved:
            add = stmts[k + 1]
            at = max(j for j, b in enumerate(s.body) if not _comment(b))
            value = s.body[at].value
            if isinstance(add, gast.AugAssign):
                add.value = value
            else:
                add.value.right = value if _is_name(add.value.right, t) else add.value.right
                add.value.left = value if _is_name(add.value.left, t) else add.value.left
            s.body[at] = add
            s.orelse = []
            del stmts[k + 1]
        k += 1


def _comment(s):
    """A statement standing for a comment (``ir.names.comment_node``)."""
    return getattr(s, "srcgrad_comment", None) is not None


def _assigns_name(s):
    return isinstance(s, gast.Assign) and len(s.targets) == 1 and \
        isinstance(s.targets[0], gast.Name)


def _is_name(node, name):
    return isinstance(node, gast.Name) and node.id == name


def _added(s, t):
    """``v`` when ``s`` is ``v = v + t``, ``v = t + v`` or ``v += t``."""
    if isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add) and \
            isinstance(s.target, gast.Name) and _is_name(s.value, t) and s.target.id != t:
        return s.target.id
    if _assigns_name(s) and isinstance(s.value, gast.BinOp) and isinstance(s.value.op, gast.Add):
        v = s.targets[0].id
        left, right = s.value.left, s.value.right
        if v != t and (_is_name(left, v) and _is_name(right, t) or
                       _is_name(left, t) and _is_name(right, v)):
            return v
    return None
