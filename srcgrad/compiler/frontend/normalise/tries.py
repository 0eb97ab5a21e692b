"""``try``/``except``/``else``/``finally``: the path taken is recorded like a
branch.  Each operation of the ``try`` body that may raise one of the
exceptions the handlers catch is tried first, on the same values
(``runtime.try_call``, ``runtime.try_op``: the exception, or None); the
operation and the rest of the body run only if it raised nothing, and the
exception tried decides the handler, as the condition of an ``if`` would.
So a body that fails half way has run exactly the statements before the
failure, as in Python, and the derivative follows the path taken.  (The
operation tried runs twice: tried, then for its value.)  Only operations
that can raise what is caught are tried: ``np.linalg`` calls for
``LinAlgError``, reads of items for ``KeyError``, ...

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def f(A, b):
...     try:
...         y = np.linalg.solve(A, b) * 2.0
...     except np.linalg.LinAlgError:
...         y = np.linalg.lstsq(A, b, rcond=None)[0]
...     return np.sum(y)
... ''', {"np": np})))
def f(A, b):
    raised = None
    raised = try_call(np.linalg.LinAlgError, np.linalg.solve, A, b)
    if raised is None:
        y = np.linalg.solve(A, b) * 2.0
    if isinstance(raised, np.linalg.LinAlgError):
        y = np.linalg.lstsq(A, b, rcond=None)[0]
    out = np.sum(y)
    return out

Refused, with the line: an operation to try that has effects (it cannot
run twice: ``d.pop(k)``, ``np.random``, a call srcgrad does not know), one
inside a conditional expression or a ``while`` condition, a handler whose
exception classes are not known when the gradient is generated, and a
``return``/``break``/``continue`` that leaves a ``try`` with ``finally``
(or one in ``finally``).  An exception that propagates skips ``finally``.
"""

import builtins
import inspect

import gast
import numpy as np

from srcgrad import runtime
from srcgrad.compiler.frontend.parse import MISSING
from srcgrad.compiler.ir.copying import deepcopy as copy_tree
from srcgrad.compiler.ir.names import assign, const, load
from srcgrad.compiler.ir.walk import walk as walk_tree
from srcgrad.rules import lookup

#: what each kind of operation may raise
_RAISES = {
    "arith": (ArithmeticError, TypeError, ValueError, Warning),
    "item": (LookupError, TypeError),
    "write": (LookupError, TypeError, ValueError),
    "attribute": (AttributeError,),
    "truth": (ValueError, TypeError),
    "library": (ArithmeticError, TypeError, ValueError, LookupError, Warning),
    "linalg": (ArithmeticError, TypeError, ValueError, LookupError, Warning,
               np.linalg.LinAlgError),
    "unknown": (BaseException,),
}
_SYMBOLS = {gast.Add: "+", gast.Sub: "-", gast.Mult: "*", gast.Div: "/",
            gast.FloorDiv: "//", gast.Mod: "%", gast.Pow: "**", gast.MatMult: "@",
            gast.LShift: "<<", gast.RShift: ">>", gast.BitOr: "|", gast.BitXor: "^",
            gast.BitAnd: "&", gast.USub: "-x", gast.UAdd: "+x", gast.Invert: "~x",
            gast.Not: "not", gast.Lt: "<", gast.LtE: "<=", gast.Gt: ">", gast.GtE: ">=",
            gast.Eq: "==", gast.NotEq: "!=", gast.In: "in", gast.NotIn: "not in"}
#: methods that change the object they are called on
_MUTATING = {"append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse",
             "update", "setdefault", "popitem", "add", "discard", "fill", "put", "resize",
             "itemset", "partition", "setflags", "difference_update", "intersection_update",
             "symmetric_difference_update", "write", "send", "close"}
_PURE_BUILTINS = {"abs", "all", "any", "bool", "complex", "dict", "divmod", "enumerate", "float",
                  "frozenset", "hash", "int", "isinstance", "issubclass", "len", "list", "max",
                  "min", "pow", "range", "repr", "reversed", "round", "set", "slice", "sorted",
                  "str", "sum", "tuple", "zip", "getattr", "hasattr", "type"}


class Tries:
    """The ``try`` statement of :class:`Normaliser`."""

    def desugar_try(self, s):
        handlers = [(h, self._caught(h)) for h in s.handlers]
        if s.finalbody:
            self._no_jumps_out(s)
        body = self.desugar_block(s.body)
        orelse = self.desugar_block(s.orelse)
        final = self.desugar_block(s.finalbody)
        if not handlers:
            return body + orelse + final
        catch = tuple(c for _, classes in handlers for c in classes)
        exprs = [h.type if h.type is not None else
                 load(self.inliner.extra(BaseException, "BaseException")) for h, _ in handlers]
        parts = [p for e in exprs for p in (e.elts if isinstance(e, gast.Tuple) else [e])]
        ctx = _Try(self, s, catch, parts[0] if len(parts) == 1 else
                   gast.Tuple(elts=parts, ctx=gast.Load()), self.namer.fresh("raised"))
        guarded, fails = ctx.guard(body)
        if not fails:
            return guarded + orelse + final       # nothing the handlers catch can happen
        chain = [gast.Raise(exc=load(ctx.raised), cause=None)] if ctx.reraise else []
        for (h, _), expr in reversed(list(zip(handlers, exprs))):
            hbody = self.desugar_block(h.body)
            _reraise(hbody, ctx.raised)
            if h.name is not None:
                name = h.name.id if isinstance(h.name, gast.Name) else h.name
                hbody = [assign(name, load(ctx.raised), h)] + hbody
            test = gast.Call(func=load("isinstance"), args=[load(ctx.raised), copy_tree(expr)],
                             keywords=[])
            chain = [gast.copy_location(gast.If(test=test, body=hbody or [gast.Pass()],
                                                orelse=chain), h)]
        if orelse:
            chain = [gast.If(test=_is_none(ctx.raised), body=orelse, orelse=chain)]
        out = [assign(ctx.raised, const(None), s)] + guarded + chain + final
        for st in out:
            if not hasattr(st, "lineno"):
                gast.copy_location(st, s)
        return out

    def _caught(self, h):
        """The exception classes the handler ``h`` catches (known now)."""
        if h.type is None:
            return (BaseException,)
        parts = h.type.elts if isinstance(h.type, gast.Tuple) else [h.type]
        classes = []
        for p in parts:
            obj = self._static(p)
            if not (inspect.isclass(obj) and issubclass(obj, BaseException)):
                raise self.unsupported(h, "an except clause whose exception classes are not "
                                       "known when the gradient is generated",
                                       "name the exception classes (a global name, np.linalg."
                                       "LinAlgError, or a tuple of them)")
            classes.append(obj)
        return tuple(classes)

    def _static(self, node):
        if isinstance(node, gast.Name):
            if self._tree_assigns(node.id):
                return None
            obj = self.parsed.resolve_global(node.id)
            return None if obj is MISSING else obj
        if isinstance(node, gast.Attribute):
            return getattr(self._static(node.value), node.attr, None)
        return None

    def _no_jumps_out(self, s):
        """A ``try`` with ``finally``: no ``return``, ``break`` or ``continue``
        may leave it (``finally`` would have to run on the way), none may be
        in ``finally``."""
        for part, what in ((s.body, "the try body"), ([h for h in s.handlers], "a handler"),
                           (s.orelse, "the else block"), (s.finalbody, "finally")):
            for st in part:
                jump = _jump_out(st, 0)
                if jump is not None:
                    raise self.unsupported(jump, f"'{_JUMPS[type(jump)]}' in {what} of a try "
                                           "with finally",
                                           "compute the value in the try statement and return "
                                           "(or break) after it")


class _Try:
    """One ``try`` statement's body being guarded."""

    def __init__(self, norm, where, catch, expr, raised):
        self.norm, self.where, self.catch, self.expr, self.raised = norm, where, catch, expr, raised
        self.reraise = False       # an exception not known now is raised in the body

    # -- statements -----------------------------------------------------------------
    def guard(self, stmts):
        """``stmts`` with each operation that may raise what is caught tried
        first and the rest run only if it did not raise; and whether any may."""
        out, fails = [], False
        for k, st in enumerate(stmts):
            probes, st, sets = self.statement(st)
            if not probes and not sets:
                out.append(st)
                continue
            fails = True
            tail = [st]
            rest, _ = self.guard(stmts[k + 1:])
            if rest:
                tail += [self.if_none(rest)] if sets else rest
            for p in reversed(probes):
                tail = [p, self.if_none(tail)]
            return out + tail, True
        return out, fails

    def break_if_raised(self, loop):
        """``if raised is not None: break`` (a loop stops where an operation
        it tried raised)."""
        return gast.copy_location(gast.If(
            test=gast.Compare(left=load(self.raised), ops=[gast.IsNot()],
                              comparators=[const(None)]),
            body=[gast.Break()], orelse=[]), loop)

    def statement(self, st):
        """``(probes, statement, whether the statement itself may set the
        exception raised)``."""
        if isinstance(st, gast.Assign):
            probes = self.probes(st.value)
            t = st.targets[0]
            if isinstance(t, gast.Subscript):
                probes += self.probes(t.value) + self.probes(t.slice)
                if self.may_raise("write"):
                    self.pure([t.value, t.slice, st.value], st)
                    probes.append(self.probe("try_op", [const("[]="), t.value, _index(t.slice),
                                                        st.value], st))
            elif isinstance(t, gast.Attribute):
                probes += self.probes(t.value)
                if self.may_raise("attribute"):
                    raise self.norm.unsupported(st, "an assignment to an attribute in a try "
                                                "body that catches AttributeError",
                                                "assign the attribute after the try statement")
            return probes, st, False
        if isinstance(st, gast.Expr):
            return self.probes(st.value), st, False
        if isinstance(st, (gast.Return,)):
            return (self.probes(st.value) if st.value is not None else []), st, False
        if isinstance(st, gast.If):
            probes = self.probes(st.test) + self.truth(st.test, st)
            st.body, f1 = self.guard(st.body)
            st.orelse, f2 = self.guard(st.orelse)
            return probes, st, f1 or f2
        if isinstance(st, gast.For):
            probes = self.probes(st.iter)
            st.body, fails = self.guard(st.body)
            if fails:
                st.body.append(self.break_if_raised(st))
            return probes, st, fails
        if isinstance(st, gast.While):
            if self.probes(st.test) or self.truth(st.test, st):
                raise self.norm.unsupported(st, "a while condition in a try body that may raise "
                                            "what the handlers catch",
                                            "compute the condition in the loop body: while "
                                            "True: ... if not cond: break")
            st.body, fails = self.guard(st.body)
            if fails:
                st.body.append(self.break_if_raised(st))
            return [], st, fails
        if isinstance(st, gast.Raise):
            return self.raise_stmt(st)
        if isinstance(st, gast.Assert):
            probes = self.probes(st.test) + self.truth(st.test, st)
            if not self.related(AssertionError, self.catch):
                return probes, st, False
            exc = gast.Call(func=load("AssertionError"),
                            args=[st.msg] if st.msg is not None else [], keywords=[])
            fail = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=st.test),
                           body=[assign(self.raised, exc, st)], orelse=[])
            return probes, gast.copy_location(fail, st), True
        return [], st, False

    def raise_stmt(self, st):
        if st.exc is None:
            raise self.norm.unsupported(st, "a bare 'raise' in a try body",
                                        "raise the exception by name")
        exc = st.exc
        cls = self.norm._static(exc.func if isinstance(exc, gast.Call) else exc)
        if inspect.isclass(cls) and issubclass(cls, BaseException):
            if not any(issubclass(cls, c) for c in self.catch):
                return [], st, False                # not caught here: it propagates
            if not isinstance(exc, gast.Call):
                exc = gast.Call(func=exc, args=[], keywords=[])
        else:
            self.reraise = True                     # (an object: its class decides)
        probes = self.probes(exc.args if isinstance(exc, gast.Call) else exc)
        return probes, assign(self.raised, exc, st), True

    def if_none(self, body):
        return gast.copy_location(gast.If(test=_is_none(self.raised), body=body, orelse=[]),
                                  self.where)

    # -- operations -------------------------------------------------------------------
    def may_raise(self, kind):
        """Whether an operation of ``kind`` may raise an exception caught."""
        for c in self.catch:
            if issubclass(c, np.linalg.LinAlgError) and kind not in ("linalg", "unknown"):
                continue
            if issubclass(c, KeyError) and kind not in ("item", "write", "unknown"):
                continue
            if self.related(c, _RAISES[kind]):
                return True
        return False

    @staticmethod
    def related(c, classes):
        return any(issubclass(c, r) or issubclass(r, c) for r in classes)

    def probes(self, node):
        """The probes of the operations of ``node`` (an expression, or a list
        of them) that may raise what is caught, in the order Python runs them."""
        ops = []
        for n in node if isinstance(node, list) else [node]:
            self.operations(n, ops)
        tried = [k for k, (kind, _, _) in enumerate(ops) if self.may_raise(kind)]
        for kind, op, _ in ops[:tried[-1]] if tried else []:
            if isinstance(op, gast.Call) and kind is not None:
                self.pure_call(op, before=True)   # (it runs after the probe, so twice)
        out = []
        for kind, op, operands in ops:
            if self.may_raise(kind):
                self.pure(operands, op)
                if isinstance(op, gast.Call):
                    self.pure_call(op)
                    out.append(self.probe("try_call", [copy_tree(op.func)] + [
                        copy_tree(a) for a in op.args], op, op.keywords))
                else:
                    out.append(self.probe("try_op", operands, op))
        return out

    def truth(self, test, where):
        """The probe of ``bool(test)`` (an array's truth raises ValueError)."""
        if isinstance(test, gast.Constant) or not self.may_raise("truth"):
            return []
        self.pure([test], where)
        return [self.probe("try_op", [const("bool"), test], where)]

    def probe(self, helper, args, where, keywords=()):
        """``raised = helper(<caught>, *args)``."""
        call = gast.Call(func=load(self.norm.inliner.extra(getattr(runtime, helper), helper)),
                         args=[copy_tree(self.expr)] + [copy_tree(a) for a in args],
                         keywords=[copy_tree(k) for k in keywords])
        st = assign(self.raised, call)
        gast.copy_location(st, where if hasattr(where, "lineno") else self.where)
        return st

    def operations(self, node, out):
        """Append ``(kind, node, operands)`` for each operation of ``node``,
        in the order Python runs them (the operands of a call are its
        arguments; of an operator, its symbol and operands)."""
        if isinstance(node, gast.Call):
            f = node.func
            operands = [a.value if isinstance(a, gast.Starred) else a for a in node.args] + \
                [k.value for k in node.keywords]
            if isinstance(f, gast.Attribute) and self.norm._static(f) is None:
                self.operations(f.value, out)   # a method: x.reshape(...)
                out.append(("attribute", f, [const("."), f.value, const(f.attr)]))
                operands.append(f.value)
            elif not isinstance(f, (gast.Name, gast.Attribute)):
                self.operations(f, out)
            for a in operands[:len(node.args) + len(node.keywords)]:
                self.operations(a, out)
            kind = self.call_kind(node)
            if kind is not None:
                out.append((kind, node, operands))
        elif isinstance(node, gast.BinOp):
            self.operations(node.left, out)
            self.operations(node.right, out)
            out.append(("arith", node, [const(_SYMBOLS[type(node.op)]), node.left, node.right]))
        elif isinstance(node, gast.UnaryOp):
            self.operations(node.operand, out)
            out.append(("truth" if isinstance(node.op, gast.Not) else "arith", node,
                        [const(_SYMBOLS[type(node.op)]), node.operand]))
        elif isinstance(node, gast.Compare):
            self.operations(node.left, out)
            left = node.left
            for op, right in zip(node.ops, node.comparators):
                self.operations(right, out)
                if type(op) in _SYMBOLS:
                    out.append(("arith", node, [const(_SYMBOLS[type(op)]), left, right]))
                left = right
        elif isinstance(node, gast.Subscript):
            self.operations(node.value, out)
            self.operations(node.slice, out)
            if not getattr(node, "srcgrad_iter", False):   # (a loop's own item: it exists)
                out.append(("item", node, [const("[]"), node.value, _index(node.slice)]))
        elif isinstance(node, gast.Attribute):
            if self.norm._static(node) is None:
                self.operations(node.value, out)
                out.append(("attribute", node, [const("."), node.value, const(node.attr)]))
        elif isinstance(node, (gast.IfExp, gast.BoolOp)):
            inner = []
            for child in ([node.test, node.body, node.orelse] if isinstance(node, gast.IfExp)
                          else node.values):
                self.operations(child, inner)
            if any(self.may_raise(kind) for kind, *_ in inner):
                raise self.norm.unsupported(node, "an operation that may raise what the "
                                            "handlers catch inside a conditional expression "
                                            "(x if c else y, and, or) in a try body",
                                            "write an if statement")
        elif isinstance(node, gast.AST):
            for child in gast.iter_child_nodes(node):
                if isinstance(child, gast.expr):
                    self.operations(child, out)

    def call_kind(self, call):
        """What a call may raise: ``"linalg"``, ``"library"``, ``"unknown"``,
        or None (srcgrad's own checks, ``print``: never tried)."""
        fun = self.norm._static(call.func)
        if fun is None:
            return "unknown"
        if fun is runtime.try_op and len(call.args) > 1 and \
                isinstance(call.args[1], gast.Constant):
            # a try statement inside this one: what its operation may raise
            return {"[]": "item", "[]=": "write", ".": "attribute", "bool": "truth",
                    "not": "truth"}.get(call.args[1].value, "arith")
        if fun is runtime.try_call and len(call.args) > 1:
            return self.call_kind(gast.Call(func=call.args[1], args=[], keywords=[]))
        if fun in (print,) or getattr(fun, "__module__", "") == "warnings" or \
                (getattr(fun, "__module__", None) or "").startswith("srcgrad.runtime"):
            return None
        module = getattr(fun, "__module__", None) or ""
        if module.startswith(("numpy.linalg", "scipy.linalg")):
            return "linalg"
        if _library(fun):
            return "library"
        return "unknown"

    def pure_call(self, call, before=False):
        fun = self.norm._static(call.func)
        random = "random" in (getattr(fun, "__module__", None) or "")
        if fun in (runtime.try_call, runtime.try_op) or fun is not None and not random and (
                _library(fun) or lookup(fun) is not None and not inspect.isclass(fun)):
            if not any(k.arg == "out" for k in call.keywords):
                return
        elif fun is None and isinstance(call.func, gast.Attribute) and \
                call.func.attr not in _MUTATING:
            return                             # a method of a value: x.reshape(...), d.get(k)
        if before:
            raise self.norm.unsupported(call, "a call with effects that runs before an "
                                        "operation tried in the same statement of a try body",
                                        "call it on a line of its own, before")
        raise self.norm.unsupported(call, "a call in a try body that may raise what the handlers "
                                    "catch and that may have effects",
                                    "srcgrad tries such an operation before it runs it (so it "
                                    "runs twice): call it before the try statement, or catch "
                                    "only the exceptions of the operations that raise them")

    def pure(self, operands, where):
        """The operands of an operation tried run twice: no call with effects."""
        for node in operands:
            for n in walk_tree(node):
                if isinstance(n, gast.Call):
                    self.pure_call(n)


def _library(fun):
    """A function of NumPy (not its random numbers), SciPy, math, or a pure builtin."""
    module = getattr(fun, "__module__", None) or ""
    name = getattr(fun, "__name__", "")
    if isinstance(fun, np.ufunc) or module in ("math", "cmath", "operator", "_operator"):
        return True
    if module == "builtins":
        return name in _PURE_BUILTINS and getattr(builtins, name, None) is fun
    if "random" in module or name in ("rvs", "random", "shuffle", "permutation"):
        return False
    return module == "numpy" or module.startswith(("numpy.", "scipy."))


def _index(node):
    """An index expression as a value: ``1:3`` -> ``slice(1, 3, None)``."""
    if isinstance(node, gast.Slice):
        return gast.Call(func=load("slice"), args=[
            p if p is not None else const(None) for p in (node.lower, node.upper, node.step)],
            keywords=[])
    if isinstance(node, gast.Tuple):
        return gast.Tuple(elts=[_index(e) for e in node.elts], ctx=gast.Load())
    return node


def _is_none(name):
    return gast.Compare(left=load(name), ops=[gast.Is()], comparators=[const(None)])


def _reraise(stmts, raised):
    """A bare ``raise`` in a handler raises the exception caught."""
    for st in stmts:
        for n in walk_tree(st):
            if isinstance(n, gast.Raise) and n.exc is None:
                n.exc = load(raised)


_JUMPS = {gast.Return: "return", gast.Break: "break", gast.Continue: "continue"}


def _jump_out(node, loops):
    """A ``return``, or a ``break``/``continue`` outside the loops inside
    ``node``, that leaves it."""
    if isinstance(node, gast.Return) or isinstance(node, (gast.Break, gast.Continue)) and \
            not loops:
        return node
    if isinstance(node, (gast.FunctionDef, gast.Lambda, gast.ClassDef)):
        return None
    inner = loops + isinstance(node, (gast.For, gast.While))
    for child in gast.iter_child_nodes(node):
        if isinstance(child, (gast.stmt, gast.excepthandler)):
            found = _jump_out(child, inner if child not in getattr(node, "orelse", []) else loops)
            if found is not None:
                return found
    return None
