"""The :class:`Normaliser`: walks a function's statements, refuses what is
not supported, and hands each statement to its desugaring (the mixins of
``assignments``, ``loops``, ``iterables`` and ``jumps``); then structures the
jumps into one final ``return``.

>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(x):
...     "Docstrings and annotations go."
...     y: float = x * 2.0
...     return y
... ''')))
def f(x):
    y = x * 2.0
    out = y
    return out
"""

import contextlib
import warnings

import gast
import numpy as np

from srcgrad.compiler.frontend.comprehensions import ContainerDesugar
from srcgrad.compiler.frontend.inline import Inliner
from srcgrad.compiler.frontend.inline.rename import walk_same_scope
from srcgrad.compiler.frontend.normalise.assignments import Assignments
from srcgrad.compiler.frontend.normalise.constants import fold_constants
from srcgrad.compiler.frontend.normalise.attributes import (Attributes, check_shared_arguments,
                                                            replace_calls)
from srcgrad.compiler.frontend.normalise.copy_written_arguments import copy_written_arguments
from srcgrad.compiler.frontend.normalise.dict_calls import (known_stars, literal_dicts,
                                                            literal_stars, set_comprehensions)
from srcgrad.compiler.frontend.normalise.einsum_calls import einsum_sublists, has_einsum
from srcgrad.compiler.frontend.normalise.frozen import unfreeze
from srcgrad.compiler.frontend.normalise.iterables import Iterables
from srcgrad.compiler.frontend.normalise.jumps import ALWAYS, Jumps, drop_unread_flags, tidy
from srcgrad.compiler.frontend.normalise.loops import Loops
from srcgrad.compiler.frontend.normalise.scan import scan
from srcgrad.compiler.frontend.normalise.tries import Tries
from srcgrad.compiler.frontend.parse import parse_text
from srcgrad.compiler.ir.names import Namer, assign, const, load, names_in
from srcgrad.compiler.ir.walk import inner_nodes

_UNSUPPORTED = {
    gast.With: ("with", "move the 'with' block out of the differentiated function"),
    gast.AsyncWith: ("async with", "differentiate a plain synchronous function"),
    gast.AsyncFor: ("async for", "differentiate a plain synchronous function"),
    gast.Global: ("global", "pass the value in as an argument and return it instead of "
                            "assigning a global"),
    gast.Nonlocal: ("nonlocal", "pass the value in as an argument and return it instead"),
    gast.Delete: ("del", "remove the 'del' statement; srcgrad manages variable lifetimes"),
    gast.Import: ("import", "import at module level"),
    gast.ImportFrom: ("import", "import at module level"),
    gast.ClassDef: ("class definition", "define the class at module level"),
    gast.AsyncFunctionDef: ("async function", "differentiate a plain synchronous function"),
}
_UNSUPPORTED_EXPR = {
    gast.Lambda: ("lambda used as a value", "assign the lambda to a name and call it, or "
                                            "pass it to a function of your own"),
    gast.Yield: ("yield", "generators cannot be differentiated; return a value instead"),
    gast.YieldFrom: ("yield from", "generators cannot be differentiated; return a value instead"),
    gast.Await: ("await", "differentiate a plain synchronous function"),
    gast.NamedExpr: ("assignment expression (:=)", "assign with '=' on its own line"),
    gast.Starred: ("starred argument whose length is not known when the gradient is "
                   "generated", "bind the sequence to a name as a tuple or list display "
                   "(args = (x, 2.0); f(*args)), or pass the arguments one by one"),
    gast.SetComp: ("set comprehension", "write the loop out explicitly"),
}


class Normaliser(Assignments, Attributes, Loops, Iterables, Jumps, Tries):
    """Normalises the function ``parsed`` (or, through :meth:`run_inlined`,
    the body of a function being inlined into it)."""

    def __init__(self, parsed, namer, inliner=None, driver=None, classes=None):
        self.parsed = parsed
        self.namer = namer
        if inliner is None:
            inliner = Inliner(parsed, namer, driver, Normaliser, classes)
        self.inliner = inliner   # expands calls to the user's functions (frontend.inline)
        self.ret = None          # name holding the return value
        self.returned = None     # flag: a return has happened
        self.flags = set()       # every jump flag made (unread ones are dropped)

    # -- entry -------------------------------------------------------------
    def run(self):
        fn = self.tree = self.parsed.tree
        self._check_arguments(fn)
        unfreeze(fn, self.parsed, self.namer)
        self._rare_forms(fn, [fn], dicts=True)
        fold_constants(fn, self.parsed, self.inliner.locals)
        body = self.desugar_block(fn.body)
        self.ret = self.namer.fresh("out")
        body, mode = self.structure(body, None)
        if mode != ALWAYS:
            body = [assign(self.ret, const(None), fn)] + body
        if self.returned is not None:
            body = [assign(self.returned, const(False), fn)] + body
        ret = gast.Return(value=load(self.ret))
        gast.copy_location(ret, fn.body[-1])
        body.append(ret)
        body = tidy(drop_unread_flags(body, self.flags))
        self._counters_read_after(body, set())
        fn.body = copy_written_arguments(fn, body)
        # arguments written into (copied first): a helper that does this is inlined
        # where it is called, never given an adjoint function (inline/joint.py)
        self.parsed.srcgrad_copied = len(fn.body) - len(body)
        fn.body = check_shared_arguments(fn, fn.body, self.parsed, self.namer)
        self.inliner.check_unused(fn)
        self._release()
        return fn

    def _release(self):
        """Break the reference cycles normalisation made (a normaliser and its
        ``ContainerDesugar``; the inliner and the normalisers of inlined
        functions, through the :class:`_ReturnedKind` entries of its
        ``made``): nothing reads them once the function is normalised, and a
        cycle would leave everything it holds (every tree) to the garbage
        collector, a pass over every node made."""
        self.__dict__.pop("containers", None)
        for value in list(self.inliner.made.values()):
            if isinstance(value, _ReturnedKind):
                value.release()

    def run_inlined(self, fn, name):
        """Normalise the body of function ``fn`` being inlined (its names
        already renamed): returns the statements and the name of the result
        (derived from the function's ``name``)."""
        self.tree = fn
        self._rare_forms(fn, [fn, self.parsed.tree], dicts=False)
        fold_constants(fn, self.parsed, self.inliner.locals)
        returns = [n.value for n in walk_same_scope(fn) if isinstance(n, gast.Return)]
        body = self.desugar_block(fn.body)
        self.ret = self.namer.fresh(name)
        self.inliner.made[self.ret] = _ReturnedKind(self, returns)
        body, mode = self.structure(body, None)
        if mode != ALWAYS:
            body = [assign(self.ret, const(None), fn)] + body
        if self.returned is not None:
            body = [assign(self.returned, const(False), fn)] + body
        return drop_unread_flags(body, self.flags), self.ret

    def _rare_forms(self, fn, trees, dicts):
        """The rewritings of forms numeric code seldom has, each run only
        where :func:`scan` saw what it looks for: ``dict(zip(...))``
        (``dicts``), set comprehensions, starred arguments (``trees``: where
        a starred name may be bound), ``np.einsum`` sublists (``dicts``),
        ``dataclasses.replace``."""
        found = scan(fn)
        changed = False
        if dicts and "dict" in found.called_names:
            literal_dicts(fn, self.parsed)
            changed = True
        if gast.SetComp in found.classes:
            set_comprehensions(fn, self.parsed)
            changed = True
        if found.stars:
            literal_stars(fn)
            known_stars(fn, trees)
            changed = True
        if dicts and has_einsum(found, self.parsed):
            einsum_sublists(fn, self.parsed)
            changed = True
        replace_calls(fn, self.parsed, self.namer, self.inliner.locals,
                      calls=scan(fn).calls if changed else found.calls)

    def _check_arguments(self, fn):
        a = fn.args
        if a.vararg is not None or a.kwarg is not None:
            raise self.parsed.error(fn, f"{fn.name} takes *args or **kwargs",
                                    construct="*args/**kwargs",
                                    hint="give the function named parameters")

    def unsupported(self, node, what, hint):
        return self.parsed.error(node, f"{what} is not supported in a differentiated function",
                                 hint=hint, construct=what)

    def check_expr(self, node):
        for sub in inner_nodes(node):
            kind = _UNSUPPORTED_EXPR.get(sub.__class__)
            if kind:
                raise self.unsupported(getattr(sub, "lineno", None) and sub or node, *kind)

    def check_target(self, target):
        """``check_expr`` for an assignment target, where one starred name in
        a tuple or list (``a, *rest = v``) is Python's unpacking."""
        if isinstance(target, (gast.Tuple, gast.List)):
            for e in target.elts:
                self.check_target(e.value if isinstance(e, gast.Starred) else e)
        else:
            self.check_expr(target)

    # -- desugaring ----------------------------------------------------------
    def desugar_block(self, stmts):
        out = []
        for i, s in enumerate(stmts):
            if i == 0 and isinstance(s, gast.Expr) and isinstance(s.value, gast.Constant) \
                    and isinstance(s.value.value, str):
                continue          # docstring
            out.extend(self.desugar(s))
        return out

    def desugar(self, s):
        if isinstance(s, gast.FunctionDef):
            return self.inliner.define(s)
        if not hasattr(self, "containers"):
            self.containers = ContainerDesugar(self)
        done = self.containers.run(s)    # comprehensions, dict views, extend, pop
        if done is not None:
            return done
        expanded = self.expand_calls(s)
        if expanded is not None:
            return expanded
        if isinstance(s, gast.With) and all(self.neutral_context(i) for i in s.items):
            return self.desugar_block(s.body)
        if isinstance(s, gast.Try):
            return self.desugar_try(s)
        if type(s).__name__ == "TryStar":
            raise self.unsupported(s, "try/except*", "catch the exception group with except")
        kind = _UNSUPPORTED.get(type(s))
        if kind:
            raise self.unsupported(s, *kind)
        if isinstance(s, gast.Match if hasattr(gast, "Match") else ()):
            raise self.unsupported(s, "match statement", "use if/elif")
        if isinstance(s, gast.Pass):
            return []
        if isinstance(s, gast.Expr):
            self.check_expr(s.value)
            if isinstance(s.value, gast.Constant):
                return []
            done = self.setattr_statement(s)
            return [s] if done is None else done
        if isinstance(s, gast.AnnAssign):
            if s.value is None:
                return []
            return self.desugar(gast.copy_location(
                gast.Assign(targets=[s.target], value=s.value, type_comment=None), s))
        if isinstance(s, gast.AugAssign):
            return self.desugar_augassign(s)
        if isinstance(s, gast.Assign):
            self.check_expr(s.value)
            for t in s.targets:
                self.check_target(t)
            return self.desugar_assign(s)
        if isinstance(s, gast.If):
            self.check_expr(s.test)
            s.body = self.desugar_block(s.body)
            s.orelse = self.desugar_block(s.orelse)
            return [s]
        if isinstance(s, gast.While):
            self.check_expr(s.test)
            s.body = self.desugar_block(s.body)
            s.orelse = self.desugar_block(s.orelse)
            return [s]
        if isinstance(s, gast.For):
            return self.desugar_for(s)
        if isinstance(s, (gast.Return, gast.Break, gast.Continue, gast.Raise, gast.Assert)):
            for sub in gast.iter_child_nodes(s):
                self.check_expr(sub)
            return [s]
        raise self.unsupported(s, type(s).__name__, "rewrite this statement")

    def neutral_context(self, item):
        """A ``with`` item whose context manager changes no value and no
        control flow: ``np.errstate`` that ignores or warns (not ``'raise'``
        or ``'call'``), ``np.printoptions``, ``warnings.catch_warnings()``,
        ``contextlib.nullcontext()``, without ``as``.  Their block is
        differentiated as if the ``with`` were not there (the generated code
        runs it without the context: the same values, maybe a warning)."""
        c = item.context_expr
        if item.optional_vars is not None or not isinstance(c, gast.Call) or c.args and \
                not isinstance(c.func, gast.Attribute):
            return False
        f = c.func
        obj = None
        if isinstance(f, gast.Attribute) and isinstance(f.value, gast.Name):
            base = self.parsed.resolve_global(f.value.id)
            obj = getattr(base, f.attr, None) if base is not None else None
        elif isinstance(f, gast.Name):
            obj = self.parsed.resolve_global(f.id)
        if obj is np.errstate:
            return not c.args and all(isinstance(k.value, gast.Constant) and
                                      k.value.value in ("ignore", "warn", "print", "log")
                                      for k in c.keywords)
        if obj is warnings.catch_warnings:
            return not c.args and not any(k.arg == "record" for k in c.keywords)
        return obj in (np.printoptions, contextlib.nullcontext) and not c.args

    def expand_calls(self, s):
        """Inline the calls to the user's functions in ``s``
        (``srcgrad.compiler.frontend.inline``): returns the normalised
        statements, or ``None`` when ``s`` has none."""
        inl = self.inliner
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name):
            name = s.targets[0].id
            if isinstance(s.value, gast.Lambda):
                return inl.define(s.value, name)
            if inl.is_partial(s.value):
                pre = inl.define_partial(name, s.value, s)
                if pre is not None:
                    return [d for p in pre for d in self.desugar(p)]
        if isinstance(s, gast.While) and inl.has_calls(s.test):
            if s.orelse:
                raise self.unsupported(s, "while/else whose condition calls a function",
                                       "compute the condition in the loop body")
            # the condition is evaluated before every iteration
            stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=s.test),
                           body=[gast.copy_location(gast.Break(), s)], orelse=[])
            s.test = const(True)
            s.body = [gast.copy_location(stop, s)] + s.body
            return None
        field = {gast.Assign: "value", gast.AugAssign: "value", gast.AnnAssign: "value",
                 gast.Expr: "value", gast.Return: "value", gast.If: "test",
                 gast.For: "iter"}.get(type(s))
        value = getattr(s, field, None) if field else None
        if value is None or getattr(s, "srcgrad_expanded", False) or not inl.has_calls(value):
            return None
        pre, new = inl.expand(value, s, self.desugar)
        setattr(s, field, new)
        s.srcgrad_expanded = True      # what is left are calls that recurse
        if isinstance(s, gast.Expr) and isinstance(new, gast.Name):
            return pre                 # a call made for its effect
        if isinstance(s, gast.Assign) and isinstance(new, gast.Name) and \
                [t.id for t in s.targets if isinstance(t, gast.Name)] == [new.id]:
            return pre                 # k = f(x) kept as it is (inline/joint.py)
        return pre + self.desugar(s)


class _ReturnedKind:
    """What ``inliner.made`` holds for the result of an inlined function:
    called with ``seen``, the kind of what the function returns
    (:meth:`Iterables.returned_kind` of its normaliser), asked while the
    caller is normalised; :meth:`release` drops the normaliser afterwards."""

    def __init__(self, norm, returns):
        self.norm, self.returns = norm, returns

    def __call__(self, seen):
        return self.norm.returned_kind(self.returns, seen)

    def release(self):
        if self.norm is not None:
            self.norm.__dict__.pop("containers", None)
            self.norm = None


def normalise_text(text, globals=None):
    """The normalised function of the ``def`` in ``text`` (for examples and
    tests; ``globals``: what its global names mean)."""
    parsed = parse_text(text, globals)
    return Normaliser(parsed, Namer(names_in(parsed.tree) | set(parsed.closure))).run()
