"""srcgrad's own generated code as input to srcgrad (higher-order derivatives).

A function srcgrad generated (``srcgrad.grad(f)``, ``srcgrad.jvp(f)``) is
ordinary Python whose source is registered with :mod:`linecache`, so the
pipeline can read it like any user function; ``hvp`` is forward mode applied
to the generated gradient.  Three things in that code need help, and this
module gives it right after parsing, before the normaliser:

* **The float fast path.**  A gradient specialised for Python floats (or
  arrays of a given rank) starts with ``if type(x) is not float and type(x) is not float64 ...: return
  d_f_generic(...)`` (``type(a) is not ndarray or a.ndim != 1``), calling its
  generic twin.  The generic version is right for every input, so it is the
  one differentiated (:func:`generic_version`); the derivative then gets its
  own float specialisation where the analysis finds one.
* **The tape.**  ``tape.append(v)`` and ``x = tape.pop()`` are rewritten into
  ``tape = tape_push(tape, v)`` and ``x = tape_pop(tape)``, calls of two
  primitives with rules (:mod:`srcgrad.rules.runtime_rules`), so that the
  activity analysis sees values flow through the tape.  The forward transform
  prints them back as method calls and keeps a tangent tape beside the tape,
  pushed and popped in step with it.
* **Reversed loops.**  ``for i in reversed(range(a, b))`` becomes
  ``for i in range(b - 1, a - 1, -1)``.

The runtime helpers the gradient calls (``unbroadcast``, ``unreduce``,
``matmul_dx`` ...) are primitives with rules declared with the public
``defvjp``/``defjvp`` in :mod:`srcgrad.rules.runtime_rules`.

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def h(x):
...     return x * x
>>> dh = reverse_transform(h, ("x",), Driver(), with_value=False)
>>> is_generated(dh), is_generated(h), generic_version(dh).__name__
(True, False, 'd_h_generic')
"""

import gast

from srcgrad.compiler.frontend.split_calls import (cell_value as _cell_value, inject as _inject,
                                                    splits_as_calls)
from srcgrad.compiler.ir.names import const, load, store
from srcgrad.runtime import forward as runtime_forward
from srcgrad import runtime
from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree
from srcgrad.compiler.ir.transformer import Transformer

#: the marker of code srcgrad compiled (see :func:`srcgrad.emit.build`)
_FILE_PREFIX = "<srcgrad "


def is_generated(fun):
    """Whether ``fun`` is a function srcgrad generated."""
    code = getattr(fun, "__code__", None)
    return code is not None and code.co_filename.startswith(_FILE_PREFIX)


def generic_version(fun):
    """For a generated function (its twin with every helper inlined when it
    calls helpers' split forms, ``srcgrad_twin``) that starts with the float guard
    ``if type(x) is not float and type(x) is not float64 ...: return NAME(...)``, the generic function
    ``NAME`` it falls back to (which is right for every input); otherwise
    ``fun`` itself."""
    if not is_generated(fun):
        return fun
    if getattr(fun, "srcgrad_twin", None) is not None:
        # a gradient calling helpers' split forms (inline/joint.py): its twin
        # with every helper inlined is the one differentiated
        if getattr(fun, "srcgrad_twin_made", None) is None:
            fun.srcgrad_twin_made = fun.srcgrad_twin()
        fun = fun.srcgrad_twin_made
    import inspect
    import textwrap
    try:
        tree = gast.parse(textwrap.dedent(inspect.getsource(fun)))
    except (OSError, TypeError, SyntaxError):
        return fun
    body = tree.body[0].body
    if not body or not isinstance(body[0], gast.If):
        return fun
    first = body[0]
    if len(first.body) != 1 or not isinstance(first.body[0], gast.Return) or first.orelse:
        return fun
    call = first.body[0].value
    if not (isinstance(call, gast.Call) and isinstance(call.func, gast.Name)
            and _is_type_guard(first.test)):
        return fun
    free = fun.__code__.co_freevars
    if call.func.id not in free or not fun.__closure__:
        return fun
    target = fun.__closure__[free.index(call.func.id)].cell_contents
    if hasattr(target, "srcgrad_resolve"):      # made when first needed (compiler/lazy.py)
        target = target.srcgrad_resolve()
    return generic_version(target) if is_generated(target) else fun


def _is_type_guard(test):
    """``(type(x) is not float and type(x) is not float64) or type(y) is not ndarray
    or y.ndim != 1 or not number_sequence(obs) ...`` (and the older
    ``type(x) not in (float, float64)``)"""
    tests = test.values if isinstance(test, gast.BoolOp) and isinstance(test.op, gast.Or) \
        else [test]
    for t in tests:
        if isinstance(t, gast.BoolOp) and isinstance(t.op, gast.And) and \
                all(_is_type_guard(v) for v in t.values):
            continue        # (type(x) is not float and type(x) is not float64)
        if isinstance(t, gast.UnaryOp) and isinstance(t.op, gast.Not) and \
                isinstance(t.operand, gast.Call) and isinstance(t.operand.func, gast.Name) and \
                t.operand.func.id.startswith("number_sequence"):
            continue
        if isinstance(t, gast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], gast.NotEq) \
                and isinstance(t.left, gast.Attribute) and t.left.attr == "ndim":
            continue
        if isinstance(t, gast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], gast.NotIn) \
                and isinstance(t.left, gast.Call) and isinstance(t.left.func, gast.Name) \
                and t.left.func.id == "type":
            continue
        if not (isinstance(t, gast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], gast.IsNot)
                and isinstance(t.left, gast.Call) and isinstance(t.left.func, gast.Name)
                and t.left.func.id == "type"):
            return False
    return True


def prepare(parsed, reverse=False, inlined=False):
    """Rewrite the tape operations and reversed loops of generated code
    (``parsed.tree``, in place) into forms the pipeline differentiates.
    Does nothing to a function srcgrad did not generate."""
    if not is_generated(parsed.fun):
        return parsed
    if parsed.tree.name.endswith("_generic"):      # named after the function it stands for
        parsed.tree.name = parsed.tree.name[:-len("_generic")]
    _strip_boundary(parsed, inlined)
    _unbatch_outer_products(parsed)
    splits_as_calls(parsed)
    _unpops_as_appends(parsed)
    # reverse mode over the gradient differentiates its tapes as the lists they
    # are (appends and pops have O(1) adjoints); forward mode pairs each tape
    # with a tangent tape (Forward.tape_op)
    tapes = set() if reverse else _tape_names(parsed.tree)
    parsed.srcgrad_tapes = tapes
    if tapes:
        from srcgrad.rules import runtime_rules  # noqa: F401  (registers the tape rules)
        parsed.closure = dict(parsed.closure)
        push = _inject(parsed, "tape_push", runtime_forward.tape_push)
        pop = _inject(parsed, "tape_pop", runtime_forward.tape_pop)
    else:
        push = pop = None
    taken = {n.id for n in name_nodes(parsed.tree)}
    pushed = {}             # tape -> the names pushed on it (alone or in a tuple)
    for node in walk_tree(parsed.tree):
        if isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
                node.func.attr == "append" and isinstance(node.func.value, gast.Name) and \
                node.func.value.id in tapes and len(node.args) == 1:
            v = node.args[0]
            pushed.setdefault(node.func.value.id, set()).update(
                e.id for e in ([v] if isinstance(v, gast.Name) else getattr(v, "elts", ()))
                if isinstance(e, gast.Name))
    _Rewrite(tapes, push, pop, _flags(parsed.tree), taken, pushed).visit(parsed.tree)
    return parsed


def _strip_boundary(parsed, inlined=False):
    """Drop the type checks at the entry and exit of generated code
    (``check_argument(x, 'x')``, ``return like_argument(d_x, x, 'x')``;
    :func:`srcgrad.api._with_boundary`): the derivative generated from it
    gets checks of its own."""
    helpers = {name for name, cell in parsed.closure.items()
               if any(_cell_value(cell) is h for h in (runtime.check_argument,
                                                       runtime.like_argument, runtime.like_value,
                                                       runtime.like_arguments))}
    if not helpers:
        return

    def is_helper(node):
        return isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
            node.func.id in helpers

    def is_dispatch(s):
        """``if check_argument(x, 'x') or ...: return d_f_complex(x)``: the
        call of the version for complex arguments (boundary.ComplexVersions)."""
        return isinstance(s, gast.If) and not s.orelse and len(s.body) == 1 and \
            isinstance(s.body[0], gast.Return) and isinstance(s.body[0].value, gast.Call) and \
            isinstance(s.body[0].value.func, gast.Name) and \
            s.body[0].value.func.id in parsed.closure and \
            type(_cell_value(parsed.closure[s.body[0].value.func.id])).__name__ == \
            "ComplexVersions" and any(is_helper(n) for n in walk_tree(s.test))

    body = parsed.tree.body
    checks = []
    if inlined:
        # inlined into a function being differentiated, no version for complex
        # arguments is called: its real version refuses them when it runs
        checks = [n for s in body if is_dispatch(s) for n in walk_tree(s.test)
                  if is_helper(n) and len(n.args) == 2 and isinstance(n.args[0], gast.Name)]
        if checks:
            parsed.closure = dict(parsed.closure)
            real = _inject(parsed, "real_only", runtime.real_only)
            checks = [gast.copy_location(gast.Expr(value=gast.Call(
                func=load(real), args=[load(n.args[0].id), n.args[1]], keywords=[])), body[0])
                for n in checks]
    body[:] = checks + [s for s in body if not (isinstance(s, gast.Expr) and is_helper(s.value))
                        and not is_dispatch(s)]

    if body and isinstance(body[-1], gast.Return):
        body[-1] = _Unwrap(is_helper, helpers, parsed).visit(body[-1])


class _Unwrap(Transformer):
    """The value a boundary helper's call wraps (:func:`_strip_boundary`; a
    class of the module's: a class made per call is a reference cycle that
    holds what its methods read until the garbage collector runs)."""

    def __init__(self, is_helper, helpers, parsed):
        self.is_helper, self.helpers, self.parsed = is_helper, helpers, parsed

    def visit_Call(self, node):
        self.generic_visit(node)
        if not self.is_helper(node):
            return node
        if node.func.id in self.helpers and _cell_value(self.parsed.closure[node.func.id]) is \
                runtime.like_arguments:
            return node.args[0]
        return node.args[0]


def _unpops_as_appends(parsed):
    """``unpop_adjoint(d_xs, None)`` (the reverse of ``xs.pop()`` on the
    adjoint of a list, in a gradient of a gradient) is ``d_xs.append(0.0)``,
    a list method the pipeline differentiates (third derivatives through
    loops, whose tapes are popped)."""
    names = {name for name, cell in parsed.closure.items()
             if _cell_value(cell) is runtime.unpop_adjoint}
    if not names:
        return

    _UnpopsAsAppends(names).visit(parsed.tree)


class _UnpopsAsAppends(Transformer):
    def __init__(self, names):
        self.names = names

    def visit_Expr(self, node):
        v = node.value
        if isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
                v.func.id in self.names and len(v.args) == 2 and not v.keywords and \
                isinstance(v.args[0], gast.Name) and \
                isinstance(v.args[1], gast.Constant) and v.args[1].value is None:
            call = gast.Call(func=gast.Attribute(value=load(v.args[0].id), attr="append",
                                                 ctx=gast.Load()),
                             args=[const(0.0)], keywords=[])
            return gast.copy_location(gast.Expr(value=call), node)
        return node


def _flags(tree):
    """Names every other assignment of which is a comparison or a boolean
    operation (the recorded conditions of branches): pushed and popped as
    they are, they keep no tangent on the tangent tape."""
    boolean, other = set(), set()
    for node in walk_tree(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name):
            v, name = node.value, node.targets[0].id
            if isinstance(v, (gast.Compare, gast.BoolOp)) or \
                    isinstance(v, gast.UnaryOp) and isinstance(v.op, gast.Not):
                boolean.add(name)
            elif not (isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute)
                      and v.func.attr == "pop"):
                other.add(name)
    return boolean - other


def closure_objects(parsed):
    """The objects a generated function reads through its closure (``np``,
    the runtime helpers, what emit injected): for ``srcgrad.source(...,
    standalone=True)`` of code derived from it.  Empty for a user's function."""
    if not is_generated(parsed.fun):
        return {}
    out = {}
    for name, cell in parsed.closure.items():
        try:
            out[name] = cell.cell_contents
        except ValueError:
            pass
    return out


def _unbatch_outer_products(parsed):
    """Undo :func:`srcgrad.optimise.batch_outer_products`: the loop's
    ``gs.append(g); xs.append(x)`` and ``d_W += matmul_dx_sum(gs, W, xs)``
    after it become ``d_W += matmul_dx(g, W, x)`` in the loop again, which
    the pipeline differentiates like any product."""
    helpers = {name for name, cell in parsed.closure.items()
               if _cell_value(cell) is runtime.matmul_dx_sum}
    if not helpers:
        return
    sums = {}       # (gs, xs) -> the statement d_W += matmul_dx_sum(gs, W, xs)
    for node in walk_tree(parsed.tree):
        if isinstance(node, gast.AugAssign) and isinstance(node.value, gast.Call) and \
                isinstance(node.value.func, gast.Name) and node.value.func.id in helpers:
            gs, w, xs = node.value.args
            sums[(gs.id, xs.id)] = node
    if not sums:
        return
    matmul_dx = _inject(parsed, "matmul_dx", runtime.matmul_dx)
    lists = {n for pair in sums for n in pair}

    def appended(st, names):
        v = getattr(st, "value", None)
        return isinstance(st, gast.Expr) and isinstance(v, gast.Call) and \
            isinstance(v.func, gast.Attribute) and v.func.attr == "append" and \
            isinstance(v.func.value, gast.Name) and v.func.value.id in names

    def rewrite(stmts):
        out, i = [], 0
        while i < len(stmts):
            st = stmts[i]
            for field in ("body", "orelse"):
                if isinstance(getattr(st, field, None), list):
                    setattr(st, field, rewrite(getattr(st, field)))
            if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name) and \
                    st.targets[0].id in lists:
                i += 1                                   # gs = []
                continue
            if any(st is total for total in sums.values()):
                i += 1                                   # d_W += matmul_dx_sum(...)
                continue
            if appended(st, {g for g, _ in sums}) and i + 1 < len(stmts):
                key = (st.value.func.value.id, stmts[i + 1].value.func.value.id)
                total = sums[key]
                w = total.value.args[1]
                call = gast.Call(func=load(matmul_dx), args=[st.value.args[0], w,
                                                             stmts[i + 1].value.args[0]],
                                 keywords=[])
                out.append(gast.AugAssign(target=store(total.target.id), op=gast.Add(),
                                          value=call))
                i += 2
                continue
            out.append(st)
            i += 1
        return out

    parsed.tree.body = rewrite(parsed.tree.body)


def _tape_names(tree):
    """Names that are assigned an empty list and used only through
    ``.append(v)`` and ``.pop()``: the tapes of generated gradients."""
    empty, other = set(), set()
    for node in walk_tree(tree):
        if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name):
            if isinstance(node.value, gast.List) and not node.value.elts:
                empty.add(node.targets[0].id)
    tapes = set(empty)
    through = set()          # the Name nodes that are the object of .append / .pop
    for node in walk_tree(tree):
        if isinstance(node, gast.Attribute) and isinstance(node.value, gast.Name) and \
                node.value.id in tapes:
            if node.attr in ("append", "pop"):
                through.add(id(node.value))
            else:
                other.add(node.value.id)
    for node in walk_tree(tree):     # read any other way (L[0], sum(L)): a list of the user's
        if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                node.id in tapes and id(node) not in through:
            other.add(node.id)
    return tapes - other


class _Rewrite(Transformer):
    """Pushes and pops of values onto the tapes become ``tape_push`` and
    ``tape_pop`` calls; the recorded branch conditions (``flags``) move to
    a stack of their own (``conds``), which needs no tangent: they are pushed
    and popped in mirrored order, like everything on the tape."""

    def __init__(self, tapes, push, pop, flags, taken=(), pushed=None):
        self.tapes, self.push, self.pop, self.flags = tapes, push, pop, flags
        self.pushed = pushed or {}
        self.conds = {}
        taken = set(taken)
        for tape in sorted(tapes):
            name, n = "conds", 0
            while name in taken:
                n += 1
                name = f"conds_{n}"
            taken.add(name)
            self.conds[tape] = name

    def _method(self, obj, name, args):
        return gast.Call(func=gast.Attribute(value=load(obj), attr=name, ctx=gast.Load()),
                         args=args, keywords=[])

    def _tape_call(self, node, method, nargs):
        return (isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute)
                and isinstance(node.func.value, gast.Name) and node.func.value.id in self.tapes
                and node.func.attr == method and len(node.args) == nargs and not node.keywords)

    def visit_Expr(self, node):
        if self._tape_call(node.value, "append", 1):
            tape = node.value.func.value.id
            pushed = node.value.args[0]
            if isinstance(pushed, gast.Name) and pushed.id in self.flags:
                return gast.copy_location(gast.Expr(
                    value=self._method(self.conds[tape], "append", [pushed])), node)
            new = gast.Assign(targets=[store(tape)],
                              value=gast.Call(func=load(self.push),
                                              args=[load(tape), node.value.args[0]], keywords=[]),
                              type_comment=None)
            return gast.copy_location(new, node)
        return self.generic_visit(node)

    def visit_Assign(self, node):
        t = node.targets[0]
        if len(node.targets) == 1 and isinstance(t, gast.Name) and t.id in self.flags and \
                self._tape_call(node.value, "pop", 0):
            node.value = self._method(self.conds[node.value.func.value.id], "pop", [])
            return node
        if len(node.targets) == 1 and self._tape_call(node.value, "pop", 0):
            names = [t] if isinstance(t, gast.Name) else list(getattr(t, "elts", ()))
            pushed = self.pushed.get(node.value.func.value.id, ())
            node = self.generic_visit(node)
            if names and all(isinstance(n, gast.Name) and n.id in pushed for n in names):
                # the pop gives back what the same names held when they were pushed
                # (x = tape.pop(), a, b = tape.pop()): a restore (analysis/activity.py)
                node.value.srcgrad_restore = True
            return node
        if len(node.targets) == 1 and isinstance(t, gast.Name) and t.id in self.tapes and \
                isinstance(node.value, gast.List) and not node.value.elts and self.flags:
            conds = gast.Assign(targets=[store(self.conds[t.id])],
                                value=gast.List(elts=[], ctx=gast.Load()), type_comment=None)
            return [node, gast.copy_location(conds, node)]
        return self.generic_visit(node)

    def visit_Call(self, node):
        self.generic_visit(node)
        if self._tape_call(node, "pop", 0):
            call = gast.Call(func=load(self.pop), args=[load(node.func.value.id)], keywords=[])
            return gast.copy_location(call, node)
        return node

    def visit_For(self, node):
        self.generic_visit(node)
        it = node.iter
        if (isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and it.func.id == "reversed"
                and len(it.args) == 1 and not it.keywords):
            inner = it.args[0]
            if isinstance(inner, gast.Call) and isinstance(inner.func, gast.Name) and \
                    inner.func.id == "range" and 1 <= len(inner.args) <= 2 and not inner.keywords:
                lo, hi = (const(0), inner.args[0]) if len(inner.args) == 1 else inner.args
                start = gast.BinOp(left=hi, op=gast.Sub(), right=const(1))
                stop = const(-1) if isinstance(lo, gast.Constant) and lo.value == 0 else \
                    gast.BinOp(left=lo, op=gast.Sub(), right=const(1))
                node.iter = gast.copy_location(
                    gast.Call(func=load("range"), args=[start, stop, const(-1)], keywords=[]), it)
        return node
