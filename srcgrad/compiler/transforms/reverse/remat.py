"""Recompute instead of tape: a value a loop body defines once per iteration
that the reverse sweep reads is pushed on the tape -- unless it is cheap to
compute again from values the reverse sweep has at that point anyway (the
loop counters, which the reversed loops run through again, names the
function binds once and never changes, constants).  Then the reverse sweep
computes it again where the tape would have given it back, and the tape
holds less (often nothing: the hand-written adjoint's memory).

Cheap: an element or slice read (``x[i + j]``), an attribute that is a view
or a shape (``pos.shape``, ``A.T``), ``+``, ``-``, ``*`` of such values,
and, for numbers, ``/``, ``**``, NumPy ufuncs and reductions, ``math``
functions and ``len`` (a number costs nothing to keep, but a loop all of
whose values are recomputed needs no forward sweep at all); a matrix
product that is a link of a product chain (:func:`chain_links`).  No call
making an array is recomputed (``np.exp`` of a vector may cost more than
the tape).

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, w):
...     out = np.zeros(3)
...     for i in range(3):
...         for j in range(2):
...             out[i] += w[j] * x[i + j]
...     return np.sum(out ** 2)
>>> df = reverse_transform(f, ("x", "w"), Driver(), with_value=False)
>>> text = df.srcgrad_source.split("\\n\\n\\n")[0]
>>> "tape" in text
False
>>> print(text[text.index("    for i in reversed"):].rstrip())
    for i in reversed(range(3)):
        for j in reversed(range(2)):
            value_1 = w[j]
            index = i + j
            value_2 = x[index]
            # line 5: out[i] += w[j] * x[i + j]
            d_value_4 = d_out[i]
            d_x[index] += d_value_4 * value_1
            d_w[j] += d_value_4 * value_2
    return (like_argument(d_x, x, 'x'), like_argument(d_w, w, 'w'))
"""

import gast
import numpy as np

from srcgrad import runtime

from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes, replace_loads
from srcgrad.compiler.transforms.reverse.nodes import expr_loads, exprs_of

_CHEAP_OPS = (gast.Add, gast.Sub, gast.Mult)
#: checks generated code makes, which change nothing
_CHECKS = (runtime.check_sequence, runtime.real_only)
_SCALAR_OPS = _CHEAP_OPS + (gast.Div, gast.Pow)
_CHEAP_ATTRS = {"shape", "ndim", "size", "T", "mT", "real", "imag"}


def stable_names(fn, fwd, an):
    """Names whose value never changes once bound: the parameters and the
    names the forward sweep ``fwd`` binds once outside every loop, none of
    them written in place, changed by a call, or sharing memory with an
    array that is; and the names that are changed so."""
    stores, in_loop = {}, set()

    def visit(stmts, looped):
        for s in stmts:
            for n in _stored(s):
                stores[n] = stores.get(n, 0) + 1
                if looped:
                    in_loop.add(n)
            for f in ("body", "orelse"):
                if isinstance(getattr(s, f, None), list):
                    visit(getattr(s, f), looped or isinstance(s, (gast.For, gast.While)))
    visit(fwd, False)
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del visit
    args = fn.args
    params = {a.id for a in args.posonlyargs + args.args + args.kwonlyargs}
    changed = set(getattr(an, "written_arrays", ())) | set(getattr(an, "mutated", ()))
    changed |= _changes(fwd, an.resolve)
    # and everything that may share memory with what changes (a row read out
    # of a value that may be a list or an array, written in place: fuzz seed 551)
    share = getattr(an, "share", {})
    for x in list(changed):
        changed |= share.get(x, {x})
    once = {n for n, k in stores.items() if k == 1 and n not in in_loop}
    return ((params - set(stores)) | once) - changed, changed


def finished_lists(fwd, an):
    """For each top-level statement of the forward sweep ``fwd`` (by
    position): the lists of numbers, only ever appended to, bound once
    outside loops, that no statement from there on changes, and what may
    change from there on.  A loop there reads those lists as they stay
    until its reverse sweep (which runs before the reverse of the appends
    undoes them), like a name bound once: a trajectory ``xs`` built by one
    loop and read by the next.  None where there are no such lists."""
    lists = {n for n, r in getattr(an, "list_items", {}).items() if r == 0}
    stores, in_loop = {}, set()
    for s in walk_stmts(fwd):
        for n in _stored(s):
            stores[n] = stores.get(n, 0) + 1
        if isinstance(s, (gast.For, gast.While)):
            in_loop |= stored_in(s.body)
    lists = {n for n in lists if stores.get(n) == 1 and n not in in_loop}
    if not lists:
        return [None] * len(fwd)
    analysed = set(getattr(an, "written_arrays", ())) | set(getattr(an, "mutated", ()))
    share = getattr(an, "share", {})
    out, later = [], set()
    for s in reversed(fwd):
        later |= _changes([s], an.resolve)
        done = lists - later
        changed = (analysed - done) | later
        for x in list(changed):
            changed |= share.get(x, {x})
        out.append((frozenset(done), changed))
    return out[::-1]


def _changes(stmts, resolve=None):
    """The names the statements ``stmts`` change in place (a call made for
    its effect, a write into an element or attribute, an in-place operator;
    not the checks generated code makes, ``check_sequence(obs, 'obs')``)."""
    changed = set()
    for s in walk_stmts(stmts):
        if isinstance(s, gast.Expr):            # a call made for its effect
            if resolve is not None and isinstance(s.value, gast.Call) and \
                    resolve(s.value.func) in _CHECKS:
                continue
            changed |= expr_loads(s.value)
        elif isinstance(s, gast.Assign):
            for t in s.targets:
                while isinstance(t, (gast.Subscript, gast.Attribute)):
                    t = t.value                 # x[i] = v, x.a = v: x changes, not i
                if not isinstance(t, gast.Name) or t.ctx is not None and \
                        isinstance(t.ctx, gast.Load):
                    changed |= expr_loads(t)
            if isinstance(s.value, gast.BinOp) and getattr(s.value, "srcgrad_inplace", False):
                changed |= expr_loads(s.value)
    return changed


def stored_in(stmts):
    """The names the statements ``stmts`` (nested blocks included; tape
    placeholders skipped) assign."""
    return {n for s in walk_stmts(stmts) for n in _stored(s)}


def _stored(s):
    """The names statement ``s`` itself (not its nested blocks) assigns."""
    targets = list(s.targets) if isinstance(s, gast.Assign) else \
        [s.target] if isinstance(s, (gast.AugAssign, gast.For)) else []
    return [n.id for t in targets for n in name_nodes(t) if isinstance(n.ctx, gast.Store)]


def recomputable(stmts, kept, available, scalars=frozenset(), changed=frozenset(),
                 resolve=None, saved=None, pushed=False):
    """:func:`_recomputable`; but where the block pushes a value all the
    same (one of ``kept`` stays, or ``pushed``: the block saves others, such
    as the old value of a name it changes), a number made by a call, ``/``
    or ``**`` that the step reads more than once (``speed = math.sqrt(vx *
    vx + vy * vy)``, read by ``drag * speed`` and ``dt * drag * speed``)
    travels in the tuple too: one more item of a tuple pushed anyway costs
    less time than computing it again, and the step's other values made of
    it are then cheap to compute again from it.  A number read once
    (``x ** 3``, ``math.sin(t)`` of the old values) is computed again where
    it is read, as a hand adjoint does, so the tuple does not grow."""
    redo = _recomputable(stmts, kept, available, scalars, changed, resolve, saved)
    redone = {s.targets[0].id for s in redo}
    if not scalars or not (pushed or any(n not in redone for n in kept)):
        return redo
    reads = {}
    for st in walk_stmts(stmts):
        if isinstance(st, (gast.Assign, gast.AugAssign, gast.Expr)):
            for n in name_nodes(st):
                if isinstance(n.ctx, gast.Load):
                    reads[n.id] = reads.get(n.id, 0) + 1
    heavy = {st.targets[0].id for st in walk_stmts(stmts)
             if isinstance(st, gast.Assign) and len(st.targets) == 1 and
             isinstance(st.targets[0], gast.Name) and st.targets[0].id in scalars and
             reads.get(st.targets[0].id, 0) >= 2 and not _cheap(st.value)}
    if not heavy & redone:
        return redo
    return _recomputable(stmts, kept, available, frozenset(scalars) - heavy, changed, resolve,
                         saved)


def _recomputable(stmts, kept, available, scalars=frozenset(), changed=frozenset(),
                  resolve=None, saved=None):
    """The statements of the loop body ``stmts`` (in order) that compute
    again, in the reverse sweep, names of ``kept`` (the names the block's
    tape tuple would hold); ``available``: names with their forward value
    there (stable names, the loop counters).  Names of ``kept`` that are
    not recomputed stay in the tuple, so they are available too.  A name
    of ``scalars`` (a number) may also be recomputed by ``/`` and ``**``,
    and by a NumPy ufunc, reduction, ``math`` function or ``len`` (``resolve``
    tells what a call calls): a number costs nothing to keep, but a loop
    whose values are all recomputed leaves a forward sweep that dead code
    removes (the energy of a pair potential: only the reverse loop runs).
    Nothing ``changed`` in place is recomputed or read: the reverse sweep
    sees it as the iteration left it, not as the statement saw it.
    ``saved``: ``{x: (x_old, k)}``, names whose value before the block
    changes them (at position ``k``) travels in the tuple as ``x_old``: a
    statement before ``k`` reading ``x`` reads ``x_old`` when recomputed."""
    defs, counts = [], {}
    for s in walk_stmts(stmts):
        for n in _stored(s):
            counts[n] = counts.get(n, 0) + 1
    # a name of the block read again must still hold the value it had
    # then: assigned once in the block (y = ...; later y = x in an inner loop
    # leaves the tuple holding the last value: random_calls program 2)
    once = {n for n, k in counts.items() if k == 1}
    # ... and assigned before the statement recomputed reads it (a loop
    # variable rebound in an inner loop, read as an index first, holds its
    # last value in the tuple)
    assigned_at = {}
    for k, s in enumerate(stmts):
        for n in stored_in([s]):
            assigned_at.setdefault(n, k)
    for s in stmts:
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name) and counts.get(s.targets[0].id) == 1:
            defs.append(s)
    candidates, through = {}, {}
    saved = {x: v for x, v in (saved or {}).items() if counts.get(x) == 1}
    position = {id(s): k for k, s in enumerate(stmts)}
    # (the products' readers are looked at only where a product may be recomputed)
    links = chain_links(stmts) if any(
        isinstance(s.value, gast.BinOp) and isinstance(s.value.op, gast.MatMult)
        for s in defs) else ()
    for s in defs:
        name = s.targets[0].id
        cheap = _cheap(s.value, _SCALAR_OPS if name in scalars else _CHEAP_OPS,
                       resolve if name in scalars else None) or \
            name in links and name not in scalars and _product(s.value)
        loads = expr_loads(s.value) - _function_names(s.value)
        # a loop-carried value read before the iteration changes it is the
        # copy the block keeps of it (x_old = x, saved for the reverse sweep)
        old = {n: saved[n][0] for n in loads if n in saved and
               position[id(s)] < saved[n][1]}
        loads = loads - set(old)
        block = {n for n in (set(kept) | set(candidates)) & once
                 if assigned_at.get(n, len(stmts)) < position[id(s)]}
        if cheap and name not in changed and not loads & changed and \
                loads <= (available | block):
            candidates[name] = s
            through[name] = old
    # what the kept names need, and only that, in the body's order
    needed, todo = set(), [n for n in kept if n in candidates]
    while todo:
        n = todo.pop()
        if n in needed:
            continue
        needed.add(n)
        # (a name read before the block changes it is read as its old value)
        todo.extend(m for m in expr_loads(candidates[n].value)
                    if m in candidates and m not in through[n])
    out = [copy_tree(s) for s in defs if s.targets[0].id in needed]
    for s in out:
        for n, copy in through[s.targets[0].id].items():
            replace_loads(s, n, gast.Name(id=copy, ctx=gast.Load(), annotation=None,
                                          type_comment=None))
    # a temporary only the recomputation reads, once, is written into its reader
    # (``n = w.shape[0]``, not ``n_1 = w.shape`` and ``n = n_1[0]``)
    for s in list(out):
        name = s.targets[0].id
        if name in kept:
            continue
        readers = [r for r in out for n in name_nodes(r.value) if n.id == name]
        if len(readers) == 1:
            replace_loads(readers[0], name, s.value)
            out.remove(s)
    return out


def chain_links(stmts):
    """The names the statements ``stmts`` read only as a factor of a matrix
    product (``P_4`` of ``P_4 = K @ S; P_6 = P_4 @ P_5``): a link of a
    product chain.  The reverse sweep reads such a name only in the adjoint
    of the next product (``P_4.T @ d_P_6``), where a hand adjoint
    re-associates (``S.T @ (K.T @ d_P_6)``) rather than keep it: computing
    the link again costs that re-association's product.

    >>> from srcgrad.compiler.ir.printer import function
    >>> sorted(chain_links(function("p = k @ s\\nq = p @ k.T\\nr = q + np.exp(s)").body))
    ['p']
    """
    reads, factors = {}, {}
    for st in walk_stmts(stmts):
        for x in exprs_of(st):
            for n in name_nodes(x):
                if isinstance(n.ctx, gast.Load):
                    reads[n.id] = reads.get(n.id, 0) + 1
            for e in inner_nodes(x):
                if isinstance(e, gast.BinOp) and isinstance(e.op, gast.MatMult):
                    for f in (e.left, e.right):
                        if isinstance(f, gast.Name):
                            factors[f.id] = factors.get(f.id, 0) + 1
    return {n for n, k in factors.items() if reads.get(n) == k}


def _product(e):
    """``a @ b`` of names or their views (``a.T``)."""
    return isinstance(e, gast.BinOp) and isinstance(e.op, gast.MatMult) and \
        _cheap(e.left) and _cheap(e.right) and \
        not isinstance(e.left, gast.Constant) and not isinstance(e.right, gast.Constant)


def _cheap(e, ops=_CHEAP_OPS, resolve=None):
    if isinstance(e, (gast.Name, gast.Constant)):
        return True
    if isinstance(e, gast.Call) and resolve is not None:
        return not e.keywords and _pure_call(resolve(e.func)) and \
            all(_cheap(a, ops, resolve) for a in e.args)
    if isinstance(e, gast.Subscript):
        return (isinstance(e.value, gast.Name) or isinstance(e.value, gast.Attribute) and
                _cheap(e.value)) and _index(e.slice)
    if isinstance(e, gast.Attribute):
        return e.attr in _CHEAP_ATTRS and isinstance(e.value, gast.Name)
    if isinstance(e, gast.BinOp):
        return isinstance(e.op, ops) and _cheap(e.left, ops, resolve) and \
            _cheap(e.right, ops, resolve)
    if isinstance(e, gast.UnaryOp):
        return isinstance(e.op, gast.USub) and _cheap(e.operand, ops, resolve)
    return False


_REDUCTIONS = {np.sum, np.dot, np.vdot, np.inner, np.mean, np.linalg.norm, len}


def _function_names(e):
    """The names a call's function is read through (``np`` of ``np.sum``):
    globals, the same in both sweeps."""
    out = set()
    for n in inner_nodes(e):
        if isinstance(n, gast.Call):
            f = n.func
            while isinstance(f, gast.Attribute):
                f = f.value
            if isinstance(f, gast.Name):
                out.add(f.id)
    return out


def _pure_call(fun):
    try:
        return isinstance(fun, np.ufunc) or fun in _REDUCTIONS or \
            getattr(fun, "__module__", None) == "math"
    except TypeError:                       # an unhashable object
        return False


def _index(e):
    if isinstance(e, (gast.Name, gast.Constant)):
        return True
    if isinstance(e, gast.Tuple):
        return all(_index(x) for x in e.elts)
    if isinstance(e, gast.Slice):
        return all(x is None or _index(x) for x in (e.lower, e.upper, e.step))
    if isinstance(e, gast.BinOp):
        return isinstance(e.op, (gast.Add, gast.Sub)) and _index(e.left) and _index(e.right)
    return False
