"""``python -m benchmarks.verify``: check the benchmark's own gradients.

Every hand-written adjoint in :mod:`benchmarks.workloads` and
:mod:`benchmarks.loop_workloads` (``--suite`` picks: ``all``, the default,
``default`` or ``loops``) is checked, at every size, against

- central finite differences: the partial derivatives of up to 40
  coordinates of the differentiated arguments, and the derivatives along 3
  random directions in all of them jointly;
- srcgrad;
- autograd (the primal with ``np`` rebound to ``autograd.numpy``), if it can
  be imported;

and, at the ``--quick`` sizes, the JAX and PyTorch versions that the benchmark
times are checked against the hand adjoint too, so that every method is known
to compute the same gradient (only the methods a workload lists in
``methods``, where it does).  One pass/fail line per workload and size.  A
line fails when the hand adjoint disagrees with finite differences, or a
method returns a different gradient; a method that raises (srcgrad refusing a
construct, autograd an in-place write) is shown as ``error: ...`` in the line
but is not a failure of the benchmark's gradients: its rows in the tables show
the same error.  The exit status is 1 if anything failed.
"""

import argparse
import sys

import numpy as np

from . import methods as M
from .suites import SUITES

FD_STEP = 1e-6
FD_RTOL = 1e-5        # finite differences against the adjoint
EXACT_RTOL = 1e-9     # another AD system against the adjoint
N_COORDS = 40
N_DIRECTIONS = 3


def _perturbed(args, wrt, deltas, h):
    """``args`` with ``args[i] + h * delta`` for each differentiated ``i``."""
    out = list(args)
    for i, d in zip(wrt, deltas):
        out[i] = float(args[i] + h * d) if isinstance(args[i], float) else args[i] + h * d
    return tuple(out)


def _fd(f, args, wrt, deltas):
    """Central difference of ``f`` along ``deltas``, and the roundoff floor."""
    fp = f(*_perturbed(args, wrt, deltas, FD_STEP))
    fm = f(*_perturbed(args, wrt, deltas, -FD_STEP))
    floor = 1e3 * np.finfo(float).eps * max(abs(fp), abs(fm), 1.0) / FD_STEP
    return (fp - fm) / (2 * FD_STEP), floor


def check_finite_differences(wl, args, grads, rng):
    """Worst error of the adjoint ``grads`` against finite differences,
    in units of the tolerance (<= 1 passes)."""
    wrt = wl.wrt_tuple
    shapes = [np.shape(args[i]) for i in wrt]
    worst = 0.0

    # single coordinates, sampled across all differentiated arguments
    coords = [(k, idx) for k, s in enumerate(shapes) for idx in np.ndindex(*s)]
    if len(coords) > N_COORDS:
        coords = [coords[j] for j in rng.choice(len(coords), N_COORDS, replace=False)]
    scale = max(float(np.max(np.abs(g), initial=0.0)) for g in grads)
    for k, idx in coords:
        deltas = [np.zeros(s) if s else 0.0 for s in shapes]
        if shapes[k]:
            deltas[k][idx] = 1.0
        else:
            deltas[k] = 1.0
        fd, floor = _fd(wl.f, args, wrt, deltas)
        worst = max(worst, abs(fd - grads[k][idx]) / (FD_RTOL * scale + floor))

    # random directions in all differentiated arguments at once
    for _ in range(N_DIRECTIONS):
        deltas = [rng.standard_normal(s) if s else float(rng.standard_normal()) for s in shapes]
        norm = np.sqrt(sum(np.sum(np.square(d)) for d in deltas))
        deltas = [d / norm for d in deltas]
        ad = sum(float(np.sum(g * d)) for g, d in zip(grads, deltas))
        fd, floor = _fd(wl.f, args, wrt, deltas)
        worst = max(worst, abs(fd - ad) / (FD_RTOL * abs(ad) + floor))
    return worst


def check_method(method, libs, wl, args, reference):
    """Max relative error of a library's gradient against the hand adjoint,
    or ``None`` if the library cannot be imported."""
    if method.lib and libs.get(method.lib) is None:
        return None
    got = M.as_arrays(method.build(libs, wl, args)(), len(wl.wrt_tuple))
    return M.max_rel_error(got, reference)


CHECKED = [m for m in M.GRADIENT_METHODS if m.lib in ("srcgrad", "autograd", "jax", "torch")]


def verify(workloads=SUITES["all"], log=print):
    libs = M.Libraries()
    failures = 0
    raised = 0
    seen = set()
    for wl in workloads:
        key = (wl.f, wl.hand, wl.make_inputs, wl.wrt, tuple(s.label for s in wl.sizes))
        if key in seen:            # a memory twin: the same gradients
            continue
        seen.add(key)
        for size in wl.sizes:
            rng = np.random.default_rng(1)
            args = wl.make_inputs(size.params, np.random.default_rng(0))
            parts, ok = [], True
            try:
                grads = M.as_arrays(wl.hand(*args), len(wl.wrt_tuple))
                fd = check_finite_differences(wl, args, grads, rng)
                ok &= fd <= 1.0
                parts.append(f"finite differences {fd:.2g} of tolerance")
                for m in CHECKED:
                    if wl.methods is not None and m.name not in wl.methods:
                        continue
                    if m.lib not in ("srcgrad", "autograd") and not size.quick:
                        continue          # JAX/PyTorch versions: checked at the small sizes
                    if m.name == "jax.jit":
                        continue          # same function as eager jax
                    try:
                        err = check_method(m, libs, wl, args, grads)
                    except Exception as e:  # noqa: BLE001 -- the method refused: shown, not a failure
                        raised += 1
                        parts.append(f"{m.name} error: " + M.short_error(e, 200))
                        continue
                    if err is None:
                        parts.append(f"{m.name} skipped ({libs.errors[m.lib]})")
                        continue
                    ok &= err <= EXACT_RTOL
                    parts.append(f"{m.name} rel. err {err:.1e}")
            except Exception as e:  # noqa: BLE001
                ok = False
                parts.append("error: " + M.short_error(e, 200))
            failures += not ok
            log(f"{'PASS' if ok else 'FAIL'}  {wl.name} {size.label}: " + ", ".join(parts), flush=True)
    summary = "all passed" if not failures else f"{failures} FAILED"
    if raised:
        summary += f" ({raised} method call(s) raised: see 'error:' above)"
    log(summary)
    return failures


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.verify", description=__doc__.split("\n\n")[0])
    p.add_argument("--suite", choices=list(SUITES), default="all",
                   help="which workloads to check (default: all)")
    opts = p.parse_args(sys.argv[1:] if argv is None else argv)
    return 1 if verify(SUITES[opts.suite]) else 0


if __name__ == "__main__":
    sys.exit(main())
