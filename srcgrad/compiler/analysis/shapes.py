"""Shapes: which names are certainly scalars, and which certainly have the
same shape as others, so that adjoints are reduced (``unbroadcast``) only
where broadcasting may really have happened.  Scalars are a greatest
fixpoint (every definition makes a scalar; a scalar result makes the
operands of an elementwise operation scalars); same-shape classes are
formed from names with a single definition: copies, elementwise operations
of arrays of one class, reads of one array with indices selecting the same
shape.  ``assumed`` names are taken to be scalars (the gradient specialised
for Python floats, :meth:`Analysis.assuming_scalar`).

>>> from srcgrad.compiler.analysis.show import analysed, names
>>> an = analysed('''
... def f(x, w, c):
...     k = math.cos(c)
...     y = np.sin(x) * k
...     z = y + x
...     s = np.sum(z * w)
...     return s''', wrt="x")
>>> names(an.scalar), same_shape(an, "y", "x"), same_shape(an, "z", "w")
('k out s', True, False)

(An annotation, ``c: float``, is not trusted: Python does not check it.)
>>> sorted(scalar_candidates(an))
['w', 'x']
"""

import gast
import numpy as np

from srcgrad.compiler.analysis.dims import symbolic_dims
from srcgrad.compiler.analysis.ops import iter_assigns
from srcgrad.compiler.analysis.ranks import compute_ranks, copy_graph, copy_sources
from srcgrad.compiler.analysis.syntax import loops, stored
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.rules.registry import _Default
from srcgrad.compiler.ir.walk import inner_nodes


#: np.array(xs) and the like, by the parameter taking the list
VECTOR_OF = {np.array: "object", np.asarray: "a", np.asanyarray: "a"}


def compute_shapes(an, assigns, assumed=(), ranks=None):
    """Shape facts.  ``scalar``: names that are certainly scalars (every
    definition makes a scalar: a greatest fixpoint, so loop-carried
    scalars stay scalars, and the rank-0 names of
    :func:`~srcgrad.compiler.analysis.ranks.compute_ranks`).  Same-shape
    classes are only formed from names with a single definition.
    ``ranks``: parameters assumed to be arrays of these ranks."""
    assumed = set(assumed)
    an.list_items = {}          # list only appended to -> rank of its items
    an.ranks, an.ints = compute_ranks(an, ranks, assumed, an.list_items)
    assumed |= {n for n, r in an.ranks.items() if r == 0}
    # (a parameter annotated ``float`` is not assumed a number: Python does
    # not check annotations, and an array passed there would get a number
    # for its gradient; the float guard's version covers real floats)
    defs = {}
    for s in assigns:
        t = s.targets[0]
        if isinstance(t, gast.Name):
            defs.setdefault(t.id, []).append(s)
    loop_targets = {loop.target.id for loop in loops(an.fn.body)
                    if isinstance(loop, gast.For)}
    parent = {}

    def find(n):
        while parent.get(n, n) != n:
            n = parent[n]
        return n

    def union(a, b):
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[rb] = ra

    scalar = assumed | loop_targets | set(defs)
    shape_parent = {}

    def is_scalar(node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, (int, float, bool)) or node.value is None
        if isinstance(node, _Default):
            return True
        return isinstance(node, gast.Name) and node.id in scalar

    def bool_scalar(v):
        """Whether the (unflattened) test expression ``v`` is certainly a
        scalar: ``not``, ``in`` and ``is`` give bools, an elementwise
        comparison only of scalars, ``and``/``or`` one of their operands."""
        if isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not):
            return True
        if isinstance(v, gast.Compare):
            if all(isinstance(o, (gast.In, gast.NotIn, gast.Is, gast.IsNot)) for o in v.ops):
                return True
            return all(bool_scalar(e) for e in [v.left] + list(v.comparators))
        if isinstance(v, gast.BoolOp):
            return all(bool_scalar(e) for e in v.values)
        return is_scalar(v)

    def makes_scalar(s):
        op, v = s.srcgrad_op, s.value
        if getattr(s, "srcgrad_unbound", False):
            return True      # the placeholder of a name first assigned in a loop (ssa)
        if op.kind == "const":
            value = v.value if isinstance(v, gast.Constant) else an.resolve(v)
            return isinstance(value, (int, float, bool))
        if op.kind == "inactive":
            # a comparison of arrays is an array (``np.array(...) > 0``)
            return bool_scalar(v)
        if op.kind == "copy":
            return is_scalar(op.args["x"])
        if op.kind == "call":
            kind = op.rule.kind
            if kind == "scalar" or op.fun in (len, int, float, bool, round):
                return True
            if kind == "elementwise":
                return all(is_scalar(a) for a in op.args.values())
            if kind == "reduction":     # no axis (None) and no keepdims (False)
                if not isinstance(op.args.get("returned", _Default(False)), _Default):
                    return False        # np.average(..., returned=True): a pair
                return all(isinstance(op.args.get(p), _Default) or
                           isinstance(op.args.get(p), gast.Constant) and
                           (op.args[p].value is None or op.args[p].value is False)
                           for p in ("axis", "keepdims") if p in op.args)
        return False

    changed = True
    while changed:
        changed = False
        for name, ss in defs.items():
            if name in scalar and name not in assumed and \
                    not all(makes_scalar(s) for s in ss):
                scalar.discard(name)
                changed = True
    # Reads of one array value with indices that select the same shape
    # (``x[1:]`` and ``x[:-1]``, ``x[i]`` and ``x[0]``) have one shape.
    in_loops = {n for loop in loops(an.fn.body) for st in walk_stmts(loop.body)
                if isinstance(st, gast.Assign) for t in st.targets
                for n in stored(t)}
    first_of = {}
    for name, ss in defs.items():
        op = ss[0].srcgrad_op
        if len(ss) != 1 or op.kind != "subscript" or not isinstance(op.args["x"], gast.Name):
            continue
        base = op.args["x"].id
        if len(defs.get(base, ())) > 1 or base in in_loops or base in an.kind:
            continue
        key = index_shape_key(op.args["index"], loop_targets)
        if key is None or key == "int" and not _certainly_array(defs.get(base, ())) and \
                not an.ranks.get(base):
            continue        # (x[0], x[1] of a tuple, a list: results of eigh, np.split ...)
        rep = first_of.setdefault((base, key), name)
        if rep != name:     # (not a shape parent: ``rep`` may not have run)
            union(rep, name)
    for name, ss in defs.items():
        if len(ss) != 1:
            continue
        op = ss[0].srcgrad_op
        if op.kind == "copy" and isinstance(op.args["x"], gast.Name):
            union(op.args["x"].id, name)
            if len(defs.get(op.args["x"].id, ())) <= 1:
                shape_parent[name] = op.args["x"].id
        elif op.kind == "call" and op.rule.kind == "elementwise":
            arrays = [a for a in op.args.values() if not is_scalar(a)]
            if arrays and all(isinstance(a, gast.Name) for a in arrays) and \
                    len({find(a.id) for a in arrays}) == 1:
                union(arrays[0].id, name)
                if len(defs.get(arrays[0].id, ())) <= 1:   # one value: one shape
                    shape_parent[name] = arrays[0].id
    an.forward_scalar = set(scalar)
    # list displays of numbers, never changed: NumPy reads them as a vector
    # whose adjoint is the list's (no per-element conversion)
    an.number_lists = {name for name, ss in defs.items()
                       if len(ss) == 1 and isinstance(ss[0].value, gast.List) and
                       ss[0].srcgrad_op.kind == "pack" and name not in an.mutated and
                       all(is_scalar(e) and not isinstance(e, _Default)
                           for e in ss[0].srcgrad_op.args.values())}
    static = _static_shapes(an, assigns, defs, is_scalar)
    by_shape = {}
    for name, shape in static.items():
        union(by_shape.setdefault(shape, name), name)
    for name, shape in symbolic_dims(an, is_scalar).items():     # (A @ m and K @ v)
        if shape:
            union(by_shape.setdefault(("dims",) + shape, name), name)
    # Backward: grad checks at run time that the result is a scalar, and
    # an elementwise operation with a scalar result has scalar operands --
    # where that operation runs.  The operand's definition (and its adjoint)
    # runs whenever the operation does only if every definition is in the
    # operation's block or one nested in it: an operand made before a branch
    # or loop and used inside it may be an array on the paths that skip the
    # use (its adjoint is then the zero, broadcast against an array).  And
    # only an operand with one definition: of a name a loop or a branch
    # assigns again, only the definition that reaches the use is a scalar.
    if getattr(an, "scalar_result", True):
        scalar.add(an.result)
    block = _blocks(an.fn.body)
    position = _positions(an.fn.body)
    loop_ids = {id(loop) for loop in loops(an.fn.body)}
    changed = True
    while changed:
        changed = False
        for s in reversed(assigns):
            t = s.targets[0]
            if not isinstance(t, gast.Name) or t.id not in scalar:
                continue
            op = s.srcgrad_op
            if op.kind == "copy" or op.kind == "call" and op.rule.kind == "elementwise":
                where = block.get(id(s), ())
                for a in op.args.values():
                    if isinstance(a, gast.Name) and a.id not in scalar and \
                            _accumulator(a.id, defs, s, position, block, loop_ids):
                        scalar.add(a.id)
                        changed = True
                    if isinstance(a, gast.Name) and a.id not in scalar and \
                            len(defs.get(a.id, ())) <= 1 and all(
                            block.get(id(d), ())[:len(where)] == where
                            for d in defs.get(a.id, ())):
                        scalar.add(a.id)
                        changed = True
    an.scalar = scalar
    an._find = find
    an.shape_parent = shape_parent


def _static_shapes(an, assigns, defs, is_scalar):
    """Shapes known when the code is generated: ``np.array([a, b])`` of
    numbers is ``(2,)``, and so is an elementwise operation of it with
    numbers and vectors (any other vector broadcasts to it or raises).
    Returns the shape of each name with one definition.

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> an = analysed('''
    ... def f(u, c):
    ...     a = math.sin(c)
    ...     k = np.array([a * 2.0, a])
    ...     for i in range(3):
    ...         u = u + 0.5 * k
    ...     return np.sum(u)''', wrt="c")
    >>> sorted(an.static_shape.items())
    [('k', (2,)), ('u_1', (2,))]
    """
    ranks = getattr(an, "ranks", {})
    static = {}
    for s in assigns:
        t, op = s.targets[0], s.srcgrad_op
        if not isinstance(t, gast.Name):
            continue
        shape = None
        if op.kind == "call" and op.fun in VECTOR_OF and \
                isinstance(op.args.get(VECTOR_OF[op.fun]), gast.Name):
            listed = op.args[VECTOR_OF[op.fun]].id
            if listed in an.number_lists:
                shape = (len(defs[listed][0].value.elts),)
        elif op.kind == "copy" and isinstance(op.args["x"], gast.Name):
            shape = static.get(op.args["x"].id)
        elif op.kind == "call" and getattr(op.rule, "joint_facts", None) is not None:
            # a helper with an adjoint function of its own: its analysis's shape
            # of the result, for the ranks of these arguments (Driver.joint_facts)
            given = {p: 0 if is_scalar(a) else ranks.get(getattr(a, "id", None))
                     for p, a in op.args.items()}
            shape = op.rule.joint_facts({p: r for p, r in given.items() if isinstance(r, int)})[1]
        else:
            shape = _elementwise_shape(op, static, ranks, is_scalar)
        if shape is not None and len(defs.get(t.id, ())) == 1:
            static[t.id] = shape
    an.static_shape = static
    return static


def _elementwise_shape(op, static, ranks, is_scalar):
    """The shape of an elementwise operation's result when one operand's is
    known (without axes of length 1) and no other operand has more axes."""
    if op.kind != "call" or op.rule is None or op.rule.kind != "elementwise":
        return None
    arrays = [a for a in op.args.values() if not is_scalar(a)]
    known = {static[a.id] for a in arrays if isinstance(a, gast.Name) and a.id in static}
    if len(known) != 1:
        return None
    shape = known.pop()
    if 1 in shape or not all(isinstance(a, gast.Name) and
                             (a.id in static or ranks.get(a.id, 99) <= len(shape))
                             for a in arrays):
        return None
    return shape


def fits_result(an, s, name):
    """Whether ``name``, an operand of the assignment ``s``, certainly has
    the shape of its result (no reduction of the adjoint needed)."""
    static = getattr(an, "static_shape", {})
    if name not in static:
        return False

    def is_scalar(node):
        if isinstance(node, gast.Constant):
            return isinstance(node.value, (int, float, bool)) or node.value is None
        return isinstance(node, _Default) or \
            isinstance(node, gast.Name) and node.id in an.forward_scalar
    return _elementwise_shape(s.srcgrad_op, static, an.ranks, is_scalar) == static[name]


def _accumulator(name, defs, use, position, block, loop_ids):
    """Whether every value ``name`` ever holds is in one chain that ends in
    the value read at ``use`` (a statement in no loop), each link an
    elementwise operation of the one before (directly, ``acc = acc + t``,
    or through values made of it in the same block, ``acc_1 = acc + t;
    acc = acc_1 + u``): ``acc = 0.0`` outside loops, then only links, all
    in ``use``'s block before it.  Broadcasting never lowers a rank, so a
    scalar at ``use`` makes every value in the chain, and every operand of
    its links, a scalar."""
    ds = defs.get(name, ())
    where = block.get(id(use))
    if where is None or len(ds) < 2 or any(b in loop_ids for b, _ in where):
        return False
    depth, starts = len(where), 0
    for d in ds:
        path = block.get(id(d))
        if path is None or path[:depth] != where:
            return False          # not in use's block (or in a nested function)
        ancestor = path[depth][0] if len(path) > depth else id(d)
        if position[ancestor] >= position[id(use)]:
            return False          # after the use
        if _link(d, name, defs, position, block, 3):
            continue
        # the one start: runs once (no loop around it), before every link
        if any(b in loop_ids for b, _ in path):
            return False
        starts += 1
    return starts == 1


def _link(d, name, defs, position, block, depth):
    """Whether the assignment ``d`` is an elementwise operation of ``name``'s
    value, or of a value made so just before it in its block (``depth``
    steps at most) with no assignment of ``name`` in between."""
    op = d.srcgrad_op
    if not (op.kind == "copy" or op.kind == "call" and op.rule is not None and
            op.rule.kind == "elementwise"):
        return False
    for a in op.args.values():
        if not isinstance(a, gast.Name):
            continue
        if a.id == name:
            return True
        made = defs.get(a.id, ())
        if depth > 1 and len(made) == 1 and block.get(id(made[0])) == block.get(id(d)) and \
                position[id(made[0])] < position[id(d)] and \
                _link(made[0], name, defs, position, block, depth - 1) and \
                not _assigned_between(name, defs, block, block.get(id(d)), position,
                                      position[id(made[0])], position[id(d)]):
            return True
    return False


def _assigned_between(name, defs, block, path, position, start, stop):
    """Whether ``name`` is assigned in the statements of the block ``path``
    strictly between positions ``start`` and ``stop`` (or inside them)."""
    depth = len(path)
    for d in defs.get(name, ()):
        other = block.get(id(d))
        if other is None or other[:depth] != path:
            continue
        ancestor = other[depth][0] if len(other) > depth else id(d)
        if start < position[ancestor] < stop:
            return True
    return False


def _positions(stmts):
    """Each statement's index in the list of statements it is in, by ``id``."""
    out = {}
    for k, s in enumerate(stmts):
        out[id(s)] = k
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and not isinstance(s, gast.FunctionDef):
                out.update(_positions(inner))
    return out


def _certainly_array(base_defs):
    """Whether the one definition in ``base_defs`` certainly makes an array
    (an elementwise, reduction or scalar primitive), not a tuple or list
    whose items may differ in shape (a parameter, ``np.linalg.eigh(a)``,
    ``np.split(x, 2)``)."""
    if len(base_defs) != 1:
        return False
    op = base_defs[0].srcgrad_op
    return op.kind == "call" and op.rule is not None and \
        op.rule.kind in ("elementwise", "reduction", "scalar")


def _blocks(stmts, path=()):
    """For each statement (by ``id``), the blocks it is nested in: a tuple of
    ``(id(compound statement), field)`` from the function body inwards."""
    out = {}
    for s in stmts:
        out[id(s)] = path
        for field in ("body", "orelse"):
            inner = getattr(s, field, None)
            if isinstance(inner, list) and not isinstance(s, gast.FunctionDef):
                out.update(_blocks(inner, path + ((id(s), field),)))
    return out


def shape_chain(an, name):
    """``name`` and the values it was computed from elementwise, which
    certainly have its shape (earliest last)."""
    chain = [name]
    while chain[-1] in an.shape_parent and len(chain) < 50:
        chain.append(an.shape_parent[chain[-1]])
    return chain


def same_shape(an, a, b):
    """Whether names ``a`` and ``b`` certainly have the same shape."""
    if a == b:
        return True
    if a in an.scalar and b in an.scalar:
        return True
    return an._find(a) == an._find(b)


def scalar_candidates(an, numbers=False):
    """Parameters that flow into active operations and are used only as
    operands of elementwise or scalar operations (so they may well be
    Python floats); the gradient is specialised for them being floats.
    ``numbers``: instead, those that are also compared in a ``while`` test
    (``while t < T``: an int or a float), for which it is specialised
    for them being numbers."""
    params = {a.id for a in an.fn.args.args + an.fn.args.kwonlyargs
              + an.fn.args.posonlyargs}
    used, excluded = set(), set()
    for s in iter_assigns(an.fn.body):
        elementwise = _elementwise(s)
        t = s.targets[0]
        for n in inner_nodes(s.value):
            if isinstance(n, gast.Name) and n.id in params:
                if not elementwise:
                    excluded.add(n.id)
                elif isinstance(t, gast.Name) and t.id in an.active:
                    used.add(n.id)
    tested = set()
    for loop in loops(an.fn.body):
        test = loop.iter if isinstance(loop, gast.For) else loop.test
        compared = isinstance(test, gast.Compare) and all(
            isinstance(o, (gast.Lt, gast.LtE, gast.Gt, gast.GtE)) for o in test.ops)
        for n in inner_nodes(test):
            if isinstance(n, gast.Name):
                (tested if compared else excluded).add(n.id)
    # an array indexed or written anywhere (or a copy of it) was not computed from floats
    graph = copy_graph(an)
    for s in iter_assigns(an.fn.body):
        op = s.srcgrad_op
        if op.kind in ("subscript", "setitem") and isinstance(op.args["x"], gast.Name):
            for name in copy_sources(an, op.args["x"].id, graph):
                excluded.update(shape_chain(an, name))
        # (and one a helper with an adjoint function of its own indexes, or uses
        # other than as a float: joint.py, Driver.joint_facts)
        facts = getattr(getattr(op, "rule", None), "joint_facts", None)
        if facts is not None:
            floats = facts({})[2]
            for pname, a in op.args.items():
                if isinstance(a, gast.Name) and pname not in floats:
                    for name in copy_sources(an, a.id, graph):
                        excluded.update(shape_chain(an, name))
    if numbers:
        return (used & tested - excluded - an.forward_scalar) & params
    return (used - tested - excluded - an.forward_scalar) & params


def _elementwise(s):
    """Whether assignment ``s`` computes its target elementwise (or as a
    scalar operation, a copy, a comparison) from the names it reads."""
    op = s.srcgrad_op
    return op.kind == "copy" or op.kind == "call" and \
        op.rule.kind in ("elementwise", "scalar") or \
        op.kind == "inactive" and isinstance(s.value, (gast.Compare, gast.BoolOp))


def _reads(node, names):
    """Whether ``node`` reads one of ``names``."""
    return any(isinstance(n, gast.Name) and n.id in names and isinstance(n.ctx, gast.Load)
               for n in inner_nodes(node))


def _scalar_in_practice(stmts, p):
    """Whether ``p`` is a number whenever the function runs, judged from the
    values computed from it elementwise (directly or through others): all
    of them are (a scalar result then makes ``p`` a scalar), or one decides
    an ``if`` or ``while`` (an array there raises: its truth is ambiguous)."""
    tainted, changed, other = {p}, True, False
    while changed:                  # (loops: until no new name is tainted)
        changed = False
        for s in stmts:
            if isinstance(s, (gast.If, gast.While)):
                if isinstance(s.test, gast.Name) and s.test.id in tainted:
                    return True
                continue
            if isinstance(s, gast.Assign) and _elementwise(s):
                new = set(stored(s.targets[0])) - tainted if _reads(s.value, tainted) else ()
                if new:
                    tainted |= new
                    changed = True
            elif isinstance(s, gast.Return) and isinstance(s.value, gast.Name):
                continue
            elif _reads(s.iter if isinstance(s, gast.For) else s, tainted):
                other = True
    return not other


def guard_candidates(an):
    """The parameters the float version of a gradient assumes are Python
    floats (and its guard tests): the :func:`scalar_candidates` that are
    differentiated (``an.wrt``), and others (data) only when they are
    numbers in practice: every value computed from them is computed
    elementwise (a scalar result then makes them scalars), or one of those
    decides a branch, or they have a float default or are given to a
    ``math`` function.  A data argument that
    reaches a reduction (``np.sum(w * Y)``) is an array in practice: a guard
    testing it would make the float version dead code for array programs.

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> an = analysed('''
    ... def f(x, t, Y):
    ...     y = np.sin(x * t)
    ...     return np.sum(y * Y)''', wrt="x")
    >>> sorted(scalar_candidates(an)), sorted(guard_candidates(an))
    (['Y', 't', 'x'], ['x'])
    >>> an = analysed('''
    ... def f(x, t):
    ...     y = np.sin(x * t)
    ...     return y * t''', wrt="x")
    >>> sorted(guard_candidates(an))
    ['t', 'x']
    >>> an = analysed('''
    ... def f(x, t, k=2.0):
    ...     return np.sum(x * t * k) + math.cos(t)''', wrt="x")
    >>> sorted(guard_candidates(an))
    ['k', 't', 'x']
    """
    candidates = scalar_candidates(an)
    wrt = candidates & set(an.wrt)
    stmts = list(walk_stmts(an.fn.body))
    floats = _float_evidence(an, stmts)
    return wrt | {p for p in candidates - wrt if p in floats or _scalar_in_practice(stmts, p)}


def _float_evidence(an, stmts):
    """Parameters that are numbers in practice: those with a float default
    (``scale=2.0``) and those given to a function of the ``math`` module
    (``math.cos(y)``), which takes numbers only."""
    a = an.fn.args
    positional = a.posonlyargs + a.args
    pairs = list(zip(positional[len(positional) - len(a.defaults):], a.defaults)) + \
        list(zip(a.kwonlyargs, a.kw_defaults))
    out = {p.id for p, d in pairs if isinstance(d, gast.Constant) and type(d.value) is float}
    for s in stmts:
        op = getattr(s, "srcgrad_op", None)
        if op is not None and op.kind == "call" and \
                getattr(op.fun, "__module__", None) == "math":
            out |= {v.id for v in op.args.values() if isinstance(v, gast.Name)}
    return out


def index_shape_key(index, ints):
    """A key such that two reads ``x[i]``, ``x[j]`` of one array with equal
    keys certainly have the same shape, or None.  ``a:b`` with ``a >= 0``
    and ``b <= 0`` (or omitted) selects ``max(0, n - (a - b))`` of ``n``
    items, so ``x[1:]`` and ``x[:-1]`` agree; any integer (a constant or a
    ``range`` loop variable, ``ints``) removes its axis."""
    def const_int(node):
        return isinstance(node, gast.Constant) and type(node.value) is int

    if isinstance(index, gast.Tuple):
        keys = tuple(index_shape_key(e, ints) for e in index.elts)
        return None if any(k is None for k in keys) else ("tuple",) + keys
    if const_int(index) or isinstance(index, gast.Name) and index.id in ints:
        return "int"
    if isinstance(index, gast.Constant) and (index.value is None or index.value is Ellipsis):
        return repr(index.value)
    if isinstance(index, gast.Slice):
        parts = (index.lower, index.upper, index.step)
        if not all(p is None or const_int(p) or isinstance(p, gast.UnaryOp) and
                   isinstance(p.op, gast.USub) and const_int(p.operand) for p in parts):
            return None
        lo, up, st = (None if p is None else p.value if const_int(p) else -p.operand.value
                      for p in parts)
        if st is None and (lo is None or lo >= 0) and (up is None or up <= 0):
            return ("shift", (lo or 0) - (up or 0))
        return ("slice", lo, up, st)
    return None
