"""Part of stage 2 (normalise): comprehensions and container methods.

Called by :meth:`srcgrad.normalise.Normaliser.desugar` for every statement
before anything else:

* list and dict comprehensions and generator expressions become a fresh list
  (dict) built by plain ``for``/``if`` statements, put before the statement
  that uses it; the comprehension's variables get fresh names, so they never
  leak into or clobber the function's own variables::

      s = sum(x * w for x in xs if x > 0)
      # becomes
      comp = []
      for x_1 in xs:
          if x_1 > 0:
              comp.append(x_1 * w)
      s = sum(comp)

* ``d.keys()``, ``d.values()``, ``d.items()`` become lists built the same way
  (``for k in list(d): comp.append((k, d[k]))``), and ``for k in d`` over a
  name that is certainly a dict iterates ``list(d)``;
* ``ys.extend(zs)`` becomes ``for z in zs: ys.append(z)``; ``v = ys.pop(i)``
  becomes ``v = ys[i]`` then ``ys.pop(i)`` (so the read and the change in
  place are separate operations for the analysis).

>>> from srcgrad.compiler.frontend.normalise import normalise_text
>>> from srcgrad.compiler.ir.printer import source
>>> print(source(normalise_text('''
... def g(xs, w):
...     return sum(x * w for x in xs if x > 0)
... ''')))
def g(xs, w):
    comp = []
    check_sequence(xs, 'xs')
    for i in range(len(xs)):
        x_1 = xs[i]
        if x_1 > 0:
            comp.append(x_1 * w)
    out = sum(comp)
    return out
"""

import gast

from srcgrad.compiler.ir.names import assign, const, load, store
from srcgrad.compiler.ir.walk import children, inner_nodes, name_nodes, walk as walk_tree
from srcgrad.compiler.ir.transformer import Transformer

_COMPS = (gast.ListComp, gast.DictComp, gast.GeneratorExp)
_VIEWS = ("items", "keys", "values")


def _writes_into(stmts, name):
    """Whether ``stmts`` write into ``name``'s value in place (``name[k] =
    v``, ``name[k] op= v``, a method that changes it)."""
    for node in stmts:
        for n in walk_tree(node):
            if isinstance(n, gast.Subscript) and isinstance(n.ctx, gast.Store):
                base = n.value
                while isinstance(base, gast.Subscript):
                    base = base.value
                if isinstance(base, gast.Name) and base.id == name:
                    return True
            elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                    isinstance(n.func.value, gast.Name) and n.func.value.id == name and \
                    n.func.attr in ("update", "setdefault", "pop", "popitem", "clear"):
                return True
    return False


def _is_view_call(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr in _VIEWS and not node.args and not node.keywords


def _made_as(node, literals, constructor):
    """The name ``node`` assigns, if it assigns one of the ``literals`` node
    types or a call of the builtin ``constructor`` (``ys = [...]``,
    ``d = dict(...)``); else ``None``."""
    if not (isinstance(node, gast.Assign) and len(node.targets) == 1
            and isinstance(node.targets[0], gast.Name)):
        return None
    v = node.value
    if isinstance(v, literals) or isinstance(v, gast.Call) and \
            isinstance(v.func, gast.Name) and v.func.id == constructor:
        return node.targets[0].id
    return None


def _is_dict_unpack(node):
    return isinstance(node, gast.Dict) and any(k is None for k in node.keys)


def _is_pop(node):
    return isinstance(node, gast.Call) and isinstance(node.func, gast.Attribute) and \
        node.func.attr == "pop" and isinstance(node.func.value, gast.Name)


def _method_call(x, method, args):
    return gast.Call(func=gast.Attribute(value=x, attr=method, ctx=gast.Load()), args=args,
                     keywords=[])


def _walk_own(node):
    """``gast.walk`` without entering lambdas: a comprehension in a lambda's
    body belongs to the lambda's scope and is desugared where the lambda is
    inlined (or never, if it is never called)."""
    todo = [node]
    while todo:
        n = todo.pop()
        yield n
        if not isinstance(n, gast.Lambda):
            todo.extend(children(n))


def _rename(node, mapping):
    for n in walk_tree(node):
        if isinstance(n, gast.Name) and n.id in mapping:
            n.id = mapping[n.id]


class _Hoist(Transformer):
    """Replace comprehensions and dict views in an expression by names,
    collecting the statements that build them."""

    def __init__(self, cd, where, top=None):
        self.cd = cd
        self.where = where
        self.pre = []
        self.top = top               # a whole right-hand side (split by ``methods``)

    def visit_Lambda(self, node):
        return node                  # its own scope (the inliner's business)

    def visit_IfExp(self, node):
        node.test = self.visit(node.test)
        if not any(isinstance(n, _COMPS) or _is_view_call(n)
                   for part in (node.body, node.orelse) for n in _walk_own(part)):
            return node
        # ``a if c else sum(... for ...)``: only the branch taken runs, as an ``if``
        # statement of its own whose branches build their comprehensions
        cond = self.cd.namer.fresh("cond")
        value = self.cd.namer.fresh("value")
        self.pre.append(assign(cond, node.test, self.where))
        branches = []
        for part in (node.body, node.orelse):
            sub = _Hoist(self.cd, self.where)
            branches.append(sub.pre + [assign(value, sub.visit(part), self.where)])
        self.pre.append(gast.copy_location(gast.If(test=load(cond), body=branches[0],
                                                   orelse=branches[1]), self.where))
        return load(value)

    def visit_BoolOp(self, node):
        node.values[0] = self.visit(node.values[0])
        if not any(isinstance(n, _COMPS) or _is_view_call(n)
                   for part in node.values[1:] for n in _walk_own(part)):
            return node
        # ``a and [...]``: each operand after the first runs only when the value so
        # far does not decide (``v = a; if v: v = [...]``; ``if not v`` for ``or``)
        value = self.cd.namer.fresh("value")
        self.pre.append(assign(value, node.values[0], self.where))
        for part in node.values[1:]:
            sub = _Hoist(self.cd, self.where)
            body = sub.pre + [assign(value, sub.visit(part), self.where)]
            test = load(value) if isinstance(node.op, gast.And) else \
                gast.UnaryOp(op=gast.Not(), operand=load(value))
            self.pre.append(gast.copy_location(gast.If(test=test, body=body, orelse=[]),
                                               self.where))
        return load(value)

    def visit_ListComp(self, node):
        return self.cd.build(node, self.pre, self.where)

    def visit_Dict(self, node):
        self.generic_visit(node)
        if not _is_dict_unpack(node):
            return node
        # {**d, k: v}: a copy of d, then the items in order
        if node.keys[0] is not None or any(k is None for k in node.keys[1:]):
            raise self.cd.unsupported(self.where, "'**' unpacking other than first in a dict "
                                      "literal", "start from a copy: e = d.copy(); e[k] = v")
        tmp = self.cd.namer.fresh("merged")
        self.pre.append(gast.copy_location(assign(tmp, _method_call(node.values[0], "copy", [])),
                                           self.where))
        for k, v in zip(node.keys[1:], node.values[1:]):
            target = gast.Subscript(value=load(tmp), slice=k, ctx=gast.Store())
            target.srcgrad_dict = True         # evidence for the analysis: a dict
            self.pre.append(gast.copy_location(gast.Assign(targets=[target], value=v,
                                                           type_comment=None), self.where))
        return load(tmp)

    visit_GeneratorExp = visit_ListComp
    visit_DictComp = visit_ListComp

    def visit_Call(self, node):
        self.generic_visit(node)
        if _is_view_call(node):
            return self.cd.view(node, self.pre, self.where)
        if isinstance(node.func, gast.Attribute) and node.func.attr == "pop" and \
                isinstance(node.func.value, gast.Name) and node is not self.top:
            ys = node.func.value.id
            if sum(isinstance(n, gast.Name) and n.id == ys for n in name_nodes(self.where)) > 1:
                raise self.cd.unsupported(
                    self.where, f"{ys}.pop() in an expression that also reads {ys}",
                    f"pop into a variable on a line of its own: v = {ys}.pop()")
            tmp = self.cd.namer.fresh("popped")      # ys.pop() inside an expression
            self.pre.append(gast.copy_location(assign(tmp, node), self.where))
            return load(tmp)
        return node


def _dict_names_in(tree):
    """The names :meth:`ContainerDesugar.dict_names` finds in ``tree``."""
    names = set()
    for n in inner_nodes(tree):
        if isinstance(n, gast.For) and isinstance(n.iter, gast.Name) and \
                isinstance(n.target, gast.Name) and any(
                    isinstance(m, gast.Subscript) and isinstance(m.value, gast.Name)
                    and m.value.id == n.iter.id and isinstance(m.slice, gast.Name)
                    and m.slice.id == n.target.id for b in n.body for m in inner_nodes(b)):
            names.add(n.iter.id)
        made = _made_as(n, (gast.Dict, gast.DictComp), "dict")
        if made is not None:
            names.add(made)
        elif _is_view_call(n) and isinstance(n.func.value, gast.Name):
            names.add(n.func.value.id)
        elif isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                isinstance(n.slice, gast.Constant) and isinstance(n.slice.value, str):
            names.add(n.value.id)
    return names


class ContainerDesugar:
    def __init__(self, norm):
        self.norm = norm
        self.namer = norm.namer
        self.temps = set()        # names of lists built for comprehensions
        self._dicts = None
        self._lists = None

    def unsupported(self, node, what, hint):
        return self.norm.unsupported(node, what, hint)

    # -- names certainly bound to dicts (for ``for k in d``) -----------------------
    def _nodes(self):
        """Every node of the function being normalised and, for inlined code,
        of the function it is inlined into (whose names it may use)."""
        trees = [self.norm.tree]
        if self.norm.parsed.tree is not self.norm.tree:
            trees.append(self.norm.parsed.tree)
        return (n for tree in trees for n in walk_tree(tree))

    def dict_names(self):
        """Names visibly bound to dicts in the function being normalised and,
        for inlined code, in the function it is inlined into: assigned a
        dict, read with a string key or a dict method, or iterated as
        ``for k in d`` with ``d[k]`` read in the loop.  (The names of the
        function inlined into are found once for all the calls inlined into
        it: they are names of its own, which inlined code, renamed apart,
        does not share.)"""
        if self._dicts is None:
            names = _dict_names_in(self.norm.tree)
            outer = self.norm.parsed.tree
            if outer is not self.norm.tree:
                cached = getattr(self.norm.parsed, "srcgrad_dict_names", None)
                if cached is None or cached[0] is not outer:
                    cached = (outer, frozenset(_dict_names_in(outer)))
                    self.norm.parsed.srcgrad_dict_names = cached
                names |= cached[1]
            self._dicts = names
        return self._dicts

    def local_dict(self, name):
        """Whether ``name`` only ever holds a dict the function made itself
        (a display, a dict comprehension, ``dict(...)``)."""
        if getattr(self, "_made_dicts", None) is None:
            self._made_dicts = _dict_names(self.norm.tree)
        return name in self._made_dicts

    # -- entry -----------------------------------------------------------------------
    def run(self, s):
        """The desugared statements replacing ``s``, or None to leave it to
        the normaliser."""
        self.dict_names()      # from the function as written, before statements change
        if isinstance(s, gast.While) and any(
                isinstance(n, _COMPS) or _is_view_call(n) for n in _walk_own(s.test)):
            if s.orelse:
                raise self.unsupported(s, "comprehension in a 'while' condition",
                                       "compute it in the loop body and test a name")
            # while TEST: ... -> while True: cond = TEST; if not cond: break; ...
            cond = self.namer.fresh("cond")
            stop = gast.If(test=gast.UnaryOp(op=gast.Not(), operand=load(cond)),
                           body=[gast.Break()], orelse=[])
            first = assign(cond, s.test)
            loop = gast.While(test=const(True), body=[first, stop] + list(s.body), orelse=[])
            for n in (loop, first, stop, stop.body[0]):
                gast.copy_location(n, s)
            return self.norm.desugar(loop)
        if isinstance(s, gast.For) and isinstance(s.iter, gast.Name) and \
                s.iter.id in self.dict_names() and not getattr(s, "srcgrad_keys", False):
            for n in (n for b in s.body for n in walk_tree(b)):
                if isinstance(n, gast.Subscript) and isinstance(n.value, gast.Name) and \
                        n.value.id == s.iter.id:
                    n.srcgrad_dict = True      # evidence for the analysis: d is a dict
            s.iter = gast.Call(func=load("list"), args=[s.iter], keywords=[])
            s.srcgrad_keys = True
        if isinstance(s, gast.For) and _is_view_call(s.iter) and \
                s.iter.func.attr in ("items", "values") and \
                isinstance(s.iter.func.value, gast.Name) and \
                _writes_into(s.body, s.iter.func.value.id):
            # Python's view is live: a value the loop writes into d is seen
            # at its later items, so d[key] is read at each item, not copied
            # before the loop (for k, v in d.items() -> for key in list(d):
            # k, v = key, d[key])
            d = s.iter.func.value.id
            key = self.namer.fresh("key")
            item = gast.Subscript(value=load(d), slice=load(key), ctx=gast.Load())
            item.srcgrad_dict = True
            value = item if s.iter.func.attr == "values" else \
                gast.Tuple(elts=[load(key), item], ctx=gast.Load())
            bind = gast.copy_location(gast.Assign(targets=[s.target], value=value,
                                                  type_comment=None), s)
            s.target = store(key)
            s.iter = gast.Call(func=load("list"), args=[load(d)], keywords=[])
            s.srcgrad_keys = True
            s.body = [bind] + s.body
        special = self.methods(s)
        if special is not None:
            return special
        fields = {gast.Assign: ("value",), gast.AugAssign: ("value",),
                  gast.AnnAssign: ("value",), gast.Expr: ("value",), gast.Return: ("value",),
                  gast.If: ("test",), gast.For: ("iter",), gast.Assert: ("test", "msg")}
        names = fields.get(type(s), ())
        top = s.value if isinstance(s, (gast.Assign, gast.Expr)) else None
        if not any(getattr(s, f, None) is not None and any(
                isinstance(n, _COMPS) or _is_view_call(n) or _is_dict_unpack(n) or
                _is_pop(n) and n is not top
                for n in _walk_own(getattr(s, f))) for f in names):
            return None
        direct = None
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.targets[0], gast.Name) and isinstance(s.value, _COMPS) and \
                s.targets[0].id not in {n.id for n in name_nodes(s.value)}:
            direct = s.targets[0].id           # ys = [...]: build ys itself
        hoist = _Hoist(self, s, top)
        if direct is not None:
            self.build(s.value, hoist.pre, s, result=direct)
            return self.norm.desugar_block(hoist.pre)
        for f in names:
            if getattr(s, f, None) is not None:
                setattr(s, f, hoist.visit(getattr(s, f)))
        out = []
        for p in hoist.pre:
            out.extend(self.norm.desugar(p))
        return out + self.norm.desugar(s)

    # -- comprehensions ------------------------------------------------------------------
    def build(self, comp, pre, where, result=None):
        """Statements building ``comp`` into a list (dict) named ``result``
        (a fresh name by default), appended to ``pre``; returns its name."""
        if result is None:
            result = self.namer.fresh("comp")
            self.temps.add(result)
            self.norm.inliner.made[result] = gast.List(elts=[], ctx=gast.Load()) \
                if not isinstance(comp, gast.DictComp) else gast.Dict(keys=[], values=[])
        gens = comp.generators
        if any(getattr(g, "is_async", 0) for g in gens):
            raise self.unsupported(where, "async comprehension", "use a plain loop")
        for k, g in enumerate(gens):
            bound = {n.id for n in name_nodes(g.target)}
            mapping = {b: self.namer.fresh(b) for b in sorted(bound)}
            scope = [g.target] + list(g.ifs)
            for later in gens[k + 1:]:
                scope += [later.target, later.iter] + list(later.ifs)
            scope += [comp.key, comp.value] if isinstance(comp, gast.DictComp) else [comp.elt]
            for node in scope:
                _rename(node, mapping)
        if isinstance(comp, gast.DictComp):
            self.dict_names().add(result)      # (iterating it gives its keys)
            target = gast.Subscript(value=load(result), slice=comp.key, ctx=gast.Store())
            inner = [gast.Assign(targets=[target], value=comp.value, type_comment=None)]
            empty = gast.Dict(keys=[], values=[])
        else:
            inner = [gast.Expr(value=_method_call(load(result), "append", [comp.elt]))]
            empty = gast.List(elts=[], ctx=gast.Load())
        for g in reversed(gens):
            for cond in reversed(g.ifs):
                inner = [gast.If(test=cond, body=inner, orelse=[])]
            _store(g.target)
            inner = [gast.For(target=g.target, iter=g.iter, body=inner, orelse=[],
                              type_comment=None)]
        stmts = [assign(result, empty)] + inner
        for st in stmts:
            for n in walk_tree(st):
                if isinstance(n, gast.stmt):
                    gast.copy_location(n, where)
        pre.extend(stmts)
        return load(result)

    def view(self, call, pre, where):
        """``d.keys()``, ``d.values()``, ``d.items()`` as a list."""
        d = call.func.value
        if not isinstance(d, gast.Name):
            tmp = self.namer.fresh("mapping")
            pre.append(gast.copy_location(assign(tmp, d), where))
            d = load(tmp)
            self.dict_names().add(tmp)      # a view's owner is a dict: iterated by its keys
        if call.func.attr == "keys":
            return gast.Call(func=load("list"), args=[load(d.id)], keywords=[])
        key = self.namer.fresh("key")
        item = gast.Subscript(value=load(d.id), slice=load(key), ctx=gast.Load())
        item.srcgrad_dict = True
        elt = item if call.func.attr == "values" else gast.Tuple(elts=[load(key), item],
                                                                 ctx=gast.Load())
        comp = gast.ListComp(elt=elt, generators=[gast.comprehension(
            target=store(key), iter=gast.Call(func=load("list"), args=[load(d.id)],
                                              keywords=[]),
            ifs=[], is_async=0)])
        return self.build(comp, pre, where)

    def list_names(self):
        """Names visibly bound to lists: assigned a list literal, a list
        comprehension or ``list(...)``, or changed with ``append``."""
        if self._lists is None:
            names = set()
            for n in self._nodes():
                made = _made_as(n, (gast.List, gast.ListComp), "list")
                if made is not None:
                    names.add(made)
                elif isinstance(n, gast.Call) and isinstance(n.func, gast.Attribute) and \
                        n.func.attr in ("append", "extend") and isinstance(n.func.value, gast.Name):
                    names.add(n.func.value.id)
            self._lists = names
        return self._lists

    # -- list methods ----------------------------------------------------------------------
    def methods(self, s):
        if isinstance(s, gast.AugAssign) and isinstance(s.op, gast.Add) and \
                isinstance(s.target, gast.Name) and isinstance(s.value, gast.List) and \
                s.target.id in self.list_names():
            # ys += [a, b] on a list extends it in place: appends (O(1) each,
            # where ys = ys + [...] would copy the list every time)
            ys = s.target.id
            out = []
            for e in s.value.elts:
                out.extend(self.norm.desugar(gast.copy_location(
                    gast.Expr(value=_method_call(load(ys), "append", [e])), s)))
            return out
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "extend" \
                and isinstance(s.value.func.value, gast.Name) and len(s.value.args) == 1 \
                and not s.value.keywords:
            ys = s.value.func.value.id
            item = self.namer.fresh("item")
            loop = gast.For(target=store(item), iter=s.value.args[0],
                            body=[gast.Expr(value=_method_call(load(ys), "append",
                                                               [load(item)]))],
                            orelse=[], type_comment=None)
            for n in walk_tree(loop):
                if isinstance(n, gast.stmt):
                    gast.copy_location(n, s)
            return self.norm.desugar(loop)
        if isinstance(s, gast.Expr) and isinstance(s.value, gast.Call) and \
                isinstance(s.value.func, gast.Attribute) and s.value.func.attr == "update" \
                and isinstance(s.value.func.value, gast.Name) and \
                self.local_dict(s.value.func.value.id) and \
                (not s.value.args or len(s.value.args) == 1 and
                 isinstance(s.value.args[0], gast.Dict) and None not in s.value.args[0].keys):
            # d.update({k: v}) / d.update(k=v) of a dict made here: d[k] = v, the
            # values evaluated first (as the call evaluates its argument)
            d = s.value.func.value.id
            pairs = list(zip(s.value.args[0].keys, s.value.args[0].values)) if s.value.args \
                else []
            pairs += [(const(k.arg), k.value) for k in s.value.keywords if k.arg is not None]
            if any(k.arg is None for k in s.value.keywords):
                return None
            out, keys = [], []
            for k, v in pairs:
                kt, vt = self.namer.fresh("key"), self.namer.fresh("value")
                out += [gast.copy_location(assign(kt, k), s), gast.copy_location(assign(vt, v), s)]
                keys.append((kt, vt))
            for kt, vt in keys:
                target = gast.Subscript(value=load(d), slice=load(kt), ctx=gast.Store())
                out.append(gast.copy_location(gast.Assign(targets=[target], value=load(vt),
                                                          type_comment=None), s))
            result = []
            for p in out:
                result.extend(self.norm.desugar(p))
            return result
        if isinstance(s, gast.Assign) and len(s.targets) == 1 and \
                isinstance(s.value, gast.Call) and isinstance(s.value.func, gast.Attribute) \
                and s.value.func.attr == "pop" and isinstance(s.value.func.value, gast.Name) \
                and len(s.value.args) <= 1 and not s.value.keywords:
            ys = s.value.func.value.id
            out = []
            index = s.value.args[0] if s.value.args else const(-1)
            if not isinstance(index, (gast.Name, gast.Constant)):
                tmp = self.namer.fresh("index")
                out.append(gast.copy_location(assign(tmp, index), s))
                index = load(tmp)
            read = gast.Subscript(value=load(ys), slice=index, ctx=gast.Load())
            out.append(gast.copy_location(gast.Assign(targets=s.targets, value=read,
                                                      type_comment=None), s))
            args = [] if not s.value.args else [gast.Name(id=index.id, ctx=gast.Load(),
                                                          annotation=None, type_comment=None)
                                                if isinstance(index, gast.Name) else index]
            out.append(gast.copy_location(gast.Expr(value=_method_call(load(ys), "pop", args)),
                                          s))
            result = []
            for p in out:
                result.extend(self.norm.desugar(p))
            return result
        return None


def _dict_names(tree):
    """Names every assignment of which in ``tree`` is a dict display, a dict
    comprehension or ``dict(...)``: dicts the function makes itself."""
    made, other = set(), set()
    for n in walk_tree(tree):
        if isinstance(n, gast.Assign):
            for t in n.targets:
                if isinstance(t, gast.Name):
                    v = n.value
                    is_dict = isinstance(v, (gast.Dict, gast.DictComp)) or \
                        isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
                        v.func.id == "dict"
                    (made if is_dict else other).add(t.id)
        elif isinstance(n, (gast.For, gast.AugAssign, gast.AnnAssign)):
            other |= {x.id for x in name_nodes(n.target)}
        elif isinstance(n, gast.arguments):
            other |= {a.id for a in n.args + n.posonlyargs + n.kwonlyargs}
    return made - other


def _store(target):
    for n in walk_tree(target):
        if isinstance(n, gast.Name):
            n.ctx = gast.Store()
