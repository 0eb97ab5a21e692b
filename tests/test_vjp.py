"""vjp: reverse mode for results of any shape, checked against forward mode
(the dot-product test <u, J v> == <J^T u, v>) and against grad."""

import inspect

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import srcgrad

from tests import forward_programs as fp
from tests import programs as p
from tests.test_constructs import CASES

RNG = np.random.default_rng(3)

VECTOR_FUNCTIONS = [
    (fp.layer, 0, lambda r: (r.normal(size=3),)),
    (fp.branchy, (0, 1), lambda r: (r.normal(size=4), float(r.normal()))),
    (fp.matrix_fun, (0, 1), lambda r: (r.normal(size=(3, 3)), float(r.normal()))),
    (p.vector_result, 0, lambda r: (r.normal(size=5),)),
]


def _tuple(x, wrt):
    return x if isinstance(wrt, tuple) else (x,)


@pytest.mark.parametrize("fun,wrt,make", VECTOR_FUNCTIONS, ids=lambda v: getattr(v, "__name__", ""))
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10**6))
def test_dot_product_with_forward_mode(fun, wrt, make, seed):
    r = np.random.default_rng(seed)
    args = make(r)
    value = fun(*args)
    u = r.normal(size=np.shape(value))
    wrt_t = wrt if isinstance(wrt, tuple) else (wrt,)
    v = [r.normal(size=np.shape(args[i])) if np.ndim(args[i]) else float(r.normal())
         for i in wrt_t]
    val_r, pulled = srcgrad.vjp(fun, wrt=wrt)(*args, u)
    val_f, pushed = srcgrad.jvp(fun, wrt=wrt)(*args, *v)
    assert np.allclose(val_r, value) and np.allclose(val_f, value)
    lhs = np.vdot(u, pushed)
    rhs = sum(np.vdot(a, b) for a, b in zip(_tuple(pulled, wrt), v))
    assert np.isclose(lhs, rhs, rtol=1e-9, atol=1e-9)
    for a, i in zip(_tuple(pulled, wrt), wrt_t):
        assert np.shape(a) == np.shape(args[i])


@pytest.mark.parametrize("fun,wrt,inputs", CASES, ids=[c[0].__name__ for c in CASES])
def test_vjp_of_scalar_functions_is_grad(fun, wrt, inputs):
    for args in inputs:
        # vjp's cotangent follows the positional parameters without a default;
        # those with one are keyword-only there
        bound = inspect.signature(fun).bind(*args)
        params = inspect.signature(fun).parameters
        positional = [v for k, v in bound.arguments.items() if params[k].default is params[k].empty]
        keywords = {k: v for k, v in bound.arguments.items() if params[k].default is not params[k].empty}
        value, pulled = srcgrad.vjp(fun, wrt=wrt)(*positional, 1.0, **keywords)
        expected = srcgrad.grad(fun, wrt=wrt)(*args)
        assert np.allclose(value, fun(*args))
        for a, b in zip(_tuple(pulled, wrt), _tuple(expected, wrt)):
            assert np.allclose(a, b)


def test_vjp_source_and_cotangent_argument():
    f = srcgrad.vjp(p.vector_result)
    text = srcgrad.source(f)
    assert text.startswith("def vjp_vector_result(x, cotangent):")
    assert "d_out = cotangent" in text and "check_scalar" not in text
    value, d = f(np.array([1.0, 2.0]), np.array([3.0, 4.0]))
    assert np.allclose(value, [2.0, 4.0]) and np.allclose(d, [6.0, 8.0])
