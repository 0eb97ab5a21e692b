"""The primal form of a helper with an adjoint function of its own: its
normalised body as it is, what its callers' forward sweeps call
(``frontend/inline/joint.py``; the reverse sweep calls the helper's
``vjp``, which computes the primal again from the same arguments).

The front end's statements are plain Python; the optimisations of the
forward sweep put the copies and single-use temporaries of normalisation
back where they are read, and helpers
kept as calls inside it call their own primal forms (``primal_of``).
Code in → code out::

    def lotka(u, theta):                  def lotka(u, theta):
        x = u[0]                              x = u[0]
        y = u[1]                              y = u[1]
        out_1 = theta[0]          →           out = np.array([theta[0] * x - theta[1] * x * y,
        out_2 = out_1 * x                                     theta[2] * x * y - theta[3] * y])
        ...                                   return out
        out = np.array(out_13)
        return out

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, front_end
>>> from srcgrad.compiler.ir.printer import to_source
>>> def lotka(u, theta):
...     x, y = u[0], u[1]
...     return np.array([theta[0] * x - theta[1] * x * y, theta[2] * x * y - theta[3] * y])
>>> front = front_end(lotka, (), Driver(), scalar_result=False, reverse=True)
>>> print(to_source(primal_form(front, "lotka", None)).strip())
def lotka(u, theta):
    x = u[0]
    y = u[1]
    out = np.array([theta[0] * x - theta[1] * x * y, theta[2] * x * y - theta[3] * y])
    return out
"""

from srcgrad.compiler.analysis.callees import JointFallback
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.optimise.copies import propagate_copies
from srcgrad.compiler.optimise.dead_code import eliminate_dead_code
from srcgrad.compiler.optimise.temporaries import forward_temporaries


def primal_form(front, name, primal_of):
    """The FunctionDef ``name`` computing what the function of ``front`` (a
    :class:`srcgrad.compiler.pipeline.Front`, made for reverse mode)
    computes.  A helper kept as a call in it is called through
    ``primal_of(helper)`` (a function, put in the injector's objects);
    a recursive call is refused (:class:`JointFallback`: the helper is
    inlined where it is called)."""
    fn = copy_tree(front.fn)
    fn.name = name
    kept = getattr(front.parsed, "srcgrad_kept", {})
    objects = front.injector.objects
    for n, obj in list(objects.items()):
        if obj in kept:
            objects[n] = primal_of(obj)
        elif obj is front.parsed.fun:
            raise JointFallback(obj, "it is recursive")
    temps = getattr(front.fn, "srcgrad_temps", set())
    propagate_copies(fn, temps)
    forward_temporaries(fn, temps, objects)
    eliminate_dead_code(fn)
    return fn
