"""The reverse-mode transform :class:`Reverse`: its state, the adjoint names,
and ``run``, which puts the steps together.

``run`` builds both sweeps (:mod:`.walk`), seeds the adjoint of the result
(``1.0`` for ``grad``, the cotangent argument for ``vjp``), materialises
the adjoints (:mod:`.materialise`), gives each ``wrt`` parameter a gradient
(a zero, the structure of a list or dict, a fit to its shape), places the
tape (:mod:`.tape`) and returns the new function.  A ``vjp`` that also
returns the value:

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x):
...     a = x * 2.0
...     return a * x + np.sin(a)
>>> df = reverse_transform(f, ("x",), Driver(), with_value=True, cotangent=True)
>>> print(df.srcgrad_source.split("\\n\\n\\n")[0].rstrip())
def vjp_f(x, cotangent):
    if type(x) is not float and type(x) is not float64:
        return vjp_f_generic(x, cotangent)
    a = x * 2.0
    out = a * x + np.sin(a)
    d_out = cotangent
    # line 3: return a * x + np.sin(a)
    d_a = d_out * np.cos(a)
    d_a = d_a + d_out * x
    d_x = d_out * a
    # line 2: a = x * 2.0
    d_x = d_x + d_a * 2.0
    return (out, d_x)
"""

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.names import SPLIT, assign, const, load
from srcgrad.compiler.ir.signature import with_extra_parameters
from srcgrad.compiler.transforms.reverse.adjoints import Adjoints
from srcgrad.compiler.transforms.reverse.containers import ContainerChanges
from srcgrad.compiler.transforms.reverse.materialise import Materialise
from srcgrad.compiler.transforms.reverse.nodes import call_expr
from srcgrad.compiler.transforms.reverse.placeholders import DEF_SHARED
from srcgrad.compiler.transforms.reverse.tape import Tape
from srcgrad.compiler.transforms.reverse.walk import Sweeps


#: NumPy functions that certainly return a new array
_ARRAY_MAKERS = frozenset([np.array, np.zeros, np.ones, np.empty, np.full, np.zeros_like,
                           np.ones_like, np.empty_like, np.full_like, np.arange, np.linspace,
                           np.eye, np.identity, np.stack, np.concatenate, np.vstack, np.hstack,
                           np.outer, np.tile, np.repeat])


class Reverse(Sweeps, ContainerChanges, Adjoints, Materialise, Tape):
    """The gradient function of the analysed SSA function ``fn``: one
    instance per generated version (``run`` once).  The parts of the
    reversal are its bases, one module each."""

    def __init__(self, parsed, fn, analysis, namer, injector, wrt, user_of, *, with_value=False,
                 as_tuple=False, seed=None, split=False):
        self.as_tuple = as_tuple
        # split: the forward sweep returns the value and a closure running the
        # reverse sweep (optimise/closures.py splits the function at SPLIT)
        self.split = split
        self.seed = seed          # name of a cotangent parameter (vjp), or None (grad: 1.0)
        self.parsed = parsed
        self.fn = fn
        self.an = analysis
        self.namer = namer
        self.inj = injector
        self.wrt = wrt
        self.user_of = user_of
        self.with_value = with_value
        self.adj_names = {}
        self.primal_by_adjoint = {}     # adj_names reversed (each adjoint name is fresh)
        # adjoints that may hold a value which only broadcasts to their
        # primal's shape (the adjoint of a sum: its scalar); see ``expand``
        self.lazy = set()

    @property
    def splits_recursion(self):
        """Whether a recursive call goes through the callee's split form
        (``Driver.recursive_split``): for real values (the version for
        complex arguments keeps ``vjp_call``)."""
        return not getattr(self.an, "complex", ()) and self.an.driver is not None

    def d(self, name):
        if name not in self.adj_names:
            self.adj_names[name] = dname = self.namer.fresh("d_" + name)
            self.primal_by_adjoint[dname] = name
        return self.adj_names[name]

    def rt(self, helper):
        return load(self.inj.name_for(getattr(runtime, helper), helper))

    def certainly_array(self, name, assumed=frozenset()):
        """Whether ``name`` certainly holds a NumPy array (so ``name[i]`` has
        ``.copy()``): every definition makes one (a NumPy constructor, a ufunc
        or arithmetic with an array operand, a copy of an array).  A
        parameter is only where the version's guard checks it is (it may be
        a list); a read with a slice of an array is one (a view);
        loop-carried definitions are assumed to (a greatest fixpoint)."""
        if name in assumed:
            return True
        if not hasattr(self, "_defs"):
            self._defs = {}
            a = self.fn.args
            self.params = {p.id for p in a.posonlyargs + a.args + a.kwonlyargs}
            for st in walk_stmts(self.fn.body):
                if isinstance(st, gast.Assign) and isinstance(st.targets[0], gast.Name):
                    self._defs.setdefault(st.targets[0].id, []).append(st)
        defs = self._defs.get(name)
        if name in self.params and name not in getattr(self.an, "array_params", ()):
            return False
        if not defs:
            return name in self.params
        assumed = assumed | {name}

        def array(node):
            return isinstance(node, gast.Name) and self.certainly_array(node.id, assumed)

        for st in defs:
            op = getattr(st, "srcgrad_op", None)
            if op is None:
                return False
            if op.kind == "copy" and array(op.args.get("x")):
                continue
            index = op.args.get("index")
            if op.kind == "subscript" and array(op.args.get("x")) and any(
                    isinstance(p, gast.Slice)
                    for p in (index.elts if isinstance(index, gast.Tuple) else [index])):
                continue
            fun = op.fun if op.kind == "call" else None
            try:
                if fun in _ARRAY_MAKERS:
                    continue
            except TypeError:
                pass
            if (isinstance(fun, np.ufunc) or fun is np.copy or
                    getattr(fun, "__module__", None) in ("_operator", "operator")) and \
                    any(array(a) for a in op.args.values()):
                continue
            return False
        return True

    def own(self, expr, name):
        """``expr`` (a part of ``name``) as a value of its own: ``.copy()``
        where ``name`` is certainly an array, else ``own(...)`` (a part of a
        list may be a float, which has no ``.copy()``)."""
        if self.certainly_array(name):
            return gast.Call(func=gast.Attribute(value=expr, attr="copy", ctx=gast.Load()),
                             args=[], keywords=[])
        return gast.Call(func=self.rt("own"), args=[expr], keywords=[])

    def run(self):
        body = self.fn.body
        result = body[-1].value.id
        fwd, rev = self.sweeps(body[:-1], None)
        state = {}
        seed = []
        dres = self.d(result)
        if result in self.an.active:
            if self.seed is not None and result in self.an.kind:
                # a container cotangent: adjoints the code can add and update
                seed.append(assign(dres, gast.Call(func=self.rt("as_adjoint"),
                                                   args=[load(self.seed)], keywords=[])))
            elif self.seed is not None:
                seed.append(assign(dres, load(self.seed)))
            else:
                if result not in self.an.forward_scalar or result in self.an.complex:
                    seed.append(call_expr(self.rt("check_scalar"), [load(result)]))
                seed.append(assign(dres, const(1.0)))
            state[dres] = DEF_SHARED
        rev = self.materialise(rev, state)
        finals, returns = [], []
        for p in self.wrt:
            dp = self.d(p)
            if p in self.an.kind:
                # a container: the gradient has its structure (runtime.restructure)
                value = load(dp) if dp in state else const(0.0)
                finals.append(assign(dp, gast.Call(func=self.rt("restructure"),
                                                   args=[value, load(p)], keywords=[])))
            elif dp not in state:
                value = const(0.0) if p in self.an.scalar else gast.Call(
                    func=self.rt("zeros_like"), args=[load(p)], keywords=[])
                finals.append(assign(dp, value))
            elif state[dp] == DEF_SHARED and p not in self.an.scalar:
                finals.append(assign(dp, gast.Call(func=self.rt("fit"), args=[load(dp), load(p)],
                                                   keywords=[])))
            returns.append(load(dp))
        rev = rev + finals
        self.resolve_shapes(rev)
        fwd, rev = self.place_tape(fwd, rev)
        grads = gast.Tuple(elts=returns, ctx=gast.Load()) if self.as_tuple else returns[0]
        if self.with_value:
            value = gast.Tuple(elts=[load(result), grads], ctx=gast.Load())
        else:
            value = grads
        ret = gast.Return(value=value)
        marker = [gast.Expr(value=gast.Call(func=load(SPLIT), args=[], keywords=[]))] \
            if self.split else []
        new_body = fwd + marker + seed + rev + [ret]
        args = self.fn.args
        if self.seed is not None and not self.split:   # vjp: the cotangent after the required arguments
            args = with_extra_parameters(args, [self.seed], self.parsed.fun)
        fn = gast.FunctionDef(name=self.fn.name, args=args, body=new_body,
                              decorator_list=[], returns=None, type_comment=None)
        fn.srcgrad_result = result
        return fn
