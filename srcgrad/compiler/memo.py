"""The generated functions kept in memory (per function and request) and
on disk (:mod:`srcgrad.compiler.diskcache`), and the switch that makes a
gradient's twin with every helper inlined (:func:`inlined_twin`).

>>> def f(x):
...     return x
>>> cache_put(f, ("grad", ("x",)), "made") and cache_get(f, ("grad", ("x",)))
'made'
>>> cache_get(f, ("jvp", ("x",))) is None
True
"""

import weakref

from srcgrad.compiler import diskcache
from srcgrad.compiler.stages import _TRACE


_CACHE = weakref.WeakKeyDictionary()
#: the split forms of recursive functions by ``(function, positions)``, looked
#: up at every recursive call without the weak reference a lookup in ``_CACHE``
#: makes (a split form refers to its function anyway: it calls it)
SPLITS = {}
#: the same for the forms that return the value and the derivatives at once
#: (False: the function's result was not a real number)
UNITS = {}


def clear_cache(disk=False):
    """Forget every generated function (the next request re-runs the
    pipeline); with ``disk=True`` also remove the disk cache's entries."""
    _CACHE.clear()
    SPLITS.clear()
    UNITS.clear()
    if disk:
        diskcache.clear()


def generate_cached(fun, request, generate, complex_make=None):
    """``generate()``, or the same function from the disk cache
    (:mod:`srcgrad.compiler.diskcache`) when a valid entry for ``fun`` and
    ``request`` (a JSON-able description of the options) is there; what is
    generated is written there.  Not while :func:`trace` watches the stages.
    ``complex_make``: makes the versions for complex arguments of a
    function loaded from disk (:func:`complex_maker`)."""
    if _TRACE:
        return generate()
    made = diskcache.load(fun, request, complex_make, generate)
    if made is None:
        made = generate()
        diskcache.store(fun, request, made)
    elif any(hasattr(obj, "srcgrad_joint") for obj in made.srcgrad_injected.values()):
        made.srcgrad_twin = lambda: inlined_twin(generate)
    return made


#: ``[False]`` while :func:`inlined_twin` generates: every helper is inlined
_JOINT = [True]


def inlined_twin(make):
    """``make()`` with every helper inlined (no helper has an adjoint
    function of its own, ``frontend/inline/joint.py``): the version of a
    gradient that a derivative of it differentiates, whose code has the
    structure higher derivatives handle (``generated.generic_version``)."""
    before = _JOINT[0]
    _JOINT[0] = False
    try:
        return make()
    finally:
        _JOINT[0] = before


def cache_get(fun, key):
    """The function generated from ``fun`` under ``key``, or ``None``.  One
    cache for every mode (keys of their own), so ``clear_cache`` forgets all."""
    try:
        per_fun = _CACHE.get(fun)
    except TypeError:          # not weak-referenceable: never cached
        return None
    return None if per_fun is None else per_fun.get(key)


def cache_put(fun, key, made):
    try:
        _CACHE.setdefault(fun, {})[key] = made
    except TypeError:
        pass
    return made
