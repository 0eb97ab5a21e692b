"""Attribute assignment: ``p.a = v`` makes a new object (``p = set_field(p,
'a', v)``, ``srcgrad.runtime.set_field``), so generated code never changes
an object in place: the caller's objects stay as they were, and so do the
values the reverse sweep keeps.  ``p.a op= v`` reads the field once, checks
when the code runs that no other attribute of ``p`` holds the same array
(Python would change it in place), and assigns the new value.  An argument
whose attributes are assigned is checked, when the code runs, not to be (or
be held by) another argument.  ``setattr(p, "a", v)`` is ``p.a = v``.  The
analysis (``analysis/objects.py``) refuses two names for one object whose
attributes are assigned.  ``dataclasses.replace(p, a=v)`` and
``p._replace(a=v)`` become ``replace_dataclass(p, 'a', v)`` and
``replace_namedtuple(p, 'a', v)`` (new objects already).  After ``b =
Body(...)`` (a class of the user's), ``b.step(dt)`` can be ``Body.step``
inlined (``note_class``).

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(p, x):
...     p.a = x
...     p.b += p.a
...     return p.a * p.b
... ''')))
def f(p, x):
    check_unshared(p, 'p', (x,), ('x',))
    p = set_field(p, 'a', x)
    p_b = p.b
    check_field_iadd(p, 'b', 'p', 'line 3')
    p_b = p_b + p.a
    p = set_field(p, 'b', p_b)
    out = p.a * p.b
    return out
"""

import builtins
import dataclasses
import inspect
import sys

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import inner_nodes, walk as walk_tree


class Attributes:
    """The attribute assignments of :class:`Normaliser`."""

    def assign_attribute(self, target, value, where, op=None):
        """``target = value`` (``target op= value`` when ``op`` is given) for
        an attribute ``target``: the statements of the new object."""
        obj = target.value
        if not isinstance(obj, gast.Name):
            what = "an attribute" if isinstance(obj, gast.Attribute) else "an expression"
            raise self.parsed.error(
                where, f"assignment to an attribute of {what} is not supported in a "
                       f"differentiated function", construct="nested attribute assignment",
                hint="make a new inner object and assign it: inner = Inner(...); "
                     "obj.inner = inner")
        name = obj.id
        if name not in self.inliner.locals or name in self.parsed.extras:
            raise self.parsed.error(
                where, f"assignment to an attribute of '{name}', which is not a variable or "
                       f"argument of the function (a global, a closure variable or the object "
                       f"of a bound method); srcgrad never changes such objects",
                construct="attribute assignment to a global object",
                hint="pass the object as an argument (srcgrad.grad(Class.method) takes self "
                     "as one), or work on a copy made in the function")
        setter = load(self._helper(runtime.set_field, "set_field"))
        attr = const(target.attr)
        if op is None:
            new = gast.Call(func=setter, args=[load(name), attr, value], keywords=[])
            new.srcgrad_set_field = True
            return self.desugar(assign(name, new, where))
        field = self.namer.fresh(f"{name}_{target.attr}")
        self.inliner.locals.add(field)
        read = gast.Attribute(value=load(name), attr=target.attr, ctx=gast.Load())
        check = gast.Call(func=load(self._helper(runtime.check_field_iadd, "check_field_iadd")),
                          args=[load(name), const(target.attr), const(name),
                                const(self.parsed.where(where.lineno))], keywords=[])
        combined = gast.BinOp(left=load(field), op=op, right=value)
        combined.srcgrad_inplace = True          # shared arrays: analysis/aliasing.py
        combined.srcgrad_inplace_field = True    # (read out of the object it goes back into)
        new = gast.Call(func=setter, args=[load(name), attr, load(field)], keywords=[])
        new.srcgrad_set_field = True
        out = self.desugar(assign(field, read, where))
        out.append(gast.copy_location(gast.Expr(value=check), where))
        out += self.desugar(assign(field, combined, where))
        return out + self.desugar(assign(name, new, where))

    def setattr_statement(self, s):
        """``setattr(obj, "name", v)`` as a statement, with a constant name:
        ``obj.name = v``; None for any other statement."""
        v = s.value
        if not (isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and
                len(v.args) == 3 and not v.keywords and isinstance(v.args[1], gast.Constant)
                and isinstance(v.args[1].value, str) and v.func.id not in self.inliner.locals
                and self.parsed.resolve_global(v.func.id) is builtins.setattr):
            return None
        target = gast.Attribute(value=v.args[0], attr=v.args[1].value, ctx=gast.Store())
        return self.assign_attribute(target, v.args[2], s)

    def note_class(self, name, call):
        """``name = Cls(...)`` with ``Cls`` a class of the user's: noted
        (``parsed.constructed``), so that a call ``name.method(...)`` the
        analysis would refuse makes the front end run again with ``name``'s
        class known (``pipeline.front_end``): the method of ``Cls`` is then
        inlined, checked when it runs as ``self.method`` is (the name may be
        rebound)."""
        cls = self.inliner.static(call.func)
        if inspect.isclass(cls) and name in self.inliner.locals and \
                name not in self.parsed.extras and not _library_class(cls):
            constructed = self.parsed.__dict__.setdefault("constructed", {})
            constructed.setdefault(name, cls)

    def _helper(self, fun, preferred):
        """The name generated code calls the runtime helper ``fun`` by."""
        return self.inliner.extra(fun, preferred)


def constructed_classes(parsed, names, known):
    """The classes of the objects ``names`` made in the function from a
    class of the user's (``note_class``), but those ``known`` already."""
    made = getattr(parsed, "constructed", {})
    return {n: made[n] for n in names if n in made and n not in known}


def _library_class(cls):
    """A class of NumPy, SciPy, the standard library or srcgrad (its methods
    are primitives, never inlined)."""
    top = (getattr(cls, "__module__", "") or "").split(".")[0]
    return top in sys.stdlib_module_names or top in ("numpy", "scipy", "srcgrad", "builtins")


def replace_calls(tree, parsed, namer, locals_, calls=None):
    """``dataclasses.replace(p, a=v)`` and ``p._replace(a=v)`` (keywords
    only, each named) become ``replace_dataclass(p, 'a', v)`` and
    ``replace_namedtuple(p, 'a', v)``: runtime helpers doing the same, with
    a rule each (``analysis/container_calls.py``).  ``calls``: the calls of
    ``tree`` in the order of a walk, when known (``scan.py``)."""
    for node in walk_tree(tree) if calls is None else calls:
        if not isinstance(node, gast.Call) or any(k.arg is None for k in node.keywords) or \
                any(isinstance(a, gast.Starred) for a in node.args):
            continue
        f = node.func
        if len(node.args) == 1 and _static(f, parsed, locals_) is dataclasses.replace:
            fun, obj = runtime.replace_dataclass, node.args[0]
        elif isinstance(f, gast.Attribute) and f.attr == "_replace" and not node.args:
            fun, obj = runtime.replace_namedtuple, f.value
        else:
            continue
        name = next((k for k, v in parsed.extras.items() if v is fun), None)
        if name is None:
            name = namer.fresh(fun.__name__)
            parsed.extras[name] = fun
        node.func = load(name)
        node.args = [obj] + [e for k in node.keywords for e in (const(k.arg), k.value)]
        node.keywords = []


def _static(node, parsed, locals_):
    """The object a name or attribute chain (not rooted at a local) means."""
    if isinstance(node, gast.Name):
        return None if node.id in locals_ else parsed.resolve_global(node.id)
    if isinstance(node, gast.Attribute):
        base = _static(node.value, parsed, locals_)
        return getattr(base, node.attr, None) if base is not None else None
    return None


def check_shared_arguments(fn, body, parsed, namer):
    """``check_unshared(p, 'p', others, names)`` at the start of ``body``
    for each parameter ``p`` whose attributes the function may assign (the
    first argument of a ``set_field`` call, directly or through copies)."""
    nodes = inner_nodes(gast.Module(body=body, type_ignores=[]))
    if not any(getattr(n, "srcgrad_set_field", False) for n in nodes):
        return body
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    same = {p: {p} for p in params}
    written = set()
    changed = True
    while changed:          # copies (q = p) hold the same object
        changed = False
        for s in (n for n in nodes if isinstance(n, gast.Assign)):
            t, v = s.targets[0], s.value
            if isinstance(t, gast.Name) and isinstance(v, gast.Name):
                for p, names in same.items():
                    if v.id in names and t.id not in names:
                        names.add(t.id)
                        changed = True
            if getattr(v, "srcgrad_set_field", False) and isinstance(v.args[0], gast.Name):
                for p, names in same.items():
                    if v.args[0].id in names and p not in written:
                        written.add(p)
                        changed = True
    checks = []
    for p in params:
        others = [q for q in params if q != p]
        if p not in written or not others:
            continue
        helper = next(k for k, v in parsed.extras.items() if v is runtime.check_unshared) \
            if runtime.check_unshared in parsed.extras.values() else None
        if helper is None:
            helper = namer.fresh("check_unshared")
            parsed.extras[helper] = runtime.check_unshared
        call = gast.Call(func=load(helper), args=[
            load(p), const(p), gast.Tuple(elts=[load(q) for q in others], ctx=gast.Load()),
            gast.Tuple(elts=[const(q) for q in others], ctx=gast.Load())], keywords=[])
        checks.append(gast.copy_location(gast.Expr(value=call), fn))
    return checks + body
