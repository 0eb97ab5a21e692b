"""Sparsity detection: which outputs can depend on which inputs.

``jacobian_sparsity(f, wrt)(*args)`` runs ``f`` once with the ``wrt``
argument replaced by a :class:`Deps` array: each element carries, besides its
value, the set of input elements it depends on (one row of a boolean
``scipy.sparse`` matrix, elements in C order).  NumPy calls on it go through
``__array_ufunc__`` / ``__array_function__``, each propagating the sets:

* an elementwise ufunc: the union of its (broadcast) arguments' sets; a
  piecewise-constant one (comparisons, ``floor``, ``sign`` ...): no set;
* a reduction (``sum``, ``max``, ``np.add.reduce`` ...): the union over the
  reduced axes; a scan or a sort along an axis: the union over that axis;
* a function that only moves elements (``reshape``, ``transpose``,
  ``concatenate``, ``pad``, ``diag``, indexing ...): applied to the element
  numbers, so each output element gets exactly its source's set; results
  that are NumPy views stay views (a write through them reaches the base);
* ``matmul``/``dot`` of 2-D operands: a constant operand's nonzeros decide
  which elements combine, two traced operands give row-union x column-union;
* **anything else** (``np.linalg.*``, an unknown function or runtime helper
  that fails on ``Deps``): every output element depends on every input
  element its arguments depend on ("when in doubt, dense rows").

So the pattern found is a superset of the true one *at the given arguments*:
a branch (``if``), an integer index or a ``where`` condition computed from the
traced values takes the path of those arguments (``np.where``,
``maximum``, ``clip`` and ``abs`` keep both sides).  A traced value written
into a plain NumPy array (``out = np.zeros(n); out[i] = x[i]``), or turned
into a float, cannot carry its set: the whole trace is then abandoned and the
pattern is dense (with a warning), never smaller than the truth.

``hessian_sparsity(f, wrt)`` runs the same trace and also collects the pairs
of inputs that meet in a **nonlinear** operation: an operation linear in its
traced arguments (``+``, ``-``, a product with a constant, ``sum``, indexing,
moves, and the piecewise-linear ``abs``, ``maximum``, ``where``, ``sort``
...) adds none; a product of two traced values adds the pairs across
(``R_a^T R_b``); any other (``exp``, ``**``, ``/`` by a traced value,
``prod``, ``norm``, an unknown function ...) adds every pair within each
output element's set (``R^T R``).  The Hessian of the (scalar) result can only
be nonzero at those pairs and on the diagonal.

>>> import numpy as np
>>> def f(x):
...     return x[1:] * x[:-1]
>>> jacobian_sparsity(f)(np.ones(4)).toarray().astype(int)
array([[1, 1, 0, 0],
       [0, 1, 1, 0],
       [0, 0, 1, 1]])
"""

import functools
import inspect
import types
import warnings

import numpy as np
import scipy.sparse as sps

from srcgrad.api import reverse as api
from srcgrad.compiler import pipeline
from srcgrad.errors import SrcgradError


class _Abandon(Exception):
    """A traced value would lose its dependencies."""


def _empty(rows, n):
    return sps.csr_matrix((rows, n), dtype=bool)


def _rows(D, idx):
    """Rows ``idx`` of ``D`` (``idx`` of any shape, flattened; -1: none)."""
    idx = np.asarray(idx, dtype=np.int64).ravel()
    if (idx >= 0).all():
        return D[idx]
    keep = idx >= 0
    sel = sps.csr_matrix((np.ones(keep.sum(), bool), (np.flatnonzero(keep), idx[keep])),
                         shape=(idx.size, D.shape[0]))
    return (sel @ D).astype(bool)


class Deps:
    """An array (or scalar) ``value`` whose elements carry the sets of input
    elements they depend on: the rows of ``D`` (``value.size x n``); a view
    of another ``Deps`` holds its ``base`` and ``index`` (element numbers in
    the base) instead."""

    __array_priority__ = 1000

    def __init__(self, value, D=None, base=None, index=None):
        self.value = value
        self._D, self.base, self.index = D, base, index

    # -- the sets ---------------------------------------------------------------
    @property
    def D(self):
        if self.base is not None:
            return _rows(self.base.D, self.index)
        return self._D

    def _write(self, flat, rows):
        """Replace the sets of elements ``flat`` (flat numbers in self) by ``rows``."""
        if self.base is not None:
            return self.base._write(np.asarray(self.index).ravel()[flat], rows)
        size, n = self._D.shape
        keep = np.ones(size, bool)
        keep[flat] = False
        place = sps.csr_matrix((np.ones(len(flat), bool), (flat, np.arange(len(flat)))),
                               shape=(size, len(flat)))
        self._D = (sps.diags(keep.astype(np.int8), dtype=np.int8) @ self._D + place @ rows).astype(bool).tocsr()

    @property
    def n(self):
        return (self.base if self.base is not None else self)._D.shape[1]

    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.asarray(self.value).dtype)
    T = property(lambda self: np.transpose(self))
    real = property(lambda self: self)

    def __len__(self):
        return len(self.value)

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def __repr__(self):
        return f"Deps({self.value!r}, {self.D.nnz} dependencies)"

    # -- leaving the trace ------------------------------------------------------
    def _plain(self):
        if self.D.nnz:
            raise _Abandon("a traced value was converted to a plain number or array")
        return self.value

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._plain(), dtype=dtype)

    def __float__(self):
        return float(self._plain())

    def __int__(self):
        return int(self._plain())

    def __index__(self):
        return int(self._plain())

    def __bool__(self):
        return bool(self.value)        # the branch of these arguments

    def item(self, *a):
        return np.asarray(self._plain()).item(*a)

    def tolist(self):
        return np.asarray(self._plain()).tolist()

    # -- indexing -----------------------------------------------------------------
    def __getitem__(self, key):
        key = _unwrap(key)
        value = self.value[key]
        index = _numbers(self)[key]
        if isinstance(value, np.ndarray) and isinstance(self.value, np.ndarray) and \
                np.shares_memory(value, self.value):
            return self._view(value, index)
        return Deps(value, _rows(self.D, index))

    def __setitem__(self, key, v):
        key = _unwrap(key)
        flat = np.asarray(_numbers(self)[key]).ravel()
        vv = v.value if isinstance(v, Deps) else v
        self.value[key] = vv
        shape = np.shape(_numbers(self)[key])
        if isinstance(v, Deps):
            src = np.broadcast_to(_numbers(v), shape)
            self._write(flat, _rows(v.D, src))
        else:
            self._write(flat, _empty(len(flat), self.n))

    def _view(self, value, index):
        root = self.base if self.base is not None else self
        if self.base is not None:
            index = np.asarray(self.index).ravel()[index]
        return Deps(value, base=root, index=index)

    def copy(self, *a, **k):
        return Deps(np.array(self.value, copy=True), self.D)

    def astype(self, dtype, *a, **k):
        return Deps(np.asarray(self.value).astype(dtype), self.D)

    # -- NumPy --------------------------------------------------------------------
    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        from srcgrad.api.sparsity_rules import ufunc_rule
        return ufunc_rule(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        from srcgrad.api.sparsity_rules import function_rule
        return function_rule(func, args, kwargs)


def _method(name):
    fn = getattr(np, name)
    return lambda self, *a, **k: fn(self, *a, **k)


for _name in ("sum", "mean", "prod", "max", "min", "std", "var", "reshape", "transpose",
              "ravel", "flatten", "squeeze", "swapaxes", "clip", "cumsum", "cumprod", "dot",
              "diagonal", "repeat", "take", "any", "all", "argmax", "argmin", "nonzero",
              "conj", "round", "trace"):
    setattr(Deps, _name, _method(_name if _name != "flatten" else "ravel"))
Deps.reshape = lambda self, *s, **k: np.reshape(self, s[0] if len(s) == 1 else s, **k)
Deps.transpose = lambda self, *ax: np.transpose(self, (ax[0] if len(ax) == 1 else ax) or None)

_BINARY = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "true_divide",
           "floordiv": "floor_divide", "mod": "remainder", "pow": "power", "matmul": "matmul",
           "lt": "less", "le": "less_equal", "gt": "greater", "ge": "greater_equal",
           "eq": "equal", "ne": "not_equal", "and": "logical_and", "or": "logical_or"}
for _op, _uf in _BINARY.items():
    _f = getattr(np, _uf)
    setattr(Deps, f"__{_op}__", (lambda f: lambda a, b: f(a, b))(_f))
    if _op not in ("lt", "le", "gt", "ge", "eq", "ne"):
        setattr(Deps, f"__r{_op}__", (lambda f: lambda a, b: f(b, a))(_f))
Deps.__hash__ = None
Deps.__neg__ = lambda a: np.negative(a)
Deps.__pos__ = lambda a: a
Deps.__abs__ = lambda a: np.abs(a)


def _unwrap(key):
    """An index with traced parts replaced by their values (the index of
    these arguments)."""
    if isinstance(key, tuple):
        return tuple(_unwrap(k) for k in key)
    if isinstance(key, list):
        return [_unwrap(k) for k in key]
    return key.value if isinstance(key, Deps) else key


def _numbers(x):
    """The element numbers of ``x`` in its shape."""
    return np.arange(np.size(x.value if isinstance(x, Deps) else x)).reshape(np.shape(
        x.value if isinstance(x, Deps) else x))


def _bind(fun, wrt, args, kwargs):
    sig = inspect.signature(fun)
    bound = sig.bind(*args, **kwargs)
    names, single = pipeline.normalise_wrt(fun, pipeline.wrt_key(wrt), distinct=True)
    if not single:
        raise SrcgradError("sparsity detection takes one wrt argument, not a tuple")
    return bound, names[0]


def _trace(fun, wrt, args, kwargs, what):
    """Run ``fun`` with argument ``wrt`` traced; the output's sets (``m x n``)."""
    bound, name = _bind(fun, wrt, args, kwargs)
    x = bound.arguments[name]
    value = np.array(x, dtype=float)
    n = value.size
    _DENSE[0] = False
    bound.arguments[name] = Deps(value if value.ndim else value[()],
                                 sps.identity(n, dtype=bool, format="csr"))
    try:
        with np.errstate(all="ignore"):
            out = fun(*bound.args, **bound.kwargs)
        if isinstance(out, Deps):
            return out.D.tocsr()
        if isinstance(out, (tuple, list, dict)):
            raise _Abandon(f"the result is a {type(out).__name__}")
        return _empty(np.size(out), n)
    except Exception as e:          # noqa: BLE001  (dense is always a superset)
        _DENSE[0] = True
        warnings.warn(f"srcgrad.{what}: dependency tracing stopped ({type(e).__name__}: {e}); "
                      f"taking every output to depend on every input", RuntimeWarning,
                      stacklevel=3)
        m = np.size(fun(*args, **kwargs))
        return sps.csr_matrix(np.ones((m, n), dtype=bool))


def jacobian_sparsity(fun, wrt=0):
    """A function with ``fun``'s signature returning the sparsity pattern of
    ``jacobian(fun, wrt)`` at those arguments: a boolean
    ``scipy.sparse.csr_matrix`` of shape ``(result.size, argument.size)``
    (elements in C order), a superset of the true pattern (module docstring)."""
    return functools.wraps(fun)(lambda *a, **k: _trace(fun, wrt, a, k, "jacobian_sparsity"))


def hessian_sparsity(fun, wrt=0):
    """A function with ``fun``'s signature returning the sparsity pattern of
    ``hessian(fun, wrt)`` at those arguments: a symmetric boolean
    ``scipy.sparse.csr_matrix`` (``x.size x x.size``, diagonal included), a
    superset of the true pattern: the pairs collected by the trace (module
    docstring)."""
    def find(*args, **kwargs):
        _PAIRS.append(None)
        try:
            P = _trace(fun, wrt, args, kwargs, "hessian_sparsity")
            pairs = _PAIRS[-1]
        finally:
            _PAIRS.pop()
        n = P.shape[1]
        if P.shape[0] != 1:
            raise SrcgradError("hessian_sparsity: the function's result is not a scalar")
        if _DENSE[0]:
            pairs = _ALL                                    # the trace stopped
        if pairs is _ALL:
            if n * n > LIMIT:
                raise SrcgradError(f"hessian_sparsity: the Hessian pattern found is dense "
                                   f"(every pair of the {n} inputs); use srcgrad.hessian "
                                   f"without sparsity")
            pairs = sps.csr_matrix(np.ones((n, n), dtype=bool))
        eye = sps.identity(n, dtype=bool, format="csr")
        H = eye if pairs is None else pairs + pairs.T + eye
        return H.astype(bool).tocsr()
    return functools.wraps(fun)(find)


#: the second-order pairs of the innermost Hessian trace (``None``: none yet)
_PAIRS = []
#: every pair (a dense Hessian pattern)
_ALL = "all"
#: more pairs than this from one operation count as every pair
LIMIT = 1 << 24
#: whether the last trace stopped (and went dense)
_DENSE = [False]


def pairs(R1, R2=None):
    """Record that the result may depend nonlinearly on pairs of inputs:
    ``R1^T R1`` (every pair within each element's set ``R1``), or
    ``R1^T R2`` (a bilinear operation: pairs across)."""
    if not _PAIRS or R1 is None or not R1.nnz or R2 is not None and not R2.nnz \
            or _PAIRS[-1] is _ALL:
        return
    wide = max(np.diff(R1.indptr).max(), 0 if R2 is None else np.diff(R2.indptr).max())
    if wide ** 2 > LIMIT or R1.nnz * wide > LIMIT:
        _PAIRS[-1] = _ALL                # (too many pairs: every pair)
        return
    R1 = R1.astype(np.int8)
    add = R1.T @ (R1 if R2 is None else R2.astype(np.int8))
    add = (add != 0).tocsr()
    _PAIRS[-1] = add if _PAIRS[-1] is None else (_PAIRS[-1] + add).tocsr()
