"""Stage 2 — normalise: desugar Python into a small structured core.

After this stage a function body contains only

* ``name = expr``, ``name[index] = expr``, expression statements, ``raise``,
  ``assert``;
* ``if test: ... else: ...``;
* ``for i in range(...)`` and ``while test:`` loops whose only ``break`` is a
  final ``if flag: break`` (so every iteration that starts also reaches the
  end of the body);
* one ``return name`` as the last statement.

Desugared here: docstrings, annotations, augmented and multiple assignment,
tuple unpacking and swaps, ``for x in seq``, ``enumerate``, ``zip``,
``reversed``, ``list(...)`` of them, nested and starred loop targets
(:meth:`Normaliser.desugar_for`: the iterable is evaluated once, before the
loop, as Python does), ``for``/``while`` ``else``, ``break``, ``continue`` and
``return`` anywhere.
Jumps become flags only where needed: ``if c: return a`` followed by more code
puts that code into the ``else`` branch instead.
"""

import builtins
import copy
import itertools

import gast

from srcgrad import runtime
from srcgrad.compiler.frontend.comprehensions import ContainerDesugar
from srcgrad.compiler.frontend.inline import Inliner
from srcgrad.compiler.ir.dataflow import live_before, loads as _loads
from srcgrad.compiler.ir.names import assign, const, load, store

NEVER, MAYBE, ALWAYS = 0, 1, 2

_UNSUPPORTED = {
    gast.Try: ("try/except", "move the try/except out of the differentiated function"),
    gast.With: ("with", "move the 'with' block out of the differentiated function"),
    gast.AsyncWith: ("async with", "differentiate a plain synchronous function"),
    gast.AsyncFor: ("async for", "differentiate a plain synchronous function"),
    gast.Global: ("global", "pass the value in as an argument and return it instead of "
                            "assigning a global"),
    gast.Nonlocal: ("nonlocal", "pass the value in as an argument and return it instead"),
    gast.Delete: ("del", "remove the 'del' statement; srcgrad manages variable lifetimes"),
    gast.Import: ("import", "import at module level"),
    gast.ImportFrom: ("import", "import at module level"),
    gast.ClassDef: ("class definition", "define the class at module level"),
    gast.AsyncFunctionDef: ("async function", "differentiate a plain synchronous function"),
}
_UNSUPPORTED_EXPR = {
    gast.Lambda: ("lambda used as a value", "assign the lambda to a name and call it, or "
                                            "pass it to a function of your own"),
    gast.Yield: ("yield", "generators cannot be differentiated; return a value instead"),
    gast.YieldFrom: ("yield from", "generators cannot be differentiated; return a value instead"),
    gast.Await: ("await", "differentiate a plain synchronous function"),
    gast.NamedExpr: ("assignment expression (:=)", "assign with '=' on its own line"),
    gast.Starred: ("starred expression", "pass the arguments one by one"),
    gast.SetComp: ("set comprehension", "write the loop out explicitly"),
}


class _Loop:
    """Jump flags of one loop being structured; created when first needed."""

    def __init__(self, norm):
        self.norm = norm
        self.brk = None
        self.skip = None

    def break_flag(self):
        if self.brk is None:
            self.brk = self.norm.namer.fresh("broke")
        return self.brk

    def skip_flag(self):
        if self.skip is None:
            self.skip = self.norm.namer.fresh("skip")
        return self.skip


class Normaliser:
    def __init__(self, parsed, namer, inliner=None, driver=None):
        self.parsed = parsed
        self.namer = namer
        if inliner is None:
            inliner = Inliner(parsed, namer, driver, Normaliser)
        self.inliner = inliner   # expands calls to the user's functions (inline.py)
        self.ret = None          # name holding the return value
        self.returned = None     # flag: a return has happened
        self.flags = set()       # every jump flag made (unread ones are dropped)

    # -- entry -------------------------------------------------------------
    def run(self):
        fn = self.tree = self.parsed.tree
        self._check_arguments(fn)
        body = self.desugar_block(fn.body)
        self.ret = self.namer.fresh("out")
        body, mode = self.structure(body, None)
        if mode != ALWAYS:
            body = [assign(self.ret, const(None), fn)] + body
        if self.returned is not None:
            body = [assign(self.returned, const(False), fn)] + body
        ret = gast.Return(value=load(self.ret))
        gast.copy_location(ret, fn.body[-1])
        body.append(ret)
        body = _tidy(_drop_unread_flags(body, self.flags))
        self._counters_read_after(body, set())
        fn.body = _copy_written_arguments(fn, body)
        self.inliner.check_unused(fn)
        return fn

    def run_inlined(self, fn, name):
        """Normalise the body of function ``fn`` being inlined (its names
        already renamed): returns the statements and the name of the result
        (derived from the function's ``name``)."""
        self.tree = fn
        body = self.desugar_block(fn.body)
        self.ret = self.namer.fresh(name)
        body, mode = self.structure(body, None)
        if mode != ALWAYS:
            body = [assign(self.ret, const(None), fn)] + body
        if self.returned is not None:
            body = [assign(self.returned, const(False), fn)] + body
        return _drop_unread_flags(body, self.flags), self.ret

    def _check_arguments(self, fn):
        a = fn.args
        if a.vararg is not None or a.kwarg is not None:
            raise self.parsed.error(fn, f"{fn.name} takes *args or **kwargs",
                                    construct="*args/**kwargs",
                                    hint="give the function named parameters")

    def unsupported(self, node, what, hint):
        return self.parsed.error(node, f"{what} is not supported in a differentiated function",
                                 hint=hint, construct=what)

    def check_expr(self, node):
        for sub in gast.walk(node):
            kind = _UNSUPPORTED_EXPR.get(type(sub))
            if kind:
                raise self.unsupported(getattr(sub, "lineno", None) and sub or node, *kind)

    # -- desugaring ----------------------------------------------------------
    def desugar_block(self, stmts):
        out = []
        for i, s in enumerate(stmts):
            if i == 0 and isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) \
                    and isinstance(s.value.value, str):
                continue          # docstring
            out.extend(self.desugar(s))
        return out

    def desugar(self, s):
        if isinstance(s, gast.FunctionDef):
            return self.inliner.define(s)
        if not hasattr(self, "containers"):
            self.containers = ContainerDesugar(self)
        done = self.containers.run(s)    # comprehensions, dict views, extend, pop
        if done is not None:
            return done
        expanded = self.expand_calls(s)
        if expanded is not None:
            return expanded
        kind = _UNSUPPORTED.get(type(s))
        if kind:
            raise self.unsupported(s, *kind)
        if isinstance(s, gast.Match if hasattr(gast, "Match") else ()):
            raise self.unsupported(s, "match statement", "use if/elif")
        if isinstance(s, gast.Pass):
            return []
        if isinstance(s, gast.Expr):
            self.check_expr(s.value)
            if isinstance(s.value, gast.Constant):
                return []
            return [s]
        if isinstance(s, gast.AnnAssign):
            if s.value is None:
                return []
            return self.desugar(gast.copy_location(
                gast.Assign(targets=[s.target], value=s.value, type_comment=None), s))
        if isinstance(s, gast.AugAssign):
            return self.desugar_augassign(s)
        if isinstance(s, gast.Assign):
            self.check_expr(s.value)
            for t in s.targets:
                self.check_expr(t)
            return self.desugar_assign(s)
        if isinstance(s, gast.If):
            self.check_expr(s.test)
            s.body = self.desugar_block(s.body)
            s.orelse = self.desugar_block(s.orelse)
            return [s]
        if isinstance(s, gast.While):
            self.check_expr(s.test)
            s.body = self.desugar_block(s.body)
            s.orelse = self.desugar_block(s.orelse)
            return [s]
        if isinstance(s, gast.For):
            return self.desugar_for(s)
        if isinstance(s, (gast.Return, gast.Break, gast.Continue, gast.Raise, gast.Assert)):
            for sub in gast.iter_child_nodes(s):
                self.check_expr(sub)
            return [s]
        raise self.unsupported(s, type(s).__name__, "rewrite this statement")

    def expand_calls(self, s):
        """Inline the calls to the user's functions in ``s`` (inline.py):
        returns the normalised statements, or ``None`` when ``s`` has none."""
        inl = self.inliner
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name):
            name = s.targets[0].id
            if isinstance(s.value, gast.Lambda):
                return inl.define(s.value, name)
            if inl.is_partial(s.value):
                pre = inl.define_partial(name, s.value, s)
                if pre is not None:
                    return [d for p in pre for d in self.desugar(p)]
        if isinstance(s, gast.While) and inl.has_calls(s.test):
            if s.orelse:
                raise self.unsupported(s, "while/else whose condition calls a function",
                                       "compute the condition in the loop body")
            # the condition is evaluated before every iteration
            stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=s.test),
                           body=[gast.copy_location(gast.Break(), s)], orelse=[])
            s.test = const(True)
            s.body = [gast.copy_location(stop, s)] + s.body
            return None
        field = {gast.Assign: "value", gast.AugAssign: "value", gast.AnnAssign: "value",
                 gast.Expr: "value", gast.Return: "value", gast.If: "test",
                 gast.For: "iter"}.get(type(s))
        value = getattr(s, field, None) if field else None
        if value is None or getattr(s, "srcgrad_expanded", False) or not inl.has_calls(value):
            return None
        pre, new = inl.expand(value, s, self.desugar)
        setattr(s, field, new)
        s.srcgrad_expanded = True      # what is left are calls that recurse
        if isinstance(s, gast.Expr) and isinstance(new, gast.Name):
            return pre                 # a call made for its effect
        return pre + self.desugar(s)

    def desugar_augassign(self, s):
        target = s.target
        if isinstance(target, gast.Name):
            value = gast.BinOp(left=load(target.id), op=s.op, right=s.value)
            value.srcgrad_inplace = True    # changes an array in place (analyse checks sharing)
            return self.desugar(gast.copy_location(gast.Assign(targets=[target], value=value,
                                                               type_comment=None), s))
        if isinstance(target, gast.Subscript):
            pre = []
            index = self.index_once(target.slice, pre, s)
            container = target.value
            read = gast.Subscript(value=_as_load(container), slice=index, ctx=gast.Load())
            write = gast.Subscript(value=_as_load(container), slice=copy.deepcopy(index),
                                   ctx=gast.Store())
            value = gast.BinOp(left=read, op=s.op, right=s.value)
            return pre + self.desugar(gast.copy_location(
                gast.Assign(targets=[write], value=value, type_comment=None), s))
        raise self.unsupported(s, "augmented assignment to an attribute",
                               "assign the new value to a local variable")

    def index_once(self, index, pre, s):
        """``index`` read and written by ``x[index] op= v``, with each part
        that is not a constant or a name evaluated once, into a temporary
        (slices stay slices: ``m[:, i + 1]`` -> ``index = i + 1; m[:, index]``)."""
        if _simple(index) or _constant_slice(index):
            return index
        if isinstance(index, gast.Slice):
            for f in ("lower", "upper", "step"):
                b = getattr(index, f)
                if b is not None and not _constant_slice(gast.Slice(lower=b, upper=None, step=None)):
                    setattr(index, f, self.index_once(b, pre, s))
            return index
        if isinstance(index, gast.Tuple) and not any(isinstance(e, gast.Starred)
                                                     for e in index.elts):
            index.elts = [self.index_once(e, pre, s) for e in index.elts]
            return index
        tmp = self.namer.fresh("index")
        pre.append(assign(tmp, index, s))
        return load(tmp)

    def desugar_assign(self, s):
        if len(s.targets) > 1:
            value = s.value
            out = []
            if not _simple(value):
                tmp = self.namer.fresh("value")
                out.append(assign(tmp, value, s))
                value = load(tmp)
            for t in s.targets:
                out.extend(self.desugar_assign(gast.copy_location(
                    gast.Assign(targets=[t], value=value, type_comment=None), s)))
            return out
        target = s.targets[0]
        if isinstance(target, (gast.Tuple, gast.List)):
            return self.unpack(target, s.value, s)
        if isinstance(target, gast.Attribute):
            raise self.unsupported(s, "assignment to an attribute",
                                   "assign to a local variable")
        if isinstance(target, gast.Starred):
            raise self.unsupported(s, "starred assignment", "unpack element by element")
        if isinstance(target, gast.Subscript):
            container = target.value
            while isinstance(container, gast.Subscript):
                container = container.value
            if not isinstance(container, gast.Name):
                # ``obj.v[i] = e``: a write into an attribute's value in place
                # (not followed by the analysis: it would be silently ignored)
                raise self.unsupported(s, "assignment into an element of an attribute "
                                       "or an expression",
                                       "copy it into a local variable (np.copy(...)), write into that, "
                                       "and build a new object")
        return [s]

    def unpack(self, target, value, where):
        elts = target.elts
        if any(isinstance(e, gast.Starred) for e in elts):
            raise self.unsupported(where, "starred assignment", "unpack element by element")
        out = []
        if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(elts):
            written = {n.id for e in elts for n in gast.walk(e) if isinstance(n, gast.Name)}
            read = {n.id for v in value.elts for n in gast.walk(v) if isinstance(n, gast.Name)}
            values = value.elts
            if written & read:        # a swap: evaluate every value first
                values = []
                for e, v in zip(elts, value.elts):
                    tmp = self.namer.fresh(e.id if isinstance(e, gast.Name) else "value")
                    out.append(assign(tmp, v, where))
                    values.append(load(tmp))
        else:
            if not isinstance(value, gast.Name):
                tmp = self.namer.fresh("values")
                out.append(assign(tmp, value, where))
                value = load(tmp)
            values = [gast.Subscript(value=load(value.id), slice=const(i), ctx=gast.Load())
                      for i in range(len(elts))]
            for v in values:
                v.srcgrad_unpack = True      # evidence that value is a tuple (analyse)
        for e, v in zip(elts, values):
            out.extend(self.desugar_assign(gast.copy_location(
                gast.Assign(targets=[e], value=v, type_comment=None), where)))
        return out

    def desugar_for(self, s):
        """``for target in iterable`` becomes ``for i in range(n)`` binding
        the target from indexed reads at the top of the body.

        The iterable is evaluated once, before the loop, as Python does: a
        name the loop (its target or body) rebinds is first bound to a fresh
        name (``for e in x: x = 2 * x`` iterates the original ``x``), as is a
        ``range`` bound or an ``enumerate`` start.  ``enumerate``, ``zip``
        (which stops at the shortest), ``reversed`` and ``list``/``tuple`` of
        them are read lazily, item by item, as Python's iterators read the
        underlying sequences -- so an array written in place by the loop
        (``x[k] = ...``) is seen at its later items, exactly as in Python --
        and their tuples are unpacked into nested and starred targets
        directly; any other iterable (``sorted(...)``, a tuple of values, an
        expression) is evaluated into a fresh name and indexed.  What Python
        would not do the same way is refused: a loop that changes the length
        of the list it iterates over, that updates the iterated name in place
        (``x += ...``), or that writes in place into what ``list(...)`` or
        ``tuple(...)`` copied before the loop."""
        self.check_expr(s.iter)
        ctx = _LoopEffects(s)
        pre = []
        it = s.iter
        fname = self._builtin_call(it)
        inner = it.args[0] if fname == "reversed" and len(it.args) == 1 and not it.keywords \
            else None
        if fname == "range" and isinstance(s.target, gast.Name) and not it.keywords:
            # 'for i in range(...)' is the core form; a bound the loop rebinds is read once
            it.args = [self._once(a, ctx, pre, "stop", names_only=True) for a in it.args]
            header = gast.For(target=s.target, iter=it, body=[], orelse=[], type_comment=None)
            binds = []
        elif inner is not None and self._builtin_call(inner) == "range" and \
                isinstance(s.target, gast.Name) and not inner.keywords and \
                len(inner.args) in (1, 2):
            # reversed(range(a, b)) is range(b - 1, a - 1, -1)
            args = [self._once(a, ctx, pre, "stop", names_only=True) for a in inner.args]
            lower, upper = (const(0), args[0]) if len(args) == 1 else args
            rng = gast.Call(func=load("range"), args=[
                gast.BinOp(left=upper, op=gast.Sub(), right=const(1)),
                gast.BinOp(left=lower, op=gast.Sub(), right=const(1))
                if not isinstance(lower, gast.Constant) else const(lower.value - 1),
                const(-1)], keywords=[])
            header = gast.For(target=s.target, iter=rng, body=[], orelse=[], type_comment=None)
            binds = []
        else:
            length, item = self.sequence(it, ctx, pre, s)
            target = s.target
            counter = None
            if fname == "enumerate" and isinstance(target, (gast.Tuple, gast.List)) and \
                    len(target.elts) == 2 and isinstance(target.elts[0], gast.Name) and \
                    _enumerate_start(it) is None and not any(
                        isinstance(n, gast.Name) and n.id == target.elts[0].id
                        for n in gast.walk(target.elts[1])):
                counter = target.elts[0].id       # for i, e in enumerate(x): i is the index
            if counter is None:
                tname = target.id if isinstance(target, gast.Name) else "item"
                counter = self.namer.fresh("i" if tname != "i" else "k")
            header = gast.For(target=store(counter), iter=gast.Call(
                func=load("range"), args=[length], keywords=[]), body=[], orelse=[],
                type_comment=None)
            binds = []
            self.bind(target, item(load(counter)), s, binds)
            _mark_keyed_reads(target, binds, s.body)
        gast.copy_location(header, s)
        for b in binds:
            gast.copy_location(b, s)
        header.body = binds + self.desugar_block(s.body)
        header.orelse = self.desugar_block(s.orelse)
        for p in pre:
            gast.copy_location(p, s)
        return self.desugar_block(pre) + [header]

    def _counters_read_after(self, stmts, live):
        """A loop variable read after its loop gets its value from a
        separate counter (``for i_1 in range(n): i = i_1``): when the loop
        does not run, Python leaves the variable as it was before the loop,
        and an assignment in the body (unlike the header) makes it loop
        carried in SSA.  ``live``: the names read after ``stmts``; returns
        those read before them."""
        for s in reversed(stmts):
            if isinstance(s, gast.If):
                live = self._counters_read_after(s.body, live) | \
                    self._counters_read_after(s.orelse, live) | _loads(s.test)
            elif isinstance(s, (gast.For, gast.While)):
                extra = _loads(s.test) if isinstance(s, gast.While) else set()
                target = {s.target.id} if isinstance(s, gast.For) else set()
                head = set(live)
                while True:
                    body_in = live_before(s.body, head | extra)
                    new = live | extra | (body_in - target)
                    if new <= head:
                        break
                    head |= new
                if isinstance(s, gast.For) and s.target.id in live:
                    counter = self.namer.fresh(s.target.id)
                    s.body.insert(0, gast.copy_location(assign(s.target.id, load(counter)), s))
                    s.target = store(counter)
                self._counters_read_after(s.body, head | extra)
                live = head | extra | (_loads(s.iter) if isinstance(s, gast.For) else set())
            else:
                live = live_before([s], live)
        return live

    def _maybe_a_mapping(self, name):
        """Whether ``name``, iterated by a loop, is a parameter of the function
        (or of the function inlined) that nothing in it shows to be a
        sequence: the loop reads it as
        ``name[0], name[1], ...``, which for a dict would be values (or a
        KeyError), not its keys -- so the generated code checks it
        (``runtime.check_sequence``).  Arithmetic on it, a slice of it or a
        NumPy call on it show a sequence (or an array)."""
        trees = [self.tree] if self.tree is self.parsed.tree else [self.tree, self.parsed.tree]
        params = {p.id for fn in trees for p in fn.args.posonlyargs + fn.args.args +
                  fn.args.kwonlyargs}     # inlined code: the callee's and the caller's
        if name not in params:
            return False
        for n in (n for fn in trees for n in gast.walk(fn)):
            operands = []
            if isinstance(n, gast.BinOp):
                operands = [n.left, n.right]
            elif isinstance(n, gast.UnaryOp):
                operands = [n.operand]
            elif isinstance(n, gast.Subscript) and isinstance(n.slice, (gast.Slice, gast.Tuple)):
                operands = [n.value]
            elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                    isinstance(n.func.value, gast.Name) and n.func.value.id in ("np", "numpy"):
                operands = n.args
            if any(isinstance(o, gast.Name) and o.id == name for o in operands):
                return False
        return True

    def _builtin_call(self, node):
        """The name of the builtin ``node`` calls (``range``, ``enumerate``,
        ``zip``, ``reversed``, ``list``, ``tuple``), if it calls one the
        function does not rebind."""
        if not (isinstance(node, gast.Call) and isinstance(node.func, gast.Name)):
            return None
        name = node.func.id
        if name not in _ITERATION_BUILTINS or _assigns(self.tree, name) or \
                self.parsed.resolve_global(name) is not getattr(builtins, name):
            return None
        return name

    def _once(self, node, ctx, pre, base, names_only=False):
        """``node`` as an expression with the value it has before the loop:
        bound to a fresh name first unless it is a constant or a name the loop
        does not rebind (with ``names_only``, any other expression is left to
        the SSA stage, which computes it once before the loop)."""
        if isinstance(node, gast.Constant) or \
                isinstance(node, gast.Name) and node.id not in ctx.written:
            return node
        if names_only and not isinstance(node, gast.Name):
            return node
        tmp = self.namer.fresh(node.id if isinstance(node, gast.Name) else base)
        pre.append(assign(tmp, node))
        return load(tmp)

    def sequence(self, it, ctx, pre, where, copied=False):
        """How the loop reads the iterable ``it``: ``(length, item)``, the
        number of items (an expression evaluated before the loop) and a
        function from an index expression to the item -- an expression, or a
        list of items for the tuples ``enumerate`` and ``zip`` make.
        Statements evaluating the iterable are appended to ``pre``.
        ``copied``: ``it`` is the argument of ``list(...)``/``tuple(...)``,
        whose items Python copies out before the loop starts."""
        fname = self._builtin_call(it)
        if fname == "enumerate":
            start = _enumerate_start(it)
            if len(it.args) < 1 or len(it.args) + len(it.keywords) > 2 or start is False:
                raise self.unsupported(where, "this call of enumerate",
                                       "write enumerate(seq) or enumerate(seq, start)")
            length, item = self.sequence(it.args[0], ctx, pre, where, copied)
            if start is None:
                return length, lambda k: [_int_index(k), item(k)]
            first = self._once(start, ctx, pre, "start")
            return length, lambda k: [_int_index(gast.BinOp(left=k, op=gast.Add(), right=first)),
                                      item(k)]
        if fname == "zip":
            strict = False
            for kw in it.keywords:
                if kw.arg == "strict" and isinstance(kw.value, gast.Constant):
                    strict = bool(kw.value.value)
                else:
                    raise self.unsupported(where, "this call of zip",
                                           "pass the sequences, and at most strict=True/False")
            if not it.args:
                return const(0), lambda k: []
            # an iterator of unknown length (itertools.count()) is read only as far as
            # the sized sequences go: zip stops at the shortest, and the iterator may be
            # endless
            unsized = [isinstance(a, gast.Call) and not _known_sequence(a) and
                       self._builtin_call(a) not in _ITERATION_BUILTINS for a in it.args]
            parts, lengths = [None] * len(it.args), [None] * len(it.args)
            for k in sorted(range(len(it.args)), key=lambda k: unsized[k]):
                a = it.args[k]
                if unsized[k] and not all(unsized):
                    bound = [n for n in lengths if n is not None]
                    for n in bound[1:]:
                        bound[0] = gast.Call(func=load("min"), args=[bound[0], n], keywords=[])
                    a = gast.Call(func=load(self.inliner.extra(itertools.islice, "islice")),
                                  args=[a, bound[0]], keywords=[])
                n, item = self.sequence(a, ctx, pre, where, copied)
                if not isinstance(n, (gast.Name, gast.Constant)):
                    tmp = self.namer.fresh("n")
                    pre.append(assign(tmp, n))
                    n = load(tmp)
                parts[k], lengths[k] = (n, item), n
            if strict:
                for n in lengths[1:]:
                    pre.append(gast.If(test=gast.Compare(left=lengths[0], ops=[gast.NotEq()],
                                                         comparators=[n]),
                                       body=[gast.Raise(exc=gast.Call(
                                           func=load("ValueError"),
                                           args=[const("zip() arguments have different "
                                                       "lengths")], keywords=[]), cause=None)],
                                       orelse=[]))
            length = lengths[0]
            for n in lengths[1:]:             # zip stops at the shortest
                length = gast.Call(func=load("min"), args=[length, n], keywords=[])
            return length, lambda k: [item(k) for _, item in parts]
        if fname == "reversed" and len(it.args) == 1 and not it.keywords:
            arg = it.args[0]
            if self._builtin_call(arg) in ("enumerate", "zip"):
                raise self.unsupported(where, f"reversed({arg.func.id}(...))",
                                       f"Python cannot reverse a {arg.func.id} object: write "
                                       f"reversed(list({arg.func.id}(...)))")
            length, item = self.sequence(arg, ctx, pre, where, copied)
            last = self.namer.fresh("last")
            pre.append(assign(last, gast.BinOp(left=length, op=gast.Sub(), right=const(1))))
            return length, lambda k: item(gast.BinOp(left=load(last), op=gast.Sub(), right=k))
        if fname in ("list", "tuple") and len(it.args) == 1 and not it.keywords:
            arg = it.args[0]
            if self._builtin_call(arg) is not None or isinstance(arg, gast.Name):
                return self.sequence(arg, ctx, pre, where, copied=True)
        source = None
        if isinstance(it, gast.Name):
            name = source = it.id
            if name in ctx.resized:
                raise self.unsupported(where, f"a loop that changes the length of '{name}', "
                                       "which it iterates over",
                                       f"iterate over a copy made before the loop: "
                                       f"for ... in list({name})")
            if name in ctx.updated:
                raise self.unsupported(where, f"'{name} op= ...' in a loop over '{name}' (an "
                                       "array is changed in place, and the loop sees it)",
                                       f"write {name} = {name} op ... (a new value), or iterate "
                                       f"over a copy made before the loop")
            if copied and ctx.writes_in_place and name not in self.containers.dict_names():
                raise self.unsupported(where, f"a loop over list({name}) or tuple({name}) that "
                                       "writes into arrays in place",
                                       f"copy before the loop and iterate over the copy: "
                                       f"items = list({name})")
            if name in self.containers.dict_names():
                seq = self.namer.fresh("keys")          # iterating a dict gives its keys
                pre.append(assign(seq, gast.Call(func=load("list"), args=[load(name)],
                                                 keywords=[])))
            else:
                if self._maybe_a_mapping(name):
                    check = gast.Call(func=load(self.inliner.extra(runtime.check_sequence,
                                                                   "check_sequence")),
                                      args=[load(name), const(name)], keywords=[])
                    pre.append(gast.Expr(value=check))
                seq = name
                if name in ctx.written:                 # the loop rebinds it: the original
                    seq = self.namer.fresh(name + "_iterated")
                    pre.append(assign(seq, load(name)))
        else:
            seq = self.namer.fresh("seq")
            value = it
            if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
                    it.func.id == "sorted" and not _assigns(self.tree, "sorted") and \
                    self.parsed.resolve_global("sorted") is sorted and it.args and \
                    isinstance(it.args[0], gast.Name):
                source = it.args[0].id                  # sorted(d): d's keys
            if isinstance(it, (gast.Dict, gast.Set)) or isinstance(it, gast.Call) and \
                    not _known_sequence(it) and self._builtin_call(it) != "range":
                # (a dict or a set is iterated as list(...) gives it: keys, members)
                value = gast.Call(func=load("list"), args=[it], keywords=[])
            pre.append(assign(seq, value))

        def item(k):
            node = gast.Subscript(value=load(seq), slice=k, ctx=gast.Load())
            node.srcgrad_iter = True        # evidence that seq may be a list (analyse)
            node.srcgrad_source = source    # the container whose items (keys) seq holds
            return node
        return _len(seq), item

    def bind(self, target, item, where, out):
        """Assign ``item`` (from :meth:`sequence`) to the loop target."""
        if isinstance(item, list):
            if isinstance(target, (gast.Tuple, gast.List)):
                elts = target.elts
                stars = [k for k, e in enumerate(elts) if isinstance(e, gast.Starred)]
                fixed = len(elts) - len(stars)
                if len(stars) > 1 or (len(item) != fixed if not stars else len(item) < fixed):
                    raise self.unsupported(where, f"a loop target of {len(elts)} names for "
                                           f"items of {len(item)} values",
                                           "match the target to the items (Python raises "
                                           "ValueError here)")
                if stars:
                    k = stars[0]
                    tail = len(elts) - k - 1
                    for e, v in zip(elts[:k], item[:k]):
                        self.bind(e, v, where, out)
                    rest = item[k:len(item) - tail]
                    self.bind(elts[k].value, gast.List(elts=[_as_expr(v) for v in rest],
                                                       ctx=gast.Load()), where, out)
                    for e, v in zip(elts[k + 1:], item[len(item) - tail:]):
                        self.bind(e, v, where, out)
                else:
                    for e, v in zip(elts, item):
                        self.bind(e, v, where, out)
                return
            item = _as_expr(item)
        if isinstance(target, gast.Name) and isinstance(item, gast.Name) and \
                item.id == target.id:
            return                             # the loop counter itself
        if isinstance(target, (gast.Tuple, gast.List)) and getattr(item, "srcgrad_int", False):
            raise self.unsupported(where, "unpacking the index of enumerate",
                                   "the index is an int: bind it to one name")
        if isinstance(target, gast.Starred):
            raise self.unsupported(where, "starred assignment", "unpack element by element")
        out.extend(self.desugar_assign(gast.copy_location(
            gast.Assign(targets=[target], value=item, type_comment=None), where)))

    # -- structuring jumps ---------------------------------------------------
    def structure(self, stmts, loop):
        """Rewrite ``stmts`` so that no break/continue/return is left except
        the final ``if flag: break`` of a loop.  Returns the new statements and
        whether they may jump (NEVER, MAYBE or ALWAYS)."""
        out = []
        for idx, s in enumerate(stmts):
            rest = stmts[idx + 1:]
            if isinstance(s, gast.Return):
                if getattr(s, "srcgrad_propagated", False):
                    jump = []
                else:
                    value = s.value if s.value is not None else const(None)
                    jump = [assign(self.ret, value, s)]
                if loop is None:
                    if not getattr(s, "srcgrad_propagated", False):
                        jump.append(self._set(self._returned_flag(), True, s))
                else:
                    if not getattr(s, "srcgrad_propagated", False):
                        jump.append(self._set(self._returned_flag(), True, s))
                    jump.append(self._set(loop.break_flag(), True, s))
                    jump.append(self._set(loop.skip_flag(), True, s))
                out.extend(jump)
                return out, ALWAYS
            if isinstance(s, gast.Break):
                out += [self._set(loop.break_flag(), True, s), self._set(loop.skip_flag(), True, s)]
                return out, ALWAYS
            if isinstance(s, gast.Continue):
                out.append(self._set(loop.skip_flag(), True, s))
                return out, ALWAYS
            if isinstance(s, gast.Raise):
                out.append(s)
                return out, ALWAYS
            if getattr(s, "srcgrad_final_break", False):
                out.append(s)          # the final 'if broke: break' of inlined code
                continue
            if isinstance(s, gast.If):
                body, mb = self.structure(s.body, loop)
                orelse, mo = self.structure(s.orelse, loop)
                if mb == NEVER and mo == NEVER:
                    s.body, s.orelse = body, orelse
                    out.append(s)
                    continue
                if not rest or (mb == ALWAYS and mo == ALWAYS):
                    s.body, s.orelse = body, orelse
                    out.append(s)
                    return out, ALWAYS if mb == mo == ALWAYS else MAYBE
                if mb == ALWAYS and mo == NEVER:
                    s.body = body
                    s.orelse, m = self.structure(s.orelse + rest, loop)
                    out.append(s)
                    return out, MAYBE
                if mo == ALWAYS and mb == NEVER:
                    s.orelse = orelse
                    s.body, m = self.structure(s.body + rest, loop)
                    out.append(s)
                    return out, MAYBE
                s.body, s.orelse = body, orelse
                out.append(s)
                flag = loop.skip_flag() if loop is not None else self._returned_flag()
                guarded, m = self.structure(rest, loop)
                if guarded:
                    out.append(gast.copy_location(
                        gast.If(test=gast.UnaryOp(op=gast.Not(), operand=load(flag)),
                                body=guarded, orelse=[]), rest[0]))
                return out, MAYBE
            if isinstance(s, (gast.For, gast.While)):
                pre, brk, orelse = self.structure_loop(s)
                out.extend(pre + [s])
                follow = []
                if orelse and brk is not None:
                    follow.append(gast.copy_location(gast.If(
                        test=gast.UnaryOp(op=gast.Not(), operand=load(brk)),
                        body=orelse, orelse=[]), s))
                else:
                    follow.extend(orelse)
                if self.returned is not None and _assigns(s, self.returned):
                    # a return inside the loop: leave the enclosing context too
                    marker = gast.copy_location(gast.Return(value=None), s)
                    marker.srcgrad_propagated = True
                    follow.append(gast.copy_location(
                        gast.If(test=load(self.returned), body=[marker], orelse=[]), s))
                if follow:
                    more, m = self.structure(follow + rest, loop)
                    out.extend(more)
                    return out, m
                continue
            out.append(s)
        return out, NEVER

    def structure_loop(self, s):
        """Structure a loop's body; returns the statements to put before the
        loop, its break flag (or None) and its (unstructured) else clause."""
        loop = _Loop(self)
        body, _ = self.structure(s.body, loop)
        pre = []
        if loop.skip is not None:
            body = [self._set(loop.skip, False, s)] + body
        if loop.brk is not None:
            pre.append(self._set(loop.brk, False, s))
            final = gast.copy_location(gast.If(test=load(loop.brk), body=[gast.Break()],
                                               orelse=[]), s)
            final.srcgrad_final_break = True
            body.append(final)
        s.body = body
        orelse, s.orelse = s.orelse, []
        return pre, loop.brk, orelse

    def _returned_flag(self):
        if self.returned is None:
            self.returned = self.namer.fresh("returned")
            self.flags.add(self.returned)
        return self.returned

    def _set(self, flag, value, like):
        self.flags.add(flag)
        return assign(flag, const(value), like)


def _assigns(tree, name):
    return any(isinstance(n, gast.Name) and n.id == name and isinstance(n.ctx, gast.Store)
               for n in gast.walk(tree))


def _drop_unread_flags(body, flags):
    """Remove assignments to jump flags that nothing reads."""
    read = set()
    for s in body:
        for n in gast.walk(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Load):
                read.add(n.id)
    unread = flags - read

    def clean(stmts):
        out = []
        for s in stmts:
            if isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) \
                    and s.targets[0].id in unread:
                continue
            for field in ("body", "orelse"):
                if hasattr(s, field) and isinstance(getattr(s, field), list):
                    setattr(s, field, clean(getattr(s, field)))
            out.append(s)
        return out

    return clean(body)


def _copy_written_arguments(fn, body):
    """An argument the function writes into (``x[i] = v``) is copied first:
    the caller's array is never modified by generated code."""
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    copies = []
    for p in _written_parameters(body, params):
        call = gast.Call(func=gast.Attribute(value=load(p), attr="copy", ctx=gast.Load()),
                         args=[], keywords=[])
        copies.append(gast.copy_location(assign(p, call), fn))
    return copies + body


#: methods of lists, dicts and arrays that change them in place (as statements)
_IN_PLACE_METHODS = {"append", "insert", "pop", "extend", "remove", "clear", "sort", "reverse",
                     "update", "setdefault", "popitem", "add", "discard", "fill"}


def _written_parameters(body, params):
    """The parameters (in order of first write) whose value the normalised
    ``body`` may write into: through ``x[i] = v`` or ``x.append(...)`` where
    ``x`` may hold the parameter's value or a view of it at that point.

    Flow-sensitive, by definition, not by name: after ``y = np.array([y])``
    the name ``y`` no longer holds the argument (which may be a float with no
    ``.copy()``), so a later ``y[:] = 0`` writes into a new array."""
    written = []

    def mark(name, state):
        for p in sorted(state.get(name, ())):
            if p not in written:
                written.append(p)

    def roots(value, state):
        src = _view_source(value, state)
        return state[src] if src is not None else frozenset()

    def join(a, b):
        return {n: a.get(n, frozenset()) | b.get(n, frozenset()) for n in set(a) | set(b)}

    def bind(target, value, state):
        if isinstance(target, gast.Name):
            state[target.id] = roots(value, state)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                new = [roots(v, state) for v in value.elts]
            else:           # unpacking: any element may be (a view of) what was read
                every = frozenset().union(*(state.get(n.id, frozenset()) for n in gast.walk(value)
                                            if isinstance(n, gast.Name)))
                new = [every] * len(target.elts)
            for t, r in zip(target.elts, new):
                if isinstance(t, gast.Name):
                    state[t.id] = r
                else:
                    bind(t, value, state)
        elif isinstance(target, gast.Starred):
            bind(target.value, value, state)

    def stores(s, state):
        # writes into a name's value anywhere in ``s`` (a fallback for
        # statements not followed precisely)
        for n in gast.walk(s):
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                    isinstance(n.value, gast.Name):
                mark(n.value.id, state)

    def block(stmts, state):
        for s in stmts:
            if isinstance(s, gast.Assign):
                for t in s.targets:
                    if isinstance(t, gast.Subscript) or not isinstance(t, gast.Name) and \
                            any(isinstance(n, gast.Subscript) for n in gast.walk(t)):
                        stores(t, state)
                for t in s.targets:
                    bind(t, s.value, state)
            elif isinstance(s, gast.Expr):
                v = s.value
                if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr in _IN_PLACE_METHODS and isinstance(v.func.value, gast.Name):
                    mark(v.func.value.id, state)     # a list (dict, array) changed in place
            elif isinstance(s, gast.If):
                state = join(block(s.body, dict(state)), block(s.orelse, dict(state)))
            elif isinstance(s, (gast.For, gast.While)):
                entry = state
                while True:
                    inner = dict(state)
                    if isinstance(s, gast.For):
                        # an element of what is iterated may be (a view of) it
                        bind(s.target, s.iter, inner)
                        if isinstance(s.target, gast.Name):
                            every = frozenset().union(*(
                                inner.get(n.id, frozenset()) for n in gast.walk(s.iter)
                                if isinstance(n, gast.Name)))
                            inner[s.target.id] = every
                    new = join(entry, block(s.body, inner))
                    if new == state:
                        break
                    state = new
                state = block(s.orelse, state)
            else:
                stores(s, state)
        return state

    block(body, {p: frozenset([p]) for p in params})
    return written


#: methods and attributes of arrays (and NumPy functions) that may return a view
VIEW_NAMES = {"T", "mT", "real", "imag", "reshape", "transpose", "ravel", "squeeze", "swapaxes",
               "view", "diagonal", "moveaxis", "expand_dims", "broadcast_to", "asarray",
               "asanyarray", "atleast_1d", "atleast_2d", "atleast_3d", "flip", "fliplr", "flipud",
               "rot90", "ascontiguousarray", "matrix_transpose", "permute_dims"}


def _view_source(value, names):
    """The name among ``names`` whose array ``value`` may be a view of (or
    be), or None."""
    while isinstance(value, gast.Subscript):
        value = value.value
    if isinstance(value, gast.Name):
        return value.id if value.id in names else None
    if isinstance(value, gast.Attribute) and value.attr in VIEW_NAMES:
        return _view_source(value.value, names)
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr in VIEW_NAMES:
        own = _view_source(value.func.value, names)         # x.reshape(...)
        if own is not None:
            return own
        return _view_source(value.args[0], names) if value.args else None   # np.transpose(x)
    return None


def _tidy(stmts):
    """Drop empty ``if`` statements; ``if c: pass else: s`` becomes
    ``if not c: s``."""
    out = []
    for s in stmts:
        if isinstance(s, (gast.If, gast.For, gast.While)):
            s.body = _tidy(s.body)
            s.orelse = _tidy(s.orelse)
        if isinstance(s, gast.If):
            if not s.body and not s.orelse:
                continue
            if not s.body:
                test = s.test
                if isinstance(test, gast.UnaryOp) and isinstance(test.op, gast.Not):
                    s.test = test.operand
                else:
                    s.test = gast.UnaryOp(op=gast.Not(), operand=test)
                s.body, s.orelse = s.orelse, []
        out.append(s)
    return out


def _simple(node):
    return isinstance(node, (gast.Name, gast.Constant))


def _constant_slice(node):
    """``a:b:c`` with constant or absent bounds (``x[:-1] += v``: read and
    written with the same slice, nothing to evaluate once)."""
    def bound(b):
        return b is None or isinstance(b, gast.Constant) or isinstance(b, gast.UnaryOp) and \
            isinstance(b.op, gast.USub) and isinstance(b.operand, gast.Constant)
    return isinstance(node, gast.Slice) and all(bound(b) for b in (node.lower, node.upper, node.step))


def _as_load(node):
    if isinstance(node, gast.Name):
        return load(node.id)
    return node


def _len(name):
    return gast.Call(func=load("len"), args=[load(name)], keywords=[])


_SEQUENCE_CALLS = {"list", "tuple", "sorted", "reversed"}


#: NumPy functions that return iterators, not arrays
_NUMPY_ITERATORS = {"ndindex", "ndenumerate", "nditer", "nested_iters"}


def _known_sequence(call):
    f = call.func
    if isinstance(f, gast.Name) and f.id in _SEQUENCE_CALLS:
        return f.id != "reversed"
    if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
            f.value.id in ("np", "numpy"):
        return f.attr not in _NUMPY_ITERATORS
    return False


_ITERATION_BUILTINS = ("range", "enumerate", "zip", "reversed", "list", "tuple")
_RESIZING = ("append", "extend", "insert", "pop", "remove", "clear")


class _LoopEffects:
    """What a ``for`` loop's target and body do to names: ``written``, the
    names they bind; ``updated``, the names updated with ``op=``;
    ``resized``, the names whose length a list method changes;
    ``writes_in_place``, whether the loop changes items of any object in
    place (``a[k] = v``, ``a[k] op= v``, a list method other than ``append``
    and ``extend``, which leave the existing items alone)."""

    def __init__(self, s):
        self.written, self.updated, self.resized = set(), set(), set()
        self.writes_in_place = False
        for node in [s.target] + s.body:
            for n in gast.walk(node):
                if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store):
                    self.written.add(n.id)
                elif isinstance(n, gast.AugAssign) and isinstance(n.target, gast.Name):
                    self.updated.add(n.target.id)
                elif isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                    self.writes_in_place = True
                elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                        n.func.attr in _RESIZING + ("sort", "reverse", "update", "setdefault",
                                                    "popitem"):
                    if n.func.attr not in ("append", "extend"):
                        self.writes_in_place = True
                    if isinstance(n.func.value, gast.Name) and n.func.attr in _RESIZING:
                        self.resized.add(n.func.value.id)


def _enumerate_start(call):
    """The ``start`` of ``enumerate(seq, start)``: ``None`` when it is 0 or
    absent, ``False`` when the call is malformed."""
    start = call.args[1] if len(call.args) > 1 else None
    for kw in call.keywords:
        if kw.arg != "start" or start is not None:
            return False
        start = kw.value
    if start is None or isinstance(start, gast.Constant) and start.value == 0 and \
            not isinstance(start.value, bool):
        return None
    return start


def _int_index(node):
    node.srcgrad_int = True
    return node


def _as_expr(item):
    """An item of :meth:`Normaliser.sequence` as one expression (the tuples
    of ``enumerate`` and ``zip`` as tuple displays)."""
    if isinstance(item, list):
        return gast.Tuple(elts=[_as_expr(v) for v in item], ctx=gast.Load())
    return item


def _mark_keyed_reads(target, binds, body):
    """``for k in d: ... d[k]`` (also through ``sorted(d)``, ``enumerate``,
    ...): ``d`` is indexed by its own items, so it is a mapping (or a list
    indexed by its values), not an array -- evidence for the analysis, as
    for ``for k in d`` in ``comprehensions.ContainerDesugar.dict_names``."""
    keys = {}
    for b in binds:
        if isinstance(b, gast.Assign) and isinstance(b.targets[0], gast.Name) and \
                getattr(b.value, "srcgrad_source", None) is not None:
            keys[b.targets[0].id] = b.value.srcgrad_source
    if not keys:
        return
    for stmt in body:
        for n in gast.walk(stmt):
            if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                    isinstance(n.slice, gast.Name) and keys.get(n.slice.id) == n.value.id:
                n.srcgrad_dict = True
