"""A generated gradient's recursive calls as plain calls (higher derivatives).

A gradient calls a recursive function (or a helper with an adjoint function
of its own) through its split form: the forward sweep once, a closure for
the reverse sweep.  Differentiating that gradient again (``hvp``), the split
becomes plain calls the pipeline differentiates: the call itself where its
value is read, the callee's generated ``vjp`` (itself recursive: the
inliner gives its recursive call a rule) where the closure is pulled back.
Each level's reverse sweep recomputes the levels below it.  Code in::

    s = split_call(f, (0,), (x, n - 1))
    y = 0.5 * s[0]                  # the value: anywhere in an expression
    b = s[1]
    d_x = pulled(b, g)[0]

code out::

    s = (x, n - 1)
    y = 0.5 * f(x, n - 1)
    b = s
    d_x = vjp_f(b[0], b[1], g)[1][0]

A split whose result or closure is used in any other way, or whose function
may not give the same result when called again (it draws random numbers:
``Driver.recursion_problem``), is left as it is, and the analysis refuses it
(``runtime.pulled.srcgrad_refusal``): nothing is assumed about a use this
module does not understand.

>>> import gast
>>> tree = gast.parse("s = split(f, (0,), (x, 2))\\ny = 2.0 * s[0]\\nb = s[1]\\nz = b")
>>> sorted(_understood(tree, {"s"}, {"pulled"}))
[]
>>> tree = gast.parse("s = split(f, (0,), (x, 2))\\ny = 2.0 * s[0]\\nb = s[1]\\nd = pulled(b, g)")
>>> sorted(_understood(tree, {"s"}, {"pulled"}))
['s']
>>> tree.body.append(gast.parse("b = s[1]").body[0])      # b means one of two closures
>>> sorted(_understood(tree, {"s"}, {"pulled"}))
[]
"""

import types

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.names import const, load
from srcgrad.compiler.ir.transformer import Transformer
from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree


def cell_value(cell):
    """What a closure cell holds, or None for an empty cell."""
    try:
        return cell.cell_contents
    except ValueError:
        return None


def inject(parsed, name, obj):
    """Make ``obj`` visible to the parsed function as the free name
    ``name`` (a closure cell, like the helpers emit injects)."""
    base, n = name, 0
    taken = {x.id for x in name_nodes(parsed.tree)}
    while name in taken or (name in parsed.closure and
                            parsed.closure[name].cell_contents is not obj):
        n += 1
        name = f"{base}_{n}"
    parsed.closure[name] = types.CellType(obj)
    return name


def splits_as_calls(parsed):
    """The recursive calls of generated code (``parsed.tree``, in place)
    through their split forms as plain calls, as the module docstring shows."""
    def value(name):
        cell = parsed.closure.get(name)
        return cell_value(cell) if cell is not None else parsed.globals.get(name, None)

    splits = {name for name, cell in parsed.closure.items()
              if getattr(getattr(cell_value(cell), "__func__", None), "__name__", "")
              == "recursive_split"}
    # the split forms of helpers with an adjoint function of their own (inline/joint.py):
    # split_h(a, b) for every parameter of h, in order
    joints = {name: getattr(cell_value(cell), "srcgrad_joint", None)
              for name, cell in parsed.closure.items()}
    joints = {name: joint for name, joint in joints.items() if joint is not None}
    pulls = {name for name, cell in parsed.closure.items() if cell_value(cell) is runtime.pulled}
    if not splits and not joints:
        return
    parsed.closure = dict(parsed.closure)
    found = {}      # split result -> the call making it
    for node in walk_tree(parsed.tree):
        if isinstance(node, gast.Assign) and isinstance(node.targets[0], gast.Name) and \
                isinstance(node.value, gast.Call) and isinstance(node.value.func, gast.Name):
            found[node.targets[0].id] = node
    understood = _understood(parsed.tree, set(found), pulls)
    made = {}       # split result -> (vjp name, callee, the callee's name, arguments)
    for a in sorted(understood):
        node = found[a]
        v = node.value
        joint = joints.get(v.func.id)
        if joint is not None and not v.keywords:
            fun, wrt, driver = joint
            vjp = driver.transforms["vjp"](fun, wrt=wrt)
            name = inject(parsed, "vjp_" + fun.__name__, vjp)
            callee = load(inject(parsed, fun.__name__, fun))
            args = gast.Tuple(elts=list(v.args), ctx=gast.Load())
            made[a] = (name, fun, callee, args)
            node.value = args                            # a = (x, y): the arguments
        elif v.func.id in splits and len(v.args) == 3 and isinstance(v.args[0], gast.Name) and \
                isinstance(v.args[1], gast.Tuple) and isinstance(v.args[2], gast.Tuple):
            fun, wrt = value(v.args[0].id), tuple(e.value for e in v.args[1].elts)
            if getattr(fun, "__defaults__", None) or getattr(fun, "__kwdefaults__", None):
                continue    # its vjp takes those by keyword, which a recursive rule does not
            driver = cell_value(parsed.closure[v.func.id]).__self__
            if driver.recursion_problem(fun):
                continue    # (called again, it may not give the same result: refused)
            vjp = driver.transforms["vjp"](fun, wrt=wrt)
            name = inject(parsed, "vjp_" + fun.__name__, vjp)
            made[a] = (name, fun, v.args[0], v.args[2])
            node.value = v.args[2]                       # a = (x, n - 1): the arguments
    if made:
        reads = _SplitReads(made)
        reads.visit(parsed.tree)
        _Pulls(pulls, made, reads.backs).visit(parsed.tree)


def _understood(tree, candidates, pulls):
    """The names among ``candidates`` (results of calls) read only as the
    module docstring shows: ``a[0]`` anywhere, ``b = a[1]``, and each such
    ``b`` only as the first argument of ``pulled(b, g)`` (a name in
    ``pulls``); ``a`` and each ``b`` assigned once (which call a read
    means is known)."""
    allowed = set()         # ids of the Name nodes read in an understood way
    backs = {}              # b -> a, for b = a[1]
    reads = {}              # name -> its Name nodes read
    stores = {}             # name -> how many times it is assigned
    for node in walk_tree(tree):
        if isinstance(node, gast.Name):
            if isinstance(node.ctx, gast.Load):
                reads.setdefault(node.id, []).append(node)
            else:
                stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
                node.value.id in candidates and isinstance(node.slice, gast.Constant) and \
                node.slice.value == 0 and isinstance(node.ctx, gast.Load):
            allowed.add(id(node.value))
        elif isinstance(node, gast.Assign) and len(node.targets) == 1 and \
                isinstance(node.targets[0], gast.Name) and _is_item(node.value, candidates, 1):
            allowed.add(id(node.value.value))
            backs[node.targets[0].id] = node.value.value.id
        elif isinstance(node, gast.Call) and isinstance(node.func, gast.Name) and \
                node.func.id in pulls and len(node.args) == 2 and not node.keywords and \
                isinstance(node.args[0], gast.Name):
            allowed.add(id(node.args[0]))
    out = set()
    for a in candidates:
        mine = [b for b, of in backs.items() if of == a]
        if all(stores.get(name) == 1 for name in [a] + mine) and \
                all(id(n) in allowed for name in [a] + mine for n in reads.get(name, ())):
            out.add(a)
    return out


def _is_item(node, names, k):
    """Whether ``node`` is ``a[k]`` for a name ``a`` in ``names``."""
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
        node.value.id in names and isinstance(node.slice, gast.Constant) and \
        node.slice.value == k and isinstance(node.ctx, gast.Load)


class _SplitReads(Transformer):
    """``a[0]`` of a split call -> the call, wherever it is read; ``b =
    a[1]`` -> ``b = a`` (the arguments, for the vjp), noting ``b``."""

    def __init__(self, made):
        self.made = made
        self.backs = {}     # b -> a

    def visit_Assign(self, node):
        t = node.targets[0]
        if len(node.targets) == 1 and isinstance(t, gast.Name) and \
                _is_item(node.value, self.made, 1):
            self.backs[t.id] = node.value.value.id
            node.value = load(node.value.value.id)
            return node
        return self.generic_visit(node)

    def visit_Subscript(self, node):
        if _is_item(node, self.made, 0):
            _, fun, callee, args = self.made[node.value.id]
            return gast.Call(func=load(callee.id), args=[copy_tree(a) for a in args.elts],
                             keywords=[])
        return self.generic_visit(node)


class _Pulls(Transformer):
    """``pulled(b, g)`` of a split call -> the callee's ``vjp``
    (:func:`splits_as_calls`)."""

    def __init__(self, pulls, made, backs):
        self.pulls, self.made, self.backs = pulls, made, backs

    def visit_Call(self, node):
        self.generic_visit(node)
        f = node.func
        if not (isinstance(f, gast.Name) and f.id in self.pulls and len(node.args) == 2 and
                isinstance(node.args[0], gast.Name) and
                self.backs.get(node.args[0].id) in self.made):
            return node
        name, fun, _, args = self.made[self.backs[node.args[0].id]]
        back = node.args[0].id
        parts = [gast.Subscript(value=load(back), slice=const(i), ctx=gast.Load())
                 for i in range(len(args.elts))]
        # the vjp takes the parameters with a default by keyword (ir/signature.py)
        n = len(parts) - len(fun.__defaults__ or ())
        names = list(fun.__code__.co_varnames[:len(parts)])
        call = gast.Call(func=load(name), args=parts[:n] + [node.args[1]],
                         keywords=[gast.keyword(arg=names[i], value=parts[i])
                                   for i in range(n, len(parts))])
        return gast.Subscript(value=call, slice=const(1), ctx=gast.Load())
