"""Long runs of srcgrad's wide random-program fuzzer.

    python tools/fuzz.py --seconds 600 --shrink        # kill -USR1 <pid>: stop early, report
    python tools/fuzz.py --seed-start 5000 --count 2000 --modes grad,jvp --jobs 2
    python tools/fuzz.py --seed 1234 --shrink          # one program: print it, check, shrink

Program k is generated from seed k (tests/fuzz/gen.py), checked in every mode
by tests/modes.check_modes (grad / jvp / hvp against finite differences), and
counted: ok, refused (by message), wrong, crash.  With --shrink, up to
--per-class programs of each failure class are reduced to a minimal program
that fails the same way (same mode, same status).  --report writes the
findings as Markdown, --json the raw counts.  The exit status is 1 when some
program gave a wrong result or crashed, 0 otherwise.
"""

import argparse
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from tests.fuzz import campaign  # noqa: E402
from tests.modes import MODES  # noqa: E402


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def one_seed(args, modes):
    from tests.fuzz.gen import generate
    from tests.fuzz.runner import run_seed
    from tests.fuzz.shrink import Target, shrink
    from tests.fuzz.gen import args_repr
    p = generate(args.seed)
    print(p.describe())
    r = run_seed(args.seed, modes)
    print(f"\n{r.status} {r.reason}")
    for o in r.outcomes:
        print(f"  {o}")
    if args.shrink:
        for o in r.failures():
            if o.status == "oracle":
                continue
            res = shrink(p.source, p.args, p.wrt, Target.of(o), args.shrink_seconds)
            if res:
                src, a, wrt, out, tries = res
                print(f"\n== shrunk ({o.mode} {o.status}, {tries} tries)\n{src}\n"
                      f"# args = {args_repr(a)}, wrt = {wrt!r}\n# {out}")
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=None, help="run until this much time has passed")
    ap.add_argument("--count", type=int, default=None, help="number of programs")
    ap.add_argument("--seed-start", type=int, default=0)
    ap.add_argument("--seed", type=int, default=None, help="check (and --shrink) one program")
    ap.add_argument("--modes", default=",".join(MODES), help="comma-separated: grad,jvp,hvp")
    ap.add_argument("--jobs", type=int, default=1, help="worker processes")
    ap.add_argument("--shrink", action="store_true", help="shrink representatives of each failure class")
    ap.add_argument("--per-class", type=int, default=2, help="programs shrunk per failure class")
    ap.add_argument("--shrink-seconds", type=float, default=90.0, help="budget per shrunk program")
    ap.add_argument("--shrink-total", type=float, default=None, help="budget for all shrinking")
    ap.add_argument("--max-classes", type=int, default=30)
    ap.add_argument("--shrink-each", action="store_true",
                    help="shrink every failing seed (for the xfail list of tests/test_fuzz_wide.py)")
    ap.add_argument("--xfail-out", default=None, help="write the XFAIL dict (Python) here")
    ap.add_argument("--report", default=None, help="write the findings (Markdown) here")
    ap.add_argument("--json", default=None, help="write the counts and reproductions (JSON) here")
    args = ap.parse_args(argv)
    modes = tuple(m.strip() for m in args.modes.split(",") if m.strip())
    bad = set(modes) - set(MODES)
    if bad:
        ap.error(f"unknown modes {sorted(bad)}")
    if args.seed is not None:
        return one_seed(args, modes)
    if args.seconds is None and args.count is None:
        args.seconds = 600.0
    t0 = time.monotonic()
    stats = campaign.run(args.seed_start, args.count, args.seconds, modes, args.jobs, progress=log)
    print(stats.summary())
    shrunk = []
    if args.shrink and stats.classes:
        log(f"shrinking (up to {args.per_class} per class, {args.shrink_seconds:.0f} s each)")
        shrunk = campaign.shrink_classes(stats, args.per_class, args.shrink_seconds,
                                         args.max_classes, args.shrink_total, progress=log)
        print("\nshrunk reproductions:")
        for rec in shrunk:
            print(f"\n== {rec['class']}  ({rec['count']} outcomes; from seed {rec['seed']})")
            print(rec["source"].rstrip())
            print(f"# args = {rec['args']}, wrt = {rec['wrt']!r}")
            print(f"# {campaign._one_line(rec['outcome'])[:300]}")
    if args.shrink_each and stats.seed_failures:
        log(f"shrinking each of {len(stats.seed_failures)} failing programs")
        per_seed = campaign.shrink_each(stats, args.shrink_seconds, args.jobs, progress=log)
        if args.xfail_out:
            with open(args.xfail_out, "w") as fh:
                fh.write(campaign.xfail_snippet(per_seed))
        if not shrunk:
            shrunk = [dict(r, count=len(stats.classes.get(r["class"], ())))
                      for r in per_seed if r.get("source")]
    if args.report:
        note = (f"Seeds {args.seed_start}..{args.seed_start + stats.programs - 1}, modes "
                f"{', '.join(modes)}; {time.monotonic() - t0:.0f} s.")
        with open(args.report, "w") as fh:
            fh.write(campaign.findings_markdown(stats, shrunk, note=note))
    if args.json:
        campaign.save_json(args.json, stats, shrunk)
    return 1 if stats.classes else 0


if __name__ == "__main__":
    sys.exit(main())
