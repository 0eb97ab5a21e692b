"""``Transformer``: ``gast.NodeTransformer`` with less overhead per node.

The passes that rewrite expressions (constant folding, simplification,
substituting a rule template's parameters) visit every node of many small
trees; ``ast.NodeVisitor.visit`` builds the method name of each node and
looks it up, and ``visit_Constant`` goes through its handling of the
``visit_Num`` methods of old Python versions.  This class finds each node
class's method once per transformer class; ``generic_visit`` rewrites the
fields exactly as ``ast.NodeTransformer.generic_visit`` does (a ``None``
result drops a list item or the field, a list result is spliced in), and
does not visit the nodes that visiting would leave as they are (those
without fields, contexts and operators, that the class has no method for).

>>> import gast
>>> from srcgrad.compiler.ir.printer import expr_source
>>> class Double(Transformer):
...     def visit_Constant(self, node):
...         return gast.Constant(value=2 * node.value, kind=None)
>>> expr_source(Double().visit(gast.parse("f(1, x + 2.5)").body[0].value))
'f(2, x + 5.0)'
"""

import ast
from ast import AST

import gast

_OLD_CONSTANT_METHODS = ("visit_Num", "visit_Str", "visit_Bytes", "visit_NameConstant",
                         "visit_Ellipsis")


class Transformer(gast.NodeTransformer):
    """A ``gast.NodeTransformer``; subclasses define ``visit_<Class>``
    methods as for that class."""

    _methods = None         # node class -> the unbound method, per subclass

    def visit(self, node):
        cls = self.__class__
        methods = cls.__dict__.get("_methods")
        if methods is None:
            methods = {}
            cls._methods = methods
        ncls = node.__class__
        method = methods.get(ncls)
        if method is None:
            method = methods[ncls] = self._method_for(ncls)
        return method(self, node)

    @classmethod
    def _method_for(cls, ncls):
        method = getattr(cls, "visit_" + ncls.__name__, None)
        if method is None:
            return cls.generic_visit
        if method is getattr(ast.NodeVisitor, "visit_Constant", None) and \
                not any(hasattr(cls, m) for m in _OLD_CONSTANT_METHODS):
            return cls.generic_visit        # what ast's visit_Constant ends in
        return method

    def _leaf(self, ncls):
        """Whether visiting a node of class ``ncls`` changes nothing: a node
        without fields (a context, an operator) this class has no method for."""
        cls = self.__class__
        leaves = cls.__dict__.get("_leaves")
        if leaves is None:
            leaves = cls._leaves = {}
        leaf = leaves.get(ncls)
        if leaf is None:
            leaf = leaves[ncls] = not ncls._fields and \
                cls._method_for(ncls) is Transformer.generic_visit
        return leaf

    def generic_visit(self, node):
        leaves = self.__class__.__dict__.get("_leaves") or {}
        for field in node._fields:
            try:
                old = getattr(node, field)
            except AttributeError:
                continue
            if isinstance(old, list):
                new_values = []
                for value in old:
                    if isinstance(value, AST):
                        leaf = leaves.get(value.__class__)
                        if leaf is None:
                            leaf = self._leaf(value.__class__)
                        if not leaf:
                            value = self.visit(value)
                            if value is None:
                                continue
                            if not isinstance(value, AST):
                                new_values.extend(value)
                                continue
                    new_values.append(value)
                old[:] = new_values
            elif isinstance(old, AST):
                leaf = leaves.get(old.__class__)
                if leaf is None:
                    leaf = self._leaf(old.__class__)
                if not leaf:
                    new = self.visit(old)
                    if new is None:
                        delattr(node, field)
                    else:
                        setattr(node, field, new)
        return node
