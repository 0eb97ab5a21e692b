"""Linear algebra with several results (slogdet, eigh, svd values, qr,
lstsq) against finite differences, in reverse mode."""

import numpy as np
import pytest

import srcgrad
from srcgrad import check_grad

from tests import linalg_programs as lp

RNG = np.random.default_rng(7)


def spd(n):
    m = RNG.normal(size=(n, n))
    return m @ m.T + n * np.eye(n)


def lower(a):
    """eigh reads only the lower triangle: give it a matrix whose upper
    triangle disagrees, so that the test sees which entries matter."""
    return a + np.triu(RNG.normal(size=a.shape), 1)


CASES = [
    (lp.uses_slogdet, (RNG.normal(size=(3, 3)) + 3 * np.eye(3),), 0),
    (lp.uses_eigh, (lower(spd(3)),), 0),
    (lp.uses_eigvalsh, (lower(spd(3)),), 0),
    (lp.uses_svd_values, (RNG.normal(size=(4, 3)),), 0),
    (lp.uses_qr, (RNG.normal(size=(3, 2)),), 0),
    (lp.uses_lstsq, (RNG.normal(size=(5, 2)), RNG.normal(size=5)), (0, 1)),
]


@pytest.mark.parametrize("fun,args,wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_against_finite_differences(fun, args, wrt):
    check_grad(fun, *args, wrt=wrt, rtol=1e-4, atol=1e-6)


def test_full_svd_of_a_tall_matrix_is_refused_clearly():
    def full(a):
        u, s, vh = np.linalg.svd(a)
        return np.sum(s)
    with pytest.raises(srcgrad.UnsupportedError, match="not square"):
        srcgrad.grad(full)(RNG.normal(size=(4, 3)))


@pytest.mark.parametrize("fun,args,wrt", CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_forward_mode_agrees_with_reverse_mode(fun, args, wrt):
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    tangents = [RNG.normal(size=np.shape(args[i])) for i in wrt_t]
    value, pushed = srcgrad.jvp(fun, wrt=wrt)(*args, *tangents)
    grads = srcgrad.grad(fun, wrt=wrt)(*args)
    grads = grads if isinstance(wrt, tuple) else (grads,)
    assert np.isclose(value, fun(*args))
    assert np.isclose(pushed, sum(np.vdot(g, t) for g, t in zip(grads, tangents)), rtol=1e-6)
