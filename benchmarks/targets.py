"""The speed targets, checked on a run written to ``benchmarks/results.md``.

``python -m benchmarks.targets`` reads the newest run (``--run N``: the N-th
newest) and prints, per workload and size, srcgrad's time over the primal's
and over the hand adjoint's, and its peak memory over the hand adjoint's;
then the targets: gradient / hand at most 1.10 in the median and 1.30 at
worst, gradient / primal at most 4, memory at most the hand adjoint's.  A
missed target is listed with its figure; the exit status is 0 either way (a
benchmark reports, it does not fail).  The run is read, not repeated: run
``python -m benchmarks --suite all --write`` first on a quiet machine.
"""
import argparse
import os
import re
import statistics
import sys

RESULTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "results.md")
HAND_MEDIAN, HAND_WORST, PRIMAL_MAX = 1.10, 1.30, 4.0


def runs(text):
    """The runs in ``text``, newest first: (heading, body) pairs."""
    parts = re.split(r"^## (.+)$", text, flags=re.M)
    return [(parts[i].strip(), parts[i + 1]) for i in range(1, len(parts) - 1, 2)]


def _ratio(cell):
    cell = cell.strip().rstrip("x")
    return float(cell) if cell else None


def tables(body):
    """{workload: [(size, method, ratio to primal, ratio to hand), ...]} of one run."""
    out = {}
    for block in re.split(r"^### ", body, flags=re.M)[1:]:
        name = block.split(":", 1)[0].strip()
        rows, size = [], ""
        for line in block.splitlines():
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < 5 or not line.startswith("|") or set(cells[1]) <= set("-: "):
                continue
            if cells[1] == "method":
                continue
            size = cells[0] or size
            rows.append((size, cells[1], _ratio(cells[3]), _ratio(cells[4])))
        out[name] = rows
    return out


def summary(body):
    """Rows (workload, size, grad/primal, grad/hand, memory/hand) of srcgrad's figures."""
    found = tables(body)
    rows = []
    for name, table in found.items():
        if name.endswith("_memory"):
            continue
        memory = {size: hand for size, method, _, hand in found.get(name + "_memory", ())
                  if method == "srcgrad"}
        for size, method, primal, hand in table:
            if method == "srcgrad" and hand is not None:
                rows.append((name, size, primal, hand, memory.get(size)))
    return rows


def report(rows):
    lines = ["| workload | size | grad / primal | grad / hand | memory / hand |",
             "| --- | --- | ---: | ---: | ---: |"]
    for name, size, primal, hand, memory in rows:
        mem = "" if memory is None else f"{memory:.3g}"
        lines.append(f"| {name} | {size} | {primal:.3g} | {hand:.3g} | {mem} |")
    hands = [r[3] for r in rows]
    if not hands:
        return "\n".join(lines + ["", "no srcgrad rows with a hand adjoint in this run"])
    median, worst = statistics.median(hands), max(rows, key=lambda r: r[3])
    lines += ["", f"grad / hand: median {median:.3g} (target <= {HAND_MEDIAN}), "
              f"worst {worst[3]:.3g} ({worst[0]} {worst[1]}; target <= {HAND_WORST})"]
    over = [r for r in rows if r[2] > PRIMAL_MAX]
    lines.append(f"grad / primal > {PRIMAL_MAX:g}: " + (", ".join(
        f"{n} {s} {p:.3g}" for n, s, p, _, _ in over) or "none"))
    heavy = [r for r in rows if r[4] is not None and r[4] > 1.0]
    lines.append("memory > hand: " + (", ".join(
        f"{n} {s} {m:.3g}" for n, s, _, _, m in heavy) or "none"))
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.targets", description=__doc__)
    p.add_argument("--run", type=int, default=1, help="which run, 1 = the newest (default)")
    p.add_argument("--file", default=RESULTS, help="the results file (default: benchmarks/results.md)")
    args = p.parse_args(argv)
    with open(args.file, encoding="utf-8") as f:
        found = runs(f.read())
    if not 1 <= args.run <= len(found):
        sys.exit(f"{args.file} has {len(found)} runs")
    heading, body = found[args.run - 1]
    commit = re.search(r"srcgrad commit: (\S+)", body)
    print(f"run of {heading}" + (f", srcgrad {commit.group(1)}" if commit else "") + "\n")
    print(report(summary(body)))


if __name__ == "__main__":
    main()
