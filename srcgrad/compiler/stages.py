"""Running the pipeline's stages in order, and watching them (``trace``).

Each stage is a function of a state namespace; :func:`run_stages` runs a
list of ``(name, stage)`` pairs and, while :func:`trace` is active, records
the time each takes and the code right after one of them:

>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> import numpy as np
>>> def f(x):
...     return np.sum(np.sin(x) * 2.0)
>>> with trace(after="ssa") as t:
...     df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> print(t.shown[0])
def f(x):
    out_1 = np.sin(x)
    out_2 = out_1 * 2.0
    out = np.sum(out_2)
    return out
>>> sorted(t.times)[:3]
['analyse', 'batch_outer_products', 'cancel_accumulations']
"""

import contextlib
import functools
import gc
import time

from srcgrad.compiler.ir.printer import to_source


_TRACE = []          # the active Trace, if any (see ``trace``)


class Trace:
    """What :func:`trace` records while the pipeline runs: the seconds spent
    in each stage (``times``, summed over runs) and, for the stage named
    ``after``, the code right after it (``shown``: one text per run; a
    gradient with a version for Python floats runs the later stages twice)."""

    def __init__(self, after=None):
        self.after = after
        self.times = {}
        self.shown = []


@contextlib.contextmanager
def trace(after=None):
    """Record the stages' times, and the code after the stage ``after``
    (a name in the pipeline's FRONT_END, REVERSE or FORWARD), while
    generating (the module's docstring shows an example)."""
    t = Trace(after)
    _TRACE.append(t)
    try:
        yield t
    finally:
        _TRACE.remove(t)


def run_stages(stages, state, tree):
    """Run ``stages`` (``(name, function)`` pairs) on ``state`` in order;
    ``tree()`` gives the function's tree, for a trace that shows it."""
    watch = _TRACE[-1] if _TRACE else None
    for name, stage in stages:
        start = time.perf_counter()
        stage(state)
        if watch is not None:
            watch.times[name] = watch.times.get(name, 0.0) + time.perf_counter() - start
            if watch.after == name:
                watch.shown.append(to_source(tree()).rstrip("\n"))


def without_gc(transform):
    """``transform`` run with Python's cyclic garbage collector paused: the
    trees it builds are many objects, each collection walks every one still
    alive, so collections during a long function's transformation cost time
    growing faster than its length.  The collector is on again (to free
    whatever cycles the transformation left) once the outermost transform
    returns or raises; nothing in the generated code depends on it."""
    @functools.wraps(transform)
    def run(*args, **kwargs):
        if not gc.isenabled():
            return transform(*args, **kwargs)
        gc.disable()
        try:
            return transform(*args, **kwargs)
        finally:
            gc.enable()
    return run
