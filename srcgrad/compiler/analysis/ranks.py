"""Ranks: the number of axes (``ndim``) a name certainly has, and the names
that certainly hold integers, so that an element read ``out[i]`` of an array
of known rank is known to be a scalar (no ``unbroadcast``, no ``.copy()``, no
memory shared with ``out``).

Facts come from integer loop variables (``for i in range(n)``), shapes
(``x.shape[0]``, ``len(x)``), constants, NumPy constructors with a known shape
(``np.zeros(n)``, ``np.zeros((n, m))``, ``np.zeros_like(a)``), elementwise
operations (the largest operand rank), reductions over everything, reads with
integer and slice indices, and the ranks ``assumed`` for parameters (the
version of the gradient behind a guard ``x.ndim == 1``).  A least fixpoint
over every definition of a name; a name defined any other way (unpacking, a
``with`` target, a call srcgrad knows nothing about) has no rank.

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(x, w):
...     n = x.shape[0] - 2
...     out = np.zeros(n)
...     acc = 0.0
...     for i in range(n):
...         out[i] = x[i] * w[i]
...         acc = acc + out[i] * 2.0
...     return acc''', wrt="x")
>>> ranks, ints = compute_ranks(an, {"x": 1})     # w: unknown
>>> sorted((k, v) for k, v in ranks.items() if not k.startswith("n"))
[('acc', 0), ('acc_1', 0), ('acc_2', 0), ('i', 0), ('out', 1), ('out_1', 0), ('value', 0), ('x', 1)]
>>> sorted(ints)
['i', 'n', 'n_2']
>>> element_rank(ranks, ints, "out", gast.Name(id="i", ctx=gast.Load()))
0
"""

import operator

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import iter_assigns
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.walk import inner_nodes
from srcgrad.rules.registry import _Default

_UNKNOWN = "?"
_MAKERS = {np.zeros: "shape", np.ones: "shape", np.empty: "shape", np.full: "shape"}
_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like, np.copy}
_MATRICES = {np.eye, np.identity}
#: matrix products: the parameters of the two factors
_PRODUCTS = {operator.matmul: ("x", "y"), np.matmul: ("x", "y"), np.dot: ("a", "b")}
_INT_OPS = {operator.add, operator.sub, operator.mul, operator.floordiv, operator.mod,
            operator.neg, operator.pos, abs}


def compute_ranks(an, assumed=None, scalars=(), lists=None, _optimistic=True):
    """``(ranks, ints)``: the rank of every name whose rank is certain, and
    the names certainly holding integers (never bools).  ``assumed`` maps
    parameters to the rank a guard checks; ``scalars``: parameters assumed
    to be Python floats.  ``lists`` (a dict), if given, gets the rank of
    the items of each list only ever appended to (when certain)."""
    assumed = dict(assumed or {})
    fn = an.fn
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    simple, loop_ints, stores, eligible, order, displays, growing = _structure(an)
    start = {}
    for p in params:
        if p in assumed:
            start[p] = assumed[p]
        elif p in scalars:
            start[p] = 0
        else:
            start[p] = _UNKNOWN
    ranks = {n: r for n, r in start.items()}
    ints = set(loop_ints)
    int_tuples = {}            # name -> length (-1: unknown): x.shape, (n, m) of integers
    items = {}                 # list display -> the rank all its items have

    def rank_of(node):
        if isinstance(node, gast.Constant):
            if type(node.value) in (int, float, bool, complex):
                return 0
            return _UNKNOWN
        if isinstance(node, _Default):
            return None
        if isinstance(node, gast.Name):
            if node.id in ranks:
                return ranks[node.id]
            if node.id in eligible:
                return None          # not computed yet (optimistic)
            value = an.resolve(node)
            return _value_rank(value)
        return _UNKNOWN

    def is_int(node):
        if isinstance(node, gast.Constant):
            return type(node.value) is int
        return isinstance(node, gast.Name) and node.id in ints

    def evaluate(s):
        """(rank, is_int, int_tuple_length) of the value ``s`` assigns."""
        op, v = s.srcgrad_op, s.value
        if getattr(s, "srcgrad_unbound", False):
            return None, True, None          # never read as a value (ssa placeholder)
        kind = op.kind
        if kind == "const":
            value = v.value if isinstance(v, gast.Constant) else an.resolve(v)
            return _value_rank(value), type(value) is int, None
        if kind == "copy":
            x = op.args["x"]
            return rank_of(x), is_int(x), int_tuples.get(getattr(x, "id", None))
        if isinstance(v, gast.Attribute) and isinstance(v.value, gast.Name):
            base = rank_of(v.value)
            if v.attr == "shape":          # integers; how many, when the rank is known
                return _UNKNOWN, False, base if isinstance(base, int) else -1
            if v.attr in ("ndim", "size"):
                return 0, True, None
            if v.attr in ("T", "real") and isinstance(base, int) and base <= 2:
                return base, False, None
            return _UNKNOWN, False, None
        if kind == "subscript":
            x, index = op.args["x"], op.args["index"]
            if isinstance(x, gast.Name) and x.id in int_tuples and is_int(index):
                return 0, True, None
            if isinstance(x, gast.Name) and x.id in growing:
                # an item of a list only ever appended to: the rank of its items
                return (items.get(x.id) if is_int(index) else _UNKNOWN), False, None
            return _element_rank(rank_of(x), ints, index), False, None
        if kind == "pack":
            elts = list(op.args.values())
            if elts and all(is_int(e) for e in elts):
                return _UNKNOWN, False, len(elts)
            return _UNKNOWN, False, None
        if kind == "inactive" and isinstance(v, gast.Compare):
            if any(isinstance(o, (gast.In, gast.NotIn, gast.Is, gast.IsNot)) for o in v.ops):
                return 0, False, None
            return _join_max([rank_of(e) for e in [v.left] + list(v.comparators)]), False, None
        if kind == "inactive" and isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not):
            return 0, False, None
        if kind == "call" and getattr(op.rule, "joint_facts", None) is not None:
            # a helper with an adjoint function of its own: the rank its own
            # analysis gives its result for these arguments' ranks (Driver.joint_facts)
            given = {p: rank_of(a) for p, a in op.args.items()}
            if any(r is None for r in given.values()):
                return None, False, None
            facts = op.rule.joint_facts({p: r for p, r in given.items() if isinstance(r, int)})
            return facts[0], False, None
        if kind != "call" or op.rule is None:
            return _UNKNOWN, False, None
        fun, rule = op.fun, op.rule
        if fun in (len, int):
            return 0, True, None
        if fun in (float, bool):
            return 0, False, None
        if rule.kind == "scalar":
            return 0, False, None
        if rule.kind == "elementwise":
            operands = [a for a in op.args.values()
                        if not isinstance(a, _Default) and
                        not (isinstance(a, gast.Constant) and a.value is None)]
            r = _join_max([rank_of(a) for a in operands])
            whole = bool(operands) and all(is_int(a) for a in operands)
            return r, whole and fun in _INT_OPS, None
        if rule.kind == "reduction":
            if not isinstance(op.args.get("returned", _Default(False)), _Default):
                return _UNKNOWN, False, None
            plain = all(isinstance(op.args.get(p), _Default) or
                        isinstance(op.args.get(p), gast.Constant) and
                        (op.args[p].value is None or op.args[p].value is False)
                        for p in ("axis", "keepdims") if p in op.args)
            return (0 if plain else _UNKNOWN), False, None
        try:
            maker = fun in _MAKERS
            like = fun in _LIKE
            product = _PRODUCTS.get(fun)
            matrix = fun in _MATRICES
        except TypeError:
            return _UNKNOWN, False, None
        if matrix:
            return 2, False, None
        if product is not None:
            return _product_rank(*(rank_of(_argument(op, p, k) or gast.Constant(value="?"))
                                   for k, p in enumerate(product))), False, None
        if fun is np.linalg.inv or fun is np.linalg.det:
            r = rank_of(_argument(op, "a", 0) or gast.Constant(value="?"))
            if r is None or r == _UNKNOWN or r < 2:
                return (None if r is None else _UNKNOWN), False, None
            return (r if fun is np.linalg.inv else r - 2), False, None
        if maker:
            shape = _argument(op, "shape", 0)
            if is_int(shape):
                return 1, False, None
            if isinstance(shape, gast.Name) and int_tuples.get(shape.id, -1) >= 0:
                return int_tuples[shape.id], False, None
            return _UNKNOWN, False, None
        if fun in (np.array, np.asarray):
            a = _argument(op, "object" if fun is np.array else "a", 0)
            if _only_argument(op) and isinstance(a, gast.Name) and a.id in displays:
                r = items.get(a.id)          # a list of items of equal ranks
                return (r + 1 if isinstance(r, int) else r), False, None
            r = rank_of(a) if _only_argument(op) and isinstance(a, gast.Name) else _UNKNOWN
            # np.array(2.0) is a 0-d array, not a number: no rank claimed
            return (r if r is None or isinstance(r, int) and r > 0 else _UNKNOWN), False, None
        if like:
            if _argument(op, "shape", 4) is not None:
                return _UNKNOWN, False, None
            return rank_of(_argument(op, "a", 0)), False, None
        return _UNKNOWN, False, None

    # the least fixpoint: ranks only grow towards _UNKNOWN, int facts only shrink
    candidates = set(ints) | {n for n in simple if n in eligible}
    ints = set(candidates)
    changed = True
    while changed:
        changed = False
        for name, s in displays.items():
            r = _join_all([rank_of(e) for e in s.srcgrad_op.args.values()])
            if items.get(name) != r:
                items[name] = r
                changed = True
        for name, elts in growing.items():
            # optimistic: an appended value not known yet (made of the list's
            # own items: xs.append(xs[i] * 0.9)) is left out until it is
            ranks_in = [rank_of(e) for e in elts]
            r = _join_all([x for x in ranks_in if x is not None] if _optimistic and
                          any(x is not None for x in ranks_in) else ranks_in)
            if items.get(name) != r:
                items[name] = r
                changed = True
        for name in order:
            results = [(0, True, None)] if name in loop_ints else []
            results += [evaluate(s) for s in simple.get(name, ())]
            r = start.get(name)
            for rr, _, _ in results:
                r = _join(r, rr)
            whole = all(i for _, i, _ in results) and (name not in start)
            lengths = {t for _, _, t in results}
            length = lengths.pop() if len(lengths) == 1 else None
            r = _join(ranks.get(name), r)
            if r is not None and ranks.get(name) != r:
                ranks[name] = r
                changed = True
            if not whole and name in ints:
                ints.discard(name)
                changed = True
            if length is not None and int_tuples.get(name) != length:
                int_tuples[name] = length
                changed = True
            elif length is None and name in int_tuples:
                del int_tuples[name]
                changed = True
    if _optimistic and any(rank_of(e) is None for elts in growing.values() for e in elts):
        # a value left out never became known: the optimistic items may be wrong
        return compute_ranks(an, assumed, scalars, lists, _optimistic=False)
    ints &= candidates
    if lists is not None:
        lists.update({n: items[n] for n in growing if isinstance(items.get(n), int)})
    known = {n: r for n, r in ranks.items() if isinstance(r, int)}
    return known, ints


def _structure(an):
    """What :func:`compute_ranks` reads of the function, whatever is assumed
    (computed once per analysis): the simple definitions of each name, the
    integer loop variables, how often each name is stored, the names whose
    every store is one of those, these in the order the code first defines
    them (so few passes converge), and the list displays."""
    cached = getattr(an, "_rank_structure", None)
    if cached is not None and cached[0] is an.fn:
        return cached[1]
    fn = an.fn
    simple, loop_ints, stores, order = {}, set(), {}, []
    for n in inner_nodes(fn):
        if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
            if n.id not in stores:
                order.append(n.id)
            stores[n.id] = stores.get(n.id, 0) + 1
    for s in iter_assigns(fn.body):
        t = s.targets[0]
        if len(s.targets) == 1 and isinstance(t, gast.Name) and \
                getattr(s, "srcgrad_op", None) is not None:
            simple.setdefault(t.id, []).append(s)
    for loop in walk_stmts(fn.body):
        if isinstance(loop, gast.For) and isinstance(loop.target, gast.Name) and \
                isinstance(loop.iter, gast.Call) and an.resolve(loop.iter.func) is range:
            loop_ints.add(loop.target.id)
    # a name some other statement stores (unpacking, with, a non-range loop) is unknown
    counted = {name: len(ss) for name, ss in simple.items()}
    for name in loop_ints:
        counted[name] = counted.get(name, 0) + 1
    eligible = {n for n in stores if stores[n] == counted.get(n, 0) and n not in an.kind}
    order = [n for n in order if n in eligible]
    made = (simple, loop_ints, stores, eligible, order, _displays(an, simple, stores),
            _growing_lists(an, simple, stores))
    an._rank_structure = (fn, made)
    return made


def _growing_lists(an, simple, stores):
    """Lists made once by a display and then only appended to, indexed,
    measured (``len``) or made an array of: name -> the nodes of its items
    (the display's and every appended value), whose ranks its items have.
    Anything else that reads the list (a copy, a call that may change it,
    an item assignment) leaves it out."""
    out = {n: list(ss[0].value.elts) for n, ss in simple.items()
           if len(ss) == 1 and stores[n] == 1 and isinstance(ss[0].value, gast.List) and
           ss[0].srcgrad_op.kind == "pack" and
           not any(isinstance(e, gast.Starred) for e in ss[0].value.elts)}
    if not out:
        return out
    allowed = set()
    for s in walk_stmts(an.fn.body):
        op = getattr(s, "srcgrad_op", None)
        if op is None:
            continue
        x = op.args.get("x")
        if op.kind == "append" and isinstance(x, gast.Name) and x.id in out:
            allowed.add(id(x))
            out[x.id].append(op.args["v"])
        elif op.kind == "subscript" and isinstance(x, gast.Name) and x.id in out:
            allowed.add(id(x))
    return _read_only_through(an, out, (len, np.array, np.asarray), allowed)


def _displays(an, simple, stores):
    """List displays stored once and only ever read as the argument of
    ``np.array``/``np.asarray`` (so never changed): name -> statement."""
    out = {n: ss[0] for n, ss in simple.items() if len(ss) == 1 and stores[n] == 1 and
           isinstance(ss[0].value, gast.List) and ss[0].srcgrad_op.kind == "pack"}
    return _read_only_through(an, out, (np.array, np.asarray), set())


def _read_only_through(an, out, funcs, allowed):
    """``out`` without the names read other than by the reads ``allowed``
    (ids of Name nodes) or as the one argument of a call to one of ``funcs``."""
    if not out:
        return out
    nodes = inner_nodes(an.fn)
    for node in nodes:
        if isinstance(node, gast.Call) and len(node.args) == 1 and not node.keywords and \
                isinstance(node.args[0], gast.Name) and node.args[0].id in out and \
                an.resolve(node.func) in funcs:
            allowed.add(id(node.args[0]))
    for node in nodes:
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id in out and id(node) not in allowed:
            del out[node.id]
    return out


def _argument(op, name, position):
    """The node given for parameter ``name`` (at ``position``) of a call,
    whether its rule binds parameters or keeps ``args``/``kwargs``; None
    when not given."""
    if "args" in op.args and isinstance(op.args["args"], tuple):
        args, kwargs = op.args["args"], op.args.get("kwargs") or {}
        if name in kwargs:
            return kwargs[name]
        return args[position] if position < len(args) else None
    v = op.args.get(name)
    return None if v is None or isinstance(v, _Default) else v


def _only_argument(op):
    """Whether a call was given its first argument only (``np.array(x)``,
    not ``np.array(x, ndmin=2)``)."""
    if "args" in op.args and isinstance(op.args["args"], tuple):
        return len(op.args["args"]) == 1 and not op.args.get("kwargs")
    return all(isinstance(v, _Default) for v in list(op.args.values())[1:])


def _value_rank(value):
    if type(value) in (int, float, bool, complex) or isinstance(value, np.generic):
        return 0
    if type(value) is np.ndarray:
        return value.ndim
    return _UNKNOWN


def _join(a, b):
    if a is None:
        return b
    if b is None:
        return a
    return a if a == b else _UNKNOWN


def _join_all(rs):
    """The rank every one of ``rs`` has (None: not known yet)."""
    r = None
    for x in rs:
        if x is None:
            return None
        r = _join(r, x)
    return _UNKNOWN if r is None else r


def _join_max(rs):
    """The rank of a broadcast of operands of ranks ``rs``."""
    if any(r == _UNKNOWN for r in rs):
        return _UNKNOWN
    known = [r for r in rs if r is not None]
    if len(known) < len(rs):
        return None          # an operand not known yet (the fixpoint's optimistic start)
    return max(known) if known else _UNKNOWN


def _product_rank(rx, ry):
    """The rank of ``x @ y`` for factors of ranks 1 and 2 (vector or matrix)."""
    if rx == _UNKNOWN or ry == _UNKNOWN:
        return _UNKNOWN
    if rx is None or ry is None:
        return None
    if rx not in (1, 2) or ry not in (1, 2):
        return _UNKNOWN
    return rx + ry - 2


def element_rank(ranks, ints, x, index):
    """The rank of ``x[index]`` (``x`` a name of known rank) when certain:
    integers remove an axis, slices keep one, ``None`` adds one.  A read
    that removes every axis is a scalar (a copy, never a view); an index
    with ``...`` or anything else is unknown."""
    return _element_rank(ranks.get(x, _UNKNOWN), ints, index)


def _element_rank(base, ints, index):
    if base is None:
        return None              # not known yet (the fixpoint's optimistic start)
    if not isinstance(base, int):
        return _UNKNOWN
    parts = index.elts if isinstance(index, gast.Tuple) else [index]
    removed = added = 0
    for p in parts:
        if isinstance(p, gast.Constant) and type(p.value) is int or \
                isinstance(p, gast.Name) and p.id in ints:
            removed += 1
        elif isinstance(p, gast.Slice):
            pass
        elif isinstance(p, gast.Constant) and p.value is None:
            added += 1
        else:
            return _UNKNOWN
    if removed > base:
        return _UNKNOWN
    return base - removed + added


def copy_sources(an, name, graph=None):
    """``name`` and the names it may be a copy of (``u = u0``, through every
    definition that is a plain copy).  ``graph``: :func:`copy_graph`."""
    graph = copy_graph(an) if graph is None else graph
    seen, todo = {name}, [name]
    while todo:
        for src in graph.get(todo.pop(), ()):
            if src not in seen:
                seen.add(src)
                todo.append(src)
    return seen


def copy_graph(an):
    """name -> the names some definition of it plainly copies."""
    graph = {}
    for s in iter_assigns(an.fn.body):
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind == "copy" and isinstance(s.targets[0], gast.Name) and \
                isinstance(op.args["x"], gast.Name):
            graph.setdefault(s.targets[0].id, set()).add(op.args["x"].id)
    return graph
