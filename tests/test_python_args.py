"""``*args``/``**kwargs`` parameters of the differentiated function and of
lambdas, and starred call arguments (issue #14), in every mode against
finite differences; and the refusals.

A function taking ``*args`` or ``**kwargs`` is differentiated for the
arguments of each call: ``wrt`` positions count the call's positional
arguments (``grad(f)(1.5, 2.0)`` is the derivative with respect to
``1.5``), names are parameters or ``**kwargs`` keys."""

import functools

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound

X = np.array([0.6, -0.4, 0.3])


def product(*xs):
    return xs[0] * xs[1] ** 2


def mixed(a, *rest, scale=1.5, **opts):
    t = a * scale
    for r in rest:
        t = t + np.sin(r) * opts.get("w", 0.5)
    return np.sum(t) * len(rest)


def forwards(x, *args, **kwargs):
    def inner(u, v, power=2.0):
        return np.sum(u * v ** power)
    return inner(x, *args, **kwargs)


def star_tuple(x):
    args = (x, 2.0)
    return np.sum(np.power(*args))


def star_list_and_dict(x):
    pair = [x, x * 3.0]
    opts = {"axis": 0}
    return np.sum(np.stack([*pair, x]) ** 2) + np.sum(np.sum(np.outer(*pair), **opts) ** 2)


def star_to_own_function(x, y):
    def h(u, v, w=1.0):
        return u * v + w
    xs = (x, y)
    kw = {"w": y * 2.0}
    return np.sum(h(*xs, **kw))


def star_of_varargs(*xs):
    return np.sum(np.maximum(*xs)) + np.sum(np.stack(xs) ** 2)


lam = lambda *xs: xs[0] * np.sum(xs[1] ** 2)       # noqa: E731


def inner_lambda(x, y):
    g = lambda *a, **k: a[0] * a[1] + k["c"]        # noqa: E731
    pair = (x, y)
    return np.sum(g(*pair, c=y) + g(x, 2.0, c=1.0))


def tail(a, b, *rest):
    return np.sum(a * b + sum(r * r for r in rest))


CASES = [
    (product, (1.5, 2.0), 0),
    (product, (1.5, 2.0), (0, 1)),
    (product, (0.5, 2.0), 1),
    (mixed, (X, 0.3, X), (0, 1, 2)),
    (mixed, (X,), 0),
    (forwards, (X, X), (0, 1)),
    (star_tuple, (X,), 0),
    (star_list_and_dict, (X,), 0),
    (star_to_own_function, (X, 0.7), (0, 1)),
    (star_of_varargs, (X, X[::-1] * 0.7), (0, 1)),
    (lam, (1.5, X), (0, 1)),
    (inner_lambda, (X, 0.7), (0, 1)),
    (functools.partial(tail, 2.0), (X, X, 0.5), (0, 1, 2)),
]


@pytest.mark.parametrize("f, args, wrt", CASES,
                         ids=[f"{getattr(c[0], '__name__', 'lambda')}-{i}"
                              for i, c in enumerate(CASES)])
def test_args(f, args, wrt):
    assert_sound(f, args, wrt=wrt)


def test_wrt_counts_the_calls_arguments_and_names_keywords():
    assert srcgrad.grad(product)(1.5, 2.0) == 4.0
    assert srcgrad.grad(product, wrt=1)(1.5, 2.0) == 6.0
    a, x0, w, scale = srcgrad.grad(mixed, wrt=(0, 1, "w", "scale"))(X, 0.3, scale=2.0, w=0.7)
    assert np.allclose(a, 2.0) and np.isclose(x0, 3 * 0.7 * np.cos(0.3))
    assert np.isclose(w, np.sin(0.3) * 3) and np.isclose(scale, np.sum(X))
    value, g = srcgrad.value_and_grad(product)(1.5, 2.0)
    assert (value, g) == (6.0, 4.0)
    assert srcgrad.vjp(product, wrt=1)(1.5, 2.0, 1.0) == (6.0, 6.0)
    assert np.allclose(srcgrad.hessian(product, wrt=1)(1.5, 2.0), 3.0)
    assert np.allclose(srcgrad.jacobian(lambda *xs: xs[0] * xs[1], wrt=1)(X, X), np.diag(X))
    assert srcgrad.check_grad(product, 1.5, 2.0, wrt=(0, 1)) == (4.0, 6.0)
    # the code for the last call
    assert "def d_product(xs_0, xs_1):" in srcgrad.source(srcgrad.grad(product))
    with pytest.raises(srcgrad.SrcgradError, match="called with 2 positional arguments"):
        srcgrad.grad(product, wrt=2)(1.5, 2.0)


def test_before_the_first_call_there_is_no_source():
    def fresh(*xs):
        return xs[0]
    with pytest.raises(srcgrad.SrcgradError, match="call it first"):
        srcgrad.source(srcgrad.grad(fresh))


def grows(x):
    xs = [x, 2.0]
    xs.append(3.0)
    return np.sum(np.power(*xs[:2]))


def from_a_call(x):
    args = tuple(np.split(x, 3))
    return np.sum(np.maximum(*args))


@pytest.mark.parametrize("f", [grows, from_a_call])
def test_a_starred_argument_of_unknown_length_is_refused(f):
    with pytest.raises(srcgrad.UnsupportedError, match="starred argument whose length is not "
                                                       "known") as e:
        srcgrad.grad(f)(X)
    assert "test_python_args.py" in str(e.value)


def adds_a_key(x):
    opts = {"axis": 0}
    opts["keepdims"] = True
    return np.sum(np.sum(np.outer(x, x), **opts))


def test_a_dict_that_gains_a_key_is_not_expanded():
    # its keys are not those of its display: refused, never called with fewer keywords
    with pytest.raises(srcgrad.UnsupportedError, match=r"\*args or \*\*kwargs"):
        srcgrad.grad(adds_a_key)(X)


def test_a_derivative_of_a_function_with_args_is_not_differentiated_again():
    with pytest.raises(srcgrad.UnsupportedError, match="cannot be differentiated again"):
        srcgrad.grad(srcgrad.grad(product))(1.5, 2.0)
    assert np.isclose(srcgrad.hessian(product)(1.5, 2.0), 0.0)
    assert np.isclose(srcgrad.hvp(product, wrt=1)(1.5, 2.0, 1.0), 3.0)
