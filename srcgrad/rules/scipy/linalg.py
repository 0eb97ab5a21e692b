"""Rules for scipy.linalg: solve, solve_banded, solve_triangular, cholesky, cho_factor /
cho_solve, lu_factor / lu_solve, inv, det, expm, sqrtm, eigh, svd, qr.

Where SciPy has the function the adjoint needs, the template calls it: the
adjoint of ``b`` in ``solve(a, b)`` is ``solve(a, g, transposed=True)``, of
``cho_solve(c, b)`` it is ``cho_solve(c, g)``, expm's adjoint is a Fréchet
derivative (``expm_frechet``), sqrtm's a Sylvester equation
(``solve_sylvester``); those have rules here too, so that second order works.
The adjoints that take more than a line are helpers of
:mod:`srcgrad.runtime.scipy_linalg`, each given its own rules below
(``HELPER_RULES``).  Functions reading one triangle of their matrix (``lower``,
``assume_a='pos'``) have the derivative with respect to that triangle.
"""

import numpy as np  # noqa: F401  (used in templates)
from scipy.linalg import (  # noqa: F401  (used in templates)
    cho_factor, cho_solve, cholesky, det, eigh, expm, expm_frechet, inv, lu_factor, lu_solve,
    qr, solve, solve_banded, solve_sylvester, solve_triangular, sqrtm, svd)

from srcgrad.rules.checks import defcheck
from srcgrad.rules.registry import defjvp, defvjp
from srcgrad.rules.tables import PARAM_LIMITS
from srcgrad.runtime import eigh_da, eigvalsh_da, inv_da, svd_da  # noqa: F401  (templates)
from srcgrad.runtime.scipy_banded import (  # noqa: F401  (used in templates)
    banded_dense, banded_outer, banded_read, banded_t)
from srcgrad.runtime.forward import (  # noqa: F401  (used in templates)
    eigh_tangent, eigvalsh_tangent, svd_tangent)
from srcgrad.runtime.scipy_linalg import (  # noqa: F401  (used in templates)
    cho_factor_da, cho_factor_da_dfactor, cho_factor_da_t, cho_factor_da_tangent,
    cho_factor_tangent, cho_solve_dc, cho_solve_dc_dfactor, cho_solve_dc_dh, cho_solve_dc_dx,
    cho_solve_dc_tangent, cho_solve_tangent, cholesky_da, cholesky_da_dc, cholesky_da_tangent,
    cholesky_tangent, eigh_unsupported, expm_frechet_da, expm_frechet_tangent_a,
    expm_frechet_unsupported, lu_factor_da, lu_factor_da_t, lu_factor_da_tangent,
    lu_factor_tangent, lu_reverse_twice, lu_solve_dlu, lu_solve_dlu_dx, lu_solve_dlu_tangent,
    lu_solve_tangent,
    qr_unsupported, scipy_qr_da, scipy_qr_tangent, solve_da, solve_read, solve_read_t,
    solve_triangular_da, solve_unsupported, sym_read, tri_read, tri_read_t, tri_sym)

# keyword arguments passed on to every solve in a template
S = "lower=lower, assume_a=assume_a"
T = "trans=trans, lower=lower, unit_diagonal=unit_diagonal"
# the same solves with the matrix transposed
S_T = S + ", transposed=not transposed"
T_T = "trans=1 if trans in (0, 'N') else 0, lower=lower, unit_diagonal=unit_diagonal"

# x = solve(a, b): the adjoint of b solves with the transposed matrix
defvjp(solve, "a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True, "
              "assume_a=None, transposed=False",
       f"solve_da(g, a, ans, {S}, transposed=transposed)", f"solve(a, g, {S_T})")
defjvp(solve, f"-solve(a, np.matmul(solve_read(t, {S}, transposed=transposed), ans), {S}, "
              f"transposed=transposed)",
       f"solve(a, t, {S}, transposed=transposed)")

# x = solve_banded((l, u), ab, b): ab stores the band of a (ab[u + i - j, j] == a[i, j]).
# The adjoint of b solves with the transposed matrix (stored with (u, l)); the adjoint of ab
# is the band of the dense one, -z x^T (the unused corners of ab get 0)
_BANDED_Z = "solve_banded(l_and_u[::-1], banded_t(l_and_u, ab), g)"
defvjp(solve_banded, "l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True",
       None, f"-banded_outer(l_and_u, {_BANDED_Z}, ans)", _BANDED_Z)
defjvp(solve_banded, ab="-solve_banded(l_and_u, ab, np.matmul(banded_dense(l_and_u, t), ans))",
       b="solve_banded(l_and_u, ab, t)")

defvjp(solve_triangular, "a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False, "
                         "check_finite=True",
       f"solve_triangular_da(g, a, ans, {T})", f"solve_triangular(a, g, {T_T})")
defjvp(solve_triangular, f"-solve_triangular(a, np.matmul(tri_read(t, {T}), ans), {T})",
       f"solve_triangular(a, t, {T})")

defvjp(cholesky, "a, lower=False, overwrite_a=False, check_finite=True",
       "cholesky_da(g, ans, lower=lower)")
defjvp(cholesky, "cholesky_tangent(t, ans, lower=lower)")

# c = cho_factor(a) is the pair (factor, lower); g is the list of their adjoints
defvjp(cho_factor, "a, lower=False, overwrite_a=False, check_finite=True", "cho_factor_da(g, ans)")
defjvp(cho_factor, "cho_factor_tangent(t, ans)")
defvjp(cho_solve, "c_and_lower, b, overwrite_b=False, check_finite=True",
       "cho_solve_dc(g, c_and_lower, ans)", "cho_solve(c_and_lower, g)")
defjvp(cho_solve, "cho_solve_tangent(t, c_and_lower, ans)", "cho_solve(c_and_lower, t)")

defvjp(lu_factor, "a, overwrite_a=False, check_finite=True", "lu_factor_da(g, a, ans)")
defjvp(lu_factor, "lu_factor_tangent(t, ans)")
defvjp(lu_solve, "lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True",
       "lu_solve_dlu(g, lu_and_piv, ans, trans=trans)",
       "lu_solve(lu_and_piv, g, trans=1 if trans in (0, 'N') else 0)")
defjvp(lu_solve, "lu_solve_tangent(t, lu_and_piv, ans, trans=trans)",
       "lu_solve(lu_and_piv, t, trans=trans)")

GEN = "assume_a in (None, 'gen', 'general')"
defvjp(inv, "a, overwrite_a=False, check_finite=True, *, assume_a=None, lower=False",
       f"inv_da(g, ans) if {GEN} else solve_read_t(inv_da(g, ans), {S})")
defjvp(inv, f"-(ans @ t @ ans) if {GEN} else -(ans @ solve_read(t, {S}) @ ans)")
defvjp(det, "a, overwrite_a=False, check_finite=True", "g * ans * np.transpose(inv(a))")
defjvp(det, "ans * np.trace(solve(a, t))")

# expm: its Fréchet derivative; sqrtm: a Sylvester equation X dX + dX X = dA
defvjp(expm, "A", "expm_frechet(np.transpose(A), g, compute_expm=False)")
defjvp(expm, "expm_frechet(A, t, compute_expm=False)")
defvjp(expm_frechet, "A, E, method=None, compute_expm=True, check_finite=True",
       "expm_frechet_da(g, A, E)", "expm_frechet(np.transpose(A), g, method=method, compute_expm=False)")
defjvp(expm_frechet, "expm_frechet_tangent_a(t, A, E)",
       "expm_frechet(A, t, method=method, compute_expm=False)")
defvjp(sqrtm, "A, disp=True, blocksize=64",
       "solve_sylvester(np.transpose(ans), np.transpose(ans), g)")
defjvp(sqrtm, "solve_sylvester(ans, ans, t)")
defvjp(solve_sylvester, "a, b, q",
       "-np.matmul(solve_sylvester(np.transpose(a), np.transpose(b), g), np.transpose(ans))",
       "-np.matmul(np.transpose(ans), solve_sylvester(np.transpose(a), np.transpose(b), g))",
       "solve_sylvester(np.transpose(a), np.transpose(b), g)")
defjvp(solve_sylvester, "solve_sylvester(a, b, -np.matmul(t, ans))",
       "solve_sylvester(a, b, -np.matmul(ans, t))", "solve_sylvester(a, b, t)")

# eigenvalues and vectors, singular values, QR: NumPy's helpers (the same maths)
U = "'L' if lower else 'U'"
defvjp(eigh, "a, b=None, *, lower=True, eigvals_only=False, overwrite_a=False, overwrite_b=False, "
             "type=1, check_finite=True, subset_by_index=None, subset_by_value=None, driver=None",
       f"eigvalsh_da(g, a, {U}) if eigvals_only else eigh_da(g, a, ans, {U})")
defjvp(eigh, f"eigvalsh_tangent(t, a, {U}) if eigvals_only else eigh_tangent(t, a, ans, {U})")
defvjp(svd, "a, full_matrices=True, compute_uv=True, overwrite_a=False, check_finite=True, "
            "lapack_driver='gesdd'",
       "svd_da(g, a, ans, full_matrices=full_matrices, compute_uv=compute_uv)")
defjvp(svd, "svd_tangent(t, a, ans, full_matrices=full_matrices, compute_uv=compute_uv)")
defvjp(qr, "a, overwrite_a=False, lwork=None, mode='full', pivoting=False, check_finite=True",
       "scipy_qr_da(g, a, ans, mode=mode)")
defjvp(qr, "scipy_qr_tangent(t, a, ans, mode=mode)")


# -- the helpers' own rules (second order) --------------------------------------------

# the triangle a symmetric solve reads, the matrix a solve inverts: linear maps
defvjp(tri_sym, "a, lower=False", "sym_read(g, lower)")
defjvp(tri_sym, "tri_sym(t, lower)")
defvjp(sym_read, "s, lower=False", "tri_sym(g, lower)")
defjvp(sym_read, "sym_read(t, lower)")
defvjp(solve_read, "x, lower=False, assume_a=None, transposed=False",
       "solve_read_t(g, lower, assume_a, transposed)")
defjvp(solve_read, "solve_read(t, lower, assume_a, transposed)")
defvjp(solve_read_t, "x, lower=False, assume_a=None, transposed=False",
       "solve_read(g, lower, assume_a, transposed)")
defjvp(solve_read_t, "solve_read_t(t, lower, assume_a, transposed)")
defvjp(tri_read, "x, trans=0, lower=False, unit_diagonal=False",
       "tri_read_t(g, trans, lower, unit_diagonal)")
defjvp(tri_read, "tri_read(t, trans, lower, unit_diagonal)")
defvjp(tri_read_t, "x, trans=0, lower=False, unit_diagonal=False",
       "tri_read(g, trans, lower, unit_diagonal)")
defjvp(tri_read_t, "tri_read_t(t, trans, lower, unit_diagonal)")

# solve_da(h, a, x) = -read_t(z x^T), z = solve(a, h) with the matrix transposed:
# linear in h and in x
defvjp(solve_da, "h, a, x, lower=False, assume_a=None, transposed=False",
       f"-solve(a, np.matmul(solve_read(g, {S}, transposed=transposed), x), {S}, "
       f"transposed=transposed)",
       f"-solve_da(np.matmul(solve_read(g, {S}, transposed=transposed), x), a, "
       f"solve(a, h, {S_T}), {S_T})",
       f"-np.matmul(np.swapaxes(solve_read(g, {S}, transposed=transposed), -1, -2), "
       f"solve(a, h, {S_T}))")
defjvp(solve_da, f"solve_da(t, a, x, {S}, transposed=transposed)",
       f"-solve_da(np.matmul(solve_read(t, {S_T}), solve(a, h, {S_T})), a, x, {S}, "
       f"transposed=transposed)",
       f"solve_da(h, a, t, {S}, transposed=transposed)")
defvjp(solve_triangular_da, "h, a, x, trans=0, lower=False, unit_diagonal=False",
       f"-solve_triangular(a, np.matmul(tri_read(g, {T}), x), {T})",
       f"-solve_triangular_da(np.matmul(tri_read(g, {T}), x), a, solve_triangular(a, h, {T_T}), "
       f"{T_T})",
       f"-np.matmul(np.swapaxes(tri_read(g, {T}), -1, -2), solve_triangular(a, h, {T_T}))")
defjvp(solve_triangular_da, f"solve_triangular_da(t, a, x, {T})",
       f"-solve_triangular_da(np.matmul(tri_read(t, {T_T}), solve_triangular(a, h, {T_T})), "
       f"a, x, {T})",
       f"solve_triangular_da(h, a, t, {T})")

# the Cholesky adjoints: linear in the adjoint h (their adjoint is the tangent map)
defvjp(cholesky_da, "h, c, lower=False", "cholesky_tangent(g, c, lower)",
       "cholesky_da_dc(g, h, c, lower)")
defjvp(cholesky_da, "cholesky_da(t, c, lower)", "cholesky_da_tangent(t, h, c, lower)")
defvjp(cho_factor_da, "h, factor", "cho_factor_da_t(g, factor)",
       "cho_factor_da_dfactor(g, h, factor)")
defjvp(cho_factor_da, "cho_factor_da(t, factor)", "cho_factor_da_tangent(t, h, factor)")
defvjp(cho_solve_dc, "h, factor, x", "cho_solve_dc_dh(g, h, factor, x)",
       "cho_solve_dc_dfactor(g, h, factor, x)", "cho_solve_dc_dx(g, h, factor, x)")
defjvp(cho_solve_dc, "cho_solve_dc(t, factor, x)", "cho_solve_dc_tangent(t, h, factor, x)",
       "cho_solve_dc(h, factor, t)")

# the LU adjoints: linear in h (their adjoint is the tangent map); forward over reverse
# only with respect to the factor
defvjp(lu_factor_da, "h, a, factor", "lu_factor_da_t(g, factor)", None, "lu_reverse_twice(g)")
defjvp(lu_factor_da, h="lu_factor_da(t, a, factor)", factor="lu_factor_da_tangent(t, h, a, factor)")
defvjp(lu_solve_dlu, "h, factor, x, trans=0", "lu_solve_tangent(g, factor, x, trans)",
       "lu_reverse_twice(g)", "lu_solve_dlu_dx(g, h, factor, x, trans)")
defjvp(lu_solve_dlu, "lu_solve_dlu(t, factor, x, trans)",
       "lu_solve_dlu_tangent(t, h, factor, x, trans)", "lu_solve_dlu(h, factor, t, trans)")

# the banded storage: linear maps, each the adjoint of another; banded_outer is bilinear
defvjp(banded_dense, "l_and_u, ab", None, "banded_read(l_and_u, g)")
defjvp(banded_dense, ab="banded_dense(l_and_u, t)")
defvjp(banded_read, "l_and_u, a", None, "banded_dense(l_and_u, g)")
defjvp(banded_read, a="banded_read(l_and_u, t)")
defvjp(banded_t, "l_and_u, ab", None, "banded_t(l_and_u[::-1], g)")
defjvp(banded_t, ab="banded_t(l_and_u, t)")
defvjp(banded_outer, "l_and_u, z, x", None, "np.matmul(banded_dense(l_and_u, g), x)",
       "np.matmul(np.transpose(banded_dense(l_and_u, g)), z)")
defjvp(banded_outer, z="banded_outer(l_and_u, t, x)", x="banded_outer(l_and_u, z, t)")

#: the functions of scipy.linalg given rules here
PRIMITIVES = (solve, solve_triangular, cholesky, cho_factor, cho_solve, lu_factor, lu_solve, inv,
              det, expm, expm_frechet, sqrtm, solve_sylvester, eigh, svd, qr)
#: the runtime helpers given rules here (tests/test_lib_linalg.py checks each one)
HELPER_RULES = (tri_sym, sym_read, solve_read, solve_read_t, tri_read, tri_read_t, solve_da,
                solve_triangular_da, cholesky_da, cho_factor_da, cho_solve_dc, lu_factor_da,
                lu_solve_dlu)
#: solve_banded and its helpers (tests/test_lib_more.py checks each one)
BANDED = (solve_banded, banded_dense, banded_read, banded_t, banded_outer)


# -- refusals at transformation time --------------------------------------------------

def _solve(known):
    if "assume_a" in known:
        return solve_unsupported(known["assume_a"])
    return None


def _eigh(known):
    if known.get("b", 1) is not None or known.get("subset_by_index", 1) is not None or \
            known.get("subset_by_value", 1) is not None:
        return eigh_unsupported()
    return None


def _qr(known):
    if known.get("pivoting", False) is not False:
        return qr_unsupported("full", known["pivoting"])
    if known.get("mode", "full") not in ("full", "economic"):
        return qr_unsupported(known["mode"])
    return None


def _expm_frechet(known):
    if known.get("compute_expm", True) is not False:
        return expm_frechet_unsupported()
    return None


def _sqrtm(known):
    if "disp" in known["varied"] or known.get("disp", True) is False:
        return ("scipy.linalg.sqrtm(..., disp=False) is not differentiated (its result is "
                "a pair)", "drop disp")
    return None


defcheck(solve, _solve)
defcheck(inv, _solve)
defcheck(eigh, _eigh)
defcheck(qr, _qr)
defcheck(expm_frechet, _expm_frechet)
defcheck(sqrtm, _sqrtm)
# overwrite_ab=True, overwrite_b=True may destroy the arguments the adjoints read
PARAM_LIMITS[solve_banded] = {"overwrite_ab": (False,), "overwrite_b": (False,)}
