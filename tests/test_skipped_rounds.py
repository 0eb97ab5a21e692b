"""Work the optimiser skips changes nothing, on the reverse sweep of every
program of the construct corpus, the loop workloads, the transformation
benchmark's shapes and fuzz programs:

- dead-code elimination stops after a round that removed only what
  liveness found dead (``optimise/dead_code.py``): the code it leaves is
  the code of the old fixpoint loop (rounds until one removes nothing, each
  looking only at the next statement for an overwriting one);
- copy propagation runs again after constant propagation only when that
  made a copy (``pipeline._reverse_copies_again``): where it is skipped,
  running it leaves the same code."""

import inspect

import pytest

import srcgrad
from srcgrad.compiler import pipeline
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.dataflow import walk_stmts
from srcgrad.compiler.ir.printer import to_source
from srcgrad.compiler.optimise import dead_code
from srcgrad.errors import SrcgradError


def _old_fixpoint(fn):
    """The loop before: rounds until the statement count stays the same."""
    facts_cache = {}

    def facts(s):
        got = facts_cache.get(id(s))
        if got is None:
            got = facts_cache[id(s)] = (s, dead_code._assignment_facts(s))
        return got[1]

    def fact(k, compute):
        def get(s):
            f = facts(s)
            if f is not None:
                return f[k]
            got = facts_cache.get((k, id(s)))
            if got is None:
                got = facts_cache[(k, id(s))] = (s, compute(s))
            return got[1]
        return get

    loads = fact(0, dead_code._stmt_loads)
    closure, pure = fact(1, dead_code._has_closure), fact(2, dead_code._pure)

    def overwritten(s, nxt):
        import gast
        if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                isinstance(s.targets[0], gast.Name)):
            return False
        f = facts(s)
        return f[2] and not f[3] and dead_code._overwrites(s, nxt, loads)

    count = lambda: sum(1 for _ in walk_stmts(fn.body))     # noqa: E731
    for _ in range(10):
        live = dead_code._live_assignments(fn.body, loads, pure, closure, facts)
        before = count()
        fn.body = dead_code._sweep(fn.body, live, pure, overwritten, [], past_dead=False)
        if count() == before:
            break
    return fn


def _functions():
    from tests import programs
    from benchmarks import loop_workloads
    out = [(f"programs.{n}", f) for n, f in vars(programs).items()
           if inspect.isfunction(f) and f.__module__ == programs.__name__]
    out += [(f"loops.{n}", f) for n, f in vars(loop_workloads).items()
            if inspect.isfunction(f) and f.__module__ == loop_workloads.__name__
            and not n.endswith(("_hand", "_inputs"))]
    return out


def _fuzz_functions(seeds):
    from tests.fuzz.gen import generate
    from tests.fuzz.runner import load
    for seed in seeds:
        program = generate(seed)
        try:
            module = load(program.source, "dc")
        except Exception:
            continue
        yield f"fuzz.{seed}", getattr(module, program.name)


def _generated_shapes(tmp_path):
    from benchmarks.transform_time import SHAPES, generate
    from tests.fuzz.runner import load
    for shape in SHAPES:
        module = load(generate(shape, 100), f"tt_{shape}")
        yield f"shape.{shape}", module.f


@pytest.fixture
def compare(monkeypatch):
    seen = []
    real = pipeline.eliminate_dead_code

    def both(fn):
        old = to_source(_old_fixpoint(copy_tree(fn)))
        new = to_source(real(fn))
        seen.append(old == new)
        assert new == old
        return fn
    monkeypatch.setattr(pipeline, "eliminate_dead_code", both)
    return seen


@pytest.fixture
def compare_copies(monkeypatch):
    seen = []
    real = pipeline._reverse_copies_again

    def both(st):
        before = to_source(copy_tree(st.out))
        real(st)
        if to_source(st.out) == before:         # (skipped, or it changed nothing)
            again = copy_tree(st.out)
            pipeline.propagate_copies(again, st.adjoints_of_temps)
            seen.append(to_source(again) == before)
            assert to_source(again) == before
    monkeypatch.setattr(pipeline, "_reverse_copies_again", both)
    monkeypatch.setattr(pipeline, "REVERSE", [(n, both if f is real else f)
                                              for n, f in pipeline.REVERSE])
    return seen


def _run_corpus(tmp_path, monkeypatch):
    """Every version of the gradient of each program (the disk cache off:
    each goes through the pipeline)."""
    monkeypatch.setenv("SRCGRAD_CACHE", "0")
    programs = [_functions(), _generated_shapes(tmp_path), _fuzz_functions(range(120))]
    for name, f in (p for group in programs for p in group):
        srcgrad.clear_cache()
        try:
            srcgrad.source(srcgrad.grad(f))         # (every version made)
        except SrcgradError:
            continue


def test_the_same_code_as_the_fixpoint_loop(compare, tmp_path, monkeypatch):
    _run_corpus(tmp_path, monkeypatch)
    assert len(compare) > 150 and all(compare)


def test_copies_again_only_when_constants_made_copies(compare_copies, tmp_path, monkeypatch):
    _run_corpus(tmp_path, monkeypatch)
    assert len(compare_copies) > 150 and all(compare_copies)
