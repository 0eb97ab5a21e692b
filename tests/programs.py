"""Functions that the construct tests differentiate (srcgrad reads their source)."""

import math

import numpy as np
import numpy as xp                      # an alias: names resolve as Python resolves them
from numpy import sin as numpy_sin

SCALE = 0.5
WEIGHTS = np.array([0.5, -1.0, 2.0])


# -- straight-line code --------------------------------------------------------

def arithmetic(x, y):
    a = x * y + x / y - y ** 2
    b = -a + (+x) - 3.0 * y
    return a * b + x % 3.0 + x ** 3 / 2


def golden(x, y):
    a = x * y
    b = np.sin(x)
    return a + b


def overwrite(x):
    y = x * 2.0
    y = y * y
    y = np.sin(y) + y
    return y


def augmented(x, y):
    s = x
    s += y
    s *= x
    s -= 1.0
    s /= y
    s **= 2
    return s


def unpacking(x, y):
    a, b = x, y
    a, b = b, a * b
    (c, d), e = (a, b), x
    return c * d + e


def docstring_and_annotations(x: float, y: float) -> float:
    """A docstring is not code."""
    # a comment
    s: float = x * y
    t: float
    return s + x


def conditional_expression(x):
    y = x * x if x > 0 else -x
    return y + (2.0 * x if y > 1.0 else 3.0 * x)


def comparisons_and_logic(x, y):
    flag = 0.0 < x < 10.0 and not y > 5.0
    z = x * y if flag else x + y
    w = x or y
    return z + w


def floor_division_is_constant(x):
    return x * (x // 1.0)


def matmul_and_broadcast(w, x):
    h = x @ w
    return np.sum(np.tanh(h) * WEIGHTS + SCALE * w[0])


def broadcast_scalar_array(k, v):
    return np.sum(k * v + k)


def broadcast_rows(row, m):
    return np.sum(np.sin(m * row) - row / 3.0)


def module_aliases(x):
    return xp.sum(numpy_sin(x)) + math.cos(np.sum(x))


def math_functions(x, y):
    return (math.sin(x) * math.cos(y) + math.tan(x / 3) + math.exp(-y) + math.log(y)
            + math.sqrt(x) + math.atan2(y, x) + math.tanh(x) + abs(x - y)
            + min(x, y) + max(x, 2 * y) + math.hypot(x, y))


def numpy_elementwise(x):
    return np.sum(np.exp(-x) * np.cos(x) + np.log1p(x * x) + np.sqrt(x + 2.0)
                  + np.maximum(x, 0.1) + np.abs(x) * np.tanh(x) + np.square(x))


# -- branches ---------------------------------------------------------------------

def branch(x):
    if x > 1.0:
        y = x * x
    elif x > 0.0:
        y = np.sin(x)
    else:
        y = -x * 3.0
    return y * x


def branch_one_sided(x, y):
    z = y
    if x > 0:
        z = z * x
    return z + x


def branch_returns(x):
    if x > 2.0:
        return x ** 3
    if x > 0.0:
        return x * 2.0
    return np.exp(x)


def nested_branches(x, y):
    if x > 0:
        if y > 0:
            r = x * y
        else:
            r = x - y
    else:
        r = x + y
        if r > -1:
            r = r * r
    return r


# -- loops ------------------------------------------------------------------------

def for_range(x, n):
    s = 0.0
    for i in range(n):
        s = s + x ** i / (i + 1)
    return s


def for_range_start_step(x):
    p = 1.0
    for i in range(1, 8, 3):
        p = p * (x + i)
    return p


def for_over_array(w, v):
    total = 0.0
    for row in v:
        total = total + np.sum(row * w)
    return total


def for_over_list(x):
    total = 0.0
    for c in [1.0, 2.0, 3.0]:
        total = total + c * x * x
    return total


def for_enumerate(x):
    total = 0.0
    for i, v in enumerate(x):
        total = total + i * v * v
    return total


def for_zip(a, b):
    total = 0.0
    for u, v in zip(a, b):
        total = total + u * np.sin(v)
    return total


def nested_loops(x, n):
    s = 0.0
    for i in range(n):
        for j in range(i):
            s = s + x * j
        s = s * 0.9
    return s


def loop_with_branch(x, n):
    y = x
    for i in range(n):
        if y > 1.0:
            y = y * 0.5
        else:
            y = y * y + 0.5
    return y


def while_loop(x):
    y = x
    n = 0
    while y < 10.0:
        y = y * 1.5 + 0.1
        n = n + 1
    return y * n


def while_true_break(x):
    y = x
    while True:
        y = np.sin(y) + y
        if y > 3.0:
            break
    return y


def break_in_for(x):
    s = 0.0
    for i in range(100):
        s = s + x * i
        if s > 10.0:
            break
        s = s * 1.01
    return s


def continue_in_for(x):
    s = 0.0
    for i in range(10):
        if i % 3 == 0:
            continue
        s = s + x * i
    return s


def return_in_loop(x):
    y = x
    for i in range(50):
        y = y * 1.3
        if y > 20.0:
            return y * 2.0
    return -y


def return_in_nested_loop(x):
    y = x
    for i in range(10):
        for j in range(10):
            y = y + x * 0.1
            if y > 3.0:
                return y * y
    return y


def for_else(x):
    s = x
    for i in range(3):
        s = s * x
        if s > 100.0:
            break
    else:
        s = s + 1.0
    return s


def value_used_after_loop(x, n):
    for i in range(n):
        y = x * i
    return y * x


def loop_carried_overwrites(x, n):
    a = x
    b = 2.0 * x
    for i in range(n):
        a, b = b, a * b * 0.1
    return a + b


def euler(k, x0, T):
    x = x0
    dt = 0.01
    for t in range(T):
        x = x + dt * (-k * x + math.sin(t * dt))
    return x


def rnn(W, x0, T):
    x = x0
    for t in range(T):
        x = x + 0.1 * np.tanh(W @ x)
    return np.sum(x * x)


def rnn_batch(W, X0, T):
    # W @ X with a matrix X: the outer products of the gradient are matrix products
    X = X0
    for t in range(T):
        X = X + 0.1 * np.tanh(W @ X)
    return np.sum(X * X)


def rnn_written(W, x0, T):
    # x is written into after W @ x: its values must be read before the write
    x = x0 * 1.0
    for t in range(T):
        h = np.tanh(W @ x)
        x[0] = x[0] * 0.5 + h[1]
        x = x + 0.1 * h
    return np.sum(x * x)


def sum_axis0_and_mean(x, y):
    # lazy adjoints: the sum over axis 0 and the mean broadcast back
    a = np.sum(x * y, axis=0)
    return np.mean(np.sin(a) * x[0]) + np.sum(x[1:] * x[:-1])


# -- misc -----------------------------------------------------------------------

def constant_result(x):
    return 3.0


def unused_argument(x, y):
    return x * x


def vector_result(x):
    return x * 2.0


def keyword_defaults(x, scale=2.0, *, shift=1.0):
    return np.sum((x * scale + shift) ** 2)


def mutates_nothing(x):
    y = x * 2.0
    return np.sum(y * y)


def integer_argument(n, x):
    return x * n * n


def long_function(x, y, z):
    a = x * y
    b = a + z
    c = np.sin(b)
    d = c * x
    e = np.exp(-d)
    f = e + y * z
    g = f / (1.0 + x * x)
    h = np.sqrt(g * g + 1.0)
    i = h * a
    j = i - b
    if j > 0:
        k = j * 2.0
    else:
        k = -j
    m = 0.0
    for t in range(5):
        m = m + k * t
        if m > 50.0:
            m = m * 0.5
    n = m + a
    o = np.tanh(n)
    p = o * o + c
    q = p * y
    r = q + np.log(1.0 + x * x)
    s = r * z
    u = s + d
    return u * 0.5 + q


def carried_uses_result(x, n):
    y = x
    for i in range(n):
        y = np.exp(y * 0.1)
        y = np.sqrt(y + y * y)
    return y


def alias_then_inplace(x, n):
    v = x * 1.0
    for i in range(n):
        w = np.tanh(v)
        z = np.sum(v * v)
        v = v + w
    return np.sum(v) + z


def shape_changes_in_loop(vs, w):
    total = 0.0
    for v in vs:
        u = total * 2.0
        total = total + v * w
        total = total + np.sum(u) * 0.1
    return np.sum(total * total)


# -- writing into arrays ----------------------------------------------------------

def fill_in_loop(x, n):
    ys = np.zeros(n)
    for t in range(n):
        ys[t] = x * t
    return np.sum(ys * ys)


def write_slices(x, v):
    a = np.zeros(6)
    a[1:4] = v * x
    a[::2] = a[::2] + x ** 2
    a[-1] = np.sum(a)
    return np.sum(np.sin(a))


def write_reads_old_values(x, n):
    a = x * 1.0
    for t in range(n):
        a[t % 3] = a[t % 3] * a[(t + 1) % 3] + 0.1
    return np.sum(a * a)


def augmented_repeated_indices(x, w):
    a = np.zeros(4)
    idx = np.array([0, 2, 2, 3])
    a[idx] += w * x
    m = np.zeros((3, 3))
    m[[0, 2, 0], [1, 1, 1]] = x[:3] * w
    return np.sum(a * a) + np.sum(m * x[:3])


def write_mask(x):
    a = x * 2.0
    a[x > 0.5] = x[x > 0.5] ** 2
    return np.sum(a * np.cos(a))


def write_into_argument(x, v):
    x[0] = v * v
    x[2] = x[1] * v
    return np.sum(x * x)


def write_2d_rows(W, s):
    out = np.zeros((3, 2))
    for i in range(3):
        out[i] = W[i] * s + i
    out[:, 1] = out[:, 0] * s
    return np.sum(out ** 2)


# -- reading array elements --------------------------------------------------------

def read_indexing(x):
    a = x[::-1] * x
    b = x[None, :] * 2.0
    c = x[..., 1]
    d = x[[0, 0, 2, 2, 2]]
    e = x[x > 0.3]
    f = np.take(x, [1, 1, 3])
    return np.sum(a * a) + np.sum(b ** 3) + c * 0.5 + np.sum(d * d) + np.sum(np.sin(e)) + np.sum(f ** 2)


def integer_results_are_constant(x):
    k = x.astype(int)
    n = np.round(x * 3.0)
    i = np.argmax(x)
    return np.sum(k * x) + np.sum(n * x) + x[i] * i + len(x) * np.sum(x)


# -- lists of arrays in and out ---------------------------------------------------

def lists_of_arrays(a, b):
    c = np.concatenate([a, b * 2.0])
    s = np.stack([a, np.sin(b)], axis=1)
    h = np.hstack((a, b))
    v = np.vstack([a, b])
    m = np.array([a, b * b])
    parts = np.split(c, 2)
    return (np.sum(c * c) + np.sum(s[:, 1] * s[:, 0]) + np.sum(h ** 3) + np.sum(v * m)
            + np.sum(parts[1] * 3.0))


def array_of_scalars(x, y):
    v = np.array([x, x * y, [y, 1.0][0]])
    w = np.asarray([y, x * x])
    return np.sum(v * v * np.array([1.0, 2.0, 3.0])) + np.sum(w * w)


def fresh_array_each_iteration(x, n):
    total = 0.0
    for i in range(n):
        a = x * 0.5
        a[1:3] = a[3] * x[1:3] + a[1:3]
        total = total + np.sum(a * a)
    return total


def return_in_second_loop(u, y):
    # the test 'not returned' guarding the second loop reads a flag that loop
    # sets: the reverse sweep must see the value before the loop (fuzzer find)
    a = u * 1.0
    if u > 0.3:
        c = 0
        while c < 1:
            c = c + 1
            if y > 5.0:
                return y
        c = 0
        while c < 1:
            c = c + 1
            if u > 0.56:
                return np.tanh(y * u)
            a = y * a
    return u + y + a
