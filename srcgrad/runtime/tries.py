"""The ``try`` statements of differentiated code (``normalise/tries.py``).

Generated code has no ``try``: each operation of a ``try`` body that may
raise one of the exceptions the statement catches is tried first, on the
same values; the exception it raises (or None) decides, like the condition
of an ``if``, whether the operation and the rest of the body run or the
handler does.  These try one operation without keeping its result (the
operations tried are pure: the one that follows computes the same value).

>>> try_op(KeyError, "[]", {"a": 1.0}, "b")
KeyError('b')
>>> try_op(ZeroDivisionError, "/", 1.0, 2.0) is None
True
>>> try_call(ValueError, float, "x")
ValueError("could not convert string to float: 'x'")
"""

import operator

import numpy as np

from srcgrad.errors import UnsupportedError

class Untried(BaseException):
    """An operation srcgrad cannot try (no handler of the user's catches it)."""


def try_call(catch, fun, *args, **kwargs):
    """The exception (one of the classes ``catch``) that ``fun(*args,
    **kwargs)`` raises, or None; any other exception propagates."""
    try:
        fun(*args, **kwargs)
    except Untried as e:
        raise UnsupportedError(f"{e.args[0]}: srcgrad tries each operation of a try body that "
                               f"may raise before it runs it, which it cannot do for this one",
                               hint="move the write out of the try body") from None
    except catch as e:
        return e
    return None


def try_op(catch, op, *operands):
    """:func:`try_call` of the operator ``op`` (``"[]"``: ``x[i]``,
    ``"[]="``: the element write ``x[i] = v``, tried on a copy of ``x``;
    ``"."``: ``getattr``; ``"+"``, ``"-x"``, ``"<"``, ...)."""
    if op == "[]=":
        return try_call(catch, _setitem_copy, *operands)
    return try_call(catch, _operator(op), *operands)


def _operator(op):
    """The function of the operator ``op``."""
    return {
        "[]": operator.getitem, ".": getattr, "+": operator.add, "-": operator.sub,
        "*": operator.mul, "/": operator.truediv, "//": operator.floordiv, "%": operator.mod,
        "**": operator.pow, "@": operator.matmul, "<<": operator.lshift,
        ">>": operator.rshift, "|": operator.or_, "^": operator.xor, "&": operator.and_,
        "-x": operator.neg, "+x": operator.pos, "~x": operator.invert, "not": operator.not_,
        "bool": bool, "<": operator.lt, "<=": operator.le, ">": operator.gt,
        ">=": operator.ge, "==": operator.eq, "!=": operator.ne,
        "in": lambda a, b: operator.contains(b, a),
        "not in": lambda a, b: not operator.contains(b, a),
    }[op]


def _setitem_copy(x, index, value):
    """``x[index] = value`` on a copy of ``x`` (what it raises is what the
    write raises; ``x`` does not change)."""
    if isinstance(x, np.ndarray):
        x = x.copy()
    elif isinstance(x, (list, dict)):
        x = type(x)(x)
    else:
        raise Untried(f"a write into an element of a {type(x).__name__} in a try body")
    x[index] = value
