"""Helpers called by generated forward-mode (tangent) code; pure NumPy.

Each ``*_tangent`` helper returns the tangent of a primitive's result (the
shape of the result) given the tangent ``t`` of one argument.  Reductions
whose result element depends only on its own slice of the input get their
tangent from the adjoint helper of :mod:`srcgrad.runtime`: with ``g = 1`` the
adjoint is the partial derivative of each result element with respect to
the elements of its slice, so ``sum(partial * t)`` over the reduced axes is
the tangent.
"""

import copy as _copy

import numpy as np

from srcgrad.runtime import (_average_weights, _axes, _keep, _mT, norm_dx, prod_dx, unreduce_extreme,
                      var_dx, zeros_like)

__all__ = ["broadcast_like", "zeros_like"]


def copy_tangent(t, ans=None):
    """A copy of the tangent ``t`` (of ``np.copy(a)`` / ``a.copy()`` with
    result ``ans``, or of a value written in place later): the tangent of a
    dict or list (an adjoint dict in an hvp) is a dict or list of tangents,
    copied as it is -- ``np.copy`` would make it an array (or a 0-d object
    array) -- unless the result is an array (``np.copy(a_list)``)."""
    if isinstance(t, (dict, list)) and not isinstance(ans, np.ndarray):
        return type(t)(t)         # Adjoints (generated gradient code) stays Adjoints
    if isinstance(t, tuple):
        return t
    return np.copy(t)


def broadcast_like(t, ans):
    """The tangent ``t`` of an elementwise result, broadcast to the shape of
    the result ``ans`` (when the active arguments were broadcast)."""
    if isinstance(t, (list, dict)):       # the tangent of a container: one per element
        return t
    if np.shape(t) == np.shape(ans):
        return t
    return np.broadcast_to(t, np.shape(ans)).copy()


def _reduced(partial, t, a, axis, keepdims):
    """``sum(partial * t)`` over the axes of ``a`` reduced by ``axis``."""
    full = partial * t
    if np.ndim(a) == 0:
        return full
    axes = _axes(axis, np.ndim(a))
    return np.sum(full, axis=axes, keepdims=bool(keepdims))


def _ones(ans):
    return np.ones(np.shape(ans))


def extreme_tangent(t, a, ans, axis=None, keepdims=False):
    """Tangent of ``np.max``/``np.min``: the tangent at the extreme element
    (the mean of the tangents of tied elements, matching the adjoint)."""
    share = unreduce_extreme(_ones(ans), a, ans, axis, keepdims)
    return _reduced(share, t, a, axis, keepdims)


def prod_tangent(t, a, ans, axis=None, keepdims=False):
    """Tangent of ``np.prod(a, axis)`` (exact with zeros in ``a``)."""
    return _reduced(prod_dx(_ones(ans), a, axis, keepdims), t, a, axis, keepdims)


def var_tangent(t, a, ans, axis=None, ddof=0, keepdims=False, correction=None):
    """Tangent of ``np.var(a, axis, ddof=ddof)``."""
    partial = var_dx(_ones(ans), a, axis, ddof, keepdims, correction)
    return _reduced(partial, t, a, axis, keepdims)


def norm_tangent(t, x, ans, ord=None, axis=None, keepdims=False):
    """Tangent of ``np.linalg.norm(x, ord, axis, keepdims)`` (the orders the
    adjoint supports)."""
    partial = norm_dx(_ones(ans), x, ans, ord, axis, keepdims)
    if axis is None and not (ord is None or np.ndim(x) == 1):
        axis = (0, 1)
    return _reduced(partial, t, x, axis, keepdims)


def average_tangent_w(t, a, ans, axis=None, weights=None, keepdims=False):
    """Tangent of ``np.average(a, axis, weights)`` with respect to the
    weights: ``sum((a - average) t) / sum(weights)``."""
    w = _average_weights(a, weights, axis)
    tw = _average_weights(a, t, axis)
    axes = _axes(axis, np.ndim(a))
    total = np.sum(w, axis=axes, keepdims=True)
    d = np.sum((a - _keep(ans, a, axis, keepdims)) * tw / total, axis=axes, keepdims=True)
    return d if keepdims else np.reshape(d, np.shape(ans))


def reshape_tangent(t, ans, order="C"):
    """Tangent of a reshape: ``t`` in the result's shape, in the same order
    (an ``order`` that is no string is a dimension of ``a.reshape(2, 3)``)."""
    return np.reshape(t, np.shape(ans), order=order if isinstance(order, str) else "C")


def astype_tangent(t, ans):
    """Tangent of ``a.astype(dtype)``/``np.asarray(a, dtype)``: ``t`` for a
    floating result, zeros for an integer or boolean one."""
    dtype = np.result_type(ans)
    if np.issubdtype(dtype, np.inexact):
        return np.array(t, dtype=dtype).reshape(np.shape(ans))
    return np.zeros(np.shape(ans))


from srcgrad.runtime import pad_tangent  # noqa: E402,F401  (the tangent of np.pad lives with pad_dx)


def einsum_tangent(subscripts, i, t, *operands):
    """Tangent of ``np.einsum(subscripts, *operands)`` in operand ``i``: the
    same contraction with that operand replaced by its tangent (trailing
    ``None`` operands are the rule's unused slots)."""
    operands = [op for op in operands if op is not None]
    operands[i] = t
    return np.einsum(subscripts, *operands)


def solve_tangent_a(t, a, b, ans):
    """Tangent of ``x = np.linalg.solve(a, b)`` with respect to ``a``:
    ``-solve(a, t x)`` (a 1-d ``b`` is one vector for every matrix)."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, (t @ np.asarray(ans)[..., None]))[..., 0]
    return -np.linalg.solve(a, t @ ans)


def det_tangent(t, a, ans):
    """Tangent of ``np.linalg.det(a)``: ``det(a) trace(solve(a, t))`` (the
    cofactors times ``t`` for a singular ``a``)."""
    if not np.any(np.asarray(ans) == 0):
        try:
            return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
        except np.linalg.LinAlgError:
            pass
    from srcgrad.runtime import cofactor
    return np.sum(cofactor(a) * t, axis=(-2, -1))


def cholesky_tangent(t, a, ans, upper=False):
    """Tangent of ``np.linalg.cholesky(a, upper=upper)``.  NumPy reads only
    one triangle of ``a``, so the tangent does too: with ``dA`` symmetric from
    that triangle of ``t``, ``dL = L Phi(L^-1 dA L^-T)``, ``Phi`` the lower
    triangle with the diagonal halved."""
    if upper:
        t, L = _mT(t), _mT(ans)
    else:
        L = ans
    dA = np.tril(t) + _mT(np.tril(t, -1))
    Linv = np.linalg.inv(L)
    X = Linv @ dA @ _mT(Linv)
    phi = np.tril(X, -1) + 0.5 * X * np.eye(X.shape[-1])
    dL = L @ phi
    return _mT(dL) if upper else dL


def pinv_tangent(t, a, ans):
    """Tangent of ``np.linalg.pinv(a)`` where the rank is locally constant
    (Golub and Pereyra)."""
    p = ans
    m, n = np.shape(a)[-2:]
    tt = _mT(t)
    return (-p @ t @ p
            + p @ _mT(p) @ tt @ (np.eye(m) - a @ p)
            + (np.eye(n) - p @ a) @ tt @ _mT(p) @ p)


# -- linear algebra with several results ------------------------------------------

class Several(tuple):
    """The tangents of a function's several results; adding two (the
    contributions of two arguments) adds them element by element."""

    def __add__(self, other):
        return Several(a + b for a, b in zip(self, other))

    __radd__ = __add__

    def __sub__(self, other):
        return Several(a - b for a, b in zip(self, other))

    def __neg__(self):
        return Several(-a for a in self)


def _read_sym(t, uplo="L"):
    """The symmetric matrix ``eigh`` sees when its input moves by ``t``."""
    low = np.tril(t) if uplo == "L" else np.swapaxes(np.triu(t), -1, -2)
    return low + np.swapaxes(np.tril(low, -1), -1, -2)


def slogdet_tangent(t, a):
    return Several((0.0, np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)))


def eigh_tangent(t, a, ans, uplo="L"):
    w, v = ans
    vt = np.swapaxes(v, -1, -2)
    m = vt @ _read_sym(t, uplo) @ v
    diff = w[..., None, :] - w[..., :, None]
    off = ~np.eye(w.shape[-1], dtype=bool)
    f = np.where(off, 1.0 / np.where(off, diff, 1.0), 0.0)
    return Several((np.diagonal(m, axis1=-2, axis2=-1).copy(), v @ (f * m)))


def eigvalsh_tangent(t, a, uplo="L"):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    m = np.swapaxes(v, -1, -2) @ _read_sym(t, uplo) @ v
    return np.diagonal(m, axis1=-2, axis2=-1).copy()


def svdvals_tangent(t, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.diagonal(np.swapaxes(u, -1, -2) @ t @ np.swapaxes(vh, -1, -2),
                       axis1=-2, axis2=-1).copy()


def svd_tangent(t, a, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv:
        from srcgrad.runtime import _unsupported, svd_unsupported
        raise _unsupported(*svd_unsupported())
    return svdvals_tangent(t, a)


def qr_tangent(t, a, ans):
    q, r = ans
    x = np.swapaxes(q, -1, -2) @ t @ np.linalg.inv(r)
    low = np.tril(x, -1)
    dr = (x - (low - np.swapaxes(low, -1, -2))) @ r
    dq = (t - q @ dr) @ np.linalg.inv(r)
    return Several((dq, dr))


def lstsq_tangent_a(t, a, b, ans):
    x = ans[0]
    dx = np.linalg.solve(a.T @ a, t.T @ (b - a @ x) - a.T @ (t @ x))
    return Several((dx, 0.0, 0, 0.0))


def lstsq_tangent_b(t, a, b, ans):
    return Several((np.linalg.solve(a.T @ a, a.T @ t), 0.0, 0, 0.0))


# -- the tape of generated gradients (forward mode over srcgrad's own code) ----------

def tape_push(tape, value):
    """``tape.append(value)``, as a function of the tape (what
    :mod:`srcgrad.generated` rewrites the push of a generated gradient into,
    so that the analyses see values flow through the tape)."""
    tape.append(value)
    return tape


def tape_pop(tape):
    """``tape.pop()``, as a function of the tape (see :func:`tape_push`)."""
    return tape.pop()


def tape_not_differentiable(*args):
    """What the tape rules' templates call: the forward transform handles the
    tape itself, and reverse mode over a generated gradient's tape (grad of
    a gradient with a loop) is not supported."""
    from srcgrad.errors import UnsupportedError
    raise UnsupportedError(
        "srcgrad: reverse mode through the tape of a generated gradient (grad of a gradient "
        "whose function has a loop) is not supported; use forward over reverse: "
        "srcgrad.hvp / srcgrad.hessian, or srcgrad.jvp of the gradient")


# -- adjoints of the runtime helpers (second-order reverse mode) --------------------

def rebroadcast(g, a):
    """The adjoint of ``a`` in ``unbroadcast(a, x)`` from the adjoint ``g``
    of the result (the shape of ``x``): ``g`` broadcast back to ``a``'s shape."""
    if np.shape(g) == np.shape(a):
        return float(g) if type(a) is float else g
    if type(a) is float:
        return float(g)
    return np.broadcast_to(g, np.shape(a)).copy()


def written_adjoint_t(g, a, index):
    """The transpose of :func:`srcgrad.runtime.written_adjoint` (``a``'s
    elements at ``index``, zero where a later duplicate index overwrote):
    ``g`` put back at ``index`` into zeros of ``a``'s shape."""
    from srcgrad.runtime import written_adjoint
    keep = written_adjoint(np.ones(np.shape(a)), index)
    out = np.zeros(np.shape(a), dtype=np.result_type(g, float))
    out[index] = g * keep       # a dropped duplicate writes 0 before the kept one
    return out


# -- batched forward mode (srcgrad.jacobian, srcgrad.hessian) -------------------------
# A batched tangent carries one more, *last*, axis than its primal: the K
# directions pushed through one pass (tangent shape = primal shape + (K,)).
# Elementwise tangents broadcast once every primal operand is given a trailing
# axis of 1 (``bx``); the helpers below are the batched versions of the other
# rules, and ``per_direction`` is the fallback for every rule without one: it
# applies the rule's ordinary tangent to each direction and stacks the results.

def n_directions(t):
    """The number of directions ``K`` of a batched tangent argument (the
    last axis of its first array, for a container)."""
    if isinstance(t, np.ndarray):
        return t.shape[-1]
    from srcgrad.runtime import _is_record
    parts = list(t.values()) if isinstance(t, dict) else list(t) if isinstance(t, (list, tuple)) \
        else list(vars(t).values()) if _is_record(t) else []
    from srcgrad.errors import SrcgradError
    for part in parts:
        if isinstance(part, (np.ndarray, list, tuple, dict)) or _is_record(part):
            try:
                return n_directions(part)
            except SrcgradError:
                pass
    raise SrcgradError("srcgrad: a batched tangent needs an array with a last axis of "
                       "directions")


def bx(x):
    """A primal operand of an elementwise tangent template, given a trailing
    axis of size 1 so that it broadcasts against batched tangents (a Python
    or NumPy scalar broadcasts as it is)."""
    if isinstance(x, np.ndarray):
        return x[..., None]
    if isinstance(x, (list, tuple)):
        return np.asarray(x)[..., None]
    return x


def bindex(index):
    """An index of a primal array, made to select the same elements of its
    batched tangent: only ``...`` needs help (the direction axis is kept last
    by an explicit trailing ``:``)."""
    if index is Ellipsis:
        return (Ellipsis, slice(None))
    if isinstance(index, tuple) and any(i is Ellipsis for i in index):
        return index + (slice(None),)
    return index


def bzeros(x, K):
    """The zero batched tangent of ``x``: zeros of shape ``x.shape + (K,)``
    (a list of them for a tuple or list, an empty dict of tangents for a
    dict or record)."""
    from srcgrad.runtime import AdjointDict, Adjoints, _is_record
    if isinstance(x, (tuple, list)):
        return Adjoints(bzeros(e, K) for e in x)
    if isinstance(x, dict) or _is_record(x):
        return AdjointDict()
    x = np.asarray(x)
    dtype = x.dtype if np.issubdtype(x.dtype, np.inexact) else float
    return np.zeros(x.shape + (K,), dtype=dtype)


def _is_number(t):
    return isinstance(t, (int, float)) and not isinstance(t, bool) or \
        isinstance(t, np.ndarray) and t.ndim == 0


def b_broadcast_like(t, ans, K):
    """:func:`broadcast_like` for a batched tangent."""
    shape = np.shape(ans) + (K,)
    if np.shape(t) == shape:
        return t
    return np.broadcast_to(t, shape).copy()


def b_out(t, value, K):
    """The batched tangent of the result ``value``: exactly of shape
    ``value.shape + (K,)`` (a zero without the direction axis is expanded)."""
    if isinstance(value, (int, float, complex, np.ndarray, np.generic)) and \
            np.shape(t) != np.shape(value) + (K,):
        return np.broadcast_to(t, np.shape(value) + (K,)).copy()
    return t


def b_attr(t, name, value, K):
    """The batched tangent of ``x.name`` (``value``) from the tangent of ``x``."""
    from srcgrad.runtime import attr_tangent
    out = attr_tangent(t, name)
    return bzeros(value, K) if _is_number(out) else out


def _direction(t, k):
    """Direction ``k`` of a batched tangent (of any structure)."""
    from srcgrad.runtime import _is_record
    if isinstance(t, np.ndarray):
        return t[..., k] if t.ndim else t
    if isinstance(t, (list, tuple)):
        parts = [_direction(e, k) for e in t]
        return type(t)._make(parts) if hasattr(type(t), "_make") else type(t)(parts)
    if isinstance(t, dict):
        return type(t)((key, _direction(v, k)) for key, v in t.items())
    if _is_record(t):
        import copy
        out = copy.copy(t)
        for key, v in vars(t).items():
            object.__setattr__(out, key, _direction(v, k))
        return out
    return t                           # a number: a zero without the direction axis


def _stack(cols):
    """The batched tangent made of one unbatched tangent per direction."""
    from srcgrad.runtime import _is_record
    first = cols[0]
    if isinstance(first, (list, tuple)):
        parts = [_stack([c[i] for c in cols]) for i in range(len(first))]
        return type(first)._make(parts) if hasattr(type(first), "_make") else type(first)(parts)
    if isinstance(first, dict):
        keys = set().union(*(c.keys() for c in cols))
        return type(first)((key, _stack([c[key] if key in c else 0.0 for c in cols]))
                           for key in keys)
    if _is_record(first):
        import copy
        out = copy.copy(first)
        for key in vars(first):
            object.__setattr__(out, key, _stack([getattr(c, key) for c in cols]))
        return out
    arrays = [np.asarray(c) for c in cols]
    if len({a.shape for a in arrays}) > 1:
        arrays = np.broadcast_arrays(*arrays)
    return np.stack(arrays, axis=-1)


def per_direction(tangent, t, K):
    """The generic batched tangent: ``tangent`` (a rule's ordinary tangent, as
    a function of one direction's tangent) applied to each of the ``K``
    directions of ``t``, the results stacked on a last axis."""
    return _stack([tangent(_direction(t, k)) for k in range(K)])


# batched tangents of the common non-elementwise rules

def _primal_axes(axis, nd):
    """``axis`` of a primal of ``nd`` dimensions as non-negative axes (all
    of them for None), which address the same axes of the batched tangent."""
    if axis is None:
        return tuple(range(nd))
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % nd for a in axes) if nd else ()


def _bshift(axis):
    """A primal axis for a batched array of one more dimension."""
    return axis if axis is None or axis >= 0 else axis - 1


def b_sum(t, axis=None, keepdims=False):
    if _is_number(t):
        return t
    t = np.asarray(t)
    return np.sum(t, axis=_primal_axes(axis, t.ndim - 1), keepdims=bool(keepdims))


def b_mean(t, axis=None, keepdims=False):
    if _is_number(t):
        return t
    t = np.asarray(t)
    return np.mean(t, axis=_primal_axes(axis, t.ndim - 1), keepdims=bool(keepdims))


def _b_reduced(partial, t, a, axis, keepdims):
    """Batched :func:`_reduced`: ``sum(partial * t)`` over the reduced axes."""
    full = bx(partial) * t
    if np.ndim(a) == 0:
        return full
    return np.sum(full, axis=_primal_axes(axis, np.ndim(a)), keepdims=bool(keepdims))


def b_extreme(t, a, ans, axis=None, keepdims=False):
    share = unreduce_extreme(_ones(ans), a, ans, axis, keepdims)
    return _b_reduced(share, t, a, axis, keepdims)


def b_prod(t, a, ans, axis=None, keepdims=False):
    return _b_reduced(prod_dx(_ones(ans), a, axis, keepdims), t, a, axis, keepdims)


def b_var(t, a, ans, axis=None, ddof=0, keepdims=False, correction=None):
    return _b_reduced(var_dx(_ones(ans), a, axis, ddof, keepdims, correction), t, a, axis,
                      keepdims)


def _pad_batch(tk, extra):
    """``tk`` (directions first) with ``extra`` axes of 1 after the first, so
    that the direction axis does not broadcast against another operand's
    batch axes."""
    return tk.reshape(tk.shape[:1] + (1,) * extra + tk.shape[1:]) if extra > 0 else tk


def b_matmul_x(t, y):
    """Batched tangent of ``x @ y`` along ``x`` (``t``: ``x.shape + (K,)``)."""
    t = np.asarray(t)
    xd, yd = t.ndim - 1, np.ndim(y)
    if xd == 1:
        if yd == 1:
            return y @ t
        return np.swapaxes(t.T @ y, -1, -2)
    if yd == 1:
        return np.swapaxes(t, -1, -2) @ y
    return np.moveaxis(_pad_batch(np.moveaxis(t, -1, 0), yd - xd) @ y, 0, -1)


def b_matmul_y(x, t):
    """Batched tangent of ``x @ y`` along ``y`` (``t``: ``y.shape + (K,)``)."""
    t = np.asarray(t)
    xd, yd = np.ndim(x), t.ndim - 1
    if yd == 1:
        return x @ t
    if xd == 1:
        return np.moveaxis(x @ np.moveaxis(t, -1, 0), 0, -1)
    return np.moveaxis(x @ _pad_batch(np.moveaxis(t, -1, 0), xd - yd), 0, -1)


def b_dot_a(t, b, K):
    """Batched tangent of ``np.dot(a, b)`` along ``a``."""
    nd = np.ndim(t) - 1
    if nd == 0:
        return t * bx(b)
    if np.ndim(b) == 0:
        return t * b
    if nd <= 2 and np.ndim(b) <= 2:
        return b_matmul_x(t, b)
    return per_direction(lambda tk: np.dot(tk, b), t, K)


def b_dot_b(a, t, K):
    """Batched tangent of ``np.dot(a, b)`` along ``b``."""
    nd = np.ndim(t) - 1
    if np.ndim(a) == 0:
        return a * t
    if nd == 0:
        return bx(a) * t
    if nd <= 2 and np.ndim(a) <= 2:
        return b_matmul_y(a, t)
    return per_direction(lambda tk: np.dot(a, tk), t, K)


def b_reshape(t, ans, order="C"):
    """Batched tangent of a reshape (C order; any other order direction by
    direction)."""
    t = np.asarray(t)
    if order == "C" or not isinstance(order, str):
        return np.reshape(t, np.shape(ans) + t.shape[-1:])
    return per_direction(lambda tk: reshape_tangent(tk, ans, order), t, t.shape[-1])


def b_ravel(t, ans, order="C"):
    t = np.asarray(t)
    if order == "C":
        return np.reshape(t, (-1,) + t.shape[-1:])
    return per_direction(lambda tk: np.ravel(tk, order=order), t, t.shape[-1])


def b_transpose(t, axes=None):
    """Batched tangent of ``np.transpose(a, axes)``: the direction axis stays last."""
    t = np.asarray(t)
    nd = t.ndim - 1
    perm = tuple(range(nd - 1, -1, -1)) if axes is None else tuple(int(a) % nd for a in axes)
    return np.transpose(t, perm + (nd,))


def b_transpose_dx(t, axes=None):
    """Batched tangent of :func:`srcgrad.runtime.transpose_dx` (the inverse
    permutation)."""
    nd = np.ndim(t) - 1
    if axes is None:
        return b_transpose(t)
    return b_transpose(t, tuple(np.argsort([int(i) % nd for i in axes])))


def b_swapaxes(t, axis1, axis2):
    return np.swapaxes(t, _bshift(axis1), _bshift(axis2))


def b_concatenate(t, axis, K):
    """Batched tangent of ``np.concatenate(arrays, axis)`` (``t``: the
    batched tangents of the arrays)."""
    if axis is None:
        return np.concatenate([np.reshape(b_broadcast_like(e, e, K) if _is_number(e) else e,
                                          (-1, K)) for e in t], axis=0)
    return np.concatenate(list(t), axis=_bshift(axis))


def b_stack(t, axis=0):
    return np.stack(list(t), axis=_bshift(axis))


def b_take(t, indices, axis=None):
    t = np.asarray(t)
    if axis is None:
        return np.take(np.reshape(t, (-1,) + t.shape[-1:]), indices, axis=0)
    return np.take(t, indices, axis=int(axis) % (t.ndim - 1))


def b_cumsum(t, axis=None):
    t = np.asarray(t)
    if axis is None:
        return np.cumsum(np.reshape(t, (-1,) + t.shape[-1:]), axis=0)
    return np.cumsum(t, axis=int(axis) % (t.ndim - 1))


def _norm_axes(axis, nd):
    axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
    return tuple(int(a) % nd for a in axes)


def b_expand_dims(t, ans, axis):
    return np.expand_dims(t, _norm_axes(axis, np.ndim(ans)))


def b_squeeze(t, a, axis=None):
    if axis is None:
        axes = tuple(i for i, n in enumerate(np.shape(a)) if n == 1)
    else:
        axes = _norm_axes(axis, np.ndim(a))
    return np.squeeze(t, axis=axes)


def b_moveaxis(t, source, destination):
    nd = np.ndim(t) - 1
    src, dst = _norm_axes(source, nd), _norm_axes(destination, nd)
    return np.moveaxis(t, src, dst)


def b_solve_b(a, t):
    """Batched tangent of ``np.linalg.solve(a, b)`` along ``b``."""
    t = np.asarray(t)
    if np.ndim(a) == 2:
        return np.linalg.solve(a, t.reshape(t.shape[0], -1)).reshape(t.shape)
    return per_direction(lambda tk: np.linalg.solve(a, tk), t, t.shape[-1])


def b_inv(t, ans):
    """Batched tangent of ``np.linalg.inv(a)``: ``-(ans @ t @ ans)``."""
    return -np.moveaxis(ans @ np.moveaxis(t, -1, 0) @ ans, 0, -1)


def b_dot_dx_a(t, x, y, K):
    """Batched tangent of ``dot_dx(a, x, y)`` along ``a``."""
    from srcgrad.runtime import dot_dx
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_dx_a(t, x, y, K)
    return per_direction(lambda tk: dot_dx(tk, x, y), t, K)


def b_dot_dy_a(t, x, y, K):
    """Batched tangent of ``dot_dy(a, x, y)`` along ``a``."""
    from srcgrad.runtime import dot_dy
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_dy_a(t, x, y, K)
    return per_direction(lambda tk: dot_dy(tk, x, y), t, K)


# batched tangents of srcgrad's runtime helpers (forward over reverse: hessian)

def b_unbroadcast(t, like, K):
    """Batched tangent of ``unbroadcast(a, like)`` and ``fit(a, like)``:
    ``t`` summed (or broadcast) to ``like.shape + (K,)``."""
    xs = np.shape(like)
    if _is_number(t):
        return np.full(xs + (K,), t, dtype=float)
    t = np.asarray(t)
    gs = t.shape[:-1]
    if gs == xs:
        return t
    lead = len(gs) - len(xs)
    if lead > 0:
        t = np.sum(t, axis=tuple(range(lead)))
    axes = tuple(i for i, (n, m) in enumerate(zip(xs, t.shape[:-1])) if n == 1 and m != 1)
    if axes:
        t = np.sum(t, axis=axes, keepdims=True)
    if t.shape[:-1] != xs:
        t = np.broadcast_to(t, xs + t.shape[-1:]).copy()
    return t


def b_unreduce(t, like, axis=None, keepdims=False):
    """Batched tangent of ``unreduce(a, like, axis, keepdims)``."""
    shape = np.shape(like)
    t = np.asarray(t)
    if axis is not None and not keepdims:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        t = np.expand_dims(t, tuple(int(a) % len(shape) for a in axes))
    return np.broadcast_to(t, shape + t.shape[-1:]).copy()


def b_unreduce_mean(t, like, axis=None, keepdims=False):
    shape = np.shape(like)
    if axis is None:
        count = int(np.prod(shape))
    else:
        axes = (axis,) if np.ndim(axis) == 0 else tuple(axis)
        count = int(np.prod([shape[a] for a in axes]))
    return b_unreduce(t, like, axis, keepdims) / count


def b_unreduce_extreme(t, like, result, axis=None, keepdims=False):
    share = unreduce_extreme(np.ones(np.shape(result)), like, result, axis, keepdims)
    return b_unreduce(t, like, axis, keepdims) * bx(share)


def b_matmul_dx_a(t, x, y, K):
    """Batched tangent of ``matmul_dx(a, x, y)`` along the adjoint ``a``."""
    from srcgrad.runtime import matmul_dx
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return np.moveaxis(np.moveaxis(t, -1, 0) @ y.T, 0, -1)
    return per_direction(lambda tk: matmul_dx(tk, x, y), t, K)


def b_matmul_dy_a(t, x, y, K):
    """Batched tangent of ``matmul_dy(a, x, y)`` along the adjoint ``a``."""
    from srcgrad.runtime import matmul_dy
    if np.ndim(x) == 2 and np.ndim(y) == 2:
        return b_matmul_y(x.T, t)
    return per_direction(lambda tk: matmul_dy(tk, x, y), t, K)


def b_matmul_dx_y(a, x, t, K):
    """Batched tangent of ``matmul_dx(a, x, y)`` along the factor ``y``."""
    from srcgrad.runtime import matmul_dx
    if np.ndim(x) == 2 and np.ndim(a) == 2 and np.ndim(t) == 3:
        return np.moveaxis(a @ np.swapaxes(np.moveaxis(t, -1, 0), -1, -2), 0, -1)
    return per_direction(lambda tk: matmul_dx(a, x, tk), t, K)


def b_matmul_dy_x(a, t, y, K):
    """Batched tangent of ``matmul_dy(a, x, y)`` along the factor ``x``."""
    from srcgrad.runtime import matmul_dy
    if np.ndim(y) == 2 and np.ndim(a) == 2 and np.ndim(t) == 3:
        return np.moveaxis(np.swapaxes(np.moveaxis(t, -1, 0), -1, -2) @ a, 0, -1)
    return per_direction(lambda tk: matmul_dy(a, tk, y), t, K)


def b_reshape_dx(t, like, order="C", K=None):
    t = np.asarray(t)
    if order == "C" or not isinstance(order, str):
        return np.reshape(t, np.shape(like) + t.shape[-1:])
    from srcgrad.runtime import reshape_dx
    return per_direction(lambda tk: reshape_dx(tk, like, order), t, t.shape[-1])


def b_item(t, value):
    """The batched tangent ``t[index]`` of ``value = x[index]``: a copy when
    ``value`` is not an array (one element: a copy in the primal, while the
    tangent's index, which leaves the directions axis, makes a view), so
    that a later write into ``x`` reaches the tangent only where it
    reaches the primal."""
    return t.copy() if type(value) is not np.ndarray and type(t) is np.ndarray else t


