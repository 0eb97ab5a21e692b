"""What one statement computes (:class:`Op`, attached by the resolution as
``s.srcgrad_op``), and the statements the analyses look at: assignments and
method calls on local values, at any depth, in program order.

>>> from srcgrad.compiler.ir.names import load
>>> from srcgrad.compiler.ir.printer import function
>>> fn = function('''
... y = x * 2.0
... if c:
...     ys.append(y)
... ys[0] = y
... print(y)''')
>>> [defined_name(s) for s in iter_ops(fn.body)]
['y', 'ys', 'ys']
>>> Op("call", args={"x": load("a"), "y": load("b")}, display="*").kind
'call'
>>> Op("unknown", args={"0": load("a"), "k=": load("b")}).diff_operands()
['a', 'b']
"""

from dataclasses import dataclass, field

import gast

from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.rules.registry import _Default
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree


@dataclass
class Op:
    """What one assignment computes, as far as differentiation is concerned."""
    kind: str                 # call | copy | const | subscript | inactive | unknown
    rule: object = None       # the primitive's Rule, for kind == "call"
    fun: object = None        # the primitive
    args: dict = field(default_factory=dict)   # parameter -> atom node or _Default
    display: str = ""         # how the user wrote the callee, for messages
    extra: object = None      # attribute name (attr), keys (pack_dict)

    def __deepcopy__(self, memo):
        return Op(self.kind, self.rule, self.fun, copy_tree(self.args, memo), self.display,
                  copy_tree(self.extra, memo))

    def diff_operands(self):
        """Names flowing differentiably into the result."""
        if self.kind in ("setitem", "append", "insert"):
            return [self.args["v"].id] if isinstance(self.args["v"], gast.Name) else []
        if self.kind in ("copy", "subscript", "attr"):
            return [self.args["x"].id] if isinstance(self.args["x"], gast.Name) else []
        if self.kind == "call" and self.rule is not None:
            return [a.id for p, a in self.args.items()
                    if p in self.rule.adjoints and isinstance(a, gast.Name)]
        if self.kind in ("unknown", "pack", "pack_dict"):
            # every argument of an operation srcgrad does not understand
            # (positional, keyword, starred, the object of a method) may
            # flow into its result
            return [n for a in self.args.values() for n in operand_names(a)]
        return []


def operand_names(node):
    """The variables an argument (an atom, a starred or keyword argument, a
    tuple of ``*args``, a dict of ``**kwargs``, any expression) reads."""
    if isinstance(node, gast.Name):
        return [node.id]
    if isinstance(node, _Default) or node is None:
        return []
    if isinstance(node, (tuple, list)):
        return [n for e in node for n in operand_names(e)]
    if isinstance(node, dict):
        return [n for e in node.values() for n in operand_names(e)]
    if isinstance(node, gast.AST):
        return [n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Load)]
    return []


def defined_name(s):
    """The variable an assignment gives a new value: its target name, or the
    array an element assignment writes into (the list a mutating method
    call ``ys.append(v)`` changes)."""
    if isinstance(s, gast.Expr):
        return s.value.func.value.id
    t = s.targets[0]
    if isinstance(t, gast.Name):
        return t.id
    if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
        return t.value.id
    return None


def iter_assigns(stmts):
    """Every assignment in ``stmts``, at any depth, in program order."""
    return (s for s in walk_stmts(stmts) if isinstance(s, gast.Assign))


def is_method_stmt(s):
    """``name.method(...)`` as a statement (``ys.append(v)``): it may change
    ``name`` in place."""
    return isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
        isinstance(s.value.func, gast.Attribute) and isinstance(s.value.func.value, gast.Name)


def iter_ops(stmts, locals_=None):
    """Every assignment and every method call statement on a local value,
    at any depth, in program order."""
    return (s for s in walk_stmts(stmts) if isinstance(s, gast.Assign) or
            is_method_stmt(s) and (locals_ is None or s.value.func.value.id in locals_))
