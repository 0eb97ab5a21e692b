"""Stage 7 — emit: source text, compile, and a real Python function.

The tree is converted to a standard ``ast`` and printed with ``ast.unparse``;
comments (which ``ast`` cannot hold) travel as marker strings and are put back
into the text.  The function is compiled under a pseudo file name whose text
is registered with :mod:`linecache`, so tracebacks, ``inspect.getsource`` and
pdb show the generated code.

Objects the generated code needs (``numpy``, runtime helpers) are closure
variables; the function's globals are the user's module globals, so every
other name resolves exactly as in the user's function, at call time.  The
user's own closure cells are shared, not copied.
"""

import ast
import builtins
import inspect
import itertools
import linecache
import re
import types

import gast

from .errors import GENERATED_LINES

_counter = itertools.count(1)
_MARK = "__srcgrad_comment_{}__"
# ast.unparse prints a marker as '...', or as """...""" when it comes first in a body
_MARK_RE = re.compile(r"^(\s*)(?:'|\"\"\")__srcgrad_comment_(\d+)__(?:'|\"\"\")$", re.M)


def comment_node(text):
    node = gast.Expr(value=gast.Constant(value=None, kind=None))
    node.srcgrad_comment = text
    return node


def _number_comments(tree):
    """Give every comment marker its text index; drop comments that are
    followed by no statement in their block."""
    texts = []

    def visit(stmts):
        out = []
        last = None
        for i, s in enumerate(stmts):
            if getattr(s, "srcgrad_comment", None) is not None:
                nxt = stmts[i + 1] if i + 1 < len(stmts) else None
                if nxt is None or getattr(nxt, "srcgrad_comment", None) is not None:
                    continue
                if not s.srcgrad_comment or s.srcgrad_comment == last:
                    continue
                last = s.srcgrad_comment
                s.value = gast.Constant(value=_MARK.format(len(texts)), kind=None)
                texts.append(s.srcgrad_comment)
            elif isinstance(s, (gast.If, gast.For, gast.While)):
                last = None
            if isinstance(getattr(s, "body", None), list):
                s.body = visit(s.body) or [gast.Pass()]
            if isinstance(getattr(s, "orelse", None), list):
                s.orelse = visit(s.orelse)
            out.append(s)
        return out

    tree.body = visit(tree.body) or [gast.Pass()]
    return texts


def to_source(fn):
    """The Python source text of a gast FunctionDef, with comments."""
    texts = _number_comments(fn)
    module = gast.Module(body=[fn], type_ignores=[])
    tree = _SliceObjects().visit(gast.gast_to_ast(module))
    ast.fix_missing_locations(tree)
    text = ast.unparse(tree)
    return _MARK_RE.sub(lambda m: f"{m.group(1)}# {texts[int(m.group(2))]}", text) + "\n"


class _SliceObjects(ast.NodeTransformer):
    """``a:b`` is syntax only inside a subscript (``x[1:, 0]``); anywhere
    else (an index kept in a variable, passed to a helper) it is printed as
    the object it stands for, ``slice(a, b)``.  A negative number constant
    is printed as a negation, so that ``(-0.5) ** 2`` keeps its parentheses."""

    def visit_Subscript(self, node):
        node.value = self.visit(node.value)
        sl = node.slice
        if isinstance(sl, ast.Slice):
            node.slice = self._bounds(sl)
        elif isinstance(sl, ast.Tuple):
            sl.elts = [self._bounds(e) if isinstance(e, ast.Slice) else self.visit(e)
                       for e in sl.elts]
        else:
            node.slice = self.visit(sl)
        return node

    def visit_Constant(self, node):
        # a negative number folded into one constant prints as ``-0.5``, which
        # binds looser than ``**`` and ``.``: print it as the negation it is
        v = node.value
        if type(v) in (int, float) and (v < 0 or v == 0 and str(v).startswith("-")):
            return ast.UnaryOp(op=ast.USub(), operand=ast.Constant(value=-v))
        return node

    def _bounds(self, sl):
        for f in ("lower", "upper", "step"):
            if getattr(sl, f) is not None:
                setattr(sl, f, self.visit(getattr(sl, f)))
        return sl

    def visit_Slice(self, node):
        self._bounds(node)
        parts = [node.lower, node.upper, node.step]
        while len(parts) > 1 and parts[-1] is None:
            parts.pop()
        return ast.Call(func=ast.Name(id="slice", ctx=ast.Load()),
                        args=[p if p is not None else ast.Constant(value=None) for p in parts],
                        keywords=[])


def build(functions, parsed, injected):
    """Compile ``functions`` (``(name, source)`` pairs; a later one may call
    an earlier one by name) and return the last as a function whose globals
    are the user's and whose closure holds the ``injected`` objects, the
    user's own closure cells and the earlier functions."""
    names = [n for n, _ in functions]
    free = list(injected) + [n for n in parsed.closure if n not in injected]
    factory = "__srcgrad_factory__"
    lines = [f"def {factory}({', '.join(free)}):"]
    for _, src in functions:
        lines += ["    " + ln if ln else ln for ln in src.splitlines()]
    lines.append(f"    return ({', '.join(names)},)")
    text = "\n".join(lines) + "\n"
    filename = f"<srcgrad {names[-1]} #{next(_counter)}>"
    linecache.cache[filename] = (len(text), None, text.splitlines(True), filename)
    GENERATED_LINES[filename] = _user_lines(text, parsed)
    code = compile(text, filename, "exec")
    ns = {}
    exec(code, parsed.globals, ns)
    made = {}
    for name, inner in zip(names, ns[factory](*[injected.get(n) for n in free])):
        cells = []
        for n in inner.__code__.co_freevars:
            if n in made:
                cells.append(types.CellType(made[n]))
            elif n in injected:
                cells.append(types.CellType(injected[n]))
            else:
                cells.append(parsed.closure[n])
        fun = types.FunctionType(inner.__code__, parsed.globals, name, parsed.fun.__defaults__,
                                 tuple(cells) or None)
        fun.__kwdefaults__ = parsed.fun.__kwdefaults__
        fun.__qualname__ = name
        fun.__module__ = parsed.fun.__module__
        fun.__doc__ = (f"Generated by srcgrad from {parsed.fun.__qualname__} "
                       f"({parsed.filename}:{parsed.firstlineno}).")
        made[name] = fun
    return made[names[-1]]


def _user_lines(text, parsed):
    """For each line of generated ``text``, the user's line it comes from:
    the one its nearest comment above points to (``# line 8: ...``), and the
    function's first line before any comment."""
    first = parsed.source_lines[parsed.firstlineno - 1].strip() \
        if 0 < parsed.firstlineno <= len(parsed.source_lines) else ""
    where = (parsed.filename, parsed.firstlineno, first)
    out = {}
    for i, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped.startswith("# ") and stripped[2:] in parsed.described:
            where = parsed.described[stripped[2:]]
        elif stripped.startswith("def "):
            where = (parsed.filename, parsed.firstlineno, first)
        out[i] = where
    return out


_STANDALONE_ERRORS = {"NonScalarOutputError": "ValueError", "ArgumentTypeError": "TypeError",
                      "UnsupportedError": "TypeError"}


def standalone(text, injected, df):
    """A self-contained module for generated ``text`` (see ``srcgrad.source``)."""
    from . import runtime
    head = [f"# Generated by srcgrad from {df.__doc__.split('from ', 1)[-1].rstrip('.')}",
            "# Needs only NumPy.", ""]
    imports, helpers = [], []
    wanted = []
    for name, obj in injected.items():
        if inspect.ismodule(obj):
            imports.append(f"import {obj.__name__}" if name == obj.__name__
                           else f"import {obj.__name__} as {name}")
        elif getattr(obj, "__module__", None) == runtime.__name__:
            wanted.append(obj.__name__)
        else:
            mod, qual = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
            if mod and qual and "." not in qual:
                imports.append(f"from {mod} import {qual}" + (f" as {name}" if name != qual else ""))
            else:
                imports.append(f"# {name} = {obj!r}  (provide this object)")
    # runtime helpers and the helpers they call, in dependency order
    done = []
    while wanted:
        name = wanted.pop()
        if name in done:
            continue
        done.append(name)
        src = inspect.getsource(getattr(runtime, name))
        for other in re.findall(r"\b([A-Za-z_]+)\(", src):
            obj = getattr(runtime, other, None)
            if other != name and (inspect.isfunction(obj) or inspect.isclass(obj) and
                                  obj.__module__ == runtime.__name__):   # (Adjoints)
                wanted.append(other)
        for other in re.findall(r"\b([A-Z]\w*)\b", src):      # classes (Adjoints ...)
            obj = getattr(runtime, other, None)
            if other != name and inspect.isclass(obj) and obj.__module__ == runtime.__name__:
                wanted.append(other)
    for name in reversed(done):
        src = inspect.getsource(getattr(runtime, name))
        # srcgrad's errors become the built-in ones they derive from
        src = re.sub(r"\n *from srcgrad\.errors import \w+\n", "\n", src)
        for error, builtin in _STANDALONE_ERRORS.items():
            src = re.sub(rf"\b{error}\(", f"{builtin}(", src)
        helpers.append(src)
    if done and "import numpy as np" not in imports:
        imports.insert(0, "import numpy as np")
    if any("_SCALARS" in h for h in helpers):
        helpers.insert(0, "_SCALARS = (float, int)\n")
    user = _user_globals(text, injected, df)
    module = getattr(df, "__module__", None)
    if user:
        imports.append(f"from {module} import {', '.join(sorted(user))}" if module and
                       module != "__main__" else f"# define: {', '.join(sorted(user))}")
    return "\n".join(head + imports + [""] + ["\n".join(helpers)] + [text])


def _user_globals(text, injected, df):
    tree = ast.parse(text)
    stored = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
              and isinstance(n.ctx, ast.Store)}
    params = {a.arg for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)
              for a in f.args.args + f.args.kwonlyargs + f.args.posonlyargs}
    defined = {f.name for f in ast.walk(tree) if isinstance(f, ast.FunctionDef)}
    loads = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return {n for n in loads - stored - params - defined - set(injected)
            if not hasattr(builtins, n)}
