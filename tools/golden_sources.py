"""Every source srcgrad generates for a large corpus, in one text file: the
invariant for changes that must not change the generated code (issue #15,
making the transformation faster).

    python tools/golden_sources.py OUT.txt              # write the corpus
    python tools/golden_sources.py OUT.txt --compare GOLDEN.txt
    python tools/golden_sources.py OUT.txt --fuzz 300 --compare GOLDEN.txt

The corpus: every function defined in tests/programs.py,
tests/call_programs.py, tests/container_programs.py,
tests/forward_programs.py, tests/linalg_programs.py,
tests/soundness_programs.py and tests/complex_programs.py, each asked for

- ``grad`` w.r.t. argument 0 and w.r.t. all its positional parameters
  without a default, ``jvp``, ``vjp``, ``hvp`` and ``hvp_batched`` w.r.t.
  argument 0;
- and, for the cases the tests list (``CASES`` of tests/test_constructs.py,
  tests/test_containers.py, tests/test_linalg_tuples.py,
  tests/test_soundness_known.py; ``SCALAR_CASES`` of tests/test_calls.py;
  ``VECTOR_FUNCTIONS`` of tests/test_vjp.py), ``grad``, ``jvp``, ``vjp`` and
  ``hvp`` w.r.t. the tests' ``wrt`` (the gradient is also called on the
  tests' arguments, in case something is generated lazily);

plus the functions of benchmarks/transform_time.py (every shape, 30 and 100
lines), ``grad`` and ``jvp`` w.r.t. all four arguments; and, with ``--fuzz
N``, the programs of the wide fuzzer's seeds 0 to N-1 (tests/fuzz/gen.py),
``grad``, ``jvp`` and ``hvp`` w.r.t. the program's ``wrt``.  Each entry is a
``### <module>.<function> <mode> wrt=<wrt>`` line and then
``srcgrad.source(...)`` or ``ERROR <type>: <message>`` (srcgrad's refusals
are part of the invariant too; object addresses and paths are masked).  The disk cache
is off (``SRCGRAD_CACHE=0``), so every source is generated.

With ``--compare GOLDEN``, the entries that differ from GOLDEN's are listed
(exit status 1 when any does).  Run from the repository root, as
``python tools/golden_sources.py``; it takes a few minutes.
"""

import os

os.environ["SRCGRAD_CACHE"] = "0"

import argparse  # noqa: E402
import importlib.util  # noqa: E402
import inspect  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import srcgrad  # noqa: E402

MODULES = ("programs", "call_programs", "container_programs", "forward_programs",
           "linalg_programs", "soundness_programs", "complex_programs")
TRANSFORMS = {"grad": srcgrad.grad, "jvp": srcgrad.jvp, "vjp": srcgrad.vjp, "hvp": srcgrad.hvp,
              "hvp_batched": None}


def _transform(mode):
    if mode == "hvp_batched":
        from srcgrad.api.blocks import hvp_batched
        return hvp_batched
    return TRANSFORMS[mode]


def functions_of(module):
    """The functions defined in ``module``, in source order."""
    funs = [f for f in vars(module).values()
            if inspect.isfunction(f) and f.__module__ == module.__name__]
    return sorted(funs, key=lambda f: f.__code__.co_firstlineno)


def required_positions(fun):
    P = inspect.Parameter
    params = [q for q in inspect.signature(fun).parameters.values()
              if q.kind in (P.POSITIONAL_ONLY, P.POSITIONAL_OR_KEYWORD)]
    return tuple(i for i, q in enumerate(params) if q.default is q.empty)


def test_cases():
    """``(function, wrt, args or None)`` of the tests' case lists."""
    from tests import test_calls, test_constructs, test_containers, test_linalg_tuples
    from tests import test_soundness_known, test_vjp
    out = []
    for fun, wrt, inputs in test_constructs.CASES:
        out.append((fun, wrt, inputs[0]))
    for fun, args in test_calls.SCALAR_CASES:
        out.append((fun, tuple(range(len(args))), args))
    for fun, args, wrt in test_containers.CASES + test_linalg_tuples.CASES:
        out.append((fun, wrt, args))
    for fun, args, wrt, _ in test_soundness_known.CASES:
        out.append((fun, wrt, args))
    for fun, wrt, _ in test_vjp.VECTOR_FUNCTIONS:
        out.append((fun, wrt, None))
    return out


def masked(text):
    """``text`` without what changes from run to run or tree to tree: object
    addresses, the repository's and the temporary directory's paths."""
    text = text.replace(ROOT + os.sep, "<root>/")
    text = re.sub(r"\S*srcgrad-golden-\w+", "<tmp>", text)
    return re.sub(r"0x[0-9a-fA-F]+", "0x...", text)


def one(fun, mode, wrt, args=None):
    """The source (or the error) of ``mode`` of ``fun`` w.r.t. ``wrt``."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            made = _transform(mode)(fun, wrt=wrt)
            if args is not None and mode == "grad":
                try:
                    made(*args)
                except Exception:       # noqa: BLE001 -- the source is what counts
                    pass
            return srcgrad.source(made).rstrip() + "\n"
    except Exception as e:              # noqa: BLE001
        return masked(f"ERROR {type(e).__name__}: {e}").rstrip() + "\n"


def benchmark_functions(directory):
    """``f`` of every shape of benchmarks/transform_time.py at 30 and 100 lines."""
    from benchmarks.transform_time import SHAPES, generate
    out = []
    for shape in SHAPES:
        for lines in (30, 100):
            path = os.path.join(directory, f"gen_{shape}_{lines}.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(generate(shape, lines))
            spec = importlib.util.spec_from_file_location(f"gen_{shape}_{lines}", path)
            mod = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(mod)
            out.append((f"gen_{shape}_{lines}", mod.f))
    return out


def fuzz_functions(directory, count):
    """``f`` of the wide fuzzer's programs of seeds ``0 .. count - 1`` (those
    whose module loads) with their ``wrt``."""
    from tests.fuzz.gen import generate
    out = []
    for seed in range(count):
        program = generate(seed)
        path = os.path.join(directory, f"fz_golden_{seed}.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(program.source)
        spec = importlib.util.spec_from_file_location(f"fz_golden_{seed}", path)
        mod = importlib.util.module_from_spec(spec)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                spec.loader.exec_module(mod)
        except Exception:           # noqa: BLE001 -- the generator's own discard
            continue
        out.append((f"fuzz_{seed}", getattr(mod, program.name), program.wrt))
    return out


def corpus(log=lambda msg: None, fuzz=0):
    """``[(header, text)]`` in a fixed order."""
    import importlib
    entries, seen = [], set()

    def add(label, fun, mode, wrt, args=None):
        key = (label, mode, repr(wrt))
        if key in seen:
            return
        seen.add(key)
        entries.append((f"### {label} {mode} wrt={wrt!r}", one(fun, mode, wrt, args)))

    for name in MODULES:
        module = importlib.import_module(f"tests.{name}")
        log(f"{name} ...")
        for fun in functions_of(module):
            label = f"{name}.{fun.__qualname__}"
            req = required_positions(fun)
            if not req:
                continue
            add(label, fun, "grad", 0)
            if len(req) > 1:
                add(label, fun, "grad", req)
            for mode in ("jvp", "vjp", "hvp", "hvp_batched"):
                add(label, fun, mode, 0)
    log("test cases ...")
    for fun, wrt, args in test_cases():
        label = f"{fun.__module__.split('.')[-1]}.{fun.__qualname__}"
        for mode in ("grad", "jvp", "vjp", "hvp"):
            add(label, fun, mode, wrt, args)
    log("benchmark functions ...")
    with tempfile.TemporaryDirectory(prefix="srcgrad-golden-") as d:
        for label, fun in benchmark_functions(d):
            for mode in ("grad", "jvp"):
                add(label, fun, mode, (0, 1, 2, 3))
        if fuzz:
            log(f"{fuzz} fuzz programs ...")
        for label, fun, wrt in fuzz_functions(d, fuzz):
            for mode in ("grad", "jvp", "hvp"):
                add(label, fun, mode, wrt)
    return entries


def read(path):
    """``{header: text}`` of a file written by this script."""
    out, header, lines = {}, None, []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("### "):
                if header is not None:
                    out[header] = "".join(lines)
                header, lines = line.rstrip("\n"), []
            else:
                lines.append(line)
    if header is not None:
        out[header] = "".join(lines)
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", help="file to write the corpus to")
    ap.add_argument("--compare", metavar="GOLDEN", help="compare with a corpus written before")
    ap.add_argument("--fuzz", type=int, default=0, metavar="N",
                    help="also the fuzzer's programs of seeds 0 .. N-1")
    opts = ap.parse_args(argv)
    start = time.perf_counter()
    entries = corpus(lambda msg: print(msg, file=sys.stderr, flush=True), opts.fuzz)
    with open(opts.out, "w", encoding="utf-8") as fh:
        for header, text in entries:
            fh.write(header + "\n" + text)
    errors = sum(text.startswith("ERROR ") for _, text in entries)
    print(f"{len(entries)} entries ({len(entries) - errors} sources, {errors} errors) "
          f"in {time.perf_counter() - start:.1f} s -> {opts.out}")
    if not opts.compare:
        return 0
    return report_differences(read(opts.compare), read(opts.out), opts.compare)


def report_differences(old, new, where):
    """Print the entries (``{header: text}``) of ``new`` that differ from or
    are missing in ``old`` (read from ``where``); 1 when some do, else 0."""
    differ = [h for h in old if new.get(h) != old[h]] + [h for h in new if h not in old]
    for h in differ:
        print(f"DIFFERS: {h}")
    print(f"{len(differ)} of {len(old)} entries differ from {where}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
