"""Stage 1 — parse: a Python function object to a ``gast`` tree plus context.

Keeps what later stages need to resolve names exactly as Python would: the
function's globals, its closure cells, its defaults, and the original file
and line numbers (every node keeps the line number it has in the user's file).
"""

import builtins
import functools
import inspect
import linecache
import textwrap
import types
from dataclasses import dataclass, field
from typing import NamedTuple

import gast

from srcgrad.errors import UnsupportedError
from srcgrad.compiler.frontend.variadic import Variadic
from srcgrad.compiler.ir.walk import name_nodes, walk as walk_tree


#: line numbers of code inlined from another function are ``index * LINES +
#: line``, where ``index`` picks the function's entry in ``Parsed.files``; the
#: numbers survive every copy_location of later stages unchanged
LINES = 10_000_000


class SourceFile(NamedTuple):
    filename: str
    lines: list               # the file's lines
    function: str             # the function's qualified name


#: what a name that refers to nothing resolves to
MISSING = object()


@dataclass
class Parsed:
    fun: object               # the user's function
    tree: gast.FunctionDef    # its definition, decorators removed
    filename: str
    firstlineno: int
    source_lines: list        # the user's file lines (for messages and comments)
    globals: dict
    closure: dict = field(default_factory=dict)   # free variable name -> cell
    #: the source of the function and of every function inlined into it
    files: list = field(default_factory=list)
    #: objects that inlined code refers to by a generated name
    extras: dict = field(default_factory=dict)
    #: each comment text ``describe`` made: ``(file, line, source text)``
    described: dict = field(default_factory=dict)
    #: a ``*args`` parameter made a tuple of parameters (``variadic.py``): its name ->
    #: theirs; a ``**kwargs`` parameter: its name -> {key: parameter}
    star_tuples: dict = field(default_factory=dict)
    star_keywords: dict = field(default_factory=dict)

    def __post_init__(self):
        if not self.files:
            self.files.append(SourceFile(self.filename, self.source_lines,
                                         self.fun.__qualname__))

    @property
    def name(self):
        return self.tree.name

    def resolve_global(self, name):
        """What ``name``, not a local variable, means in the function: a name
        inlined code uses (``extras``), a closure variable, a module global or
        a builtin -- as Python resolves it; ``MISSING`` if nothing."""
        if name in self.extras:
            return self.extras[name]
        cell = self.closure.get(name)
        if cell is not None:
            try:
                return cell.cell_contents
            except ValueError:         # a closure variable not assigned yet
                return MISSING
        if name in self.globals:
            return self.globals[name]
        return getattr(builtins, name, MISSING)

    def locate(self, lineno):
        """``(source file, line in it)`` of an encoded line number."""
        if lineno is None:
            return self.files[0], None
        index, line = divmod(lineno, LINES)
        return self.files[index if index < len(self.files) else 0], line

    def add_file(self, other):
        """Register the source of an inlined function (a :class:`Parsed`);
        returns the offset to add to its line numbers."""
        entry = SourceFile(other.filename, other.source_lines, other.fun.__qualname__)
        self.files.append(entry)
        return (len(self.files) - 1) * LINES

    def line(self, lineno):
        """The user's source line ``lineno`` (1-based, in the user's file)."""
        source, line = self.locate(lineno)
        if line is None:
            return ""
        i = line - 1
        return source.lines[i] if 0 <= i < len(source.lines) else ""

    def describe(self, lineno):
        """How a comment in generated code points to line ``lineno``:
        ``line 12: y = ...``, and for inlined code also the function."""
        source, line = self.locate(lineno)
        text = self.line(lineno).strip()
        if not text:
            return ""
        if source is self.files[0]:
            out = f"line {line}: {text}"
        else:
            where = source.filename.rsplit("/", 1)[-1]
            out = f"{source.function}, {where} line {line}: {text}"
        self.described[out] = (source.filename, line, text)
        return out

    def where(self, lineno):
        """``line 12``, or for inlined code ``line 3 of h (helpers.py)``."""
        source, line = self.locate(lineno)
        if source is self.files[0]:
            return f"line {line}"
        return f"line {line} of {source.function} ({source.filename.rsplit('/', 1)[-1]})"

    def error(self, node, message, hint=None, construct=None):
        source, line = self.locate(getattr(node, "lineno", None))
        return UnsupportedError(message, filename=source.filename, lineno=line,
                                construct=construct, hint=hint, source_line=self.line(
                                    getattr(node, "lineno", None)))


def parse(fun):
    """Parse ``fun`` (a plain Python function, a lambda, a bound method or a
    ``functools.partial`` of one) into a :class:`Parsed`, whose tree is
    made for this call (the caller may change it)."""
    if isinstance(fun, Variadic):        # specialised to a call's *args and **kwargs
        if getattr(fun.fun, "srcgrad_specialising", False):
            raise UnsupportedError(
                f"a derivative of {fun.__qualname__}, which takes *args or **kwargs, is made "
                f"for each call, and cannot be differentiated again",
                hint="take the second derivative of the function itself: srcgrad.hvp or "
                     "srcgrad.hessian")
        parsed = parse(fun.fun)
        parsed.fun = fun
        return fun.specialise_tree(parsed)
    fun = inspect.unwrap(fun)
    if isinstance(fun, functools.partial):
        return _parse_partial(fun)
    if inspect.isfunction(fun) and fun.__name__ == "<lambda>":
        return _parse_lambda(fun)
    method = fun if inspect.ismethod(fun) else None
    if method is not None:       # a bound method: 'self' is the object it is bound to
        fun = method.__func__
    if not inspect.isfunction(fun):
        raise UnsupportedError(f"srcgrad differentiates Python functions, not {type(fun).__name__} "
                               f"objects ({fun!r})",
                               hint="pass a function defined with 'def' in a file")
    code = fun.__code__
    filename = code.co_filename
    firstlineno = code.co_firstlineno
    module, lines = _parse_known_lines(fun)
    if module is None:
        try:
            lines, firstlineno = inspect.getsourcelines(fun)
        except (OSError, TypeError):
            raise UnsupportedError(f"the source of {fun.__qualname__} is not available",
                                   filename=filename, lineno=code.co_firstlineno,
                                   hint="define the function in a file (not in an interactive "
                                        "session or with exec) so srcgrad can read its source"
                                   ) from None
        # (blank lines first: every node gets the line it has in the file)
        source = "\n" * (firstlineno - 1) + textwrap.dedent("".join(lines))
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
    tree.decorator_list = []
    all_lines = [ln.rstrip("\n") for ln in linecache.getlines(filename)]
    if not all_lines:
        all_lines = [""] * (firstlineno - 1) + [ln.rstrip("\n") for ln in lines]
    closure = {}
    if fun.__closure__:
        closure = dict(zip(code.co_freevars, fun.__closure__))
    parsed = Parsed(fun=fun, tree=tree, filename=filename, firstlineno=firstlineno,
                    source_lines=all_lines, globals=fun.__globals__, closure=closure)
    if method is not None:
        a = tree.args
        first = (a.posonlyargs or a.args).pop(0)
        parsed.extras[first.id] = method.__self__
        parsed.fun = method
    return parsed


def _last_line(code):
    """The last line of ``code``'s source (its nested functions' included)
    by the end positions its instructions record (Python 3.11+), or None."""
    positions = getattr(code, "co_positions", None)
    if positions is None:
        return None
    last = max((end for _, end, _, _ in positions() if end is not None), default=None)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            inner = _last_line(const)
            if inner is not None and (last is None or inner > last):
                last = inner
    return last


def _parse_known_lines(fun):
    """The module holding ``fun``'s definition, parsed from the lines its
    code says it spans (what ``inspect.getsourcelines`` finds by tokenizing
    the file from the first line, which takes longer than the parse); None
    when they are not known or do not parse alone; and those lines.  Lines after the last
    instruction (a trailing ``pass``, a comment) are left out: they compute
    nothing."""
    code = fun.__code__
    last = _last_line(code)
    first = code.co_firstlineno
    if last is None or last < first:
        return None, None
    linecache.checkcache(code.co_filename)     # (a file changed since: read again, as inspect does)
    lines = linecache.getlines(code.co_filename, fun.__globals__)
    if len(lines) < last or not lines[first - 1].lstrip().startswith(("def ", "@")):
        return None, None
    lines = lines[first - 1:last]
    source = "\n" * (first - 1) + textwrap.dedent("".join(lines))
    try:
        module = gast.parse(source)
    except SyntaxError:
        return None, None
    defs = module.body
    if len(defs) != 1 or not isinstance(defs[0], gast.FunctionDef) or \
            defs[0].name != code.co_name:
        return None, None
    return module, lines


def parse_text(text, globals=None):
    """A :class:`Parsed` for the ``def`` in ``text``, for examples and tests:
    the function is compiled from the text (its globals: a copy of
    ``globals``), and its source file is the text itself.

    >>> parsed = parse_text('''
    ... def f(x):
    ...     return x * 2.0
    ... ''')
    >>> parsed.name, parsed.line(2).strip()
    ('f', 'return x * 2.0')
    """
    text = textwrap.dedent(text).strip("\n") + "\n"
    namespace = dict(globals or {})
    exec(compile(text, "<text>", "exec"), namespace)
    tree = next(n for n in gast.parse(text).body if isinstance(n, gast.FunctionDef))
    return Parsed(fun=namespace[tree.name], tree=tree, filename="<text>",
                  firstlineno=tree.lineno, source_lines=text.splitlines(), globals=namespace)


def _parse_lambda(fun):
    """A lambda: found in its file by line and parameter names, and made a
    ``def`` named ``lambda``."""
    code = fun.__code__
    filename = code.co_filename
    lines = [ln.rstrip("\n") for ln in linecache.getlines(filename, fun.__globals__)]
    where = dict(filename=filename, lineno=code.co_firstlineno)
    if not lines:
        raise UnsupportedError("the source of this lambda is not available", **where,
                               hint="define the function in a file so srcgrad can read it")
    try:
        module = gast.parse("\n".join(lines))
    except SyntaxError as e:
        raise UnsupportedError(f"cannot parse {filename}: {e.msg}", **where) from None
    names = list(code.co_varnames[:code.co_argcount + code.co_kwonlyargcount])
    found = [n for n in walk_tree(module) if isinstance(n, gast.Lambda)
             and n.lineno == code.co_firstlineno
             and [a.id for a in n.args.posonlyargs + n.args.args + n.args.kwonlyargs] == names]
    if len(found) != 1:
        raise UnsupportedError("cannot tell which lambda on this line to differentiate",
                               **where, hint="define the function with 'def'")
    node = found[0]
    tree = gast.FunctionDef(name="lambda", args=node.args, body=[gast.Return(value=node.body)],
                            decorator_list=[], returns=None, type_comment=None, type_params=[])
    gast.copy_location(tree, node)
    gast.copy_location(tree.body[0], node)
    closure = dict(zip(code.co_freevars, fun.__closure__ or ()))
    return Parsed(fun=fun, tree=tree, filename=filename, firstlineno=code.co_firstlineno,
                  source_lines=lines, globals=fun.__globals__, closure=closure)


class _PartialSignature:
    """What later stages read of the function being differentiated, for a
    ``functools.partial``: the signature left after the bound arguments."""

    def __init__(self, partial, signature):
        inner = inspect.unwrap(partial.func)
        inner = getattr(inner, "__func__", inner)
        positional = [p.default for p in signature.parameters.values()
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                      and p.default is not p.empty]
        self.__defaults__ = tuple(positional) or None
        self.__kwdefaults__ = {p.name: p.default for p in signature.parameters.values()
                               if p.kind is p.KEYWORD_ONLY and p.default is not p.empty} or None
        self.__module__ = getattr(inner, "__module__", None)
        self.__qualname__ = getattr(inner, "__qualname__", "partial")
        self.__name__ = getattr(inner, "__name__", "partial")


def _parse_partial(partial):
    """``functools.partial(f, ...)``: a function of the remaining parameters
    that calls the partial, which the inliner expands (bound arguments are
    constants of the generated code)."""
    inner = parse(partial.func)
    signature = inspect.signature(partial)
    P = inspect.Parameter
    target = "partial_" + inner.name
    args = gast.arguments(args=[], posonlyargs=[], vararg=None, kwonlyargs=[], kw_defaults=[],
                          kwarg=None, defaults=[])
    call = gast.Call(func=gast.Name(id=target, ctx=gast.Load(), annotation=None,
                                    type_comment=None), args=[], keywords=[])
    for p in signature.parameters.values():
        node = gast.Name(id=p.name, ctx=gast.Param(), annotation=None, type_comment=None)
        ref = gast.Name(id=p.name, ctx=gast.Load(), annotation=None, type_comment=None)
        if p.kind is P.VAR_POSITIONAL:        # (made a tuple of parameters: variadic.py)
            args.vararg = node
            call.args.append(gast.Starred(value=ref, ctx=gast.Load()))
        elif p.kind is P.VAR_KEYWORD:
            args.kwarg = node
            call.keywords.append(gast.keyword(arg=None, value=ref))
        elif p.kind is P.KEYWORD_ONLY:
            args.kwonlyargs.append(node)
            args.kw_defaults.append(None)
            call.keywords.append(gast.keyword(arg=p.name, value=ref))
        else:
            (args.posonlyargs if p.kind is P.POSITIONAL_ONLY else args.args).append(node)
            call.args.append(ref)
    tree = gast.FunctionDef(name=inner.name, args=args, body=[gast.Return(value=call)],
                            decorator_list=[], returns=None, type_comment=None, type_params=[])
    for n in walk_tree(tree):      # made here: no line of the user's to point to
        n.lineno, n.col_offset = 0, 0
    parsed = Parsed(fun=_PartialSignature(partial, signature), tree=tree,
                    filename=inner.filename, firstlineno=inner.firstlineno,
                    source_lines=inner.source_lines, globals=inner.globals)
    parsed.extras[target] = partial
    return parsed


def portable_defaults(parsed):
    """Default values in the generated ``def`` line are shown as written when
    they only name globals (``act=np.tanh``); one that reads a variable of an
    enclosing function (``lambda a, key=key: ...``) is shown as ``...``.  The
    generated function gets the real values from the user's function (used
    by the pipeline's parse stage)."""
    a = parsed.tree.args
    known = set(parsed.globals) | set(dir(builtins))
    for i, d in enumerate(a.defaults):
        if {n.id for n in name_nodes(d)} - known:
            a.defaults[i] = gast.Constant(value=Ellipsis, kind=None)
    for i, d in enumerate(a.kw_defaults):
        if d is not None and {n.id for n in name_nodes(d)} - known:
            a.kw_defaults[i] = gast.Constant(value=Ellipsis, kind=None)
