"""Code in, code out: parse a snippet into the compiler's tree, print a tree
back as Python (``to_source``, which the emitter uses too).  The gast tree is
converted to a standard ``ast`` and printed with ``ast.unparse``; comments
(which ``ast`` cannot hold) travel as marker strings and are put back into
the text.  The examples in the passes' docstrings use these (they run as
doctests):

>>> fn = function("y = x * 2.0\\nreturn y")
>>> fn.name, [a.id for a in fn.args.args]
('f', ['x'])
>>> print(source(fn))
def f(x):
    y = x * 2.0
    return y
"""

import ast
import re
import textwrap

import gast

from srcgrad.compiler.ir.to_ast import to_ast


def function(body, params=None, name="f"):
    """A gast ``FunctionDef`` named ``name`` with the statements ``body``
    (text); its parameters are ``params`` (text, ``"x, y"``), by default the
    names the body reads before it assigns them, in order of appearance."""
    body = textwrap.dedent(body).strip("\n")
    if params is None:
        params = ", ".join(_free_names(body))
    text = f"def {name}({params}):\n" + textwrap.indent(body, "    ") + "\n"
    return gast.parse(text).body[0]


def _free_names(body):
    tree = ast.parse(body)
    stored, free = set(), []
    for stmt in tree.body:
        reads = [n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                 and isinstance(n.ctx, ast.Load)]
        for n in reads:
            if n not in stored and n not in free and n not in _GLOBALS:
                free.append(n)
        stored |= {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)
                   and isinstance(n.ctx, ast.Store)}
    return free


_GLOBALS = {"np", "math", "range", "len", "sum", "float", "int", "abs", "min", "max",
            "list", "tuple", "dict", "enumerate", "zip", "reversed", "print"}


def source(node):
    """``node`` (a gast tree: a function, a statement, a list of them)
    printed as Python, comments included."""
    if isinstance(node, list):
        return "\n".join(source(s) for s in node)
    if isinstance(node, gast.FunctionDef):
        return to_source(node).rstrip("\n")
    return ast.unparse(gast.gast_to_ast(node)).rstrip("\n")


def expr_source(node):
    """An expression printed as Python."""
    return ast.unparse(gast.gast_to_ast(node))


_MARK = "__srcgrad_comment_{}__"
# ast.unparse prints a marker as '...', or as """...""" when it comes first in a body
_MARK_RE = re.compile(r"^(\s*)(?:'|\"\"\")__srcgrad_comment_(\d+)__(?:'|\"\"\")$", re.M)


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
            before = len(texts)
            if isinstance(getattr(s, "body", None), list):
                s.body = visit(s.body) or [gast.Pass()]
            if isinstance(getattr(s, "orelse", None), list):
                s.orelse = visit(s.orelse)
            if len(texts) > before:     # (a block with comments of its own: say the line again)
                last = None
            out.append(s)
        return out

    tree.body = visit(tree.body) or [gast.Pass()]
    # (a recursive closure refers to itself: a reference cycle, left to the
    # garbage collector with all it holds; broken here so it goes at once)
    del visit
    return texts


def to_source(fn):
    """The Python source text of a gast FunctionDef, with comments."""
    texts = _number_comments(fn)
    text = ast.unparse(to_ast(gast.Module(body=[fn], type_ignores=[])))
    return _MARK_RE.sub(lambda m: f"{m.group(1)}# {texts[int(m.group(2))]}", text) + "\n"
