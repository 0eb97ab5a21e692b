"""``to_ast``: a gast tree as the standard ``ast`` tree ``ast.unparse``
prints, in one pass (the printer's conversion; ``gast.gast_to_ast`` made the
same tree several times slower, then a second pass rewrote slices).

The tree is what ``gast.gast_to_ast`` makes (gast's ``Name`` parameters
become ``ast.arg``, an ``except ... as e`` name a string), with the
printer's two rewrites done on the way:

- ``a:b`` is syntax only inside a subscript (``x[1:, 0]``); anywhere else (an
  index kept in a variable, passed to a helper) it becomes the object it
  stands for, ``slice(a, b)``;
- a negative number constant becomes a negation, so that ``(-0.5) ** 2``
  keeps its parentheses.

Source locations are not copied: ``ast.unparse`` reads only a statement's
``lineno`` (for type comments, of which the tree has none), set to 1.  The
nodes without fields (contexts, operators) are one shared node per class, as
``ast.parse`` makes them: the tree is only printed.

>>> import ast, gast
>>> tree = gast.parse("def f(x, k=-1):\\n    s = x[1:3]\\n    return x[-1:, k] ** 2 + s")
>>> tree.body[0].body[0].value = tree.body[0].body[0].value.slice     # s = 1:3
>>> print(ast.unparse(to_ast(tree)))
def f(x, k=-1):
    s = slice(1, 3)
    return x[-1:, k] ** 2 + s
"""

import ast

import gast

_AST = ast.AST
_TARGET = {}        # gast class -> (ast class, its fields gast has too, is a statement)


def _target(cls):
    got = _TARGET.get(cls)
    if got is None:
        acls = getattr(ast, cls.__name__)
        got = _TARGET[cls] = (acls, tuple(f for f in cls._fields if f in acls._fields)
                              if cls._fields else (), issubclass(acls, (ast.stmt, ast.arg)))
    return got


def to_ast(node):
    """``node`` (a gast tree) as an ``ast`` tree, slices and negative numbers
    rewritten as the module docstring says."""
    return _convert(node, False)


_LEAVES = {}        # gast class without fields (a context, an operator) -> one ast node


def _convert(node, in_subscript):
    if isinstance(node, list):
        return [_convert(n, False) if isinstance(n, _AST) else n for n in node]
    cls = node.__class__
    leaf = _LEAVES.get(cls)
    if leaf is not None:
        return leaf
    special = _SPECIAL.get(cls)
    if special is not None:
        return special(node)
    if not cls._fields:         # shared, as ast.parse shares them: only printed
        leaf = _LEAVES[cls] = getattr(ast, cls.__name__)()
        return leaf
    acls, fields, statement = _target(cls)
    d = node.__dict__
    kw = {}
    for f in fields:
        if f in d:
            v = d[f]
            if isinstance(v, _AST):
                v = _convert(v, False)
            elif v.__class__ is list:
                v = [_convert(n, False) if isinstance(n, _AST) else n for n in v]
            kw[f] = v
    new = acls(**kw)
    if statement:
        new.lineno = 1
    return new


def _opt(node):
    return None if node is None else _convert(node, False)


def _name(node):
    return ast.Name(id=node.id, ctx=_convert(node.ctx, False))


def _arg(node):
    if node is None:
        return None
    new = ast.arg(arg=node.id, annotation=_opt(node.annotation),
                  type_comment=getattr(node, "type_comment", None))
    new.lineno = 1
    return new


def _arguments(node):
    return ast.arguments(posonlyargs=[_arg(a) for a in node.posonlyargs],
                         args=[_arg(a) for a in node.args], vararg=_arg(node.vararg),
                         kwonlyargs=[_arg(a) for a in node.kwonlyargs],
                         kw_defaults=[_opt(d) for d in node.kw_defaults],
                         kwarg=_arg(node.kwarg), defaults=[_opt(d) for d in node.defaults])


def _except_handler(node):
    new = ast.ExceptHandler(type=_opt(node.type), name=node.name.id if node.name else None,
                            body=_convert(node.body, False))
    new.lineno = 1
    return new


def _constant(node):
    v = node.value
    if type(v) in (int, float) and (v < 0 or v == 0 and str(v).startswith("-")):
        return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-v))
    return ast.Constant(value=v, kind=getattr(node, "kind", None))


def _bounds(node):
    """A slice inside a subscript: stays a slice."""
    return ast.Slice(lower=_opt(node.lower), upper=_opt(node.upper), step=_opt(node.step))


def _slice_object(node):
    """A slice anywhere else: ``slice(a, b)``."""
    parts = [node.lower, node.upper, node.step]
    while len(parts) > 1 and parts[-1] is None:
        parts.pop()
    return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()),
                    args=[_convert(p, False) if p is not None else ast.Constant(value=None)
                          for p in parts], keywords=[])


def _subscript(node):
    sl = node.slice
    if isinstance(sl, gast.Slice):
        index = _bounds(sl)
    elif isinstance(sl, gast.Tuple):
        index = ast.Tuple(elts=[_bounds(e) if isinstance(e, gast.Slice) else _convert(e, False)
                                for e in sl.elts], ctx=_convert(sl.ctx, False))
    else:
        index = _convert(sl, False)
    return ast.Subscript(value=_convert(node.value, False), slice=index,
                         ctx=_convert(node.ctx, False))


_SPECIAL = {gast.Name: _name, gast.arguments: _arguments, gast.ExceptHandler: _except_handler,
            gast.Constant: _constant, gast.Slice: _slice_object, gast.Subscript: _subscript}
