"""The rule registry: how a primitive's derivative is declared.

A rule is data: the primitive (any callable), its parameter list written as a
Python signature, and for each differentiable parameter an adjoint template,
a Python expression in which

* ``g``   is the adjoint of the primitive's result,
* ``ans`` is the primitive's result,
* the parameter names are the call's arguments,
* any other name is looked up where the rule was declared (``np``, ``math``,
  a helper function ...).

For example::

    defvjp(np.sin, "x", "g * np.cos(x)")
    defvjp(np.arctan2, "y, x", "g * x / (x * x + y * y)", "-g * y / (x * x + y * y)",
           kind="elementwise")

srcgrad's own library is declared with these same functions, and users declare
rules for their own or third-party functions the same way.  The transformer
inlines a template at every call site, so generated code contains
``d_x = d_b * np.cos(x)``, not a call into srcgrad.
"""

import ast
import copy
import importlib
import inspect
import sys

import gast

from srcgrad.errors import RuleError
from srcgrad.compiler.ir.names import const
from srcgrad.compiler.ir.walk import name_nodes
from srcgrad.compiler.ir.copying import deepcopy as copy_tree

#: kinds of primitive, as far as shape reasoning is concerned
KINDS = (None, "elementwise", "reduction", "scalar")

_RULES = {}
_SPECIAL = ("g", "ans")

#: rules declared by code outside srcgrad (the user's own), as text: what
#: they say is part of the key of srcgrad's disk cache
#: (:mod:`srcgrad.compiler.diskcache`), so changing one regenerates the code
USER_RULES = {}


def _note_user_rule(fun, namespace, *what):
    if not str(namespace.get("__name__", "")).startswith("srcgrad"):
        USER_RULES.setdefault(_name(fun), []).append(repr(what))


def _key(fun):
    try:
        hash(fun)
        return fun
    except TypeError:
        return ("id", id(fun))


def _parse_signature(signature, fun):
    try:
        tree = ast.parse(f"def _({signature}): pass")
    except SyntaxError as e:
        raise RuleError(f"bad signature {signature!r} for {_name(fun)}: {e.msg}") from None
    args = tree.body[0].args
    params = []
    P = inspect.Parameter

    def default(node):
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise RuleError(f"default of a rule parameter must be a literal: {signature!r}") from None

    positional = args.posonlyargs + args.args
    defaults = [P.empty] * (len(positional) - len(args.defaults)) + [default(d) for d in args.defaults]
    for a, d in zip(args.posonlyargs, defaults):
        params.append(P(a.arg, P.POSITIONAL_ONLY, default=d))
    for a, d in zip(args.args, defaults[len(args.posonlyargs):]):
        params.append(P(a.arg, P.POSITIONAL_OR_KEYWORD, default=d))
    if args.vararg:
        params.append(P(args.vararg.arg, P.VAR_POSITIONAL))
    for a, d in zip(args.kwonlyargs, args.kw_defaults):
        params.append(P(a.arg, P.KEYWORD_ONLY, default=P.empty if d is None else default(d)))
    if args.kwarg:
        params.append(P(args.kwarg.arg, P.VAR_KEYWORD))
    return inspect.Signature(params)


def _name(fun):
    mod = getattr(fun, "__module__", None) or ""
    qual = getattr(fun, "__qualname__", None) or getattr(fun, "__name__", None) or repr(fun)
    if isinstance(fun, __import__("numpy").ufunc):
        return f"numpy.{fun.__name__}"
    return f"{mod}.{qual}" if mod and mod != "builtins" else qual


class Template:
    """One parsed template expression and the free names it uses."""

    def __init__(self, text, params, namespace, owner):
        self.text = text
        try:
            self.expr = gast.parse(text, mode="eval").body
        except SyntaxError as e:
            raise RuleError(f"bad template {text!r} in the rule for {owner}: {e.msg}") from None
        names = {n.id for n in name_nodes(self.expr)}
        self.params = names & set(params)
        self.uses_g = "g" in names
        self.uses_ans = "ans" in names
        self.globals = {}
        builtins = vars(__import__("builtins"))
        for n in sorted(names - set(params) - set(_SPECIAL)):
            if n in namespace:
                self.globals[n] = namespace[n]
            elif n in builtins:
                self.globals[n] = builtins[n]
            else:
                raise RuleError(f"template {text!r} in the rule for {owner} uses {n!r}, "
                                f"which is neither a parameter, 'g', 'ans' nor defined where "
                                f"the rule was declared")
        self.uses_driver = any(v is DRIVER for v in self.globals.values())

    def __repr__(self):
        return f"Template({self.text!r})"

    def __deepcopy__(self, memo):
        return self

    def with_driver(self, driver):
        """This template with :data:`DRIVER` among its names replaced by ``driver``."""
        out = copy.copy(self)
        out.globals = {n: driver if v is DRIVER else v for n, v in self.globals.items()}
        out.uses_driver = False
        return out

    def instantiate(self, rule, args, specials, name_for, shape_of=None):
        """This template at a call site: parameters replaced by the call's
        bound ``args`` (atoms, defaults, ``*args`` tuples), names in
        ``specials`` (``g``, ``t``, ``ans``) by the given nodes, other names
        by ``name_for(obj, name)``; parameters the rule reads only for their
        shape go through ``shape_of(node)``.  Keyword arguments left at the
        rule's default are dropped from calls in the template."""
        values = {}
        for pname, arg in args.items():
            if isinstance(arg, _Default):
                values[pname] = const(arg.value)
            elif isinstance(arg, tuple):           # a *args parameter
                values[pname] = gast.Tuple(elts=list(arg), ctx=gast.Load())
            elif isinstance(arg, dict):            # a **kwargs parameter
                values[pname] = gast.Dict(keys=[const(k) for k in arg], values=list(arg.values()))
            else:
                values[pname] = arg
        for pname, p in rule.signature.parameters.items():
            if pname not in values and p.default is not p.empty:
                values[pname] = const(p.default)
        if shape_of is not None:
            for pname in rule.shapes:
                if isinstance(values.get(pname), gast.Name):
                    values[pname] = shape_of(values[pname])
        names = {n: name_for(obj, n) for n, obj in self.globals.items()}
        defaulted = {p for p, a in args.items() if isinstance(a, _Default)}
        return _Instance(values, specials, names, defaulted).copy(self.expr)


class _Instance:
    """A copy of a template's expression with its names substituted, in one
    pass: what copying it, dropping the keyword arguments whose value is a
    parameter left at its default (``defaulted``), then replacing each name
    (a NodeTransformer's ``visit_Name``) makes.  A name in ``specials`` or
    ``values`` becomes a copy of that node, one in ``names`` the name given
    there (a global the template uses, as the generated code names it)."""

    def __init__(self, values, specials, names, defaulted):
        self.values, self.specials, self.names = values, specials, names
        self.defaulted = defaulted
        self.memo = {}          # the copy of the template's nodes (as one deepcopy)

    def copy(self, node):
        if isinstance(node, gast.Name):
            if node.id in self.specials:
                return copy_tree(self.specials[node.id])
            if node.id in self.values:
                return copy_tree(self.values[node.id])
            if node.id in self.names:
                return gast.Name(id=self.names[node.id], ctx=gast.Load(), annotation=None,
                                 type_comment=None)
        if not isinstance(node, gast.AST) or id(node) in self.memo:
            return copy_tree(node, self.memo)
        new = node.__class__.__new__(node.__class__)
        self.memo[id(node)] = new
        fields = node._fields
        for k, v in node.__dict__.items():
            if k not in fields:
                v = copy_tree(v, self.memo)
            elif isinstance(v, list):
                if k == "keywords" and isinstance(node, gast.Call):
                    v = [kw for kw in v if not (isinstance(kw.value, gast.Name)
                                                and kw.value.id in self.defaulted)]
                v = [self.copy(x) for x in v]
            else:
                v = self.copy(v)
            setattr(new, k, v)
        return new


#: parameters of NumPy and SciPy functions that take a sequence of arrays (or a
#: tuple of extra arguments) as it is, not through np.asarray
SEQUENCE_PARAMETERS = frozenset({"tup", "arrays", "args", "object", "choicelist", "condlist",
                                 "funclist", "operands", "c_and_lower", "lu_and_piv", "t_span",
                                 "xi", "arys"})
SEQUENCE_FUNCTIONS = frozenset({"numpy.einsum", "numpy.block", "numpy.broadcast_arrays",
                                "numpy.meshgrid", "numpy.asarray", "numpy.array",
                                "numpy.asanyarray", "numpy.ascontiguousarray"})


class Rule:
    """The derivative of one primitive."""

    def __init__(self, fun, signature, adjoints, *, kind=None, namespace, name=None, shapes=()):
        if kind not in KINDS:
            raise RuleError(f"kind must be one of {KINDS}, not {kind!r}")
        self.fun = fun
        self.name = name or _name(fun)
        self.signature = _parse_signature(signature, fun) if isinstance(signature, str) else signature
        self.kind = kind
        self.shapes = frozenset(shapes)   # parameters read only for their shape
        self.namespace = namespace
        names = list(self.signature.parameters)
        if len(adjoints) > len(names):
            raise RuleError(f"the rule for {self.name} gives {len(adjoints)} adjoints "
                            f"for {len(names)} parameters")
        self.adjoints = {}
        for pname, text in zip(names, adjoints):
            if text is not None:
                self.adjoints[pname] = Template(text, names, namespace, self.name)
        # parameters a rule declared outside srcgrad leaves without a template (not even
        # an explicit None) with a derivative: refused when differentiated values reach them
        outside = not str(namespace.get("__name__", "")).startswith("srcgrad")
        self.omitted = tuple(names[len(adjoints):]) if adjoints and outside else ()
        self.tangents = {}
        self.reuses = {}          # other primitive -> {parameter: Template} (defreuse)
        self.ranked = {}          # ranks of the first arguments -> {parameter: Template} (defranks)
        # parameters NumPy reads through np.asarray: a list or tuple given to one is
        # an array in the templates (``np.dot([x, y], v)``, ``np.sin((x, y))``)
        if kind == "elementwise":
            self.array_like = frozenset(names)
        elif self.name.startswith(("numpy.", "scipy.")) and self.name not in SEQUENCE_FUNCTIONS:
            self.array_like = frozenset(self.adjoints) - SEQUENCE_PARAMETERS
        else:
            self.array_like = frozenset()
        # complex numbers (docs/complex.md): None -- real arguments only;
        # "holomorphic" -- the templates hold as written for complex values;
        # else the complex version of the rule (:func:`defcomplex`)
        self.complex = None
        # whether the result is complex: None (when an argument is), "always"
        # (np.fft.fft of real data), "never" (np.abs, np.real of complex data)
        self.complex_result = None

    @property
    def differentiable(self):
        return bool(self.adjoints)

    def bind(self, args, kwargs):
        """Bind call-site arguments (any objects) to the rule's parameters, defaults
        for those not given; TypeError when the call does not fit the signature."""
        plan = self.__dict__.get("_plan") or self._plan_binding()   # (inspect's, cheaper)
        if plan[0] is not None and len(args) <= len(plan[0]) and all(k in plan[1] for k in kwargs):
            given, out = dict(zip(plan[0], args)), {}
            for pname, default in plan[2]:
                if pname in given:
                    out[pname] = given[pname]
                elif pname in kwargs:
                    out[pname] = kwargs[pname]
                elif default is not inspect.Parameter.empty:
                    out[pname] = _Default(default)
                else:
                    break           # (a required parameter missing: inspect says so)
            else:
                if not any(k in given for k in kwargs):
                    return out
        return self.bound_by_inspect(args, kwargs)      # (and its TypeError)

    def bound_by_inspect(self, args, kwargs):
        """:meth:`bind` through ``inspect.Signature.bind`` (any signature)."""
        bound = self.signature.bind(*args, **kwargs)
        out = {}
        for pname, p in self.signature.parameters.items():
            if pname in bound.arguments:
                out[pname] = bound.arguments[pname]
            elif p.kind is p.VAR_POSITIONAL:
                out[pname] = ()
            elif p.kind is p.VAR_KEYWORD:
                out[pname] = {}
            elif p.default is not p.empty:
                out[pname] = _Default(p.default)
        return out

    def _plan_binding(self):
        """For :meth:`bind`: (positional names, keyword names, (name, default) of each)."""
        ps = self.signature.parameters.values()
        self._plan = (None, None, None) if any(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
                                               for p in ps) else \
            (tuple(p.name for p in ps if p.kind is not p.KEYWORD_ONLY),
             frozenset(p.name for p in ps if p.kind is not p.POSITIONAL_ONLY),
             tuple((p.name, p.default) for p in ps))
        return self._plan

    def with_driver(self, driver):
        """This rule with :data:`DRIVER` in its templates' namespace replaced by
        ``driver`` (the :class:`srcgrad.compiler.pipeline.Driver` of the
        transformation, which binds it where the call is resolved); the rule
        itself when no template names the driver."""
        if not any(t.uses_driver for t in self.adjoints.values()) and \
                not any(t.uses_driver for t in self.tangents.values()):
            return self
        bound = self.__dict__.get("_bound")
        if bound is None or bound[0] is not driver:
            rule = copy.copy(self)
            rule.__dict__.pop("_derived_tangents", None)
            rule.adjoints = {p: t.with_driver(driver) for p, t in self.adjoints.items()}
            rule.tangents = {p: t.with_driver(driver) for p, t in self.tangents.items()}
            bound = self._bound = (driver, rule)
        return bound[1]

    def __repr__(self):
        return f"<rule {self.name}>"

    def __deepcopy__(self, memo):
        return self


class _DriverSlot:
    """The name a rule's namespace gives the driver, for a derivative that needs
    the derivative of a function passed as an argument (``scipy.integrate``'s
    right-hand side): each call site's rule is bound to the transformation's
    driver (:meth:`Rule.with_driver`), whose ``transforms`` generate it."""

    def __repr__(self):
        return "DRIVER"


#: stands for the driver in a rule's namespace (see :class:`_DriverSlot`)
DRIVER = _DriverSlot()


class _Default:
    """A parameter the call site left at its default value."""

    def __init__(self, value):
        self.value = value

    def __deepcopy__(self, memo):
        return self


def _caller_namespace(depth=2):
    frame = sys._getframe(depth)
    return frame.f_globals


def defvjp(fun, signature, *adjoints, kind=None, namespace=None, name=None, shapes=()):
    """Declare the reverse-mode (adjoint) rule of ``fun``.

    ``signature`` is ``fun``'s parameter list as Python source (``"x, y"``,
    ``"a, axis=None, keepdims=False"``); call sites are bound to it, so
    keyword arguments and defaults work.  ``adjoints`` gives, in parameter
    order, the adjoint template of each parameter, or ``None`` for a
    parameter that is not differentiable; parameters after the last template
    are not differentiable.

    ``kind`` tells the compiler about shapes: ``"elementwise"`` (the result
    broadcasts the array arguments; adjoints are reduced to each argument's
    shape where broadcasting may have happened), ``"reduction"`` (a scalar
    when no ``axis`` is given), ``"scalar"`` (always a scalar), or ``None``
    (the templates themselves produce exactly the argument's shape).

    ``shapes`` names parameters whose value the templates read only for its
    shape (``np.sum``'s ``a``); the compiler may then pass another value of the
    same shape and need not keep that one.

    Names in templates are resolved in ``namespace`` (default: the globals
    of the module that calls ``defvjp``).  Returns ``fun``, so it can be used
    on a function definition with ``functools.partial``.
    """
    if namespace is None:
        namespace = _caller_namespace()
    rule = Rule(fun, signature, adjoints, kind=kind, namespace=namespace, name=name, shapes=shapes)
    _note_user_rule(fun, namespace, "vjp", signature, adjoints, kind, name, shapes)
    old = _RULES.get(_key(fun))
    if old is not None and old.tangents:
        rule.tangents = old.tangents
    if old is not None:
        rule.reuses, rule.ranked = old.reuses, old.ranked
    _RULES[_key(fun)] = rule
    return fun


def declared_rule(fun, before, what="rule"):
    """The rule of ``fun`` declared with :func:`defvjp`, which a declaration
    about it (``before``) needs; a :class:`RuleError` saying so otherwise."""
    rule = _RULES.get(_key(fun))
    if rule is None or not rule.differentiable:
        raise RuleError(f"declare the {what} of {_name(fun)} with defvjp before {before}")
    return rule


def nondifferentiable(*funs, signature="*args, **kwargs"):
    """Declare functions whose results carry no derivative (``np.floor``,
    ``np.argmax``, random number generators ...).  Calls to them are kept in
    the forward sweep and never differentiated."""
    for fun in funs:
        _RULES[_key(fun)] = Rule(fun, signature, (), namespace={})
        _note_user_rule(fun, _caller_namespace(), "nondifferentiable", signature)
    return funs[0] if len(funs) == 1 else funs


def holomorphic(*funs):
    """Declare that the rules of ``funs`` (already declared with
    :func:`defvjp`) hold as written for complex arguments: the function is
    complex-differentiable and its templates are its complex derivative
    (``g * np.cos(x)`` for ``np.sin``).  srcgrad's convention is JAX's
    (docs/complex.md): the adjoint of a complex ``z`` is ``g * f'(z)``, never
    conjugated.  A function without this declaration (or :func:`defcomplex`)
    is refused where a complex value reaches it.  Returns ``funs[0]``."""
    for fun in funs:
        rule = declared_rule(fun, "declaring it holomorphic")
        rule.complex = "holomorphic"
        _note_user_rule(fun, _caller_namespace(), "holomorphic")
    return funs[0]


def defcomplex(fun, *adjoints, tangents=(), result=None, complex_arguments=True,
               namespace=None):
    """Declare how the rule of ``fun`` (declared with :func:`defvjp`) reads
    for complex arguments, when it is not holomorphic (``np.abs``,
    ``np.real``, ``np.conj``): ``adjoints`` and ``tangents`` are templates in
    parameter order, like :func:`defvjp`'s and :func:`defjvp`'s, under the
    convention of docs/complex.md (the adjoint of ``z`` is
    ``dL/dRe(z) - 1j * dL/dIm(z)``); the tangent templates give the tangent of
    the result.  ``result``: ``"never"`` when the result is real for complex
    arguments (``np.abs``), ``"always"`` when it is complex for real ones
    (``np.fft.fft``).  ``complex_arguments=False``: only the result is
    declared (``np.fft.rfft``, complex for real data, takes no complex data:
    a complex argument is refused).  Returns ``fun``."""
    if namespace is None:
        namespace = _caller_namespace()
    rule = declared_rule(fun, "its complex version")
    if result not in (None, "always", "never"):
        raise RuleError(f"result must be None, 'always' or 'never', not {result!r}")
    _note_user_rule(fun, namespace, "complex", adjoints, tangents, result, complex_arguments)
    rule.complex_result = result
    if not complex_arguments:
        rule.complex = None
        return fun
    if not adjoints:
        rule.complex = "holomorphic"
        return fun
    other = Rule(fun, rule.signature, adjoints, kind=rule.kind, namespace=namespace,
                 name=rule.name, shapes=rule.shapes)
    other.array_like = rule.array_like
    other.complex_result = result
    other.complex_version = True        # its tangents are never derived from its adjoints
    names = list(rule.signature.parameters)
    for p, text in zip(names, tangents):
        if text is not None:
            other.tangents[p] = Template(text, names + [TANGENT], namespace, rule.name)
    rule.complex = other
    return fun


def complex_rule(rule):
    """The rule srcgrad applies where a complex value reaches ``rule``'s
    primitive: ``rule`` itself (holomorphic), its complex version
    (:func:`defcomplex`), or ``None`` (not differentiated for complex values)."""
    if rule.complex == "holomorphic":
        return rule
    return rule.complex


def stop_gradient(x):
    """Return ``x`` unchanged; srcgrad treats the result as a constant, so
    no gradient flows through it."""
    return x


nondifferentiable(stop_gradient, signature="x")


#: rule modules for optional libraries: (library, module declaring its rules).
#: A library's rules are loaded the first time a lookup misses while the library
#: is imported, so srcgrad imports SciPy only when the user's code does.
_PROVIDERS = [("scipy", "srcgrad.rules.scipy")]
_LOADED = set()


def defprovider(library, module):
    """Declare that importing ``module`` registers the rules of ``library``
    (a top-level package name); srcgrad imports ``module`` the first time it
    needs a rule while ``library`` is imported."""
    _PROVIDERS.append((library, module))


def _load_providers():
    loaded = False
    for library, module in _PROVIDERS:
        if module not in _LOADED and library in sys.modules:
            _LOADED.add(module)
            importlib.import_module(module)
            loaded = True
    return loaded


def lookup(fun):
    """The rule for ``fun``, or ``None``."""
    try:
        key = _key(fun)
        rule = _RULES.get(key)
        if rule is None and _load_providers():
            rule = _RULES.get(key)
        return rule
    except TypeError:
        return None


def all_rules():
    """Every registered rule (for the documentation's list)."""
    return list(_RULES.values())


# ---------------------------------------------------------------------------
# forward mode: tangent rules

#: the name of the argument's tangent in a tangent template
TANGENT = "t"


def defjvp(fun, *tangents, namespace=None, **by_name):
    """Declare the forward-mode (tangent) rule of ``fun``, whose adjoint rule
    is already declared with :func:`defvjp` (its signature is reused).

    ``tangents`` gives, in parameter order, a template for each parameter
    (``None`` to skip one); ``by_name`` gives them by parameter name.  A
    template is a Python expression in the parameter names, ``ans`` (the
    result) and ``t``, the tangent of that parameter; the tangent of the
    result is the sum of the templates of the parameters that carry a
    tangent, so each template must have the shape of ``ans``.  For example::

        defjvp(np.sin, "t * np.cos(x)")
        defjvp(np.linalg.inv, "-(ans @ t @ ans)")

    Elementwise and scalar rules need none: their tangents are derived from
    the adjoints (which are linear in ``g``).  Returns ``fun``."""
    if namespace is None:
        namespace = _caller_namespace()
    rule = declared_rule(fun, "its tangent rule (defjvp reuses the signature)", "adjoint rule")
    names = list(rule.signature.parameters)
    if TANGENT in names:
        raise RuleError(f"{rule.name} has a parameter named {TANGENT!r}, which tangent "
                        f"templates use for the tangent")
    if len(tangents) > len(names):
        raise RuleError(f"the tangent rule for {rule.name} gives {len(tangents)} templates "
                        f"for {len(names)} parameters")
    given = {p: text for p, text in zip(names, tangents) if text is not None}
    _note_user_rule(fun, namespace, "jvp", tangents, sorted(by_name.items()))
    for p, text in by_name.items():
        if p not in names:
            raise RuleError(f"{p!r} is not a parameter of {rule.name} ({rule.signature})")
        given[p] = text
    for p, text in given.items():
        rule.tangents[p] = Template(text, names + [TANGENT], namespace, rule.name)
    return fun


def tangent_template(rule, pname):
    """The tangent template of parameter ``pname`` of ``rule``: declared with
    :func:`defjvp`, or derived from the adjoint of an elementwise or scalar
    rule (linear in ``g``: the tangent is the adjoint with ``g`` replaced by
    ``t``).  ``None`` when there is neither."""
    if pname in rule.tangents:
        return rule.tangents[pname]
    adjoint = rule.adjoints.get(pname)
    if adjoint is None or rule.kind not in ("elementwise", "scalar") or \
            getattr(rule, "complex_version", False):
        return None
    derived = rule.__dict__.setdefault("_derived_tangents", {})
    if derived.get(pname, (None,))[0] is not adjoint:
        names = list(rule.signature.parameters)
        tree = ast.parse(adjoint.text, mode="eval")
        if TANGENT in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}:
            return None
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and n.id == "g":
                n.id = TANGENT
        template = Template(ast.unparse(tree), names + [TANGENT], rule.namespace, rule.name)
        derived[pname] = (adjoint, template)
    return derived[pname][1]
