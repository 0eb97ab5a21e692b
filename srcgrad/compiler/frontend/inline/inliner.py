"""The :class:`Inliner`: a call to the user's own function becomes the
callee's body, its parameters bound (``bind.py``), its names renamed
(``rename.py``), normalised with a single result variable that replaces the
call.  Arguments are evaluated first, and only the branch taken of ``a if c
else b``, ``a and b`` runs its calls.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x):
...     def square(x):
...         return x * x
...     twice = lambda t: 2.0 * t
...     return twice(square(x + 1.0))
... ''')))
def f(x):
    x_1 = x + 1.0
    square_1 = x_1 * x_1
    twice_1 = 2.0 * square_1
    out = twice_1
    return out
"""

import builtins
import collections
import inspect
import sys

import gast

from srcgrad import runtime
from srcgrad.compiler.frontend import generated
from srcgrad.compiler.frontend.inline.bind import Binding, Value
from srcgrad.compiler.frontend.inline.callees import (Callees, LocalFunction, Partial,
                                                      PythonFunction, SelfMethod, defining_class)
from srcgrad.compiler.frontend.inline.joint import element_ranks, joint_helpers
from srcgrad.compiler.frontend.inline.rename import (Rename, free_in, scope_locals,
                                                     walk_same_scope)
from srcgrad.compiler.frontend.parse import parse
from srcgrad.compiler.ir.names import assign, const, load, names_in
from srcgrad.errors import UnsupportedError
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.transformer import Transformer


class Inliner(Callees, Binding):
    """Expands calls for one normalisation of the top-level function
    ``parsed``; shared by the normalisers of every inlined body."""

    def __init__(self, parsed, namer, driver, normaliser, classes=None):
        self.parsed = parsed
        self.namer = namer
        self.driver = driver        # srcgrad.grad(f) in the code: pipeline.Driver
        self.normaliser = normaliser   # the Normaliser class, for inlined bodies
        self.functions = {}      # local name -> LocalFunction | PythonFunction | Partial
        self.stack = [parsed.fun]   # keys of the functions being inlined
        self.tuples = dict(parsed.star_tuples)      # name of a static *args tuple -> element names
        self.keywords = dict(parsed.star_keywords)  # name of a static **kwargs dict -> {key: name}
        self.made = {}           # a name made here -> its value: an expression, or a
        #                          function of the names being looked at giving its kind
        #                          (normalise.iterated: what a loop iterates over)
        self.sources = {}        # Python function -> its Parsed (parsed once)
        # id of a callee's tree -> (the tree, its local names, free_names' map)
        self.callee_names = {}
        fn = parsed.tree
        self.locals = scope_locals(fn)
        self.classes = {}        # 'self' of a method (a run-time value) -> its class
        cls = defining_class(parsed.fun)
        args = fn.args.posonlyargs + fn.args.args
        if cls is not None and args and not inspect.ismethod(parsed.fun):
            self.classes[args[0].id] = cls
        # the classes of arguments whose methods are called (osc.energy(x)),
        # known when the derivative is called (srcgrad.api.classes)
        self.classes.update(classes or {})
        # helpers whose calls stay calls, each differentiated by an adjoint
        # function of its own (joint.py): in reverse mode for real arguments
        # (``parsed.srcgrad_joint``: the helpers to inline all the same)
        exclude = getattr(parsed, "srcgrad_joint", None)
        self.joint = set(joint_helpers(parsed, exclude)) \
            if exclude is not None and driver is not None else set()
        # single sites to inline all the same (("site", key), ``keep``)
        self.excluded_sites = {e[1] for e in exclude or () if isinstance(e, tuple)}
        self.site_path = []             # (line, column) of each call being inlined
        parsed.srcgrad_kept = {}        # those whose calls were kept -> element_ranks
        parsed.srcgrad_sites = {}       # the name a kept call's result gets -> its site
        stores = collections.Counter(n.id for n in name_nodes(fn)
                                     if isinstance(n.ctx, gast.Store))
        params = {a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs}
        # (a name the function assigns once, in its own code: never loop-carried)
        self.assigned_once = {n for n, k in stores.items() if k == 1} - params

    # -- expanding calls in a statement --------------------------------------------
    def expand(self, expr, where, desugar):
        """Inline the calls in ``expr`` (evaluation order: arguments first).
        Returns the statements to run before it and the new expression.
        ``desugar`` normalises statements made here."""
        pre = []
        new = Expander(self, where, pre, desugar).visit(expr)
        return pre, new

    def has_calls(self, expr):
        """Whether ``expr`` contains a call to inline (outside lambdas and
        comprehensions, which have scopes of their own)."""
        for node in walk_same_scope(expr):
            if isinstance(node, gast.Call) and self.callee(node.func) is not None:
                return True
        return False

    def inline(self, call, fun, where):
        """The statements computing ``call`` to ``fun`` and the name of its
        result; ``None`` when ``fun`` is already being inlined (recursion)."""
        if fun.key in self.stack:
            return None
        args, kwargs = self.call_arguments(call, where)
        guard = []
        if isinstance(fun, SelfMethod):
            check = gast.Call(func=load(self.extra(runtime.check_method, "check_method")),
                              args=[load(fun.self_name), load(self.extra(fun.cls, fun.cls.__name__)),
                                    const(fun.attr)], keywords=[])
            guard = [gast.copy_location(gast.Expr(value=check), where)]
            args = [load(fun.self_name)] + args
            fun = fun.target
        if isinstance(fun, Partial):
            args = [load(a) for a in fun.args] + args
            kwargs = {**{k: load(v) for k, v in fun.kwargs.items()}, **kwargs}
            fun = fun.target
        if isinstance(fun, PythonFunction):
            args = [Value(v) for v in fun.args] + args
            kwargs = {**{k: Value(v) for k, v in fun.kwargs.items()}, **kwargs}
        if isinstance(fun, LocalFunction):
            original, defaults, source = fun.node, fun.defaults, None
        else:
            source = self.source_of(fun.fun, call)
            original, defaults = source.tree, {}
        sub_parsed = self.parsed
        # (what depends on the callee alone: found at its first site)
        known = self.callee_names.get(id(original))
        if known is None or known[0] is not original:
            free = self.free_names(original, source) if source is not None else {}
            local = scope_locals(original)
            for n in names_in(original) - local:
                self.namer.reserve(n)
            known = self.callee_names[id(original)] = (original, local, free)
        _, local, free = known
        tree = copy_tree(original)
        mapping = {n: self.namer.fresh(n) for n in sorted(local)}
        for n in mapping.values():
            self.locals.add(n)
        binding = guard + self.bind(tree, fun, args, kwargs, defaults, mapping, call, where)
        cls = defining_class(fun.fun) if isinstance(fun, PythonFunction) else None
        first = (tree.args.posonlyargs + tree.args.args)[:1]
        if cls is not None and first and isinstance(mapping.get(first[0].id), str) and \
                mapping[first[0].id] in self.locals:
            self.classes[mapping[first[0].id]] = cls
        rename = Rename(mapping, free)
        tree.body = [rename.visit(s) for s in tree.body]
        self.stack.append(fun.key)
        self.site_path.append((getattr(call, "lineno", 0), getattr(call, "col_offset", 0)))
        try:
            sub = self.normaliser(sub_parsed, self.namer, inliner=self)
            body, result = sub.run_inlined(tree, fun.name)
        finally:
            self.stack.pop()
            self.site_path.pop()
        return binding + body, result

    def keep(self, call, fun, where):
        """For a helper with an adjoint function of its own (:attr:`joint`):
        the statement ``helper_1 = helper(a, b, ...)`` (every parameter
        passed, by position; a default written in) and ``helper_1``; else
        ``None`` (the call is inlined)."""
        if not (isinstance(fun, PythonFunction) and fun.fun in self.joint and not fun.args
                and not fun.kwargs) or fun.key in self.stack or \
                any(isinstance(a, gast.Starred) for a in call.args) or \
                any(k.arg is None for k in call.keywords):
            return None
        site = (tuple(self.site_path), getattr(call, "lineno", 0), getattr(call, "col_offset", 0))
        if site in self.excluded_sites:
            return None
        signature = inspect.signature(fun.fun)
        try:
            bound = signature.bind(*call.args, **{k.arg: k.value for k in call.keywords})
        except TypeError:
            return None            # (inlining reports it)
        args = [bound.arguments[n] if n in bound.arguments else const(p.default)
                for n, p in signature.parameters.items()]
        tree = self.source_of(fun.fun, call).tree     # (read: the disk cache checks it)
        self.parsed.srcgrad_kept[fun.fun] = element_ranks(tree)
        t = where.targets[0] if isinstance(where, gast.Assign) and len(where.targets) == 1 \
            and where.value is call else None
        if isinstance(t, gast.Name) and t.id in self.assigned_once:
            result = t.id            # k2 = rhs(u, p): the user's name (the assignment goes)
        else:
            result = self.namer.fresh(fun.name)
        self.locals.add(result)
        self.parsed.srcgrad_sites[result] = site
        # the user's name for it when it means the helper where the code runs
        own = fun.name in self.namer.taken and self.parsed.globals.get(fun.name) is fun.fun \
            and self.parsed.extras.get(fun.name, fun.fun) is fun.fun \
            and not runtime.defines(fun.name)       # (an export defines the runtime's helpers)
        if own:
            self.parsed.extras[fun.name] = fun.fun
        kept = gast.Call(func=load(fun.name if own else self.extra(fun.fun, fun.name)),
                         args=args, keywords=[])
        stmt = assign(result, gast.copy_location(kept, call), where)
        stmt.srcgrad_expanded = True      # (the call stays)
        return stmt, result

    def source_of(self, fun, call):
        parsed = self.sources.get(fun)
        if parsed is None:
            try:
                # a gradient srcgrad generated: its generic version, prepared
                # for the mode being generated (higher derivatives)
                parsed = parse(generated.generic_version(fun))
                generated.prepare(parsed, reverse=getattr(self.parsed, "srcgrad_reverse", False),
                                  inlined=True)
            except UnsupportedError as e:
                raise self.parsed.error(
                    call, f"cannot inline the call of {fun.__qualname__}: {e.args[0].splitlines()[0]}",
                    construct="call", hint="register a rule for it with srcgrad.defvjp, or mark "
                    "it with srcgrad.nondifferentiable") from None
            offset = self.parsed.add_file(parsed)
            if offset:
                gast.increment_lineno(parsed.tree, offset)
            self.sources[fun] = parsed
        return parsed

    def free_names(self, tree, source):
        """How each global name of an inlined Python function is written in
        the caller: unchanged when it means the same object there, else a
        reference through the callee's module (so later rebinding of a module
        global is seen, as in Python) or a fresh name for the object."""
        local = scope_locals(tree)
        free = {}
        module = sys.modules.get(source.fun.__module__)
        if module is not None and getattr(module, "__dict__", None) is not source.globals:
            module = None
        for name in sorted(free_in(tree, local)):
            cell = source.closure.get(name)
            if cell is not None:
                try:
                    value = cell.cell_contents
                except ValueError:
                    continue
                in_module = False
            elif name in source.globals:
                value, in_module = source.globals[name], True
            elif hasattr(builtins, name):
                value, in_module = getattr(builtins, name), False
            else:
                continue              # a NameError, as in Python
            if name not in self.locals and self.resolve_global(name) is value:
                continue
            if in_module and module is not None and not inspect.ismodule(value) \
                    and not callable(value):
                alias = self.extra(module, module.__name__.rsplit(".", 1)[-1])
                free[name] = (alias, name)
            else:
                free[name] = self.extra(value, name)
        return free

    def extra(self, value, preferred):
        """A fresh name that inlined code uses for ``value``."""
        for n, v in self.parsed.extras.items():
            if v is value:
                return n
        name = self.namer.fresh(preferred)
        self.parsed.extras[name] = value
        return name

    def check_unused(self, tree):
        """A local function used other than by calling it cannot be inlined."""
        for node in name_nodes(tree):
            if isinstance(node.ctx, gast.Load) and \
                    isinstance(self.functions.get(node.id), LocalFunction) and \
                    node.id not in self.parsed.extras:
                raise self.parsed.error(
                    node, f"the nested function {node.id} is used as a value; srcgrad inlines "
                          f"nested functions and lambdas where they are called",
                    construct="function as a value",
                    hint="call it directly, or pass it to a function of your own (which is "
                         "inlined too)")


class Expander(Transformer):
    """Replaces inlinable calls in one expression by their results."""

    def __init__(self, inliner, where, pre, desugar):
        self.inl, self.where, self.pre, self.desugar = inliner, where, pre, desugar

    def visit_Call(self, node):
        fun = self.inl.callee(node.func)
        if fun is None:
            self.generic_visit(node)
            return node
        node.args = [a if isinstance(a, gast.Lambda) else self.visit(a) for a in node.args]
        for k in node.keywords:
            if not isinstance(k.value, gast.Lambda):
                k.value = self.visit(k.value)
        kept = self.inl.keep(node, fun, self.where)
        if kept is not None:       # a helper with an adjoint function of its own
            stmt, result = kept
            self.pre.extend(self.desugar(stmt))
            return gast.copy_location(load(result), node)
        done = self.inl.inline(node, fun, self.where)
        if done is None:
            return node            # recursion: stays a call
        stmts, result = done
        self.inl.locals.add(result)
        self.pre.extend(stmts)
        return gast.copy_location(load(result), node)

    def visit_Lambda(self, node):
        return node

    def _scoped(self, node):
        return node

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _scoped

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        if not (self.inl.has_calls(node.body) or self.inl.has_calls(node.orelse)):
            return node
        # only the branch taken may run its calls
        tmp = self.inl.namer.fresh("value")
        self.inl.made[tmp] = gast.IfExp(test=node.test, body=node.body, orelse=node.orelse)
        test = gast.If(test=node.test, body=[assign(tmp, node.body, self.where)],
                       orelse=[assign(tmp, node.orelse, self.where)])
        gast.copy_location(test, self.where)
        self.pre.extend(self.desugar(test))
        return load(tmp)

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])
        if not any(self.inl.has_calls(v) for v in node.values[1:]):
            return node
        # a and b: b runs only when a is true (or false, for 'or')
        tmp = self.inl.namer.fresh("value")
        self.inl.made[tmp] = gast.BoolOp(op=node.op, values=list(node.values))
        stmts = [assign(tmp, node.values[0], self.where)]
        for v in node.values[1:]:
            test = load(tmp) if isinstance(node.op, gast.And) else \
                gast.UnaryOp(op=gast.Not(), operand=load(tmp))
            stmts.append(gast.copy_location(gast.If(test=test, body=[assign(tmp, v, self.where)],
                                                    orelse=[]), self.where))
        for s in stmts:
            self.pre.extend(self.desugar(s))
        return load(tmp)
