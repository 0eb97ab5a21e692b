"""The driver: the stages in order, and the cache of generated functions.

parse → normalise (+ inline) → SSA → hoist → analyse → reverse | forward →
optimise → emit.  ``front_end`` runs the stages every mode shares,
``reverse_transform`` and ``forward_transform`` the rest; ``assemble``
compiles the generic version and the one for Python floats.  The public API
(``srcgrad.api``) calls these; no stage imports the API.  A stage that needs
the derivative of another function (``srcgrad.grad(f)`` written inside
differentiated code, a recursive call, a helper's vjp) asks the
:class:`Driver` it is given.  The stage runner is ``stages.py``, the caches
``memo.py``.

>>> import numpy as np
>>> def f(x):
...     return np.sum(np.sin(x) * 2.0)
>>> df = reverse_transform(f, ("x",), Driver(), with_value=False)
>>> float(df(0.0))
2.0
"""

import dataclasses
import inspect
import re
import types

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler import diskcache
from srcgrad.compiler import emit as emit_stage
from srcgrad.compiler.analysis import Analysis, analyse
from srcgrad.compiler.analysis.callees import (JointFallback, joint_problem, mutable_globals,
                                              recompute_problem)
from srcgrad.compiler.analysis.complex_values import check_complex
from srcgrad.compiler.boundary import (Boundary, _no_complex_jacobians, complex_dispatch,  # noqa: F401
                                       complex_maker, normalise_wrt, with_boundary, wrt_key)
from srcgrad.compiler.frontend import generated
from srcgrad.compiler.frontend import Normaliser
from srcgrad.compiler.frontend import parse
from srcgrad.compiler.frontend.normalise.attributes import constructed_classes
from srcgrad.compiler.frontend.parse import portable_defaults
from srcgrad.compiler.ir.names import Injector, Namer, comment_node, load, names_in
from srcgrad.compiler.ir.printer import to_source
from srcgrad.compiler.ir.signature import Positional, call_with_extra, with_extra_parameters
from srcgrad.compiler.ir.ssa import to_ssa
from srcgrad.compiler.versions import assemble
from srcgrad.compiler.stages import _TRACE, Trace, run_stages, trace, without_gc  # noqa: F401
from srcgrad.compiler.memo import (_JOINT, SPLITS, UNITS, cache_get, cache_put,  # noqa: F401
                                   clear_cache, generate_cached, inlined_twin)
from srcgrad.compiler.optimise import (batch_outer_products, cancel_accumulations,
                                                eliminate_dead_code, split_closure,
                                                forward_temporaries, hoist_invariants, never_none,
                                                propagate_constants, propagate_copies)
from srcgrad.compiler.optimise.accumulators import pass_accumulators
from srcgrad.compiler.optimise.branch_zeros import move_zero_branches
from srcgrad.compiler.optimise.restores import propagate_restores
from srcgrad.compiler.optimise.eager_reverse import run_eagerly
from srcgrad.compiler.optimise.first_writes import first_writes
from srcgrad.compiler.optimise.list_fusion import fuse_list_adjoints
from srcgrad.compiler.transforms import BatchedForward, Forward
from srcgrad.compiler.transforms import Comment, Reverse
from srcgrad.compiler.optimise.primal import primal_form
from srcgrad.errors import ClassesNeeded, NonScalarOutputError, SrcgradError
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree

class Driver:
    """What a stage may ask of srcgrad as a whole: the public transforms
    (``grad``, ``jvp`` ...), to generate the derivative of another function.

    The public API (``srcgrad.api``) makes the one instance and provides the
    transforms; the pipeline hands it to the stages that need it (the
    inliner, for ``srcgrad.grad(f)`` written inside differentiated code; the
    analysis, for the rule of a recursive call).  So no stage imports the API.
    """

    def __init__(self):
        self.transforms = {}

    def provide(self, **transforms):
        self.transforms.update(transforms)
        diskcache.JOINT_MAKER[:] = [self.joint_form]   # a cached caller's helpers

    @property
    def static_transforms(self):
        """The transforms a call in differentiated code may name, evaluated
        while generating (``srcgrad.grad(f, wrt=0)`` of a known ``f``)."""
        return tuple(self.transforms.values())

    def recursive_vjp(self, fun, i, args, g):
        """The cotangent of argument ``i`` of ``fun(*args)`` given the result's ``g``."""
        return call_with_extra(self.transforms["vjp"](fun, wrt=i), fun, args, g)[1]

    def recursive_split(self, fun, wrt, args):
        """``(value, back)`` for ``fun(*args)``: the value and a closure that
        maps the result's cotangent to the tuple of cotangents of the
        arguments at positions ``wrt`` (the split form, generated once per
        ``fun`` and ``wrt``: each level of a recursion runs its forward sweep
        once, so the cost is linear in the depth).  A real number result of
        float arguments is pulled back at once: through the form that returns
        the value and the derivatives together (:meth:`unit_form`, whose loops
        may run their reverse as they go: ``optimise/eager_reverse.py``), or
        where the result is not a real number, the split form
        (``runtime.recursive_split``)."""
        try:
            made = SPLITS.get((fun, wrt))
        except TypeError:           # (an unhashable callable)
            return runtime.recursive_split(self.split_form(fun, wrt), wrt, args)
        unit = UNITS.get((fun, wrt))
        if unit is not False and runtime.real_arrays(args, wrt):
            if unit is None:
                unit = UNITS[(fun, wrt)] = self.unit_form(fun, wrt)
            try:
                value, unit_derivatives = unit(*args)
            except NonScalarOutputError:
                UNITS[(fun, wrt)] = False       # (the split form from now on)
            else:
                return value, runtime.Unit(unit_derivatives)
        if made is None:
            made = SPLITS[(fun, wrt)] = self.split_form(fun, wrt)
        return runtime.recursive_split(made, wrt, args)

    def split_form(self, fun, wrt):
        """The split form of ``fun`` for the arguments at positions ``wrt``
        (what :meth:`recursive_split` calls; exports write it out)."""
        params = list(inspect.signature(fun).parameters)
        return cache_get(fun, ("split", wrt)) or cache_put(fun, ("split", wrt), reverse_transform(
            fun, tuple(params[i] for i in wrt), self, with_value=True, as_tuple=True,
            cotangent=True, split=True))

    def unit_form(self, fun, wrt):
        """``fun``'s value and derivatives for the arguments at positions
        ``wrt`` (a tuple), its result a real number (``check_scalar``)."""
        params = list(inspect.signature(fun).parameters)
        return cache_get(fun, ("unit", wrt)) or cache_put(fun, ("unit", wrt), reverse_transform(
            fun, tuple(params[i] for i in wrt), self, with_value=True, as_tuple=True))

    def joint_form(self, fun, wrt):
        """A form of the helper ``fun`` with an adjoint function of its own
        (``frontend/inline/joint.py``): for parameters ``wrt``, its ``vjp``
        (``vjp_fun(*args, cotangent, *caller's adjoints)`` returns the
        cotangents of ``wrt``, computing the primal again); ``wrt`` None: its
        primal form, what callers' forward sweeps call
        (``optimise/primal.py``).  Cached in memory and on disk; raises
        :class:`JointFallback` when ``fun`` is to be inlined after all."""
        key = ("joint", wrt)
        made = cache_get(fun, key)
        if made is None:
            def generate():
                try:
                    if wrt is None:
                        front = front_end(fun, (), self, scalar_result=False, reverse=True)
                        name = fun.__name__ if not runtime.defines(fun.__name__) else \
                            "primal_" + fun.__name__      # (an export defines the runtime's)
                        fn = primal_form(front, name, lambda h: self.joint_form(h, None))
                        return assemble(front, fn.name, lambda an, name: fn, rank_versions=False)
                    # named after the parameters differentiated unless they are all:
                    # one name per helper and set (an export defines them side by side)
                    params = list(inspect.signature(fun).parameters)
                    name = "vjp_" + fun.__name__ + \
                        ("" if list(wrt) == params else "_" + "_".join(wrt))
                    return reverse_transform(fun, wrt, self, with_value=False, as_tuple=True,
                                             cotangent=True, joint=True, name=name)
                except SrcgradError as e:
                    raise JointFallback(fun, str(e).splitlines()[0]) from None
            made = generate_cached(fun, ["joint", None if wrt is None else list(wrt)], generate)
            made.srcgrad_joint = (fun, wrt, self)
            made.srcgrad_refusal = runtime.pulled.srcgrad_refusal
            cache_put(fun, key, made)
        return made

    def joint_facts(self, fun, assumed):
        """``(rank, shape, floats)``: what the analysis of the helper ``fun``
        (one with an adjoint function of its own) finds when its parameters
        have the ranks ``assumed`` (name -> rank): its result's rank and
        static shape (``"?"``, None: not certain), the parameters it uses as
        floats (``scalar_candidates``).  Its callers' shape facts, as if inlined."""
        front = self._joint_front(fun)
        key = ("joint_facts", tuple(sorted(assumed.items())))
        facts = cache_get(fun, key) or (("?", None, frozenset()) if front is False else None)
        if facts is None:
            an = front.analysis.assuming((), assumed)
            facts = cache_put(fun, key, (an.ranks.get(an.result, "?"), an.static_shape.get(
                an.result), frozenset(front.analysis.scalar_candidates())))
        return facts

    def joint_globals(self, fun):
        """``{id(object): name}``: what the helper ``fun`` reads, itself or
        through the helpers it calls, that is not its own and may change
        (``analysis.callees.mutable_globals``; its vjp reads them again)."""
        found = cache_get(fun, "joint_globals")
        if found is None:
            front = self._joint_front(fun)
            found = {} if front is False else mutable_globals(front.fn, front.analysis)
            for kept in getattr(front.parsed, "srcgrad_kept", ()) if front else ():
                found.update(self.joint_globals(kept))
            cache_put(fun, "joint_globals", found)
        return found

    def _joint_front(self, fun):
        front = cache_get(fun, "joint_front")
        if front is None:
            try:
                front = front_end(fun, (), self, reverse=True, scalar_result=False)
            except SrcgradError:
                front = False
            cache_put(fun, "joint_front", front)
        return front

    def recursion_problem(self, fun):
        """Why the recursive ``fun`` may not give the same result twice
        (``recompute_problem``; a derivative calling it again), or None."""
        front = self._joint_front(fun)
        return front and recompute_problem(front.fn, front.analysis, recursive=True) or None

    def recursive_jvp(self, fun, i, args, t):
        """The tangent of ``fun(*args)`` along tangent ``t`` of argument ``i``."""
        return call_with_extra(self.transforms["jvp"](fun, wrt=i), fun, args, t)[1]


#: a derivative of generated code reaching a recursive call's split form is refused
Driver.recursive_split.srcgrad_refusal = runtime.pulled.srcgrad_refusal
Driver.recursive_vjp.srcgrad_refusal = runtime.pulled.srcgrad_refusal


@dataclasses.dataclass
class Front:
    """What the front of the pipeline (parse → normalise → SSA → analyse)
    produces, shared by every mode."""
    parsed: object
    fn: object
    analysis: object
    namer: object
    injector: object
    user_of: dict


def front_end(fun, wrt_names, driver, *, scalar_result=True, reverse=False,
              complex_params=frozenset(), classes=None, joint_exclude=frozenset()):
    """parse → normalise → SSA → hoist → analyse (:data:`FRONT_END`).
    ``scalar_result``: the result is known to be a scalar (``grad`` checks
    it), which lets the shape analysis prove more.  ``reverse``: for the
    reverse transform (generated code's tapes stay lists).  ``complex_params``:
    the parameters this version is made for being complex.  ``classes``: name ->
    class of the objects whose methods the function calls (``api/classes.py``).
    ``joint_exclude``: helpers inlined even where they would have an adjoint
    function of their own (``frontend/inline/joint.py``; reverse mode only)."""
    state = types.SimpleNamespace(fun=fun, wrt=wrt_names, driver=driver,
                                  scalar_result=scalar_result, reverse=reverse,
                                  complex_params=complex_params, classes=dict(classes or {}),
                                  joint_exclude=joint_exclude)
    try:
        run_stages(FRONT_END, state, lambda: state.fn if hasattr(state, "fn") else state.parsed.tree)
    except ClassesNeeded as e:      # b = Body(...); b.step(dt): again, with Body's methods
        local = constructed_classes(getattr(state, "parsed", None), e.params, state.classes)
        if not local:
            raise
        return front_end(fun, wrt_names, driver, scalar_result=scalar_result, reverse=reverse,
                         complex_params=complex_params, classes={**state.classes, **local},
                         joint_exclude=joint_exclude)
    return Front(state.parsed, state.fn, state.analysis, state.namer, state.injector,
                 state.user_of)


def _parse(st):
    # srcgrad's own generated code (higher derivatives): see frontend/generated.py
    st.parsed = parse(generated.generic_version(st.fun))      # (a tree of its own)
    portable_defaults(st.parsed)
    generated.prepare(st.parsed, reverse=st.reverse)
    st.parsed.srcgrad_reverse = st.reverse      # for generated code the inliner meets
    # helpers called from several sites keep their calls in reverse mode for real
    # arguments (frontend/inline/joint.py); None: every helper is inlined
    st.parsed.srcgrad_joint = frozenset(st.joint_exclude) \
        if st.reverse and not st.complex_params and _JOINT[0] else None
    st.namer = Namer(names_in(st.parsed.tree) | set(st.parsed.closure))


def _normalise(st):
    st.fn = Normaliser(st.parsed, st.namer, driver=st.driver, classes=st.classes).run()


def _ssa(st):
    st.user_of = to_ssa(st.fn, st.namer)
    fn = st.fn
    st.locals = {a.id for a in fn.args.args + fn.args.posonlyargs + fn.args.kwonlyargs}
    st.locals |= {n.id for n in name_nodes(fn) if isinstance(n.ctx, gast.Store)}


def _hoist(st):
    resolver = Analysis(st.parsed, st.fn, st.wrt, st.locals, driver=st.driver).resolve
    st.fn.body = hoist_invariants(st.fn.body, resolver, bound=never_none(st.fn, st.locals))


def _analyse(st):
    st.analysis = an = analyse(st.parsed, st.fn, st.wrt, st.locals, st.user_of, st.driver,
                               scalar_result=st.scalar_result, classes=st.classes)
    check_complex(st.parsed, st.fn, an, st.complex_params)
    st.injector = Injector(st.namer, an.resolve_name)
    for name, obj in st.parsed.extras.items():      # objects inlined code refers to
        st.injector.objects[name] = obj
        st.injector.by_id.setdefault(id(obj), name)


#: the stages every mode shares, in order (``srcgrad FILE:FUN --after NAME``
#: prints the code after one of them)
FRONT_END = [("parse", _parse), ("normalise", _normalise), ("ssa", _ssa), ("hoist", _hoist),
             ("analyse", _analyse)]


@without_gc
def reverse_transform(fun, wrt_names, driver, **options):
    """Run the reverse-mode pipeline (:func:`_reverse_transform`), again with a helper
    inlined where its adjoint function turns out impossible (:class:`JointFallback`)."""
    exclude = set()
    while True:
        try:
            made = _reverse_transform(fun, wrt_names, driver, joint_exclude=frozenset(exclude),
                                      **options)
        except JointFallback as e:
            if e.fun is fun:
                raise               # (the caller making this split form inlines it)
            item = e.excluded if e.excluded not in exclude else e.fun
            if item in exclude:     # (never: an excluded helper is inlined)
                raise SrcgradError(f"srcgrad failed to inline {e.fun.__qualname__} "
                                   f"({e.reason}); please report this program") from None
            exclude.add(item)
            continue
        if any(hasattr(obj, "srcgrad_joint") for obj in made.srcgrad_injected.values()):
            # what a derivative of this gradient differentiates: every helper inlined
            made.srcgrad_twin = lambda: inlined_twin(
                lambda: reverse_transform(fun, wrt_names, driver, **options))
        return made


def _reverse_transform(fun, wrt_names, driver, *, with_value, as_tuple=None, cotangent=False,
                       complex_params=None, split=False, classes=None, name=None,
                       joint=False, joint_exclude=frozenset()):
    """Run the reverse-mode pipeline; returns the generated function.

    Two versions may be generated from one analysis: a generic one, correct
    for any mix of scalars and arrays, and, when it differs, one specialised
    for Python-float arguments (no shape bookkeeping at all, as a person
    would write it) that starts with a type check falling back to the
    generic version.  With ``cotangent`` (``vjp``), the generated function
    takes the result's cotangent as a last argument instead of seeding 1.
    ``complex_params``: make the version for these parameters being complex
    (docs/complex.md); by default the version for real ones, which calls
    that one when an argument is complex.  ``split`` (with ``cotangent`` and
    ``with_value``; srcgrad's own use, for recursive calls): the function
    returns the value and a closure taking the cotangent
    (``optimise/closures.py``), with no checks at its boundary.  ``classes``:
    :func:`front_end`'s; ``name``: the generated function's.  ``joint``
    (with ``cotangent``): the vjp of a helper its callers call
    (``Driver.joint_form``), refused (:class:`JointFallback`) for a helper
    that writes into its arguments or takes containers."""
    front = front_end(fun, wrt_names, driver, scalar_result=not cotangent, reverse=True,
                      complex_params=complex_params or frozenset(), classes=classes,
                      joint_exclude=joint_exclude)
    if joint:
        a = front.fn.args
        problem = joint_problem(front.parsed, front.analysis,
                                [p.id for p in a.posonlyargs + a.args + a.kwonlyargs]) or \
            recompute_problem(front.fn, front.analysis)
        if problem is not None:
            raise JointFallback(fun, problem)
    parsed, namer = front.parsed, front.namer
    if split:
        prefix = "split_"
    elif cotangent:
        prefix = "vjp_"
    else:
        prefix = "value_and_d_" if with_value else "d_"
    requested, name = name, namer.fresh(name or prefix + parsed.name)
    seed = namer.fresh("cotangent") if cotangent else None

    def generate(analysis, fname):
        st = types.SimpleNamespace(front=front, analysis=analysis, name=fname, seed=seed,
                                   wrt=wrt_names, with_value=with_value, split=split, joint=joint,
                                   as_tuple=len(wrt_names) > 1 if as_tuple is None else as_tuple)
        run_stages(REVERSE, st, lambda: st.out)
        return st.out

    signature = dataclasses.replace(parsed, fun=Positional(
        parsed.fun, parsed.tree.args, len(wrt_names) if joint else 0)) if cotangent else None
    boundary = Boundary(tuple(wrt_names),
                        "value_and_derivatives" if with_value else "derivatives",
                        len(wrt_names) > 1 if as_tuple is None else as_tuple)
    if split or joint:
        return assemble(front, name, generate, signature=signature)
    make = None if complex_params is not None else complex_maker(
        fun, reverse_transform, wrt_names, driver, with_value=with_value, as_tuple=as_tuple,
        cotangent=cotangent, classes=classes, name=requested)
    params = front.fn.args if seed is None else \
        with_extra_parameters(front.fn.args, [seed], parsed.fun)     # (as the transform does)
    return assemble(front, name, generate, signature=signature, boundary=boundary,
                    complex_make=make, params=params if complex_params is None else None)


@without_gc
def forward_transform(fun, wrt_names, driver, *, with_value=True, name=None, batched=False,
                      boundary=None, complex_params=None, classes=None):
    """Run the forward-mode pipeline; returns the generated function (a
    generic version and, when it differs, one for Python floats behind a
    type guard, as :func:`reverse_transform` makes).  Without
    ``with_value`` it returns the tangent alone; ``name`` names it (default
    ``jvp_<function>``).  ``batched``: every tangent has a last axis of
    directions (:class:`srcgrad.compiler.transforms.forward.BatchedForward`); only the generic
    version is generated (the tangents are arrays).  ``boundary``: what the
    generated function returns, for its type checks (:class:`srcgrad.compiler.boundary.Boundary`;
    by default ``(value, tangent)``)."""
    boundary = boundary or Boundary(tuple(wrt_names), "tangent" if with_value else "derivatives",
                                    len(wrt_names) > 1)
    front = front_end(fun, wrt_names, driver, scalar_result=False,
                      complex_params=complex_params or frozenset(), classes=classes)
    namer = front.namer
    name = namer.fresh(name or ("jvp_batched_" if batched else "jvp_") + front.parsed.name)
    # over a generated gradient, whose names are d_x already, tangents are t_d_x
    prefix = "t_" if generated.is_generated(front.parsed.fun) else "d_"
    # the tangent arguments are named before either version is generated,
    # so both versions (and the guard) agree on them
    tangent_names = {p: namer.fresh(prefix + p) for p in wrt_names}

    def generate(analysis, fname):
        st = types.SimpleNamespace(front=front, analysis=analysis, name=fname, wrt=wrt_names,
                                   batched=batched, prefix=prefix, with_value=with_value,
                                   tangent_names=tangent_names)
        run_stages(FORWARD, st, lambda: st.out)
        return st.out

    signature = dataclasses.replace(front.parsed, fun=Positional(front.parsed.fun,
                                                                      front.parsed.tree.args))
    if batched:
        out = generate(front.analysis, name)
        complex_dispatch(front, out, _no_complex_jacobians)
        text = with_boundary(to_source(out), out, boundary, (), front)
        df = emit_stage.build([(name, text)], signature, front.injector.objects)
        df.srcgrad_source = text
        df.srcgrad_injected = dict(front.injector.objects)
    else:
        make = None if complex_params is not None else complex_maker(
            fun, forward_transform, wrt_names, driver, with_value=with_value, name=name,
            boundary=boundary, classes=classes)
        df = assemble(front, name, generate, extra_checks=list(tangent_names.items()),
                      signature=signature, boundary=boundary, complex_make=make)
    df.srcgrad_tangents = tuple(tangent_names[p] for p in wrt_names)
    # over generated code: the helpers it calls are closure variables of that code
    used = set(re.findall(r"\w+", df.srcgrad_source))
    df.srcgrad_injected.update({n: obj for n, obj in generated.closure_objects(front.parsed).items()
                                if n in used})
    return df


# -- the stages after the front end --------------------------------------------
# Each takes the state of one generated version (``st``) and updates it.

def _reverse(st):
    front = st.front
    st.rev = Reverse(front.parsed, copy_tree(front.fn), st.analysis, copy_tree(front.namer),
                     front.injector, st.wrt, front.user_of, with_value=st.with_value,
                     as_tuple=st.as_tuple, seed=st.seed, split=st.split)
    st.out = st.rev.run()
    _comments_to_nodes(st.out.body)
    st.out.name = st.name
    st.temps = getattr(front.fn, "srcgrad_temps", set())
    st.adjoints_of_temps = {st.rev.adj_names[t] for t in st.temps if t in st.rev.adj_names}


def _reverse_copies(st):
    propagate_copies(st.out, st.adjoints_of_temps)


def _reverse_constants(st):
    adjoints = set(st.rev.adj_names.values())
    st.new_copies = []
    propagate_constants(st.out, adjoints - st.adjoints_of_temps, adjoints,
                        getattr(st.analysis, "floats", ()), made_copies=st.new_copies)


def _reverse_copies_again(st):
    # (the copies the constants made, if any: the others were propagated, or
    # are held up by a store that is still there)
    if any(isinstance(s, gast.Assign) and isinstance(s.targets[0], gast.Name) and
           s.targets[0].id in st.adjoints_of_temps for s in st.new_copies):
        propagate_copies(st.out, st.adjoints_of_temps)


def _dead_code(st):
    eliminate_dead_code(st.out)


def _accumulations(st):
    cancel_accumulations(st.out, set(st.rev.adj_names.values()))
    first_writes(st.out, st.front.injector.objects, getattr(st.analysis, "list_items", {}))
    fuse_list_adjoints(st.out, st.front.injector.objects, getattr(st.analysis, "list_items", {}),
                       st.rev.namer.fresh, lambda: st.front.injector.name_for(len, "len"))
    move_zero_branches(st.out)
    propagate_restores(st.out)


def _eager(st):
    # (a split form's seed comes with its closure's call; a helper's vjp adds
    # into its caller's adjoints, which split_closure's accumulators find)
    if not st.split and not st.joint:
        parsed = st.front.parsed
        run_eagerly(st.out, st.front.injector.objects, st.front.injector.resolve,
                    parsed.describe, parsed.firstlineno)


def _closure(st):
    if st.split:
        result = st.out.srcgrad_result
        # a copy of an array result the caller may change in place, unless the
        # reverse sweep reads nothing that may share its memory
        shared = getattr(st.analysis, "share", {}).get(result, set()) | {result}
        inj = st.front.injector
        split_closure(st.out, st.seed, st.rev.namer.fresh,
                      lambda e, read: e if result in st.analysis.scalar or not shared & read
                      else gast.Call(func=load(inj.name_for(runtime.own, "own")),
                                     args=[e], keywords=[]))
    elif st.joint:      # a helper's vjp adds into its caller's adjoints
        inj = st.front.injector
        pass_accumulators(st.out, st.wrt, lambda c, helper: isinstance(c.func, gast.Name) and
                          inj.objects.get(c.func.id) is getattr(runtime, helper),
                          st.rev.namer.fresh,
                          lambda: inj.name_for(runtime.accumulated, "accumulated"))


def _temporaries(st):
    forward_temporaries(st.out, st.temps | st.adjoints_of_temps, st.front.injector.objects)


def _outer_products(st):
    injector = st.front.injector
    batch_outer_products(st.out, injector.objects, st.rev.namer.fresh,
                         lambda: injector.name_for(runtime.matmul_dx_sum, "matmul_dx_sum"))


#: reverse mode after the front end: the transform, then the optimisations in
#: order (copies run again on the copies the constants make, if they make any)
REVERSE = [("reverse", _reverse), ("propagate_copies", _reverse_copies),
           ("propagate_constants", _reverse_constants), ("propagate_copies", _reverse_copies_again),
           ("eliminate_dead_code", _dead_code), ("cancel_accumulations", _accumulations),
           ("forward_temporaries", _temporaries), ("batch_outer_products", _outer_products),
           ("run_eagerly", _eager),
           ("split_closure", _closure)]


def _forward(st):
    front = st.front
    fwd = (BatchedForward if st.batched else Forward)(
        front.parsed, copy_tree(front.fn), st.analysis, copy_tree(front.namer),
        front.injector, st.wrt, front.user_of)
    fwd.prefix = st.prefix
    fwd.with_value = st.with_value
    fwd.tan_names.update(st.tangent_names)
    st.out = fwd.run()
    st.out.name = st.name
    temps = getattr(front.fn, "srcgrad_temps", set())
    st.tangents_of_temps = {fwd.tan_names[t] for t in temps if t in fwd.tan_names}


def _forward_copies(st):
    propagate_copies(st.out, st.tangents_of_temps)


#: forward mode after the front end
FORWARD = [("forward", _forward), ("propagate_copies", _forward_copies),
           ("eliminate_dead_code", _dead_code)]


# -- running and watching the stages -------------------------------------------

def stage_names():
    """Every stage name, in pipeline order (front end, reverse, forward)."""
    names = []
    for name, _ in FRONT_END + REVERSE + FORWARD:
        if name not in names:
            names.append(name)
    return names


def _comments_to_nodes(stmts):
    for i, s in enumerate(stmts):
        if isinstance(s, Comment):
            stmts[i] = comment_node(s.text)
        for f in ("body", "orelse"):
            sub = getattr(s, f, None)
            if isinstance(sub, list):
                _comments_to_nodes(sub)


