"""An AST shrinker for failing fuzz programs.

``shrink(source, args, wrt, target)`` greedily reduces the module text while
the program still fails the same way: same mode and same status (and, for a
crash, the same exception type).  Reductions, tried in this order until none
applies (or the time budget is spent):

1. delete statements (runs of them first, then one at a time), in every body;
2. replace a compound statement by one of its bodies (``if`` by its body or
   its ``else``; a loop by its body, after binding the loop target to the
   first element; ``range(n)`` by ``range(1)``);
3. replace an expression by one of its sub-expressions, a constant or an
   argument name; drop call arguments and keywords, literal elements,
   ``and``/``or`` operands;
4. drop arguments the function no longer reads and reduce ``wrt``.

Every candidate is a whole new program: it must load, pass the runner's
validity checks (the primal runs, is finite and smooth near the point) and
fail the same way.
"""

import ast
import builtins
import copy
import time
import warnings

from tests.fuzz.runner import check_source, exc_type

MODULE_NAMES = {"np", "math", "P", "S", "namedtuple", "dataclass"}


class Target:
    """What a reduction must keep: an outcome with this mode and status."""

    def __init__(self, mode, status, exc=""):
        self.mode, self.status, self.exc = mode, status, exc

    @classmethod
    def of(cls, outcome):
        return cls(outcome.mode, outcome.status, exc_type(outcome))

    def matches(self, outcomes):
        for o in outcomes:
            if o.mode == self.mode and o.status == self.status and \
                    (self.status != "crash" or exc_type(o) == self.exc):
                return o
        return None

    def __str__(self):
        return f"{self.mode} {self.status}" + (f" ({self.exc})" if self.exc else "")


class Shrinker:
    def __init__(self, source, args, wrt, target, seconds=120.0, modes=None):
        self.tree = ast.parse(source)
        self.args = list(args)
        self.wrt = wrt
        self.target = target
        self.deadline = time.monotonic() + seconds
        self.modes = modes or self._modes_for(target.mode)
        self.tries = 0
        self.outcome = None

    @staticmethod
    def _modes_for(mode):
        return (mode,) if mode in ("grad", "jvp", "hvp") else ("grad", "jvp", "hvp")

    def out_of_time(self):
        return time.monotonic() > self.deadline

    # ------------------------------------------------------------------ test
    def fails(self, tree, args=None, wrt=None):
        self.tries += 1
        try:
            source = ast.unparse(ast.fix_missing_locations(tree))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                compile(source, "<shrink>", "exec")
        except Exception:  # noqa: BLE001
            return False
        if undefined_names(tree):
            return False
        args = self.args if args is None else args
        wrt = self.wrt if wrt is None else wrt
        reason, outcomes = check_source(source, args, wrt, self.modes, timeout=20.0, tag="shr")
        if reason:
            return False
        hit = self.target.matches(outcomes)
        if hit is not None:
            self.outcome = hit
        return hit is not None

    def accept(self, tree):
        if self.fails(tree):
            self.tree = tree
            return True
        return False

    # ----------------------------------------------------------- the passes
    def run(self):
        if not self.fails(self.tree):
            return None
        changed = True
        while changed and not self.out_of_time():
            changed = False
            for step in (self.delete_statements, self.unwrap_compounds,
                         self.simplify_expressions, self.drop_parameters):
                if self.out_of_time():
                    break
                changed |= step()
        return ast.unparse(self.tree)

    def bodies(self, tree):
        """Paths to every statement list of ``tree``."""
        out = []

        def walk(node, path):
            for fname, value in ast.iter_fields(node):
                if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                    out.append(path + ((fname, None),))
                    for i, child in enumerate(value):
                        walk(child, path + ((fname, i),))
                elif isinstance(value, ast.AST) and isinstance(value, ast.stmt):
                    walk(value, path + ((fname, None),))
        walk(tree, ())
        return out

    @staticmethod
    def get(tree, path):
        node = tree
        for fname, i in path:
            node = getattr(node, fname)
            if i is not None:
                node = node[i]
        return node

    def delete_statements(self):
        changed = False
        k = 0
        while not self.out_of_time():
            bodies = self.bodies(self.tree)
            if k >= len(bodies):
                break
            path = bodies[k]
            body = self.get(self.tree, path)
            n = len(body)
            size = max(1, n // 2)
            done = False
            while size >= 1 and not done and not self.out_of_time():
                start = n - size
                while start >= 0 and not self.out_of_time():
                    body = self.get(self.tree, path)
                    if self._deletable(body, start, size):
                        cand = copy.deepcopy(self.tree)
                        cbody = self.get(cand, path)
                        del cbody[start:start + size]
                        if not cbody:
                            cbody.append(ast.Pass())
                        if self.accept(cand):
                            changed = True
                            done = True     # the body changed: look at it again
                            break
                    start -= size
                size //= 2
            if not done:
                k += 1
        return changed

    @staticmethod
    def _deletable(body, start, size):
        part = body[start:start + size]
        if any(isinstance(s, ast.Pass) for s in part) and len(body) == 1:
            return False
        # keep the function under test (unused imports and records go too)
        for s in part:
            if isinstance(s, ast.FunctionDef) and s.name == "f":
                return False
        return True

    def unwrap_compounds(self):
        changed = False
        k = 0
        while not self.out_of_time():
            stmts = [(p, i) for p in self.bodies(self.tree)
                     for i in range(len(self.get(self.tree, p)))]
            if k >= len(stmts):
                break
            path, i = stmts[k]
            stmt = self.get(self.tree, path)[i]
            for repl in self._unwrappings(stmt):
                cand = copy.deepcopy(self.tree)
                body = self.get(cand, path)
                body[i:i + 1] = copy.deepcopy(repl) or [ast.Pass()]
                if self.accept(cand):
                    changed = True
                    break
            k += 1
        return changed

    @staticmethod
    def _unwrappings(stmt):
        out = []
        if isinstance(stmt, ast.If):
            out += [stmt.body, stmt.orelse]
        elif isinstance(stmt, (ast.For, ast.While)):
            if isinstance(stmt, ast.For):
                it = stmt.iter
                if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
                        it.func.id == "range":
                    first = it.args[0] if len(it.args) > 1 else ast.Constant(0)
                    out.append([ast.Assign([stmt.target], first)] + stmt.body)
                    if not (len(it.args) == 1 and isinstance(it.args[0], ast.Constant)
                            and it.args[0].value == 1):
                        one = copy.deepcopy(stmt)
                        one.iter = ast.Call(ast.Name("range", ast.Load()), [ast.Constant(1)], [])
                        out.append([one])
                else:
                    first = ast.Subscript(ast.Call(ast.Name("list", ast.Load()), [it], []),
                                          ast.Constant(0), ast.Load())
                    out.append([ast.Assign([stmt.target], first)] + stmt.body)
            out.append(stmt.body)
            out.append([])
        elif isinstance(stmt, ast.FunctionDef) and stmt.name != "f":
            out.append([])
        elif isinstance(stmt, (ast.AugAssign,)):
            # a op= b  ->  a = a op b
            tgt = copy.deepcopy(stmt.target)
            load = copy.deepcopy(stmt.target)
            for n in ast.walk(load):
                if hasattr(n, "ctx"):
                    n.ctx = ast.Load()
            out.append([ast.Assign([tgt], ast.BinOp(load, stmt.op, stmt.value))])
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and \
                isinstance(stmt.targets[0], ast.Tuple) and isinstance(stmt.value, ast.Tuple) \
                and len(stmt.targets[0].elts) == len(stmt.value.elts) and \
                not any(isinstance(e, ast.Starred) for e in stmt.targets[0].elts):
            out.append([ast.Assign([t], v) for t, v in zip(stmt.targets[0].elts, stmt.value.elts)])
        for o in out:
            for s in o:
                ast.fix_missing_locations(s)
        return out

    # --------------------------------------------------------- expressions
    def expr_paths(self, tree):
        """Paths to expression positions that may be replaced (not assignment
        targets, not the callee of a call, not a while test)."""
        out = []

        def walk(node, path, skip):
            for fname, value in ast.iter_fields(node):
                if isinstance(node, (ast.Assign,)) and fname == "targets":
                    continue
                if isinstance(node, (ast.AugAssign, ast.For, ast.comprehension, ast.AnnAssign)) \
                        and fname == "target":
                    continue
                if isinstance(node, ast.While) and fname == "test":
                    continue
                if isinstance(node, ast.Call) and fname == "func":
                    # a method call: its object may be simplified (a.copy() keeps .copy)
                    if isinstance(value, ast.Attribute) and not (
                            isinstance(value.value, ast.Name) and value.value.id in MODULE_NAMES):
                        sub = path + ((fname, None),)
                        if isinstance(value.value, ast.expr) and not skip:
                            out.append(sub + (("value", None),))
                        walk(value.value, sub + (("value", None),), skip)
                    continue
                if isinstance(node, ast.Attribute) and fname == "value" and \
                        isinstance(value, ast.Name) and value.id in MODULE_NAMES:
                    continue
                items = value if isinstance(value, list) else [value]
                for i, child in enumerate(items):
                    idx = i if isinstance(value, list) else None
                    if isinstance(child, ast.expr):
                        if not skip:
                            out.append(path + ((fname, idx),))
                        walk(child, path + ((fname, idx),), skip)
                    elif isinstance(child, ast.AST):
                        walk(child, path + ((fname, idx),), skip or isinstance(child, ast.arguments))
        walk(tree, (), False)
        return out

    def params(self):
        f = self._f(self.tree)
        return [a.arg for a in f.args.args]

    @staticmethod
    def _f(tree):
        return next(s for s in tree.body if isinstance(s, ast.FunctionDef) and s.name == "f")

    def _replacements(self, node, in_index=False):
        out = []
        if isinstance(node, ast.Constant):
            if isinstance(node.value, float) and node.value not in (0.5, 1.0):
                out.append(ast.Constant(0.5))
            return out
        if isinstance(node, ast.Name):
            if node.id not in MODULE_NAMES and node.id not in self.params():
                out += [ast.Constant(0.5), ast.Constant(1)]
                out += [ast.Name(p, ast.Load()) for p in self.params()]
            return out
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.expr) and not isinstance(child, (ast.expr_context,)):
                if isinstance(node, ast.Call) and child is node.func:
                    continue
                out.append(child)
            elif isinstance(child, ast.keyword):
                out.append(child.value)
        if isinstance(node, ast.Call):
            for i in range(len(node.args)):
                c = copy.deepcopy(node)
                del c.args[i]
                out.append(c)
            for i in range(len(node.keywords)):
                c = copy.deepcopy(node)
                del c.keywords[i]
                out.append(c)
        if isinstance(node, (ast.List, ast.Tuple)) and len(node.elts) > 1 and not in_index:
            for i in range(len(node.elts)):
                c = copy.deepcopy(node)
                del c.elts[i]
                out.append(c)
        if isinstance(node, ast.BoolOp):
            out += node.values
        if isinstance(node, ast.IfExp):
            out += [node.body, node.orelse]
        out += [ast.Constant(0.5), ast.Constant(1)]
        out += [ast.Name(p, ast.Load()) for p in self.params()]
        return out

    def simplify_expressions(self):
        changed = False
        k = 0
        while not self.out_of_time():
            paths = self.expr_paths(self.tree)
            if k >= len(paths):
                break
            node = self.get(self.tree, paths[k])
            before = ast.dump(node)
            in_index = paths[k][-1][0] == "slice"
            in_test = paths[k][-1][0] == "test"
            for repl in self._replacements(node, in_index):
                if in_test and not _boolean(repl):
                    # a test made constant (or a bare float) leaves dead code behind;
                    # unwrap_compounds removes branches properly
                    continue
                if ast.dump(repl) == before:
                    continue
                cand = copy.deepcopy(self.tree)
                *parent_path, (fname, idx) = paths[k]
                parent = self.get(cand, tuple(parent_path))
                new = ast.fix_missing_locations(copy.deepcopy(repl))
                if idx is None:
                    setattr(parent, fname, new)
                else:
                    getattr(parent, fname)[idx] = new
                if self.accept(cand):
                    changed = True
                    break
            k += 1
        return changed

    def drop_parameters(self):
        """Drop unread arguments; reduce wrt to one argument."""
        changed = False
        positions = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
        if len(positions) > 1:
            for p in positions:
                if self.fails(self.tree, wrt=p):
                    self.wrt = p
                    changed = True
                    break
        f = self._f(self.tree)
        names = [a.arg for a in f.args.args]
        used = {n.id for n in ast.walk(f) if isinstance(n, ast.Name)} | \
            {n.id for s in self.tree.body if isinstance(s, ast.FunctionDef) and s.name != "f"
             for n in ast.walk(s) if isinstance(n, ast.Name)}
        for i in reversed(range(len(names))):
            positions = self.wrt if isinstance(self.wrt, tuple) else (self.wrt,)
            if names[i] in used or (positions == (i,)):
                continue
            cand = copy.deepcopy(self.tree)
            del self._f(cand).args.args[i]
            args = self.args[:i] + self.args[i + 1:]
            new = tuple(p - (p > i) for p in positions if p != i)
            wrt = new[0] if len(new) == 1 else new
            if self.fails(cand, args=args, wrt=wrt):
                self.tree, self.args, self.wrt = cand, args, wrt
                changed = True
        return changed


def shrink(source, args, wrt, target, seconds=120.0):
    """(shrunk source, args, wrt, the last matching outcome, tries) or None if
    the program does not fail as ``target`` says."""
    s = Shrinker(source, args, wrt, target, seconds)
    out = s.run()
    if out is None:
        return None
    return out, s.args, s.wrt, s.outcome, s.tries


def undefined_names(tree):
    """Names read somewhere that nothing in the module binds (a reduction
    that leaves such a name in a branch the point never takes is not a
    program anyone writes)."""
    bound = set(dir(builtins))
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, ast.arg):
            bound.add(n.arg)
        elif isinstance(n, (ast.FunctionDef, ast.ClassDef)):
            bound.add(n.name)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
            and isinstance(n.ctx, ast.Load) and n.id not in bound}


def _boolean(node):
    return isinstance(node, (ast.Compare, ast.BoolOp)) or (
        isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not))
