"""The code on the user documentation pages runs, and says what it does.

``docs/use-in-your-project.md`` is a walk through a small project: its
```` ```python ```` blocks whose first line is a file name comment
(``# mymodel.py``) are written to that file in a fresh directory; every other
```` ```python ```` block is run there as a script, in a new interpreter, in the
order of the page; each line of a ```` ```sh ```` block is run there by bash,
with ``srcgrad`` and ``python`` meaning this checkout's srcgrad and this
interpreter (lines installing srcgrad, ``pip ...``, are not run).  Each must
exit with status 0.  ```` ```text ```` blocks show output and are not run.

``docs/troubleshooting.md`` lists srcgrad's refusals, one ``###`` heading a
message (``<...>`` stands for the variable parts).  Every ```` ```python ````
block on it is run as a module of its own (with ``math``, ``numpy as np`` and
``srcgrad`` imported): a block with a line marked ``# raises SomeError`` must
raise that error on that line, with a message the heading of its section
matches; any other block (the workarounds) must run without error.
"""

import ast
import builtins
import importlib.util
import os
import pathlib
import re
import subprocess
import sys
import traceback

import pytest

import srcgrad
from srcgrad.rules import registry
import srcgrad.rules.scipy  # noqa: F401,E402  (loaded before the examples save and restore the registry)

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
FENCE = re.compile(r"^```(\w*)[ \t]*\n(.*?)^```[ \t]*$", re.M | re.S)
HEADING = re.compile(r"^(#{1,6}) (.*)$", re.M)
PRELUDE = "import math\nimport numpy as np\nimport srcgrad\n"


def blocks(page):
    """``(language, code, heading)`` of each fenced block of ``page``, where
    ``heading`` is the text of the nearest heading above it."""
    text = (DOCS / page).read_text()
    headings = [(m.start(), m.group(2).strip()) for m in HEADING.finditer(text)]
    out = []
    for m in FENCE.finditer(text):
        above = [h for start, h in headings if start < m.start()]
        out.append((m.group(1), m.group(2), above[-1] if above else ""))
    return out


# -- use-in-your-project.md ---------------------------------------------------------

FILE_COMMENT = re.compile(r"^# ([\w./-]+\.py)\n")


def _run(cmd, cwd, env, what):
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (f"{what} exited with {done.returncode}\n--- stdout\n"
                                  f"{done.stdout}\n--- stderr\n{done.stderr}")
    return done


def _excerpt(shown, printed, heading):
    """Output shown right after a script (a ```text block) is an excerpt of
    what it printed: its lines, but for ``...``, appear there in order."""
    lines = [ln.rstrip() for ln in printed.splitlines()]
    at = 0
    for line in shown.splitlines():
        if line.strip() in ("", "..."):
            continue
        try:
            at = lines.index(line.rstrip(), at) + 1
        except ValueError:
            raise AssertionError(f"the output shown under {heading!r} has the line\n{line}\n"
                                 f"which the code does not print (after what matched "
                                 f"before); it printed:\n{printed}") from None


def test_use_in_your_project_runs(tmp_path):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PY=sys.executable,
               PYTHONDONTWRITEBYTECODE="1")
    shell = ('srcgrad() { "$PY" -m srcgrad "$@"; }\n'
             'python() { "$PY" "$@"; }\n'
             'set -e -o pipefail\n')
    ran = {"python": 0, "sh": 0, "file": 0}
    output = None                  # what the last script printed
    for i, (lang, code, heading) in enumerate(blocks("use-in-your-project.md")):
        if lang == "python":
            named = FILE_COMMENT.match(code)
            if named:
                (tmp_path / named.group(1)).write_text(code)
                ran["file"] += 1
                continue
            script = tmp_path / f"doc_block_{i}.py"
            script.write_text(code)
            output = _run([sys.executable, script.name], tmp_path, env,
                          f"the python block under {heading!r}:\n{code}").stdout
            ran["python"] += 1
            continue
        elif lang == "sh":
            for line in code.splitlines():
                if not line.strip() or line.lstrip().startswith(("#", "pip ")):
                    continue
                _run(["bash", "-c", shell + line], tmp_path, env,
                     f"the command {line!r} under {heading!r}")
                ran["sh"] += 1
        else:
            assert lang == "text", f"a block of language {lang!r} under {heading!r}"
            if output is not None:
                _excerpt(code, output, heading)
        output = None
    assert ran["python"] >= 5 and ran["sh"] >= 5 and ran["file"] >= 2, ran
    # the exported gradient needs only NumPy: it runs where srcgrad and the
    # user's module cannot be imported
    exports = [p for p in tmp_path.glob("*.py") if p.read_text().startswith("# Generated by srcgrad")]
    assert exports
    for path in exports:
        check = (f"import sys; sys.modules['srcgrad'] = None; sys.modules['mymodel'] = None\n"
                 f"import runpy; ns = runpy.run_path({str(path)!r})\n"
                 f"assert any(k.startswith('d_') for k in ns)\n")
        _run([sys.executable, "-I", "-c", check], tmp_path, {**env, "PYTHONPATH": ""},
             f"the export {path.name} without srcgrad")


# -- rules.md -------------------------------------------------------------------------

@pytest.mark.parametrize("i", [i for i, b in enumerate(blocks("rules.md")) if b[0] == "python"])
def test_rules_guide_examples_run(i, tmp_path):
    """Each Python block of docs/rules.md is a complete script; it runs (its
    asserts check the rules it declares against finite differences)."""
    lang, code, heading = blocks("rules.md")[i]
    script = tmp_path / f"rules_block_{i}.py"
    script.write_text(code)
    env = dict(os.environ, PYTHONPATH=str(ROOT), SRCGRAD_CACHE="0")
    _run([sys.executable, script.name], tmp_path, env, f"the python block under {heading!r}")


# -- troubleshooting.md -------------------------------------------------------------

RAISES = re.compile(r"#\s*raises\s+(\w+)")


def _pattern(heading):
    """The regular expression of a heading ``` `message with <parts>` ```."""
    m = re.fullmatch(r"`(.*)`", heading)
    assert m, f"a troubleshooting heading is a message in backquotes: {heading!r}"
    parts = re.split(r"<[^<>]*>", m.group(1))
    return ".+?".join(re.escape(p) for p in parts)


def _examples():
    out = []
    for i, (lang, code, heading) in enumerate(blocks("troubleshooting.md")):
        if lang != "python":
            continue
        out.append(pytest.param(code, heading, id=f"{i}-{heading[:40]}"))
    return out


EXAMPLES = _examples()


def test_troubleshooting_shows_enough_refusals():
    refused = [code for code, heading in (p.values for p in EXAMPLES) if RAISES.search(code)]
    headings = {heading for code, heading in (p.values for p in EXAMPLES) if RAISES.search(code)}
    assert len(refused) >= 15 and len(headings) >= 15, (len(refused), len(headings))


@pytest.mark.parametrize("code,heading", EXAMPLES)
def test_troubleshooting_example(code, heading, tmp_path):
    lines = code.splitlines()
    marked = [(n, RAISES.search(line).group(1)) for n, line in enumerate(lines, start=1)
              if RAISES.search(line)]
    assert len(marked) <= 1, "one raising line a block"
    name = f"doc_trouble_{abs(hash(code)) % 10 ** 8}"
    path = tmp_path / f"{name}.py"
    path.write_text(PRELUDE + code + "\n")
    offset = PRELUDE.count("\n")
    saved_rules = dict(registry._RULES)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        if not marked:
            spec.loader.exec_module(module)
            return
        line, kind = marked[0]
        error = getattr(srcgrad, kind, None) or getattr(builtins, kind)
        with pytest.raises(error) as info:
            spec.loader.exec_module(module)
        raised_at = [f.lineno - offset for f in traceback.extract_tb(info.tb)
                     if f.filename == str(path)]
        assert raised_at and raised_at[-1] == line, \
            f"raised on line {raised_at[-1:]} of the block, not on the marked line {line}"
        message = str(info.value)
        assert re.search(_pattern(heading), message, re.S), \
            f"the heading {heading!r} does not match the message:\n{message}"
    finally:
        registry._RULES.clear()
        registry._RULES.update(saved_rules)
        sys.modules.pop(name, None)


# -- every refusal has an entry -----------------------------------------------------

#: calls that make srcgrad's errors; the message is their first argument (``error``:
#: ``parsed.error(node, message)``, ``unsupported`` as a method: ``(node, what, hint)``)
MAKERS = {"UnsupportedError", "ArgumentTypeError", "NonScalarOutputError", "RuleError",
          "SrcgradError", "error", "unsupported", "_unsupported"}


def _literals(node):
    """The literal pieces of a message expression, in order."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, ast.JoinedStr):
        return [v.value if isinstance(v, ast.Constant) else "\0" for v in node.values]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _literals(node.left) + _literals(node.right)
    return []


def _stable_start(node):
    """The first run of at least 10 literal characters of a message, up to its first
    ``; ``, ``: ``, `` (`` or line break: what a user would search for."""
    text = "".join(_literals(node))
    for piece in text.split("\0"):
        piece = piece.split("\n")[0].strip().removeprefix("srcgrad: ")
        piece = re.split(r"; |: | \(", piece)[0].strip()
        if len(piece) >= 10:
            return " ".join(piece.split())
    return None


def _messages():
    """``(where, stable start)`` of every error message written in srcgrad/."""
    out = []
    for path in sorted((ROOT / "srcgrad").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            message = None
            if isinstance(node, ast.Call) and node.args:
                f = node.func
                name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", None)
                if name in MAKERS:
                    method = isinstance(f, ast.Attribute) and name in ("error", "unsupported")
                    message = node.args[1] if method and len(node.args) > 1 else node.args[0]
            elif isinstance(node, ast.Tuple) and len(node.elts) == 2 and all(
                    isinstance(e, (ast.Constant, ast.JoinedStr)) for e in node.elts):
                message = node.elts[0]            # (message, hint) pairs
                if len("".join(_literals(message))) <= 25:
                    message = None                # (a construct's name: checked below)
            start = message is not None and _stable_start(message)
            if start:
                out.append((f"{path.relative_to(ROOT)}:{node.lineno}", start))
    return out


def test_every_refusal_in_srcgrad_has_an_entry_in_troubleshooting():
    from srcgrad.compiler.frontend.normalise import normaliser
    text = " ".join((DOCS / "troubleshooting.md").read_text().split())
    messages = _messages()
    assert len(messages) > 80
    missing = [f"{where}: {start!r}" for where, start in messages if start not in text]
    constructs = [what for what, _ in list(normaliser._UNSUPPORTED.values()) +
                  list(normaliser._UNSUPPORTED_EXPR.values())]
    missing += [f"the construct {what!r}" for what in constructs if f"`{what}" not in text]
    assert not missing, ("docs/troubleshooting.md has no entry for these messages (add each "
                         "with its cause and workaround):\n" + "\n".join(missing))


# -- links --------------------------------------------------------------------------

def _slug(heading):
    """GitHub's anchor of a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


@pytest.mark.parametrize("page", ["docs/use-in-your-project.md", "docs/troubleshooting.md",
                                  "README.md", "docs/architecture.md", "docs/rules.md"])
def test_links_lead_somewhere(page):
    path = ROOT / page
    text = path.read_text()
    outside = FENCE.sub("", text)
    anchors = set()
    for m in HEADING.finditer(outside):
        slug, n = _slug(m.group(2)), 1
        while slug in anchors:
            slug = f"{_slug(m.group(2))}-{n}"
            n += 1
        anchors.add(slug)
    prose = re.sub(r"`[^`\n]*`", "", outside)          # (code spans hold no links)
    for target in re.findall(r"\]\(([^)\s]+)\)", prose):
        if target.startswith("#"):
            assert target[1:] in anchors, f"{page}: no heading for the link {target}"
        elif "://" not in target:
            assert (path.parent / target.split("#")[0]).exists(), f"{page}: no file {target}"
