"""Refusals decided at transformation time from a call's constant arguments.

Some derivatives exist only for some values of a parameter that is not
differentiated (``np.pad``'s ``mode``, ``np.linalg.norm``'s ``ord``).  The
runtime helpers refuse the others when the code runs; when the argument is a
constant in the source, the check declared here refuses the call when srcgrad
transforms the function, with the file, line and a hint.  A check receives the constant arguments by
parameter name (arguments that are not constants are absent; a name assigned
once to a constant counts), under ``"varied"`` the parameters bound to values
that depend on the differentiated arguments, and returns ``(message, hint)``
or None.  Checks run for calls whose result is used and that get a varied
argument (so a call of constants is never refused).
"""

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.rules.registry import _Default, _key

_CHECKS = {}


def defcheck(fun, check):
    """Declare a transformation-time check of calls of ``fun``."""
    _CHECKS[_key(fun)] = check
    return fun


def _constant(node, values=None):
    if isinstance(node, gast.Name) and values and values.get(node.id) is not None:
        return _constant(values[node.id])       # (a name assigned once; not followed further)
    if isinstance(node, _Default):
        return True, node.value
    if isinstance(node, gast.Constant):
        return True, node.value
    if isinstance(node, (gast.Tuple, gast.List)):
        parts = [_constant(e) for e in node.elts]
        if all(ok for ok, _ in parts):
            return True, tuple(v for _, v in parts)
    if isinstance(node, gast.UnaryOp) and isinstance(node.op, gast.USub):
        ok, v = _constant(node.operand)
        if ok and isinstance(v, (int, float)):
            return True, -v
    return False, None


def refusal(rule, args, values=None, varied=()):
    """``(message, hint)`` when the call with bound ``args`` (gast nodes,
    defaults) certainly has no derivative srcgrad knows; else None.
    ``values``: the value node of each name assigned once in the function;
    ``varied``: the names that depend on the differentiated arguments (a
    check sees them as the parameter names bound to them, in ``"varied"``)."""
    try:
        check = _CHECKS.get(_key(rule.fun))
    except TypeError:
        return None
    if check is None:
        return None
    known = {}
    for pname, node in args.items():
        ok, value = _constant(node, values)
        if ok:
            known[pname] = value
    known["varied"] = {p for p, node in args.items()
                       if isinstance(node, gast.Name) and node.id in varied}
    return check(known)


def _pad(known):
    if "mode" not in known:
        return None
    return runtime.pad_unsupported(known["mode"], known.get("reflect_type", "even"))


def _einsum(known):
    if "subscripts" in known["varied"]:
        # np.einsum(A, [0, 1], [1, 0]): the operand sits where the rule expects the
        # subscripts, which carry no derivative
        return ("np.einsum with operands and lists of indices (the sublist form) is not "
                "differentiated", "write the subscripts as a string: np.einsum('ij->ji', A)")
    return None


def _linspace(known):
    if known.get("retstep", True) is not False:        # (True, or not a constant)
        return ("np.linspace(..., retstep=True) is not differentiated (its result is a pair)",
                "compute the step separately: (stop - start) / (num - 1)")
    return None


_MATRIX_ORDS = (None, "fro", "nuc", 1, 2, np.inf, -np.inf)


def _norm(known):
    ord_, axis = known.get("ord"), known.get("axis")
    if isinstance(ord_, str) and ord_ not in ("fro", "nuc"):
        return (f"no derivative of np.linalg.norm with ord={ord_!r}", None)
    if isinstance(axis, tuple) and len(axis) > 2:
        return ("no derivative of np.linalg.norm over more than two axes", None)
    if "ord" in known and isinstance(axis, tuple) and len(axis) == 2 and \
            ord_ not in _MATRIX_ORDS:
        return (f"no derivative of a matrix norm with ord={ord_!r}",
                "use ord None, 'fro', 'nuc', 1, 2 or inf")
    return None


def _average(known):
    if known.get("returned", True) is not False:       # (True, or not a constant)
        return ("np.average(..., returned=True) is not differentiated (its result is a pair)",
                "compute the sum of the weights separately: np.sum(weights)")
    return None


defcheck(np.pad, _pad)
defcheck(np.average, _average)
defcheck(np.einsum, _einsum)
defcheck(np.linspace, _linspace)
defcheck(np.linalg.norm, _norm)
