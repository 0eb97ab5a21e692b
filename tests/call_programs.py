"""Programs that call functions of their own: helpers in this module and in
tests/call_helpers.py, nested functions, lambdas, partials, methods,
recursion.  Each is checked against finite differences by tests/test_calls.py."""

import functools
import math

import numpy as np

from tests import call_helpers as h
from tests.call_helpers import MODEL, scaled, two_level, wave

OFFSET = 0.75


def cube(x):
    return x * x * x


def early(x):
    if x < 0:
        return -x
    y = x * 2.0
    return y * y


def calls_module_helper(x):
    return cube(x) + OFFSET * cube(x + 1.0)


def calls_other_module(x, y):
    return scaled(x) + two_level(x, y) + h.decay(x, y)


def keyword_and_default_arguments(x):
    return wave(x) + wave(x, 3.0) + wave(x, phase=0.5) + wave(freq=2.0, x=x, phase=x)


def helper_with_early_return(x):
    return early(x) + early(-x) * 0.5


def helper_with_loop_and_break(x):
    return h.loop_helper(x, 10) + h.loop_helper(x * 0.5, 2)


def helper_in_loop(x):
    s = x
    for i in range(4):
        s = s + cube(s * 0.3) * 0.1
    return s


def helper_in_while_condition(x):
    n = 0
    while cube(x) < 50.0 and n < 20:
        x = x * 1.3
        n = n + 1
    return x


def helper_in_branch_test(x):
    if cube(x) > 1.0:
        return early(x)
    return cube(x)


def helper_in_conditional_expression(x):
    return cube(x) if x > 0.5 else h.smooth_abs(x)


def helper_in_boolean_operands(x):
    ok = x > 0 and cube(x) > 0.1
    return x * 2.0 if ok else x * 3.0


def nested_def_closure(x, y):
    k = 1.5

    def g(t):
        return k * t * y

    k = 2.0          # late binding: g sees the value at the call
    return g(x) + g(g(x))


def nested_def_with_default(x):
    scale = 3.0

    def f(t, s=scale):
        return s * t * t

    scale = 100.0    # the default was taken at the definition
    return f(x) + f(x, 0.5)


def lambda_assigned(x):
    sq = lambda t: t * t
    shift = lambda t, d=1.0: t + d
    return sq(shift(x)) + sq(x)


def lambda_passed_inline(x):
    return h.apply_twice(lambda t: t * math.sin(t), x) + h.forwards(lambda a, b: a * b, x, x)


def function_passed_as_argument(x):
    return h.apply_twice(cube, x) + h.apply_twice(np.tanh, x) + h.forwards(wave, x, freq=2.0)


def star_args_forwarding(x, y):
    return h.forwards(two_level, x, y) + h.forwards(wave, x, 2.0, phase=y)


def partial_in_function(x):
    p = functools.partial(wave, freq=3.0)
    q = functools.partial(h.decay, x)
    return p(x) + q(0.5) + q(rate=2.0)


def partial_at_module_level(x):
    return h.half_wave(x) + h.half_wave(x, phase=1.0)


def method_of_global_object(x):
    return MODEL.predict(x) + MODEL.loss(x, 0.5) + h.Model.square(x)


def recursion(x):
    return h.power(x, 5) + 1.0


def branching_recursion(x):
    return h.tree_sum(x, 4)


def helper_on_arrays(v):
    return h.weighted(v * v) + np.sum(cube(v))


def nested_helpers_three_deep(x):
    def inner(t):
        def innermost(u):
            return cube(u) + u
        return innermost(t) * t
    return inner(x) + inner(inner(x) * 0.1)


def shadowing_names(x):
    # the caller's names equal to the callee's: t, s, SCALE-like globals
    t = x + 1.0
    s = t * 2.0
    return cube(t) + s + scaled(s) + x


def calls_for_effect(x):
    a = np.zeros(3)
    a[1] = x
    b = np.array([x, 2.0 * x, 3.0])
    c = h.writes_into(b.copy(), x * x)
    return np.sum(a * c) + np.sum(c)


def non_differentiable_values_flow_through(x, v):
    # strings, ints, bools, None, shapes and index arrays pass through helpers
    y = h.activation(x, "tanh") + h.activation(x, "relu", None)
    n = len(v)
    idx = np.arange(n)[::2]
    return y * np.sum(v[idx]) + h.activation(v, "tanh", v.shape).sum() / n


def shadows_numpy_name(x):
    np = 2.0          # a local called np: generated code must still find numpy
    return np * math.sin(x) + cube(x) * np


def data_loss(w, x, y, *, reg=0.1):
    return np.sum((np.tanh(x @ w) - y) ** 2) + reg * np.sum(w * w)


def make_scaled_loss(scale):
    def scaled_loss(w, x):
        return scale * np.sum(np.sin(w * x)) + cube(scale) * np.sum(w)
    return scaled_loss


def kwargs_read_in_the_callee(x):
    acc = []
    for i in range(3):
        h.add_to(acc, x * i, scale=x)
    return h.power_with_options(x, power=3, shift=0.5) + h.power_with_options(x) + sum(acc)


def partial_of_a_bound_method(x):
    p = functools.partial(MODEL.loss, y=0.25)
    return p(x) + p(2.0 * x)
