"""Rules for the :mod:`math` module (scalars in, a float out)."""

import math

from srcgrad.runtime import div_or_zero  # noqa: F401  (used in templates)
from srcgrad.rules.registry import defvjp, nondifferentiable

S = "scalar"

defvjp(math.sin, "x", "g * math.cos(x)", kind=S)
defvjp(math.cos, "x", "-g * math.sin(x)", kind=S)
defvjp(math.tan, "x", "g / math.cos(x) ** 2", kind=S)
defvjp(math.asin, "x", "g / math.sqrt(1.0 - x * x)", kind=S)
defvjp(math.acos, "x", "-g / math.sqrt(1.0 - x * x)", kind=S)
defvjp(math.atan, "x", "g / (1.0 + x * x)", kind=S)
defvjp(math.atan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)", kind=S)
defvjp(math.sinh, "x", "g * math.cosh(x)", kind=S)
defvjp(math.cosh, "x", "g * math.sinh(x)", kind=S)
defvjp(math.tanh, "x", "g * (1.0 - ans * ans)", kind=S)
defvjp(math.asinh, "x", "g / math.sqrt(x * x + 1.0)", kind=S)
defvjp(math.acosh, "x", "g / math.sqrt(x * x - 1.0)", kind=S)
defvjp(math.atanh, "x", "g / (1.0 - x * x)", kind=S)
defvjp(math.exp, "x", "g * ans", kind=S)
defvjp(math.expm1, "x", "g * (ans + 1.0)", kind=S)
defvjp(math.log, "x, base=2.718281828459045", "g / (x * math.log(base))", "-g * ans / (base * math.log(base))", kind=S)
defvjp(math.log1p, "x", "g / (1.0 + x)", kind=S)
defvjp(math.log2, "x", "g / (x * math.log(2.0))", kind=S)
defvjp(math.log10, "x", "g / (x * math.log(10.0))", kind=S)
defvjp(math.sqrt, "x", "g / (2.0 * ans)", kind=S)
defvjp(math.pow, "x, y", "g * y * x ** (y - 1.0 + (y == 0) * (x == 0))", "g * ans * math.log(x + (x == 0))", kind=S)
defvjp(math.fabs, "x", "g if x >= 0.0 else -g", kind=S)
defvjp(math.hypot, "x, y", "div_or_zero(g * x, ans)", "div_or_zero(g * y, ans)", kind=S)  # 0 at (0, 0)
defvjp(math.erf, "x", "g * 1.1283791670955126 * math.exp(-x * x)", kind=S)
defvjp(math.erfc, "x", "-g * 1.1283791670955126 * math.exp(-x * x)", kind=S)
defvjp(math.degrees, "x", "g * (180.0 / math.pi)", kind=S)
defvjp(math.radians, "x", "g * (math.pi / 180.0)", kind=S)
defvjp(math.fmod, "x, y", "g", "-g * math.trunc(x / y)", kind=S)
defvjp(math.remainder, "x, y", "g", "-g * round(x / y)", kind=S)
defvjp(math.copysign, "x, y", "g * math.copysign(1.0, x) * math.copysign(1.0, y)", kind=S)
if hasattr(math, "exp2"):       # Python 3.11+
    defvjp(math.exp2, "x", "g * ans * math.log(2.0)", kind=S)
if hasattr(math, "cbrt"):       # Python 3.11+
    defvjp(math.cbrt, "x", "g / (3.0 * ans * ans)", kind=S)
nondifferentiable(math.floor, math.ceil, math.trunc, math.isnan, math.isinf, math.isfinite,
                  math.isclose, math.factorial, math.gcd)
