"""The known failures of issue #10, one function each: every one must give
the right derivative (checked against central finite differences, in every
mode the case names) or a clear srcgrad refusal, never a wrong number or an
internal traceback.  ``CASES`` lists ``(function, args, wrt, modes)``."""

import numpy as np
import scipy.stats

X = np.array([0.5, -0.3, 0.8, 0.2])
M = np.arange(12.).reshape(3, 4) / 10
Y = 0.7


# --- silent wrong gradients -------------------------------------------------

def enumerate_zip_nested(x, y):
    s = 0.0
    for i, (a, b) in enumerate(zip(x, y)):
        s = s + (i + 1) * a * b
    return s


def list_enumerate(x):
    s = 0.0
    for i, e in list(enumerate(x)):
        s = s + (i + 1) * e
    return s


def list_zip(x):
    s = 0.0
    for a, b in list(zip(x, x)):
        s = s + a * b
    return s


def reversed_list_enumerate(x):
    s = 0.0
    for i, e in reversed(list(enumerate(x))):
        s = s * 0.5 + (i + 1) * e
    return s


def dict_call(a, b):
    d = dict(a=a, b=b)
    return d["a"] * d["b"]


def dict_get(y):
    d = {'a': 1.0, 'b': y}
    return d.get('b', 0.0) * 3.0


def linspace_ends(x, y):
    return np.sum(np.linspace(x, y, 5) ** 2)


def r_concat(x):
    return np.sum(np.r_[x, x] ** 2)


def c_concat(x):
    return np.sum(np.c_[x, x] ** 2)


def einsum_sublist(A):
    return np.sum(np.einsum(A, [0, 1], [1, 0]) * np.arange(12.).reshape(4, 3))


def einsum_sublist_named(A):
    axes = [0, 1]
    return np.sum(np.einsum(A, axes, [1, 0]) * np.arange(12.).reshape(4, 3))


def t_logpdf(mu, s):
    x = np.array([0.5, -0.3, 0.8, 0.2])
    return -np.sum(scipy.stats.t.logpdf(x, 4.0, loc=mu, scale=np.exp(s)))


def mvn_logpdf(m):
    X = np.array([[0.5, -0.3], [0.8, 0.2], [0.1, 0.4]])
    C = np.array([[1.0, 0.3], [0.3, 2.0]])
    return np.sum(scipy.stats.multivariate_normal.logpdf(X, mean=m, cov=C))


def view_bound_to_name(u0, k):
    u = u0.copy()
    v = u[1:]
    v += k
    return np.sum(u ** 2)


def out_argument(x3, k):
    out = np.zeros(3)
    np.multiply(x3, k, out=out)
    return np.sum(out)


def aug_slice_write(x, y):
    a = x.copy()
    a[1:3] *= y
    return np.sum(a)


def slice_write_2d(M):
    m = M.copy()
    m[1:, :2] = m[0] @ m[1]
    return np.sum(m * m)


def slice_write_from_comprehension(x):
    a = x.copy()
    s = sum([e * e for e in x])
    a[1:3] = s
    return np.sum(np.sin(a))


def rebind_iterated(x):
    s = 0.0
    for e in x:
        x = x * 2.0
        s = s + e
    return s


def where_constant_mask(x):
    c = np.where(np.array([1., -1., 2.]) > 0, 1.0, 0.5)
    return np.sin(np.sum(c * x))


def where_mask_of_args(x, y):
    return np.sum(np.where(np.array([y, x]) > 0, 1.0, 0.5) * x)


def forward_overlapping_slices(x):
    a = x + 0.0
    a[1:3] += a[0:2]
    return np.sum(np.sin(a))


def forward_self_dot(x):
    a = x + 0.0
    a[3] += np.dot(a, a)
    return np.sum(np.sin(a))


def std_axis_of_one_row(x13):
    return np.sum(np.std(x13, axis=0))


def std_of_scalar(y):
    return np.std(y) + y


def power_zero_base(y):
    return np.power(0.0, y) + y


def hstack_one_array(x):
    return np.sum(np.hstack(x) ** 2)


# --- internal crashes --------------------------------------------------------

def slice_aug_column(M):
    m = M * 1.0
    m[:, 0] += M[:, 1]
    return np.sum(m ** 2)


def slice_write_in_while(x):
    a = x * 1.0
    k = 0
    while k < 2:
        a[1:4] = a[0:3] * 0.5 + a[1:4]
        k += 1
    return np.sum(a ** 2)


def column_cubed(M):
    return np.sum(M[:, 0] ** 3)


def none_index(x):
    c = x * 2.0
    return np.sum(c[:, None] * c[None, :])


def enumerate_zip_scale(x, y):
    s = y
    for i, (u, v) in enumerate(zip(x, x)):
        s = s * (1.0 + 0.1 * i)
    return s


def loop_axis_sum(y, M):
    for i in range(2):
        y = y + np.sum(np.sum(M * y, axis=1))
    return y


def loop_dot_row(y, M):
    for i in range(2):
        y = np.sum(np.dot(M * y, M[0]))
    return y


def loop_array_of_scalars(x):
    z = 0.0
    for i in range(2):
        z = z + np.sum(np.array([x, 2.0 * x]))
    return z


def list_where_in_loop(x):
    z = [x * x, 1.0]
    for i in range(2):
        z[0] = np.where(x > z[0], x, z[0] * 0.5)
    return z[0] + z[1]


def fancy_write_scalar(x, M):
    z = [M[1, 0] for e in x]
    a = x.copy()
    a[[0, 2]] = M[2, 0]
    return np.sum(np.sin(a)) + z[0]


def mask_write_mean(x):
    a = x.copy()
    a[a > 0.0] = np.mean(a)
    return np.sum(np.sin(a))


def for_var_changed_in_while(x, y):
    s = 0
    for i in range(4):
        c = 0
        while np.sin(i + 1) < 1.2 and c < 4:
            c += 1
            i -= float(s) * 0.2
        y *= 1.0 + 0.3 * np.tanh(i)
    for e in (x, y):
        s /= 1.5 + np.sin(e)
    return x + y + s


def concat_tuple(xs):
    return np.sum(np.concatenate(xs, 0) ** 2)


def hstack_tuple(xs):
    return np.sum(np.hstack(xs) ** 2)


def pad_constant(x):
    return np.sum(np.pad(x, (3,), "constant") ** 2)


def enumerate_sorted_dict(A, d):
    for i, k in enumerate(sorted(d)):
        A = A + np.sum(np.sin(d[k])) * (i + 1.)
    return A


def norm_of_list(y):
    return np.linalg.norm([y, y + 2.0])


def pow_zero_exponent(y):
    return y ** 0.0 + np.power(y, 0.0) + y


def cast_to_int_index(W):
    return W[:, :-1][np.int64(W[:, -1])].sum() ** 2


def with_default(x, y, num=5):
    return np.sum(np.sin(x) * y) * num
