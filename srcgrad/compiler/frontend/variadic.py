"""Functions with ``*args`` or ``**kwargs`` parameters, specialised to a
call: ``def f(a, *xs)`` called with three positional arguments is
differentiated as ``def f(a, xs_0, xs_1)`` whose body starts with
``xs = (xs_0, xs_1)`` (and ``**opts`` called with ``scale=...`` as a
keyword-only parameter ``opts_scale``, with ``opts = {'scale': opts_scale}``);
each element is a parameter of its own, so ``wrt`` can name it.  The
generated functions of the API (``grad(f)`` ...) make the version for the
arguments of each call (``srcgrad.api.variadic``); ``wrt`` positions count
the call's positional arguments (``grad(f)(1.5, 2.0)`` is the derivative
with respect to ``1.5``), names name parameters or ``**kwargs`` keys.

>>> from srcgrad.compiler.ir.printer import source
>>> from srcgrad.compiler.frontend.parse import parse
>>> def f(a, *xs, **opts):
...     return a * xs[0] * opts["scale"]
>>> v = specialise(f, (1.0, 2.0, 3.0), {"scale": 0.5}, 0)
>>> print(source(parse(v.variant).tree))
def f(a, xs_0, xs_1, *, opts_scale):
    xs = (xs_0, xs_1)
    opts = {'scale': opts_scale}
    return a * xs[0] * opts['scale']
>>> v.wrt, v.positional, v.keywords
(('a',), (1.0, 2.0, 3.0), {'opts_scale': 0.5})
"""

import inspect
import types
import weakref
from typing import NamedTuple

import gast

from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.errors import SrcgradError

P = inspect.Parameter


def takes_varargs(fun):
    """Whether ``fun`` has a ``*args`` or ``**kwargs`` parameter."""
    if type(fun) is types.FunctionType and not hasattr(fun, "__wrapped__") and \
            not hasattr(fun, "__signature__"):      # (its code says so: no signature made)
        return bool(fun.__code__.co_flags & (inspect.CO_VARARGS | inspect.CO_VARKEYWORDS))
    try:
        params = inspect.signature(fun).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.kind in (P.VAR_POSITIONAL, P.VAR_KEYWORD) for p in params)


class Variadic:
    """``fun`` as called with ``count`` arguments for its ``*args`` and the
    keyword arguments ``keys`` for its ``**kwargs``: a function whose
    parameters are ``fun``'s with one for each of them, and no defaults
    (the call gives every value).  Calling it calls ``fun``."""

    def __init__(self, fun, count, keys):
        self.fun, self.count, self.keys = fun, count, tuple(keys)
        sig = inspect.signature(fun)
        code = getattr(inspect.unwrap(getattr(fun, "__func__", fun)), "__code__", None)
        taken = set(code.co_varnames + code.co_names + code.co_freevars) if code else set()
        self.positional, self.keyword = [], []     # (parameter, the original's name or None)
        self.star = self.double = None
        self.elements, self.by_key = [], {}
        for p in sig.parameters.values():
            if p.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD):
                self.positional.append((P(p.name, p.kind), p.name))
            elif p.kind is P.VAR_POSITIONAL:
                self.star = p.name
                for i in range(count):
                    name = _fresh(f"{p.name}_{i}", taken)
                    self.elements.append(name)
                    self.positional.append((P(name, P.POSITIONAL_OR_KEYWORD), None))
            elif p.kind is P.KEYWORD_ONLY:
                self.keyword.append((P(p.name, p.kind), p.name))
            else:
                self.double = p.name
                for key in self.keys:
                    name = _fresh(f"{p.name}_{key}" if key.isidentifier() else f"{p.name}_k",
                                  taken)
                    self.by_key[key] = name
                    self.keyword.append((P(name, P.KEYWORD_ONLY), None))
        self.__signature__ = inspect.Signature([p for p, _ in self.positional + self.keyword])
        self.__name__ = getattr(fun, "__name__", "f")
        self.__qualname__ = getattr(fun, "__qualname__", self.__name__)
        self.__module__ = getattr(fun, "__module__", None)
        self.__doc__ = getattr(fun, "__doc__", None)
        self.__defaults__ = self.__kwdefaults__ = None      # (the call gives every value)

    def __repr__(self):
        return f"<{self.__qualname__} with {self.count} *args, **kwargs {list(self.keys)}>"

    def __call__(self, *args, **kwargs):
        bound = self.__signature__.bind(*args, **kwargs).arguments
        pos, rest = [], []
        for p, orig in self.positional:
            (pos if orig is not None else rest).append(bound[p.name])
        kw = {orig: bound[p.name] for p, orig in self.keyword if orig is not None}
        kw.update({key: bound[name] for key, name in self.by_key.items()})
        return self.fun(*pos, *rest, **kw)

    def specialise_tree(self, parsed):
        """Rewrite ``parsed`` (``fun`` parsed) into this version, in place."""
        tree = parsed.tree
        a = tree.args
        where = tree

        def param(name):
            return gast.Name(id=name, ctx=gast.Param(), annotation=None, type_comment=None)

        kept = [n.id for n in a.posonlyargs]
        a.posonlyargs = [param(p.name) for p, _ in self.positional if p.name in kept]
        a.args = [param(p.name) for p, _ in self.positional if p.name not in kept]
        a.defaults = []
        a.kwonlyargs = [param(p.name) for p, _ in self.keyword]
        a.kw_defaults = [None] * len(a.kwonlyargs)
        a.vararg = a.kwarg = None
        binds = []
        if self.star is not None:
            binds.append(assign(self.star, gast.Tuple(elts=[load(n) for n in self.elements],
                                                      ctx=gast.Load()), where))
            parsed.star_tuples[self.star] = list(self.elements)
        if self.double is not None:
            binds.append(assign(self.double, gast.Dict(
                keys=[const(k) for k in self.by_key], values=[load(n) for n in
                                                              self.by_key.values()]), where))
            parsed.star_keywords[self.double] = dict(self.by_key)
        body = tree.body
        docstring = body[:1] if body and isinstance(body[0], gast.Expr) and \
            isinstance(body[0].value, gast.Constant) and isinstance(body[0].value.value, str) \
            else []
        tree.body = docstring + binds + body[len(docstring):]
        return parsed


def _fresh(name, taken):
    out, k = name, 1
    while out in taken:
        out, k = f"{name}_{k}", k + 1
    taken.add(out)
    return out


_VARIANTS = weakref.WeakKeyDictionary()


class Specialised(NamedTuple):
    variant: Variadic
    wrt: tuple              # parameter names of the variant
    single: bool
    positional: tuple       # the values to pass to the variant's derivative
    keywords: dict


def specialise(fun, args, kwargs, wrt):
    """The version of ``fun`` for the call ``fun(*args, **kwargs)``, with
    ``wrt`` (positions of ``args``, names of parameters or of ``**kwargs``
    keys, or a tuple of them) as the version's parameter names."""
    sig = inspect.signature(fun)
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{getattr(fun, '__qualname__', fun)}(): {e}") from None
    bound.apply_defaults()
    values = bound.arguments
    count, keys = 0, ()
    for p in sig.parameters.values():
        if p.kind is P.VAR_POSITIONAL:
            count = len(values.get(p.name, ()))
        elif p.kind is P.VAR_KEYWORD:
            keys = tuple(values.get(p.name, {}))
    try:
        per_fun = _VARIANTS.setdefault(fun, {})
    except TypeError:
        per_fun = {}
    variant = per_fun.get((count, keys))
    if variant is None:
        variant = per_fun[(count, keys)] = Variadic(fun, count, keys)
    rest = iter(values.get(variant.star, ()) if variant.star is not None else ())
    positional = [values[orig] if orig is not None else next(rest)
                  for _, orig in variant.positional]
    keywords = {}
    for p, orig in variant.keyword:
        if orig is not None:
            keywords[p.name] = values[orig]
    for key, name in variant.by_key.items():
        keywords[name] = values[variant.double][key]
    single = not isinstance(wrt, (tuple, list))
    names = []
    for w in [wrt] if single else list(wrt):
        if isinstance(w, bool) or not isinstance(w, (int, str)):
            raise SrcgradError(f"wrt must be an argument position or name, not {w!r}")
        if isinstance(w, int):
            if not -len(args) <= w < len(args):
                raise SrcgradError(f"wrt={w} but {variant.__qualname__} was called with "
                                   f"{len(args)} positional arguments")
            names.append(variant.positional[w % len(args)][0].name
                         if w % len(args) < len(variant.positional) else None)
        elif w in variant.by_key:
            names.append(variant.by_key[w])
        elif w in [orig for _, orig in variant.positional + variant.keyword]:
            names.append(w)
        else:
            raise SrcgradError(f"wrt={w!r} is neither a parameter of {variant.__qualname__} "
                               f"nor a keyword argument of this call")
    return Specialised(variant, tuple(names), single, tuple(positional), keywords)
