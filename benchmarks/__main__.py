"""``python -m benchmarks``: time srcgrad's gradients against the primal, a
hand-written adjoint, autograd, JAX and PyTorch.  See benchmarks/README.md."""

import os

# One thread everywhere, set before NumPy (or JAX, or PyTorch) is imported.
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " --xla_cpu_multi_thread_eigen=false").strip()
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# srcgrad's disk cache off: "srcgrad gen (cold)" generates, it does not load
os.environ["SRCGRAD_CACHE"] = "0"

import argparse  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

from . import harness  # noqa: E402
from .methods import Libraries  # noqa: E402
from .suites import SUITES, by_name  # noqa: E402

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    p.add_argument("--quick", action="store_true",
                   help="small sizes only, fewer and shorter repeats (a smoke test)")
    p.add_argument("--suite", choices=list(SUITES), default="default",
                   help="which workloads: default (the default), loops (the loop suite), or all")
    p.add_argument("--only", action="append", metavar="NAME",
                   choices=[w.name for w in SUITES["all"]],
                   help="run only this workload, from any suite (may be repeated): "
                        + ", ".join(w.name for w in SUITES["all"]))
    p.add_argument("--write", action="store_true",
                   help=f"add the results, with machine info, on top of {os.path.relpath(RESULTS)}")
    p.add_argument("--repeat", type=int, help="measurements per cell (default 7, 3 with --quick)")
    p.add_argument("--source", action="store_true",
                   help="print srcgrad's generated source for each workload (to stderr)")
    return p.parse_args(argv)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    opts = parse_args(argv)
    settings = harness.QUICK if opts.quick else harness.Settings()
    if opts.repeat:
        settings = harness.Settings(**{**settings.__dict__, "repeat": opts.repeat})
    if opts.source:
        settings = harness.Settings(**{**settings.__dict__, "show_source": True})
    workloads = [by_name(n) for n in opts.only] if opts.only else list(SUITES[opts.suite])

    libs = Libraries()
    start = time.perf_counter()
    info = harness.machine_info(libs, settings)   # imports the peers up front
    print("\n".join(info) + "\n", flush=True)

    sections = []
    for wl in workloads:
        table = harness.run_workload(wl, libs, settings)
        section = harness.render(table)
        sections.append(section)
        print(section, flush=True)
    print(f"total {time.perf_counter() - start:.1f} s", file=sys.stderr)

    if opts.write:
        harness.write_results(RESULTS, info, sections, argv)
        print(f"results added to {RESULTS}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
