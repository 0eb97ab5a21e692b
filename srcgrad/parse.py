"""Stage 1 — parse: a Python function object to a ``gast`` tree plus context.

Keeps what later stages need to resolve names exactly as Python would: the
function's globals, its closure cells, its defaults, and the original file
and line numbers (every node keeps the line number it has in the user's file).
"""

import inspect
import linecache
import textwrap
from dataclasses import dataclass, field

import gast

from .errors import UnsupportedError


@dataclass
class Parsed:
    fun: object               # the user's function
    tree: gast.FunctionDef    # its definition, decorators removed
    filename: str
    firstlineno: int
    source_lines: list        # the user's file lines (for messages and comments)
    globals: dict
    closure: dict = field(default_factory=dict)   # free variable name -> cell

    @property
    def name(self):
        return self.tree.name

    def line(self, lineno):
        """The user's source line ``lineno`` (1-based, in the user's file)."""
        if lineno is None:
            return ""
        i = lineno - 1
        return self.source_lines[i] if 0 <= i < len(self.source_lines) else ""

    def error(self, node, message, hint=None, construct=None):
        lineno = getattr(node, "lineno", None)
        return UnsupportedError(message, filename=self.filename, lineno=lineno,
                                construct=construct, hint=hint, source_line=self.line(lineno))


def parse(fun):
    """Parse ``fun`` (a plain Python function) into a :class:`Parsed`."""
    fun = inspect.unwrap(fun)
    if not inspect.isfunction(fun):
        raise UnsupportedError(f"srcgrad differentiates Python functions, not {type(fun).__name__} "
                               f"objects ({fun!r})",
                               hint="pass a function defined with 'def' in a file")
    code = fun.__code__
    filename = code.co_filename
    try:
        lines, firstlineno = inspect.getsourcelines(fun)
    except (OSError, TypeError):
        raise UnsupportedError(f"the source of {fun.__qualname__} is not available",
                               filename=filename, lineno=code.co_firstlineno,
                               hint="define the function in a file (not in an interactive "
                                    "session or with exec) so srcgrad can read its source") from None
    source = textwrap.dedent("".join(lines))
    try:
        module = gast.parse(source)
    except SyntaxError as e:
        raise UnsupportedError(f"cannot parse the source of {fun.__qualname__}: {e.msg}",
                               filename=filename, lineno=code.co_firstlineno) from None
    defs = [n for n in module.body if isinstance(n, (gast.FunctionDef, gast.AsyncFunctionDef))]
    if not defs:
        raise UnsupportedError(f"{fun.__qualname__} is not defined with 'def' "
                               f"(lambdas are differentiated as part of an enclosing function)",
                               filename=filename, lineno=code.co_firstlineno,
                               hint="write the function with 'def'")
    tree = defs[0]
    if isinstance(tree, gast.AsyncFunctionDef):
        raise UnsupportedError("async functions cannot be differentiated",
                               filename=filename, lineno=code.co_firstlineno,
                               hint="make it a plain 'def'")
    gast.increment_lineno(module, firstlineno - 1)
    tree.decorator_list = []
    all_lines = [ln.rstrip("\n") for ln in linecache.getlines(filename)]
    if not all_lines:
        all_lines = [""] * (firstlineno - 1) + [ln.rstrip("\n") for ln in lines]
    closure = {}
    if fun.__closure__:
        closure = dict(zip(code.co_freevars, fun.__closure__))
    return Parsed(fun=fun, tree=tree, filename=filename, firstlineno=firstlineno,
                  source_lines=all_lines, globals=fun.__globals__, closure=closure)
