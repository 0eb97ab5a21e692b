"""Declarations that make a rule's adjoint cheaper where they apply; where
they do not, the rule's own templates are used, so they never change an
answer (docs/rules.md, section 5).

* :func:`defreuse`: the adjoint reads a result the function already computed
  (``np.linalg.det(S)`` after ``Sinv = np.linalg.inv(S)``: no second inverse);
  :mod:`srcgrad.compiler.analysis.reuse` finds where it applies.
* :func:`defranks`: templates for arguments of known ranks (``x @ y`` of
  matrices: ``g @ y.T``, not ``matmul_dx(g, x, y)``), chosen by
  ``transforms/reverse/adjoints.py`` from the facts of ``analysis/ranks.py``.

>>> import numpy as np
>>> sorted(lookup(np.matmul).ranked)
[(1, 1), (1, 2), (2, 1), (2, 2)]
"""

from srcgrad.errors import RuleError
from srcgrad.rules.registry import (Template, _caller_namespace, _key, _name, _note_user_rule,
                                    declared_rule, lookup)


def defreuse(fun, other, *adjoints, namespace=None):
    """Declare adjoint templates of ``fun`` (declared with :func:`defvjp`)
    for call sites where the function being differentiated has already
    computed ``other`` of the same arguments: the templates read that result
    as ``other``.  ``np.linalg.det(S)`` after ``Sinv = np.linalg.inv(S)``
    then needs no second inverse::

        defreuse(np.linalg.det, np.linalg.inv, "det_inv_da(g, ans, other)")

    The compiler uses these templates only where it can see that ``other``'s
    result still belongs to the same arguments (the same block of code,
    nothing rebound or written in place in between); elsewhere the rule's own
    templates apply.  Returns ``fun``."""
    if namespace is None:
        namespace = _caller_namespace()
    rule = declared_rule(fun, f"a reuse of {_name(other)}")
    if lookup(other) is None:
        raise RuleError(f"{_name(other)} has no rule: declare one before reusing its result")
    _note_user_rule(fun, namespace, "reuse", _name(other), adjoints)
    names = list(rule.signature.parameters)
    rule.reuses[_key(other)] = {p: Template(text, names + ["other"], namespace, rule.name)
                                for p, text in zip(names, adjoints) if text is not None}
    return fun


def defranks(fun, ranks, *adjoints, namespace=None):
    """Declare adjoint templates of ``fun`` (declared with :func:`defvjp`)
    for call sites where the compiler knows the ranks (``ndim``) of its
    first arguments to be ``ranks`` (a tuple, in parameter order): plain
    expressions instead of a helper that looks at the ranks when it runs::

        defranks(np.matmul, (2, 1), "np.outer(g, y)", "x.T @ g")

    Elsewhere the rule's own templates apply.  Returns ``fun``."""
    if namespace is None:
        namespace = _caller_namespace()
    rule = declared_rule(fun, "its ranked forms")
    names = list(rule.signature.parameters)
    if not isinstance(ranks, tuple) or not 0 < len(ranks) <= len(names) or \
            not all(type(r) is int and r >= 0 for r in ranks):
        raise RuleError(f"ranks must be a tuple of ranks of {_name(fun)}'s first parameters, "
                        f"not {ranks!r}")
    _note_user_rule(fun, namespace, "ranks", ranks, adjoints)
    rule.ranked[ranks] = {p: Template(text, names, namespace, rule.name)
                          for p, text in zip(names, adjoints) if text is not None}
    return fun
