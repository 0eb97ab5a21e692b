"""``walk``: every node of a tree, in the order ``ast.walk`` gives them
(breadth first, a node's children queued before it is yielded), with less
overhead per node; the passes walk whole functions many times.  ``names``:
only the ``Name`` nodes, in the same order, in a list (what most walks look
for; the nodes without fields, contexts and operators, are not visited);
``inner_nodes``: every node but those.

>>> import gast
>>> tree = gast.parse("y = np.sin(x) + 1.0")
>>> [type(n).__name__ for n in walk(tree)] == [type(n).__name__ for n in gast.walk(tree)]
True
>>> [n.id for n in name_nodes(tree)]
['y', 'x', 'np']
>>> name_nodes(tree) == [n for n in walk(tree) if isinstance(n, gast.Name)]
True
"""

from ast import AST

from gast import Load, Name


def walk(node):
    """Every node of ``node``'s tree, ``node`` first, in ``ast.walk``'s order."""
    todo = [node]
    push = todo.append
    for node in todo:               # a list grown while iterated: a queue
        for name in node._fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
        yield node


#: fields that never hold a node with fields of its own (names, operators,
#: contexts), which ``name_nodes`` need not look at
_LEAF_FIELDS = frozenset({"id", "ctx", "op", "ops", "attr", "kind", "type_comment", "arg"})
_NODE_FIELDS = {}       # node class -> its other fields


def node_fields(cls):
    """The fields of node class ``cls`` that may hold a node with fields of
    its own (not names, contexts, operators, a constant's value)."""
    fields = _NODE_FIELDS.get(cls)
    if fields is None:
        fields = _NODE_FIELDS[cls] = () if cls.__name__ == "Constant" else tuple(
            f for f in cls._fields if f not in _LEAF_FIELDS)
    return fields


def inner_nodes(node):
    """The nodes of ``node``'s tree (``node`` included) in :func:`walk`'s
    order, but for those under fields that hold no node with fields of its
    own (contexts, operators): for a search for calls, operations, lambdas."""
    todo = [node]
    push = todo.append
    fields_of = _NODE_FIELDS
    for node in todo:
        cls = node.__class__
        fields = fields_of.get(cls)
        if fields is None:
            fields = node_fields(cls)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
    return todo


def name_nodes(node):
    """The ``Name`` nodes of ``node``'s tree (``node`` included), in the
    order :func:`walk` gives them (contexts and operators hold none): the
    walk of :func:`inner_nodes`, keeping the names as it goes."""
    todo = [node]
    push = todo.append
    out = []
    keep = out.append
    fields_of = _NODE_FIELDS
    for node in todo:
        cls = node.__class__
        if cls is Name:
            keep(node)
            if getattr(node, "annotation", None) is None:     # (a parameter's: walked on)
                continue
        fields = fields_of.get(cls)
        if fields is None:
            fields = node_fields(cls)
        for field in fields:
            value = getattr(node, field, None)
            if value is None:
                continue
            if isinstance(value, AST):
                push(value)
            elif isinstance(value, list):
                for item in value:
                    if isinstance(item, AST):
                        push(item)
    return out


def mentions(node, name):
    """Whether the name ``name`` occurs (read or written) in ``node``'s tree."""
    return any(n.id == name for n in name_nodes(node))


def children(node):
    """The child nodes of ``node``, as ``ast.iter_child_nodes`` gives them, in a list."""
    out = []
    for field in node._fields:
        value = getattr(node, field, None)
        if isinstance(value, AST):
            out.append(value)
        elif isinstance(value, list):
            out.extend([item for item in value if isinstance(item, AST)])
    return out


def replace_loads(node, name, value):
    """Every load of ``name`` under ``node`` replaced by ``value`` (in place;
    what a ``NodeTransformer`` whose ``visit_Name`` returns ``value`` does)."""
    for field in node_fields(node.__class__):
        old = getattr(node, field, None)
        if isinstance(old, list):
            for k, item in enumerate(old):
                if isinstance(item, AST):
                    if _is_load(item, name):
                        old[k] = value
                    else:
                        replace_loads(item, name, value)
        elif isinstance(old, AST):
            if _is_load(old, name):
                setattr(node, field, value)
            else:
                replace_loads(old, name, value)


def _is_load(node, name):
    return node.__class__ is Name and node.ctx.__class__ is Load and node.id == name
