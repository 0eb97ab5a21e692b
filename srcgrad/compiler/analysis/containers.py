"""Containers changed in place: a list or dict changed in place (``ys.append``,
``d[k] = v``) must not be an element of another container or of an
argument, and an array read out of a container must not be written into:
the change would reach the other container unseen by the analyses.

>>> from srcgrad.compiler.analysis.show import refusal
>>> print(refusal('''
... def f(x):
...     ys = [x]
...     zs = [ys]
...     ys.append(x)
...     return zs[0][0] * ys[1]''', wrt="x"))  # doctest: +NORMALIZE_WHITESPACE
<example>:4: 'ys' is changed in place after it (or a name sharing its memory) was put into
another container, which the change would reach unseen
    ys.append(x)
  hint: put a copy into the other container: list(ys), dict(ys)
"""

import gast

from srcgrad.compiler.analysis.rank_guesses import always_runs
from srcgrad.compiler.ir.dataflow import connected, flow_before, walk_stmts
from srcgrad.compiler.ir.walk import walk as walk_tree
from srcgrad.rules.tables import IDENTITY_HELPERS, VIEW_FUNCTIONS


def check_containers(an, assigns, mutated):
    """A list or dict changed in place must not be an element of another
    container or of an argument (the change would reach it unseen)."""
    user = getattr(an, "user_of", {})
    changed_by_method = {s.srcgrad_op.args["x"].id for s in assigns
                         if isinstance(s, gast.Expr) and s.srcgrad_op.kind != "unknown"}
    for s in assigns:
        if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and \
                s.targets[0].id in mutated and s.srcgrad_op.kind in ("subscript", "attr") \
                and (s.targets[0].id in an.kind or s.targets[0].id in changed_by_method):
            ux = user.get(s.targets[0].id, s.targets[0].id)
            raise an.parsed.error(
                s, f"'{ux}' is read out of another container and then changed in "
                   f"place; the change would reach that container unseen",
                construct="in-place change of a nested container",
                hint=f"change a copy: {ux} = list({ux}) or {ux} = dict({ux})")

    def stores(op):
        if op.kind in ("append", "insert") or op.kind == "setitem" and \
                op.args["x"].id in an.kind:
            return [op.args["v"]]
        if op.kind in ("pack", "pack_dict"):
            return list(op.args.values())
        return []

    # names that may hold the same object: copies (b = x; b[0] = ...
    # changes the x stored before), the copies SSA makes where branches join
    # too (``if c: a_3 = a * 0.83 else: a_3 = a``: on one path a_3 is a, and
    # a_3[0] = ... changes the a stored before; fuzz seed 3235291)
    names = connected([(s.targets[0].id, s.srcgrad_op.args["x"].id) for s in assigns
                       if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                       and s.srcgrad_op.kind == "copy"
                       and isinstance(s.srcgrad_op.args["x"], gast.Name)])

    def group(x):
        return names.get(x, {x})

    def walk(stmts, stored):
        for s in stmts:
            if isinstance(s, (gast.For, gast.While)):
                # a body that may run no time leaves what it rebinds the
                # object stored before (fuzz seed 3235291): the names stored
                # after the loop are those before it and after its body
                inner = set(stored)
                for _ in range(2):
                    walk(s.body, inner)
                if always_runs(an, s):
                    stored.clear()
                stored |= inner
                continue
            if isinstance(s, gast.If):
                a, b = set(stored), set(stored)
                walk(s.body, a)
                walk(s.orelse, b)
                stored |= a | b
                continue
            op = getattr(s, "srcgrad_op", None)
            if op is None:
                continue
            if op.kind in ("setitem", "append", "insert", "pop") and \
                    group(op.args["x"].id) & stored:
                ux = user.get(op.args["x"].id, op.args["x"].id)
                raise an.parsed.error(
                    s, f"'{ux}' is changed in place after it (or a name sharing its memory) was put into another "
                       f"container, which the change would reach unseen",
                    construct="in-place change of a stored container",
                    hint=f"put a copy into the other container: list({ux}), dict({ux})")
            for v in stores(op):
                if isinstance(v, gast.Name) and group(v.id) & mutated:
                    stored.add(v.id)
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                stored.discard(s.targets[0].id)

    walk(an.fn.body, set())
    del walk        # (a recursive closure: a reference cycle holding the tree)


def check_read_out_of_containers(an, assigns):
    """An array read out of a list, tuple, dict or object (``r = lst[0]``,
    ``w = p.w``) and then written into changes the container's element
    too, unseen: refused -- wherever the write is (a flow-sensitive version,
    "only if written before rebound", let a write through a view ``M.T[1]``
    of an iterated array through unseen: fuzz seed 2910476), unless the
    container was taken off a list and is only unpacked."""
    user = getattr(an, "user_of", {})
    taken = popped_and_unpacked(an.fn.body)
    for s in assigns:
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        op, t = s.srcgrad_op, s.targets[0].id
        src = op.args.get("x") if op.kind in ("subscript", "attr") else None
        if not (isinstance(src, gast.Name) and src.id in an.kind) or t in an.kind:
            continue
        if t in an.written_arrays and src.id not in taken:
            ut, us = user.get(t, t), user.get(src.id, src.id)
            raise an.parsed.error(
                s, f"'{ut}' is read out of '{us}' and then changed in place; the change "
                   f"would reach '{us}' unseen", construct="in-place change of an element",
                hint=f"change a copy: {ut} = ....copy()")


def popped_and_unpacked(body):
    """Names only ever taken off the end of a list (``v = xs[-1]; xs.pop()``,
    the normal form of ``a, b = xs.pop()``) and only read to be unpacked
    (``a = v[0]; b = v[1]``): nothing else holds their elements, so a write
    into one (the reverse sweep of a gradient restoring an adjoint it saved
    by reference) reaches no value read later."""
    moved, other = set(), set()
    for s in walk_stmts(body):
        for field in ("body", "orelse"):
            block = getattr(s, field, None)
            if isinstance(block, list):
                _moves(block, moved, other)
    _moves(body, moved, other)
    unpacks, loads = set(), {}
    for n in (m for st in body for m in walk_tree(st)):
        if isinstance(n, gast.Subscript) and getattr(n, "srcgrad_unpack", False) and \
                isinstance(n.value, gast.Name):
            unpacks.add(id(n.value))
        elif isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
            loads.setdefault(n.id, []).append(n)
    return {v for v in moved - other
            if all(id(n) in unpacks for n in loads.get(v, ()))}


def _moves(block, moved, other):
    for i, s in enumerate(block):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        t, v = s.targets[0].id, s.value
        if isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name) and \
                _last(v.slice) and _popped_next(block[i + 1:], v.value.id):
            moved.add(t)
        else:
            other.add(t)


def _last(index):
    """Whether ``index`` is the constant -1."""
    if isinstance(index, gast.UnaryOp) and isinstance(index.op, gast.USub):
        return isinstance(index.operand, gast.Constant) and index.operand.value == 1
    return isinstance(index, gast.Constant) and index.value == -1 and type(index.value) is int


def _popped_next(rest, xs):
    """Whether the next statement of ``rest`` that mentions the list ``xs``
    is ``xs.pop()``."""
    for s in rest:
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "pop" and \
                isinstance(s.value.func.value, gast.Name) and s.value.func.value.id == xs:
            return not s.value.args and not s.value.keywords
        if any(isinstance(n, gast.Name) and n.id == xs for n in walk_tree(s)):
            return False
    return False


def written_before_rebound(body, at, kind):
    """For the statements ``at`` (by id): the names that some path after it
    writes into in place, or into a view or copy made of them, before they
    are given another value (``b = a`` is harmless when each is rebound,
    ``a = a.copy()``, before any write).  An element read out of a
    container (in ``kind``) is its own value: a write into it is checked
    where it is read out."""
    out = {}

    def transfer(s, names):
        op = getattr(s, "srcgrad_op", None)
        v = getattr(s, "value", None)
        inplace = getattr(v, "srcgrad_inplace", False) and isinstance(v, gast.BinOp) and \
            isinstance(v.left, gast.Name)
        if isinstance(s, gast.Assign) and not inplace and \
                all(isinstance(t, gast.Name) for t in s.targets):
            t = s.targets[0].id
            src = _shared_source(op)
            if t in names and src is not None and src not in kind:
                names.add(src)          # a write into the view (copy) t reaches src
            names.discard(t)
        if op is not None and op.kind in ("setitem", "append", "insert", "pop"):
            names.add(op.args["x"].id)
        if inplace:
            names.add(v.left.id)
        return names

    def note(s, after):
        if id(s) in at:
            out[id(s)] = set(after)

    flow_before(body, set(), transfer, note)
    return out


def _shared_source(op):
    """The name whose memory the result of ``op`` may share (as in
    :func:`sharing`), or None."""
    if op is None:
        return None
    if op.kind in ("copy", "subscript", "attr") and isinstance(op.args.get("x"), gast.Name):
        return op.args["x"].id
    if op.kind == "call" and (op.fun in VIEW_FUNCTIONS or op.fun in IDENTITY_HELPERS):
        return next((a.id for a in op.args.values() if isinstance(a, gast.Name)), None)
    return None
