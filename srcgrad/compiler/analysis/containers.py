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

from srcgrad.compiler.ir.dataflow import connected


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
    # changes the x stored before)
    names = connected([(s.targets[0].id, s.srcgrad_op.args["x"].id) for s in assigns
                       if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                       and s.srcgrad_op.kind == "copy"
                       and isinstance(s.srcgrad_op.args["x"], gast.Name)
                       and not getattr(s, "srcgrad_phi", False)])

    def group(x):
        return names.get(x, {x})

    def walk(stmts, stored):
        for s in stmts:
            if isinstance(s, (gast.For, gast.While)):
                for _ in range(2):
                    walk(s.body, stored)
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


def check_read_out_of_containers(an, assigns):
    """An array read out of a list, tuple, dict or object (``r = lst[0]``,
    ``w = p.w``) and then written into changes the container's element
    too, unseen: refused."""
    user = getattr(an, "user_of", {})
    for s in assigns:
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        op, t = s.srcgrad_op, s.targets[0].id
        src = op.args.get("x") if op.kind in ("subscript", "attr") else None
        if not (isinstance(src, gast.Name) and src.id in an.kind) or t in an.kind:
            continue
        if t in an.written_arrays:
            ut, us = user.get(t, t), user.get(src.id, src.id)
            raise an.parsed.error(
                s, f"'{ut}' is read out of '{us}' and then changed in place; the change "
                   f"would reach '{us}' unseen", construct="in-place change of an element",
                hint=f"change a copy: {ut} = ....copy()")
