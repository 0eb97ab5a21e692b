"""Simplification of arithmetic: constant folding
(:class:`srcgrad.compiler.ir.fold.Fold`) plus ``1 * e``, ``e * 1``,
``e / 1``, ``-1 * e`` (for floats only: multiplying by ``1.0`` also makes an
integer a float), ``-(-e)``, ``e + -f`` and ``A + A``.

>>> import gast
>>> from srcgrad.compiler.ir.printer import expr_source
>>> e = gast.parse("1.0 * x + -(-y) + -z + 2 * 3").body[0].value
>>> expr_source(Simplify(floats={"x"}).visit(e))
'x + y - z + 6'
>>> e = gast.parse("1.0 * n + (t + t)").body[0].value
>>> expr_source(Simplify().visit(e))
'1.0 * n + 2.0 * t'

In adjoint code (``squares``), a Python float squared is a product (what a
person writes, and faster):

>>> e = gast.parse("g * 3 * x ** 2").body[0].value
>>> expr_source(Simplify(floats={"x"}, squares=True).visit(e))
'g * 3 * (x * x)'
"""

import gast

from srcgrad.compiler.ir.fold import Fold, _number

def _surely_float(e, floats=frozenset()):
    """Whether ``e`` certainly evaluates to a float (or float array);
    ``floats``: names known to hold floats."""
    if isinstance(e, gast.Name):
        return e.id in floats
    if isinstance(e, gast.Constant):
        return isinstance(e.value, float)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Div):
            return True
        return isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)) and (
            _surely_float(e.left, floats) or _surely_float(e.right, floats))
    if isinstance(e, gast.UnaryOp):
        return _surely_float(e.operand, floats)
    if isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute) and \
            isinstance(e.func.value, gast.Name) and e.func.value.id == "math":
        return True
    return False


_surely_float_in = _surely_float


class Simplify(Fold):
    """Constant folding plus ``1 * e``, ``e * 1``, ``e / 1``, ``-1 * e``,
    ``-(-e)``, ``e + -f`` and ``A + A``."""

    def __init__(self, floats=frozenset(), squares=False):
        self.floats = floats
        self.squares = squares      # x ** 2 -> x * x (adjoint code: see visit_BinOp)

    def value(self, expr):
        """``expr`` simplified, as the whole value of an assignment: an
        operation makes a new object, so it never becomes a bare name,
        subscript or attribute (``b = --x`` must not make ``b`` the array
        ``x``, which a later ``b[0] = ...`` would change); then the
        operation stays, its operands simplified.

        >>> import gast
        >>> from srcgrad.compiler.ir.printer import expr_source
        >>> expr_source(Simplify().value(gast.parse("--x").body[0].value))
        '--x'
        >>> expr_source(Simplify().value(gast.parse("--x + (2 - 1) * y").body[0].value))
        'x + 1 * y'
        """
        new = self.visit(expr)
        if isinstance(new, (gast.Name, gast.Subscript, gast.Attribute)) and \
                not isinstance(expr, (gast.Name, gast.Subscript, gast.Attribute)):
            return expr
        return new

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        if not isinstance(node, gast.BinOp):
            return node
        left, right, op = node.left, node.right, node.op

        def _surely_float(e):
            return _surely_float_in(e, self.floats)

        def const(n, v):
            return isinstance(n, gast.Constant) and _number(n.value) and n.value == v

        # multiplying by 1.0 also makes an integer a float: fold only floats
        if isinstance(op, gast.Mult):
            if const(left, 1) and _surely_float(right):
                return right
            if const(right, 1) and _surely_float(left):
                return left
            if const(left, -1) and _surely_float(right):
                return self.visit(gast.UnaryOp(op=gast.USub(), operand=right))
            if const(right, -1) and _surely_float(left):
                return self.visit(gast.UnaryOp(op=gast.USub(), operand=left))
        if isinstance(op, gast.Div) and const(right, 1) and _surely_float(left):
            return left
        # a Python float squared, in adjoint code (``squares``: the primal's
        # own ``x ** 2`` stays as the user wrote it): one multiplication, three
        # times as fast as C's pow (which also raises OverflowError where
        # ``x * x`` is inf); NumPy arrays are squared as fast either way
        if self.squares and isinstance(op, gast.Pow) and isinstance(left, gast.Name) and \
                left.id in self.floats and const(right, 2):
            return gast.BinOp(left=left, op=gast.Mult(),
                              right=gast.Name(id=left.id, ctx=gast.Load(), annotation=None,
                                              type_comment=None))
        if isinstance(op, gast.Mult) and isinstance(left, gast.BinOp) and \
                isinstance(left.op, gast.Div) and const(left.left, 1) and \
                isinstance(left.left.value, float):       # 1.0 / a * b -> b / a
            return gast.BinOp(left=right, op=gast.Div(), right=left.right)
        neg = isinstance(left, gast.UnaryOp) and isinstance(left.op, gast.USub)
        if isinstance(op, gast.Mult) and neg and isinstance(right, gast.Constant) and \
                _number(right.value):              # -a * 2 -> a * -2 (one operation less)
            return gast.BinOp(left=left.operand, op=op,
                              right=gast.Constant(value=-right.value, kind=None))
        if isinstance(op, (gast.Mult, gast.Div)) and neg:     # -a / b -> -(a / b)
            return gast.UnaryOp(op=gast.USub(), operand=gast.BinOp(left=left.operand, op=op,
                                                                  right=right))
        if isinstance(op, gast.Add):
            if isinstance(right, gast.UnaryOp) and isinstance(right.op, gast.USub):
                return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
            if type(left) is type(right) and gast.dump(left) == gast.dump(right):
                return gast.BinOp(left=gast.Constant(value=2.0, kind=None), op=gast.Mult(),
                                  right=left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub):
            inner = node.operand
            if isinstance(inner, gast.Constant) and _number(inner.value):
                return gast.Constant(value=-inner.value, kind=None)
            if isinstance(inner, gast.UnaryOp) and isinstance(inner.op, gast.USub):
                return inner.operand
        return node
