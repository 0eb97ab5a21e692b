"""The runnable examples in examples/ run to the end (each checks its own
gradient against finite differences and asserts that its fit converges)."""

import pathlib
import runpy

import pytest

EXAMPLES = sorted(pathlib.Path(__file__).parent.parent.glob("examples/*.py"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)            # (finite_differences.py saves a plot there)
    monkeypatch.setattr("sys.argv", [str(path)])
    runpy.run_path(str(path), run_name="__main__")
    out = capsys.readouterr().out
    assert "def " in out          # each prints generated source
