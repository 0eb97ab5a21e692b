"""srcgrad's library of differentiation rules.

The mechanism is in :mod:`srcgrad.rules.registry`; the other modules declare
rules with the same public functions (``defvjp``, ``nondifferentiable``) that
users call for their own functions.
"""

from srcgrad.rules.faster import defranks, defreuse  # noqa: F401
from srcgrad.rules.registry import defvjp, lookup, nondifferentiable, stop_gradient, all_rules  # noqa: F401
# the rule modules register their rules when imported
from srcgrad.rules import builtin_rules, math_rules, numpy_rules  # noqa: F401
from srcgrad.rules import tangent_rules  # noqa: F401  (forward mode; defjvp is in .registry)
from srcgrad.rules import numpy_more_rules  # noqa: F401  (diff, sort, quantile, interp, ...)
from srcgrad.rules import runtime_rules  # noqa: F401  (srcgrad's runtime helpers: derivatives of generated code)
from srcgrad.rules import complex_rules  # noqa: F401  (complex numbers, np.fft)
