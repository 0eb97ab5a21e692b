"""Helpers called by generated forward-mode (tangent) code; pure NumPy.

Each ``*_tangent`` helper returns the tangent of a primitive's result (the
shape of the result) given the tangent ``t`` of one argument.  Reductions
whose result element depends only on its own slice of the input get their
tangent from the adjoint helper of :mod:`srcgrad.runtime`: with ``g = 1`` the
adjoint is the partial derivative of each result element with respect to
the elements of its slice, so ``sum(partial * t)`` over the reduced axes is
the tangent.
"""

import numpy as np

from .runtime import (_average_weights, _axes, _keep, _mT, norm_dx, prod_dx, unreduce_extreme,
                      var_dx, zeros_like)

__all__ = ["broadcast_like", "zeros_like"]


def broadcast_like(t, ans):
    """The tangent ``t`` of an elementwise result, broadcast to the shape of
    the result ``ans`` (when the active arguments were broadcast)."""
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


_LINEAR_PAD_MODES = ("constant", "edge", "reflect", "symmetric", "wrap", "mean", "empty")


def pad_tangent(t, pad_width, mode="constant"):
    """Tangent of ``np.pad``: the padding of ``t`` (constant padding with
    zeros; the other linear modes pad ``t`` the same way)."""
    if mode == "constant":
        return np.pad(t, pad_width)
    if mode not in _LINEAR_PAD_MODES:
        raise NotImplementedError(f"srcgrad: no tangent of np.pad with mode={mode!r}")
    return np.pad(t, pad_width, mode)


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
    """Tangent of ``np.linalg.det(a)``: ``det(a) trace(solve(a, t))``."""
    return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)


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
        raise NotImplementedError("srcgrad differentiates np.linalg.svd for the singular "
                                  "values only: call it with compute_uv=False")
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
    raise NotImplementedError(
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
    from .runtime import written_adjoint
    keep = written_adjoint(np.ones(np.shape(a)), index)
    out = np.zeros(np.shape(a), dtype=np.result_type(g, float))
    out[index] = g * keep       # a dropped duplicate writes 0 before the kept one
    return out
