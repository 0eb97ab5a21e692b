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

A long function's gradient is the guard alone, and each version is made when
a call first needs it (:mod:`srcgrad.compiler.lazy`); a version for floats
that no call could run is not made (``rank_guesses.version_fails``).

>>> import numpy as np
>>> from srcgrad.compiler.pipeline import Driver, reverse_transform
>>> def f(x, a):
...     return np.sum(np.sin(x) * a)
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> [name for name, _ in df.srcgrad_functions]
['d_f_generic', 'd_f']
"""

import re

import gast

from srcgrad.compiler import emit as emit_stage
from srcgrad.compiler.analysis.rank_guesses import version_fails
from srcgrad.compiler.boundary import (call_arguments, complex_dispatch, guard_names, unchecked,
                                       with_boundary, with_guard)
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.printer import to_source
from srcgrad.compiler.lazy import LAZY_STATEMENTS, Lazy, Pending
from srcgrad.compiler.stages import without_gc


def assemble(front, name, generate, *, extra_checks=(), signature=None, boundary=None,
             complex_make=None, rank_versions=True, params=None):
    """Generate the generic version and, when it differs (more than by the
    result's scalar check and the argument checks), the one for
    Python floats (and arrays of the ranks their element reads suggest,
    ``x[i]``: ``x.ndim == 1``) behind a type guard; compile them into one
    function.
    ``generate(analysis, name)`` returns a gast FunctionDef.  ``boundary``
    (a :class:`Boundary`) says what the function returns, for the type
    checks at its entry and exit.  ``complex_make(complex_params)`` makes
    the version for complex arguments the generic one calls
    (:class:`ComplexVersions`); None for that version itself.  ``params``:
    the generated function's parameters (a gast ``arguments``), given when
    a long function's versions may be made when first called
    (:mod:`srcgrad.compiler.lazy`)."""
    an, namer = front.analysis, front.namer
    guarded = sorted(an.guard_candidates())
    numbers = sorted(an.scalar_candidates(numbers=True))
    ranked = an.rank_candidates(set(guarded) | set(numbers)) if rank_versions else {}
    checks = [(p, None) for p in guarded] + [(p, "number") for p in numbers] + \
        sorted(ranked.items())
    checks += [(extra, rank) for p, rank in list(checks) for q, extra in extra_checks if q == p]
    analyses = []

    def assumed():
        """The analysis with the guard's assumptions (made once, when needed)."""
        if not analyses:
            analyses.append(an.assuming(guarded, ranked, numbers))
        return analyses[0]

    def fails():
        """No call could run the version for floats (``version_fails``)."""
        return version_fails(assumed(), guarded + numbers)

    def specialised():
        """The version for floats (and ranks): (raw text, text without the guard, tree)."""
        special = generate(assumed(), name)
        source = to_source(special)
        # (numbers: may be ints, checked as usual)
        return source, with_boundary(source, special, boundary, set(guarded), front), special

    def generic_version(dispatch=True):
        """The generic version: (raw text, text, tree); ``dispatch``: it
        names the version for complex arguments its checks call (the
        guard-alone form names it once, first)."""
        generic = generate(an, name)
        if dispatch:
            complex_dispatch(front, generic, complex_make)
        source = to_source(generic)
        return source, with_boundary(source, generic, boundary, (), front), generic

    # (not with helpers that have adjoint functions of their own: their
    # fallback, JointFallback, regenerates the caller from the start)
    if checks and params is not None and not params.vararg and not params.kwarg and \
            not getattr(front.parsed, "srcgrad_kept", None) and \
            sum(1 for _ in walk_stmts(front.fn.body)) >= LAZY_STATEMENTS:
        # (whether the version for floats fails is asked when a call needs it)
        return _dispatcher(front, name, params, checks, specialised, fails, generic_version,
                           signature, complex_make)
    if checks and fails():
        checks = []         # (no call could run that version)
    generic_source, text, _ = generic_version()
    functions = [(name, text)]
    if checks:
        special_source, special_text, special = specialised()
        if not _same(special_source, generic_source):
            generic_name = namer.fresh(name + "_generic")
            generic_text = text.replace(f"def {name}(", f"def {generic_name}(", 1)
            special_text = with_guard(special_text, special, checks, generic_name,
                                      *guard_names(front.injector, checks))
            functions = [(generic_name, generic_text), (name, special_text)]
    return _compiled(front, functions, signature, {})


#: ``(x * x)``: what the version for floats writes for a Python float's
#: ``x ** 2`` in adjoint code (``optimise/simplify.py``)
_SQUARED = re.compile(r"\((\w+) \* \1\)")


def _same(special, generic):
    """Whether the two versions' texts are the same but for the result's
    scalar check and the squares the float version writes as products: not
    worth a guard (a call costs more than a ``**`` saves)."""
    special, generic = unchecked(special), unchecked(generic)
    return special == generic or _SQUARED.sub(r"\1 ** 2", special) == generic


def _dispatcher(front, name, params, checks, specialised, fails, generic_version, signature,
                complex_make):
    """The long function's gradient as a guard choosing between its two
    versions, each made when a call first needs it (:class:`Pending`).
    When ``fails()`` (asked then), the version for floats passes its
    arguments on to the generic one, which fails as the function does."""
    namer, injector = front.namer, front.injector
    generic_name = namer.fresh(name + "_generic")
    special_name = namer.fresh(name + "_specialised")
    head = gast.FunctionDef(name=name, args=params, body=[gast.Pass()], decorator_list=[],
                            returns=None, type_comment=None)
    complex_dispatch(front, head, complex_make)     # (the versions' name and parameters)
    text = to_source(head).split("\n", 1)[0] + "\n" + \
        f"    return {special_name}({', '.join(call_arguments(head))})\n"
    text = with_guard(text, head, checks, generic_name, *guard_names(injector, checks))

    def maker(version, own):
        @without_gc
        def make():
            made = version()
            objects = dict(injector.objects)
            build = objects
            if made is None:        # (no specialised version: the generic one)
                build = {**objects, generic_name: pendings[0]}
                made = text.split("\n", 1)[0].replace(f"def {name}(", f"def {own}(", 1) + \
                    "\n    # no specialised version: a statement every call runs indexes a" \
                    "\n    # value that the guard's types make a number (the function fails)\n" + \
                    f"    return {generic_name}({', '.join(call_arguments(head))})\n"
            else:
                made = made[1].replace(f"def {name}(", f"def {own}(", 1)
            return emit_stage.build([(own, made)], signature or front.parsed, build), made, \
                objects
        return Pending(own, make)
    pendings = [maker(lambda: generic_version(dispatch=False), generic_name),
                maker(lambda: None if fails() else specialised(), special_name)]
    df = _compiled(front, [(name, text)], signature, {p.name: p for p in pendings})
    Lazy(df, pendings)
    return df


def _compiled(front, functions, signature, pending):
    """``functions`` (``(name, text)``, callees first) compiled into one
    function, with what the disk cache and exports read."""
    df = emit_stage.build(functions, signature or front.parsed,
                          {**front.injector.objects, **pending})
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = dict(front.injector.objects)
    # what the disk cache (srcgrad.compiler.diskcache) keeps and checks
    df.srcgrad_functions = list(functions)
    df.srcgrad_files = [(f.filename, f.function) for f in front.parsed.files]
    df.srcgrad_described = dict(front.parsed.described)
    return df
