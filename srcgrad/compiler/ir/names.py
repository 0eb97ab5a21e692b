"""Fresh, readable, hygienic names for generated code.

Generated names are derived from the user's names (``x_1``, ``d_x``) and never
clash with any name the user's function mentions (its locals, parameters, and
the globals or builtins it reads), nor with one another.

>>> namer = Namer({"x", "x_1"})
>>> namer.fresh("x"), namer.fresh("d_x"), namer.fresh("d_x")
('x_2', 'd_x', 'd_x_1')
"""

import re

import gast
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.walk import inner_nodes



#: the call the reversal puts where the reverse sweep of a split form starts
#: (``optimise/closures.py`` moves what follows into a closure)
SPLIT = "__srcgrad_split__"

def names_in(tree):
    """Every identifier that occurs in ``tree`` (names, parameters, attributes
    are excluded: ``np.sin`` contributes ``np`` only)."""
    out = set()
    for node in inner_nodes(tree):      # (contexts and operators hold no name)
        if isinstance(node, gast.Name):
            out.add(node.id)
        elif isinstance(node, (gast.FunctionDef, gast.ClassDef)):
            out.add(node.name)
    return out


_NOT_WORD = re.compile(r"\W")
_NUMBERED = re.compile(r"_\d+$")


class Namer:
    """Hands out fresh names.  ``fresh("x")`` gives ``x`` if unused, else
    ``x_1``, ``x_2`` ...; names are never handed out twice."""

    def __init__(self, taken=()):
        self.taken = set(taken)
        self._counters = {}

    def reserve(self, name):
        self.taken.add(name)
        return name

    def fresh(self, base, plain=True):
        if not (base.isascii() and base.isidentifier()):     # (\W matches nothing then)
            base = _NOT_WORD.sub("_", base) or "t"
        if plain and base not in self.taken:
            return self.reserve(base)
        stem = _NUMBERED.sub("", base) or base
        n = self._counters.get(stem, 0)
        while True:
            n += 1
            cand = f"{stem}_{n}"
            if cand not in self.taken:
                self._counters[stem] = n
                return self.reserve(cand)


# (load, store and const build their nodes field by field: the passes make
# thousands, and gast's keyword constructor takes several times as long)
_Name, _Load, _Store, _Constant = gast.Name, gast.Load, gast.Store, gast.Constant


def _name(name, ctx):
    """``gast.Name(id=name, ctx=ctx(), annotation=None, type_comment=None)``."""
    node = _Name.__new__(_Name)
    node.id = name
    node.ctx = ctx.__new__(ctx)
    node.annotation = None
    node.type_comment = None
    return node


def load(name):
    return _name(name, _Load)


def store(name):
    return _name(name, _Store)


def const(value):
    """``gast.Constant(value=value, kind=None)``."""
    node = _Constant.__new__(_Constant)
    node.value = value
    node.kind = None
    return node


def assign(target, value, like=None):
    node = gast.Assign(targets=[store(target) if isinstance(target, str) else target],
                       value=value, type_comment=None)
    if like is not None:
        gast.copy_location(node, like)
    return node


class Injector:
    """Objects that generated code refers to (``numpy``, runtime helpers,
    functions named in rule templates), each under one hygienic name.

    The generated function receives them as closure variables, so they never
    touch the user's module and never shadow a name the user's code uses for
    something else."""

    def __init__(self, namer, resolve):
        self.namer = namer
        self.resolve = resolve      # user's view of a global name, or a sentinel
        self.by_id = {}
        self.objects = {}           # name -> object

    def name_for(self, obj, preferred):
        key = id(obj)
        if key in self.by_id:
            return self.by_id[key]
        if preferred in self.namer.taken and self.resolve(preferred) is obj \
                and preferred not in self.objects:
            name = preferred        # the user's own global name for the same object
        else:
            name = self.namer.fresh(preferred)
        self.by_id[key] = name
        self.objects[name] = obj
        return name


def comment_node(text):
    """A statement standing for the comment ``# text`` (the emitter prints it)."""
    node = gast.Expr(value=gast.Constant(value=None, kind=None))
    node.srcgrad_comment = text
    return node


def as_arrays(op, kinds, name_for):
    """The arguments of a call ``op``, with each name that holds a list or
    tuple (``kinds``) given to a parameter NumPy reads through ``np.asarray``
    (``rule.array_like``) read as ``np.asarray(name)`` in the templates: a
    template's ``x * x`` or ``g @ x`` must not see a Python list
    (``np.divide(C, [x, y])``, ``np.dot([x, y], v)``)."""
    converted = array_arguments(op, kinds)
    if not converted:
        return op.args
    out = dict(op.args)
    for p in converted:
        out[p] = read_as_array(op.args[p], name_for)
    return out


def array_arguments(op, kinds):
    """The parameters of ``op`` given a list or tuple that NumPy reads as an
    array (or a value that may be one: ``a.tolist()``, whose template
    ``t * a`` would repeat a list when ``t`` is a number)."""
    if op.rule is None:
        return ()
    like = getattr(op.rule, "array_like", ())
    adjoint_lists = getattr(kinds, "adjoint_lists", ())   # generated code: they add as lists
    maybe = getattr(kinds, "maybe_lists", ())
    return [p for p, a in op.args.items() if p in like and isinstance(a, gast.Name)
            and (kinds.get(a.id) in ("list", "tuple") or a.id in maybe)
            and a.id not in adjoint_lists]


def read_as_array(node, name_for):
    """``np.asarray(node)``."""
    np_name = name_for(__import__("numpy"), "np")
    return gast.Call(func=gast.Attribute(value=load(np_name), attr="asarray", ctx=gast.Load()),
                     args=[node], keywords=[])


def element_check(check, helper):
    """The statement ``helper(C, key, (y, ...), 'C', ('y', ...), 'line n')`` of
    the analysis's ``srcgrad_element_check`` (``C[key] op= e``: the element
    must not be an array that the names ``y`` hold)."""
    c, key, names, shown, users, where = check
    return gast.Expr(value=gast.Call(func=helper, args=[
        load(c), copy_tree(key), gast.Tuple(elts=[load(n) for n in names], ctx=gast.Load()),
        const(shown), gast.Tuple(elts=[const(u) for u in users], ctx=gast.Load()),
        const(where)], keywords=[]))
