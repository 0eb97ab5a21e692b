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
``for``/``while`` ``else``, ``break``, ``continue`` and ``return`` anywhere.
Jumps become flags only where needed: ``if c: return a`` followed by more code
puts that code into the ``else`` branch instead.
"""

import copy

import gast

from .names import assign, const, load, store

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
    def __init__(self, parsed, namer, inliner=None):
        self.parsed = parsed
        self.namer = namer
        if inliner is None:
            from .inline import Inliner
            inliner = Inliner(parsed, namer)
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
        fn.body = _copy_written_arguments(fn, _tidy(_drop_unread_flags(body, self.flags)))
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
            from .comprehensions import ContainerDesugar
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
        self.check_expr(s.iter)
        it = s.iter
        pre, header, binds = [], None, []
        call = it if isinstance(it, gast.Call) and not it.keywords else None
        fname = call.func.id if call is not None and isinstance(call.func, gast.Name) else None
        if fname == "range" and isinstance(s.target, gast.Name):
            header = gast.For(target=s.target, iter=it, body=[], orelse=[], type_comment=None)
        elif fname in ("enumerate", "zip") and isinstance(s.target, (gast.Tuple, gast.List)) \
                and len(call.args) >= 1 and (fname == "enumerate" or len(s.target.elts) == len(call.args)):
            seqs = []
            for arg in (call.args[:1] if fname == "enumerate" else call.args):
                if isinstance(arg, gast.Name):
                    seqs.append(arg.id)
                else:
                    tmp = self.namer.fresh("seq")
                    pre.append(assign(tmp, arg, s))
                    seqs.append(tmp)
            if fname == "enumerate":
                if len(call.args) > 1 or len(s.target.elts) != 2:
                    raise self.unsupported(s, "enumerate with a start value",
                                           "use range(len(seq)) and add the offset")
                idx_target, item_targets = s.target.elts[0], s.target.elts[1:]
                if isinstance(idx_target, gast.Name):
                    index = idx_target.id
                else:
                    index = self.namer.fresh("i")
            else:
                index, item_targets = self.namer.fresh("i"), s.target.elts
            bound = _len(seqs[0]) if len(seqs) == 1 else gast.Call(
                func=load("min"), args=[_len(q) for q in seqs], keywords=[])
            header = gast.For(target=store(index), iter=gast.Call(func=load("range"), args=[bound],
                                                                  keywords=[]),
                              body=[], orelse=[], type_comment=None)
            if fname == "enumerate" and not isinstance(idx_target, gast.Name):
                binds.extend(self.desugar_assign(gast.copy_location(
                    gast.Assign(targets=[idx_target], value=load(index), type_comment=None), s)))
            for t, q in zip(item_targets, seqs):
                item = gast.Subscript(value=load(q), slice=load(index), ctx=gast.Load())
                binds.extend(self.desugar_assign(gast.copy_location(
                    gast.Assign(targets=[t], value=item, type_comment=None), s)))
        else:
            if isinstance(it, gast.Name):
                seq = it.id
            else:
                seq = self.namer.fresh("seq")
                value = it
                if isinstance(it, gast.Call) and not _known_sequence(it):
                    value = gast.Call(func=load("list"), args=[it], keywords=[])
                pre.append(assign(seq, value, s))
            tname = s.target.id if isinstance(s.target, gast.Name) else "item"
            index = self.namer.fresh("i" if tname != "i" else "k")
            header = gast.For(target=store(index), iter=gast.Call(func=load("range"),
                                                                  args=[_len(seq)], keywords=[]),
                              body=[], orelse=[], type_comment=None)
            item = gast.Subscript(value=load(seq), slice=load(index), ctx=gast.Load())
            item.srcgrad_iter = True        # evidence that seq may be a list (analyse)
            binds.extend(self.desugar_assign(gast.copy_location(
                gast.Assign(targets=[s.target], value=item, type_comment=None), s)))
        gast.copy_location(header, s)
        for b in binds:
            gast.copy_location(b, s)
        header.body = binds + self.desugar_block(s.body)
        header.orelse = self.desugar_block(s.orelse)
        for p in pre:
            gast.copy_location(p, s)
        return pre + [header]

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
    written = []
    # names that may be views of an argument (y = x[1:], y = x.T, y = x.reshape(...))
    roots = {p: {p} for p in params}
    changed = True
    while changed:
        changed = False
        for node in gast.walk(gast.Module(body=body, type_ignores=[])):
            if isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                    isinstance(node.targets[0], gast.Name):
                src = _view_source(node.value, roots)
                if src is not None and not roots[src] <= roots.get(node.targets[0].id, set()):
                    roots.setdefault(node.targets[0].id, set()).update(roots[src])
                    changed = True
    for node in gast.walk(gast.Module(body=body, type_ignores=[])):
        if isinstance(node, gast.Subscript) and isinstance(node.ctx, gast.Store) and \
                isinstance(node.value, gast.Name) and node.value.id in roots:
            for p in sorted(roots[node.value.id]):
                if p not in written:
                    written.append(p)
        if isinstance(node, gast.Expr) and isinstance(node.value, gast.Call) and \
                isinstance(node.value.func, gast.Attribute) and \
                node.value.func.attr in ("append", "insert", "pop") and \
                isinstance(node.value.func.value, gast.Name) and \
                node.value.func.value.id in params and node.value.func.value.id not in written:
            written.append(node.value.func.value.id)     # a list changed in place
    copies = []
    for p in written:
        call = gast.Call(func=gast.Attribute(value=load(p), attr="copy", ctx=gast.Load()),
                         args=[], keywords=[])
        copies.append(gast.copy_location(assign(p, call), fn))
    return copies + body


#: methods and attributes of arrays (and NumPy functions) that may return a view
_VIEW_NAMES = {"T", "mT", "real", "imag", "reshape", "transpose", "ravel", "squeeze", "swapaxes",
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
    if isinstance(value, gast.Attribute) and value.attr in _VIEW_NAMES:
        return _view_source(value.value, names)
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr in _VIEW_NAMES:
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


def _known_sequence(call):
    f = call.func
    if isinstance(f, gast.Name) and f.id in _SEQUENCE_CALLS:
        return f.id != "reversed"
    if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
            f.value.id in ("np", "numpy"):
        return True
    return False
