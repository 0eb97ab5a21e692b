"""Assembling a gradient's versions into one compiled function.

``assemble`` takes a function's front end and a ``generate(analysis, name)``
that runs the later stages, and makes the generic version and, where it may
pay, the one specialised for Python floats (and arrays of guessed ranks)
behind a type guard (docs/architecture.md, "Two versions of one gradient").
For ``def f(x, a): return np.sum(np.sin(x) * a)`` with ``x`` and ``a`` floats
assumed by the guard:

    def d_f(x, a):
        if (type(a) is not float and type(a) is not float64) or (...x...):
            return d_f_generic(x, a)
        ...                         # no shape bookkeeping: floats
    def d_f_generic(x, a):
        ...                         # right for any mix of scalars and arrays

A long function's generic version is made when first needed
(:mod:`srcgrad.compiler.lazy`); a version for floats that no call could run
is not made (``rank_guesses.version_fails``).

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, a):
...     return np.sum(np.sin(x) * a)
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> [name for name, _ in df.srcgrad_functions]
['d_f_generic', 'd_f']
"""

from srcgrad.compiler import emit as emit_stage
from srcgrad.compiler.analysis.rank_guesses import version_fails
from srcgrad.compiler.boundary import (complex_dispatch, guard_names, unchecked, with_boundary,
                                       with_guard)
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.printer import to_source
from srcgrad.compiler.lazy import LAZY_STATEMENTS, Pending, deferring
from srcgrad.compiler.stages import without_gc


def assemble(front, name, generate, *, extra_checks=(), signature=None, boundary=None,
             complex_make=None, rank_versions=True, lazy=False):
    """Generate the generic version and, when it differs (more than by the
    result's scalar check and the argument checks), the one for
    Python floats (and arrays of the ranks their element reads suggest,
    ``x[i]``: ``x.ndim == 1``) behind a type guard; compile them into one
    function.
    ``generate(analysis, name)`` returns a gast FunctionDef.  ``boundary``
    (a :class:`Boundary`) says what the function returns, for the type
    checks at its entry and exit.  ``complex_make(complex_params)`` makes
    the version for complex arguments the generic one calls
    (:class:`ComplexVersions`); None for that version itself.  ``lazy``: for
    a long function, generate the generic version when first needed
    (:mod:`srcgrad.compiler.lazy`)."""
    an, namer = front.analysis, front.namer
    guarded = sorted(an.guard_candidates())
    numbers = sorted(an.scalar_candidates(numbers=True))
    ranked = an.rank_candidates(set(guarded) | set(numbers)) if rank_versions else {}
    checks = [(p, None) for p in guarded] + [(p, "number") for p in numbers] + \
        sorted(ranked.items())
    checks += [(extra, rank) for p, rank in list(checks) for q, extra in extra_checks if q == p]
    assumed = an.assuming(guarded, ranked, numbers) if checks else None
    if checks and version_fails(assumed, guarded + numbers):
        checks = []         # (no call could run that version)

    def specialised(generic_name, dispatch=False):
        """The version for floats (and ranks) behind its guard: (tree, raw text, text)."""
        special = generate(assumed, name)
        if dispatch:        # (the generic version's arguments and name: the same)
            complex_dispatch(front, special, complex_make)
        special_source = to_source(special)
        # (numbers: may be ints, checked as usual)
        text = with_boundary(special_source, special, boundary, set(guarded), front)
        text = with_guard(text, special, checks, generic_name,
                          *guard_names(front.injector, checks))
        return special, special_source, text

    def generic_version(dispatch=True):
        generic = generate(an, name)
        if dispatch:
            complex_dispatch(front, generic, complex_make)
        source = to_source(generic)
        return generic, source, with_boundary(source, generic, boundary, (), front)

    injected = {}
    # (not with helpers that have adjoint functions of their own: their
    # fallback, JointFallback, regenerates the caller from the start)
    if checks and lazy and deferring() and not getattr(front.parsed, "srcgrad_kept", None) \
            and sum(1 for _ in walk_stmts(front.fn.body)) >= LAZY_STATEMENTS:
        generic_name = namer.fresh(name + "_generic")
        _, _, text = specialised(generic_name, dispatch=True)
        functions = [(name, text)]

        @without_gc
        def make():
            text = generic_version(dispatch=False)[2].replace(f"def {name}(", f"def {generic_name}(", 1)
            made = emit_stage.build([(generic_name, text)], signature or front.parsed,
                                    front.injector.objects)
            return made, text, dict(front.injector.objects)
        pending = Pending(generic_name, make)
        injected = {generic_name: pending}
    else:
        pending = None
        _, generic_source, text = generic_version()
        functions = [(name, text)]
        if checks:
            generic_name = namer.fresh(name + "_generic")
            _, special_source, special_text = specialised(generic_name)
            if unchecked(special_source) != unchecked(generic_source):
                generic_text = text.replace(f"def {name}(", f"def {generic_name}(", 1)
                functions = [(generic_name, generic_text), (name, special_text)]
    df = emit_stage.build(functions, signature or front.parsed,
                          {**front.injector.objects, **injected})
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = dict(front.injector.objects)
    # what the disk cache (srcgrad.compiler.diskcache) keeps and checks
    df.srcgrad_functions = list(functions)
    df.srcgrad_files = [(f.filename, f.function) for f in front.parsed.files]
    df.srcgrad_described = dict(front.parsed.described)
    if pending is not None:
        pending.attach(df)
    return df
