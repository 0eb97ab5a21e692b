"""Small readings of the tree the analyses share: how a callee was written
(for messages), whether an expression starts from a local name, the loops
of a body, the names an expression reads or a target stores.

>>> from srcgrad.compiler.ir.printer import function
>>> s = function("y = np.linalg.norm(x, ord=2)").body[0]
>>> dotted(s.value.func), sorted(positional(s.value)), sorted(names(s.value))
('np.linalg.norm', ['0', '1'], ['np', 'x'])
>>> root_is_local(s.value.func, {"x"}), op_symbol(gast.FloorDiv())
(False, '//')
"""

import ast
import re

import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.rules.tables import OP_SYMBOLS
from srcgrad.compiler.ir.walk import name_nodes


def is_generated(display):
    """A name srcgrad made (``t_3``), not one the user wrote."""
    return bool(re.fullmatch(r"[A-Za-z_]+_\d+(\..*)?", display))


def loops(stmts):
    return (s for s in walk_stmts(stmts) if isinstance(s, (gast.For, gast.While)))


def children(v):
    if isinstance(v, gast.Dict):
        return list(v.values)
    return list(v.elts)


def positional(call):
    return {str(i): a for i, a in enumerate(list(call.args) + [k.value for k in call.keywords])}


def root_is_local(node, locals_):
    while isinstance(node, gast.Attribute):
        node = node.value
    return not isinstance(node, gast.Name) or node.id in locals_


def source(node):
    try:
        return gast.unparse(node) if hasattr(gast, "unparse") else \
            ast.unparse(gast.gast_to_ast(node))
    except Exception:       # noqa: BLE001 -- only for a message
        return "..."


def dotted(node):
    if isinstance(node, gast.Name):
        return node.id
    if isinstance(node, gast.Attribute):
        return dotted(node.value) + "." + node.attr
    return "<expression>"


def op_symbol(op):
    return OP_SYMBOLS.get(type(op), type(op).__name__)


def names(node):
    return {n.id for n in name_nodes(node)}


def stored(target):
    return [n.id for n in name_nodes(target) if isinstance(n.ctx, gast.Store)]
