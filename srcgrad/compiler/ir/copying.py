"""``deepcopy``: ``copy.deepcopy`` with a fast path for syntax trees.

The passes copy whole functions and rule templates many times; for gast
nodes and lists this does what ``copy.deepcopy`` does (a node is rebuilt as
``type(node)()`` with its ``__dict__`` copied, shared nodes stay shared
through the same ``memo``; what it copies is part of the tree being copied,
alive throughout, so unlike ``copy.deepcopy`` it need not keep it alive in
the memo), and hands everything else (objects with a
``__deepcopy__`` of their own, tuples, dicts ...) to ``copy.deepcopy`` with
the same ``memo``, so the copy is the one ``copy.deepcopy`` makes.

>>> import gast
>>> from srcgrad.compiler.ir.printer import to_source
>>> fn = gast.parse("def f(x):\\n    return x * 2.0").body[0]
>>> twin = deepcopy(fn)
>>> twin is not fn and to_source(twin) == to_source(fn)
True
"""

import copy
import copyreg
from ast import AST

_ATOMIC = frozenset({type(None), int, float, bool, complex, str, bytes, type(Ellipsis),
                     type(NotImplemented), range, type})
_AST_REDUCE = AST.__reduce__
_plain = {}      # node class -> whether copy.deepcopy would copy it through its __dict__


def _is_plain(cls):
    plain = _plain.get(cls)
    if plain is None:
        plain = _plain[cls] = (issubclass(cls, AST) and getattr(cls, "__deepcopy__", None) is None
                               and cls.__reduce_ex__ is object.__reduce_ex__
                               and cls.__reduce__ is _AST_REDUCE
                               and getattr(cls, "__setstate__", None) is None
                               and cls not in copy._deepcopy_dispatch
                               and cls not in copyreg.dispatch_table)
    return plain


def deepcopy(x, memo=None):
    """``copy.deepcopy(x, memo)``, faster on syntax trees."""
    cls = type(x)
    if cls in _ATOMIC:
        return x
    if memo is None:
        memo = {}
    d = id(x)
    y = memo.get(d, memo)
    if y is not memo:
        return y
    if cls is list:
        y = []
        memo[d] = y
        append = y.append
        for a in x:
            append(a if type(a) in _ATOMIC else deepcopy(a, memo))
    elif _is_plain(cls):
        y = cls()
        memo[d] = y
        copied = {}
        for k, v in x.__dict__.items():
            copied[k] = v if type(v) in _ATOMIC else deepcopy(v, memo)
        y.__dict__.update(copied)
    else:
        return copy.deepcopy(x, memo)
    return y
