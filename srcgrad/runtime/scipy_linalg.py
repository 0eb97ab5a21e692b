"""Adjoints and tangents of scipy.linalg: solve, solve_triangular, cholesky,
cho_factor / cho_solve, lu_factor / lu_solve, expm's and sqrtm's helpers.

Imported only from :mod:`srcgrad.rules.scipy.linalg` (this module imports
SciPy).  Every helper that a generated gradient calls has rules itself
(``srcgrad/rules/scipy/linalg.py``), so that ``hvp`` and ``hessian`` work
through it; the helpers without rules (``*_tangent``, ``*_dc``) appear only
in forward-mode code and in the rules of the others.

The symmetric solvers (``assume_a='pos'``, ``cho_factor``) read one triangle
of their matrix: ``tri_sym`` is the symmetric matrix they see, ``sym_read``
its adjoint (off-diagonal entries of the read triangle count twice, the
other triangle not at all).  A Cholesky factor ``c`` as SciPy returns it
(``L`` if ``lower``, else ``U = L^T``; ``cho_factor`` leaves ``a``'s entries
in the other triangle) is handled through its lower factor ``L``.

>>> tri_sym(np.array([[1.0, 2.0], [3.0, 4.0]]), lower=True)
array([[1., 3.],
       [3., 4.]])
>>> sym_read(np.array([[1.0, 2.0], [3.0, 4.0]]), lower=True)
array([[1., 0.],
       [5., 4.]])
"""

import numpy as np
import scipy.linalg as sl

from srcgrad.runtime.base import mT, unsupported
from srcgrad.runtime.containers import Adjoints, Several, element
from srcgrad.runtime.linalg import qr_da, qr_tangent

GENERAL = (None, "gen", "general")
SYMMETRIC = ("sym", "symmetric", "her", "hermitian", "pos", "positive definite")


def _matrix(a, what):
    if np.ndim(a) != 2:
        raise unsupported(f"{what} is differentiated for one matrix (2-D) only",
                          hint="loop over the matrices of a batch")


def _outer(u, x):
    """``u x^T`` for the solution ``x`` of a solve (a vector or a matrix)."""
    u, x = np.asarray(u), np.asarray(x)
    return u[..., None] * x if x.ndim == 1 else u @ mT(x)


# -- the triangle a symmetric solver reads: linear maps, each the other's adjoint ------

def tri_sym(a, lower=False):
    """The symmetric matrix made of the lower (``lower``) or upper triangle of ``a``."""
    low = np.tril(a) if lower else mT(np.triu(a))
    return low + mT(np.tril(low, -1))


def sym_read(g, lower=False):
    """Adjoint of :func:`tri_sym`: a gradient with respect to the symmetric
    matrix, as one with respect to the triangle read."""
    s = g + mT(g)
    diag = g * np.eye(np.shape(g)[-1])
    return (np.tril(s, -1) if lower else np.triu(s, 1)) + diag


# -- scipy.linalg.solve ------------------------------------------------------------

def solve_unsupported(assume_a):
    """``(message, hint)`` for an ``assume_a`` without a derivative, or None."""
    if assume_a in GENERAL or assume_a in SYMMETRIC:
        return None
    return (f"scipy.linalg.solve is differentiated with assume_a None, 'gen', 'sym' or "
            f"'pos', not {assume_a!r}",
            "drop assume_a, or use scipy.linalg.solve_triangular for a triangular matrix")


def solve_read(t, lower=False, assume_a=None, transposed=False):
    """The matrix ``solve(a, b, ...)`` inverts, as a (linear) function of ``a``:
    ``a``, ``a^T`` (``transposed``), or the read triangle made symmetric."""
    problem = solve_unsupported(assume_a)
    if problem:
        raise unsupported(problem)
    if assume_a in SYMMETRIC:
        return tri_sym(t, lower)
    return mT(t) if transposed else t


def solve_read_t(g, lower=False, assume_a=None, transposed=False):
    """Adjoint of :func:`solve_read`."""
    problem = solve_unsupported(assume_a)
    if problem:
        raise unsupported(problem)
    if assume_a in SYMMETRIC:
        return sym_read(g, lower)
    return mT(g) if transposed else g


def solve_da(h, a, x, lower=False, assume_a=None, transposed=False):
    """Adjoint of ``a`` in ``x = scipy.linalg.solve(a, b, ...)`` for the
    adjoint ``h`` of ``x``: ``-z x^T`` with ``z = solve(A^T, h)``, read back
    through the matrix the solve used (:func:`solve_read`)."""
    _matrix(a, "scipy.linalg.solve")
    z = sl.solve(a, h, lower=lower, assume_a=assume_a, transposed=not transposed)
    return -solve_read_t(_outer(z, x), lower, assume_a, transposed)


# -- scipy.linalg.solve_triangular --------------------------------------------------

def _transposes(trans):
    if trans in (0, "N"):
        return False
    if trans in (1, 2, "T", "C"):
        return True
    raise unsupported(f"scipy.linalg.solve_triangular has no trans={trans!r}")


def flip_trans(trans):
    """The ``trans`` of the solve with the transposed matrix."""
    return 0 if _transposes(trans) else 1


def tri_read(t, trans=0, lower=False, unit_diagonal=False):
    """The part of ``t`` that moves the matrix ``solve_triangular`` inverts
    (its triangle, without the diagonal if ``unit_diagonal``), transposed for
    ``trans`` 1 or 'T'."""
    k = 1 if unit_diagonal else 0
    m = np.tril(t, -k) if lower else np.triu(t, k)
    return mT(m) if _transposes(trans) else m


def tri_read_t(g, trans=0, lower=False, unit_diagonal=False):
    """Adjoint of :func:`tri_read` (the same triangle of ``g`` or ``g^T``)."""
    k = 1 if unit_diagonal else 0
    g = mT(g) if _transposes(trans) else g
    return np.tril(g, -k) if lower else np.triu(g, k)


def solve_triangular_da(h, a, x, trans=0, lower=False, unit_diagonal=False):
    """Adjoint of ``a`` in ``x = scipy.linalg.solve_triangular(a, b, ...)``."""
    _matrix(a, "scipy.linalg.solve_triangular")
    z = sl.solve_triangular(a, h, trans=flip_trans(trans), lower=lower,
                            unit_diagonal=unit_diagonal)
    return -tri_read_t(_outer(z, x), trans, lower, unit_diagonal)


# -- Cholesky: scipy.linalg.cholesky, cho_factor, cho_solve ------------------------

def _factor(c, lower):
    """The lower factor ``L`` of a Cholesky factor as SciPy returns it (the
    other triangle ignored)."""
    return np.tril(c) if lower else mT(np.triu(c))


def _as_c(m, lower):
    """A lower-triangular ``dL`` (a tangent or an adjoint) as one of ``c``."""
    m = np.tril(m)
    return m if lower else mT(m)


def _other(x, lower):
    """The triangle of ``cho_factor``'s result that holds ``a``'s own entries."""
    return np.triu(x, 1) if lower else np.tril(x, -1)


def _phi(x):
    """The lower triangle with the diagonal halved."""
    return np.tril(x) - 0.5 * np.eye(x.shape[-1]) * x


def _sandwich(L, m):
    """``L^-T m L^-1``."""
    left = sl.solve_triangular(L, m, trans=1, lower=True)
    return mT(sl.solve_triangular(L, mT(left), trans=1, lower=True))


def _congruence(L, m):
    """``L^-1 m L^-T``."""
    left = sl.solve_triangular(L, m, lower=True)
    return mT(sl.solve_triangular(L, mT(left), lower=True))


def _core(h, L, lower):
    """``Y = L^-T Phi(L^T H) L^-1`` for the adjoint ``h`` of the factor."""
    return _sandwich(L, _phi(mT(L) @ _factor(h, lower)))


def cholesky_da(h, c, lower=False):
    """Adjoint of ``a`` in ``c = scipy.linalg.cholesky(a, lower)`` for the
    adjoint ``h`` of the factor: ``Y = L^-T Phi(L^T dL) L^-1`` made symmetric,
    read back into the triangle SciPy reads."""
    _matrix(c, "scipy.linalg.cholesky")
    return sym_read(_core(h, _factor(c, lower), lower), lower)


def cholesky_tangent(t, c, lower=False):
    """Tangent of the factor: ``dL = L Phi(L^-1 dA L^-T)``, ``dA`` the read
    triangle of ``t`` made symmetric."""
    L = _factor(c, lower)
    return _as_c(L @ _phi(_congruence(L, tri_sym(t, lower))), lower)


def cholesky_da_tangent(t, h, c, lower=False):
    """Tangent of :func:`cholesky_da` when the factor moves by ``t``."""
    L, dL = _factor(c, lower), _factor(t, lower)
    y = _core(h, L, lower)
    dy = (_sandwich(L, _phi(mT(dL) @ _factor(h, lower)))
          - sl.solve_triangular(L, mT(dL) @ y, trans=1, lower=True)
          - mT(sl.solve_triangular(L, mT(y @ dL), trans=1, lower=True)))
    return sym_read(dy, lower)


def cholesky_da_dc(g, h, c, lower=False):
    """Adjoint of the factor ``c`` in :func:`cholesky_da` (second order)."""
    L, H = _factor(c, lower), _factor(h, lower)
    y = _core(h, L, lower)
    w = tri_sym(g, lower)
    v = _congruence(L, w)
    w_lt = mT(sl.solve_triangular(L, w, lower=True))          # W L^-T
    return _as_c(H @ mT(_phi(v)) - (y + mT(y)) @ w_lt, lower)


def cho_factor_da(h, factor):
    """Adjoint of ``a`` in ``factor = scipy.linalg.cho_factor(a, lower)``:
    the Cholesky adjoint of the factor's triangle, and the identity on the
    other one (where ``cho_factor`` leaves ``a``'s entries)."""
    c, lower = factor
    hc = element(h, 0)
    if np.ndim(hc) == 0:
        hc = np.zeros_like(c)
    return cholesky_da(hc, c, lower) + _other(hc, lower)


def cho_factor_tangent(t, factor):
    c, lower = factor
    return Several((cholesky_tangent(t, c, lower) + _other(t, lower), 0.0))


def cho_factor_da_t(g, factor):
    """Adjoint of ``h`` in :func:`cho_factor_da` (linear in ``h``)."""
    c, lower = factor
    return Adjoints([cholesky_tangent(g, c, lower) + _other(g, lower), 0.0])


def cho_factor_da_tangent(t, h, factor):
    """Tangent of :func:`cho_factor_da` when the factor moves by ``t``."""
    c, lower = factor
    tc, hc = element(t, 0), element(h, 0)
    if np.ndim(tc) == 0 or np.ndim(hc) == 0:
        return np.zeros_like(c)
    return cholesky_da_tangent(tc, hc, c, lower)


def cho_factor_da_dfactor(g, h, factor):
    """Adjoint of the factor in :func:`cho_factor_da` (second order)."""
    c, lower = factor
    hc = element(h, 0)
    if np.ndim(hc) == 0:
        return Adjoints([np.zeros_like(c), 0.0])
    return Adjoints([cholesky_da_dc(g, hc, c, lower), 0.0])


def _sym_outer(z, x):
    p = _outer(z, x)
    return p + mT(p)


def cho_solve_dc(h, factor, x):
    """Adjoint of the factor ``(c, lower)`` in ``x = scipy.linalg.cho_solve(
    (c, lower), b)``: with ``z = cho_solve((c, lower), h)``, the adjoint of
    ``L`` is ``-(z x^T + x z^T) L``."""
    c, lower = factor
    _matrix(c, "scipy.linalg.cho_solve")
    z = sl.cho_solve(factor, h)
    return Adjoints([_as_c(-_sym_outer(z, x) @ _factor(c, lower), lower), 0.0])


def _dS(t, factor):
    """The move of ``S = L L^T`` when the factor moves by ``t``."""
    c, lower = factor
    L, dL = _factor(c, lower), _factor(element(t, 0), lower)
    return dL @ mT(L) + L @ mT(dL)


def cho_solve_tangent(t, factor, x):
    """Tangent of ``cho_solve(factor, b)`` when the factor moves by ``t``."""
    if np.ndim(element(t, 0)) == 0:
        return np.zeros_like(x)
    return -sl.cho_solve(factor, _dS(t, factor) @ x)


def cho_solve_dc_tangent(t, h, factor, x):
    """Tangent of :func:`cho_solve_dc` when the factor moves by ``t``."""
    c, lower = factor
    if np.ndim(element(t, 0)) == 0:
        return Adjoints([np.zeros_like(c), 0.0])
    L, dL = _factor(c, lower), _factor(element(t, 0), lower)
    z = sl.cho_solve(factor, h)
    dz = -sl.cho_solve(factor, _dS(t, factor) @ z)
    d = -_sym_outer(dz, x) @ L - _sym_outer(z, x) @ dL
    return Adjoints([_as_c(d, lower), 0.0])


def _m(g, factor):
    c, lower = factor
    m = _factor(element(g, 0), lower) @ mT(_factor(c, lower))
    return m + mT(m)


def cho_solve_dc_dh(g, h, factor, x):
    """Adjoint of ``h`` in :func:`cho_solve_dc` (second order)."""
    if np.ndim(element(g, 0)) == 0:
        return np.zeros_like(x)
    return -sl.cho_solve(factor, _m(g, factor) @ x)


def cho_solve_dc_dx(g, h, factor, x):
    """Adjoint of ``x`` in :func:`cho_solve_dc` (second order)."""
    if np.ndim(element(g, 0)) == 0:
        return np.zeros_like(x)
    return -_m(g, factor) @ sl.cho_solve(factor, h)


def cho_solve_dc_dfactor(g, h, factor, x):
    """Adjoint of the factor in :func:`cho_solve_dc` (second order)."""
    c, lower = factor
    if np.ndim(element(g, 0)) == 0:
        return Adjoints([np.zeros_like(c), 0.0])
    z = sl.cho_solve(factor, h)
    through_z = cho_solve_dc(-_m(g, factor) @ x, factor, z)[0]
    direct = -_sym_outer(z, x) @ _factor(element(g, 0), lower)
    return Adjoints([through_z + _as_c(direct, lower), 0.0])


# -- LU: scipy.linalg.lu_factor, lu_solve ------------------------------------------

def _perm(piv):
    """The row order ``p`` with ``a[p] = L U`` for LAPACK's pivots."""
    p = np.arange(len(piv))
    for i, j in enumerate(piv):
        p[i], p[j] = p[j], p[i]
    return p


def _lu(lu):
    return np.tril(lu, -1) + np.eye(lu.shape[-1]), np.triu(lu)


def lu_factor_da(h, a, factor):
    """Adjoint of ``a`` in ``lu, piv = scipy.linalg.lu_factor(a)`` (square):
    with ``X = L^-1 P dA U^-1`` the factor moves by ``L tril(X, -1) + triu(X) U``."""
    lu, piv = factor
    _matrix(lu, "scipy.linalg.lu_factor")
    g = element(h, 0)
    if np.ndim(g) == 0:
        return np.zeros_like(a)
    L, U = _lu(lu)
    gx = np.tril(mT(L) @ np.tril(g, -1), -1) + np.triu(np.triu(g) @ mT(U))
    left = sl.solve_triangular(L, gx, trans=1, lower=True, unit_diagonal=True)
    gpa = mT(sl.solve_triangular(U, mT(left), lower=False))         # L^-T gX U^-T
    out = np.empty_like(gpa)
    out[_perm(piv)] = gpa
    return out


def lu_factor_tangent(t, factor):
    lu, piv = factor
    L, U = _lu(lu)
    left = sl.solve_triangular(L, np.asarray(t)[_perm(piv)], lower=True, unit_diagonal=True)
    x = mT(sl.solve_triangular(U, mT(left), trans=1, lower=False))     # L^-1 P t U^-1
    return Several((L @ np.tril(x, -1) + np.triu(x) @ U, np.zeros(len(piv))))


def lu_solve_dlu(h, factor, x, trans=0):
    """Adjoint of the factor in ``x = scipy.linalg.lu_solve((lu, piv), b, trans)``."""
    lu, piv = factor
    _matrix(lu, "scipy.linalg.lu_solve")
    z = sl.lu_solve(factor, h, trans=flip_trans(trans))
    ga = -_outer(z, x)
    ga = mT(ga) if _transposes(trans) else ga
    L, U = _lu(lu)
    gpa = ga[_perm(piv)]
    return Adjoints([np.tril(gpa @ mT(U), -1) + np.triu(mT(L) @ gpa), 0.0])


def _lu_move(dlu, factor, trans=0):
    """The move of the matrix ``lu_solve`` inverts (``A`` or ``A^T``) when the
    factor moves by ``dlu``: ``P^T (dL U + L dU)``."""
    lu, piv = factor
    L, U = _lu(lu)
    dpa = np.tril(dlu, -1) @ U + L @ np.triu(dlu)
    da = np.empty_like(dpa)
    da[_perm(piv)] = dpa
    return mT(da) if _transposes(trans) else da


def lu_solve_tangent(t, factor, x, trans=0):
    """Tangent of ``lu_solve`` when the factor moves by ``t``."""
    dlu = element(t, 0)
    if np.ndim(dlu) == 0:
        return np.zeros_like(x)
    return -sl.lu_solve(factor, _lu_move(dlu, factor, trans) @ x, trans=trans)


def lu_solve_dlu_tangent(t, h, factor, x, trans=0):
    """Tangent of :func:`lu_solve_dlu` when the factor moves by ``t``."""
    lu, piv = factor
    dlu = element(t, 0)
    if np.ndim(dlu) == 0:
        return Adjoints([np.zeros_like(lu), 0.0])
    flip = flip_trans(trans)
    L, U = _lu(lu)
    dL, dU = np.tril(dlu, -1), np.triu(dlu)
    z = sl.lu_solve(factor, h, trans=flip)
    dz = -sl.lu_solve(factor, _lu_move(dlu, factor, flip) @ z, trans=flip)
    ga, dga = -_outer(z, x), -_outer(dz, x)
    if _transposes(trans):
        ga, dga = mT(ga), mT(dga)
    p = _perm(piv)
    gpa, dgpa = ga[p], dga[p]
    return Adjoints([np.tril(dgpa @ mT(U) + gpa @ mT(dU), -1)
                     + np.triu(mT(dL) @ gpa + mT(L) @ dgpa), 0.0])


def lu_solve_dlu_dx(g, h, factor, x, trans=0):
    """Adjoint of ``x`` in :func:`lu_solve_dlu` (second order)."""
    dlu = element(g, 0)
    if np.ndim(dlu) == 0:
        return np.zeros_like(x)
    z = sl.lu_solve(factor, h, trans=flip_trans(trans))
    return -(mT(_lu_move(dlu, factor, trans)) @ z)


def lu_factor_da_t(g, factor):
    """Adjoint of ``h`` in :func:`lu_factor_da` (linear in ``h``): the tangent map."""
    return Adjoints([lu_factor_tangent(g, factor)[0], 0.0])


def lu_factor_da_tangent(t, h, a, factor):
    """Tangent of :func:`lu_factor_da` when the factor moves by ``t``."""
    lu, piv = factor
    g, dlu = element(h, 0), element(t, 0)
    if np.ndim(g) == 0 or np.ndim(dlu) == 0:
        return np.zeros_like(a)
    L, U = _lu(lu)
    dL, dU = np.tril(dlu, -1), np.triu(dlu)
    gx = np.tril(mT(L) @ np.tril(g, -1), -1) + np.triu(np.triu(g) @ mT(U))
    dgx = np.tril(mT(dL) @ np.tril(g, -1), -1) + np.triu(np.triu(g) @ mT(dU))

    def right(m):                                   # m U^-T
        return mT(sl.solve_triangular(U, mT(m), lower=False))

    z = right(sl.solve_triangular(L, gx, trans=1, lower=True, unit_diagonal=True))
    dz = sl.solve_triangular(L, right(dgx) - mT(dL) @ z, trans=1, lower=True,
                             unit_diagonal=True) - right(z @ mT(dU))
    out = np.empty_like(dz)
    out[_perm(piv)] = dz
    return out


def lu_reverse_twice(g):
    """The reverse-over-reverse adjoint of the LU factor, which srcgrad does not have."""
    raise unsupported("the second derivative of scipy.linalg.lu_factor / lu_solve with "
                      "respect to the factor is computed forward over reverse only",
                      hint="use srcgrad.hvp or srcgrad.hessian")


# -- expm, sqrtm, eigh, qr ---------------------------------------------------------

def expm_frechet_unsupported():
    return ("scipy.linalg.expm_frechet is differentiated with compute_expm=False only",
            "call scipy.linalg.expm for the exponential itself")


def _blocks(top_left, top_right, bottom_left, bottom_right):
    """``[[tl, tr], [bl, br]]`` as one matrix (np.block, written with
    np.concatenate, whose rule second derivatives use)."""
    top = np.concatenate([top_left, top_right], axis=-1)
    bottom = np.concatenate([bottom_left, bottom_right], axis=-1)
    return np.concatenate([top, bottom], axis=-2)


def _frechet_block(a, e):
    n = a.shape[-1]
    return _blocks(a, e, np.zeros((n, n)), a)


def expm_frechet_tangent_a(t, a, e):
    """Tangent of ``expm_frechet(a, e)`` when ``a`` moves by ``t``: the
    Fréchet derivative of the block matrix ``[[a, e], [0, a]]``."""
    n = a.shape[-1]
    d = _blocks(t, np.zeros((n, n)), np.zeros((n, n)), t)
    return sl.expm_frechet(_frechet_block(a, e), d, compute_expm=False)[:n, n:]


def expm_frechet_da(g, a, e):
    """Adjoint of ``a`` in ``expm_frechet(a, e)``."""
    n = a.shape[-1]
    pad = _blocks(np.zeros((n, n)), g, np.zeros((n, n)), np.zeros((n, n)))
    m = sl.expm_frechet(mT(_frechet_block(a, e)), pad, compute_expm=False)
    return m[:n, :n] + m[n:, n:]


def eigh_unsupported():
    return ("scipy.linalg.eigh is differentiated for the standard problem (b=None) with "
            "all eigenvalues", "drop b and subset_by_index / subset_by_value")


def qr_unsupported(mode, pivoting=False):
    """``(message, hint)`` for a ``scipy.linalg.qr`` call without a derivative."""
    if pivoting is not False:
        return ("scipy.linalg.qr is differentiated without pivoting", None)
    if mode == "full":
        return ("scipy.linalg.qr(a, mode='full') of a matrix with more rows than columns has "
                "no derivative (the extra columns of Q are not unique)", "use mode='economic'")
    return (f"scipy.linalg.qr is differentiated with mode 'full' or 'economic', not "
            f"mode={mode!r}", "use mode='economic'")


def _qr_checked(a, mode):
    m, n = np.shape(a)[-2:]
    if m < n:
        raise unsupported("scipy.linalg.qr is differentiated for matrices with at least as "
                          "many rows as columns", hint="differentiate the QR of a.T")
    if mode not in ("full", "economic") or (mode == "full" and m > n):
        raise unsupported(qr_unsupported(mode))


def scipy_qr_da(g, a, ans, mode="full"):
    """Adjoint of ``a`` in ``q, r = scipy.linalg.qr(a, mode)``: NumPy's
    (reduced QR); mode 'full' only where it is the reduced one."""
    _qr_checked(a, mode)
    return qr_da(g, a, ans)


def scipy_qr_tangent(t, a, ans, mode="full"):
    _qr_checked(a, mode)
    return qr_tangent(t, a, ans)
