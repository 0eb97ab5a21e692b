"""Activity: a value is *varied* if it depends differentiably on an
argument we differentiate with respect to, *useful* if the result depends
differentiably on it, and *active* if both.  Only active values get
adjoints; inactive operations are kept in the forward sweep only.  Lists
and dicts changed in place are *mutated* (their adjoints change in step).

>>> from srcgrad.compiler.analysis.show import analysed, names
>>> an = analysed('''
... def f(x, k):
...     y = x * k
...     n = k + 1
...     ys = [y]
...     ys.append(n)
...     return y * n''', wrt="x")
>>> names(an.varied), names(an.useful), names(an.active), names(an.mutated)
('out x y ys', 'k n out x y', 'out x y', 'ys')
"""

import gast

from srcgrad.compiler.analysis.ops import defined_name


def mutated_containers(ops, kind):
    """Lists and dicts changed in place (``ys.append(v)``, ``d[k] = v``)."""
    return {s.srcgrad_op.args["x"].id for s in ops
            if s.srcgrad_op.kind in ("append", "insert", "pop") or
            s.srcgrad_op.kind == "setitem" and s.srcgrad_op.args["x"].id in kind}


def tuple_items(an, assigns):
    """Tuples made by a literal and never given another value (immutable),
    and the names that are one of them (a copy ``u = t``, an element
    ``u = t[0]`` that is a tuple literal itself): name -> the literal's
    elements, so that a read ``t[1]`` of an inactive element (in
    ``t = (x, 2.0)``) is inactive too."""
    defs = {}
    for s in assigns:
        name = defined_name(s)
        if name is not None:
            defs.setdefault(name, []).append(s)
    kind = getattr(an, "kind", {})
    items = {name: [s.srcgrad_op.args[str(i)] for i in range(len(s.srcgrad_op.args))]
             for name, (s, *more) in defs.items()
             if not more and s.srcgrad_op.kind == "pack" and kind.get(name) == "tuple"
             and isinstance(s, gast.Assign) and isinstance(s.value, gast.Tuple)}
    changed = True
    while changed:
        changed = False
        for name, (s, *more) in defs.items():
            if more or name in items or not isinstance(s, gast.Assign):
                continue
            op = s.srcgrad_op
            same = op.args.get("x") if op.kind == "copy" else item_of(op, items)
            if isinstance(same, gast.Name) and same.id in items:
                items[name] = items[same.id]
                changed = True
    return items


def constant_int(node):
    """The value of an integer constant index (``1``, ``-1``), else None."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        value = constant_int(node.operand)
        return None if value is None else -value
    if isinstance(node, gast.Constant) and type(node.value) is int:
        return node.value
    return None


def item_of(op, items):
    """The element ``t[k]`` reads, for a read of a tuple in ``items`` at a
    constant index (an atom: a name or a constant), else None."""
    x = op.args.get("x")
    if op.kind != "subscript" or not isinstance(x, gast.Name) or x.id not in items:
        return None
    k, elts = constant_int(op.args["index"]), items[x.id]
    if k is None or not -len(elts) <= k < len(elts):
        return None
    return elts[k]


def restores(assigns):
    """Assignments that give a name back the value it had when it was pushed
    on the tape of a generated gradient (``x = tape.pop()``, ``a, b =
    tape.pop()``, marked ``srcgrad_restore`` by frontend/generated.py), of
    names that have other assignments too: they vary as those do."""
    popped = {defined_name(s) for s in assigns if isinstance(s, gast.Assign) and
              getattr(s.value, "srcgrad_restore", False)}
    found = [s for s in assigns if isinstance(s, gast.Assign) and (
        getattr(s.value, "srcgrad_restore", False) or
        isinstance(s.value, gast.Subscript) and getattr(s.value, "srcgrad_unpack", False) and
        isinstance(s.value.value, gast.Name) and s.value.value.id in popped)]
    ids = {id(s) for s in found}
    other = {defined_name(s) for s in assigns if id(s) not in ids}
    return {id(s) for s in found if defined_name(s) in other}


def varied_names(an, assigns, seed=()):
    """The names depending differentiably on ``an.wrt`` (and on ``seed``):
    a least fixpoint over ``assigns``, in program order.  A constant-index
    read of a tuple literal depends on that element only; a value restored
    from a generated gradient's tape varies as the name's other values."""
    varied = set(an.wrt) | set(seed)
    items = tuple_items(an, assigns)
    restored = restores(assigns)
    changed = True
    while changed:
        changed = False
        for s in assigns:
            name = defined_name(s)
            if name is None or name in varied or id(s) in restored:
                continue
            op = s.srcgrad_op
            if op.kind == "call" and op.rule is not None and not op.rule.differentiable:
                continue
            item = item_of(op, items)
            if item is not None:
                if isinstance(item, gast.Name) and item.id in varied:
                    varied.add(name)
                    changed = True
                continue
            if any(n in varied for n in op.diff_operands()):
                varied.add(name)
                changed = True
    return varied


def useful_names(an, assigns, seed=()):
    """The names the result (and ``seed``) depends on differentiably: a
    least fixpoint over ``assigns``, backwards."""
    useful = {an.result} | set(seed)
    changed = True
    while changed:
        changed = False
        for s in reversed(assigns):
            name = defined_name(s)
            if name is None or name not in useful:
                continue
            for n in s.srcgrad_op.diff_operands():
                if n not in useful:
                    useful.add(n)
                    changed = True
    return useful
