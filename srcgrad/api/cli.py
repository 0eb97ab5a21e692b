"""Command line: print the gradient srcgrad generates for a function in a file.

    srcgrad path/to/model.py:loss --wrt 0,1 [--value] [--standalone] [-o d_loss.py]
    srcgrad path/to/model.py:loss --check 1.0,2.0   (check at a point, scalar arguments)
    srcgrad path/to/model.py:loss --after ssa       (the code after one stage of the pipeline)
    srcgrad path/to/model.py:loss --times           (the seconds each stage took)
"""

import argparse
import importlib.util
import sys
from pathlib import Path

from srcgrad.api import reverse as api
from srcgrad.api.check import check_grad
from srcgrad.compiler import pipeline
from srcgrad.errors import SrcgradError


def _load(target):
    path, _, name = target.rpartition(":")
    if not path or not name:
        raise SystemExit(f"srcgrad: expected FILE.py:FUNCTION, got {target!r}")
    file = Path(path)
    if not file.exists():
        raise SystemExit(f"srcgrad: no such file: {path}")
    sys.path.insert(0, str(file.resolve().parent))
    spec = importlib.util.spec_from_file_location(file.stem, file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[file.stem] = module
    spec.loader.exec_module(module)
    try:
        return getattr(module, name)
    except AttributeError:
        raise SystemExit(f"srcgrad: {path} defines no {name!r}") from None


def _wrt(text):
    items = [w.strip() for w in text.split(",") if w.strip()]
    parsed = tuple(int(w) if w.lstrip("-").isdigit() else w for w in items)
    return parsed[0] if len(parsed) == 1 else parsed


def main(argv=None):
    ap = argparse.ArgumentParser(prog="srcgrad", description="Generate readable gradient code "
                                 "for a Python/NumPy function by source transformation.")
    ap.add_argument("target", help="FILE.py:FUNCTION")
    ap.add_argument("--wrt", default="0", help="argument positions or names, comma separated")
    ap.add_argument("--value", action="store_true", help="value_and_grad instead of grad")
    ap.add_argument("--standalone", action="store_true",
                    help="a complete module that needs only NumPy")
    ap.add_argument("--check", metavar="ARGS",
                    help="comma-separated scalar arguments: check the gradient there against "
                         "finite differences")
    ap.add_argument("-o", "--output", help="write the source to this file")
    ap.add_argument("--after", metavar="STAGE", choices=pipeline.stage_names(),
                    help="print the code right after this stage instead: "
                         + ", ".join(pipeline.stage_names()))
    ap.add_argument("--times", action="store_true",
                    help="print the seconds each stage of the pipeline took (to stderr)")
    args = ap.parse_args(argv)
    fun = _load(args.target)
    try:
        wrt = _wrt(args.wrt)
        api.clear_cache()
        with pipeline.trace(after=args.after) as watched:
            df = (api.value_and_grad if args.value else api.grad)(fun, wrt=wrt)
        text = api.source(df, standalone=args.standalone)
        if args.after:
            text = "\n\n".join(watched.shown) + "\n"
        if args.times:
            for name, seconds in sorted(watched.times.items(), key=lambda kv: -kv[1]):
                print(f"{seconds * 1000:9.2f} ms  {name}", file=sys.stderr)
        if args.check:
            try:
                point = [float(v) for v in args.check.split(",")]
            except ValueError:
                print(f"srcgrad: --check takes comma-separated numbers, not {args.check!r}",
                      file=sys.stderr)
                return 2
            try:
                check_grad(fun, *point, wrt=wrt)
            except SrcgradError:
                raise
            except Exception as e:       # the user's function at these scalar arguments
                print(f"srcgrad: --check could not evaluate {args.target} at {tuple(point)} "
                      f"({type(e).__name__}: {e}); --check passes scalar arguments only: "
                      f"check array functions with srcgrad.check_grad in Python", file=sys.stderr)
                return 1
            print(f"# gradient checked against finite differences at {tuple(point)}",
                  file=sys.stderr)
    except SrcgradError as e:
        print(f"srcgrad: {e}", file=sys.stderr)
        return 1
    if args.output:
        Path(args.output).write_text(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
