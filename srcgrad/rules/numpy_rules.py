"""Rules for NumPy's elementwise functions, reductions and products.

Each rule is one line: the function, its parameters, the adjoint of each
differentiable parameter.  ``kind="elementwise"`` lets the compiler reduce
broadcast adjoints to each argument's shape, and only where shapes may differ.
"""

import numpy as np

from ..runtime import (dot_dx, dot_dy, matmul_dx, matmul_dy, unreduce,  # noqa: F401
                       unreduce_extreme)  # (used in templates)
from .registry import defvjp, nondifferentiable

E = "elementwise"
R = "reduction"

# arithmetic ufuncs
defvjp(np.add, "x, y", "g", "g", kind=E)
defvjp(np.subtract, "x, y", "g", "-g", kind=E)
defvjp(np.multiply, "x, y", "g * y", "g * x", kind=E)
defvjp(np.divide, "x, y", "g / y", "-g * x / (y * y)", kind=E)
defvjp(np.true_divide, "x, y", "g / y", "-g * x / (y * y)", kind=E)
defvjp(np.power, "x, y", "g * y * x ** (y - 1)", "g * ans * np.log(x)", kind=E)
defvjp(np.negative, "x", "-g", kind=E)
defvjp(np.positive, "x", "g", kind=E)
defvjp(np.square, "x", "g * 2.0 * x", kind=E)
defvjp(np.sqrt, "x", "g / (2.0 * ans)", kind=E)
defvjp(np.cbrt, "x", "g / (3.0 * ans * ans)", kind=E)
defvjp(np.reciprocal, "x", "-g * ans * ans", kind=E)
defvjp(np.abs, "x", "g * np.sign(x)", kind=E)
defvjp(np.fabs, "x", "g * np.sign(x)", kind=E)
defvjp(np.maximum, "x, y", "g * (x >= y)", "g * (x < y)", kind=E)
defvjp(np.minimum, "x, y", "g * (x <= y)", "g * (x > y)", kind=E)
defvjp(np.fmax, "x, y", "g * (x >= y)", "g * (x < y)", kind=E)
defvjp(np.fmin, "x, y", "g * (x <= y)", "g * (x > y)", kind=E)

# exponentials and logarithms
defvjp(np.exp, "x", "g * ans", kind=E)
defvjp(np.exp2, "x", "g * ans * np.log(2.0)", kind=E)
defvjp(np.expm1, "x", "g * (ans + 1.0)", kind=E)
defvjp(np.log, "x", "g / x", kind=E)
defvjp(np.log2, "x", "g / (x * np.log(2.0))", kind=E)
defvjp(np.log10, "x", "g / (x * np.log(10.0))", kind=E)
defvjp(np.log1p, "x", "g / (1.0 + x)", kind=E)
defvjp(np.logaddexp, "x, y", "g * np.exp(x - ans)", "g * np.exp(y - ans)", kind=E)

# trigonometric and hyperbolic
defvjp(np.sin, "x", "g * np.cos(x)", kind=E)
defvjp(np.cos, "x", "-g * np.sin(x)", kind=E)
defvjp(np.tan, "x", "g / np.cos(x) ** 2", kind=E)
defvjp(np.arcsin, "x", "g / np.sqrt(1.0 - x * x)", kind=E)
defvjp(np.arccos, "x", "-g / np.sqrt(1.0 - x * x)", kind=E)
defvjp(np.arctan, "x", "g / (1.0 + x * x)", kind=E)
defvjp(np.arctan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)", kind=E)
defvjp(np.hypot, "x, y", "g * x / ans", "g * y / ans", kind=E)
defvjp(np.sinh, "x", "g * np.cosh(x)", kind=E)
defvjp(np.cosh, "x", "g * np.sinh(x)", kind=E)
defvjp(np.tanh, "x", "g * (1.0 - ans * ans)", kind=E)
defvjp(np.arcsinh, "x", "g / np.sqrt(x * x + 1.0)", kind=E)
defvjp(np.arccosh, "x", "g / np.sqrt(x * x - 1.0)", kind=E)
defvjp(np.arctanh, "x", "g / (1.0 - x * x)", kind=E)

# selection
defvjp(np.where, "condition, x, y", None, "np.where(condition, g, 0.0)", "np.where(condition, 0.0, g)", kind=E)
defvjp(np.clip, "a, a_min, a_max", "g * (ans == a)", kind=E)

# reductions
defvjp(np.sum, "a, axis=None, dtype=None, out=None, keepdims=False", "unreduce(g, a, axis, keepdims)", kind=R)
defvjp(np.mean, "a, axis=None, dtype=None, out=None, keepdims=False",
       "unreduce(g, a, axis, keepdims) * (np.size(ans) / np.size(a))", kind=R)
for _extreme in (np.max, np.min, np.amax, np.amin):
    defvjp(_extreme, "a, axis=None, out=None, keepdims=False",
           "unreduce_extreme(g, a, ans, axis, keepdims)", kind=R)

# products
defvjp(np.dot, "a, b", "dot_dx(g, a, b)", "dot_dy(g, a, b)")
defvjp(np.matmul, "x, y", "matmul_dx(g, x, y)", "matmul_dy(g, x, y)")

nondifferentiable(np.sign, np.floor, np.ceil, np.round, np.rint, np.trunc, np.floor_divide,
                  np.argmax, np.argmin, np.argsort, np.isnan, np.isinf, np.isfinite,
                  np.shape, np.ndim, np.size, np.zeros, np.ones, np.empty, np.arange, np.linspace,
                  np.zeros_like, np.ones_like, np.empty_like, np.greater, np.less, np.equal,
                  np.greater_equal, np.less_equal, np.not_equal, np.logical_and, np.logical_or,
                  np.logical_not, np.all, np.any, np.count_nonzero)
