"""Constant folding of the user's code: arithmetic of Python numbers,
``math`` functions of them, and the constants of ``math`` and NumPy
(``math.pi``, ``np.e``) are computed once, when the gradient is made, not at
every call of it (and not twice, in the forward and the reverse sweep).

Only Python numbers are folded, so the generated code computes exactly what
the user's did: ``np.log(2.0)`` is a NumPy number (whose division by zero is
a warning, not an error) and stays a call; a call that raises
(``math.log(0.0)``) or gives an infinity or a NaN stays too.

>>> import math
>>> from srcgrad.compiler.frontend.parse import parse
>>> from srcgrad.compiler.ir.printer import source
>>> def f(x):
...     return math.log(2.718281828459045) * x + math.sqrt(2.0) * math.pi - 1 / 4
>>> parsed = parse(f)
>>> fold_constants(parsed.tree, parsed, {"x"})
>>> print(source(parsed.tree).splitlines()[-1].strip())
return 1.0 * x + 4.442882938158366 - 0.25
"""

import math
import operator

import gast
import numpy as np

from srcgrad.compiler.frontend.normalise.attributes import _static
from srcgrad.compiler.ir.transformer import Transformer

_BINARY = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
           gast.Div: operator.truediv, gast.FloorDiv: operator.floordiv,
           gast.Mod: operator.mod, gast.Pow: operator.pow}
_UNARY = {gast.USub: operator.neg, gast.UAdd: operator.pos}
_MODULES = (math, np)


def fold_constants(tree, parsed, locals_):
    """Fold the constant expressions of ``tree`` in place (``locals_``: the
    names that are the function's own, never a module)."""
    fold = _Fold(parsed, set(locals_))
    tree.body = [fold.visit(s) for s in tree.body]


def _number(node):
    """A number constant, or the negation of one (how a negative one is kept)."""
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        node = node.operand
    return isinstance(node, gast.Constant) and type(node.value) in (int, float)


def _value(node):
    if isinstance(node, gast.UnaryOp):
        return -node.operand.value
    return node.value


def _usable(value):
    """A result worth writing as a literal: a finite float or a small int."""
    if type(value) is float:
        return math.isfinite(value)
    return type(value) is int and abs(value) < 2 ** 53


class _Fold(Transformer):
    def __init__(self, parsed, locals_):
        self.parsed = parsed
        self.locals = locals_

    def visit_FunctionDef(self, node):
        return node                   # a nested function has names of its own

    visit_Lambda = visit_FunctionDef

    def visit_Attribute(self, node):
        self.generic_visit(node)
        if isinstance(node.ctx, gast.Load) and isinstance(node.value, (gast.Name, gast.Attribute)):
            base = _static(node.value, self.parsed, self.locals)
            if any(base is m for m in _MODULES):
                value = getattr(base, node.attr, None)
                if type(value) is float and _usable(value):
                    return gast.copy_location(_literal(value), node)
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        op = _BINARY.get(type(node.op))
        if op is not None and _number(node.left) and _number(node.right):
            return self._computed(node, op, _value(node.left), _value(node.right))
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        op = _UNARY.get(type(node.op))
        if op is not None and _number(node.operand) and not isinstance(node.op, gast.USub):
            return self._computed(node, op, _value(node.operand))
        return node

    def visit_Call(self, node):
        self.generic_visit(node)
        if node.keywords or not node.args or not all(_number(a) for a in node.args):
            return node
        fun = _static(node.func, self.parsed, self.locals)
        if fun is None or getattr(math, getattr(fun, "__name__", ""), None) is not fun:
            return node               # only the math module's own functions
        return self._computed(node, fun, *(_value(a) for a in node.args))

    @staticmethod
    def _computed(node, fun, *args):
        try:
            value = fun(*args)
        except (ArithmeticError, ValueError, TypeError):
            return node               # raises when the code runs, as the user's would
        if not _usable(value):
            return node
        return gast.copy_location(_literal(value), node)


def _literal(value):
    """``value`` as a constant; a negative one as a negation (``(-1.0) ** j``
    must not print as ``-1.0 ** j``)."""
    if value < 0 or value == 0 and math.copysign(1.0, value) < 0:
        return gast.UnaryOp(op=gast.USub(), operand=gast.Constant(value=-value, kind=None))
    return gast.Constant(value=value, kind=None)
