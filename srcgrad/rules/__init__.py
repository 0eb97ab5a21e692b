"""srcgrad's library of differentiation rules.

The mechanism is in :mod:`srcgrad.rules.registry`; the other modules declare
rules with the same public functions (``defvjp``, ``nondifferentiable``) that
users call for their own functions.
"""

from .registry import defvjp, lookup, nondifferentiable, stop_gradient, all_rules  # noqa: F401
from . import builtin_rules, math_rules, numpy_rules  # noqa: F401  (they register rules)
from . import tangent_rules  # noqa: F401  (tangent rules for forward mode; defjvp is in .registry)
from . import runtime_rules  # noqa: F401  (srcgrad's runtime helpers: derivatives of generated code)
