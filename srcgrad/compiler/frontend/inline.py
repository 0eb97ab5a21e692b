"""Stage 2a — inline: calls to the user's own functions become straight code.

The normaliser (stage 2) asks this module to expand every call whose callee
is known when the gradient is generated and is plain Python source:

* a module-level function, one imported from another module of the user's,
  a method of an object the function reads from a global
  (``model.predict(x)``), a ``functools.partial`` of one of these;
* a function defined inside the function (``def``), a ``lambda`` assigned to
  a name or passed straight to a call, and ``functools.partial`` of one;
* a parameter of an inlined function that was bound to any of the above
  (``apply(np.sin, x)``, ``apply(lambda t: t * t, x)``).

The callee's source is parsed, its parameters and locals renamed to fresh
names (derived from its own: ``x`` becomes ``x_1`` only if the caller uses
``x``), its global names rewritten so that they mean in the caller what they
mean in the callee, and its body normalised with a single result variable.
The call is replaced by that variable, the body is put in front of the
statement that made the call.  Every later stage then sees one function, so
activity, shapes, tape placement and the optimiser work across calls, and the
generated code has no per-call overhead.

Line numbers of inlined code are encoded (``parse.LINES``) so that comments
and error messages name the callee's own file and line.

A call that would recurse into a function already being inlined is left as a
call; the analysis gives it a rule on the fly that differentiates it by
calling the generated vjp/jvp of the callee
(``srcgrad.compiler.analysis.callees.recursive_rule``).
"""

import copy
import functools
import inspect
import sys
import sysconfig
import types

import gast

from srcgrad import runtime
from srcgrad.compiler.frontend import generated
from srcgrad.compiler.frontend.parse import MISSING, parse
from srcgrad.compiler.ir.names import assign, const, load, names_in, store
from srcgrad.errors import SrcgradError, UnsupportedError
from srcgrad.rules import lookup

#: top-level packages whose functions are primitives, never inlined
_LIBRARIES = {"numpy", "scipy", "srcgrad", "math", "cmath", "builtins", "functools",
              "operator", "jax", "torch", "autograd", "random"}
_STDLIB = sysconfig.get_paths().get("stdlib", "\0")


class LocalFunction:
    """A function defined in the differentiated code (``def`` or ``lambda``):
    its definition, whose free names already mean what they mean where it is
    called."""

    def __init__(self, node, defaults):
        self.node = node               # gast.FunctionDef (a lambda is made one)
        self.defaults = defaults       # parameter -> gast expression (evaluated at def time)

    @property
    def key(self):
        return id(self.node)

    @property
    def name(self):
        return self.node.name


class PythonFunction:
    """A Python function object, with arguments bound to values known when
    the gradient is generated (a method's ``self``, a partial's arguments):
    ``args`` fill the first parameters, ``kwargs`` are keyword arguments."""

    def __init__(self, fun, args=(), kwargs=None):
        self.fun = fun
        self.args = list(args)
        self.kwargs = dict(kwargs or {})

    @property
    def key(self):
        return self.fun

    @property
    def name(self):
        return self.fun.__name__


class _Bound:
    """A function (``target``) with some arguments given already."""

    @property
    def key(self):
        return self.target.key

    @property
    def name(self):
        return self.target.name


class SelfMethod(_Bound):
    """``self.method`` where ``self`` is a run-time value whose class is known
    from the method being differentiated: ``target`` is the class's method."""

    def __init__(self, target, self_name, cls, attr):
        self.target, self.self_name, self.cls, self.attr = target, self_name, cls, attr


def defining_class(fun):
    """The class whose body defines ``fun`` as a plain method, or ``None``."""
    if not inspect.isfunction(fun):
        return None
    parts = fun.__qualname__.split(".")
    if len(parts) < 2 or "<locals>" in parts:
        return None
    obj = fun.__globals__.get(parts[0])
    for part in parts[1:-1]:
        obj = getattr(obj, part, None)
    if not inspect.isclass(obj) or inspect.getattr_static(obj, parts[-1], None) is not fun:
        return None
    return obj


class Partial(_Bound):
    """``functools.partial(f, *args, **kwargs)`` made in the differentiated
    code: ``args`` and ``kwargs`` are names holding the values given."""

    def __init__(self, target, args, kwargs):
        self.target, self.args, self.kwargs = target, args, kwargs


def primitive_library(fun):
    """Whether ``fun`` comes from a library (NumPy, the standard library ...)
    rather than the user's code: such functions need a rule, their source is
    not inlined."""
    module = getattr(fun, "__module__", None) or ""
    if module.split(".")[0] in _LIBRARIES:
        return True
    code = getattr(fun, "__code__", None)
    filename = code.co_filename if code is not None else ""
    return filename.startswith(_STDLIB) and "site-packages" not in filename


class Inliner:
    """Expands calls for one normalisation of the top-level function
    ``parsed``; shared by the normalisers of every inlined body."""

    def __init__(self, parsed, namer, driver, normaliser):
        self.parsed = parsed
        self.namer = namer
        self.driver = driver        # srcgrad.grad(f) in the code: pipeline.Driver
        self.normaliser = normaliser   # the Normaliser class, for inlined bodies
        self.functions = {}      # local name -> LocalFunction | PythonFunction | Partial
        self.stack = [parsed.fun]   # keys of the functions being inlined
        self.tuples = {}         # name of a static *args tuple -> element names
        self.keywords = {}       # name of a static **kwargs dict -> {key: name}
        self.sources = {}        # Python function -> its Parsed (parsed once)
        fn = parsed.tree
        self.locals = _scope_locals(fn)
        self.classes = {}        # 'self' of a method (a run-time value) -> its class
        cls = defining_class(parsed.fun)
        args = fn.args.posonlyargs + fn.args.args
        if cls is not None and args and not inspect.ismethod(parsed.fun):
            self.classes[args[0].id] = cls

    # -- what a name or call means ----------------------------------------------
    def resolve_global(self, name):
        """What a name that is not local means in the top-level function."""
        return self.parsed.resolve_global(name)

    def static(self, node):
        """The object ``node`` (a name or attribute chain) refers to when the
        gradient is generated, or ``None`` when it is a run-time value."""
        if isinstance(node, gast.Name):
            if node.id in self.functions:
                return self.functions[node.id]
            if node.id in self.locals:
                return None
            value = self.resolve_global(node.id)
            return None if value is MISSING else value
        if isinstance(node, gast.Attribute):
            base = self.static(node.value)
            if base is None or isinstance(base, (LocalFunction, PythonFunction, Partial)):
                return None
            if not (inspect.ismodule(base) or inspect.isclass(base) or _is_instance(base)):
                return None
            try:
                return getattr(base, node.attr)
            except AttributeError:
                return None
        if isinstance(node, gast.Call):
            return self.static_transform(node)
        return None

    def static_transform(self, call):
        """``srcgrad.grad(f, wrt=0)`` (or jvp, vjp, ...) of a function known
        now, written inside the differentiated code: generated now, so the
        generated function can be inlined like any other (nested derivatives)."""
        transforms = self.driver.static_transforms if self.driver is not None else ()
        fun = self.static(call.func)
        if not any(fun is t for t in transforms):
            return None

        def value(node):           # an argument known now, else _UNKNOWN
            if isinstance(node, gast.Constant):
                return node.value
            if isinstance(node, gast.Tuple):
                parts = [value(e) for e in node.elts]
                return _UNKNOWN if _UNKNOWN in parts else tuple(parts)
            known = self.static(node)
            if isinstance(known, PythonFunction) and not known.args and not known.kwargs:
                return known.fun
            if known is None or isinstance(known, (LocalFunction, Partial, PythonFunction)):
                return _UNKNOWN
            return known

        args = [value(a) for a in call.args]
        kwargs = {k.arg: value(k.value) for k in call.keywords}
        if any(a is _UNKNOWN for a in args + list(kwargs.values())) or None in kwargs:
            return None
        return fun(*args, **kwargs)

    def callee(self, func):
        """The function a call's ``func`` expression calls, if it is to be
        inlined, else ``None``."""
        if isinstance(func, gast.Attribute) and isinstance(func.value, gast.Name) and \
                func.value.id in self.classes and func.value.id in self.locals:
            # self.method(...) in a method: the method of the class that
            # defines it (checked when the code runs: a subclass may override)
            cls = self.classes[func.value.id]
            method = inspect.getattr_static(cls, func.attr, None)
            if inspect.isfunction(method) and self.as_function(method) is not None:
                return SelfMethod(PythonFunction(method), func.value.id, cls, func.attr)
            return None
        target = self.static(func)
        return self.as_function(target)

    def as_function(self, target):
        if isinstance(target, (LocalFunction, Partial)):
            return target
        if isinstance(target, PythonFunction):
            return target
        if target is None or inspect.isbuiltin(target) or inspect.isclass(target):
            return None
        if isinstance(target, functools.partial):
            inner = self.as_function(target.func)
            if inner is None or target.args and not isinstance(inner, PythonFunction):
                return None
            if isinstance(inner, PythonFunction):
                return PythonFunction(inner.fun, inner.args + list(target.args),
                                      {**inner.kwargs, **target.keywords})
            return None
        if isinstance(target, types.MethodType):
            fun = target.__func__
            if not inspect.isfunction(fun) or lookup(target) is not None:
                return None
            inner = self.as_function(fun)
            if inner is None:
                return None
            return PythonFunction(fun, [target.__self__])
        if not inspect.isfunction(target):
            return None
        try:
            if lookup(target) is not None:
                return None        # a rule of its own: a primitive
        except TypeError:
            pass
        if primitive_library(target):
            return None
        return PythonFunction(target)

    # -- definitions -------------------------------------------------------------
    def define(self, node, name=None):
        """A ``def`` (or ``name = lambda ...``) in the differentiated code:
        remembered for its call sites.  Returns the statements that evaluate
        its default values where the definition is."""
        if isinstance(node, gast.Lambda):
            fdef = gast.FunctionDef(name=name, args=node.args, body=[gast.Return(value=node.body)],
                                    decorator_list=[], returns=None, type_comment=None,
                                    type_params=[])
            gast.copy_location(fdef, node)
            gast.copy_location(fdef.body[0], node)
            node = fdef
        if node.decorator_list:
            raise self.parsed.error(node, f"decorated nested function {node.name}",
                                    construct="decorator",
                                    hint="define the decorated function at module level")
        if node.name in self.functions:
            raise self.parsed.error(node, f"{node.name} is defined twice in the differentiated "
                                          f"function", construct="function definition",
                                    hint="give each nested function its own name")
        pre, defaults = [], {}
        a = node.args
        positional = a.posonlyargs + a.args
        for arg, d in list(zip(positional[len(positional) - len(a.defaults):], a.defaults)) + \
                [(k, d) for k, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]:
            if isinstance(d, gast.Constant):
                defaults[arg.id] = d
            else:             # evaluated once, where the function is defined
                tmp = self.namer.fresh(f"{node.name}_{arg.id}")
                pre.append(assign(tmp, d, node))
                defaults[arg.id] = load(tmp)
        a.defaults, a.kw_defaults = [], [None] * len(a.kwonlyargs)
        self.functions[node.name] = LocalFunction(node, defaults)
        return pre

    def define_partial(self, name, call, where):
        """``name = functools.partial(f, ...)``: remembered; the bound
        arguments are evaluated here, as Python does."""
        target = self.callee(call.args[0]) if call.args else None
        if target is None:
            return None
        pre, args, kwargs = [], [], {}
        for i, a in enumerate(call.args[1:]):
            tmp = self.namer.fresh(f"{name}_arg{i}")
            pre.append(assign(tmp, a, where))
            args.append(tmp)
        for k in call.keywords:
            if k.arg is None:
                return None
            tmp = self.namer.fresh(f"{name}_{k.arg}")
            pre.append(assign(tmp, k.value, where))
            kwargs[k.arg] = tmp
        self.functions[name] = Partial(target, args, kwargs)
        return pre

    def is_partial(self, node):
        return isinstance(node, gast.Call) and self.static(node.func) is functools.partial

    # -- expanding calls in a statement --------------------------------------------
    def expand(self, expr, where, desugar):
        """Inline the calls in ``expr`` (evaluation order: arguments first).
        Returns the statements to run before it and the new expression.
        ``desugar`` normalises statements made here."""
        pre = []
        new = _Expander(self, where, pre, desugar).visit(expr)
        return pre, new

    def has_calls(self, expr):
        """Whether ``expr`` contains a call to inline (outside lambdas and
        comprehensions, which have scopes of their own)."""
        for node in _walk_same_scope(expr):
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
            args = [_Value(v) for v in fun.args] + args
            kwargs = {**{k: _Value(v) for k, v in fun.kwargs.items()}, **kwargs}
        if isinstance(fun, LocalFunction):
            tree = copy.deepcopy(fun.node)
            defaults = fun.defaults
            sub_parsed = self.parsed
            free = {}
        else:
            source = self.source_of(fun.fun, call)
            tree = copy.deepcopy(source.tree)
            defaults = {}
            sub_parsed = self.parsed
            free = self.free_names(tree, source)
        local = _scope_locals(tree)
        for n in names_in(tree) - local:
            self.namer.reserve(n)
        mapping = {n: self.namer.fresh(n) for n in sorted(local)}
        for n in mapping.values():
            self.locals.add(n)
        binding = guard + self.bind(tree, fun, args, kwargs, defaults, mapping, call, where)
        cls = defining_class(fun.fun) if isinstance(fun, PythonFunction) else None
        first = (tree.args.posonlyargs + tree.args.args)[:1]
        if cls is not None and first and isinstance(mapping.get(first[0].id), str) and \
                mapping[first[0].id] in self.locals:
            self.classes[mapping[first[0].id]] = cls
        rename = _Rename(mapping, free)
        tree.body = [rename.visit(s) for s in tree.body]
        self.stack.append(fun.key)
        try:
            sub = self.normaliser(sub_parsed, self.namer, inliner=self)
            body, result = sub.run_inlined(tree, fun.name)
        finally:
            self.stack.pop()
        return binding + body, result

    def source_of(self, fun, call):
        parsed = self.sources.get(fun)
        if parsed is None:
            try:
                # a gradient srcgrad generated: its generic version, prepared
                # for the mode being generated (higher derivatives)
                parsed = parse(generated.generic_version(fun))
                generated.prepare(parsed, reverse=getattr(self.parsed, "srcgrad_reverse", False))
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
        local = _scope_locals(tree)
        free = {}
        module = sys.modules.get(source.fun.__module__)
        if module is not None and getattr(module, "__dict__", None) is not source.globals:
            module = None
        import builtins
        for name in sorted(_free_in(tree, local)):
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

    # -- binding arguments to parameters ---------------------------------------------
    def call_arguments(self, call, where):
        args = []
        for a in call.args:
            if isinstance(a, gast.Starred):
                if isinstance(a.value, gast.Name) and a.value.id in self.tuples:
                    args.extend(load(n) for n in self.tuples[a.value.id])
                    continue
                raise self.parsed.error(where, "a starred argument whose length is not known "
                                               "when the gradient is generated",
                                        construct="*args", hint="pass the arguments one by one")
            args.append(a)
        kwargs = {}
        for k in call.keywords:
            if k.arg is None:
                if isinstance(k.value, gast.Name) and k.value.id in self.keywords:
                    kwargs.update({key: load(n) for key, n in self.keywords[k.value.id].items()})
                    continue
                raise self.parsed.error(where, "a ** argument whose keys are not known when "
                                               "the gradient is generated",
                                        construct="**kwargs", hint="pass keyword arguments by name")
            kwargs[k.arg] = k.value
        return args, kwargs

    def bind(self, tree, fun, args, kwargs, defaults, mapping, call, where):
        """Statements binding the callee's (renamed) parameters to the call's
        arguments."""
        if isinstance(fun, PythonFunction):
            for name, p in inspect.signature(fun.fun).parameters.items():
                if p.default is not p.empty:
                    defaults.setdefault(name, _Value(p.default))
        a = tree.args
        P = inspect.Parameter

        def param(node, kind):
            return P(node.id, kind, default=_Value if node.id in defaults else P.empty)

        params = [param(p, P.POSITIONAL_ONLY) for p in a.posonlyargs]
        params += [param(p, P.POSITIONAL_OR_KEYWORD) for p in a.args]
        if a.vararg is not None:
            params.append(P(a.vararg.id, P.VAR_POSITIONAL))
        params += [param(p, P.KEYWORD_ONLY) for p in a.kwonlyargs]
        if a.kwarg is not None:
            params.append(P(a.kwarg.id, P.VAR_KEYWORD))
        signature = inspect.Signature(params, __validate_parameters__=False)
        try:
            bound = signature.bind(*args, **kwargs).arguments
        except TypeError as e:
            # positional arguments given to parameters bound by a partial
            raise self.parsed.error(where, f"the call of {fun.name} does not match its "
                                           f"signature: {e}", construct="call",
                                    hint="pass the arguments as the function takes them") from None
        out = []
        stored = {n.id for s in tree.body for n in _walk_same_scope(s)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        for p in signature.parameters.values():
            value = bound[p.name] if p.name in bound else defaults.get(p.name, _NOT_LITERAL)
            if isinstance(value, gast.Name) and value.id not in self.functions and \
                    p.name not in stored and \
                    p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                mapping[p.name] = value.id    # the caller's variable itself
                continue
            literal = value.value if isinstance(value, _Value) else \
                value.value if isinstance(value, gast.Constant) else _NOT_LITERAL
            if p.name not in stored and _literal(literal) and not isinstance(literal, str) \
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                mapping[p.name] = const(literal)    # a number: substituted
                continue
            if isinstance(value, _Value) and not _literal(value.value):
                known = [n for n, v in self.parsed.extras.items() if v is value.value]
                if known:                     # an object already named (self)
                    mapping[p.name] = known[0]
                    self.bind_static(known[0], value.value)
                    continue
            new = mapping[p.name]
            if p.kind is p.VAR_POSITIONAL:
                names = [self.namer.fresh(f"{new}_{i}") for i in range(len(bound.get(p.name, ())))]
                for n, v in zip(names, bound.get(p.name, ())):
                    out.extend(self.bind_one(n, v, where))
                self.tuples[new] = names
                out.append(assign(new, gast.Tuple(elts=[load(n) for n in names], ctx=gast.Load()),
                                  where))
                continue
            if p.kind is p.VAR_KEYWORD:
                names = {}
                for key, v in bound.get(p.name, {}).items():
                    names[key] = self.namer.fresh(f"{new}_{key}")
                    out.extend(self.bind_one(names[key], v, where))
                self.keywords[new] = names
                out.append(assign(new, gast.Dict(keys=[const(k) for k in names],
                                                 values=[load(n) for n in names.values()]),
                                  where))
                continue
            if value is _NOT_LITERAL:
                raise self.parsed.error(where, f"the call of {fun.name} gives no value for its "
                                               f"parameter {p.name!r}", construct="call",
                                        hint="pass every argument the function needs")
            out.extend(self.bind_one(new, value, where))
        return out

    def bind_one(self, name, value, where):
        if isinstance(value, _Value):
            obj = value.value
            if _literal(obj):
                return [assign(name, const(obj), where)]
            self.bind_static(name, obj)
            return []
        if isinstance(value, gast.Lambda):
            return self.define(value, name)
        target = self.static(value) if isinstance(value, (gast.Name, gast.Attribute)) else None
        if isinstance(target, (LocalFunction, PythonFunction, Partial)):
            self.functions[name] = target
            return []
        if target is not None and (callable(target) or inspect.ismodule(target)) \
                and not isinstance(target, (int, float, complex, bool)) \
                and not hasattr(target, "__array__"):
            self.bind_static(name, target)
            return []
        return [assign(name, value, where)]

    def bind_static(self, name, obj):
        """A parameter bound to an object known now (a function, a module, a
        method's ``self``): the name refers to the object itself."""
        self.parsed.extras[name] = obj
        self.locals.discard(name)
        fun = self.as_function(obj)
        if fun is not None:
            self.functions[name] = fun

    def check_unused(self, tree):
        """A local function used other than by calling it cannot be inlined."""
        for node in gast.walk(tree):
            if isinstance(node, gast.Name) and isinstance(node.ctx, gast.Load) and \
                    isinstance(self.functions.get(node.id), LocalFunction) and \
                    node.id not in self.parsed.extras:
                raise self.parsed.error(
                    node, f"the nested function {node.id} is used as a value; srcgrad inlines "
                          f"nested functions and lambdas where they are called",
                    construct="function as a value",
                    hint="call it directly, or pass it to a function of your own (which is "
                         "inlined too)")


_NOT_LITERAL = object()
_UNKNOWN = object()


def _literal(obj):
    return obj is None or isinstance(obj, (bool, int, float, complex, str))


class _Value:
    """An argument that is an object known now (a default, a partial's or a
    method's bound argument)."""

    def __init__(self, value):
        self.value = value


class _Expander(gast.NodeTransformer):
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
        stmts = [assign(tmp, node.values[0], self.where)]
        for v in node.values[1:]:
            test = load(tmp) if isinstance(node.op, gast.And) else \
                gast.UnaryOp(op=gast.Not(), operand=load(tmp))
            stmts.append(gast.copy_location(gast.If(test=test, body=[assign(tmp, v, self.where)],
                                                    orelse=[]), self.where))
        for s in stmts:
            self.pre.extend(self.desugar(s))
        return load(tmp)


class _Rename(gast.NodeTransformer):
    """Renames a function's own names (``mapping``) and rewrites its free
    names (``free``: name -> new name, or ``(module alias, attribute)``),
    respecting the scopes of nested functions, lambdas and comprehensions."""

    def __init__(self, mapping, free):
        self.mapping, self.free = mapping, free

    def visit_Name(self, node):
        new = self.mapping.get(node.id)
        if isinstance(new, gast.Constant):
            return gast.copy_location(const(new.value), node)
        if new is not None:
            node.id = new
            return node
        new = self.free.get(node.id)
        if isinstance(new, str):
            node.id = new
        elif new is not None:
            return gast.copy_location(gast.Attribute(value=load(new[0]), attr=new[1],
                                                     ctx=node.ctx), node)
        return node

    def _inner(self, node, local):
        inner = _Rename({k: v for k, v in self.mapping.items() if k not in local},
                        {k: v for k, v in self.free.items() if k not in local})
        return inner

    def visit_FunctionDef(self, node):
        if node.name in self.mapping:
            node.name = self.mapping[node.name]
        a = node.args
        a.defaults = [self.visit(d) for d in a.defaults]
        a.kw_defaults = [d if d is None else self.visit(d) for d in a.kw_defaults]
        inner = self._inner(node, _scope_locals(node))
        node.body = [inner.visit(s) for s in node.body]
        return node

    def visit_Lambda(self, node):
        a = node.args
        a.defaults = [self.visit(d) for d in a.defaults]
        inner = self._inner(node, _params(a))
        node.body = inner.visit(node.body)
        return node

    def _comprehension(self, node):
        targets = {n.id for g in node.generators for n in gast.walk(g.target)
                   if isinstance(n, gast.Name)}
        node.generators[0].iter = self.visit(node.generators[0].iter)
        inner = self._inner(node, targets)
        first = node.generators[0].iter
        for g in node.generators:
            g.target = inner.visit(g.target)
            if g.iter is not first:
                g.iter = inner.visit(g.iter)
            g.ifs = [inner.visit(c) for c in g.ifs]
        for f in ("elt", "key", "value"):
            if hasattr(node, f):
                setattr(node, f, inner.visit(getattr(node, f)))
        return node

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _comprehension


def _params(a):
    out = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
    if a.vararg is not None:
        out.add(a.vararg.id)
    if a.kwarg is not None:
        out.add(a.kwarg.id)
    return out


def _walk_same_scope(node):
    """``gast.walk`` that does not enter lambdas and comprehensions."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if isinstance(n, (gast.Lambda, gast.ListComp, gast.SetComp, gast.DictComp,
                          gast.GeneratorExp, gast.FunctionDef)) and n is not node:
            continue
        todo.extend(gast.iter_child_nodes(n))


def _scope_locals(fn):
    """The names local to function ``fn``: parameters, assigned names and
    nested definitions (not those of nested scopes)."""
    out = _params(fn.args)
    for s in fn.body:
        for n in _walk_same_scope(s):
            if isinstance(n, gast.Name) and isinstance(n.ctx, (gast.Store, gast.Del)):
                out.add(n.id)
            elif isinstance(n, gast.FunctionDef) and n is not fn:
                out.add(n.name)
    return out


def _free_in(fn, local):
    """Names ``fn`` reads that are not its own (nor its nested scopes' own)."""
    free = set()

    def visit(node, bound):
        if isinstance(node, gast.Name):
            if node.id not in bound:
                free.add(node.id)
            return
        if isinstance(node, gast.FunctionDef) and node is not fn:
            for d in node.args.defaults + [d for d in node.args.kw_defaults if d is not None]:
                visit(d, bound)
            inner = bound | _scope_locals(node)
            for s in node.body:
                visit(s, inner)
            return
        if isinstance(node, gast.Lambda):
            for d in node.args.defaults:
                visit(d, bound)
            visit(node.body, bound | _params(node.args))
            return
        if isinstance(node, (gast.ListComp, gast.SetComp, gast.DictComp, gast.GeneratorExp)):
            targets = {n.id for g in node.generators for n in gast.walk(g.target)
                       if isinstance(n, gast.Name)}
            for child in gast.iter_child_nodes(node):
                visit(child, bound | targets)
            return
        for child in gast.iter_child_nodes(node):
            visit(child, bound)

    for s in fn.body:
        visit(s, local)
    return free


def _is_instance(obj):
    """A plain object whose methods may be inlined (not a number or array)."""
    return not isinstance(obj, (int, float, complex, bool, str, bytes, tuple, list, dict)) \
        and not hasattr(obj, "__array__") and hasattr(obj, "__dict__")
