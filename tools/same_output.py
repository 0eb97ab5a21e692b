"""Check that two versions of srcgrad generate byte-identical code.

    python tools/same_output.py                          # base b7dcaea vs this worktree
    python tools/same_output.py --base-commit HEAD~3 --seeds 0:500
    python tools/same_output.py --dump OUT.json          # (child) dump this checkout's output

For a corpus of functions (every function defined in tests/programs.py and
tests/*_programs.py, the fuzzer's programs for ``--seeds`` (tests/fuzz/gen.py)
and the generated functions of benchmarks/transform_time.py for ``--bench``
sizes), the generated source of ``srcgrad.grad``, ``srcgrad.jvp`` and
``srcgrad.hvp`` (or the refusal / error it raised, type and message) is
dumped by a fresh process per checkout (the base commit's, in a git worktree
made for it under the temporary directory, and this one), with
``PYTHONHASHSEED=0``; then the two dumps are compared entry by entry.  The
exit status is 0 when every entry is identical, 1 otherwise.
"""

import argparse
import difflib
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROGRAM_FILES = ("programs", "bad_programs", "call_programs", "container_programs",
                 "forward_programs", "linalg_programs", "soundness_programs")


def _load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def _corpus(seeds, bench_sizes, workdir):
    """``(key, function, wrt)`` triples, in a fixed order."""
    import inspect
    import importlib
    for stem in PROGRAM_FILES:
        mod = importlib.import_module(f"tests.{stem}")
        for name, f in sorted(vars(mod).items()):
            if not inspect.isfunction(f) or f.__module__ != mod.__name__:
                continue
            try:
                params = [p for p, v in inspect.signature(f).parameters.items()
                          if v.default is inspect.Parameter.empty
                          and v.kind in (v.POSITIONAL_ONLY, v.POSITIONAL_OR_KEYWORD)]
            except (TypeError, ValueError):
                continue
            if not params:
                continue
            yield f"{stem}.{name}/0", f, 0
            if len(params) > 1:
                yield f"{stem}.{name}/all", f, tuple(range(len(params)))
    from benchmarks import transform_time as tt
    for shape in tt.SHAPES:
        for n in bench_sizes:
            path = os.path.join(workdir, f"bench_{shape}_{n}.py")
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(tt.generate(shape, n))
            mod = _load(path, f"bench_{shape}_{n}")
            yield f"bench.{shape}.{n}", mod.f, (0, 1, 2, 3)
    from tests.fuzz.gen import generate
    for seed in seeds:
        p = generate(seed)
        path = os.path.join(workdir, f"fz_{seed}.py")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(p.source)
        try:
            mod = _load(path, f"fz_{seed}")
            f = getattr(mod, p.name)
        except BaseException as e:       # noqa: BLE001 -- the same in both checkouts
            yield f"fuzz.{seed}", None, repr(e)
            continue
        yield f"fuzz.{seed}", f, p.wrt


def dump(out, seeds, bench_sizes):
    """(child) Write ``{key/mode: text}`` for this checkout's srcgrad."""
    sys.path.insert(0, os.getcwd())
    import warnings
    warnings.simplefilter("ignore")
    import srcgrad
    assert os.path.dirname(os.path.dirname(os.path.abspath(srcgrad.__file__))) == os.getcwd(), \
        srcgrad.__file__
    result = {}
    root = os.getcwd()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="srcgrad-same-") as workdir:
        sys.path.insert(0, workdir)
        for key, f, wrt in _corpus(seeds, bench_sizes, workdir):
            if f is None:
                result[key] = f"unloadable: {wrt}"
                continue
            for mode in ("grad", "jvp", "hvp"):
                try:
                    df = getattr(srcgrad, mode)(f, wrt=wrt)
                    text = srcgrad.source(df)
                except RecursionError as e:
                    text = f"RAISED RecursionError: {e}"
                except Exception as e:        # noqa: BLE001 -- compared, not judged
                    text = f"RAISED {type(e).__name__}: {e}"
                result[f"{key}/{mode}"] = text.replace(workdir, "<tmp>").replace(root, "<root>")
    result["__seconds__"] = time.perf_counter() - start
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)


def _child(root, out, opts):
    env = dict(os.environ, PYTHONHASHSEED="0")
    cmd = [sys.executable, os.path.join(ROOT, "tools", "same_output.py"), "--dump", out,
           "--seeds", opts.seeds, "--bench", opts.bench]
    return subprocess.Popen(cmd, cwd=root, env=env)


def _seeds(text):
    if not text:
        return range(0)
    a, _, b = text.partition(":")
    return range(int(a), int(b)) if b else range(int(a), int(a) + 1)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base-commit", default="b7dcaea")
    ap.add_argument("--base-dir", default=None,
                    help="a checkout of the base commit (default: a git worktree made for it)")
    ap.add_argument("--seeds", default="0:2001", help="fuzz seeds A:B (B excluded)")
    ap.add_argument("--bench", default="30,100,300",
                    help="benchmarks/transform_time.py sizes, comma-separated ('' for none)")
    ap.add_argument("--dump", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--keep", default=None, help="keep the two dumps in this directory")
    opts = ap.parse_args(argv)
    bench_sizes = [int(n) for n in opts.bench.split(",") if n.strip()]
    if opts.dump:
        dump(opts.dump, _seeds(opts.seeds), bench_sizes)
        return 0
    tmp = opts.keep or tempfile.mkdtemp(prefix="srcgrad-same-")
    os.makedirs(tmp, exist_ok=True)
    base = opts.base_dir
    if base is None:
        base = os.path.join(tempfile.gettempdir(), f"srcgrad-base-{opts.base_commit}")
        if not os.path.isdir(base):
            subprocess.run(["git", "worktree", "add", "--detach", base, opts.base_commit],
                           cwd=ROOT, check=True)
    dumps = {"base": os.path.join(tmp, "base.json"), "head": os.path.join(tmp, "head.json")}
    procs = [_child(base, dumps["base"], opts), _child(ROOT, dumps["head"], opts)]
    if any(p.wait() for p in procs):
        print("a dumping process failed", file=sys.stderr)
        return 2
    a, b = (json.load(open(dumps[k], encoding="utf-8")) for k in ("base", "head"))
    ta, tb = a.pop("__seconds__"), b.pop("__seconds__")
    keys = sorted(set(a) | set(b))
    differ = [k for k in keys if a.get(k) != b.get(k)]
    raised = sum(1 for k in keys if str(a.get(k, "")).startswith("RAISED"))
    for k in differ[:10]:
        print(f"== {k}")
        sys.stdout.writelines(difflib.unified_diff(
            str(a.get(k)).splitlines(True), str(b.get(k)).splitlines(True), "base", "head", n=2))
    print(f"{len(keys)} entries ({raised} raised in the base, compared as messages); "
          f"{len(differ)} differences; generating took {ta:.1f} s (base) and {tb:.1f} s (head)")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
