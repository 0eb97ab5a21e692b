"""Sparsity detection: which outputs can depend on which inputs.

``jacobian_sparsity(f, wrt)(*args)`` runs ``f`` once with the ``wrt``
argument replaced by a :class:`Deps` array: each element carries, besides its
value, the set of input elements it depends on (one row of a boolean
``scipy.sparse`` matrix, elements in C order).  NumPy calls on it go through
``__array_ufunc__`` / ``__array_function__``, each propagating the sets:

* an elementwise ufunc: the union of its (broadcast) arguments' sets; a
  piecewise-constant one (comparisons, ``floor``, ``sign`` ...): no set;
* a reduction (``sum``, ``max``, ``np.add.reduce`` ...): the union over the
  reduced axes; a scan or a sort along an axis: the union over that axis;
* a function that only moves elements (``reshape``, ``transpose``,
  ``concatenate``, ``pad``, ``diag``, indexing ...): applied to the element
  numbers, so each output element gets exactly its source's set; results
  that are NumPy views stay views (a write through them reaches the base);
* ``matmul``/``dot`` of 2-D operands: a constant operand's nonzeros decide
  which elements combine, two traced operands give row-union x column-union;
* **anything else** (``np.linalg.*``, ``np.einsum``, a function without a
  rule in :mod:`srcgrad.api.sparsity_rules`): every output element depends
  on every input element its arguments depend on ("when in doubt, dense
  rows").

It is a pass over the function's own code (the code srcgrad transforms), by
NumPy dispatch.  The pattern found is a superset of the true one *at the
given arguments*: a branch (``if``), an integer index or a loop bound
computed from the traced values takes the path of those arguments
(``np.where``, ``maximum``, ``clip`` and ``abs`` keep both sides).  A traced value written
into a plain NumPy array (``out = np.zeros(n); out[i] = x[i]``), or turned
into a float, cannot carry its set: the whole trace is then abandoned and the
pattern is dense (with a warning), never smaller than the truth.

``hessian_sparsity(f, wrt)`` runs the same trace and also collects the pairs
of inputs that meet in a **nonlinear** operation: an operation linear in its
traced arguments (``+``, ``-``, a product with a constant, ``sum``, indexing,
moves, and the piecewise-linear ``abs``, ``maximum``, ``where``, ``sort``
...) adds none; a product of two traced values adds the pairs across
(``R_a^T R_b``); any other (``exp``, ``**``, ``/`` by a traced value,
``prod``, ``norm``, an unknown function ...) adds every pair within each
output element's set (``R^T R``).  The Hessian of the (scalar) result can only
be nonzero at those pairs and on the diagonal.

>>> import numpy as np
>>> def f(x):
...     return x[1:] * x[:-1]
>>> jacobian_sparsity(f)(np.ones(4)).toarray().astype(int)
array([[1, 1, 0, 0],
       [0, 1, 1, 0],
       [0, 0, 1, 1]])
"""

import functools
import inspect
import warnings

import numpy as np
import scipy.sparse as sps

from srcgrad.api import sparsity_rules  # noqa: F401  (fills deps.RULES)
from srcgrad.api.deps import _ALL, _DENSE, _PAIRS, LIMIT, Deps, _Abandon, _empty
from srcgrad.compiler import pipeline
from srcgrad.errors import SrcgradError


def _bind(fun, wrt, args, kwargs):
    sig = inspect.signature(fun)
    bound = sig.bind(*args, **kwargs)
    names, single = pipeline.normalise_wrt(fun, pipeline.wrt_key(wrt), distinct=True)
    if not single:
        raise SrcgradError("a sparse Jacobian or Hessian takes one wrt argument, not a tuple")
    return bound, names[0]


def _trace(fun, wrt, args, kwargs, what):
    """Run ``fun`` with argument ``wrt`` traced; the output's sets (``m x n``)."""
    bound, name = _bind(fun, wrt, args, kwargs)
    x = bound.arguments[name]
    value = np.array(x, dtype=float)
    n = value.size
    _DENSE[0] = False
    bound.arguments[name] = Deps(value if value.ndim else value[()],
                                 sps.identity(n, dtype=bool, format="csr"))
    try:
        with np.errstate(all="ignore"):
            out = fun(*bound.args, **bound.kwargs)
        if isinstance(out, Deps):
            return out.D.tocsr()
        if isinstance(out, (tuple, list, dict)):
            raise _Abandon(f"the result is a {type(out).__name__}")
        return _empty(np.size(out), n)
    except Exception as e:          # noqa: BLE001  (dense is always a superset)
        _DENSE[0] = True
        warnings.warn(f"srcgrad.{what}: dependency tracing stopped ({type(e).__name__}: {e}); "
                      f"taking every output to depend on every input", RuntimeWarning,
                      stacklevel=3)
        m = np.size(fun(*args, **kwargs))
        return sps.csr_matrix(np.ones((m, n), dtype=bool))


def jacobian_sparsity(fun, wrt=0):
    """A function with ``fun``'s signature returning the sparsity pattern of
    ``jacobian(fun, wrt)`` at those arguments: a boolean
    ``scipy.sparse.csr_matrix`` of shape ``(result.size, argument.size)``
    (elements in C order), a superset of the true pattern (module docstring)."""
    return functools.wraps(fun)(lambda *a, **k: _trace(fun, wrt, a, k, "jacobian_sparsity"))


def hessian_sparsity(fun, wrt=0):
    """A function with ``fun``'s signature returning the sparsity pattern of
    ``hessian(fun, wrt)`` at those arguments: a symmetric boolean
    ``scipy.sparse.csr_matrix`` (``x.size x x.size``, diagonal included), a
    superset of the true pattern: the pairs collected by the trace (module
    docstring)."""
    def find(*args, **kwargs):
        _PAIRS.append(None)
        try:
            P = _trace(fun, wrt, args, kwargs, "hessian_sparsity")
            pairs = _PAIRS[-1]
        finally:
            _PAIRS.pop()
        n = P.shape[1]
        if P.shape[0] != 1:
            raise SrcgradError("a Hessian sparsity pattern needs a scalar result")
        if _DENSE[0]:
            pairs = _ALL                                    # the trace stopped
        if pairs is _ALL:
            if n * n > LIMIT:
                raise SrcgradError(f"the Hessian sparsity pattern found is dense (every pair "
                                   f"of the {n} inputs); use srcgrad.hessian without sparsity")
            pairs = sps.csr_matrix(np.ones((n, n), dtype=bool))
        eye = sps.identity(n, dtype=bool, format="csr")
        H = eye if pairs is None else pairs + pairs.T + eye
        return H.astype(bool).tocsr()
    return functools.wraps(fun)(find)
