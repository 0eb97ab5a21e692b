"""Which local names hold containers: lists, tuples, dicts, records (named
tuples, dataclasses, objects with fields).  The first analysis to run; the
resolution reads it (``d.get(k)`` of a dict, ``list(d)`` of a dict's keys),
and so do the checks of in-place changes.

>>> from srcgrad.compiler.ir.printer import function
>>> fn = function('''
... ys = [x, x]
... zs = ys + [x]
... t = (x, ys)
... d = {"a": x}
... ys.append(w)
... v = p.w + q
... s = x * 2.0''')
>>> kinds = container_kinds(fn, {"ys", "zs", "t", "d", "v", "s", "x", "w", "p", "q"})
>>> sorted(kinds.items())
[('d', 'dict'), ('p', 'record'), ('t', 'tuple'), ('ys', 'list'), ('zs', 'list')]
"""

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.analysis.ops import is_method_stmt
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.rules.tables import (ARRAY_ATTRIBUTES, ARRAY_METHODS, CONTAINER_METHODS,
                                  INACTIVE_ATTRIBUTES, KIND_CALLS)
from srcgrad.compiler.ir.walk import inner_nodes


def is_zeros_like(v, resolve):
    """``zeros_like(x)``, srcgrad's runtime helper (in generated code)."""
    if resolve is None or not (isinstance(v, gast.Call) and isinstance(v.func, gast.Name)
                               and len(v.args) == 1 and not v.keywords):
        return False
    return resolve(v.func) is runtime.zeros_like


def made_by(v, resolve, cls):
    """``cls(...)`` (``Adjoints(xs)``, ``AdjointDict(d)``: generated code and
    srcgrad's runtime helpers)."""
    if resolve is None or not (isinstance(v, gast.Call) and isinstance(v.func, gast.Name)):
        return False
    return resolve(v.func) is cls


def container_kinds(fn, locals_, resolve=None, wrt=()):
    """Names whose values are (or, for parameters, are used as) containers:
    name -> "list", "tuple", "dict", "record" or "container".

    Local values get the kind of what made them (a list literal, ``list(...)``,
    ``a + b`` of lists, a copy); parameters (and values read out of other
    containers) get one from how they are used: a string key, an attribute
    that is not an array's, a list method, tuple unpacking.  Arithmetic on a
    value or an array attribute says it is an array after all.  The result's
    ``maybe_lists`` also holds the parameters (not in ``wrt``) given to a
    NumPy ufunc: lists NumPy reads as arrays, maybe."""
    evidence, arrays = {}, set()
    defs = {}
    for s in walk_stmts(fn.body):
        if is_method_stmt(s) and s.value.func.attr in CONTAINER_METHODS:
            x = s.value.func.value.id
            evidence.setdefault(x, "dict" if s.value.func.attr in ("update", "setdefault",
                                                                   "popitem") else "list")
            continue
        if not isinstance(s, gast.Assign):
            continue
        t, v = s.targets[0], s.value
        if isinstance(t, gast.Name):
            defs.setdefault(t.id, []).append(s)
        for node in [v, t]:
            for n in inner_nodes(node):
                if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name):
                    sl = n.slice
                    if isinstance(sl, gast.Constant) and isinstance(sl.value, str):
                        evidence.setdefault(n.value.id, "dict")
                    elif getattr(n, "srcgrad_dict", False):
                        evidence.setdefault(n.value.id, "dict")
                    elif getattr(n, "srcgrad_unpack", False) or getattr(n, "srcgrad_iter", False):
                        evidence.setdefault(n.value.id, "container")
                    elif isinstance(sl, gast.Tuple):
                        arrays.add(n.value.id)
                elif isinstance(n, gast.Attribute) and isinstance(n.value, gast.Name) and \
                        n.value.id in locals_:
                    if n.attr in INACTIVE_ATTRIBUTES or n.attr in ARRAY_ATTRIBUTES or n.attr != "copy" and \
                            n.attr in ARRAY_METHODS:
                        arrays.add(n.value.id)
                    elif n.attr not in ("copy", "get", "keys", "values", "items", "_replace"):
                        evidence.setdefault(n.value.id, "record")
                elif isinstance(n, (gast.BinOp, gast.UnaryOp)):
                    for a in (n.left, n.right) if isinstance(n, gast.BinOp) else (n.operand,):
                        if isinstance(a, gast.Name) and not (
                                isinstance(n, gast.BinOp) and isinstance(n.op, gast.Add)):
                            arrays.add(a.id)
    changed = True          # evidence about a copy is evidence about its source
    while changed:
        changed = False
        for name, ss in defs.items():
            for s in ss:
                v = s.value
                if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr == "copy" and not v.args:
                    v = v.func.value
                if isinstance(v, gast.Name) and name in evidence and v.id not in evidence:
                    evidence[v.id] = evidence[name]
                    changed = True

    def read_out(s):            # a value read out of a container (or a copy of one)
        v = s.value
        return isinstance(v, (gast.Subscript, gast.Attribute, gast.Name)) or \
            isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
            v.func.attr == "copy"

    kind = {}
    for name, k in evidence.items():
        # evidence counts for parameters and values read out of containers,
        # not for what a function returned (a tuple of results, an array)
        if name not in arrays and all(read_out(s) for s in defs.get(name, ())):
            kind[name] = k

    def of(node):
        if isinstance(node, gast.List):
            return "list"
        if isinstance(node, gast.Tuple):
            return "tuple"
        if isinstance(node, gast.Dict):
            return "dict"
        if isinstance(node, gast.Name):
            return kind.get(node.id)
        return None

    adjoint_lists = set()   # generated code: lists of adjoints, which add element by element
    changed = True
    while changed:
        changed = False
        for name, ss in defs.items():
            if name in kind:
                continue
            found = None
            for s in ss:
                v = s.value
                k = None
                if isinstance(v, (gast.List, gast.Tuple, gast.Dict, gast.Name)):
                    k = of(v)
                    if isinstance(v, gast.Name) and v.id in adjoint_lists:
                        adjoint_lists.add(name)
                elif isinstance(v, gast.BinOp) and isinstance(v.op, gast.Add):
                    k = of(v.left) if of(v.left) in ("list", "tuple") else of(v.right)
                    k = k if k in ("list", "tuple") else None
                    if any(isinstance(a, gast.Name) and a.id in adjoint_lists
                           for a in (v.left, v.right)):
                        adjoint_lists.add(name)
                elif isinstance(v, gast.BinOp) and isinstance(v.op, gast.Mult) and \
                        not any(isinstance(a, gast.Name) and a.id in adjoint_lists
                                for a in (v.left, v.right)):
                    # [x] * n, n * (a, b): a repetition (container_calls' rule "repeat")
                    k = of(v.left) if of(v.left) in ("list", "tuple") else of(v.right)
                    k = k if k in ("list", "tuple") else None
                elif isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
                        v.func.id in KIND_CALLS and v.func.id not in locals_:
                    k = KIND_CALLS[v.func.id]
                elif isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr == "copy" and isinstance(v.func.value, gast.Name):
                    k = kind.get(v.func.value.id)
                elif made_by(v, resolve, runtime.Adjoints):
                    k = "list"          # generated code and helpers: a list of adjoints
                    adjoint_lists.add(name)
                elif made_by(v, resolve, runtime.AdjointDict):
                    k = "dict"
                elif is_zeros_like(v, resolve):
                    # generated code: the adjoint of a list or tuple is a list
                    # (runtime.Adjoints), of a dict or record a dict
                    k = {"list": "list", "tuple": "list", "dict": "dict",
                         "record": "dict"}.get(of(v.args[0]))
                    if k == "list":
                        adjoint_lists.add(name)
                elif isinstance(v, gast.Subscript) and isinstance(v.slice, gast.Slice) and \
                        isinstance(v.value, gast.Name):
                    k = kind.get(v.value.id) if kind.get(v.value.id) in ("list", "tuple") else None
                if k is not None:
                    found = k
                    break
            if found is not None:
                kind[name] = found
                changed = True
    # ``a.tolist()`` (a list, or a number for a 0-d array) and its copies
    tolists = set()
    changed = True
    while changed:
        changed = False
        for name, ss in defs.items():
            if name not in kind and name not in tolists and any(
                    _tolist(s.value) or isinstance(s.value, gast.Name) and s.value.id in tolists
                    for s in ss):
                tolists.add(name)
                changed = True
    # a parameter given to a NumPy ufunc (``np.multiply(L, x)``) may be a list,
    # which NumPy reads as an array and a template's ``t * L`` would repeat
    if resolve is not None:
        a = fn.args
        params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs} - set(kind) - set(wrt)
        for ss in defs.values():
            for s in ss:
                v = s.value
                if params and isinstance(v, gast.Call) and \
                        isinstance(resolve(v.func), np.ufunc):
                    tolists |= {e.id for e in v.args if isinstance(e, gast.Name)} & params
    return Kinds(kind, adjoint_lists, tolists)


def _tolist(v):
    return isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
        v.func.attr == "tolist" and not v.args and not v.keywords


class Kinds(dict):
    """name -> kind, and ``adjoint_lists``: the lists of generated code that
    hold one adjoint per element of a list (``runtime.Adjoints``, made by
    ``zeros_like``), whose ``+`` adds element by element instead of
    concatenating; ``maybe_lists``: values that are lists or numbers
    (``a.tolist()`` of an array of any rank), which NumPy reads as arrays
    all the same (``np.multiply(a.tolist(), x)``)."""

    def __init__(self, kinds=(), adjoint_lists=(), maybe_lists=()):
        super().__init__(kinds)
        self.adjoint_lists = set(adjoint_lists)
        self.maybe_lists = set(maybe_lists)
