"""Stage 6 — optimise the generated function.

* **Dead code**: forward statements whose values neither the reverse sweep,
  nor control flow, nor the returned value read are removed (only pure
  operations: a call without a rule may have side effects and stays).
* **Empty structure**: ``if`` and ``for`` statements left without a body go.
* **Simplification** of arithmetic with constants (``Simplify``, on top of
  the template folding of :mod:`srcgrad.compiler.ir.fold`).
"""

import copy
import operator

import gast
import numpy as np

from srcgrad.compiler.ir.dataflow import connected, loads as _expr_loads, remove_stmts, walk_stmts
from srcgrad.compiler.ir.fold import Fold, _number
from srcgrad.compiler.analysis import VIEW_FUNCTIONS
from srcgrad.compiler.ir.ssa import assigned_names
from srcgrad import runtime



#: methods that change the object they are called on (the tapes, adjoint lists)
_MUTATING_METHODS = {"pop", "append", "insert", "extend", "update", "clear"}


def _pure(s):
    """Whether removing assignment ``s`` when its target is dead changes
    nothing else: not an unknown operation, and (for generated statements)
    not a ``d_ys.pop()`` or ``tape.pop()`` that moves a stack."""
    op = getattr(s, "srcgrad_op", None)
    if op is None:
        value = getattr(s, "value", None)
        return value is None or not any(
            isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute)
            and n.func.attr in _MUTATING_METHODS for n in gast.walk(value))
    return op.kind != "unknown"


def _loads_of(node):
    return {n.id for n in gast.walk(node) if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}


def _stmt_loads(s):
    if isinstance(s, gast.Assign):
        out = _loads_of(s.value)
        for t in s.targets:
            if not isinstance(t, gast.Name):
                out |= _loads_of(t)
        return out
    if isinstance(s, gast.AugAssign):
        # ``d_x += e`` reads ``d_x`` (its target has a Store context)
        return _loads_of(s.value) | _loads_of(s.target) | (
            {s.target.id} if isinstance(s.target, gast.Name) else set())
    if isinstance(s, (gast.If, gast.While)):
        return _loads_of(s.test)
    if isinstance(s, gast.For):
        return _loads_of(s.iter)
    return _loads_of(s)


def _is_removable(s, live):
    return _is_name_assign(s) and not any(t.id in live for t in _targets(s)) and _pure(s)


def _targets(s):
    return [s.target] if isinstance(s, gast.AugAssign) else s.targets


def _is_name_assign(s):
    """``x = e`` or (generated, on an array the code owns) ``d_x += e``: an
    assignment whose only effect is binding names."""
    return isinstance(s, (gast.Assign, gast.AugAssign)) and \
        all(isinstance(t, gast.Name) for t in _targets(s))


def eliminate_dead_code(fn):
    """Remove dead assignments and empty control structures (in place)."""
    loads_cache = {}

    def loads(s):
        key = id(s)
        if key not in loads_cache:
            loads_cache[key] = _stmt_loads(s)
        return loads_cache[key]

    for _ in range(10):
        live = set()
        assigns = []
        for s in walk_stmts(fn.body):
            if _is_name_assign(s) and _pure(s):
                assigns.append(s)
            else:
                live |= loads(s)
        changed = True
        while changed:
            changed = False
            for s in assigns:
                if any(t.id in live for t in _targets(s)):
                    new = loads(s) - live
                    if new:
                        live |= new
                        changed = True
        before = _count(fn.body)
        fn.body = _sweep(fn.body, live)
        if _count(fn.body) == before:
            break
    return fn


def _overwritten(s, rest):
    """``x = e`` followed (comments aside) by ``x = e2`` that does not read ``x``."""
    if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
            isinstance(s.targets[0], gast.Name) and _pure(s)) or any(
            isinstance(n, gast.Call) for n in gast.walk(s.value)):
        return False
    nxt = next((r for r in rest if getattr(r, "srcgrad_comment", None) is None), None)
    return isinstance(nxt, gast.Assign) and len(nxt.targets) == 1 and \
        isinstance(nxt.targets[0], gast.Name) and nxt.targets[0].id == s.targets[0].id and \
        s.targets[0].id not in _stmt_loads(nxt)


def _count(stmts):
    return sum(1 for _ in walk_stmts(stmts))


def _sweep(stmts, live):
    out = []
    for i, s in enumerate(stmts):
        if _is_removable(s, live) or _overwritten(s, stmts[i + 1:]):
            continue
        if isinstance(s, gast.If):
            s.body = _sweep(s.body, live)
            s.orelse = _sweep(s.orelse, live)
            if not _has_statements(s.body) and not _has_statements(s.orelse):
                out.extend(c for c in s.body + s.orelse)   # comments only
                continue
            if not _has_statements(s.body):
                s.test = _negate(s.test)
                s.body, s.orelse = s.orelse, []
        elif isinstance(s, gast.For):
            s.body = _sweep(s.body, live)
            if not _has_statements(s.body):
                continue
        elif isinstance(s, gast.While):
            s.body = _sweep(s.body, live)
        out.append(s)
    return out


def _has_statements(stmts):
    return any(not getattr(s, "srcgrad_comment", None) for s in stmts)


def _negate(test):
    if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
        return test.operand
    return gast.UnaryOp(op=gast.Not(), operand=test)


# -- loop-invariant code motion (on the SSA form, before analysis) -------------

_SAFE_BINOPS = (gast.Add, gast.Sub, gast.Mult)
_SAFE_UNARY = (gast.USub, gast.UAdd)


def _cannot_raise(value, resolve):
    """Operations that are safe to run even when the loop would not have run
    them (no exceptions on numbers): +, -, * and NumPy ufuncs."""
    if isinstance(value, gast.BinOp):
        return isinstance(value.op, _SAFE_BINOPS)
    if isinstance(value, gast.UnaryOp):
        return isinstance(value.op, _SAFE_UNARY)
    if isinstance(value, gast.Call) and not value.keywords:
        return isinstance(resolve(value.func), np.ufunc)
    return False


def hoist_invariants(body, resolve, views=None):
    """Move statements of a loop body whose operands the loop never changes in
    front of the loop, so they are computed once and never taped."""
    if views is None:
        views = _view_groups(body, resolve)
    out = []
    for s in body:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, hoist_invariants(getattr(s, field), resolve, views))
        if isinstance(s, (gast.For, gast.While)):
            out.extend(_hoist_from(s, resolve, views))
        out.append(s)
    return out


_VIEW_METHODS = {"reshape", "transpose", "ravel", "squeeze", "swapaxes", "view", "diagonal"}
_VIEW_ATTRS = {"T", "mT", "real", "imag"}


def _view_groups(body, resolve):
    """name -> the names that may share its memory (copies, subscripts,
    views), over the whole function: a loop that writes into an array also
    changes every view of it."""
    links = []
    for s in walk_stmts(body):
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
            continue
        v, src = s.value, None
        if isinstance(v, gast.Name):
            src = v.id
        elif isinstance(v, gast.Subscript) and isinstance(v.value, gast.Name):
            src = v.value.id
        elif isinstance(v, gast.Attribute) and isinstance(v.value, gast.Name) and \
                v.attr in _VIEW_ATTRS:
            src = v.value.id
        elif isinstance(v, gast.Call):
            if isinstance(v.func, gast.Attribute) and isinstance(v.func.value, gast.Name) and \
                    v.func.attr in _VIEW_METHODS:
                src = v.func.value.id
            else:
                try:
                    fun = resolve(v.func)
                    is_view = fun in VIEW_FUNCTIONS
                except TypeError:
                    is_view = False
                if is_view and v.args and isinstance(v.args[0], gast.Name):
                    src = v.args[0].id
        if src is not None:
            links.append((s.targets[0].id, src))
    return connected(links)


def _mutated_names(body):
    """Arrays the loop may change in place: written into (``a[i] = v``), or
    handed to a call made for its side effects."""
    out = set()
    for s in walk_stmts(body):
        if isinstance(s, gast.Assign):
            for t in s.targets:
                if isinstance(t, gast.Subscript):
                    out |= {n.id for n in gast.walk(t.value) if isinstance(n, gast.Name)}
        elif isinstance(s, gast.Expr):
            out |= {n.id for n in gast.walk(s.value) if isinstance(n, gast.Name)}
    return out


def _hoist_from(loop, resolve, views=None):
    carried = getattr(loop, "srcgrad_carried", set())
    hoisted = []
    while True:
        changed = False
        mutated = _mutated_names(loop.body)
        for n in list(mutated):
            mutated |= (views or {}).get(n, set())
        assigned = assigned_names(loop.body) | mutated
        if isinstance(loop, gast.For):
            assigned.add(loop.target.id)
        for s in list(loop.body):
            if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)):
                continue
            name = s.targets[0].id
            if name in carried or name in mutated or not _cannot_raise(s.value, resolve):
                continue
            if _expr_loads(s.value) & assigned:
                continue
            loop.body.remove(s)
            hoisted.append(s)
            changed = True
            break
        if not changed:
            return hoisted


# -- copy propagation of adjoint temporaries (after the reverse transform) -----

def propagate_copies(fn, candidates):
    """``d_t = d_y`` followed by uses of ``d_t``: use ``d_y`` directly and drop
    the copy, for adjoints of compiler temporaries (``candidates``); copies
    of adjoints of the user's own variables stay, they document the code."""
    names = {}      # id(statement) -> (names it stores, names it loads), at any depth

    def names_of(s):
        key = id(s)
        if key not in names:
            stored, loaded = set(), set()
            for n in gast.walk(s):
                if isinstance(n, gast.Name):
                    (stored if isinstance(n.ctx, gast.Store) else loaded).add(n.id)
            names[key] = (stored, loaded)
        return names[key]

    fn.body = _propagate(fn.body, candidates, names_of)
    remaining = {n.id for s in fn.body for n in gast.walk(s)      # one walk: linear
                 if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load)}
    fn.body = _drop_copies(fn.body, candidates - remaining)
    return fn


def _propagate(stmts, candidates, names_of):
    stmts = list(stmts)
    for i, s in enumerate(stmts):
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _propagate(getattr(s, field), candidates, names_of))
        if not (isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name)
                and isinstance(s.value, gast.Name) and s.targets[0].id in candidates):
            continue
        a, b = s.targets[0].id, s.value.id
        for later in stmts[i + 1:]:
            stored, loaded = names_of(later)
            if a in loaded and not (isinstance(later, (gast.If, gast.For, gast.While))
                                    and {a, b} & stored):
                for n in gast.walk(later):
                    if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load) and n.id == a:
                        n.id = b
                loaded.discard(a)
                loaded.add(b)
            if {a, b} & stored:
                break
    return stmts


def _drop_copies(stmts, dead):
    return remove_stmts(stmts, lambda s: isinstance(s, gast.Assign) and
                        isinstance(s.targets[0], gast.Name) and s.targets[0].id in dead
                        and isinstance(s.value, gast.Name))


# -- constants in the reverse sweep (the seed 1.0 and what follows from it) -----

def propagate_constants(fn, keep, adjoints=(), floats=frozenset()):
    """Adjoints assigned once, to a number (``d_out = 1.0``), are replaced by
    that number where they are used in arithmetic, and the arithmetic is
    folded: ``d_out * x`` becomes ``x``, ``-d_out * e`` becomes ``-e``.
    Plain copies into the adjoints in ``keep`` (``d_a = d_out``: the user's
    own variables) stay as they are; an expression is never folded into a
    bare name whose array is later updated in place."""
    inplace = set()
    for s in walk_stmts(fn.body):
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
            inplace.add(s.target.id)
        for t in getattr(s, "targets", []):
            if isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name):
                inplace.add(t.value.id)
        if isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Subscript) and \
                isinstance(s.target.value, gast.Name):
            inplace.add(s.target.value.id)
    for _ in range(20):
        counts, values = {}, {}
        for s in walk_stmts(fn.body):
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name):
                n = s.targets[0].id
                counts[n] = counts.get(n, 0) + 1
                if isinstance(s.value, gast.Constant) and _number(s.value.value):
                    values[n] = s.value.value
            elif isinstance(s, gast.AugAssign) and isinstance(s.target, gast.Name):
                counts[s.target.id] = counts.get(s.target.id, 0) + 2
        constants = {n: v for n, v in values.items() if counts.get(n) == 1 and n.startswith("d_")}
        changed = False
        for s in walk_stmts(fn.body):
            if not isinstance(s, (gast.Assign, gast.AugAssign)) or not any(
                    isinstance(n, gast.Name) and n.id in constants for n in gast.walk(s.value)):
                continue
            target = s.targets[0] if isinstance(s, gast.Assign) else s.target
            if isinstance(s.value, gast.Name) and isinstance(target, gast.Name) and \
                    target.id in keep:
                continue                      # d_a = d_out documents the code
            new = Simplify(floats).visit(_Substitute(constants).visit(copy.deepcopy(s.value)))
            if _has_unit_factor(new):
                continue                      # 1.0 * x reads worse than d_out * x
            if isinstance(new, gast.Name) and isinstance(target, gast.Name) and \
                    target.id in inplace and not isinstance(s.value, gast.Name):
                continue                      # would alias an array updated in place
            if gast.dump(new) != gast.dump(s.value):
                s.value = new
                changed = True
        if not changed:
            break
    for s_ in walk_stmts(fn.body):    # A + A, e + -f in every adjoint statement
        target = s_.targets[0] if isinstance(s_, gast.Assign) else getattr(s_, "target", None)
        if isinstance(target, gast.Name) and target.id in adjoints and \
                not _has_unit_factor(s_.value):
            s_.value = Simplify(floats).visit(s_.value)
    return fn


def _has_unit_factor(e):
    """``1.0 * x``, ``x * 1.0`` or ``x / 1.0`` (``1.0 / x`` reads well)."""
    def unit(c):
        return isinstance(c, gast.Constant) and _number(c.value) and abs(c.value) == 1

    return any(isinstance(n, gast.BinOp) and (
        isinstance(n.op, gast.Mult) and (unit(n.left) or unit(n.right)) or
        isinstance(n.op, gast.Div) and unit(n.right)) for n in gast.walk(e))


def _surely_float(e, floats=frozenset()):
    """Whether ``e`` certainly evaluates to a float (or float array);
    ``floats``: names known to hold floats."""
    if isinstance(e, gast.Name):
        return e.id in floats
    if isinstance(e, gast.Constant):
        return isinstance(e.value, float)
    if isinstance(e, gast.BinOp):
        if isinstance(e.op, gast.Div):
            return True
        return isinstance(e.op, (gast.Add, gast.Sub, gast.Mult)) and (
            _surely_float(e.left, floats) or _surely_float(e.right, floats))
    if isinstance(e, gast.UnaryOp):
        return _surely_float(e.operand, floats)
    if isinstance(e, gast.Call) and isinstance(e.func, gast.Attribute) and \
            isinstance(e.func.value, gast.Name) and e.func.value.id == "math":
        return True
    return False


_surely_float_in = _surely_float


class _Substitute(gast.NodeTransformer):
    def __init__(self, constants):
        self.constants = constants

    def visit_Name(self, node):
        if isinstance(node.ctx, gast.Load) and node.id in self.constants:
            return gast.Constant(value=self.constants[node.id], kind=None)
        return node


class Simplify(Fold):
    """Constant folding plus ``1 * e``, ``e * 1``, ``e / 1``, ``-1 * e``,
    ``-(-e)``, ``e + -f`` and ``A + A``."""

    def __init__(self, floats=frozenset()):
        self.floats = floats

    def visit_BinOp(self, node):
        node = super().visit_BinOp(node)
        if not isinstance(node, gast.BinOp):
            return node
        left, right, op = node.left, node.right, node.op

        def _surely_float(e):
            return _surely_float_in(e, self.floats)

        def const(n, v):
            return isinstance(n, gast.Constant) and _number(n.value) and n.value == v

        # multiplying by 1.0 also makes an integer a float: fold only floats
        if isinstance(op, gast.Mult):
            if const(left, 1) and _surely_float(right):
                return right
            if const(right, 1) and _surely_float(left):
                return left
            if const(left, -1) and _surely_float(right):
                return self.visit(gast.UnaryOp(op=gast.USub(), operand=right))
            if const(right, -1) and _surely_float(left):
                return self.visit(gast.UnaryOp(op=gast.USub(), operand=left))
        if isinstance(op, gast.Div) and const(right, 1) and _surely_float(left):
            return left
        if isinstance(op, gast.Mult) and isinstance(left, gast.BinOp) and \
                isinstance(left.op, gast.Div) and const(left.left, 1) and \
                isinstance(left.left.value, float):       # 1.0 / a * b -> b / a
            return gast.BinOp(left=right, op=gast.Div(), right=left.right)
        neg = isinstance(left, gast.UnaryOp) and isinstance(left.op, gast.USub)
        if isinstance(op, gast.Mult) and neg and isinstance(right, gast.Constant) and \
                _number(right.value):              # -a * 2 -> a * -2 (one operation less)
            return gast.BinOp(left=left.operand, op=op,
                              right=gast.Constant(value=-right.value, kind=None))
        if isinstance(op, (gast.Mult, gast.Div)) and neg:     # -a / b -> -(a / b)
            return gast.UnaryOp(op=gast.USub(), operand=gast.BinOp(left=left.operand, op=op,
                                                                  right=right))
        if isinstance(op, gast.Add):
            if isinstance(right, gast.UnaryOp) and isinstance(right.op, gast.USub):
                return gast.BinOp(left=left, op=gast.Sub(), right=right.operand)
            if gast.dump(left) == gast.dump(right):
                return gast.BinOp(left=gast.Constant(value=2.0, kind=None), op=gast.Mult(),
                                  right=left)
        return node

    def visit_UnaryOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, gast.USub):
            inner = node.operand
            if isinstance(inner, gast.Constant) and _number(inner.value):
                return gast.Constant(value=-inner.value, kind=None)
            if isinstance(inner, gast.UnaryOp) and isinstance(inner.op, gast.USub):
                return inner.operand
        return node


# -- forwarding single-use temporaries (array code) ----------------------------

#: runtime helpers that change an argument in place
_MUTATING_HELPERS = {"add_at", "add_item", "add_attr", "unpop", "unpop_adjoint", "restore_item",
                     "not_a_view", "check_scalar", "matmul_dx_sum"}
_MUTATING_METHODS = {"pop", "append", "insert", "extend", "remove", "clear", "update",
                     "setdefault", "popitem", "sort", "reverse", "fill", "resize", "put"}


def _pure_expr(e, objects):
    """Whether evaluating ``e`` later gives the same value and changes nothing:
    no call that may change its arguments (``tape.pop()``, ``add_at``) or
    anything else (a function without a rule)."""
    for n in gast.walk(e):
        if isinstance(n, gast.Call):
            f = n.func
            if isinstance(f, gast.Attribute):
                if f.attr in _MUTATING_METHODS:
                    return False
                root = f
                while isinstance(root, gast.Attribute):
                    root = root.value
                if not (isinstance(root, gast.Name) and root.id in objects) and f.attr != "copy":
                    return False
            elif isinstance(f, gast.Name):
                obj = objects.get(f.id)
                if obj is None or getattr(obj, "__module__", None) == runtime.__name__ and \
                        obj.__name__ in _MUTATING_HELPERS:
                    return False
            else:
                return False
        elif isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
            return False
    return True


def _pure_op(op):
    """A primal operation that may be evaluated later: arithmetic, indexing, a
    function with a derivative rule (not one without: it may draw random
    numbers or print)."""
    if op is None:
        return False
    if op.kind == "call":
        return op.rule is not None and op.rule.differentiable
    return op.kind in ("copy", "subscript", "const", "attr")


def _changed_names(s):
    """Names whose value (or array contents) statement ``s`` may change."""
    out = set()
    if isinstance(s, gast.Assign):
        for t in s.targets:
            for n in gast.walk(t):
                if isinstance(n, gast.Name):
                    out.add(n.id)          # x = ..., x[i] = ... (x changes in place)
    elif isinstance(s, gast.AugAssign):
        out |= {n.id for n in gast.walk(s.target) if isinstance(n, gast.Name)}
    elif isinstance(s, gast.Expr):
        out |= _loads_of(s.value)          # a call may change what it is given
    return out


def forward_temporaries(fn, candidates, objects):
    """``t = e`` whose only use is a later simple statement of the same block:
    put ``e`` there (``out_4 = x[1:] - x[:-1] ** 2``), when no statement in
    between may change what ``e`` reads.  NumPy then reuses the buffer of
    each intermediate array of ``e`` (it updates temporaries in place) and
    frees it at once, where a named temporary lives until the function
    returns.  Only compiler temporaries (``candidates``) are forwarded."""
    counts, defs = {}, {}
    for n in gast.walk(fn):
        if isinstance(n, gast.Name):
            if isinstance(n.ctx, gast.Load):
                counts[n.id] = counts.get(n.id, 0) + 1
            else:
                defs[n.id] = defs.get(n.id, 0) + 1
    single = {n for n in candidates if counts.get(n) == 1 and defs.get(n) == 1}
    if single:
        _forward_block(fn.body, single, objects)
    return fn


def _forward_block(stmts, single, objects):
    i = 0
    while i < len(stmts):
        s = stmts[i]
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                _forward_block(getattr(s, field), single, objects)
        op = getattr(s, "srcgrad_op", None)
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name) and s.targets[0].id in single and \
                (_pure_op(op) or _pure_expr(s.value, objects)):
            name, reads = s.targets[0].id, _loads_of(s.value)
            for j in range(i + 1, len(stmts)):
                later = stmts[j]
                if getattr(later, "srcgrad_comment", None) is not None:
                    continue
                if isinstance(later, (gast.If, gast.For, gast.While)):
                    break
                if name in _loads_of(later):
                    if isinstance(later, (gast.Assign, gast.AugAssign, gast.Expr, gast.Return)):
                        _replace_load(later, name, s.value)
                        del stmts[i]
                        i -= 1
                    break
                if _changed_names(later) & (reads | {name}):
                    break
        i += 1


def _replace_load(stmt, name, value):
    class Put(gast.NodeTransformer):
        def visit_Name(self, node):
            if isinstance(node.ctx, gast.Load) and node.id == name:
                return value
            return node
    Put().visit(stmt)
    if isinstance(stmt, gast.AugAssign):
        stmt.value = Simplify().visit(stmt.value)
        if isinstance(stmt.op, gast.Add) and isinstance(stmt.value, gast.UnaryOp) and \
                isinstance(stmt.value.op, gast.USub):
            stmt.op, stmt.value = gast.Sub(), stmt.value.operand
    elif isinstance(stmt, gast.Assign):
        stmt.value = Simplify().visit(stmt.value)


# -- one matrix product for a loop's outer products ----------------------------

def batch_outer_products(fn, objects, fresh, helper_name):
    """``d_W += matmul_dx(g, W, x)`` in a loop that reads and writes ``d_W``
    nowhere else and never changes ``W``: the loop collects the pairs
    ``(g, x)`` and ``d_W += matmul_dx_sum(pairs, W)`` after it adds them up,
    for vectors ``g`` and ``x`` as one matrix product (``G.T @ X``) instead of
    one outer product per iteration.  ``fresh(base)`` names the list;
    ``helper_name()`` gives the name of :func:`runtime.matmul_dx_sum`."""
    fn.body = _batch_block(fn.body, objects, fresh, helper_name, runtime)
    return fn


def _batch_block(stmts, objects, fresh, helper_name, runtime):
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _batch_block(getattr(s, field), objects, fresh, helper_name,
                                               runtime))
        if not isinstance(s, gast.For):
            out.append(s)
            continue
        before, after = [], []
        stored = {n.id for n in gast.walk(s) if isinstance(n, gast.Name)
                  and not isinstance(n.ctx, gast.Load)}
        for st in list(s.body):
            i = s.body.index(st)
            if not (isinstance(st, gast.AugAssign) and isinstance(st.op, gast.Add)
                    and isinstance(st.target, gast.Name) and isinstance(st.value, gast.Call)
                    and isinstance(st.value.func, gast.Name)
                    and objects.get(st.value.func.id) is runtime.matmul_dx
                    and len(st.value.args) == 3 and not st.value.keywords):
                continue
            d, (g, w, x) = st.target.id, st.value.args
            if not isinstance(w, gast.Name) or w.id in stored:
                continue
            uses = sum(1 for n in gast.walk(s) if isinstance(n, gast.Name) and n.id == d)
            if uses != 1 or any(isinstance(n, gast.Name) and n.id == d for n in gast.walk(g)) \
                    or any(isinstance(n, gast.Name) and n.id == d for n in gast.walk(x)):
                continue
            kept = _loads_of(g) | _loads_of(x)
            if _mutated_in_place(s, objects, runtime) & kept:
                continue      # the pairs keep references: their arrays must not change
            gs, xs = fresh(d + "_g"), fresh(d + "_x")
            s.body[i:i + 1] = [_call_stmt(gs, "append", g), _call_stmt(xs, "append", x)]
            before += [_assign_name(gs, gast.List(elts=[], ctx=gast.Load())),
                       _assign_name(xs, gast.List(elts=[], ctx=gast.Load()))]
            after.append(gast.AugAssign(
                target=gast.Name(id=d, ctx=gast.Store(), annotation=None, type_comment=None),
                op=gast.Add(),
                value=gast.Call(func=_name(helper_name()), args=[_name(gs), w, _name(xs)],
                                keywords=[])))
        out.extend(before + [s] + after)
    return out


def _mutated_in_place(loop, objects, runtime):
    """Names whose arrays a statement of ``loop`` may change in place."""
    out = set()
    for st in walk_stmts(loop.body):
        if isinstance(st, gast.AugAssign):
            out |= {n.id for n in gast.walk(st.target) if isinstance(n, gast.Name)}
        elif isinstance(st, gast.Assign):
            for t in st.targets:
                if not isinstance(t, gast.Name):
                    out |= {n.id for n in gast.walk(t) if isinstance(n, gast.Name)}
            if not _pure_expr(st.value, objects):
                out |= _loads_of(st.value)
        elif isinstance(st, gast.Expr):
            out |= _loads_of(st.value)
    return out


def _name(n):
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


def _assign_name(n, value):
    return gast.Assign(targets=[gast.Name(id=n, ctx=gast.Store(), annotation=None,
                                          type_comment=None)], value=value, type_comment=None)


def _call_stmt(obj, method, arg):
    return gast.Expr(value=gast.Call(func=gast.Attribute(value=_name(obj), attr=method,
                                                         ctx=gast.Load()),
                                     args=[arg], keywords=[]))
