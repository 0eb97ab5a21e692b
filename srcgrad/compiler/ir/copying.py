"""``deepcopy``: ``copy.deepcopy`` with a fast path for syntax trees.

The passes copy whole functions and rule templates many times; for gast
nodes and lists this does what ``copy.deepcopy`` does (a node is rebuilt as
``type(node)()`` with its ``__dict__`` copied, shared nodes stay shared
through the same ``memo``; what it copies is part of the tree being copied,
alive throughout, so unlike ``copy.deepcopy`` it need not keep it alive in
the memo).  Tuples, dicts, objects with a ``__deepcopy__`` of their own
and plain objects (the reverse transform's placeholders: rebuilt from their
``__dict__``) are copied as ``copy.deepcopy`` copies them, without its
dispatch; everything else goes to ``copy.deepcopy`` with the same ``memo``,
so the copy is the one ``copy.deepcopy`` makes.

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
_objects = {}    # other class -> "own" (its __deepcopy__), "dict" (a plain object) or None
_GETSTATE = getattr(object, "__getstate__", None)


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


def _object_kind(cls):
    """How ``copy.deepcopy`` copies an instance of ``cls`` (not a node):
    through its ``__deepcopy__`` ("own"), as ``copyreg.__newobj__`` plus a
    copy of its ``__dict__`` ("dict": a plain class), or otherwise (None)."""
    if cls in copy._deepcopy_dispatch or cls in copyreg.dispatch_table or \
            issubclass(cls, type) or type(cls) is not type:
        return None
    if getattr(cls, "__deepcopy__", None) is not None:
        return "own"
    if (cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and getattr(cls, "__getstate__", None) is _GETSTATE
            and getattr(cls, "__setstate__", None) is None
            and getattr(cls, "__getnewargs_ex__", None) is None
            and getattr(cls, "__getnewargs__", None) is None
            and cls.__new__ is object.__new__
            and not any("__slots__" in vars(c) for c in cls.__mro__)):
        return "dict"
    return None


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
    elif cls is tuple:
        y = [a if type(a) in _ATOMIC else deepcopy(a, memo) for a in x]
        if d in memo:           # x is inside itself
            return memo[d]
        y = tuple(y) if any(a is not b for a, b in zip(x, y)) else x
        if y is not x:
            memo[d] = y
    elif cls is dict:
        y = {}
        memo[d] = y
        for k, v in x.items():
            y[k if type(k) in _ATOMIC else deepcopy(k, memo)] = \
                v if type(v) in _ATOMIC else deepcopy(v, memo)
    else:
        kind = _objects.get(cls, False)
        if kind is False:
            kind = _objects[cls] = _object_kind(cls)
        if kind == "own":
            y = x.__deepcopy__(memo)
            if y is not x:
                memo[d] = y
        elif kind == "dict":
            y = object.__new__(cls)
            memo[d] = y
            state = x.__dict__
            if state:
                y.__dict__.update(deepcopy(state, memo))
        else:
            return copy.deepcopy(x, memo)
    return y
