"""Tape a shape, not the value read only for its shape.

A value of a loop body that the reverse sweep reads only through its shape
(``pieces[0].shape[1]``: where ``np.concatenate``'s adjoint splits the
adjoint of its result) would keep the whole value on the tape -- two views
and a tuple, for one number.  Where every read of such a name in the
reverse sweep is the same shape expression, in the statements the block's
reverse runs every iteration, the forward sweep computes that expression at
the end of the iteration and the tuple holds it instead:

    for j in range(n):                          for j in range(n):
        pieces = (M[:, :j], M[:, j + 1:])           pieces = (M[:, :j], M[:, j + 1:])
        ...                                         ...
        tape.append((pieces, c))        ->          pieces_dim = pieces[0].shape[1]
    for j in reversed(range(n)):                    tape.append((pieces_dim, c))
        pieces, c = tape.pop()                  for j in reversed(range(n)):
        w = pieces[0].shape[1]                      pieces_dim, c = tape.pop()
                                                    w = pieces_dim

(an array's shape cannot change in place).  Reads inside an ``if`` or a loop
of the reverse block are left alone: evaluated at the end of every
iteration, the expression might fail where the branch that reads it would
not have run.

>>> import gast
>>> from srcgrad.compiler.ir.printer import expr_source, function
>>> block = function("w = pieces[0].shape[1]\\nv = g[:, w:] + pieces[0].shape[1]").body
>>> found = shape_read(shape_reads(block, ()), "pieces", 2)
>>> expr_source(found[0]), len(found[1]), found[2]
('pieces[0].shape[1]', 2, 'dim')
>>> shape_read(shape_reads(block, ()), "pieces", 3) is None     # read elsewhere too
True
"""

import gast

from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.walk import inner_nodes

_SHAPES = ("shape", "ndim")
_COMPOUND = (gast.If, gast.For, gast.While, gast.Try)


def shape_reads(block, again):
    """The shape expressions (``x.shape``, ``x.shape[k]``, ``x[c].shape[k]``,
    ``x.ndim``) that the top-level statements of the reverse ``block`` and
    the recomputed statements ``again`` read: ``{x: {key: [(node, field,
    index), ...]}}``, where each was found (its holder)."""
    found = {}
    stmts = [s for s in list(block) + list(again)
             if isinstance(s, gast.AST) and not isinstance(s, _COMPOUND)]
    # (most blocks read no shape: one quick look first)
    if not any(isinstance(n, gast.Attribute) and n.attr in _SHAPES
               for s in stmts for n in inner_nodes(s)):
        return found
    for s in stmts:
        _visit(s, found)
    return found


def shape_read(found, name, reads):
    """``(expression, places, kind)``: the one shape expression of ``name``
    in ``found`` (:func:`shape_reads`), where it is read and what it gives
    (``"shape"``, ``"dim"``: one length, ``"ndim"``), when those are all of
    ``name``'s ``reads`` (how often the whole reverse sweep has the name);
    else None."""
    keys = found.get(name)
    if not keys or len(keys) != 1:
        return None
    (key, places), = keys.items()
    if len(places) != reads:
        return None
    node, field, i = places[0]
    value = getattr(node, field)
    _, attr, k = key
    return copy_tree(value[i] if i is not None else value), places, \
        "dim" if k is not None else attr


def _visit(node, found):
    """Record in ``found`` the shape expressions under ``node``."""
    for field, value in gast.iter_fields(node):
        items = value if isinstance(value, list) else [value]
        for i, child in enumerate(items):
            if isinstance(child, gast.AST):
                got = _pattern(child)
                if got is None:
                    _visit(child, found)
                else:
                    name, key = got
                    found.setdefault(name, {}).setdefault(key, []).append(
                        (node, field, i if isinstance(value, list) else None))


def replace_reads(places, new_name):
    """Put a load of ``new_name`` where :func:`shape_read` found the reads."""
    for node, field, i in places:
        new = gast.Name(id=new_name, ctx=gast.Load(), annotation=None, type_comment=None)
        if i is None:
            setattr(node, field, new)
        else:
            getattr(node, field)[i] = new


def _pattern(e):
    """``(name, key)`` when ``e`` is a shape expression of ``name``, else None."""
    k = None
    if isinstance(e, gast.Subscript) and _index(e.slice) is not None and \
            isinstance(e.value, gast.Attribute) and e.value.attr == "shape":
        k, e = _index(e.slice), e.value
    if not isinstance(e, gast.Attribute) or e.attr not in _SHAPES or \
            k is not None and e.attr != "shape" or not isinstance(e.ctx, gast.Load):
        return None         # (``x.shape = ...`` reshapes in place: not a read)
    base, c = e.value, None
    if isinstance(base, gast.Subscript) and _index(base.slice) is not None:
        base, c = base.value, _index(base.slice)
    if isinstance(base, gast.Name):
        return base.id, (c, e.attr, k)
    return None


def _index(e):
    if isinstance(e, gast.Constant) and type(e.value) is int:
        return e.value
    return None
