"""Small questions about trees that several desugarings ask.

>>> from srcgrad.compiler.ir.printer import function
>>> fn = function("y = x * 2.0\\nx = y\\nreturn x")
>>> assigns(fn, "x"), assigns(fn, "z")
(True, False)
"""

import gast
from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree


def assigns(tree, name):
    """Whether ``tree`` assigns the name ``name`` anywhere."""
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for n in walk_tree(tree))


def stored_names(tree):
    """Every name ``tree`` assigns anywhere."""
    return {n.id for n in name_nodes(tree) if isinstance(n.ctx, gast.Store)}
