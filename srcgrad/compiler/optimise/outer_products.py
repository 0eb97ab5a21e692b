"""One matrix product for a loop's outer products: ``d_W += matmul_dx(g, W,
x)`` in a loop collects the pairs ``(g, x)`` and adds them up after the loop
with :func:`srcgrad.runtime.matmul_dx_sum`.

>>> from srcgrad import runtime
>>> from srcgrad.compiler.ir.names import Namer
>>> from srcgrad.compiler.ir.printer import function, source
>>> fn = function('''
... for i in range(n):
...     d_W += matmul_dx(g[i], W, x[i])
... return d_W''', params="d_W, g, W, x, n")
>>> fn = batch_outer_products(fn, {"matmul_dx": runtime.matmul_dx}, Namer(["d_W"]).fresh,
...                           lambda: "matmul_dx_sum")
>>> print(source(fn))
def f(d_W, g, W, x, n):
    d_W_g = []
    d_W_x = []
    for i in range(n):
        d_W_g.append(g[i])
        d_W_x.append(x[i])
    d_W += matmul_dx_sum(d_W_g, W, d_W_x)
    return d_W
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.optimise.effects import loads_of, pure_expr
from srcgrad.compiler.ir.walk import name_nodes

def batch_outer_products(fn, objects, fresh, helper_name):
    """``d_W += matmul_dx(g, W, x)`` in a loop that reads and writes ``d_W``
    nowhere else and never changes ``W``: the loop collects the pairs
    ``(g, x)`` and ``d_W += matmul_dx_sum(pairs, W)`` after it adds them up,
    for vectors ``g`` and ``x`` as one matrix product (``G.T @ X``) instead of
    one outer product per iteration.  ``fresh(base)`` names the list;
    ``helper_name()`` gives the name of :func:`runtime.matmul_dx_sum`."""
    fn.body = _batch_block(fn.body, objects, fresh, helper_name, runtime)
    return fn


def _batch_block(stmts, objects, fresh, helper_name, runtime):
    out = []
    for s in stmts:
        for field in ("body", "orelse"):
            if isinstance(getattr(s, field, None), list):
                setattr(s, field, _batch_block(getattr(s, field), objects, fresh, helper_name,
                                               runtime))
        if not isinstance(s, gast.For):
            out.append(s)
            continue
        before, after = [], []
        stored = {n.id for n in name_nodes(s) if not isinstance(n.ctx, gast.Load)}
        for st in list(s.body):
            i = s.body.index(st)
            if not (isinstance(st, gast.AugAssign) and isinstance(st.op, gast.Add)
                    and isinstance(st.target, gast.Name) and isinstance(st.value, gast.Call)
                    and isinstance(st.value.func, gast.Name)
                    and objects.get(st.value.func.id) is runtime.matmul_dx
                    and len(st.value.args) == 3 and not st.value.keywords):
                continue
            d, (g, w, x) = st.target.id, st.value.args
            if not isinstance(w, gast.Name) or w.id in stored:
                continue
            uses = sum(1 for n in name_nodes(s) if n.id == d)
            if uses != 1 or any(isinstance(n, gast.Name) and n.id == d for n in name_nodes(g)) \
                    or any(isinstance(n, gast.Name) and n.id == d for n in name_nodes(x)):
                continue
            kept = loads_of(g) | loads_of(x)
            if _mutated_in_place(s, objects, runtime) & kept:
                continue      # the pairs keep references: their arrays must not change
            gs, xs = fresh(d + "_g"), fresh(d + "_x")
            s.body[i:i + 1] = [_call_stmt(gs, "append", g), _call_stmt(xs, "append", x)]
            before += [_assign_name(gs, gast.List(elts=[], ctx=gast.Load())),
                       _assign_name(xs, gast.List(elts=[], ctx=gast.Load()))]
            after.append(gast.AugAssign(
                target=gast.Name(id=d, ctx=gast.Store(), annotation=None, type_comment=None),
                op=gast.Add(),
                value=gast.Call(func=_name(helper_name()), args=[_name(gs), w, _name(xs)],
                                keywords=[])))
        out.extend(before + [s] + after)
    return out


def _mutated_in_place(loop, objects, runtime):
    """Names whose arrays a statement of ``loop`` may change in place."""
    out = set()
    for st in walk_stmts(loop.body):
        if isinstance(st, gast.AugAssign):
            out |= {n.id for n in name_nodes(st.target)}
        elif isinstance(st, gast.Assign):
            for t in st.targets:
                # (x[i] = v changes x; a, b = t only rebinds: its names are stores)
                out |= loads_of(t)
            if not pure_expr(st.value, objects):
                out |= loads_of(st.value)
        elif isinstance(st, gast.Expr):
            out |= loads_of(st.value)
    return out


def _name(n):
    return gast.Name(id=n, ctx=gast.Load(), annotation=None, type_comment=None)


def _assign_name(n, value):
    return gast.Assign(targets=[gast.Name(id=n, ctx=gast.Store(), annotation=None,
                                          type_comment=None)], value=value, type_comment=None)


def _call_stmt(obj, method, arg):
    return gast.Expr(value=gast.Call(func=gast.Attribute(value=_name(obj), attr=method,
                                                         ctx=gast.Load()),
                                     args=[arg], keywords=[]))
