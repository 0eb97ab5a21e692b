"""Copy the arguments the function writes into: ``x[i] = v`` (or
``x.append(v)``) on a parameter's value, or a view of it, first makes
``x = x.copy()``, so that generated code never changes the caller's arrays.

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import function, source
>>> print(source(normalise_text('''
... def f(x, y):
...     v = x.T
...     v[0] = y
...     return v
... ''')))
def f(x, y):
    x = x.copy()
    v = x.T
    v[0] = y
    out = v
    return out
>>> fn = function('''
... y = np.array([y])
... y[0] = 1.0
... x.append(y)
... ''')
>>> written_parameters(fn.body, ["x", "y"])
['x']
"""

import gast

from srcgrad.compiler.ir.names import assign, load
from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree


def copy_written_arguments(fn, body):
    """An argument the function writes into (``x[i] = v``) is copied first:
    the caller's array is never modified by generated code."""
    params = [a.id for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs]
    copies = []
    for p in written_parameters(body, params):
        call = gast.Call(func=gast.Attribute(value=load(p), attr="copy", ctx=gast.Load()),
                         args=[], keywords=[])
        copies.append(gast.copy_location(assign(p, call), fn))
    return copies + body


#: methods of lists, dicts and arrays that change them in place (as statements)
_IN_PLACE_METHODS = {"append", "insert", "pop", "extend", "remove", "clear", "sort", "reverse",
                     "update", "setdefault", "popitem", "add", "discard", "fill"}


def written_parameters(body, params):
    """The parameters (in order of first write) whose value the normalised
    ``body`` may write into: through ``x[i] = v`` or ``x.append(...)`` where
    ``x`` may hold the parameter's value or a view of it at that point.

    Flow-sensitive, by definition, not by name: after ``y = np.array([y])``
    the name ``y`` no longer holds the argument (which may be a float with no
    ``.copy()``), so a later ``y[:] = 0`` writes into a new array."""
    written = []

    def mark(name, state):
        for p in sorted(state.get(name, ())):
            if p not in written:
                written.append(p)

    def roots(value, state):
        src = _view_source(value, state)
        return state[src] if src is not None else frozenset()

    def join(a, b):
        return {n: a.get(n, frozenset()) | b.get(n, frozenset()) for n in set(a) | set(b)}

    def bind(target, value, state):
        if isinstance(target, gast.Name):
            state[target.id] = roots(value, state)
        elif isinstance(target, (gast.Tuple, gast.List)):
            if isinstance(value, (gast.Tuple, gast.List)) and len(value.elts) == len(target.elts):
                new = [roots(v, state) for v in value.elts]
            else:           # unpacking: any element may be (a view of) what was read
                every = frozenset().union(*(state.get(n.id, frozenset())
                                            for n in name_nodes(value)))
                new = [every] * len(target.elts)
            for t, r in zip(target.elts, new):
                if isinstance(t, gast.Name):
                    state[t.id] = r
                else:
                    bind(t, value, state)
        elif isinstance(target, gast.Starred):
            bind(target.value, value, state)

    def stores(s, state):
        # writes into a name's value anywhere in ``s`` (a fallback for
        # statements not followed precisely)
        for n in walk_tree(s):
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store) and \
                    isinstance(n.value, gast.Name):
                mark(n.value.id, state)

    def block(stmts, state):
        for s in stmts:
            if isinstance(s, gast.Assign):
                for t in s.targets:
                    if isinstance(t, gast.Subscript) or not isinstance(t, gast.Name) and \
                            any(isinstance(n, gast.Subscript) for n in walk_tree(t)):
                        stores(t, state)
                for t in s.targets:
                    bind(t, s.value, state)
            elif isinstance(s, gast.Expr):
                v = s.value
                if isinstance(v, gast.Call) and isinstance(v.func, gast.Attribute) and \
                        v.func.attr in _IN_PLACE_METHODS and isinstance(v.func.value, gast.Name):
                    mark(v.func.value.id, state)     # a list (dict, array) changed in place
            elif isinstance(s, gast.If):
                state = join(block(s.body, dict(state)), block(s.orelse, dict(state)))
            elif isinstance(s, (gast.For, gast.While)):
                entry = state
                while True:
                    inner = dict(state)
                    if isinstance(s, gast.For):
                        # an element of what is iterated may be (a view of) it
                        bind(s.target, s.iter, inner)
                        if isinstance(s.target, gast.Name):
                            every = frozenset().union(*(
                                inner.get(n.id, frozenset()) for n in name_nodes(s.iter)))
                            inner[s.target.id] = every
                    new = join(entry, block(s.body, inner))
                    if new == state:
                        break
                    state = new
                state = block(s.orelse, state)
            else:
                stores(s, state)
        return state

    block(body, {p: frozenset([p]) for p in params})
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del bind, block
    return written


#: methods and attributes of arrays (and NumPy functions) that may return a view
VIEW_NAMES = {"T", "mT", "real", "imag", "reshape", "transpose", "ravel", "squeeze", "swapaxes",
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
    if isinstance(value, gast.Attribute) and value.attr in VIEW_NAMES:
        return _view_source(value.value, names)
    if isinstance(value, gast.Call) and isinstance(value.func, gast.Attribute) and \
            value.func.attr in VIEW_NAMES:
        own = _view_source(value.func.value, names)         # x.reshape(...)
        if own is not None:
            return own
        return _view_source(value.args[0], names) if value.args else None   # np.transpose(x)
    return None
