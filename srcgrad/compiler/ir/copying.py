"""``deepcopy``: ``copy.deepcopy`` with a fast path for syntax trees.

The passes copy whole functions and rule templates many times; for gast
nodes and lists this does what ``copy.deepcopy`` does (a node is rebuilt as
``type(node)()`` with its ``__dict__`` copied -- a gast node without
calling its ``__init__``, which does nothing without arguments --, shared
nodes stay shared through the same ``memo``; what it copies is part of the tree being copied,
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
_GETSTATE = getattr(object, "__getstate__", None)
_how = {}        # class -> how its instances are copied (see _how_to_copy)
_LIST, _NODE, _GAST_NODE, _TUPLE, _DICT, _OWN, _OBJECT, _OTHER = range(8)


def _how_to_copy(cls):
    """How ``copy.deepcopy`` copies an instance of ``cls``: a list; a node
    rebuilt as ``cls()`` with its ``__dict__`` copied (``_GAST_NODE``: a
    gast node, whose ``__init__`` without arguments does nothing, made
    without calling it); a tuple; a dict; through its own ``__deepcopy__``;
    a plain object (``copyreg.__newobj__`` plus a copy of its ``__dict__``);
    or otherwise (``_OTHER``: left to ``copy.deepcopy``)."""
    if cls is list:
        return _LIST
    if cls is tuple:
        return _TUPLE
    if cls is dict:
        return _DICT
    if cls in copy._deepcopy_dispatch or cls in copyreg.dispatch_table or \
            issubclass(cls, type) or type(cls) is not type and not issubclass(cls, AST):
        return _OTHER
    if getattr(cls, "__deepcopy__", None) is not None:
        return _OWN
    if issubclass(cls, AST):
        if cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is _AST_REDUCE \
                and getattr(cls, "__setstate__", None) is None:
            init = getattr(cls.__init__, "__qualname__", "")
            return _GAST_NODE if init == "_make_node.<locals>.create_node" else _NODE
        return _OTHER
    if (cls.__reduce_ex__ is object.__reduce_ex__ and cls.__reduce__ is object.__reduce__
            and getattr(cls, "__getstate__", None) is _GETSTATE
            and getattr(cls, "__setstate__", None) is None
            and getattr(cls, "__getnewargs_ex__", None) is None
            and getattr(cls, "__getnewargs__", None) is None
            and cls.__new__ is object.__new__
            and not any("__slots__" in vars(c) for c in cls.__mro__)):
        return _OBJECT
    return _OTHER


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
    how = _how.get(cls)
    if how is None:
        how = _how[cls] = _how_to_copy(cls)
    if how is _LIST:
        y = []
        memo[d] = y
        append = y.append
        for a in x:
            append(a if type(a) in _ATOMIC else deepcopy(a, memo))
    elif how is _GAST_NODE or how is _NODE:
        y = cls.__new__(cls) if how is _GAST_NODE else cls()
        memo[d] = y
        copied = {}
        for k, v in x.__dict__.items():
            copied[k] = v if type(v) in _ATOMIC else deepcopy(v, memo)
        y.__dict__.update(copied)
    elif how is _TUPLE:
        y = [a if type(a) in _ATOMIC else deepcopy(a, memo) for a in x]
        if d in memo:           # x is inside itself
            return memo[d]
        y = tuple(y) if any(a is not b for a, b in zip(x, y)) else x
        if y is not x:
            memo[d] = y
    elif how is _DICT:
        y = {}
        memo[d] = y
        for k, v in x.items():
            y[k if type(k) in _ATOMIC else deepcopy(k, memo)] = \
                v if type(v) in _ATOMIC else deepcopy(v, memo)
    elif how is _OWN:
        y = x.__deepcopy__(memo)
        if y is not x:
            memo[d] = y
    elif how is _OBJECT:
        y = object.__new__(cls)
        memo[d] = y
        state = x.__dict__
        if state:
            y.__dict__.update(deepcopy(state, memo))
    else:
        return copy.deepcopy(x, memo)
    return y
