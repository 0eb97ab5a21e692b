"""The layout is the pipeline: checks of the import graph and of pass sizes.

* No import cycle among srcgrad's modules, counting imports inside functions.
* The compiler (``srcgrad.compiler``), the rules and the runtime never import
  the public API (``srcgrad.api``): the API hands the compiler a driver.
* Stages import only earlier stages (and the shared ``ir``, ``rules``,
  ``runtime``, ``errors``): frontend → analysis → transforms → optimise → emit.
"""

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent / "srcgrad"


def _module_name(path):
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules():
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _imports(name, path, modules):
    """The srcgrad modules ``name`` imports (anywhere in the file)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[:len(parts) - node.level + 1]
                base = ".".join(parts + ([base] if base else []))
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                       for a in node.names]
        else:
            continue
        for t in targets:
            while t and t not in modules:
                t = t.rpartition(".")[0]
            if t and t != name:
                out.add(t)
    return out


def graph():
    modules = _modules()
    edges = {name: _imports(name, path, modules) for name, path in modules.items()}
    # a package's __init__ is imported by importing any module in it: not an edge
    # of the module's own making, so parents reached only that way are left out
    return edges


def _cycle(edges):
    colour, stack = {}, []

    def visit(n):
        colour[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if colour.get(m) == 1:
                return stack[stack.index(m):] + [m]
            if m not in colour:
                found = visit(m)
                if found:
                    return found
        stack.pop()
        colour[n] = 2
        return None

    for n in sorted(edges):
        if n not in colour:
            found = visit(n)
            if found:
                return found
    return None



def test_no_import_cycle():
    edges = graph()
    cycle = _cycle(edges)
    assert cycle is None, " -> ".join(cycle)


def test_compiler_rules_and_runtime_never_import_the_api():
    bad = {(a, b) for a, targets in graph().items() for b in targets
           if not a.startswith(("srcgrad.api", "srcgrad.__")) and a != "srcgrad"
           and b.startswith("srcgrad.api")}
    assert not bad, sorted(bad)


ORDER = ["srcgrad.compiler.frontend", "srcgrad.compiler.analysis",
         "srcgrad.compiler.transforms", "srcgrad.compiler.optimise", "srcgrad.compiler.emit"]


def _stage(module):
    for i, prefix in enumerate(ORDER):
        if module == prefix or module.startswith(prefix + "."):
            return i
    return None


def test_stages_import_only_earlier_stages():
    bad = []
    for a, targets in graph().items():
        sa = _stage(a)
        for b in targets:
            sb = _stage(b)
            if sa is not None and sb is not None and sb > sa:
                bad.append(f"{a} imports the later stage {b}")
    assert not bad, bad


@pytest.mark.parametrize("name", sorted(_modules()))
def test_module_size(name):
    """Passes and helpers stay small; a larger module says why at its top."""
    path = _modules()[name]
    lines = len(path.read_text().splitlines())
    if lines > 600:
        doc = ast.get_docstring(ast.parse(path.read_text())) or ""
        assert "Larger than" in doc, f"{name}: {lines} lines"


@pytest.mark.parametrize("name", sorted(n for n in _modules()
                                        if n.startswith(("srcgrad.compiler.", "srcgrad.runtime."))))
def test_pass_shows_an_example(name):
    """Every pass, analysis and helper module of the compiler and the runtime
    opens with a docstring and shows an example that runs (a doctest)."""
    path = _modules()[name]
    if path.name == "__init__.py":
        pytest.skip("a package's exports")
    text = path.read_text()
    assert ast.get_docstring(ast.parse(text)), f"{name} has no docstring"
    assert ">>> " in text, f"{name} shows no example"
