"""Adjoints and tangents of np.linalg: solve, det, inv, cholesky, eigh, svd, qr, lstsq ...

For a function with several results (``eigh``, ``svd``, ``qr``, ``lstsq``, ``slogdet``)
``g`` is a list with one adjoint per result (zeros where unused), and the
tangent is a ``Several``.  ``det`` stays exact at singular matrices
(``cofactor``).

>>> det_da(1.0, 2 * np.eye(2), 4.0)
array([[2., 0.],
       [0., 2.]])
"""

import numpy as np

from srcgrad.runtime.base import mT, unsupported
from srcgrad.runtime.batched import per_direction
from srcgrad.runtime.broadcast import unbroadcast
from srcgrad.runtime.containers import Several


def _solve_adjoint(g, a, b):
    """``solve(a^T, g)``: the adjoint of ``b`` before any batch reduction."""
    if np.ndim(b) == 1:          # NumPy 2: a 1-d b is one vector for every matrix
        return np.linalg.solve(mT(a), np.asarray(g)[..., None])[..., 0]
    return np.linalg.solve(mT(a), g)


def solve_db(g, a, b):
    """Adjoint of ``b`` in ``x = np.linalg.solve(a, b)``: ``solve(a^T, g)``."""
    return unbroadcast(_solve_adjoint(g, a, b), b)


def solve_da(g, a, b, ans):
    """Adjoint of ``a`` in ``x = np.linalg.solve(a, b)``: ``-solve(a^T, g) x^T``."""
    gb = _solve_adjoint(g, a, b)
    if np.ndim(b) == 1:
        return unbroadcast(-gb[..., :, None] * ans[..., None, :], a)
    return unbroadcast(-gb @ mT(ans), a)


def solve_tangent_a(t, a, b, ans):
    """Tangent of ``x = np.linalg.solve(a, b)`` with respect to ``a``:
    ``-solve(a, t x)`` (a 1-d ``b`` is one vector for every matrix)."""
    if np.ndim(b) == 1:
        return -np.linalg.solve(a, (t @ np.asarray(ans)[..., None]))[..., 0]
    return -np.linalg.solve(a, t @ ans)


def b_solve_b(a, t):
    """Batched tangent of ``np.linalg.solve(a, b)`` along ``b``."""
    t = np.asarray(t)
    if np.ndim(a) == 2:
        return np.linalg.solve(a, t.reshape(t.shape[0], -1)).reshape(t.shape)
    return per_direction(lambda tk: np.linalg.solve(a, tk), t, t.shape[-1])


def det_da(g, a, ans):
    """Adjoint of ``a`` in ``np.linalg.det(a)``: ``g det(a) inv(a)^T`` (the
    cofactor matrix, exact also for a singular ``a``)."""
    if np.all(np.asarray(ans) != 0):      # (LAPACK's LU: det != 0 means inv exists)
        return np.asarray(g * ans)[..., None, None] * mT(np.linalg.inv(a))
    return np.asarray(g)[..., None, None] * cofactor(a)


def det_inv_da(g, ans, inverse):
    """Adjoint of ``a`` in ``ans = np.linalg.det(a)`` where the code has
    computed ``inverse = np.linalg.inv(a)`` too: ``g det(a) inv(a)^T``, with
    no inverse of its own (``inv`` raised for a singular ``a``)."""
    return np.asarray(g * ans)[..., None, None] * mT(inverse)


def det_tangent(t, a, ans):
    """Tangent of ``np.linalg.det(a)``: ``det(a) trace(solve(a, t))`` (the
    cofactors times ``t`` for a singular ``a``)."""
    if np.all(np.asarray(ans) != 0):      # (LAPACK's LU: det != 0 means solve works)
        return ans * np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)
    return np.sum(cofactor(a) * t, axis=(-2, -1))


def cofactor(a):
    """The cofactor matrix of ``a`` (..., n, n): the derivative of ``det(a)``,
    ``det(a) inv(a)^T`` where ``a`` is invertible, and exact (through the SVD
    ``a = U S Vh``: ``det(U) det(Vh) U diag(prod of the other s) Vh``) where it
    is singular."""
    a = np.asarray(a, dtype=np.result_type(a, float))
    u, s, vh = np.linalg.svd(a)
    ones = np.ones(s.shape[:-1] + (1,))
    left = np.cumprod(np.concatenate([ones, s[..., :-1]], axis=-1), axis=-1)
    right = np.cumprod(np.concatenate([ones, s[..., :0:-1]], axis=-1), axis=-1)[..., ::-1]
    sign = np.linalg.det(u) * np.linalg.det(vh)
    return sign[..., None, None] * (u * (left * right)[..., None, :]) @ vh


def cofactor_singular(x):
    """What the rules of ``cofactor`` call: the generated code uses the
    cofactors only at a singular matrix, where srcgrad has no second
    derivative of ``det``."""
    raise unsupported("the second derivative of np.linalg.det at a singular matrix is not "
                      "implemented")


def slogdet_da(g, a):
    """Adjoint of ``a`` in ``sign, logabsdet = np.linalg.slogdet(a)`` (the sign
    carries no derivative)."""
    sign, logabsdet = np.linalg.slogdet(a)
    if np.any(sign == 0):
        raise unsupported("the derivative of np.linalg.slogdet at a singular matrix is "
                          "infinite (log 0)")
    inverse = np.linalg.inv(a)
    return np.asarray(g[1])[..., None, None] * np.swapaxes(inverse, -1, -2)


def slogdet_tangent(t, a):
    return Several((0.0, np.trace(np.linalg.solve(a, t), axis1=-2, axis2=-1)))


def inv_da(g, ans):
    """Adjoint of ``a`` in ``ans = np.linalg.inv(a)``: ``-ans^T g ans^T``."""
    return -(mT(ans) @ g @ mT(ans))


def b_inv(t, ans):
    """Batched tangent of ``np.linalg.inv(a)``: ``-(ans @ t @ ans)``."""
    return -np.moveaxis(ans @ np.moveaxis(t, -1, 0) @ ans, 0, -1)


def pinv_da(g, a, ans):
    """Adjoint of ``a`` in ``np.linalg.pinv(a)`` (valid where the rank is
    locally constant, e.g. full rank): Golub and Pereyra's formula."""
    p, pt = ans, mT(ans)
    gt = mT(g)
    m, n = np.shape(a)[-2:]
    return (-pt @ g @ pt
            + (np.eye(m) - a @ p) @ gt @ p @ pt
            + pt @ p @ gt @ (np.eye(n) - p @ a))


def pinv_tangent(t, a, ans):
    """Tangent of ``np.linalg.pinv(a)`` where the rank is locally constant
    (Golub and Pereyra)."""
    p = ans
    m, n = np.shape(a)[-2:]
    tt = mT(t)
    return (-p @ t @ p
            + p @ mT(p) @ tt @ (np.eye(m) - a @ p)
            + (np.eye(n) - p @ a) @ tt @ mT(p) @ p)


def cholesky_da(g, a, ans, upper=False):
    """Adjoint of ``a`` in ``np.linalg.cholesky(a, upper=upper)``.

    NumPy reads only the lower triangle of ``a`` (the upper one for
    ``upper=True``), so the adjoint is the derivative with respect to those
    entries (zero in the other triangle): with ``L`` the factor and
    ``S = sym(L^-T Phi(L^T gL) L^-1)``, the off-diagonal entries are ``2 S``
    and the diagonal ``S``."""
    L = mT(ans) if upper else ans
    P = mT(L) @ (mT(g) if upper else g)
    P = np.tril(P) - 0.5 * np.eye(P.shape[-1]) * P
    Linv = np.linalg.inv(L)
    S = mT(Linv) @ P @ Linv
    S = 0.5 * (S + mT(S))
    out = np.tril(2.0 * S) - np.eye(S.shape[-1]) * S
    return mT(out) if upper else out


def cholesky_tangent(t, a, ans, upper=False):
    """Tangent of ``np.linalg.cholesky(a, upper=upper)``.  NumPy reads only
    one triangle of ``a``, so the tangent does too: with ``dA`` symmetric from
    that triangle of ``t``, ``dL = L Phi(L^-1 dA L^-T)``, ``Phi`` the lower
    triangle with the diagonal halved."""
    if upper:
        t, L = mT(t), mT(ans)
    else:
        L = ans
    dA = np.tril(t) + mT(np.tril(t, -1))
    Linv = np.linalg.inv(L)
    X = Linv @ dA @ mT(Linv)
    phi = np.tril(X, -1) + 0.5 * X * np.eye(X.shape[-1])
    dL = L @ phi
    return mT(dL) if upper else dL


def _lower_read(sym, uplo="L"):
    """A gradient with respect to a symmetric matrix, as a gradient with respect
    to the triangle that ``eigh`` reads (``uplo``): off-diagonal entries of that
    triangle count twice, the other triangle not at all."""
    sym = (sym + np.swapaxes(sym, -1, -2)) / 2
    out = np.tril(2 * sym, -1) + sym * np.eye(sym.shape[-1])
    return out if uplo == "L" else np.swapaxes(out, -1, -2)


def _read_sym(t, uplo="L"):
    """The symmetric matrix ``eigh`` sees when its input moves by ``t``."""
    low = np.tril(t) if uplo == "L" else np.swapaxes(np.triu(t), -1, -2)
    return low + np.swapaxes(np.tril(low, -1), -1, -2)


def eigh_da(g, a, ans, uplo="L"):
    """Adjoint of ``a`` in ``w, v = np.linalg.eigh(a)`` (distinct eigenvalues)."""
    w, v = ans
    gw, gv = g
    vt = np.swapaxes(v, -1, -2)
    diff = w[..., None, :] - w[..., :, None]
    off = ~np.eye(w.shape[-1], dtype=bool)
    repeated = off & (diff == 0)
    f = np.where(off & ~repeated, 1.0 / np.where(off & ~repeated, diff, 1.0), 0.0)
    m = vt @ np.asarray(gv) if np.ndim(gv) else 0.0
    # (an eigenvector of a repeated eigenvalue is not even continuous in ``a``)
    if np.ndim(gv) and np.any((np.asarray(gv) != 0) & np.any(repeated, axis=-2)[..., None, :]):
        raise unsupported("the eigenvectors of np.linalg.eigh have no derivative where "
                          "eigenvalues are repeated",
                          hint="use only the eigenvalues there (np.linalg.eigvalsh)")
    inner = f * m
    core = inner + np.asarray(gw)[..., None] * np.eye(w.shape[-1]) if np.ndim(gw) else inner
    return _lower_read(v @ core @ vt, uplo)


def eigh_tangent(t, a, ans, uplo="L"):
    w, v = ans
    vt = np.swapaxes(v, -1, -2)
    m = vt @ _read_sym(t, uplo) @ v
    diff = w[..., None, :] - w[..., :, None]
    off = ~np.eye(w.shape[-1], dtype=bool)
    f = np.where(off, 1.0 / np.where(off, diff, 1.0), 0.0)
    return Several((np.diagonal(m, axis1=-2, axis2=-1).copy(), v @ (f * m)))


def _eig_gaps(w):
    """``f[k, l] = 1 / (w_l - w_k)`` off the diagonal, 0 on it; refused where
    eigenvalues repeat (their eigenvectors are not differentiable there)."""
    n = w.shape[-1]
    off = ~np.eye(n, dtype=bool)
    diff = w[..., None, :] - w[..., :, None]
    if np.any(off & (diff == 0)):
        raise unsupported("np.linalg.eig has no derivative where eigenvalues are repeated",
                          "perturb the matrix, or use np.linalg.eigh for a symmetric one")
    return np.where(off, 1.0 / np.where(off, diff, 1.0), 0.0)


def _eig_gauge(v):
    """Where each eigenvector has its largest component (a mask), which
    LAPACK makes real (with the vector's norm 1, this fixes each vector's
    phase), and that component."""
    p = np.argmax(np.abs(v), axis=-2)
    at_top = np.arange(np.shape(v)[-2])[:, None] == p[..., None, :]
    top = np.sum(v * at_top, axis=-2)
    if np.any(np.abs(np.imag(top)) > 1e-12 * np.abs(top)):
        raise unsupported("the eigenvectors np.linalg.eig returned are not normalised as "
                          "srcgrad expects (norm 1, largest component real)",
                          "use only the eigenvalues, or np.linalg.eigh for a symmetric matrix")
    return at_top, np.real(top)


def eig_da(g, a, ans):
    """Adjoint of ``a`` in ``w, v = np.linalg.eig(a)`` (distinct eigenvalues;
    docs/complex.md): ``inv(v).T @ (diag(gw) + f * (v.T @ gv')) @ v.T``, where
    ``gv'`` is ``gv`` less what keeps each eigenvector of norm 1 and its
    largest component real (LAPACK's normalisation)."""
    w, v = ans
    gw, gv = g
    core = 0.0
    if np.ndim(gv):
        gv = np.asarray(gv)
        at_top, top = _eig_gauge(v)
        s = np.sum(gv * v, axis=-2)
        gvp = gv - np.conj(v) * np.real(s)[..., None, :]
        fix = at_top * (-1j * np.imag(s) / top)[..., None, :]
        core = _eig_gaps(w) * (mT(v) @ (gvp + fix))
    if np.ndim(gw):
        core = core + np.asarray(gw)[..., None] * np.eye(w.shape[-1])
    return mT(np.linalg.inv(v)) @ core @ mT(v)


def eig_tangent(t, a, ans):
    """Tangent of ``np.linalg.eig(a)`` (a ``Several`` of the eigenvalues' and
    the eigenvectors' tangents) along ``t``."""
    w, v = ans
    m = np.linalg.inv(v) @ t @ v
    dw = np.diagonal(m, axis1=-2, axis2=-1).copy()
    dv = v @ (_eig_gaps(w) * m)
    at_top, top = _eig_gauge(v)
    re = -np.real(np.sum(np.conj(v) * dv, axis=-2))
    im = -np.imag(np.sum(dv * at_top, axis=-2)) / top
    return Several((dw, dv + v * (re + 1j * im)[..., None, :]))


def eigvals_da(g, a, ans):
    """Adjoint of ``a`` in ``w = np.linalg.eigvals(a)``."""
    w, v = np.linalg.eig(a)
    return mT(np.linalg.inv(v)) @ (np.asarray(g)[..., None] * mT(v))


def eigvals_tangent(t, a, ans):
    """Tangent of ``np.linalg.eigvals(a)`` along ``t``."""
    w, v = np.linalg.eig(a)
    return np.diagonal(np.linalg.inv(v) @ t @ v, axis1=-2, axis2=-1).copy()


def eigvalsh_da(g, a, uplo="L"):
    """Adjoint of ``a`` in ``w = np.linalg.eigvalsh(a)`` (distinct eigenvalues)."""
    w, v = np.linalg.eigh(a, UPLO=uplo)
    return _lower_read((v * g[..., None, :]) @ np.swapaxes(v, -1, -2), uplo)


def eigvalsh_tangent(t, a, uplo="L"):
    w, v = np.linalg.eigh(a, UPLO=uplo)
    m = np.swapaxes(v, -1, -2) @ _read_sym(t, uplo) @ v
    return np.diagonal(m, axis1=-2, axis2=-1).copy()


def svdvals_da(g, a):
    """Adjoint of ``a`` in its singular values: ``U diag(g) V^T``."""
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return (u * g[..., None, :]) @ vh


def svdvals_tangent(t, a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.diagonal(np.swapaxes(u, -1, -2) @ t @ np.swapaxes(vh, -1, -2),
                       axis1=-2, axis2=-1).copy()


def _svd_square_only(a, full_matrices):
    """Refuse ``full_matrices=True`` for a matrix that is not square: the
    extra columns of U (or rows of Vh) are any basis of a complement."""
    if full_matrices and np.shape(a)[-2] != np.shape(a)[-1]:
        raise unsupported("np.linalg.svd(a, full_matrices=True) of a matrix that is not square "
                          "has no derivative of its vectors (their extra columns are not unique)",
                          hint="use full_matrices=False")


def _svd_gaps(s):
    """``(f, stuck)``: ``f[i, j] = 1 / (s_j^2 - s_i^2)`` off the diagonal (0
    where two singular values are equal), and whether the vectors of each
    singular value have no derivative (it is repeated, or zero)."""
    s2 = s * s
    diff = s2[..., None, :] - s2[..., :, None]
    off = ~np.eye(np.shape(s)[-1], dtype=bool)
    equal = off & (diff == 0)
    f = np.where(off & ~equal, 1.0 / np.where(off & ~equal, diff, 1.0), 0.0)
    return f, np.any(equal, axis=-2) | (s == 0)


def _svd_no_vectors(hermitian):
    return unsupported("the singular vectors of np.linalg.svd have no derivative where "
                       "singular values are repeated or zero" +
                       (" (or, with hermitian=True, where an eigenvalue is zero)"
                        if hermitian else ""),
                       hint="use only the singular values there (compute_uv=False)")


def svd_uv_da(g, a, ans, full_matrices=True, hermitian=False):
    """Adjoint of ``a`` in ``u, s, vh = np.linalg.svd(a)`` (Townsend,
    "Differentiating the singular value decomposition"): with
    ``F_ij = 1 / (s_j^2 - s_i^2)``, ``J = F * (U^T gU)``, ``K = F * (V^T gV)``,
    ``U [(J + J^T) S + diag(gs) + S (K + K^T)] V^T``, plus
    ``(I - U U^T) gU S^-1 V^T`` for a tall and ``U S^-1 gV^T (I - V V^T)`` for
    a wide matrix.  The vectors of a repeated or zero singular value have no
    derivative: refused where their adjoint is not zero."""
    u, s, vh = ans
    _svd_square_only(a, full_matrices)
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    gu = np.zeros_like(u) if np.ndim(g[0]) == 0 else np.asarray(g[0])
    gs = np.zeros_like(s) if np.ndim(g[1]) == 0 else np.asarray(g[1])
    gv = mT(np.zeros_like(vh) if np.ndim(g[2]) == 0 else np.asarray(g[2]))
    v = mT(vh)
    f, stuck = _svd_gaps(s)
    used = np.any(gu != 0, axis=-2) | np.any(gv != 0, axis=-2)
    if np.any(used & stuck) or (hermitian and np.any(s == 0)):
        raise _svd_no_vectors(hermitian)
    inv_s = np.where(s != 0, 1.0 / np.where(s != 0, s, 1.0), 0.0)
    j = f * (mT(u) @ gu)
    k = f * (mT(v) @ gv)
    core = (j + mT(j)) * s[..., None, :] + gs[..., None] * np.eye(np.shape(s)[-1]) \
        + s[..., :, None] * (k + mT(k))
    out = u @ core @ vh
    if m > n:
        out = out + ((gu - u @ (mT(u) @ gu)) * inv_s[..., None, :]) @ vh
    if m < n:
        out = out + (u * inv_s[..., None, :]) @ (mT(gv) - (mT(gv) @ v) @ vh)
    return _lower_read(out) if hermitian else out


def svd_uv_tangent(t, a, ans, full_matrices=True, hermitian=False):
    """Tangent of ``u, s, vh = np.linalg.svd(a)``: with ``dP = U^T t V``,
    ``ds = diag(dP)``, ``dU = U (F * (dP S + S dP^T)) + (I - U U^T) t V S^-1``,
    ``dV = V (F * (S dP + dP^T S)) + (I - V V^T) t^T U S^-1``.  The vectors
    of a repeated or zero singular value have no derivative: their tangents
    are NaN (the refusal of reverse mode, where the tangent does not know
    whether they are used)."""
    u, s, vh = ans
    _svd_square_only(a, full_matrices)
    m, n = np.shape(a)[-2], np.shape(a)[-1]
    if hermitian:
        t = _read_sym(t)
    v = mT(vh)
    f, stuck = _svd_gaps(s)
    if hermitian:
        stuck = stuck | np.any(s == 0, axis=-1, keepdims=True)
    inv_s = np.where(s != 0, 1.0 / np.where(s != 0, s, 1.0), 0.0)
    dp = mT(u) @ t @ v
    x = dp * s[..., None, :]
    y = s[..., :, None] * dp
    du = u @ (f * (x + mT(x)))
    dv = v @ (f * (y + mT(y)))
    if m > n:
        du = du + (t @ v - u @ (mT(u) @ t @ v)) * inv_s[..., None, :]
    if m < n:
        dv = dv + (mT(t) @ u - v @ (mT(v) @ mT(t) @ u)) * inv_s[..., None, :]
    du = np.where(stuck[..., None, :], np.nan, du)
    dv = np.where(stuck[..., None, :], np.nan, dv)
    return Several((du, np.diagonal(dp, axis1=-2, axis2=-1).copy(), mT(dv)))


def svd_da(g, a, ans, full_matrices=True, compute_uv=True, hermitian=False):
    """Adjoint of ``a`` in ``np.linalg.svd`` (``hermitian=True``: NumPy reads
    the lower triangle only, through ``eigh``)."""
    if compute_uv:
        return svd_uv_da(g, a, ans, full_matrices, hermitian)
    if hermitian:
        return _lower_read(svdvals_da(g, _read_sym(a)))
    return svdvals_da(g, a)


def svd_tangent(t, a, ans, full_matrices=True, compute_uv=True, hermitian=False):
    if compute_uv:
        return svd_uv_tangent(t, a, ans, full_matrices, hermitian)
    if hermitian:
        return svdvals_tangent(_read_sym(t), _read_sym(a))
    return svdvals_tangent(t, a)


def qr_da(g, a, ans):
    """Adjoint of ``a`` in ``q, r = np.linalg.qr(a)`` (reduced, a with at least
    as many rows as columns and full rank)."""
    q, r = ans
    gq, gr = (np.zeros_like(q) if np.ndim(g[0]) == 0 else g[0],
              np.zeros_like(r) if np.ndim(g[1]) == 0 else g[1])
    m = r @ np.swapaxes(gr, -1, -2) - np.swapaxes(gq, -1, -2) @ q
    copyltu = np.tril(m, -1) + np.swapaxes(np.tril(m, -1), -1, -2) + m * np.eye(m.shape[-1])
    b = gq + q @ copyltu
    diag = np.abs(np.diagonal(r, axis1=-2, axis2=-1))
    if np.any(diag <= np.finfo(float).eps * r.shape[-1] * np.max(np.abs(r), initial=0.0)):
        raise unsupported("np.linalg.qr is differentiated for matrices of full column rank "
                          "only (R has a zero on its diagonal)")
    return np.swapaxes(np.linalg.solve(r, np.swapaxes(b, -1, -2)), -1, -2)


def qr_tangent(t, a, ans):
    q, r = ans
    x = np.swapaxes(q, -1, -2) @ t @ np.linalg.inv(r)
    low = np.tril(x, -1)
    dr = (x - (low - np.swapaxes(low, -1, -2))) @ r
    dq = (t - q @ dr) @ np.linalg.inv(r)
    return Several((dq, dr))


def _lstsq_full(a, ans):
    """Whether ``np.linalg.lstsq`` found ``a`` of full rank (its ``rank``,
    ``ans[2]``, is the smaller dimension)."""
    return ans[2] == min(np.shape(a))


def _lstsq_deficient(a, ans):
    m, n = np.shape(a)
    return unsupported((
        f"np.linalg.lstsq has no derivative with respect to the matrix at a rank-deficient "
        f"matrix (rank {ans[2]} of {min(m, n)}): the minimum-norm solution jumps when a "
        f"perturbation raises the rank",
        "regularise (np.linalg.solve(a.T @ a + lam * np.eye(n), a.T @ b)), drop the dependent "
        "columns, or differentiate with respect to b only: that derivative is exact at any "
        "rank"))


def _truncated_pinv(a, rank):
    """The pseudo-inverse of ``a`` keeping its ``rank`` largest singular
    values (what ``np.linalg.lstsq`` applies to ``b``)."""
    u, s, vt = np.linalg.svd(a, full_matrices=False)
    return (mT(vt[:rank]) / s[:rank]) @ mT(u[:, :rank])


def _outer_b(g, b):
    """The adjoint of ``P`` in ``x = P @ b`` from the adjoint ``g`` of ``x``."""
    return np.outer(g, b) if np.ndim(b) == 1 else g @ mT(b)


def lstsq_da(g, a, b, ans):
    """Adjoint of ``a`` in ``x, *rest = np.linalg.lstsq(a, b)`` (only the
    solution ``x`` carries a derivative): full column rank (tall), or full
    row rank (wide: ``x = pinv(a) @ b``, the minimum-norm solution); a
    rank-deficient ``a`` is refused (the solution is not continuous there)."""
    if not _lstsq_full(a, ans):
        raise _lstsq_deficient(a, ans)
    x = ans[0]
    m, n = np.shape(a)
    if m < n:
        p = np.linalg.pinv(a)
        return pinv_da(_outer_b(g[0], b), a, p)
    z = np.linalg.solve(a.T @ a, g[0])
    r = b - a @ x
    return np.outer(r, z) - np.outer(a @ z, x) if r.ndim == 1 \
        else r @ z.T - (a @ z) @ x.T


def lstsq_db(g, a, b, ans):
    """Adjoint of ``b`` in ``np.linalg.lstsq(a, b)``: ``x = P @ b`` with ``P``
    the pseudo-inverse lstsq applies, at any rank."""
    m, n = np.shape(a)
    if not _lstsq_full(a, ans):
        return mT(_truncated_pinv(a, ans[2])) @ g[0]
    if m < n:
        return mT(np.linalg.pinv(a)) @ g[0]
    return a @ np.linalg.solve(a.T @ a, g[0])


def lstsq_tangent_a(t, a, b, ans):
    if not _lstsq_full(a, ans):
        raise _lstsq_deficient(a, ans)
    x = ans[0]
    m, n = np.shape(a)
    if m < n:
        dx = pinv_tangent(t, a, np.linalg.pinv(a)) @ b
    else:
        dx = np.linalg.solve(a.T @ a, t.T @ (b - a @ x) - a.T @ (t @ x))
    return Several((dx, 0.0, 0, 0.0))


def lstsq_tangent_b(t, a, b, ans):
    m, n = np.shape(a)
    if not _lstsq_full(a, ans):
        dx = _truncated_pinv(a, ans[2]) @ t
    elif m < n:
        dx = np.linalg.pinv(a) @ t
    else:
        dx = np.linalg.solve(a.T @ a, a.T @ t)
    return Several((dx, 0.0, 0, 0.0))
