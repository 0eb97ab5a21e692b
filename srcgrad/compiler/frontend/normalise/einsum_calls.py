"""``np.einsum``'s sublist form, with literal lists of axis numbers, becomes
its subscript form (the one the rule differentiates): the operands
interleaved with lists of axis numbers, and an optional last list for the
output, name the same contraction as a string of letters.

>>> from srcgrad.compiler.ir.printer import source
>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> print(source(normalise_text('''
... def f(a, b):
...     return np.einsum(a, [0, 1], b, [1, 2], [0, 2])
... ''', {"np": np})))
def f(a, b):
    out = np.einsum('ab,bc->ac', a, b)
    return out
"""

import string

import gast
import numpy as np

from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.transformer import Transformer

_LETTERS = string.ascii_letters       # np.einsum's 52 axis labels


def _labels(node, local=()):
    """The subscript letters of a literal list of axis numbers (``...`` for
    ``...`` or ``Ellipsis``), or None."""
    if not isinstance(node, (gast.List, gast.Tuple)):
        return None
    out = []
    for e in node.elts:
        if isinstance(e, gast.Constant) and e.value is Ellipsis or \
                isinstance(e, gast.Name) and e.id == "Ellipsis" and e.id not in local:
            out.append("...")
        elif isinstance(e, gast.Constant) and type(e.value) is int and 0 <= e.value < 52:
            out.append(_LETTERS[e.value])
        else:
            return None
    return "".join(out)


class _Sublists(Transformer):
    """The rewriting of :func:`einsum_sublists` (a class of the module's: a
    class made per call is a reference cycle, freed only by the garbage
    collector, holding what its methods read)."""

    def __init__(self, is_einsum, local):
        self.is_einsum, self.local = is_einsum, local

    def visit_Call(self, node):
        self.generic_visit(node)
        args = node.args
        if not self.is_einsum(node.func) or len(args) < 2 or \
                any(isinstance(a, gast.Starred) for a in args) or \
                isinstance(args[0], gast.Constant) and isinstance(args[0].value, str):
            return node
        pairs, out = args, None
        if len(args) % 2 == 1:
            pairs, out = args[:-1], _labels(args[-1], self.local)
            if out is None:
                return node
        labels = [_labels(s, self.local) for s in pairs[1::2]]
        if any(lab is None for lab in labels):
            return node
        text = ",".join(labels) + ("" if out is None else "->" + out)
        call = gast.Call(func=node.func, args=[gast.Constant(value=text, kind=None)] +
                         list(pairs[0::2]), keywords=node.keywords)
        return gast.copy_location(call, node)


def has_einsum(found, parsed):
    """Whether the calls :func:`scan` found (``found``) may include
    ``np.einsum`` (what :func:`einsum_sublists` rewrites)."""
    return "einsum" in found.called_attrs or \
        any(parsed.resolve_global(n) is np.einsum for n in found.called_names)


def einsum_sublists(fn, parsed):
    """Rewrite ``np.einsum(op, [axes], ..., [out])`` calls in ``fn`` (in place)."""
    local = {n.id for n in name_nodes(fn) if isinstance(n.ctx, (gast.Store, gast.Param))}
    local |= {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}

    def is_einsum(node):
        if isinstance(node, gast.Attribute) and node.attr == "einsum" and \
                isinstance(node.value, gast.Name) and node.value.id not in local:
            return parsed.resolve_global(node.value.id) is np
        return isinstance(node, gast.Name) and node.id not in local and \
            parsed.resolve_global(node.id) is np.einsum

    _Sublists(is_einsum, local).visit(fn)
