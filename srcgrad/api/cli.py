"""Command line: print the gradient srcgrad generates for a function in a file.

    srcgrad path/to/model.py:loss --wrt 0,1 [--value] [--standalone] [-o d_loss.py]
    srcgrad path/to/model.py:loss --check 1.0,2.0   (check at a point, scalar arguments)
    srcgrad path/to/model.py:loss --after ssa       (the code after one stage of the pipeline)
    srcgrad path/to/model.py:loss --times           (the seconds each stage took)
    srcgrad export path/to/model.py:loss,energy --wrt 0 -o model_grad.py [--check ARGS]
                                                    (one standalone module, several gradients)
    srcgrad export path/to/model.py:loss --wrt 0 -o model_grad.py --verify
                                                    (exit 1 if the file no longer matches)
"""

import argparse
import ast
import difflib
import importlib.util
import inspect
import os
import re
import sys
import tempfile
from pathlib import Path

import numpy as np

from srcgrad.api import reverse as api
from srcgrad.api import export
from srcgrad.api.check import check_grad, numerical_grad
from srcgrad.api.variadic import takes_varargs
from srcgrad.compiler import pipeline
from srcgrad.compiler.lazy import finish
from srcgrad.errors import SrcgradError


def _load(target, several=False):
    """The function(s) ``FILE.py:NAME`` names (``FILE.py:f,g,Class.method``
    with ``several``); the file is imported as a module."""
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
    found = []
    for item in name.split(",") if several else [name]:
        obj = module
        try:
            for part in item.strip().split("."):
                obj = getattr(obj, part)
        except AttributeError:
            raise SystemExit(f"srcgrad: {path} defines no {item.strip()!r}") from None
        found.append(obj)
    return found if several else found[0]


def _wrt(text):
    items = [w.strip() for w in text.split(",") if w.strip()]
    parsed = tuple(int(w) if w.lstrip("-").isdigit() else w for w in items)
    return parsed[0] if len(parsed) == 1 else parsed


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["export"]:
        return export_main(argv[1:])
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
            # (with every version made: a long function's are made when needed)
            df = finish((api.value_and_grad if args.value else api.grad)(fun, wrt=wrt))
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


def export_main(argv):
    """``srcgrad export FILE.py:f,g --wrt ... [--value] -o OUT.py [--check ARGS]``."""
    ap = argparse.ArgumentParser(
        prog="srcgrad export", description="Write the gradients of several functions of a "
        "file as one module that needs no srcgrad (see docs/use-in-your-project.md).")
    ap.add_argument("target", help="FILE.py:FUNCTION[,FUNCTION...] (Class.method works: "
                    "self is then the first parameter)")
    ap.add_argument("--wrt", default="0", help="argument positions or names, comma separated, "
                    "for every function (default 0)")
    ap.add_argument("--value", action="store_true", help="value_and_grad instead of grad")
    ap.add_argument("--mode", choices=EXPORT_MODES, default=None,
                    help="what to export for each function: grad (default), value_and_grad, "
                         "vjp, jvp or hvp (the Hessian-vector product)")
    ap.add_argument("-o", "--output", help="the module to write (default: standard output)")
    ap.add_argument("--check", metavar="[NAME:]ARGS", action="append",
                    help="Python literals, comma separated (numbers, [lists] for arrays): "
                         "import the written module and check each gradient at these "
                         "arguments against finite differences of the function; 'NAME: "
                         "ARGS' for one function only (repeat the option for others)")
    ap.add_argument("--verify", action="store_true",
                    help="write nothing: exit 1, showing the difference, if the module at "
                         "-o is not what the source gives now (for CI and pre-commit; the "
                         "date and the directories of the source files are not compared)")
    args = ap.parse_args(argv)
    if args.verify and not args.output:
        print("srcgrad: --verify compares with the module given by -o", file=sys.stderr)
        return 2
    funs = _load(args.target, several=True)
    mode = args.mode or ("value_and_grad" if args.value else "grad")
    if args.value and mode != "value_and_grad":
        print("srcgrad: --value is --mode value_and_grad", file=sys.stderr)
        return 2
    points = {}
    for item in args.check or ():
        name, colon, rest = item.partition(":")
        key = name.strip() if colon and name.strip().replace(".", "").isidentifier() else None
        try:
            point = ast.literal_eval("(" + (rest if key else item) + ",)")
        except (ValueError, SyntaxError):
            print(f"srcgrad: --check takes Python literals, comma separated, not {item!r}",
                  file=sys.stderr)
            return 2
        points[key] = [np.array(p, dtype=float) if isinstance(p, (list, tuple)) else p
                       for p in point]
    try:
        wrt = _wrt(args.wrt)
        dfs = [_transform(mode)(f, wrt=wrt) for f in funs]
        for f, df in zip(funs, dfs):
            if takes_varargs(f):
                failed = _specialise_at(f, df, _point_for(points, f), mode)
                if failed:
                    print(f"srcgrad: {failed}", file=sys.stderr)
                    return 1
        text = export.module_text(dfs) + "\n"
    except SrcgradError as e:
        print(f"srcgrad: {e}", file=sys.stderr)
        return 1
    if args.verify:
        return _verify(Path(args.output), text, funs)
    if not args.check:
        if args.output:
            Path(args.output).write_text(text)
        else:
            sys.stdout.write(text)
        return 0
    where = Path(args.output).resolve().parent if args.output else Path(tempfile.gettempdir())
    fd, tmp = tempfile.mkstemp(dir=where, prefix=".srcgrad-export-", suffix=".py")
    with os.fdopen(fd, "w") as out:
        out.write(text)
    failures = True                 # (until the check has run)
    try:
        failures = _check_export(tmp, funs, dfs, wrt, points, mode)
    finally:
        if failures or not args.output:
            os.unlink(tmp)
    if failures:
        for line in failures:
            print(f"srcgrad: --check: {line}", file=sys.stderr)
        return 1
    os.replace(tmp, args.output) if args.output else sys.stdout.write(text)
    print("# exported gradients checked against finite differences at "
          + "; ".join(args.check), file=sys.stderr)
    return 0


def _verify(path, text, funs):
    """``srcgrad export --verify``: 0 if the module at ``path`` is ``text``
    (what the source gives now), else 1 with a unified diff on stdout.  The
    export date and the directories of the source files (checkouts differ)
    are left out of the comparison; the sources' hashes are not."""
    try:
        old = path.read_text()
    except OSError as e:
        print(f"srcgrad: --verify: cannot read {path}: {e.strerror}", file=sys.stderr)
        return 1
    dirs = sorted({os.path.dirname(os.path.abspath(_source_file(f))) + os.sep for f in funs},
                  key=len, reverse=True)

    def comparable(t):
        lines = []
        for ln in t.splitlines():
            if ln.startswith("# Generated by srcgrad"):
                ln = re.sub(r" on \d{4}-\d{2}-\d{2};", ";", ln)
            if ln.startswith("#"):
                for d in dirs:
                    ln = ln.replace(d, "")
                ln = re.sub(r"(# Source: )\S*[/\\]", r"\1", ln)
            lines.append(ln)
        return lines

    before, now = comparable(old.rstrip("\n")), comparable(text.rstrip("\n"))
    if before == now:
        print(f"# {path} is up to date with its source", file=sys.stderr)
        return 0
    sys.stdout.writelines(difflib.unified_diff([ln + "\n" for ln in before],
                                               [ln + "\n" for ln in now],
                                               str(path), "what the source gives now"))
    print(f"srcgrad: --verify: {path} no longer matches its source; export it again",
          file=sys.stderr)
    return 1


def _source_file(fun):
    try:
        return inspect.getsourcefile(inspect.unwrap(fun)) or ""
    except TypeError:
        return ""


#: what ``srcgrad export --mode`` exports
EXPORT_MODES = ("grad", "value_and_grad", "vjp", "jvp", "hvp")


def _transform(mode):
    """The transform ``srcgrad export --mode`` applies to each function."""
    from srcgrad.api import forward, higher
    return {"grad": api.grad, "value_and_grad": api.value_and_grad, "vjp": api.vjp,
            "jvp": forward.jvp, "hvp": higher.hvp}[mode]


def _point_for(points, fun):
    """The --check arguments for ``fun`` (its own, or those for every function)."""
    return points.get(fun.__qualname__, points.get(fun.__name__, points.get(None)))


def _specialise_at(fun, df, point, mode):
    """Make the version of ``df`` (the derivative of ``fun``, which takes
    ``*args`` or ``**kwargs``) for a call with the --check arguments
    ``point``; returns an error message, or None."""
    if point is None:
        return (f"{fun.__qualname__} takes *args or **kwargs: its derivative is made for a "
                f"number of arguments; give them with --check '{fun.__qualname__}: ARGS' "
                f"(the export is made for calls like that one, and checked there)")
    extra = {"vjp": [1.0], "jvp": [1.0] * df.extras(df.wrt),
             "hvp": [1.0] * df.extras(df.wrt)}.get(mode, [])
    try:
        df(*point, *extra)
    except SrcgradError:
        raise
    except Exception as e:
        return (f"--check: {df.__name__} at the given arguments: {type(e).__name__}: {e}")
    return None


def _positions(fun, wrt):
    """The positions of the arguments ``wrt`` names in a call of ``fun``
    with positional arguments only (for ``*args``: wrt positions count the
    call's arguments)."""
    if not takes_varargs(fun):
        names, single = pipeline.normalise_wrt(fun, wrt)
        params = list(inspect.signature(fun).parameters)
        return names, [params.index(n) for n in names], single
    single = not isinstance(wrt, (tuple, list))
    items = [wrt] if single else list(wrt)
    params = list(inspect.signature(fun).parameters)
    unknown = [w for w in items if not isinstance(w, int) and w not in params]
    if unknown:
        raise SrcgradError(f"--check of {fun.__qualname__}: wrt={unknown[0]!r} is not one of its "
                           f"parameters {params} (a **kwargs key cannot be checked here)")
    positions = [w if isinstance(w, int) else params.index(w) for w in items]
    return [f"argument {i}" for i in positions], positions, single


def _check_export(path, funs, dfs, wrt, points, mode):
    """Import the module written at ``path`` and compare each exported
    derivative with central finite differences of its function (``jvp``:
    along the direction of ones; ``hvp``: of srcgrad's gradient), at the
    arguments ``points`` gives for its name (or for ``None``: every other
    function; a function with neither is not checked); returns the failures
    (empty when all agree)."""
    spec = importlib.util.spec_from_file_location("_srcgrad_export_check", path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        return [f"the exported module does not import: {type(e).__name__}: {e}"]
    failures = []
    for fun, df in zip(funs, dfs):
        name = df.export_parts()[0].__name__ if hasattr(df, "export_parts") else df.__name__
        exported = getattr(module, name)
        point = _point_for(points, fun)
        if point is None:
            continue
        names, positions, single = _positions(fun, wrt)
        extra = {p.name: fun.__globals__[p.name]
                 for p in inspect.signature(exported).parameters.values()
                 if p.kind is p.KEYWORD_ONLY and p.default is p.empty
                 and p.name in fun.__globals__}
        try:
            ones = [np.ones_like(point[i], dtype=float) for i in positions]
            if mode in ("grad", "value_and_grad"):
                got = exported(*point, **extra)
                got = got[1] if mode == "value_and_grad" else got
            elif mode == "vjp":
                got = exported(*point, 1.0, **extra)[1]
            elif mode == "jvp":
                got = exported(*point, *ones, **extra)[1]
            else:
                got = exported(*point, *ones, **extra)
            got = (got,) if single or mode == "jvp" else got
            if mode == "jvp":
                want = [sum(np.sum(numerical_grad(fun, point, i) * o)
                            for i, o in zip(positions, ones))]
                names = ["the direction of ones"]
            elif mode == "hvp":
                g = api.grad(fun, wrt=tuple(positions))
                want = [_fd_directional(lambda *a, k=k: g(*a)[k], point, positions, ones)
                        for k in range(len(names))]
            else:
                want = [numerical_grad(fun, point, i) for i in positions]
        except Exception as e:
            failures.append(f"{name} at the given arguments: {type(e).__name__}: {e}")
            continue
        for n, g, w in zip(names, got, want):
            if np.shape(g) != np.shape(w) or not np.allclose(g, w, rtol=1e-5, atol=1e-7):
                failures.append(f"{name}: the derivative with respect to {n} is {g!r}, "
                                f"finite differences give {w!r}")
    return failures


def _fd_directional(fun, point, positions, direction, h=1e-6):
    """Central finite difference of ``fun`` at ``point`` along ``direction``
    (one array or float per position)."""
    up, dn = list(point), list(point)
    for i, d in zip(positions, direction):
        up[i] = point[i] + h * d
        dn[i] = point[i] - h * d
    return (np.asarray(fun(*up)) - np.asarray(fun(*dn))) / (2 * h)


if __name__ == "__main__":
    sys.exit(main())
