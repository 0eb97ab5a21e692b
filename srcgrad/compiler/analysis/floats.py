"""Floats: the names that certainly hold floats (or float arrays: never
ints) when some parameters are floats -- constants, arithmetic with a float
operand, divisions, differentiable elementwise functions of floats.  The
constant propagation of the gradient specialised for Python floats folds
only these.

>>> from srcgrad.compiler.analysis.show import analysed, names
>>> an = analysed('''
... def f(x, n):
...     y = x * 2.0
...     m = n + 1
...     z = np.sin(y) / m
...     return z''', wrt="x")
>>> names(float_names(an, {"x"}))
'out x y z z_1'
"""

import gast

from srcgrad.compiler.analysis.ops import iter_assigns
from srcgrad.rules.registry import _Default


def float_names(an, params):
    """Names that certainly hold floats (or float arrays: never ints) when
    ``params`` are floats: constants, arithmetic with a float operand,
    divisions, differentiable elementwise functions of floats (a least
    fixpoint over every definition)."""
    defs = {}
    for s in iter_assigns(an.fn.body):
        if isinstance(s.targets[0], gast.Name):
            defs.setdefault(s.targets[0].id, []).append(s)
    floats = set(params)

    def is_float(node):
        return isinstance(node, gast.Constant) and isinstance(node.value, float) or \
            isinstance(node, gast.Name) and node.id in floats

    def makes_float(s):
        v, op = s.value, s.srcgrad_op
        if isinstance(v, (gast.Constant, gast.Name)):
            return is_float(v)
        if isinstance(v, gast.BinOp) and isinstance(v.op, gast.Div):
            return True
        if isinstance(v, gast.BinOp) and isinstance(v.op, (gast.Add, gast.Sub, gast.Mult)):
            return is_float(v.left) or is_float(v.right)
        if isinstance(v, gast.UnaryOp) and isinstance(v.op, (gast.USub, gast.UAdd)):
            return is_float(v.operand)
        if op.kind == "call" and op.rule is not None and op.rule.differentiable and \
                op.rule.kind in ("elementwise", "scalar") and isinstance(v, gast.Call):
            return any(is_float(a) for a in op.args.values()) and all(
                is_float(a) or isinstance(a, _Default) for a in op.args.values())
        return False

    changed = True
    while changed:
        changed = False
        for name, ss in defs.items():
            if name not in floats and all(makes_float(s) for s in ss):
                floats.add(name)
                changed = True
    return floats
