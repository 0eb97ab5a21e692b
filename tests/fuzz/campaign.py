"""A fuzzing campaign: run seeds (optionally in worker processes), count the
outcomes, shrink one or more representatives of each failure class, and
write the findings as Markdown.  ``tools/fuzz.py`` is its command line; a
long run stops early, and still reports, on ``kill -USR1 <its pid>``."""

import collections
import json
import multiprocessing
import signal
import time

from tests.modes import MODES
from tests.fuzz.gen import args_repr, generate
from tests.fuzz.runner import classify, exc_type, refusal_message, run_seed

FAIL = ("wrong", "crash", "oracle")


def run_one(task):
    """Worker: (seed, modes) -> a plain, picklable record."""
    seed, modes = task
    try:
        r = run_seed(seed, modes)
    except Exception as e:  # noqa: BLE001 -- the generator itself failed
        return {"seed": seed, "status": "generator", "reason": f"{type(e).__name__}: {e}"}
    return {"seed": seed, "status": r.status, "reason": r.reason,
            "outcomes": [{"mode": o.mode, "status": o.status, "detail": o.detail,
                          "class": classify(o), "exc": exc_type(o) if o.status == "crash" else ""}
                         for o in r.outcomes]}


class Stats:
    def __init__(self):
        self.programs = 0
        self.discarded = collections.Counter()
        self.checked = 0
        self.by_mode = collections.defaultdict(collections.Counter)
        self.refusals = collections.Counter()
        self.classes = collections.OrderedDict()     # class -> [seeds]
        self.class_outcome = {}                      # class -> (mode, status, exc, detail)
        self.failing_programs = set()
        self.seed_failures = {}                      # seed -> [(mode, status, exc, class)]
        self.started = time.monotonic()

    def add(self, rec):
        self.programs += 1
        if rec["status"] != "checked":
            self.discarded[rec["reason"] if rec["status"] == "discarded"
                           else "generator error: " + rec["reason"]] += 1
            return
        self.checked += 1
        for o in rec["outcomes"]:
            self.by_mode[o["mode"]][o["status"]] += 1
            if o["status"] == "refused":
                self.refusals[refusal_message(o["class"].split(": ", 1)[-1])] += 1
            elif o["status"] in FAIL:
                self.classes.setdefault(o["class"], []).append(rec["seed"])
                self.class_outcome.setdefault(o["class"], (o["mode"], o["status"], o["exc"],
                                                           o["detail"]))
                self.failing_programs.add(rec["seed"])
                self.seed_failures.setdefault(rec["seed"], []).append(
                    (o["mode"], o["status"], o["exc"], o["class"]))

    def summary(self, top=12):
        out = [f"programs: {self.programs} generated, {self.checked} checked, "
               f"{sum(self.discarded.values())} discarded "
               f"({time.monotonic() - self.started:.0f} s)"]
        if self.discarded:
            out.append("  discarded: " + "; ".join(f"{n} {k}" for k, n in self.discarded.most_common(6)))
        for mode in MODES:
            c = self.by_mode.get(mode)
            if c:
                out.append(f"  {mode:4s}: " + ", ".join(f"{c[s]} {s}" for s in
                                                        ("ok", "refused", "wrong", "crash")))
        other = {m: c for m, c in self.by_mode.items() if m not in MODES}
        for mode, c in other.items():
            out.append(f"  {mode}: " + ", ".join(f"{n} {s}" for s, n in c.items()))
        out.append(f"programs with a wrong or crash outcome: {len(self.failing_programs)}")
        out.append("top refusals (outcomes):")
        for msg, n in self.refusals.most_common(top):
            out.append(f"  {n:5d}  {msg[:150]}")
        out.append("failure classes:")
        for cls, seeds in sorted(self.classes.items(), key=lambda kv: -len(kv[1])):
            out.append(f"  {len(seeds):5d}  {cls[:150]}   (seeds {', '.join(map(str, seeds[:6]))})")
        return "\n".join(out)


def seeds_from(start, count):
    k = start
    while count is None or k < start + count:
        yield k
        k += 1


def run(seed_start=0, count=None, seconds=None, modes=MODES, jobs=1, progress=None):
    """Run seeds until ``count`` programs or ``seconds`` have passed; Stats."""
    stats = Stats()
    deadline = None if seconds is None else time.monotonic() + seconds
    tasks = ((s, tuple(modes)) for s in seeds_from(seed_start, count))
    last = time.monotonic()
    stop = []       # ``kill -USR1 <pid>``: stop now, and report what was checked

    def stopped():
        return stop or deadline and time.monotonic() > deadline

    try:
        old_handler = signal.signal(signal.SIGUSR1, lambda *_: stop.append(True))
    except ValueError:          # not the main thread
        old_handler = None

    def tick(rec):
        nonlocal last
        stats.add(rec)
        if progress and rec["seed"] in stats.seed_failures and rec["status"] == "checked":
            for mode, status, _, cls in stats.seed_failures[rec["seed"]]:
                progress(f"seed {rec['seed']}: {mode} {status}: {cls[:120]}")
        if progress and time.monotonic() - last > 30:
            last = time.monotonic()
            progress(f"... {stats.programs} programs, {len(stats.failing_programs)} failing, "
                     f"{len(stats.classes)} classes")

    try:
        if jobs <= 1:
            for t in tasks:
                if stopped():
                    break
                tick(run_one(t))
            return stats
        with multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=200) as pool:
            for rec in pool.imap(run_one, tasks, chunksize=4):
                tick(rec)
                if stopped():
                    pool.terminate()
                    break
        return stats
    finally:
        if old_handler is not None:
            signal.signal(signal.SIGUSR1, old_handler)


def shrink_classes(stats, per_class=2, seconds=90.0, max_classes=30, total=None, progress=None):
    """Shrink up to ``per_class`` seeds of each failure class; a list of
    dicts (class, seed, count, source, args, wrt, outcome) of distinct
    reproductions."""
    from tests.fuzz.shrink import Target, shrink
    out = []
    seen = set()
    t0 = time.monotonic()
    classes = sorted(stats.classes.items(), key=lambda kv: -len(kv[1]))[:max_classes]
    for cls, seeds in classes:
        mode, status, exc, _ = stats.class_outcome[cls]
        for seed in seeds[:per_class]:
            if total and time.monotonic() - t0 > total:
                return out
            p = generate(seed)
            res = shrink(p.source, p.args, p.wrt, _target(Target, mode, status, exc), seconds)
            if res is None:
                if progress:
                    progress(f"seed {seed} ({cls[:60]}) does not fail again in one mode alone")
                continue
            src, args, wrt, outcome, tries = res
            key = (cls, src)
            if key in seen:
                continue
            seen.add(key)
            rec = {"class": cls, "count": len(seeds), "seed": seed, "source": src,
                   "args": args_repr(args), "wrt": wrt, "outcome": str(outcome), "tries": tries,
                   "seeds": seeds[:20]}
            out.append(rec)
            if progress:
                progress(f"shrunk seed {seed} ({cls[:70]}) in {tries} tries")
    return out


def _target(Target, mode, status, exc):
    return Target(mode, status, exc)


def findings_markdown(stats, shrunk, title="srcgrad wide fuzzer: findings", note=""):
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    lines += ["## Statistics", "", "```", stats.summary(top=20), "```", ""]
    lines += ["## Failure classes", "",
              "Each class is (mode, status, first line of the message with names and numbers",
              "taken out).  A reproduction is the shrunk program (the fixed header is kept only",
              "where the program uses it), its arguments and `wrt`, and srcgrad's outcome.", ""]
    by_class = collections.defaultdict(list)
    for rec in shrunk:
        by_class[rec["class"]].append(rec)
    for cls, seeds in sorted(stats.classes.items(), key=lambda kv: -len(kv[1])):
        lines.append(f"### {cls}")
        lines.append("")
        lines.append(f"{len(seeds)} outcomes; seeds {', '.join(map(str, seeds[:15]))}"
                     + (" ..." if len(seeds) > 15 else ""))
        lines.append("")
        for rec in sorted(by_class.get(cls, []), key=lambda r: len(r["source"]))[:3]:
            lines += [f"Shrunk from seed {rec['seed']}:", "", "```python", rec["source"].rstrip(),
                      "```", "", f"args = {rec['args']}, wrt = {rec['wrt']!r}  ", "",
                      f"srcgrad: `{_one_line(rec['outcome'])[:400]}`", ""]
        if not by_class.get(cls):
            lines += [f"(not shrunk) first outcome: `{_one_line(stats.class_outcome[cls][3])[:300]}`", ""]
    return "\n".join(lines) + "\n"


def save_json(path, stats, shrunk):
    with open(path, "w") as fh:
        json.dump({"classes": stats.classes, "shrunk": shrunk,
                   "discarded": stats.discarded, "refusals": stats.refusals,
                   "by_mode": {m: dict(c) for m, c in stats.by_mode.items()},
                   "programs": stats.programs, "checked": stats.checked}, fh, indent=1,
                  default=str)


_RANK = {"wrong": 0, "crash": 1, "oracle": 2}


def _shrink_task(task):
    seed, failures, seconds = task
    from tests.fuzz.shrink import Target, shrink
    p = generate(seed)
    failures = sorted((f for f in failures if f[1] != "oracle"),
                      key=lambda f: (_RANK[f[1]], MODES.index(f[0]) if f[0] in MODES else 9))
    for mode, status, exc, cls in failures[:2]:
        try:
            res = shrink(p.source, p.args, p.wrt, Target(mode, status, exc), seconds)
        except Exception as e:  # noqa: BLE001
            res = None
            cls = f"{cls} (shrinker error {type(e).__name__})"
        if res:
            src, args, wrt, outcome, tries = res
            return {"seed": seed, "class": cls, "source": src, "args": args_repr(args),
                    "wrt": wrt, "outcome": str(outcome), "tries": tries,
                    "classes": sorted({f[3] for f in failures})}
    return {"seed": seed, "class": failures[0][3] if failures else "oracle", "source": None,
            "classes": sorted({f[3] for f in failures})}


def shrink_each(stats, seconds=30.0, jobs=1, progress=None):
    """Shrink every failing seed (its worst failure); a list of dicts by seed."""
    tasks = [(seed, fl, seconds) for seed, fl in sorted(stats.seed_failures.items())]
    out = []
    if jobs <= 1:
        results = map(_shrink_task, tasks)
    else:
        pool = multiprocessing.get_context("fork").Pool(jobs, maxtasksperchild=20)
        results = pool.imap(_shrink_task, tasks)
    for rec in results:
        out.append(rec)
        if progress:
            progress(f"shrunk seed {rec['seed']} ({len(out)}/{len(tasks)})")
    if jobs > 1:
        pool.close()
    return out


def xfail_snippet(per_seed):
    """Python text: the XFAIL dict for tests/test_fuzz_wide.py, each seed with
    its shrunk reproduction in a comment."""
    lines = ["XFAIL = {"]
    for rec in sorted(per_seed, key=lambda r: r["seed"]):
        lines.append(f"    # seed {rec['seed']}: {_one_line('; '.join(rec['classes']))[:200]}")
        if rec.get("source"):
            for line in rec["source"].splitlines():
                if line.startswith(("import ", "from ")) or not line.strip():
                    continue
                lines.append("    #     " + line)
            lines.append(f"    #     args = {rec['args']}, wrt = {rec['wrt']!r}")
            lines.append(f"    #     -> {_one_line(rec['outcome'])[:200]}")
        lines.append(f"    {rec['seed']}: {rec['class'][:120]!r},")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _one_line(text):
    return " ".join(str(text).split())
