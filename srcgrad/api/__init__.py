"""srcgrad's public API: the transforms and their checks.

``reverse`` (grad, value_and_grad, vjp, source), ``forward`` (jvp),
``higher`` (jacobian, hvp, hessian), ``check`` (check_grad) and ``cli`` (the
command line).  They call the compiler (``srcgrad.compiler.pipeline``); the
compiler never imports them: it is handed the :data:`driver.DRIVER` they
fill.
"""

from srcgrad.api.reverse import clear_cache, disk_cache, grad, source, value_and_grad, vjp
from srcgrad.api.forward import jvp
from srcgrad.api.higher import hessian, hvp, jacobian
from srcgrad.api.check import check_grad

__all__ = ["grad", "value_and_grad", "vjp", "source", "clear_cache", "disk_cache", "jvp", "jacobian", "hvp",
           "hessian", "check_grad"]
