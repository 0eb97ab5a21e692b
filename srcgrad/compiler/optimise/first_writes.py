"""First writes into fresh list adjoints: a loop that adds one contribution
per index to a list of zeros made just before it sets the item instead (the
item is still zero when the loop reaches its index).  The adjoint of
``for xi, oi in zip(xs, obs): loss += (xi - oi) ** 2`` no longer reads and
adds each zero.  Code in → code out::

    d_xs = zeros_like(xs)                    d_xs = zeros_like(xs)
    for i in reversed(range(n)):             for i in reversed(range(n)):
        d_xi = d_loss * 2 * (xs[i] - o)  →       d_xi = d_loss * 2 * (xs[i] - o)
        d_xs[i] = d_xs[i] + d_xi                 d_xs[i] = d_xi

Only where each iteration writes a different item once: the loop runs over
``range(...)`` or ``reversed(range(...))`` with an index the body never
assigns, the write ``d[i] = d[i] + v`` (``v`` not reading ``d``) is the one
statement of the body mentioning ``d`` and is in no inner loop, and nothing
between the zeros and the loop mentions ``d``.  The zeros are
``d = zeros_like(x)`` of a list of numbers (the reversal writes ``d[i] =
d[i] + v`` only for those, ``d[i] += v`` for arrays).

>>> from srcgrad import runtime
>>> from srcgrad.compiler.ir.printer import function, to_source
>>> fn = function('''
... d_xs = zeros_like(xs)
... for i in reversed(range(n)):
...     d_xi = d_loss * 2 * xs[i]
...     d_xs[i] = d_xs[i] + d_xi
... return d_xs''')
>>> first_writes(fn, {"zeros_like": runtime.zeros_like}, {"xs": 0})
>>> print(to_source(fn).strip().splitlines()[-2])
        d_xs[i] = d_xi
"""

import gast

from srcgrad import runtime
from srcgrad.compiler.ir.dataflow import blocks
from srcgrad.compiler.ir.walk import mentions, name_nodes


def first_writes(fn, objects, items):
    """Rewrite, in place in every block of ``fn``, the first writes of the
    fresh list adjoints it makes; ``objects``: what the names of the
    generated code stand for (the injector's); ``items``: the rank of the
    items of each list only appended to (``analysis.list_items``)."""
    def zeros(s):
        v = s.value
        return isinstance(v, gast.Call) and isinstance(v.func, gast.Name) and \
            objects.get(v.func.id) is runtime.zeros_like and len(v.args) == 1 and \
            isinstance(v.args[0], gast.Name) and items.get(v.args[0].id) == 0

    for block in blocks(fn.body):
        for k, s in enumerate(block):
            if not (isinstance(s, gast.Assign) and len(s.targets) == 1 and
                    isinstance(s.targets[0], gast.Name) and zeros(s)):
                continue
            d = s.targets[0].id
            for later in block[k + 1:]:
                if isinstance(later, gast.For):
                    _rewrite(later, d)
                if mentions(later, d):
                    break


def _rewrite(loop, d):
    index = _range_index(loop)
    if index is None or any(_assigns(st, index) for st in loop.body):
        return
    hits = []
    if not _collect(loop.body, d, hits) or len(hits) != 1:
        return
    write = hits[0]
    value = write.value
    item = write.targets[0]
    if isinstance(value, gast.BinOp) and isinstance(value.op, gast.Add) and \
            _is_item(value.left, d, index) and _is_item(item, d, index) and \
            not mentions(value.right, d):
        write.value = value.right


def _collect(stmts, d, hits):
    """Append to ``hits`` the statements of ``stmts`` mentioning ``d``;
    False when one is not a plain assignment or is in an inner loop."""
    for st in stmts:
        if isinstance(st, gast.If):
            if mentions(st.test, d) or not _collect(st.body, d, hits) or \
                    not _collect(st.orelse, d, hits):
                return False
        elif isinstance(st, (gast.For, gast.While)):
            if mentions(st, d):
                return False
        elif mentions(st, d):
            if not (isinstance(st, gast.Assign) and len(st.targets) == 1):
                return False
            hits.append(st)
    return True


def _range_index(loop):
    """The index of ``for i in range(...)`` / ``reversed(range(...))``."""
    it = loop.iter
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
            it.func.id == "reversed" and len(it.args) == 1:
        it = it.args[0]
    if isinstance(it, gast.Call) and isinstance(it.func, gast.Name) and \
            it.func.id == "range" and isinstance(loop.target, gast.Name) and not loop.orelse:
        return loop.target.id
    return None


def _is_item(node, d, index):
    return isinstance(node, gast.Subscript) and isinstance(node.value, gast.Name) and \
        node.value.id == d and isinstance(node.slice, gast.Name) and node.slice.id == index


def _assigns(node, name):
    return any(n.id == name and not isinstance(n.ctx, gast.Load) for n in name_nodes(node))
