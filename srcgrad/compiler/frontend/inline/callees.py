"""What a call calls, when the gradient is generated: the kinds of callee
(a function defined in the code, a Python function with arguments already
bound, ``functools.partial``, ``self.method``), the static resolution of a
name or attribute chain to one of them, and the definitions (``def``,
``name = lambda ...``, ``name = functools.partial(...)``) that make local
callees.  Functions of libraries are primitives (they need a rule), never
inlined.

>>> import numpy as np
>>> from srcgrad.compiler.frontend.parse import parse_text
>>> primitive_library(np.sin), primitive_library(parse_text("def f(x): return x").fun)
(True, False)
>>> class Model:
...     def predict(self, x):
...         return x
>>> defining_class(Model.predict) is Model, defining_class(np.sin)
(True, None)
"""

import functools
import inspect
import sysconfig
import types

import gast

from srcgrad.compiler.frontend.parse import MISSING
from srcgrad.compiler.ir.names import assign, load
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
    if module.startswith("srcgrad.runtime"):
        return False
    if module.split(".")[0] in _LIBRARIES:
        return True
    code = getattr(fun, "__code__", None)
    filename = code.co_filename if code is not None else ""
    return filename.startswith(_STDLIB) and "site-packages" not in filename


_UNKNOWN = object()


class Callees:
    """The callee resolution and the local definitions of :class:`Inliner`."""

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
        if primitive_library(target) or getattr(target, "srcgrad_refusal", None) or \
                getattr(target, "srcgrad_container_rule", False):
            return None            # (a helper that must not be differentiated: refused;
                                   # one the resolution gives a container rule)
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


def _is_instance(obj):
    """A plain object whose methods may be inlined (not a number or array)."""
    return not isinstance(obj, (int, float, complex, bool, str, bytes, tuple, list, dict)) \
        and not hasattr(obj, "__array__") and hasattr(obj, "__dict__")
