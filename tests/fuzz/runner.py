"""Load, validate and check one generated program.

A program is written to a module file of its own (srcgrad reads source with
``inspect``), imported, its primal run once at the arguments (it must return
a finite real scalar, leave its arguments alone and be smooth near them,
else it is *discarded*), then ``tests.modes.check_modes`` decides each mode:
ok / refused / wrong / crash.  ``classify`` turns an outcome into a failure
class: mode, status and the first line of the message with the program's own
names, numbers and paths taken out.
"""

import contextlib
import copy
import importlib.util
import itertools
import os
import re
import signal
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field

import numpy as np

from tests.modes import MODES, check_modes
from tests.fuzz.gen import generate

_DIR = None
_COUNT = itertools.count()


class Timeout(Exception):
    pass


@contextlib.contextmanager
def time_limit(seconds):
    """Raise ``Timeout`` after ``seconds`` (main thread only; a no-op elsewhere)."""
    try:
        old = signal.signal(signal.SIGALRM, _alarm)
    except ValueError:              # not the main thread
        yield
        return
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def _alarm(signum, frame):
    raise Timeout()


def load(source, tag="p"):
    """Import ``source`` as a fresh module (a file of its own)."""
    global _DIR
    if _DIR is None:
        _DIR = tempfile.mkdtemp(prefix="srcgrad_fuzz_")
    name = f"fz_{tag}_{os.getpid()}_{next(_COUNT)}"
    path = os.path.join(_DIR, name + ".py")
    with open(path, "w") as fh:
        fh.write(source)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(name, None)
        raise
    return module


def unload(module):
    sys.modules.pop(module.__name__, None)


def _real_scalar(v):
    if isinstance(v, (bool, np.bool_)):
        return False
    if isinstance(v, (int, float, np.integer, np.floating)):
        return True
    return isinstance(v, np.ndarray) and v.ndim == 0 and v.dtype.kind in "fi"


def _positions(wrt):
    return wrt if isinstance(wrt, tuple) else (wrt,)


def validate(f, args, wrt, seconds=2.0):
    """None if ``f`` is a fair test at ``args``, else why not."""
    saved = copy.deepcopy(args)
    try:
        with time_limit(seconds), np.errstate(all="raise"), warnings.catch_warnings():
            warnings.simplefilter("error")
            probe = copy.deepcopy(args)
            value = f(*probe)
            if not _real_scalar(value):
                return f"result is {type(value).__name__}"
            if not np.isfinite(value) or abs(float(value)) > 1e6:
                return "result not finite or too large"
            if not all(_same(a, b) for a, b in zip(saved, probe)):
                return "the primal changes its arguments"
            # smooth near the point: directional differences at two steps agree
            rng = np.random.default_rng(7)
            for _ in range(2):
                dirs = {i: (rng.normal(size=np.shape(args[i])) if isinstance(args[i], np.ndarray)
                            else float(rng.normal())) for i in _positions(wrt)}
                d = []
                for h in (1e-3, 1e-5):
                    up = [a + h * dirs[i] if i in dirs else copy.deepcopy(a) for i, a in enumerate(args)]
                    dn = [a - h * dirs[i] if i in dirs else copy.deepcopy(a) for i, a in enumerate(args)]
                    d.append((float(f(*up)) - float(f(*dn))) / (2 * h))
                if not np.isfinite(d).all() or abs(d[0] - d[1]) > 1e-3 * (1 + abs(d[1])):
                    return "not smooth near the point"
    except Timeout:
        return "primal timed out"
    except Exception as e:  # noqa: BLE001
        return f"primal raises {type(e).__name__}"
    return None


def _same(a, b):
    if isinstance(a, np.ndarray):
        return isinstance(b, np.ndarray) and np.array_equal(a, b)
    if hasattr(a, "__dict__") and not callable(a):       # (an object: gen_methods.Osc)
        return type(a) is type(b) and vars(a).keys() == vars(b).keys() and \
            all(_same(v, vars(b)[k]) for k, v in vars(a).items())
    return a == b


@dataclass
class Result:
    seed: int
    status: str                      # "discarded" | "checked"
    reason: str = ""                 # why discarded
    outcomes: list = field(default_factory=list)
    program: object = None

    def failures(self):
        return [o for o in self.outcomes if o.status in ("wrong", "crash", "oracle")]

    def refusals(self):
        return [o for o in self.outcomes if o.status == "refused"]


class _Oracle:
    """Stand-in for an Outcome when the oracle itself failed (f raised while
    being differentiated numerically, say)."""

    def __init__(self, mode, detail):
        self.mode, self.status, self.detail = mode, "oracle", detail

    def __str__(self):
        return f"{self.mode}: oracle ({self.detail})"


def check_source(source, args, wrt, modes=MODES, timeout=30.0, tag="p"):
    """(discard reason or None, outcomes) for one program text."""
    try:
        with time_limit(5.0), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            module = load(source, tag)
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, KeyboardInterrupt):
            raise
        return f"module does not load: {type(e).__name__}", []
    try:
        f = module.f
        reason = validate(f, args, wrt)
        if reason:
            return reason, []
        try:
            with time_limit(timeout), warnings.catch_warnings(), np.errstate(all="ignore"):
                warnings.simplefilter("ignore")
                outcomes = check_modes(f, copy.deepcopy(args), wrt, modes=modes)
        except Timeout:
            outcomes = [_timeout(modes)]
        except Exception as e:  # noqa: BLE001
            tb = traceback.extract_tb(e.__traceback__)
            where = tb[-1].name if tb else "?"
            outcomes = [_Oracle("?", f"{type(e).__name__} in {where}: {str(e)[:120]}")]
        return None, outcomes
    finally:
        unload(module)


def _timeout(modes):
    from tests.modes import Outcome
    return Outcome("+".join(modes), "crash", "Timeout: srcgrad or the generated code took too long")


def run_seed(seed, modes=MODES, timeout=30.0):
    program = generate(seed)
    reason, outcomes = check_source(program.source, program.args, program.wrt, modes, timeout,
                                    tag=str(seed))
    if reason:
        return Result(seed, "discarded", reason, program=program)
    return Result(seed, "checked", outcomes=outcomes, program=program)


# ------------------------------------------------------------- classification
_PATH = re.compile(r"(/[^\s:'\"]+)?/fz_[\w]+\.py|<srcgrad [^>]*>|\b\w+\.py\b")
_NAME = re.compile(r"\b(?:[a-zA-Z]{1,2}|st|fn|lst|dict|tup)_?\d+\b")
_NUM = re.compile(r"-?\d+(\.\d+)?(e-?\d+)?")
_ARRAY = re.compile(r"\[[^\[\]]*\]")


def normalise(text):
    text = _PATH.sub("<file>", text)
    text = _NAME.sub("<name>", text)
    text = re.sub(r"'[^']*'", "'…'", text)
    text = _NUM.sub("N", text)
    return re.sub(r"\s+", " ", text).strip()


def wrong_kind(detail):
    kinds = []
    for part in detail.split("; "):
        if "changed an argument" in part:
            kinds.append("changes an argument")
        elif "vs finite differences of the gradient" in part:
            kinds.append("Hv vs FD of grad")
        elif part.startswith("u.Hv"):
            kinds.append("u.Hv != v.Hu")
        elif part.startswith("tangent"):
            kinds.append("tangent vs FD")
        elif part.startswith("jvp"):
            kinds.append("jvp != grad.v")
        elif "value differs" in part:
            kinds.append("value differs from f")
        elif "srcgrad" in part and "finite differences" in part:
            kinds.append("gradient vs FD")
        else:
            kinds.append(normalise(part.split(":", 1)[-1]))
    return ", ".join(sorted(set(kinds)))


def classify(outcome):
    """The failure class of an outcome: 'mode status: message'."""
    if outcome.status == "wrong":
        msg = wrong_kind(outcome.detail)
    elif outcome.status in ("crash", "oracle"):
        msg = normalise(outcome.detail.splitlines()[0] if outcome.detail else "")
    elif outcome.status == "refused":
        msg = normalise(refusal_message(outcome.detail))
    else:
        msg = ""
    return f"{outcome.mode} {outcome.status}" + (f": {msg[:160]}" if msg else "")


def refusal_message(detail):
    """The reason of a refusal, without the file:line prefix."""
    m = re.match(r"^(?:<[^>]*>|[^:]*\.py):\d+:\s*(.*)$", detail)
    return m.group(1) if m else detail


def exc_type(outcome):
    return outcome.detail.split(":", 1)[0] if outcome.status == "crash" else ""
