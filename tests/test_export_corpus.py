"""Every program of the test corpus, exported (issue #14, "self-contained
export"): the gradient of each program the construct, container, linear
algebra, everyday-code, helper-call and soundness tests differentiate is
written out with ``srcgrad.source(df, standalone=True)``, and all of them
run in one Python that can import NumPy but neither srcgrad nor the test
modules (``-S``, NumPy reached through a directory of links).  Each must
give what srcgrad's gradient gives in process.

A program whose gradient srcgrad refuses is skipped (it has nothing to
export), and so is one whose arguments are objects of the test modules (the
export takes them, but the bare interpreter cannot make them); the test
asserts how many ran, so that the corpus cannot shrink unseen.
"""

import pathlib
import pickle

import numpy as np
import pytest

import srcgrad
from srcgrad.errors import SrcgradError
from tests.test_embed import _numpy_only_run


def _corpus():
    from tests import test_constructs, test_containers, test_everyday, test_linalg_tuples
    from tests import test_soundness_known, test_soundness_runtime
    out = []
    for fun, wrt, inputs in test_constructs.CASES:
        out += [(fun, tuple(args), wrt) for args in inputs[:1]]
    for module in (test_containers, test_linalg_tuples, test_soundness_runtime):
        out += [(fun, tuple(args), wrt) for fun, args, wrt in module.CASES]
    out += [(fun, tuple(args), wrt) for fun, args, wrt in test_everyday.CASES]
    out += [(fun, tuple(args), wrt) for fun, args, wrt, expect in test_soundness_known.CASES
            if expect == "ok"]
    return out


def _plain(x):
    """Whether the value ``x`` can be made where only NumPy is importable."""
    if isinstance(x, (bool, int, float, complex, str, type(None), np.ndarray, np.generic)):
        return not isinstance(x, np.ndarray) or x.dtype != object
    if type(x) in (list, tuple):
        return all(_plain(e) for e in x)
    if type(x) is dict:
        return all(_plain(k) and _plain(v) for k, v in x.items())
    return False


def _leaves(x):
    """The numbers and arrays of a nested result, in order."""
    if isinstance(x, dict):
        return [v for k in sorted(x, key=repr) for v in _leaves(x[k])]
    if isinstance(x, (list, tuple)):
        return [v for e in x for v in _leaves(e)]
    if hasattr(x, "__dataclass_fields__"):
        return [v for k in sorted(x.__dataclass_fields__) for v in _leaves(getattr(x, k))]
    return [x]


def test_every_corpus_program_exported_runs_with_numpy_only(tmp_path):
    cases, skipped = [], {"refused": 0, "objects": 0}
    for k, (fun, args, wrt) in enumerate(_corpus()):
        if not _plain(args):
            skipped["objects"] += 1
            continue
        try:
            df = srcgrad.grad(fun, wrt=wrt)
            want = df(*args)
            text = srcgrad.source(df, standalone=True)
        except SrcgradError:
            skipped["refused"] += 1
            continue
        name = f"exported_{k}"
        assert "import srcgrad" not in text and "import tests" not in text, fun.__name__
        (tmp_path / f"{name}.py").write_text(text)
        cases.append((name, df.__name__, fun.__name__, args, want))
    with open(tmp_path / "cases.pkl", "wb") as fh:
        pickle.dump([(name, entry, args) for name, entry, _, args, _ in cases], fh)
    # NumPy and SciPy (an export needing SciPy says so in its header) through links
    import scipy
    links = tmp_path / "only_numpy"
    links.mkdir()
    site = pathlib.Path(scipy.__file__).resolve().parent.parent
    for lib in ("scipy", "scipy.libs"):
        if (site / lib).exists():
            (links / lib).symlink_to(site / lib)
    run = _numpy_only_run(tmp_path, """
        import importlib, pickle, traceback
        with open("cases.pkl", "rb") as fh:
            cases = pickle.load(fh)
        out = {}
        for name, entry, args in cases:
            try:
                out[name] = ("ok", getattr(importlib.import_module(name), entry)(*args))
            except Exception:
                out[name] = ("error", traceback.format_exc(limit=3))
        with open("results.pkl", "wb") as fh:
            pickle.dump(out, fh)
    """.replace("\n        ", "\n"))
    assert run.returncode == 0, run.stderr
    with open(tmp_path / "results.pkl", "rb") as fh:
        results = pickle.load(fh)
    bad = []
    for name, entry, fname, args, want in cases:
        status, got = results[name]
        if status != "ok":
            bad.append(f"{fname}: {got}")
            continue
        flat_got, flat_want = _leaves(got), _leaves(want)
        if len(flat_got) != len(flat_want):
            bad.append(f"{fname}: {got!r} against {want!r}")
            continue
        for a, b in zip(flat_got, flat_want):
            try:
                np.testing.assert_allclose(np.asarray(a, dtype=complex), np.asarray(b, dtype=complex),
                                           rtol=1e-12, atol=1e-14)
            except (AssertionError, TypeError, ValueError) as e:
                bad.append(f"{fname}: {str(e)[:300]}")
    assert not bad, "\n".join(bad)
    assert len(cases) >= 170, (len(cases), skipped)      # 177 of 184 (2026-11-30)
