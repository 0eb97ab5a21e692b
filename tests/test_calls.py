"""Calls to the user's own functions, nested functions, lambdas, partials,
methods and recursion: gradients (reverse mode) and tangents (forward mode)
against central finite differences; errors for what cannot be resolved."""

import functools
import math

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import UnsupportedError
from tests import call_helpers as h
from tests import call_programs as p
from srcgrad.api.check import numerical_grad

SCALAR_CASES = [
    (p.calls_module_helper, (0.7,)),
    (p.calls_other_module, (0.4, 1.3)),
    (p.keyword_and_default_arguments, (0.9,)),
    (p.helper_with_early_return, (0.8,)),
    (p.helper_with_early_return, (-0.6,)),
    (p.helper_with_loop_and_break, (0.7,)),
    (p.helper_in_loop, (0.9,)),
    (p.helper_in_while_condition, (1.1,)),
    (p.helper_in_branch_test, (1.3,)),
    (p.helper_in_branch_test, (0.4,)),
    (p.helper_in_conditional_expression, (0.9,)),
    (p.helper_in_conditional_expression, (-0.3,)),
    (p.helper_in_boolean_operands, (0.8,)),
    (p.nested_def_closure, (0.6, 1.4)),
    (p.nested_def_with_default, (0.8,)),
    (p.lambda_assigned, (0.3,)),
    (p.lambda_passed_inline, (0.7,)),
    (p.function_passed_as_argument, (0.6,)),
    (p.star_args_forwarding, (0.5, 0.9)),
    (p.partial_in_function, (0.6,)),
    (p.partial_at_module_level, (1.2,)),
    (p.method_of_global_object, (0.3,)),
    (p.recursion, (1.1,)),
    (p.branching_recursion, (0.7,)),
    (p.nested_helpers_three_deep, (0.5,)),
    (p.shadowing_names, (0.4,)),
    (p.calls_for_effect, (0.9,)),
    (p.kwargs_read_in_the_callee, (0.8,)),
    (p.partial_of_a_bound_method, (0.4,)),
]


def _id(case):
    return case.__name__ if callable(case) else None


def _check(fun, args, got, wrt):
    for i, w in enumerate(wrt):
        want = numerical_grad(fun, args, w)
        np.testing.assert_allclose(got[i], want, rtol=1e-5, atol=1e-7,
                                   err_msg=f"{fun.__name__} d/d{w}")


@pytest.mark.parametrize("fun,args", SCALAR_CASES, ids=[c[0].__name__ for c in SCALAR_CASES])
def test_gradient_matches_finite_differences(fun, args):
    wrt = tuple(range(len(args)))
    got = srcgrad.grad(fun, wrt=wrt)(*args)
    _check(fun, args, got, wrt)
    # the generic (array) path too: the same arguments as 0-d arrays
    arrays = tuple(np.float64(a) for a in args)
    got = srcgrad.grad(fun, wrt=wrt)(*arrays)
    _check(fun, args, got, wrt)


@pytest.mark.parametrize("fun,args", SCALAR_CASES, ids=[c[0].__name__ for c in SCALAR_CASES])
def test_tangent_matches_finite_differences(fun, args):
    jvp = srcgrad.jvp(fun, wrt=0)
    value, tangent = jvp(*args, 1.0)
    assert value == pytest.approx(fun(*args))
    np.testing.assert_allclose(tangent, numerical_grad(fun, args, 0), rtol=1e-5, atol=1e-7)


def test_helper_on_arrays():
    v = np.array([0.3, -0.8, 1.2])
    got = srcgrad.grad(p.helper_on_arrays)(v)
    np.testing.assert_allclose(got, numerical_grad(p.helper_on_arrays, (v,), 0), rtol=1e-6)
    value, tangent = srcgrad.jvp(p.helper_on_arrays)(v, np.ones(3))
    np.testing.assert_allclose(tangent, np.sum(got), rtol=1e-6)


def test_inlined_code_reads_well():
    text = srcgrad.source(srcgrad.grad(p.calls_module_helper))
    # no call is left; comments point to the helper's own lines
    code = [ln for ln in text.splitlines() if not ln.strip().startswith("#")]
    assert not any("cube(" in ln for ln in code)
    assert "# cube, call_programs.py line 17: return x * x * x" in text
    assert "x * x" in text
    other = srcgrad.source(srcgrad.grad(p.calls_other_module, wrt=(0, 1)))
    # a comment names the helper and the file it comes from
    assert "scaled, call_helpers.py line" in other
    # the helper module's globals are read through that module (live) and
    # its aliases (xp, sine, e_x) stay hygienic
    assert "call_helpers.SCALE" in other


def test_module_globals_are_read_when_the_gradient_runs():
    df = srcgrad.grad(p.calls_other_module)
    before = df(0.4, 1.3)
    old = h.SCALE
    try:
        h.SCALE = 10.0
        after = df(0.4, 1.3)
        np.testing.assert_allclose(after, numerical_grad(p.calls_other_module, (0.4, 1.3), 0),
                                   rtol=1e-6)
        assert after != before
    finally:
        h.SCALE = old


def test_non_differentiable_values_flow_through_helpers():
    v = np.array([0.3, -0.8, 1.2, 0.5])
    fun = p.non_differentiable_values_flow_through
    got = srcgrad.grad(fun, wrt=(0, 1))(0.7, v)
    _check(fun, (0.7, v), got, (0, 1))


def test_generated_code_finds_numpy_whatever_the_user_calls_a_local():
    got = srcgrad.grad(p.shadows_numpy_name)(0.6)
    assert got == pytest.approx(numerical_grad(p.shadows_numpy_name, (0.6,), 0), rel=1e-6)


def test_gradient_of_a_bound_method():
    model = h.Model(0.7, 0.1)
    df = srcgrad.grad(model.loss, wrt=(0, 1))
    _check(model.loss, (0.3, 0.5), df(0.3, 0.5), (0, 1))
    assert "self" not in srcgrad.source(df).split("\n")[0]


def test_recursive_call_goes_through_the_callees_generated_vjp():
    text = srcgrad.source(srcgrad.grad(h.power))
    assert "split_call(power" in text and "pulled(" in text   # linear in the depth
    assert srcgrad.grad(h.power)(1.3, 6) == pytest.approx(6 * 1.3 ** 5)


def test_the_callers_inputs_are_not_modified():
    b = np.array([1.0, 2.0, 3.0])

    def local(x, b):
        c = h.writes_into(b.copy(), x)
        return np.sum(c * c)

    srcgrad.grad(local)(0.5, b)
    np.testing.assert_array_equal(b, [1.0, 2.0, 3.0])


def dispatch(x, which):
    table = {"sin": np.sin, "cos": np.cos}
    return table[which](x)


def calls_argument(f, x):
    return f(x)


def calls_a_method_of_an_argument(model, x):
    return model.predict(x)


def test_a_method_of_an_argument_is_read_from_its_class():
    # (issue #14: a version of the gradient per class of model, tests/test_methods.py)
    df = srcgrad.grad(calls_a_method_of_an_argument, wrt=1)
    h_ = 1e-6
    fd = (calls_a_method_of_an_argument(h.MODEL, 0.3 + h_) -
          calls_a_method_of_an_argument(h.MODEL, 0.3 - h_)) / (2 * h_)
    assert np.isclose(df(h.MODEL, 0.3), fd)


def returns_nested_function(x):
    def g(t):
        return t * x
    return g


@pytest.mark.parametrize("fun,args,wrt,words", [
    (dispatch, (0.3, "sin"), 0, "cannot tell at transformation time"),
    (calls_argument, (np.sin, 0.3), 1, "cannot tell at transformation time"),
    (returns_nested_function, (0.3,), 0, "used as a value"),
])
def test_calls_that_cannot_be_resolved_are_clear_errors(fun, args, wrt, words):
    with pytest.raises(UnsupportedError) as info:
        srcgrad.grad(fun, wrt=wrt)(*args)
    text = str(info.value)
    assert words in text
    assert "test_calls.py:" in text and "hint:" in text
    if "cannot tell" in words:
        assert "srcgrad.defvjp" in text and "srcgrad.nondifferentiable" in text


def test_errors_inside_a_helper_name_the_helpers_file_and_line():
    with pytest.raises(UnsupportedError) as info:
        srcgrad.grad(uses_bad_helper)(0.5)
    assert info.value.filename.endswith("test_calls.py")
    assert info.value.lineno == bad_helper.__code__.co_firstlineno + 2
    assert "with is not supported" in str(info.value)


def bad_helper(x):
    y = x
    with open("f") as fh:
        y = x * fh.read().count("2")
    return y


def uses_bad_helper(x):
    return bad_helper(x) + 1.0


_ns = {}
exec("def made_by_exec(t):\n    return t * t\n", _ns)
made_by_exec = _ns["made_by_exec"]


def calls_function_without_source(x):
    return made_by_exec(x) + x


def calls_library_function_without_rule(x):
    return np.i0(x) + x          # numpy's Python source is never inlined


def test_call_of_a_function_without_source_names_the_call_site():
    with pytest.raises(UnsupportedError) as info:
        srcgrad.grad(calls_function_without_source)(0.5)
    text = str(info.value)
    assert "made_by_exec" in text and "source" in text
    assert info.value.lineno == calls_function_without_source.__code__.co_firstlineno + 1
    assert "srcgrad.defvjp" in text


def test_library_function_without_rule_is_not_inlined_but_refused():
    with pytest.raises(UnsupportedError) as info:
        srcgrad.grad(calls_library_function_without_rule)(0.5)
    assert "no derivative rule" in str(info.value) and "defvjp" in str(info.value)


_RNG = np.random.default_rng(3)
_X, _Y, _W = _RNG.normal(size=(6, 3)), _RNG.normal(size=6), _RNG.normal(size=3)


def test_gradient_of_a_partial_binding_the_data():
    f = functools.partial(p.data_loss, x=_X, y=_Y)
    df = srcgrad.grad(f)
    np.testing.assert_allclose(df(_W), numerical_grad(f, (_W,), 0), rtol=1e-6)
    # the keyword left free keeps its default and can be overridden
    np.testing.assert_allclose(df(_W, reg=2.0), numerical_grad(
        functools.partial(f, reg=2.0), (_W,), 0), rtol=1e-6)
    g = functools.partial(p.data_loss, _W)          # bound positionally
    dg = srcgrad.grad(g, wrt=0)
    np.testing.assert_allclose(dg(_X, _Y), numerical_grad(g, (_X, _Y), 0), rtol=1e-6)


def test_gradient_of_a_lambda():
    df = srcgrad.grad(lambda w: p.data_loss(w, _X, _Y) * 2.0)
    np.testing.assert_allclose(df(_W), 2.0 * numerical_grad(
        lambda w: p.data_loss(w, _X, _Y), (_W,), 0), rtol=1e-6)
    assert srcgrad.source(df).startswith("def d_lambda(w):")


def test_gradient_of_a_closure_made_by_a_factory():
    f = p.make_scaled_loss(1.7)
    df = srcgrad.grad(f, wrt=(0, 1))
    _check(f, (_W, _W[::-1].copy()), df(_W, _W[::-1].copy()), (0, 1))


def calls_method_through_its_class(model, x):
    return h.Model.predict(model, x) * x + h.Model.loss(model, x, 0.3)


def test_method_called_through_its_class_on_an_argument():
    model = h.Model(0.8, -0.3)
    df = srcgrad.grad(calls_method_through_its_class, wrt=(0, 1))
    d_model, d_x = df(model, 0.6)
    assert type(d_model) is h.Model
    for name in ("w", "b"):
        def along(v, name=name):
            m = h.Model(0.8, -0.3)
            setattr(m, name, v)
            return calls_method_through_its_class(m, 0.6)
        assert getattr(d_model, name) == pytest.approx(
            numerical_grad(along, (getattr(model, name),), 0), rel=1e-6)
    assert d_x == pytest.approx(numerical_grad(
        lambda x: calls_method_through_its_class(model, x), (0.6,), 0), rel=1e-6)


class Sub(h.Model):
    def predict(self, x):
        return 2.0 * x


def test_self_method_is_the_defining_class_s_and_checked_when_run():
    model = h.Model(0.8, -0.3)
    df = srcgrad.grad(h.Model.loss, wrt=(0, 1))
    d_model, d_x = df(model, 0.6, 0.2)
    assert d_x == pytest.approx(numerical_grad(lambda x: model.loss(x, 0.2), (0.6,), 0), rel=1e-6)
    assert "check_method(self, Model, 'predict')" in srcgrad.source(df)
    with pytest.raises(srcgrad.errors.SrcgradError, match="overrides predict"):
        df(Sub(0.8, -0.3), 0.6, 0.2)
