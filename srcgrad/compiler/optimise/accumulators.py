"""The caller's adjoints passed in: the vjp of a helper with an adjoint
function of its own (``frontend/inline/joint.py``) adds into the adjoint
arrays of its caller instead of making zeros the caller adds.

``vjp_h(u, k, c, cotangent)`` gets one parameter per derivative it
returns, None by default: the caller's adjoint of that argument, when the
caller owns it (``transforms/reverse/adjoints.py``); the caller then takes
the returned value as that adjoint instead of adding it.  A derivative that
the sweep only ever adds to -- ``+=``, ``d[i] += v``, ``d = d + v``,
``add_at`` -- starts from the caller's array (its zeros -- ``zeros_like(p)``
or ``0.0`` -- or its first value only when none is given); any other
returns ``accumulated(acc, d)``, the sum.  Code in → code out::

    def vjp_h(u, k, c, cotangent):   def vjp_h(u, k, c, cotangent, d_u=None, d_k=None, d_c_acc=None):
        d_y = cotangent                  d_y = cotangent
        d_u = zeros_like(u)              if d_u is None:
        d_u[0] += d_y * k                    d_u = zeros_like(u)
        d_k = d_y * u[0]       →         d_u[0] += d_y * k
        d_c = d_y                        if d_k is None:
        d_u[1] += d_c * k                    d_k = d_y * u[0]
        return (d_u, d_k, d_c)           else:
                                             d_k += d_y * u[0]
                                         d_c = d_y
                                         d_u[1] += d_c * k
                                         return (d_u, d_k, accumulated(d_c_acc, d_c))

>>> from srcgrad.compiler.ir.printer import to_source
>>> vjp = gast.parse('''
... def vjp_h(u, k, c, cotangent):
...     d_y = cotangent
...     d_u = zeros_like(u)
...     d_u[0] += d_y * k
...     d_k = d_y * u[0]
...     d_c = d_y
...     d_u[1] += d_c * k
...     return (d_u, d_k, d_c)''').body[0]
>>> pass_accumulators(vjp, ["u", "k", "c"], lambda c, name: c.func.id == name,
...                   lambda base: base, lambda: "accumulated")
>>> print(to_source(vjp).strip())
def vjp_h(u, k, c, cotangent, d_u=None, d_k=None, d_c_acc=None):
    d_y = cotangent
    if d_u is None:
        d_u = zeros_like(u)
    d_u[0] += d_y * k
    if d_k is None:
        d_k = d_y * u[0]
    else:
        d_k += d_y * u[0]
    d_c = d_y
    d_u[1] += d_c * k
    return (d_u, d_k, accumulated(d_c_acc, d_c))

The result is the caller's adjoint plus what the helper adds either way,
so the caller may pass any adjoint it owns (no other name sees the array
change) and must rebind its adjoint to the value returned.
"""

import gast

from srcgrad.compiler.ir.names import load
from srcgrad.compiler.ir.walk import mentions, name_nodes


def pass_accumulators(back, params, is_call, fresh, into):
    """Give ``back`` (a helper's vjp: a FunctionDef whose last statement
    returns a tuple of the derivatives of ``params``, in order) a parameter
    per derivative, in place.  ``is_call(call, name)``: whether ``call`` calls srcgrad's
    runtime helper ``name``; ``fresh(base)``: a new name; ``into()``: the
    name of ``runtime.accumulated``."""
    body = back.body
    grads = body[-1].value
    elts = grads.elts if isinstance(grads, gast.Tuple) else None
    if elts is None or len(elts) != len(params):
        raise AssertionError("a split form returns one derivative per parameter")
    names = []
    for k, (param, elt) in enumerate(zip(params, elts)):
        start = _start(body, elt, is_call) if isinstance(elt, gast.Name) else None
        if start is not None:
            names.append(elt.id)
            first = body[start]
            test = gast.Compare(left=load(elt.id), ops=[gast.Is()],
                                comparators=[gast.Constant(value=None, kind=None)])
            if _zeros(first, param, is_call) or isinstance(first.value, gast.Constant):
                body[start] = gast.If(test=test, body=[first], orelse=[])
            else:                   # d = v: the caller's plus v when it gave one
                more = gast.AugAssign(target=gast.Name(id=elt.id, ctx=gast.Store(),
                                                       annotation=None, type_comment=None),
                                      op=gast.Add(), value=first.value)
                body[start] = gast.If(test=test, body=[first], orelse=[more])
            continue
        acc = fresh((elt.id if isinstance(elt, gast.Name) else "d_" + param) + "_acc")
        names.append(acc)
        elts[k] = gast.Call(func=load(into()), args=[load(acc), elt], keywords=[])
    back.args.args += [gast.Name(id=n, ctx=gast.Param(), annotation=None, type_comment=None)
                       for n in names]
    back.args.defaults += [gast.Constant(value=None, kind=None) for _ in names]


def _start(body, elt, is_call):
    """The index of the top-level statement of ``body`` that first binds the
    derivative ``elt`` (a name) when the sweep only adds to it afterwards
    (and reads it nowhere before), else None."""
    d = elt.id
    start = None
    for i, s in enumerate(body[:-1]):
        seen = mentions(s, d)
        if start is None:
            if not seen:
                continue
            if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                    isinstance(s.targets[0], gast.Name) and s.targets[0].id == d and
                    not mentions(s.value, d)):
                return None
            start = i
        elif seen and not _adds(s, d, is_call):
            return None
    ret = body[-1].value
    if start is None or sum(n.id == d for n in name_nodes(ret)) != 1:
        return None
    return start


def _adds(s, d, is_call):
    """Whether every mention of ``d`` in the statement ``s`` (and in the
    statements inside it) only adds to ``d``."""
    if isinstance(s, (gast.If, gast.For, gast.While)):
        if mentions(s.test if isinstance(s, (gast.If, gast.While)) else s.iter, d) or \
                isinstance(s, gast.For) and mentions(s.target, d):
            return False
        return all(_adds(t, d, is_call) or not mentions(t, d)
                   for t in s.body + s.orelse)
    if isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add) and not mentions(s.value, d):
        t = s.target
        if isinstance(t, gast.Name):
            return t.id == d
        return isinstance(t, gast.Subscript) and isinstance(t.value, gast.Name) and \
            t.value.id == d and not mentions(t.slice, d)
    if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
            isinstance(s.targets[0], gast.Name) and s.targets[0].id == d:
        v = s.value
        if isinstance(v, gast.BinOp) and isinstance(v.op, gast.Add) and \
                isinstance(v.left, gast.Name) and v.left.id == d:
            return not mentions(v.right, d)
        if isinstance(v, gast.Call) and is_call(v, "add_at") and v.args and \
                isinstance(v.args[0], gast.Name) and v.args[0].id == d and not v.keywords:
            return not any(mentions(a, d) for a in v.args[1:])
    return False


def _zeros(s, param, is_call):
    """``d = zeros_like(param)``."""
    v = s.value
    return isinstance(v, gast.Call) and is_call(v, "zeros_like") and len(v.args) == 1 and \
        isinstance(v.args[0], gast.Name) and v.args[0].id == param and not v.keywords
