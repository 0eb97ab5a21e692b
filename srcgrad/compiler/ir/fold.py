"""Constant folding of a rule template once its arguments are substituted.

A rule ``x ** (y - 1)`` instantiated with ``y = 2`` reads ``x ** (2 - 1)``;
the transforms fold it before they decide who owns an adjoint:

>>> import gast
>>> from srcgrad.compiler.ir.printer import expr_source
>>> expr_source(fold(gast.parse("g * x ** (2 - 1)").body[0].value))
'g * x'
>>> expr_source(fold(gast.parse("g * (1.0 if 3 > 2 else 0.0)").body[0].value))
'g * 1.0'
>>> expr_source(fold(gast.parse("f(trans=1 if 0 in (0, 'N') else 0, transposed=not False)").body[0].value))
'f(trans=1, transposed=True)'
"""

import operator

import gast

from srcgrad.compiler.ir.transformer import Transformer

_FOLD = {gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
         gast.Div: operator.truediv, gast.Pow: operator.pow}


_COMPARE = {gast.Eq: operator.eq, gast.NotEq: operator.ne, gast.Lt: operator.lt,
            gast.LtE: operator.le, gast.Gt: operator.gt, gast.GtE: operator.ge}


class Fold(Transformer):
    def visit_Compare(self, node):
        # ``(y == 0)`` of a constant ``y`` in a rule template (``x ** (y - 1 + (y == 0))``)
        self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in _COMPARE and \
                isinstance(node.left, gast.Constant) and _number(node.left.value) and \
                isinstance(node.comparators[0], gast.Constant) and \
                _number(node.comparators[0].value):
            return gast.Constant(value=_COMPARE[type(node.ops[0])](
                node.left.value, node.comparators[0].value), kind=None)
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.Is, gast.IsNot)) and \
                isinstance(node.left, gast.Constant) and \
                isinstance(node.comparators[0], gast.Constant) and \
                (node.left.value is None or node.comparators[0].value is None):
            same = node.left.value is node.comparators[0].value       # (``3.0 is not None``)
            return gast.Constant(value=same == isinstance(node.ops[0], gast.Is), kind=None)
        if len(node.ops) == 1 and isinstance(node.ops[0], (gast.In, gast.NotIn)) and \
                isinstance(node.left, gast.Constant) and \
                isinstance(node.comparators[0], gast.Tuple) and \
                all(isinstance(e, gast.Constant) for e in node.comparators[0].elts):
            # ``trans in (0, 'N')`` of a constant keyword in a rule template
            found = node.left.value in tuple(e.value for e in node.comparators[0].elts)
            return gast.Constant(value=found == isinstance(node.ops[0], gast.In), kind=None)
        return node

    def visit_UnaryOp(self, node):
        # ``not transposed`` of a constant keyword in a rule template
        self.generic_visit(node)
        if isinstance(node.op, gast.Not) and isinstance(node.operand, gast.Constant) and \
                isinstance(node.operand.value, (bool, type(None))):
            return gast.Constant(value=not node.operand.value, kind=None)
        return node

    def visit_IfExp(self, node):
        self.generic_visit(node)
        if isinstance(node.test, gast.Constant) and isinstance(node.test.value, bool):
            return node.body if node.test.value else node.orelse
        return node

    def visit_BinOp(self, node):
        self.generic_visit(node)
        left, right = node.left, node.right
        if isinstance(left, gast.Constant) and isinstance(right, gast.Constant) and \
                isinstance(node.op, (gast.Add, gast.Sub)) and \
                (isinstance(left.value, bool) and _number(right.value) or
                 isinstance(right.value, bool) and _number(left.value)):
            # a number plus or minus a folded comparison: a number
            return gast.Constant(value=_FOLD[type(node.op)](left.value, right.value), kind=None)
        if isinstance(node.op, gast.Mult) and any(
                isinstance(a, gast.Constant) and a.value is False and isinstance(b, gast.Compare)
                for a, b in ((left, right), (right, left))):
            return gast.Constant(value=0, kind=None)      # (a comparison is finite) * False
        if isinstance(left, gast.Constant) and isinstance(right, gast.Constant) and \
                type(node.op) in _FOLD and _number(left.value) and _number(right.value):
            try:
                value = _FOLD[type(node.op)](left.value, right.value)
            except (ArithmeticError, ValueError):
                return node
            if _number(value) and abs(value) < 1e15:
                return gast.Constant(value=value, kind=None)
        if isinstance(node.op, gast.Pow) and isinstance(right, gast.Constant) and right.value == 1:
            return left
        return node


def _number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def fold(expr):
    return Fold().visit(expr)
