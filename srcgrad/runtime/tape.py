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
    argument's adjoint reads its own item)."""
    done = getattr(back, "srcgrad_pulled", None)
    if done is None:
        done = back.srcgrad_pulled = back(g)
    return done


#: what srcgrad says when a derivative of generated code reaches ``pulled``
pulled.srcgrad_refusal = (
    "second derivatives through a recursive call are not supported yet",
    "write the recursion as a loop, or take first derivatives only (grad, jvp, vjp)")
