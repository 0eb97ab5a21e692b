"""Stage 4 — the analyses of the SSA form, run in order by :meth:`Analysis.run`;
each fills its part of the :class:`Analysis`, which the transforms read:

1. ``container_kinds``: which names are lists, tuples, dicts or records;
2. ``view_reads``: views read again after a write into their array (a rewrite);
3. ``resolution``: the :class:`~srcgrad.compiler.analysis.ops.Op` of each statement;
4. ``activity``: mutated containers; varied, useful and active names;
5. ``refusals``: what is not understood on a differentiated path is an error;
6. ``aliasing`` (and ``containers``): in-place writes, views, shared memory;
   ``objects``: objects whose attributes are assigned have no other name in use;
7. ``shapes``: scalars and same-shape classes (``floats`` for the float version);
8. ``reuse``: results a rule may reuse (``det`` after ``inv`` of the same matrix).

>>> from srcgrad.compiler.analysis.show import analysed, names
>>> an = analysed('''
... def f(x, k):
...     y = x * k
...     n = k + 1
...     return y''', wrt="x")
>>> names(an.active), names(an.varied - an.active), names(an.useful - an.active)
('out x y', '', 'k')
"""

import copy

import gast

from srcgrad.compiler.analysis.activity import mutated_containers, useful_names, varied_names
from srcgrad.compiler.analysis.aliasing import check_aliasing
from srcgrad.compiler.analysis.container_kinds import container_kinds
from srcgrad.compiler.analysis.floats import float_names
from srcgrad.compiler.analysis.objects import check_objects
from srcgrad.compiler.analysis.ops import iter_assigns, iter_ops
from srcgrad.compiler.analysis.rank_guesses import rank_candidates, sequence_candidates
from srcgrad.compiler.analysis.ranks import element_rank
from srcgrad.compiler.analysis.refusals import refuse_unsupported
from srcgrad.compiler.analysis.reuse import reused_results, transposes
from srcgrad.compiler.analysis.resolution import resolve_ops
from srcgrad.compiler.analysis.shapes import compute_shapes, guard_candidates, same_shape, \
    scalar_candidates, shape_chain
from srcgrad.compiler.analysis.view_reads import ViewReads
from srcgrad.compiler.frontend import MISSING


class Analysis:
    """What the analyses found about one function (in SSA form), for the
    differentiated names ``wrt``; ``locals_`` are the function's local names."""

    def __init__(self, parsed, fn, wrt, locals_, driver=None):
        self.parsed = parsed
        self.fn = fn
        self.driver = driver     # pipeline.Driver: rules of recursive calls
        self.wrt = list(wrt)
        self.locals = set(locals_)
        self.ops = {}
        self.varied = set()
        self.useful = set()
        self.active = set()
        self.scalar = set()
        self.shape_of = {}        # name -> representative name of its shape class
        self.complex = set()      # names that may hold complex values (complex_values.py)
        self.reused = {}          # call target -> (reused result, templates) (reuse.py)
        self.transposes = {}      # y -> z for y = z.T, y.T readable as z (reuse.py)
        self.result = fn.body[-1].value.id

    def resolve_name(self, name):
        if name in self.locals:
            return MISSING
        return self.parsed.resolve_global(name)

    def resolve(self, node):
        """The object an expression (a name or attribute chain) refers to at
        transformation time, or ``MISSING``."""
        if isinstance(node, gast.Name):
            return self.resolve_name(node.id)
        if isinstance(node, gast.Attribute):
            base = self.resolve(node.value)
            if base is MISSING:
                return MISSING
            return getattr(base, node.attr, MISSING)
        return MISSING

    def run(self):
        self.kind = container_kinds(self.fn, self.locals, self.resolve, self.wrt)
        ViewReads(self).run()
        ops = list(iter_ops(self.fn.body, self.locals))
        resolve_ops(self, ops)
        self.mutated = mutated_containers(ops, self.kind)
        self.varied = varied_names(self, ops)
        self.useful = useful_names(self, ops)
        self.active = self.varied & self.useful
        refuse_unsupported(self, ops)
        check_aliasing(self, ops)
        check_objects(self, ops)
        compute_shapes(self, [s for s in ops if isinstance(s, gast.Assign)])
        self.reused = reused_results(self)
        self.transposes = transposes(self)
        return self

    def assuming(self, params, ranks=None, numbers=()):
        """A copy of this analysis whose shape facts assume ``params`` are
        Python floats, ``numbers`` ints or floats, and the parameters in
        ``ranks`` arrays of those ranks (for the specialised version of the
        gradient)."""
        other = copy.copy(self)
        # (the guard checks these are NumPy arrays: `type(x) is not ndarray or ...`)
        other.array_params = frozenset(p for p, r in (ranks or {}).items() if r != "sequence")
        compute_shapes(other, list(iter_assigns(self.fn.body)), set(params) | set(numbers),
                       {p: 1 if r == "sequence" else r for p, r in (ranks or {}).items()})
        other.floats = float_names(other, set(params))
        other.specialised = True
        return other

    def scalar_candidates(self, numbers=False):
        """Parameters the gradient is specialised for being Python floats
        (numbers: ints or floats)
        (:func:`srcgrad.compiler.analysis.shapes.scalar_candidates`)."""
        return scalar_candidates(self, numbers)

    def guard_candidates(self):
        """Of the :meth:`scalar_candidates`, those the float version's guard
        tests: differentiated ones, and data that only reach the result
        elementwise (:func:`srcgrad.compiler.analysis.shapes.guard_candidates`)."""
        return guard_candidates(self)

    def rank_candidates(self, scalars=()):
        """Parameters the gradient is specialised for being arrays of a
        given rank, with that rank, where ``scalars`` are numbers
        (:func:`srcgrad.compiler.analysis.rank_guesses.rank_candidates`),
        and those read element by element only, assumed sequences of
        numbers (``"sequence"``: ``rank_guesses.sequence_candidates``)."""
        out = rank_candidates(self, scalars)
        out.update((p, "sequence") for p in sequence_candidates(self, out, scalars))
        return out

    def element_scalar(self, x, index):
        """Whether ``x[index]`` is certainly a scalar: ``x`` has a known rank
        and ``index`` an integer for every axis (a copy, never a view)."""
        return element_rank(getattr(self, "ranks", {}), getattr(self, "ints", ()), x,
                            index) == 0

    def shape_chain(self, name):
        """``name`` and the values it was computed from elementwise, which
        certainly have its shape (earliest last)."""
        return shape_chain(self, name)

    def same_shape(self, a, b):
        """Whether names ``a`` and ``b`` certainly have the same shape."""
        return same_shape(self, a, b)


def analyse(parsed, fn, wrt, locals_, user_of=None, driver=None, scalar_result=True,
            classes=None):
    a = Analysis(parsed, fn, wrt, locals_, driver)
    a.user_of = user_of or {}
    a.scalar_result = scalar_result
    a.classes = dict(classes or {})     # arguments' classes this version is made for
    return a.run()
