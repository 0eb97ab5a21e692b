"""Rules for Python's operators and builtins.

Operators are looked up through the :mod:`operator` function they stand for:
the compiler turns ``a * b`` into a call of ``operator.mul`` for analysis and
prints it back as ``a * b``.
"""

import builtins
import operator

import numpy as np

from srcgrad.runtime import matmul_dx, matmul_dy, sum_dx, unbroadcast  # noqa: F401  (used in templates)
from srcgrad.rules.registry import defvjp, nondifferentiable

E = "elementwise"

defvjp(operator.add, "x, y", "g", "g", kind=E)
defvjp(operator.sub, "x, y", "g", "-g", kind=E)
defvjp(operator.mul, "x, y", "g * y", "g * x", kind=E)
defvjp(operator.truediv, "x, y", "g / y", "-g * x / (y * y)", kind=E)
# (guarded where x ** 0 and 0 ** y would give 0 * inf: see numpy_rules, np.power)
defvjp(operator.pow, "x, y", "g * y * x ** (y - 1 + (y == 0) * (x == 0))", "g * ans * np.log(x + (x == 0))", kind=E)
defvjp(operator.mod, "x, y", "g", "-g * (x // y)", kind=E)
defvjp(operator.neg, "x", "-g", kind=E)
defvjp(operator.pos, "x", "g", kind=E)
defvjp(operator.matmul, "x, y", "matmul_dx(g, x, y)", "matmul_dy(g, x, y)")
nondifferentiable(operator.floordiv, operator.not_, operator.invert,
                  operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne,
                  operator.is_, operator.is_not, operator.contains,
                  operator.and_, operator.or_, operator.xor, operator.lshift, operator.rshift)

defvjp(builtins.abs, "x", "g * np.sign(x)", kind=E)
defvjp(builtins.max, "a, b", "g * (a >= b)", "g * (a < b)", kind=E)
defvjp(builtins.min, "a, b", "g * (a <= b)", "g * (a > b)", kind=E)
defvjp(builtins.pow, "x, y", "g * y * x ** (y - 1 + (y == 0) * (x == 0))", "g * ans * np.log(x + (x == 0))", kind=E)
defvjp(builtins.float, "x", "g", kind="scalar")
# sum(x) of an array adds up its rows (the first axis); of a list, its elements
defvjp(builtins.sum, "iterable, /, start=0", "sum_dx(g, iterable)", "unbroadcast(g, start)")
# enumerate, zip, reversed, list, tuple and sorted carry their items' derivatives: the
# analysis gives them container rules (srcgrad/analyse.py, container_call)
nondifferentiable(builtins.len, builtins.range, builtins.int, builtins.round, builtins.bool,
                  builtins.isinstance, builtins.print, builtins.type, builtins.str, builtins.repr,
                  builtins.id, builtins.hash)
