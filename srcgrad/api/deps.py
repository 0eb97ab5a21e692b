"""The dependency-tracking array of :mod:`srcgrad.api.sparsity`: a value
whose elements carry the sets of input elements they depend on (rows of a
boolean ``scipy.sparse`` matrix), and the record of second-order pairs.  How
each NumPy operation propagates the sets is in
:mod:`srcgrad.api.sparsity_rules`, which fills :data:`RULES`.

>>> import numpy as np, scipy.sparse as sps
>>> x = Deps(np.ones(3), sps.identity(3, dtype=bool, format="csr"))
>>> x[1:].D.toarray().astype(int)
array([[0, 1, 0],
       [0, 0, 1]])
"""

import numpy as np
import scipy.sparse as sps

#: ``"ufunc"`` and ``"function"``: the ``__array_ufunc__`` and
#: ``__array_function__`` of :class:`Deps` (set by sparsity_rules)
RULES = {}


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
        return RULES["ufunc"](ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types_, args, kwargs):
        return RULES["function"](func, args, kwargs)


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
for _op, _uf in _BINARY.items():
    if _op in ("add", "sub", "mul", "truediv", "floordiv", "mod", "pow", "matmul", "and", "or"):
        # in place, as NumPy does it: a view's base (and any alias) sees the write
        def _inplace(a, b, f=getattr(np, _uf)):
            r = f(a, b)
            if not isinstance(a.value, np.ndarray):
                return r                     # a scalar: immutable, rebound
            a[...] = r
            return a
        setattr(Deps, f"__i{_op}__", _inplace)
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
