"""Rank guesses: the ranks the specialised version of a gradient assumes for
its array arguments, behind a guard (``type(x) is not ndarray or x.ndim != 1``),
from how the code reads them; :mod:`srcgrad.compiler.analysis.ranks` then
derives the ranks of everything else from these.  A wrong guess costs speed
only: the guard sends the call to the generic version.

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(A, ys, m):
...     acc = 0.0
...     for t in range(ys.shape[0]):
...         v = ys[t] - A @ m
...         acc = acc + np.sum(v * v) + np.sum(A.T)
...     return acc''', wrt="A")
>>> rank_candidates(an)
{'A': 2}
"""

import operator

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import iter_assigns
from srcgrad.compiler.analysis.ranks import compute_ranks, copy_graph, copy_sources
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.walk import name_nodes


def rank_candidates(an, scalars=()):
    """Parameters worth a version of the gradient for arrays of a given rank:
    read or written with integer indices only (``x[i]``, ``A[i, j]``,
    directly or through a copy ``u = u0``), the guessed rank being the most
    integers such a read uses, plus one for each axis the code then treats
    as an array (``np.sum(pos[i] - pos[j])``: ``pos[i]`` is a row, not a number).
    A parameter whose ``.T`` is read is guessed a matrix.  ``scalars``:
    parameters the same version assumes to be numbers."""
    fn = an.fn
    params = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
    guess = {}
    ints = an.ints if hasattr(an, "ints") else compute_ranks(an)[1]
    graph = copy_graph(an)
    for s in iter_assigns(fn.body):
        op = getattr(s, "srcgrad_op", None)
        if op is None or op.kind not in ("subscript", "setitem"):
            continue
        x = op.args["x"]
        if not isinstance(x, gast.Name) or x.id in an.kind:
            continue
        index = op.args["index"]
        parts = index.elts if isinstance(index, gast.Tuple) else [index]
        if all(isinstance(p, gast.Constant) and type(p.value) is int or
               isinstance(p, gast.Name) and p.id in ints for p in parts):
            for p in copy_sources(an, x.id, graph) & params:
                if p not in an.kind:
                    guess[p] = max(guess.get(p, 0), len(parts))
    for p in sorted(_transposed(an, graph) & params - set(an.kind)):
        guess[p] = max(guess.get(p, 0), 2)   # A.T: a matrix (a vector's .T is the vector)
    for s in iter_assigns(fn.body):
        # a helper with an adjoint function of its own reads its parameters' elements
        # (frontend/inline/joint.py, ``element_ranks``): as if the caller did
        op = getattr(s, "srcgrad_op", None)
        hints = getattr(getattr(op, "rule", None), "joint_ranks", None) or {}
        for pname, rank in hints.items():
            x = op.args.get(pname)
            if isinstance(x, gast.Name) and x.id not in an.kind:
                for p in copy_sources(an, x.id, graph) & params:
                    if p not in an.kind:
                        guess[p] = max(guess.get(p, 0), rank)
    ranks, _ = compute_ranks(an, guess, scalars) if guess else ({}, None)
    if _reduces_scalars(an, ranks):
        for p in sorted(guess):
            # rows rather than numbers: one more axis (up to three in all)
            while guess[p] <= 3 and _reduces_scalars(an, compute_ranks(an, {p: guess[p]}, scalars)[0]):
                guess[p] += 1
            if guess[p] > 3:
                del guess[p]
        ranks, _ = compute_ranks(an, guess, scalars)
    for p in sorted(guess):
        if _ambiguous(an, p, ranks):
            # the elements meet arrays of one known rank (ys[t] - C @ m): rows of that rank
            partner = _partner_rank(an, p, ranks)
            if partner is None:
                del guess[p]
            else:
                guess[p] += partner
                ranks, _ = compute_ranks(an, guess, scalars)
    return guess


def sequence_candidates(an, guessed, scalars=()):
    """Data parameters the specialised version assumes to hold numbers (a
    list or tuple of numbers, a 1-D array; its guard checks it:
    ``runtime.number_sequence``): read only element by element with integer
    indices (``obs[i]``, ``for o in obs``), by ``len`` and by the loop's
    sequence check, neither in ``scalars`` nor guessed (``guessed``: the
    rank guesses) of a rank other than 1: a list of numbers takes the
    specialised version too.  Their elements are then numbers: a sum over them is
    a number, and no check of the result's type is needed.

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> an = analysed('''
    ... def f(k, obs, w):
    ...     loss = 0.0
    ...     for o in obs:
    ...         loss = loss + (k - o) ** 2
    ...     return loss + np.sum(w * k)''', wrt="k")
    >>> sequence_candidates(an, {}, scalars={"k"})     # (k: a float, as the version assumes)
    ['obs']
    >>> sequence_candidates(an, {})                   # k - o: o may be a row of an array k
    []
    """
    fn = an.fn
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    wanted = {p for p in params if guessed.get(p, 1) == 1 and p not in scalars and
              p not in an.wrt and an.kind.get(p) in (None, "container")}
    if not wanted:
        return []
    ints = an.ints if hasattr(an, "ints") else compute_ranks(an)[1]
    read, bad = set(), set()
    elements = {}           # element read -> the parameter read
    for s in walk_stmts(fn.body):
        if isinstance(s, (gast.If, gast.While)):
            names = name_nodes(s.test)
        elif isinstance(s, gast.For):
            names = name_nodes(s.iter) + name_nodes(s.target)
        elif isinstance(s, gast.FunctionDef):
            names = [n for n in name_nodes(s) if n.id in wanted]
        else:
            names = name_nodes(s)
        found = {n.id for n in names if n.id in wanted}
        if not found:
            continue
        allowed = _element_use(an, s, ints)
        if allowed is not None and found == {allowed[0]} and \
                sum(n.id in wanted for n in names) == 1:
            if allowed[1]:
                read.add(allowed[0])
                if isinstance(s.targets[0], gast.Name):
                    elements[s.targets[0].id] = allowed[0]
            found.discard(allowed[0])
        bad |= found
    # an element meeting anything but numbers (``u - obs[i]``, ``u`` a vector or of an
    # unknown rank) may be a row: no guess (a version its rows would never run)
    ranks = compute_ranks(an, {q: r for q, r in guessed.items() if isinstance(r, int)} |
                          {p: 1 for p in read}, scalars)[0] if elements else {}
    for s in iter_assigns(fn.body):
        op = getattr(s, "srcgrad_op", None)
        names = [a.id for a in op.args.values() if isinstance(a, gast.Name)] if op else []
        met = [elements[n] for n in names if n in elements]
        if met and (op.kind != "call" or op.rule is None or op.rule.kind != "elementwise" or
                    any(n not in elements and ranks.get(n) != 0 for n in names)):
            bad |= set(met)
    return sorted(read - bad)


def _element_use(an, s, ints):
    """``(p, reads)`` when the simple statement ``s`` uses the name ``p``
    only as an element read ``x = p[i]`` (``reads``), ``len(p)`` or the
    check ``check_sequence(p, ...)``; else None."""
    op = getattr(s, "srcgrad_op", None)
    if isinstance(s, gast.Assign) and op is not None:
        x = op.args.get("x") if op.kind == "subscript" else None
        if isinstance(x, gast.Name):
            index = op.args["index"]
            if isinstance(index, gast.Constant) and type(index.value) is int or \
                    isinstance(index, gast.Name) and index.id in ints:
                return x.id, True
            return None
        if op.kind == "call" and op.fun is len:
            args = op.args.get("args")          # (len(*args, **kwargs))
            if isinstance(args, tuple) and len(args) == 1 and isinstance(args[0], gast.Name) \
                    and not op.args.get("kwargs"):
                return args[0].id, False
        return None
    if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and s.value.args and \
            isinstance(s.value.args[0], gast.Name) and \
            getattr(an.resolve(s.value.func), "__name__", None) == "check_sequence":
        return s.value.args[0].id, False
    return None


def _transposed(an, graph):
    """Parameters (or what they are copied to) whose ``.T`` the code reads."""
    out = set()
    for s in iter_assigns(an.fn.body):
        v = s.value
        if isinstance(v, gast.Attribute) and v.attr == "T" and isinstance(v.value, gast.Name):
            out |= copy_sources(an, v.value.id, graph)
    return out


def _partner_rank(an, p, ranks):
    """The one rank (at least 1) of every array an element read of ``p``
    meets in an elementwise operation, or None."""
    graph = copy_graph(an)
    reads = {s.targets[0].id for s in iter_assigns(an.fn.body)
             if getattr(s, "srcgrad_op", None) is not None and s.srcgrad_op.kind == "subscript"
             and isinstance(s.srcgrad_op.args["x"], gast.Name) and isinstance(s.targets[0], gast.Name)
             and p in copy_sources(an, s.srcgrad_op.args["x"].id, graph)}
    found = set()
    for s in iter_assigns(an.fn.body):
        op = getattr(s, "srcgrad_op", None)
        names = [a.id for a in op.args.values() if isinstance(a, gast.Name)] if op else []
        if not reads & set(names):
            continue
        if op.kind != "call" or op.rule is None or op.rule.kind != "elementwise":
            return None
        found |= {ranks.get(n) for n in names if n not in reads}
    return found.pop() if len(found) == 1 and isinstance(min(found), int) and min(found) >= 1 \
        else None


def _ambiguous(an, p, ranks):
    """Whether every element read of ``p`` only meets arrays (``u - obs[i]``
    with ``u`` a vector: ``obs[i]`` may as well be a row): then the guess
    says nothing and is better not made."""
    graph = copy_graph(an)
    reads = set()
    uses = []
    for s in iter_assigns(an.fn.body):
        op = getattr(s, "srcgrad_op", None)
        if op is None:
            continue
        if op.kind == "subscript" and isinstance(op.args["x"], gast.Name) and \
                p in copy_sources(an, op.args["x"].id, graph) and \
                isinstance(s.targets[0], gast.Name) and ranks.get(s.targets[0].id) == 0:
            reads.add(s.targets[0].id)
        uses.append((s, op))
    if not reads:
        return False
    # a matrix product is never a number (``ys[t] - C @ m``)
    products = {s.targets[0].id for s, op in uses if op.kind == "call" and
                op.fun in (operator.matmul, np.dot, np.matmul) and
                isinstance(s.targets[0], gast.Name)}
    for s, op in uses:
        names = [a for a in op.args.values() if isinstance(a, gast.Name)]
        if not any(a.id in reads for a in names):
            continue
        if op.kind == "call" and op.rule is not None and op.rule.kind == "elementwise" and \
                any(isinstance(ranks.get(a.id), int) and ranks[a.id] >= 1 or a.id in products
                    for a in names):
            continue
        return False
    return True


def _reduces_scalars(an, ranks):
    """Whether some reduction or matrix product is applied to a name of rank 0."""
    for s in iter_assigns(an.fn.body):
        op = getattr(s, "srcgrad_op", None)
        if op is None or op.kind != "call" or op.rule is None:
            continue
        if op.rule.kind == "reduction" or op.fun in (operator.matmul, np.dot, np.matmul):
            if any(isinstance(a, gast.Name) and ranks.get(a.id) == 0
                   for a in op.args.values()):
                return True
    return False


def version_fails(an, params):
    """Whether the specialised version whose analysis is ``an`` (``params``
    assumed numbers) could never run: a statement every call runs (at the
    function's top level, or directly in a loop over ``range`` of a
    constant length, itself run) indexes a name that analysis finds
    certainly a number (``v = a * x`` then ``v[::-1]``, with ``a`` and ``x``
    floats: the function itself fails for such arguments).  Such a version
    is not made (a call with arrays goes to the generic version anyway).

    >>> from srcgrad.compiler.analysis.show import analysed
    >>> an = analysed('''
    ... def f(x, a):
    ...     v = a * x
    ...     for i in range(3):
    ...         x = x + v[i]
    ...     return x''', wrt="x")
    >>> version_fails(an.assuming(["x", "a"]), ["x", "a"]), version_fails(an, [])
    (True, False)
    """
    made = set(params)
    todo = [list(an.fn.body)]           # (a worklist, not a recursive closure: no cycle)
    while todo:
        stmts = todo.pop()
        for k, s in enumerate(stmts):
            if isinstance(s, gast.For) and not s.orelse and always_runs(an, s):
                todo.append(stmts[k + 1:])
                todo.append(list(s.body))
                break
            if not isinstance(s, gast.Assign) or not isinstance(s.targets[0], gast.Name):
                continue
            op = getattr(s, "srcgrad_op", None)
            if op is not None and op.kind == "subscript":
                x, index = op.args.get("x"), op.args.get("index")
                # (a NumPy scalar takes ``[()]`` and ``[...]``)
                if isinstance(x, gast.Name) and x.id in made and x.id in an.scalar and \
                        not (isinstance(index, gast.Tuple) and not index.elts) and \
                        not (isinstance(index, gast.Constant) and index.value is Ellipsis):
                    return True
            made.add(s.targets[0].id)
    return False


def always_runs(an, loop):
    """Whether the body of the ``for`` loop ``loop`` runs at least once:
    ``range`` of integer constants, not empty."""
    if not isinstance(loop, gast.For):
        return False
    it = loop.iter
    if not (isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and
            it.func.id == "range" and an.resolve_name("range") is range and
            not it.keywords and 1 <= len(it.args) <= 3 and
            all(isinstance(c, gast.Constant) and type(c.value) is int for c in it.args)):
        return False
    return len(range(*[c.value for c in it.args])) > 0
