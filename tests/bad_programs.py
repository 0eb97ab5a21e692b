"""Functions srcgrad must refuse, with a clear message."""

import numpy as np

COUNTER = 0


def uses_try(x):
    try:
        y = x * 2
    except x.Error:
        y = x
    return y


def uses_with(x):
    with open("f") as fh:
        y = x * 2
    return y


def uses_yield(x):
    yield x * 2


def assigns_global(x):
    global COUNTER
    COUNTER = x
    return x * 2


def calls_without_rule(x):
    m, e = np.frexp(x)
    return m * x


class Thing:
    def apply(self, x):
        return x * 3


def calls_runtime_chosen(x, fns):
    return fns[0](x) * x


def vector_valued(x):
    return x * 2.0


def unsupported_lambda(x):
    return max(x, 2 * x, key=lambda t: -t)
    # a lambda passed to a function that srcgrad does not inline


def writes_through_alias(x):
    a = np.zeros(3)
    b = a
    b[0] = x
    return np.sum(a * x)


def writes_while_view_alive(x):
    a = np.ones((2, 2)) * x
    row = a[0]
    a[0, 0] = 5.0
    return np.sum(row * a)


def writes_into_view_of_live_array(x):
    a = np.ones((2, 2)) * x
    row = a[0]
    row[1] = x * 3.0
    return np.sum(a)
