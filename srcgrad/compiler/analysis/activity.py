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

from srcgrad.compiler.analysis.ops import defined_name


def mutated_containers(ops, kind):
    """Lists and dicts changed in place (``ys.append(v)``, ``d[k] = v``)."""
    return {s.srcgrad_op.args["x"].id for s in ops
            if s.srcgrad_op.kind in ("append", "insert", "pop") or
            s.srcgrad_op.kind == "setitem" and s.srcgrad_op.args["x"].id in kind}


def varied_names(an, assigns, seed=()):
    """The names depending differentiably on ``an.wrt`` (and on ``seed``):
    a least fixpoint over ``assigns``, in program order."""
    varied = set(an.wrt) | set(seed)
    changed = True
    while changed:
        changed = False
        for s in assigns:
            name = defined_name(s)
            if name is None or name in varied:
                continue
            op = s.srcgrad_op
            if op.kind == "call" and op.rule is not None and not op.rule.differentiable:
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
