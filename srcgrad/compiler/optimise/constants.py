"""Constants in the reverse sweep (the seed ``1.0`` and what follows from
it): adjoints assigned once, to a number, are substituted where they are
used in arithmetic, which is simplified (``simplify.py``).

>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... d_out = 1.0
... d_y = d_out * x
... d_x = d_y - d_out * x
... d_z = d_out
... return d_x''')
>>> print(source(propagate_constants(fn, keep={"d_z"}, adjoints={"d_x", "d_y"}, floats={"x"})))
def f(x):
    d_out = 1.0
    d_y = x
    d_x = d_y - x
    d_z = d_out
    return d_x
"""


import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.fold import _number
from srcgrad.compiler.optimise.simplify import Simplify
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.transformer import Transformer

def propagate_constants(fn, keep, adjoints=(), floats=frozenset(), made_copies=None):
    """Adjoints assigned once, to a number (``d_out = 1.0``), are replaced by
    that number where they are used in arithmetic, and the arithmetic is
    folded: ``d_out * x`` becomes ``x``, ``-d_out * e`` becomes ``-e``.
    Plain copies into the adjoints in ``keep`` (``d_a = d_out``: the user's
    own variables) stay as they are; an expression is never folded into a
    bare name whose array is later updated in place.  ``made_copies`` (a list),
    if given, gets the statements this made copies (``d_t = d_y``, from
    ``d_t = d_y * d_out``): what copy propagation may look at again."""
    def changed_to(s, value):
        if made_copies is not None and isinstance(value, gast.Name) and \
                not isinstance(s.value, gast.Name):
            made_copies.append(s)
        s.value = value

    inplace = set()
    for s in walk_stmts(fn.body):
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            inplace.add(s.target.id)
        for t in getattr(s, "targets", []):
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                inplace.add(t.value.id)
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Subscript) and \
                isinstance(s.target.value, gast.Name):
            inplace.add(s.target.value.id)
    previous = None
    for round_ in range(20):
        counts, values, copies = {}, {}, {}
        for s in walk_stmts(fn.body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                n = s.targets[0].id
                counts[n] = counts.get(n, 0) + 1
                if isinstance(s.value, gast.Constant) and _number(s.value.value):
                    values[n] = s.value.value
                elif isinstance(s.value, gast.Name) and n.startswith("d_"):
                    copies[n] = s.value.id
            elif isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
                counts[s.target.id] = counts.get(s.target.id, 0) + 2
        constants = {n: v for n, v in values.items() if counts.get(n) == 1 and n.startswith("d_")}
        if round_ and constants == previous:
            break       # (the same constants, substituted already: this round would change nothing)
        previous = constants
        # ``d_loss * 2`` where ``d_loss = d_out`` (assigned once, a copy of the
        # seed 1.0) is ``2.0``: the copy stays where it documents the code
        # (``d_loss * e``), but two numbers are not multiplied at every step of
        # a loop (the misfit ``(x - o) ** 2``); once, in the first round
        folder = None
        if round_ == 0:
            known = {t: constants[v] for t, v in copies.items()
                     if v in constants and counts[t] == 1}
            folder = _FoldFactors(known) if known else None
        changed = False
        for s in walk_stmts(fn.body):
            if not isinstance(s, (gast.Assign, gast.AugAssign)):
                continue
            names = {n.id for n in name_nodes(s.value)}
            if folder is not None and not names.isdisjoint(folder.known):
                changed_to(s, folder.visit(s.value))
            if names.isdisjoint(constants):
                continue
            target = s.targets[0] if isinstance(s, gast.Assign) else s.target
            if isinstance(s.value, gast.Name) and isinstance(target, gast.Name) and \
                    target.id in keep:
                continue                      # d_a = d_out documents the code
            new = Simplify(floats, squares=True).visit(_Substitute(constants).visit(
                copy_tree(s.value)))
            if _has_unit_factor(new):
                continue                      # 1.0 * x reads worse than d_out * x
            if isinstance(new, gast.Name) and isinstance(target, gast.Name) and \
                    target.id in inplace and not isinstance(s.value, gast.Name):
                continue                      # would alias an array updated in place
            if gast.dump(new) != gast.dump(s.value):
                changed_to(s, new)
                changed = True
        if not changed:
            break
    for s_ in walk_stmts(fn.body):    # A + A, e + -f in every adjoint statement
        target = s_.targets[0] if isinstance(s_, gast.Assign) else getattr(s_, "target", None)
        if isinstance(target, gast.Name) and target.id in adjoints and \
                not _has_unit_factor(s_.value):
            changed_to(s_, Simplify(floats, squares=True).value(s_.value))
    return fn


class _FoldFactors(Transformer):
    """``c * 2`` or ``2 * c`` for a name ``c`` of known number: their product."""

    def __init__(self, known):
        self.known = known

    def visit_BinOp(self, node):
        node = self.generic_visit(node)
        if isinstance(node.op, gast.Mult):
            for a, b in ((node.left, node.right), (node.right, node.left)):
                if isinstance(a, gast.Name) and a.id in self.known and \
                        isinstance(b, gast.Constant) and _number(b.value) and \
                        type(b.value) is not bool:
                    return gast.Constant(value=self.known[a.id] * b.value, kind=None)
        return node


def _has_unit_factor(e):
    """``1.0 * x``, ``x * 1.0`` or ``x / 1.0`` (``1.0 / x`` reads well)."""
    def unit(c):
        return isinstance(c, gast.Constant) and _number(c.value) and abs(c.value) == 1

    return any(isinstance(n, gast.BinOp) and (
        isinstance(n.op, gast.Mult) and (unit(n.left) or unit(n.right)) or
        isinstance(n.op, gast.Div) and unit(n.right)) for n in inner_nodes(e))


class _Substitute(Transformer):
    def __init__(self, constants):
        self.constants = constants

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.constants:
            return gast.Constant(value=self.constants[node.id], kind=None)
        return node

    def visit_Subscript(self, node):
        # ``d_out['pos']``: a number is not subscripted (that code only runs
        # if the result is a container, which the scalar check refuses first)
        if isinstance(node.value, gast.Name):
            node.slice = self.visit(node.slice)
            return node
        return self.generic_visit(node)

    def visit_Attribute(self, node):
        return node if isinstance(node.value, gast.Name) else self.generic_visit(node)
