"""The tables the analyses read: which primitive an operator, an array method
or attribute means; which functions may return a view of an argument or
change one in place; which arguments of a rule are limited.

>>> BINOPS[gast.Mult] is operator.mul, ARRAY_METHODS["sum"] is np.sum
(True, True)
>>> np.transpose in VIEW_FUNCTIONS, np.copy in VIEW_FUNCTIONS
(True, False)
>>> sorted(PARAM_LIMITS[np.var])
['correction', 'ddof']
"""

import builtins
import operator

import gast
import numpy as np

from srcgrad import runtime

BINOPS = {
    gast.Add: operator.add, gast.Sub: operator.sub, gast.Mult: operator.mul,
    gast.Div: operator.truediv, gast.Pow: operator.pow, gast.Mod: operator.mod,
    gast.FloorDiv: operator.floordiv, gast.MatMult: operator.matmul,
    gast.BitAnd: operator.and_, gast.BitOr: operator.or_, gast.BitXor: operator.xor,
    gast.LShift: operator.lshift, gast.RShift: operator.rshift,
}
UNARYOPS = {gast.USub: operator.neg, gast.UAdd: operator.pos, gast.Not: operator.not_,
            gast.Invert: operator.invert}
#: how an operator is written, for messages
OP_SYMBOLS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/", gast.Pow: "**",
              gast.Mod: "%", gast.FloorDiv: "//", gast.MatMult: "@", gast.USub: "unary -",
              gast.UAdd: "unary +", gast.Not: "not", gast.Invert: "~"}

#: ndarray methods that mean the NumPy function of the same name, with the
#: array as first argument
ARRAY_METHODS = {name: getattr(np, name) for name in (
    "sum", "mean", "prod", "max", "min", "dot", "reshape", "transpose", "ravel", "clip",
    "cumsum", "cumprod", "var", "std", "squeeze", "swapaxes", "repeat", "trace", "diagonal",
    "round", "argmax", "argmin", "argsort", "all", "any", "nonzero", "conj", "conjugate")}
ARRAY_METHODS["copy"] = np.copy
ARRAY_METHODS["flatten"] = np.ravel
#: attributes of arrays that carry no derivative
INACTIVE_ATTRIBUTES = {"shape", "ndim", "size", "dtype", "itemsize", "nbytes", "strides"}
#: attributes of arrays that are functions of the array
ARRAY_ATTRIBUTES = {"T": np.transpose, "real": np.real, "imag": np.imag}

#: functions whose result is real (a count, a shape, a truth value) for complex arguments
REAL_RESULTS = {len, int, bool, range, isinstance, np.shape, np.ndim, np.size, np.isnan, np.isinf,
                np.isfinite, np.argmax, np.argmin, np.argsort, np.nonzero, np.count_nonzero,
                np.all, np.any, np.isreal, np.iscomplex, np.iscomplexobj, np.isrealobj,
                np.signbit, np.isclose, np.allclose, np.array_equal, np.searchsorted,
                np.flatnonzero, np.argwhere, np.logical_and, np.logical_or, np.logical_not,
                np.logical_xor, np.greater, np.less, np.equal, np.not_equal, np.greater_equal,
                np.less_equal, operator.lt, operator.le, operator.gt, operator.ge, operator.eq,
                operator.ne, operator.not_, operator.is_, operator.is_not, operator.contains}

#: NumPy functions whose result may share memory with their first argument
VIEW_FUNCTIONS = {np.reshape, np.ravel, np.transpose, np.swapaxes, np.moveaxis, np.squeeze,
                  np.expand_dims, np.broadcast_to, np.diagonal, np.asarray, np.real, np.flip,
                  np.real_if_close,
                  np.atleast_1d, np.atleast_2d, np.atleast_3d, np.ndarray.reshape,
                  np.ndarray.transpose}
VIEW_FUNCTIONS |= {f for f in (getattr(np, n, None) for n in (
    "asanyarray", "ascontiguousarray", "asfortranarray", "fliplr", "flipud", "rot90", "imag",
    "matrix_transpose", "permute_dims", "rollaxis")) if f is not None}
# np.diff(a, n=0) and np.linalg.matrix_power(a, 1) return ``a`` itself
VIEW_FUNCTIONS |= {np.diff, np.linalg.matrix_power}
VIEW_FUNCTIONS |= {getattr(np.ndarray, n) for n in ("ravel", "squeeze", "swapaxes", "view")}

#: srcgrad's own helpers that may return their first argument itself
#: (in generated code, which hvp differentiates)
IDENTITY_HELPERS = {runtime.unbroadcast, runtime.fit, runtime.expand}

#: NumPy functions that change an argument in place
NUMPY_WRITERS = {np.copyto, np.put, np.place, np.putmask, np.fill_diagonal, np.put_along_axis,
                 np.random.shuffle, np.ndarray.sort, np.ndarray.fill, np.ndarray.put,
                 np.ndarray.partition, np.ndarray.resize}

#: methods that change a list or dict in place; statements calling them on a
#: local value are analysed (``append``, ``insert``, ``pop`` are differentiated)
CONTAINER_METHODS = {"append", "insert", "pop", "extend", "remove", "clear", "sort", "reverse",
                     "update", "setdefault", "popitem", "add", "discard"}
#: builtins whose rule depends on their arguments being containers
SEQ_FUNCTIONS = {builtins.max, builtins.min, builtins.list, builtins.tuple, builtins.enumerate,
                 builtins.zip, builtins.reversed, builtins.sorted, builtins.sum}
#: arguments of rules checked by the analysis: None -- the rule has no derivative
#: with respect to it (refused when it is varied); a tuple -- the values the rule
#: covers (refused otherwise when the result is active)
PARAM_LIMITS = {
    np.var: {"ddof": None, "correction": None},
    np.std: {"ddof": None, "correction": None},
    np.linalg.norm: {"ord": None},
    np.pad: {"kwargs": None},                  # constant_values, end_values
    np.linspace: {"retstep": (False,)},
    # obj.get(key) is differentiated as dict.get: a differentiated key means obj is no dict
    dict.get: {"key": None},
    # np.einsum(A, [0, 1], [1, 0]): the sublist form binds an operand to "subscripts"
    np.einsum: {"subscripts": ("np.einsum's sublist form (operands interleaved with lists of "
                               "axis numbers) is not differentiated",
                               "write the subscripts as a string, np.einsum('ij->ji', A), or "
                               "the axis numbers as literal lists, np.einsum(A, [0, 1], [1, 0])")},
}
#: rule name of the container rules whose result is an iterator or a dict view
ITERATOR_RULES = {"container enumerate": "iterator", "container reversed": "iterator",
                  "container values": "view", "container items": "view"}
ITERATOR_RULES.update({f"container zip{n}": "iterator" for n in range(1, 33)})
#: container rules that may consume an iterator
ITERATOR_CONSUMERS = {"iter_list", "enumerate", "reversed", "zip"}
#: methods of dicts differentiated (or known to carry no derivative) on a local value
DICT_METHODS = {"get", "keys", "values", "items"}
#: calls that make a container of a known kind
KIND_CALLS = {"list": "list", "sorted": "list", "tuple": "tuple", "dict": "dict"}
