"""How each NumPy operation propagates dependency sets (see
:mod:`srcgrad.api.sparsity`): the ``__array_ufunc__`` and
``__array_function__`` of :class:`~srcgrad.api.sparsity.Deps`.

Every rule computes the operation's value on the plain values, then the sets
of its output elements; an operation without a rule here takes the dense
rule (every output element depends on everything its arguments depend on).

>>> import numpy as np, scipy.sparse as sps
>>> from srcgrad.api.deps import Deps
>>> x = Deps(np.ones(3), sps.identity(3, dtype=bool, format="csr"))
>>> np.sum(x * 2.0).D.toarray().astype(int)
array([[1, 1, 1]])
"""

import numpy as np
import scipy.sparse as sps

from srcgrad.api.deps import RULES, Deps, _Abandon, _empty, _numbers, _rows, _unwrap, pairs

#: ufuncs linear in their traced arguments (or piecewise linear): no second-order pairs
LINEAR = {np.add, np.subtract, np.negative, np.positive, np.conjugate, np.maximum, np.minimum,
          np.fmax, np.fmin, np.absolute, np.fabs, np.copysign, np.remainder, np.fmod,
          np.deg2rad, np.rad2deg, np.radians, np.degrees}
#: ufuncs whose derivative is zero wherever it exists
CONSTANT = {np.less, np.less_equal, np.greater, np.greater_equal, np.equal, np.not_equal,
            np.logical_and, np.logical_or, np.logical_xor, np.logical_not, np.sign, np.floor,
            np.ceil, np.trunc, np.rint, np.isnan, np.isinf, np.isfinite, np.signbit,
            np.floor_divide, np.bitwise_and, np.bitwise_or, np.bitwise_xor, np.invert}


def _n(args):
    for a in args:
        if isinstance(a, Deps):
            return a.n
    return 0


def _value(a):
    if isinstance(a, Deps):
        return a.value
    if isinstance(a, (list, tuple)):
        return type(a)(_value(b) for b in a)
    return a


def _traced(a):
    """The ``Deps`` in ``a`` (nested lists and tuples)."""
    if isinstance(a, Deps):
        return [a]
    if isinstance(a, (list, tuple)):
        return [d for b in a for d in _traced(b)]
    if isinstance(a, dict):
        return [d for b in a.values() for d in _traced(b)]
    return []


def _union(shape, parts, n):
    """The sets of an array of ``shape`` whose elements depend on those of
    each ``Deps`` in ``parts`` broadcast to it."""
    size = int(np.prod(shape, dtype=np.int64))
    D = _empty(size, n)
    for p in parts:
        idx = np.broadcast_to(_numbers(p), shape)
        D = D + _rows(p.D, idx)
    return D.astype(bool).tocsr()


def dense(value, args, n):
    """Every element of ``value`` (or of each array in a tuple ``value``)
    depends on every input element ``args`` depend on."""
    row = _empty(1, n)
    for d in _traced(args):
        row = row + sps.csr_matrix(d.D.sum(axis=0) > 0)
    row = row.astype(bool).tocsr()
    pairs(row)

    def one(v):
        if not isinstance(v, (np.ndarray, np.generic, float, int)):
            return v
        return Deps(v, row[np.zeros(np.size(v), dtype=np.int64)])
    if isinstance(value, (tuple, list)):
        return type(value)(one(v) for v in value)
    return one(value)


def _reduce(x, axis, keepdims, value):
    """Sets of a reduction of ``x`` over ``axis`` (the union of each group)."""
    shape = np.shape(x.value)
    nd = len(shape)
    axes = tuple(range(nd)) if axis is None else tuple(
        a % nd for a in (axis if isinstance(axis, tuple) else (axis,)))
    kept = tuple(1 if i in axes else s for i, s in enumerate(shape))
    out = np.broadcast_to(np.arange(int(np.prod(kept))).reshape(kept), shape).ravel()
    size = int(np.prod(kept))
    C = sps.csr_matrix((np.ones(out.size, bool), (out, np.arange(out.size))),
                       shape=(size, out.size))
    return Deps(value, (C @ x.D).astype(bool).tocsr())


def _along(x, axis, value):
    """Sets of a scan or sort along ``axis``: the union along it."""
    if axis is None:
        r = _reduce(x, None, True, None)
        return Deps(value, r.D[np.zeros(np.size(value), dtype=np.int64)])
    r = _reduce(x, axis, True, None)
    idx = np.broadcast_to(np.arange(r.D.shape[0]).reshape(
        tuple(1 if i == axis % x.ndim else s for i, s in enumerate(x.shape))), np.shape(value))
    return Deps(value, r.D[idx.ravel()])


def ufunc_rule(ufunc, method, inputs, kwargs):
    n = _n(list(inputs) + list(kwargs.get("out", ()) or ()))
    out = kwargs.pop("out", None)
    plain = [_value(a) for a in inputs]
    if method == "__call__" and ufunc is np.matmul:
        return _result(_matmul(inputs[0], inputs[1], n), out)
    if method == "__call__":
        value = ufunc(*plain, **kwargs)
        if ufunc in CONSTANT:
            D = _empty(np.size(value[0] if isinstance(value, tuple) else value), n)
        else:
            shape = np.shape(value[0] if isinstance(value, tuple) else value)
            traced = [a for a in inputs if isinstance(a, Deps)]
            D = _union(shape, traced, n)
            _second(ufunc, inputs, shape, D, n)
        if isinstance(value, tuple):
            return tuple(Deps(v, D) for v in value)
        return _result(Deps(value, D), out)
    if method == "reduce" and isinstance(inputs[0], Deps):
        axis = kwargs.get("axis", 0)
        value = ufunc.reduce(*plain, **kwargs)
        if ufunc in CONSTANT:
            return value
        r = _reduce(inputs[0], axis, kwargs.get("keepdims", False), value)
        if ufunc not in LINEAR:
            pairs(r.D)
        return _result(r, out)
    if method == "accumulate" and isinstance(inputs[0], Deps):
        value = ufunc.accumulate(*plain, **kwargs)
        r = _along(inputs[0], kwargs.get("axis", 0), value)
        if ufunc not in LINEAR:
            pairs(r.D)
        return _result(r, out)
    if method == "at":
        a, idx = inputs[0], _unwrap(inputs[1])
        if not isinstance(a, Deps):
            raise _Abandon("ufunc.at on a plain array with a traced operand")
        ufunc.at(a.value, idx, *plain[2:])
        if ufunc not in CONSTANT:
            target = np.asarray(_numbers(a)[idx]).ravel()
            parts = [a[idx]] + [b for b in inputs[2:] if isinstance(b, Deps)]
            rows = _union(np.shape(_numbers(a)[idx]), parts, n)
            if ufunc not in LINEAR:
                pairs(rows)
            # duplicates: the union of all the writes to one element
            order = np.argsort(target, kind="stable")
            uniq, first = np.unique(target[order], return_index=True)
            C = sps.csr_matrix((np.ones(len(target), bool),
                                (np.searchsorted(uniq, target), np.arange(len(target)))),
                               shape=(len(uniq), len(target)))
            a._write(uniq, (C @ rows).astype(bool).tocsr())
        return None
    value = getattr(ufunc, method)(*plain, **kwargs)
    return _result(dense(value, inputs, n), out)


def _second(ufunc, inputs, shape, D, n):
    """The second-order pairs of an elementwise ufunc (module docstring of
    :mod:`srcgrad.api.sparsity`)."""
    traced = [a for a in inputs if isinstance(a, Deps)]
    if not traced or ufunc in LINEAR:
        return
    if ufunc is np.multiply:
        if len(traced) == 2:
            pairs(_union(shape, [inputs[0]], n), _union(shape, [inputs[1]], n))
        return
    if ufunc in (np.true_divide, np.divide) and not isinstance(inputs[1], Deps):
        return
    pairs(D)


def _result(r, out):
    """Write ``r`` into ``out`` (a tuple of one array) if given."""
    if out is None:
        return r
    target = out[0]
    if not isinstance(target, Deps):
        if isinstance(r, Deps) and r.D.nnz:
            raise _Abandon("a traced value written into a plain NumPy array")
        target[...] = _value(r)
        return target
    target[...] = r
    return target


def _matmul(a, b, n):
    va, vb = _value(a), _value(b)
    value = np.matmul(va, vb)
    if np.ndim(va) > 2 or np.ndim(vb) > 2 or np.ndim(va) == 0 or np.ndim(vb) == 0:
        return dense(value, [a, b], n)
    A2 = a if np.ndim(va) == 2 else (a[None, :] if isinstance(a, Deps) else va[None, :])
    B2 = b if np.ndim(vb) == 2 else (b[:, None] if isinstance(b, Deps) else vb[:, None])
    m, k = np.shape(_value(A2))
    p = np.shape(_value(B2))[1]
    D = _empty(m * p, n)
    if isinstance(A2, Deps):
        if isinstance(B2, Deps):
            D = D + _union((m, p), [_reduce(A2, 1, True, np.zeros((m, 1)))], n)
        else:   # out[i, j] <- A[i, k] where B[k, j] != 0
            D = D + (sps.kron(sps.identity(m, format="csr"),
                              sps.csr_matrix(np.asarray(vb if vb.ndim == 2 else vb[:, None]).T != 0))
                     @ A2.D).astype(bool)
    if isinstance(A2, Deps) and isinstance(B2, Deps):
        # out = sum_k A[:, k] B[k, :]: the pairs (column k of A) x (row k of B)
        pairs(_reduce(A2, 0, True, None).D, _reduce(B2, 1, True, None).D)
    if isinstance(B2, Deps):
        if isinstance(A2, Deps):
            D = D + _union((m, p), [_reduce(B2, 0, True, np.zeros((1, p)))], n)
        else:   # out[i, j] <- B[k, j] where A[i, k] != 0
            D = D + (sps.kron(sps.csr_matrix(np.asarray(va if va.ndim == 2 else va[None, :]) != 0),
                              sps.identity(p, format="csr")) @ B2.D).astype(bool)
    return Deps(value, D.astype(bool).tocsr())


# -- __array_function__ -----------------------------------------------------------

#: functions that only move elements (or put constants): applied to element numbers
MOVING = {np.reshape, np.transpose, np.ravel, np.squeeze, np.expand_dims, np.moveaxis,
          np.swapaxes, np.flip, np.fliplr, np.flipud, np.roll, np.broadcast_to, np.take,
          np.repeat, np.tile, np.diagonal, np.diag, np.rot90, np.atleast_1d, np.atleast_2d,
          np.atleast_3d, np.copy, np.triu, np.tril, np.pad, np.concatenate, np.stack,
          np.hstack, np.vstack, np.dstack, np.column_stack, np.append, np.split,
          np.array_split, np.take_along_axis, np.asarray, np.array, np.asanyarray,
          np.ascontiguousarray, np.real, np.conjugate, np.block, np.delete, np.insert,
          np.broadcast_arrays, np.diagflat}
REDUCE = {np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.nansum, np.nanmean,
          np.nanprod, np.nanmax, np.nanmin, np.std, np.var, np.nanstd, np.nanvar, np.ptp,
          np.average, np.median, np.nanmedian, np.linalg.norm, np.trace}
NONLINEAR_REDUCE = {np.prod, np.nanprod, np.std, np.var, np.nanstd, np.nanvar, np.linalg.norm}
ALONG = {np.cumsum, np.cumprod, np.sort, np.nancumsum, np.nancumprod, np.partition}
CONSTANT_FUNCTIONS = {np.argmax, np.argmin, np.argsort, np.nonzero, np.shape, np.ndim,
                      np.size, np.any, np.all, np.isclose, np.allclose, np.array_equal,
                      np.searchsorted, np.count_nonzero, np.flatnonzero, np.argwhere,
                      np.result_type, np.iscomplexobj, np.isrealobj, np.round, np.around,
                      np.floor, np.ceil, np.sign, np.isnan, np.isfinite}
LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}


def _numbered(a, offset, marks):
    """``a`` with each ``Deps`` replaced by its element numbers (+ offset + 1;
    0 for a constant), recorded in ``marks``."""
    if isinstance(a, Deps):
        base = offset[0]
        offset[0] += a.size
        marks.append(a)
        return _numbers(a) + base + 1
    if isinstance(a, list):
        return [_numbered(b, offset, marks) for b in a]
    if isinstance(a, tuple):
        return tuple(_numbered(b, offset, marks) for b in a)
    return np.zeros(np.shape(a), dtype=np.int64)        # a constant: no set


def _moving(func, args, kwargs, n):
    value = func(*[_value(a) for a in args], **{k: _value(v) for k, v in kwargs.items()})
    first = args[0]
    marks, offset = [], [0]
    data = _numbered(first, offset, marks)
    rest = list(args[1:])
    if func in (np.append, np.insert):        # the values are data too
        k = 1 if func is np.append else 2
        if len(rest) >= k:
            rest[k - 1] = _numbered(rest[k - 1], offset, marks)
    if func is np.pad and "constant_values" in kwargs:
        kwargs = dict(kwargs, constant_values=0)
    if any(isinstance(v, Deps) for v in rest + list(kwargs.values())):
        return dense(value, list(args) + list(kwargs.values()), n)
    numbers = func(np.asarray(data, dtype=np.int64) if isinstance(first, Deps) else data,
                   *rest, **kwargs)
    D = sps.vstack([_empty(1, n)] + [m.D for m in marks]).tocsr() if marks else _empty(1, n)

    def one(v, num):
        num = np.asarray(num, dtype=np.int64)
        made = Deps(v, _rows(D, num))
        if len(marks) == 1 and isinstance(v, np.ndarray) and \
                isinstance(marks[0].value, np.ndarray) and np.shares_memory(v, marks[0].value) \
                and (num > 0).all():
            return marks[0]._view(v, num - 1)
        return made
    if isinstance(value, (list, tuple)):
        return type(value)(one(v, num) for v, num in zip(value, numbers))
    return one(value, numbers)


def function_rule(func, args, kwargs):
    n = _n(_traced(list(args) + list(kwargs.values())))
    plain = [_value(a) for a in args]
    pkw = {k: _value(v) for k, v in kwargs.items()}
    if func in LIKE:
        return func(*plain, **pkw)
    if func in CONSTANT_FUNCTIONS:
        return func(*plain, **pkw)
    if func in MOVING and not isinstance(args[0], (int, float)):
        return _moving(func, args, kwargs, n)
    value = func(*plain, **pkw)
    x = args[0] if args else None
    others = list(args[1:]) + list(kwargs.values())
    if func in REDUCE and isinstance(x, Deps) and not _traced(others) and \
            (func is not np.average or pkw.get("weights") is None):
        axis = pkw.get("axis", plain[1] if len(plain) > 1 and func is not np.linalg.norm
                       else None)
        if func is np.linalg.norm:
            axis = pkw.get("axis")
        if func is np.trace:
            return dense(value, args, n)
        r = _reduce(x, axis, pkw.get("keepdims", False), value)
        if func in NONLINEAR_REDUCE:
            pairs(r.D)
        return r
    if func in ALONG and isinstance(x, Deps) and not _traced(others):
        axis = pkw.get("axis", plain[1] if len(plain) > 1 else (-1 if func in (np.sort, np.partition) else None))
        if func is np.partition:
            axis = pkw.get("axis", -1)
        r = _along(x, axis, value)
        if func in (np.cumprod, np.nancumprod):
            pairs(r.D)
        return r
    if func is np.where and len(args) == 3:
        return Deps(value, _union(np.shape(value), _traced(args[1:]), n))
    if func in (np.clip, np.maximum, np.minimum, np.abs):
        return Deps(value, _union(np.shape(value), _traced(args), n))
    if func in (np.dot, np.inner, np.vdot) and len(args) == 2 and \
            np.ndim(plain[0]) <= 2 and np.ndim(plain[1]) <= 2 and func is np.dot:
        if np.ndim(plain[0]) and np.ndim(plain[1]):
            return _matmul(args[0], args[1], n)
        return ufunc_rule(np.multiply, "__call__", args, {})
    if func is np.diff and len(args) <= 2 and (isinstance(x, Deps) or _traced(others)):
        axis = pkw.get("axis", -1)
        order = pkw.get("n", plain[1] if len(plain) > 1 else 1)
        y = x if isinstance(x, Deps) else Deps(np.asarray(plain[0], float), _empty(
            np.size(plain[0]), n))
        axis = axis % y.ndim
        ends = []
        for where in ("prepend", "append"):
            e = kwargs.get(where)
            if e is None:
                ends.append(None)
                continue
            shape = list(y.shape)
            shape[axis] = 1 if np.ndim(_value(e)) == 0 else np.shape(_value(e))[axis]
            ends.append(np.broadcast_to(e, tuple(shape)) if isinstance(e, Deps)
                        else np.broadcast_to(np.asarray(e, float), tuple(shape)))
        if ends != [None, None]:
            y = np.concatenate([e for e in (ends[0], y, ends[1]) if e is not None], axis=axis)
        if True:
            for _ in range(order):
                hi = [slice(None)] * y.ndim
                lo = [slice(None)] * y.ndim
                hi[axis], lo[axis] = slice(1, None), slice(None, -1)
                y = y[tuple(hi)] - y[tuple(lo)]
            return Deps(value, y.D)
    if func is np.cross and isinstance(x, Deps) | isinstance(args[1], Deps) and \
            set(kwargs) <= {"axis"} and np.ndim(value) >= 1:
        ax = pkw.get("axis", -1)
        parts = [_reduce(a, ax, True, None) if isinstance(a, Deps) else None for a in args[:2]]
        shapes = [tuple(1 if i == ax % np.ndim(v) else s for i, s in enumerate(np.shape(v)))
                  for v in plain[:2]]
        parts = [Deps(np.zeros(s), p.D) for p, s in zip(parts, shapes) if p is not None]
        r = Deps(value, _union(np.shape(value), parts, n))
        if len(parts) == 2:
            pairs(r.D)
        return r
    if func is np.einsum or func is np.outer or func is np.kron:
        return dense(value, args, n)
    return dense(value, list(args) + list(kwargs.values()), n)


RULES.update(ufunc=ufunc_rule, function=function_rule)
