"""The tape of generated gradients, as functions (forward mode over srcgrad's own code).

:mod:`srcgrad.compiler.frontend.generated` rewrites the pushes and pops of a
generated gradient into these calls, so that the analyses see values flow
through the tape.

>>> tape = tape_push([], 1.0)
>>> tape_pop(tape), tape
(1.0, [])
"""

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
