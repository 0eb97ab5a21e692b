"""srcgrad: source-transformation automatic differentiation for Python and NumPy.

``srcgrad.grad(f)`` reads ``f``'s source and generates a new, readable Python
function that computes the gradient: a forward sweep that recomputes the
primal and records only what the adjoint needs, then the reversed adjoint
sweep.  ``srcgrad.source(df)`` shows the generated code.
"""

from srcgrad.api import (check_grad, clear_cache, disk_cache, grad, hessian, hvp, jacobian, jvp, source,
                         value_and_grad, vjp)
from srcgrad.errors import (ArgumentTypeError, GradientCheckError, NonScalarOutputError, RuleError,
                            SrcgradError, UnsupportedError)
from srcgrad.rules import defvjp, nondifferentiable, stop_gradient
from srcgrad.rules.faster import defranks, defreuse
from srcgrad.rules.registry import defcomplex, defjvp, holomorphic

__all__ = ["grad", "value_and_grad", "jvp", "vjp", "jacobian", "hvp", "hessian", "source", "check_grad", "clear_cache", "disk_cache", "defvjp", "defjvp", "defreuse", "defranks", "defcomplex", "holomorphic",
           "nondifferentiable", "stop_gradient", "SrcgradError", "UnsupportedError",
           "RuleError", "GradientCheckError", "NonScalarOutputError", "ArgumentTypeError"]
__version__ = "0.1.0"


def __getattr__(name):
    # the sparsity detectors import SciPy: only when asked for
    if name in ("jacobian_sparsity", "hessian_sparsity"):
        from srcgrad.api import sparsity
        return getattr(sparsity, name)
    raise AttributeError(f"module 'srcgrad' has no attribute {name!r}")
