"""The tape of generated gradients, as functions (forward mode over srcgrad's own code).

:mod:`srcgrad.compiler.frontend.generated` rewrites the pushes and pops of a
generated gradient into these calls, so that the analyses see values flow
through the tape.

>>> tape = tape_push([], 1.0)
>>> tape_pop(tape), tape
(1.0, [])

And the reverse sweep of a call through its split form (a recursive call in
the specialised version of a gradient), run once however many adjoints read it:

>>> calls = []
>>> def back(g):
...     calls.append(g)
...     return (2.0 * g, 3.0 * g)
>>> pulled(back, 1.0)[0], pulled(back, 1.0)[1], calls
(2.0, 3.0, [1.0])
"""

import numpy as np

from srcgrad.errors import UnsupportedError


def tape_push(tape, value):
    """``tape.append(value)``, as a function of the tape (what
    :mod:`srcgrad.generated` rewrites the push of a generated gradient into,
    so that the analyses see values flow through the tape)."""
    tape.append(value)
    return tape


def tape_pop(tape):
    """``tape.pop()``, as a function of the tape (see :func:`tape_push`)."""
    return tape.pop()


def tape_not_differentiable(*args):
    """What the tape rules' templates call: the forward transform handles the
    tape itself, and reverse mode over a generated gradient's tape (grad of
    a gradient with a loop) is not supported."""
    raise UnsupportedError(
        "srcgrad: reverse mode through the tape of a generated gradient (grad of a gradient "
        "whose function has a loop) is not supported; use forward over reverse: "
        "srcgrad.hvp / srcgrad.hessian, or srcgrad.jvp of the gradient")


def pulled(back, g):
    """The derivatives ``back(g)`` gives -- the closure a split form returned
    for one call, which runs that call's reverse sweep -- computed once (each
    argument's adjoint reads its own item); or, for a call already pulled
    back with the cotangent 1.0 (:class:`Unit`), those derivatives times ``g``."""
    if type(back) is Unit:
        done = back.done
        if done is None:
            unit = back.unit
            done = back.done = (g * unit[0],) if len(unit) == 1 else tuple(g * d for d in unit)
            back.unit = None        # (pulled once: its memory goes now)
        return done
    done = getattr(back, "srcgrad_pulled", None)
    if done is None:
        done = back.srcgrad_pulled = back(g)
    return done


def accumulated(acc, d):
    """``d``, a derivative a helper's reverse sweep returns, added to ``acc``,
    the adjoint its caller passed in (``optimise/accumulators.py``), or
    ``d`` itself when the caller passed None.  ``acc`` is the caller's own
    array, so the sum goes into it in place when it can.

    >>> import numpy as np
    >>> a = np.zeros(2)
    >>> accumulated(a, np.ones(2)) is a, a, accumulated(None, 2.0), accumulated(1.0, 2.0)
    (True, array([1., 1.]), 2.0, 3.0)
    """
    if acc is None:
        return d
    acc += d
    return acc


def recursive_split(split, wrt, args):
    """``(value, back)`` of a recursive call ``f(*args)`` through the callee's
    split form ``split`` (its value and the closure running its reverse
    sweep); a real number result of the float arguments at positions ``wrt``
    is pulled back at once (:class:`Unit`), so a recursion keeps one level's
    values per level of depth.  What srcgrad's driver does when the gradient
    runs, and what an exported gradient calls.

    >>> def split_sq(x):
    ...     return x * x, lambda g: (2.0 * g * x,)
    >>> value, back = recursive_split(split_sq, (0,), (3.0,))
    >>> value, pulled(back, 0.5)
    (9.0, (3.0,))
    """
    value, back = split(*args)
    if (type(value) is float or type(value) is np.float64) and real_arrays(args, wrt):
        return value, Unit(back(1.0))
    return value, back


class Unit:
    """The derivatives of a call whose result is a real number, taken as
    soon as it returned: its reverse sweep run with the cotangent 1.0.  Its
    tape is then freed (a recursion keeps one level's values per level of
    depth, not the whole call tree's), and since the reverse sweep is linear
    in the cotangent, the derivatives for a cotangent ``g`` are ``g`` times
    these.

    >>> u = Unit((2.0, 3.0))
    >>> pulled(u, 0.5)
    (1.0, 1.5)
    """

    __slots__ = ("unit", "done")

    def __init__(self, unit):
        self.unit = unit
        self.done = None


def real_arrays(args, wrt):
    """Whether the arguments at positions ``wrt`` are floats or float arrays
    (whose derivatives scale by a number)."""
    for i in wrt:
        a = args[i]
        if not (type(a) is float or type(a) is np.ndarray and a.dtype.kind == "f"):
            return False
    return True


#: what srcgrad says when a derivative of generated code reaches ``pulled``
pulled.srcgrad_refusal = (
    "second derivatives through a recursive call are not supported yet",
    "write the recursion as a loop, or take first derivatives only (grad, jvp, vjp)")
