"""What a piece of generated code reads and whether it may change
something: shared by the optimisation passes.

>>> import gast, numpy
>>> e = gast.parse("np.sin(x) + tape.pop()").body[0].value
>>> sorted(loads_of(e))
['np', 'tape', 'x']
>>> pure_expr(e, {"np": None}), pure_expr(e.left, {"np": None})
(False, True)
>>> known = Known({}, {"np": numpy}.get)       # (the user's modules)
>>> pure_value(e.left, known), pure_value(e, known)
(True, False)
>>> pure_value(gast.parse("len(x)").body[0].value, Known({}, {"len": len}.get))
True
>>> pure_value(gast.parse("len(x)").body[0].value, Known({}, {"len": print}.get))
False
>>> s = gast.parse("d[i] += np.add.at(a, j, v)").body[0]
>>> sorted(changed_names(s, known, set()))
['a', 'd', 'j', 'np', 'v']
"""

import builtins
import types

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.walk import inner_nodes, name_nodes

#: runtime helpers that change an argument in place
MUTATING_HELPERS = {"add_at", "add_item", "add_attr", "unpop", "unpop_adjoint", "restore_item",
                    "not_a_view", "check_scalar", "matmul_dx_sum"}

#: methods that change the object they are called on (the tapes, adjoint
#: lists, containers)
MUTATING_METHODS = {"pop", "append", "insert", "extend", "remove", "clear", "update",
                    "setdefault", "popitem", "sort", "reverse", "fill", "resize", "put"}


def loads_of(node):
    """The names ``node`` reads."""
    return {n.id for n in name_nodes(node) if isinstance(n.ctx, gast.Load)}


def pure_expr(e, objects):
    """Whether evaluating ``e`` later gives the same value and changes nothing:
    no call that may change its arguments (``tape.pop()``, ``add_at``) or
    anything else (a function without a rule)."""
    for n in inner_nodes(e):
        if isinstance(n, gast.Call):
            f = n.func
            if isinstance(f, gast.Attribute):
                if f.attr in MUTATING_METHODS:
                    return False
                root = f
                while isinstance(root, gast.Attribute):
                    root = root.value
                if not (isinstance(root, gast.Name) and root.id in objects) and f.attr != "copy":
                    return False
            elif isinstance(f, gast.Name):
                obj = objects.get(f.id)
                if obj is None or getattr(obj, "__module__", None) == runtime.__name__ and \
                        obj.__name__ in MUTATING_HELPERS:
                    return False
            else:
                return False
        elif isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await)):
            return False
    return True


#: builtins without effects generated code calls (bounds, loops)
_BUILTINS = {"len", "range", "reversed", "abs", "float", "int", "min", "max"}
#: modules whose functions change nothing but ``out=`` and these
_MODULES = {"numpy", "math", "cmath", "scipy.special"}
_CHANGING = {"at", "copyto", "put", "put_along_axis", "place", "putmask", "fill_diagonal",
             "random", "seed", "shuffle", "resize"}
_MISSING = object()


class Known(dict):
    """The injector's objects, and the user's modules (``np``)."""

    def __init__(self, objects, resolve):
        super().__init__(objects)
        self.resolve = resolve

    def get(self, key, default=None):
        if dict.__contains__(self, key):
            return dict.__getitem__(self, key)
        found = self.resolve(key) if self.resolve is not None else None
        return found if isinstance(found, types.ModuleType) else default

    def __contains__(self, key):
        return self.get(key, _MISSING) is not _MISSING

    def is_builtin(self, name):
        """Whether ``name`` is Python's builtin of that name where the user's
        code runs (not a global or closure variable that shadows it)."""
        return self.resolve is None or self.resolve(name) is getattr(builtins, name, _MISSING)


def changed_names(node, objects, tapes):
    """Names ``node`` may change in place: roots of subscript and attribute
    targets, of augmented targets, every name in a call with effects (a
    tape's push or pop: the tape)."""
    out = set()
    for n in inner_nodes(node):
        if isinstance(n, (gast.Subscript, gast.Attribute, gast.Starred)) and \
                isinstance(n.ctx, gast.Store) or isinstance(n, gast.AugAssign):
            t = n.target if isinstance(n, gast.AugAssign) else n
            while isinstance(t, (gast.Subscript, gast.Attribute, gast.Starred)):
                t = t.value
            if isinstance(t, gast.Name):
                out.add(t.id)
        elif isinstance(n, gast.Call) and not pure_call(n, objects):
            f = n.func
            if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name) and \
                    f.value.id in tapes and f.attr in ("append", "pop"):
                out.add(f.value.id)
                if not all(pure_value(x, objects) for x in n.args):
                    out |= {m.id for x in n.args for m in name_nodes(x)}
            else:
                out |= {m.id for m in name_nodes(n)}
    return out


def pure_call(call, objects):
    """Whether ``call`` itself (not the calls in its arguments) changes
    nothing: a builtin of :data:`_BUILTINS`, a function of a module of
    :data:`_MODULES` (``np.sin``; not ``np.add.at``, ``out=``), or what
    :func:`pure_expr` allows."""
    f = call.func
    if isinstance(f, gast.Name) and f.id in _BUILTINS and f.id not in objects and \
            getattr(objects, "is_builtin", lambda name: True)(f.id):
        return not call.keywords        # (the calls in its arguments: seen on their own)
    if isinstance(f, gast.Attribute):
        chain, root = [], f
        while isinstance(root, gast.Attribute):
            chain.append(root.attr)
            root = root.value
        module = objects.get(root.id, _MISSING) if isinstance(root, gast.Name) else None
        if isinstance(module, types.ModuleType) and module.__name__ in _MODULES:
            # (np.ndarray.fill(a, 0), np.add.at: as changing as a.fill(0))
            return not set(chain) & (_CHANGING | MUTATING_METHODS) and \
                not any(k.arg == "out" or k.arg is None for k in call.keywords)
    return pure_expr(gast.Call(func=f, args=[], keywords=[]), objects) and \
        not (isinstance(f, gast.Attribute) and f.attr in MUTATING_METHODS)


def pure_value(value, objects):
    """Whether evaluating ``value`` changes nothing (:func:`pure_call` of
    each of its calls)."""
    return all(pure_call(n, objects) for n in inner_nodes(value) if isinstance(n, gast.Call)) \
        and not any(isinstance(n, (gast.Lambda, gast.NamedExpr, gast.Yield, gast.Await))
                    for n in inner_nodes(value))
