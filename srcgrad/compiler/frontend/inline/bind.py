"""A call's arguments bound to the callee's (renamed) parameters, as Python
binds them (positional, keyword, defaults, ``*args`` and ``**kwargs`` whose
elements are known when the gradient is generated): a name is passed through
(the callee reads the caller's variable), a number is substituted, a function
or object known now is referred to by name, anything else is assigned.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x):
...     def affine(t, a=2.0, *, b):
...         return a * t + b
...     return affine(x, b=x * x)
... ''')))
def f(x):
    b_1 = x * x
    affine_1 = 2.0 * x + b_1
    out = affine_1
    return out
"""

import inspect

import gast

from srcgrad.compiler.frontend.inline.callees import LocalFunction, Partial, PythonFunction
from srcgrad.compiler.frontend.inline.rename import walk_same_scope
from srcgrad.compiler.ir.names import assign, const, load


class Binding:
    """The argument binding of :class:`Inliner`."""

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
                    defaults.setdefault(name, Value(p.default))
        a = tree.args
        P = inspect.Parameter

        def param(node, kind):
            return P(node.id, kind, default=Value if node.id in defaults else P.empty)

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
        stored = {n.id for s in tree.body for n in walk_same_scope(s)
                  if isinstance(n, gast.Name) and isinstance(n.ctx, gast.Store)}
        for p in signature.parameters.values():
            value = bound[p.name] if p.name in bound else defaults.get(p.name, _NOT_LITERAL)
            if isinstance(value, gast.Name) and value.id not in self.functions and \
                    p.name not in stored and \
                    p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                mapping[p.name] = value.id    # the caller's variable itself
                continue
            literal = value.value if isinstance(value, Value) else \
                value.value if isinstance(value, gast.Constant) else _NOT_LITERAL
            if p.name not in stored and _literal(literal) and not isinstance(literal, str) \
                    and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
                mapping[p.name] = const(literal)    # a number: substituted
                continue
            if isinstance(value, Value) and not _literal(value.value):
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
        if isinstance(value, Value):
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
        self.made[name] = value
        return [assign(name, value, where)]

    def bind_static(self, name, obj):
        """A parameter bound to an object known now (a function, a module, a
        method's ``self``): the name refers to the object itself."""
        self.parsed.extras[name] = obj
        self.locals.discard(name)
        fun = self.as_function(obj)
        if fun is not None:
            self.functions[name] = fun


_NOT_LITERAL = object()



def _literal(obj):
    return obj is None or isinstance(obj, (bool, int, float, complex, str))


class Value:
    """An argument that is an object known now (a default, a partial's or a
    method's bound argument)."""

    def __init__(self, value):
        self.value = value
