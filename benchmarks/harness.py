"""Timing, memory measurement, and the tables.

One loop (:func:`run_workload`) serves every workload: for each size it makes
the inputs, builds every method of :mod:`benchmarks.methods`, checks its
gradient against the hand-written adjoint, and times it.  Any exception from
a method (srcgrad's included) becomes ``error: ...`` in its row.
"""

import datetime
import gc
import os
import platform
import statistics
import subprocess
import sys
import time
import timeit
import tracemalloc
from dataclasses import dataclass, field

import numpy as np

from . import methods as M

RTOL = 1e-6      # a gradient further than this from the hand-written one is flagged


@dataclass(frozen=True)
class Settings:
    target: float = 0.1        # seconds one measurement (a batch of calls) should take at least
    repeat: int = 7            # measurements per cell; the median is reported
    max_cell: float = 15.0     # seconds a cell may take; fewer repeats (>= 3) beyond that
    quick: bool = False
    show_source: bool = False


QUICK = Settings(target=0.02, repeat=3, max_cell=3.0, quick=True)


# ---------------------------------------------------------------------------
# measuring
# ---------------------------------------------------------------------------

def median_time(run, settings):
    """Median seconds per call of ``run``, timeit-style.

    The number of calls per measurement is autoranged (1, 2, 5, 10, 20, ...)
    until one measurement takes at least ``settings.target`` seconds; that
    calibration also warms up.  Then ``settings.repeat`` measurements (fewer
    for very slow calls), and the median.  As in :mod:`timeit`, the garbage
    collector is off while timing.
    """
    timer = timeit.Timer(run)
    number, elapsed = 1, 0.0
    for k in range(12):
        for base in (1, 2, 5):
            number = base * 10 ** k
            elapsed = timer.timeit(number)
            if elapsed >= settings.target:
                break
        else:
            continue
        break
    repeat = settings.repeat
    if elapsed * repeat > settings.max_cell:
        repeat = max(3 if not settings.quick else 1, int(settings.max_cell / elapsed))
        repeat = min(repeat, settings.repeat)
    gc.collect()
    return statistics.median(t / number for t in timer.repeat(repeat=repeat, number=number))


def wall(fn):
    """(seconds, result) of one call of ``fn``."""
    t0 = time.perf_counter()
    out = fn()
    return time.perf_counter() - t0, out


def peak_memory(run):
    """Peak bytes traced by tracemalloc during one call of ``run`` (after a
    warm-up call, so one-time set-up such as code generation is not counted)."""
    run()
    gc.collect()
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        out = run()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    del out
    return peak


# ---------------------------------------------------------------------------
# results
# ---------------------------------------------------------------------------

@dataclass
class Row:
    size: str
    method: str
    value: float = None        # seconds, or bytes for a memory table
    primal: float = None       # the primal's value for the ratio (None: no ratio)
    hand: float = None         # the hand adjoint's value for the ratio
    note: str = ""


@dataclass
class Table:
    workload: object
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def run_workload(wl, libs, settings, log=print):
    """Measure every method of ``wl`` at each of its sizes; a :class:`Table`."""
    table = Table(wl, notes=list(wl.notes))
    methods = [M.PRIMAL, *M.GRADIENT_METHODS]
    if wl.methods is not None:
        methods = [m for m in methods if m.name in wl.methods]
    if wl.measure == "memory":
        methods = [m for m in methods if m.memory]
    # a missing peer library is skipped with a note; srcgrad never is (its
    # rows show the error instead)
    skipped = [m.lib for m in methods
               if m.lib and m.lib != "srcgrad" and libs.get(m.lib) is None]
    for lib in dict.fromkeys(skipped):
        table.notes.append(f"{lib} skipped: not importable ({libs.errors[lib]})")
    methods = [m for m in methods if m.lib not in skipped]

    sizes = [s for s in wl.sizes if s.quick or not settings.quick]
    for size in sizes:
        log(f"  {wl.name} {size.label} ...", file=sys.stderr, flush=True)
        args = wl.make_inputs(size.params, np.random.default_rng(0))
        measure = _measure_memory if wl.measure == "memory" else _measure_time
        table.rows.extend(measure(wl, size, args, methods, libs, settings, log))
    if settings.show_source:
        _print_source(wl, libs, log)
    return table


def _check(run, wl, reference):
    """None if ``run()`` agrees with the hand-written gradient, else a note."""
    got = M.as_arrays(run(), len(wl.wrt_tuple))
    err = M.max_rel_error(got, reference)
    return None if err <= RTOL else f"WRONG gradient: max rel. error {err:.1e}"


def _measure(wl, size, args, methods, libs, settings, cell, extra=None):
    """One row per method: ``cell(run)`` (a time or a peak) after checking
    the gradient against the hand-written one, with the primal's and the
    hand adjoint's cells of the same run for the ratios; ``extra(m, run,
    row)`` may add rows after a method's."""
    rows = []
    reference = M.as_arrays(wl.hand(*args), len(wl.wrt_tuple))
    primal = hand = None
    for m in methods:
        row = Row(size.label, m.name)
        rows.append(row)
        try:
            run = m.build(libs, wl, args)
            more = extra(m, run, row) if extra is not None else None
            if m is not M.PRIMAL:
                row.note = _check(run, wl, reference) or ""
            row.value = cell(run)
        except Exception as e:  # noqa: BLE001 -- report it in the table
            row.note = "error: " + M.short_error(e)
            continue
        if m is M.PRIMAL:
            primal = row.value
        if m is M.HAND:
            hand = row.value
        row.primal, row.hand = primal, hand
        if more is not None:
            rows.extend(more())
    return rows


def _measure_time(wl, size, args, methods, libs, settings, log):
    def extra(m, run, row):
        first = wall(run)[0] if m.first_call else None

        def rows():
            out = []
            if first is not None:
                out.append(Row(size.label, f"{m.name} first call", first,
                               note="trace + compile + run"))
            if m is M.SRCGRAD:
                out.extend(_srcgrad_codegen(wl, size, args, libs, settings, row.value))
            return out
        return rows

    return _measure(wl, size, args, methods, libs, settings,
                    lambda run: median_time(run, settings), extra)


def _srcgrad_codegen(wl, size, args, libs, settings, t_call):
    """Rows for the time srcgrad takes to produce the gradient function.

    cold: ``srcgrad.grad(f)`` with nothing cached, plus whatever the first call
    takes beyond a steady call (in case code is generated lazily), median of 3.
    cached: ``srcgrad.grad(f)`` again on the same, already differentiated f.
    """
    sg = libs.require("srcgrad")
    rows = []
    try:
        colds = []
        for _ in range(3):
            t_gen, df = wall(lambda: M.cold_grad(sg, wl.f, wl.wrt))
            t_first, _ = wall(lambda: df(*args))
            colds.append(t_gen + max(0.0, t_first - t_call))
        rows.append(Row(size.label, "srcgrad gen (cold)", statistics.median(colds)))
    except Exception as e:  # noqa: BLE001
        rows.append(Row(size.label, "srcgrad gen (cold)", note="error: " + M.short_error(e)))
    try:
        sg.grad(wl.f, wrt=wl.wrt)
        t = median_time(lambda: sg.grad(wl.f, wrt=wl.wrt), settings)
        rows.append(Row(size.label, "srcgrad gen (cached)", t))
    except Exception as e:  # noqa: BLE001
        rows.append(Row(size.label, "srcgrad gen (cached)", note="error: " + M.short_error(e)))
    return rows


def _print_source(wl, libs, log):
    try:
        sg = libs.require("srcgrad")
        src = sg.source(sg.grad(wl.f, wrt=wl.wrt))
    except Exception as e:  # noqa: BLE001
        src = "error: " + M.short_error(e)
    log(f"--- srcgrad.source(grad({wl.f.__name__}, wrt={wl.wrt})) ---\n{src}\n---",
        file=sys.stderr)


def _measure_memory(wl, size, args, methods, libs, settings, log):
    return _measure(wl, size, args, methods, libs, settings, peak_memory)


# ---------------------------------------------------------------------------
# rendering
# ---------------------------------------------------------------------------

def fmt_time(s):
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 1000 else f"{v:.0f} {unit}"


def fmt_bytes(b):
    for unit, scale in (("MiB", 2 ** 20), ("KiB", 2 ** 10), ("B", 1)):
        if b >= scale or unit == "B":
            return f"{b / scale:.3g} {unit}"


def fmt_ratio(value, base):
    if value is None or not base:
        return ""
    r = value / base
    return f"{r:.0f}x" if r >= 100 else f"{r:.3g}x"


def render(table):
    """A Markdown section: heading, table, notes."""
    wl = table.workload
    memory = wl.measure == "memory"
    head = ["size", "method", "peak memory" if memory else "median time", "/ primal", "/ hand", "note"]
    body = []
    last_size = None
    for r in table.rows:
        value = "" if r.value is None else (fmt_bytes(r.value) if memory else fmt_time(r.value))
        body.append([r.size if r.size != last_size else "", r.method, value,
                     fmt_ratio(r.value, r.primal), fmt_ratio(r.value, r.hand), r.note])
        last_size = r.size
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    right = {2, 3, 4}

    def line(cells):
        out = [str(c).rjust(w) if i in right else str(c).ljust(w)
               for i, (c, w) in enumerate(zip(cells, widths))]
        return "| " + " | ".join(out) + " |"

    sep = "|" + "|".join(("-" * (w + 1) + ":") if i in right else "-" * (w + 2)
                         for i, w in enumerate(widths)) + "|"
    lines = [f"### {wl.name}: {wl.title}", "", line(head), sep, *map(line, body)]
    if table.notes:
        lines.append("")
        lines.extend(f"- {n}" for n in table.notes)
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# machine info and results.md
# ---------------------------------------------------------------------------

def cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit():
    try:
        out = subprocess.run(["git", "-C", M.REPO_ROOT, "describe", "--always", "--dirty"],
                             capture_output=True, text=True, timeout=10)
        return out.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


#: the reference job of :func:`python_speed`: a fixed text parsed and printed
#: back by the standard library alone (no srcgrad code: its time changes with
#: the machine only, not with srcgrad)
_REFERENCE_TEXT = "\n".join(
    f"def f{k}(x, y, a):\n    s = 0.0\n    for i in range(len(a)):\n"
    f"        s = s + np.sin(a[i] * x) / (1.0 + y * y) - {k}.5 * a[i] ** 2\n"
    f"    return s if s > 0 else -s" for k in range(40))


def python_speed():
    """How fast this machine runs Python, in ms: the least of 7 timings of
    parsing :data:`_REFERENCE_TEXT` (200 lines) with ``ast`` and printing
    it back with ``ast.unparse``, the kind of work a transformation does.
    Timings taken on different days (the machines vary by 1.5x) compare
    after dividing by it."""
    import ast

    def job():
        ast.unparse(ast.parse(_REFERENCE_TEXT))
    job()
    return 1e3 * min(timeit.repeat(job, number=3, repeat=7)) / 3


def machine_info(libs, settings):
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for name in ("autograd", "jax", "jaxlib", "torch"):
        versions[name] = libs.version(name)
    threads = ", ".join(f"{k}={os.environ.get(k, 'unset')}" for k in
                        ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"))
    return [
        f"date: {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}",
        f"CPU: {cpu_model()} ({os.cpu_count()} logical CPUs); {platform.system()} {platform.release()}",
        f"Python speed: {python_speed():.2f} ms for the reference job (benchmarks.harness."
        f"python_speed; lower is faster)",
        "versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
        f"srcgrad commit: {git_commit()}",
        f"threads: {threads}; torch.set_num_threads(1); XLA single-threaded",
        f"settings: {'--quick, ' if settings.quick else ''}median of {settings.repeat} "
        f"measurements of >= {settings.target:g} s each",
    ]


RESULTS_HEADER = """\
# srcgrad benchmark results

Written by `python -m benchmarks --write` (see `benchmarks/README.md`); the
newest run is on top.  Every table is one workload; its rows are, per size:

- **primal**: the plain NumPy/Python function itself (no gradient).
- **hand**: a hand-written NumPy adjoint (forward pass keeping what it needs,
  then a reverse loop), checked by `python -m benchmarks.verify`.
- **srcgrad**: calling the function returned by `srcgrad.grad(f, wrt)`.
- **srcgrad gen (cold)**: generating that function with nothing cached
  (`srcgrad.grad(f)` plus any extra time of its first call), median of 3.
- **srcgrad gen (cached)**: `srcgrad.grad(f)` again on the same function.
- **autograd**, **jax** (eager `jax.grad`), **jax.jit** (`jax.jit(jax.grad)`,
  steady state), **jax.jit first call** (trace + compile + run), **torch**
  (float64 tensors, `.backward()`).

**median time** is seconds per call: the median of several measurements, each
of a timeit-autoranged number of calls taking >= 0.1 s.  **/ primal** and
**/ hand** divide by the primal's and the hand adjoint's time from the same
run.  **note** flags a gradient that disagrees with the hand-written one
(relative error > 1e-6) or an error.  The memory table gives the
tracemalloc peak during one gradient call.  All float64, one thread.

<!-- results: newest first, below this line -->
"""
MARKER = "<!-- results: newest first, below this line -->"


def write_results(path, info, sections, argv):
    """Insert a run's results into ``path`` below the header, above older runs."""
    entry = "\n".join([
        f"## {info[0].split(': ', 1)[1]}",
        "",
        *(f"- {line}" for line in info[1:]),
        f"- command: `{' '.join(['python -m benchmarks', *argv])}`",
        "",
        *sections,
    ])
    old = ""
    if os.path.exists(path):
        with open(path, encoding="utf-8") as fh:
            old = fh.read()
    if MARKER in old:
        head, rest = old.split(MARKER, 1)
        new = head + MARKER + "\n\n" + entry + "\n" + rest.lstrip("\n")
    else:
        new = RESULTS_HEADER + "\n" + entry + ("\n" + old if old else "")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(new)
