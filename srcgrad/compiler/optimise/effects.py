"""What a piece of generated code reads and whether it may change
something: shared by the optimisation passes.

>>> import gast
>>> e = gast.parse("np.sin(x) + tape.pop()").body[0].value
>>> sorted(loads_of(e))
['np', 'tape', 'x']
>>> pure_expr(e, {"np": None}), pure_expr(e.left, {"np": None})
(False, True)
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes

#: runtime helpers that change an argument in place
MUTATING_HELPERS = {"add_at", "add_item", "add_attr", "unpop", "unpop_adjoint", "restore_item",
                    "not_a_view", "check_scalar", "matmul_dx_sum"}

#: methods that change the object they are called on (the tapes, adjoint
#: lists, containers)
MUTATING_METHODS = {"pop", "append", "insert", "extend", "remove", "clear", "update",
                    "setdefault", "popitem", "sort", "reverse", "fill", "resize", "put"}


def loads_of(node):
    """The names ``node`` reads."""
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Load)}


def pure_expr(e, objects):
    """Whether evaluating ``e`` later gives the same value and changes nothing:
    no call that may change its arguments (``tape.pop()``, ``add_at``) or
    anything else (a function without a rule)."""
    for n in inner_nodes(e):
        if isinstance(n, gast.Call):
            f = n.func
            if isinstance(f, gast.Attribute):
                if f.attr in MUTATING_METHODS:
                    return False
                root = f
                while isinstance(root, gast.Attribute):
                    root = root.value
                if not (isinstance(root, gast.Name) and root.id in objects) and f.attr != "copy":
                    return False
            elif isinstance(f, gast.Name):
                obj = objects.get(f.id)
                if obj is None or getattr(obj, "__module__", None) == runtime.__name__ and \
                        obj.__name__ in MUTATING_HELPERS:
                    return False
            else:
                return False
        elif isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
            return False
    return True
