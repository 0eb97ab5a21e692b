"""Complex numbers are refused where they reach a derivative (until they are
supported): a complex constant, global, type or dtype on an active path is an
``UnsupportedError`` at transformation time, naming the line; complex values
that no derivative depends on (a printed value, an FFT of data) stay.

>>> from srcgrad.compiler.analysis.show import analysed
>>> an = analysed('''
... def f(x):
...     z = x * 1j
...     return np.real(z * z)''', wrt="x")
>>> try:
...     refuse_complex(an.parsed, an.fn, an)
... except Exception as e:
...     print(str(e).splitlines()[0])
<example>:2: complex numbers are not supported yet: this value is complex and the derivative depends on it
"""

import gast
import numpy as np

from srcgrad.compiler.analysis.ops import defined_name, iter_ops
from srcgrad.compiler.ir.walk import walk as walk_tree


_COMPLEX_DTYPE_NAMES = {"complex", "complex64", "complex128", "complex256", "complex_", "cfloat",
                        "cdouble", "csingle", "clongdouble", "clongfloat", "c8", "c16", "c32",
                        "F", "D", "G"}          # as a dtype= or astype() argument


def _is_complex_object(obj):
    """A complex number, a complex array, or a complex type or dtype."""
    if isinstance(obj, (complex, np.complexfloating)):
        return True
    if isinstance(obj, np.ndarray):
        return obj.dtype.kind == "c"
    if isinstance(obj, type):
        return obj is complex or issubclass(obj, np.complexfloating)
    return isinstance(obj, np.dtype) and obj.kind == "c"


def refuse_complex(parsed, fn, an):
    """Refuse, at transformation time, a complex constant (``1j``, a global
    complex number or array, ``complex``, ``np.complex128``, ``dtype='c16'``)
    that reaches an active operation: complex numbers are not supported
    yet.  Names computed from one carry it on (a fixpoint over the SSA
    assignments); inactive uses (a printed value, an FFT of data) stay."""
    def dtype_string(node):
        return isinstance(node, gast.Constant) and isinstance(node.value, str) and \
            node.value in _COMPLEX_DTYPE_NAMES

    def marked(node):
        """``node`` holds a complex constant, global, type or dtype."""
        for n in walk_tree(node):
            if isinstance(n, gast.Constant):
                if isinstance(n.value, complex):
                    return True
            elif isinstance(n, gast.Call):
                if any(k.arg == "dtype" and dtype_string(k.value) for k in n.keywords) or \
                        isinstance(n.func, gast.Attribute) and n.func.attr == "astype" and \
                        n.args and dtype_string(n.args[0]):
                    return True
            elif isinstance(n, gast.Name):
                if n.id not in an.locals and _is_complex_object(an.resolve(n)):
                    return True
            elif isinstance(n, gast.Attribute) and _is_complex_object(an.resolve(n)):
                return True
        return False

    ops = [s for s in iter_ops(fn.body, an.locals) if isinstance(s, gast.Assign)]
    direct = {id(s) for s in ops if marked(s.value)}
    if not direct:
        return
    reads = {id(s): {n.id for n in walk_tree(s.value) if isinstance(n, gast.Name)} for s in ops}
    complex_names = set()
    changed = True
    while changed:                      # names computed from a complex value are complex
        changed = False
        for s in ops:
            name = defined_name(s)
            if name is not None and name not in complex_names and \
                    (id(s) in direct or reads[id(s)] & complex_names):
                complex_names.add(name)
                changed = True
    for s in ops:
        if defined_name(s) in an.active and (id(s) in direct or reads[id(s)] & complex_names):
            raise parsed.error(s, "complex numbers are not supported yet: this value is "
                                  "complex and the derivative depends on it",
                               construct="complex number",
                               hint="keep the computation real (a complex constant, global or "
                                    "dtype on a differentiated path is not supported yet)")
