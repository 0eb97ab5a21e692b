"""The disk cache: generated source kept between processes.

A new process that asks for a gradient it asked for before gets the
generated source from disk and only compiles it (no parsing, analysis or
transformation).  An entry is a JSON file named by the hash of

* the function's file, qualified name and source, and the request (mode,
  ``wrt`` as parameter names);
* srcgrad's version and the size and time of each of its own files, Python's
  and NumPy's versions.

It holds the generated functions (with their compiled code in a ``.code``
file beside it, written by :mod:`marshal` and used only when its sha256 is
the one the entry records) and a *fingerprint* of everything the
generation read, checked before the entry is used: the source of every
function inlined, a description of each global those functions read (a
module's or function's name, a number's value, an array's dtype, shape and
bytes), the function's defaults and every derivative rule declared outside
srcgrad.  Objects the generated code needs are not pickled: each is written
as where it comes from (``numpy``, ``srcgrad.runtime.arrays.unbroadcast``,
``mymodel.TABLE``) and looked up again.  What cannot be described so (a
closure, a bound method, an object found in no module, generated code) is
not cached; a helper's vjp or primal form that the code calls (a helper
with an adjoint function of its own) is written as the helper and its
parameters, and made again (from its own entry) when read.  An entry that fails any check, or that is not valid JSON, is
ignored and rebuilt; entries are written to a temporary file and renamed,
so concurrent processes never read half an entry.  A long gradient whose
versions are made when first needed (:mod:`srcgrad.compiler.lazy`) is
written as its guard and the names of the versions still to make
(``"pending"``): a process that reads it makes the gradient again, once, when
a call first needs one.

Where: ``$SRCGRAD_CACHE_DIR``, else the platform's cache directory
(``$XDG_CACHE_HOME/srcgrad`` or ``~/.cache/srcgrad``; ``~/Library/Caches/
srcgrad``; ``%LOCALAPPDATA%\\srcgrad\\Cache``).  ``SRCGRAD_CACHE=0`` or
``settings(enabled=False)`` turns it off.

>>> import os
>>> os.environ["SRCGRAD_CACHE_DIR"] = "/tmp/example-srcgrad-cache"
>>> str(directory())
'/tmp/example-srcgrad-cache'
>>> describe(3.5), describe(os)
('v:float:3.5', 'm:os')
>>> del os.environ["SRCGRAD_CACHE_DIR"]
"""

import ast
import hashlib
import importlib
import inspect
import importlib.util
import json
import linecache
import marshal
import os
import pathlib
import sys
import tempfile
import types

import numpy as np

from srcgrad.compiler import emit as emit_stage
from srcgrad.compiler.boundary import ComplexVersions
from srcgrad.compiler.lazy import Lazy, Pending, version_of
from srcgrad.rules import registry

#: the entries' format; entries of another format are ignored
FORMAT = 1
_SETTINGS = {"enabled": None, "directory": None}
_SELF = []          # srcgrad's own fingerprint, computed once per process


class Uncacheable(Exception):
    """What the generation read cannot be described soundly: do not cache."""


def settings(enabled=None, directory=None):
    """Turn the disk cache on or off (``enabled``) or move it
    (``directory``) for this process, over the environment variables;
    returns ``(enabled, directory)`` as they now are."""
    if enabled is not None:
        _SETTINGS["enabled"] = bool(enabled)
    if directory is not None:
        _SETTINGS["directory"] = pathlib.Path(directory)
    return is_enabled(), directory_path()


def is_enabled():
    if _SETTINGS["enabled"] is not None:
        return _SETTINGS["enabled"]
    return os.environ.get("SRCGRAD_CACHE", "1").strip().lower() not in ("0", "false", "no", "off")


def directory():
    """The cache directory (not created here)."""
    if _SETTINGS["directory"] is not None:
        return _SETTINGS["directory"]
    if os.environ.get("SRCGRAD_CACHE_DIR"):
        return pathlib.Path(os.environ["SRCGRAD_CACHE_DIR"])
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or pathlib.Path.home() / "AppData" / "Local"
        return pathlib.Path(base) / "srcgrad" / "Cache"
    if sys.platform == "darwin":
        return pathlib.Path.home() / "Library" / "Caches" / "srcgrad"
    base = os.environ.get("XDG_CACHE_HOME") or pathlib.Path.home() / ".cache"
    return pathlib.Path(base) / "srcgrad"


directory_path = directory


def clear():
    """Remove every entry of the cache directory."""
    d = directory()
    if d.is_dir():
        for entry in [*d.glob("*.json"), *d.glob("*.code")]:
            try:
                entry.unlink()
            except OSError:
                pass


# -- keys and fingerprints ------------------------------------------------------

def _digest(*parts):
    return hashlib.sha256(json.dumps(parts, default=repr).encode()).hexdigest()


def _srcgrad_itself():
    """srcgrad's version, and the size and modification time of each of its
    files (a changed srcgrad generates other code), with Python's and
    NumPy's versions."""
    if not _SELF:
        root = pathlib.Path(__file__).resolve().parent.parent
        files = sorted((str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns)
                       for p in root.rglob("*.py"))
        version = getattr(sys.modules.get(root.name), "__version__", None)
        # (and the settings read from the environment that change the generated code)
        _SELF.append(_digest(version, files, sys.version, importlib.util.MAGIC_NUMBER.hex(),
                             np.__version__, os.environ.get("SRCGRAD_JOINT_OPERATIONS")))
    return _SELF[0]


def key(fun, request):
    """The hash naming ``fun``'s entry for ``request`` (a JSON-able value),
    or ``None`` when ``fun`` is not cached at all."""
    if not (inspect.isfunction(fun) and inspect.unwrap(fun) is fun) or fun.__closure__:
        return None
    filename = fun.__code__.co_filename
    if not os.path.isfile(filename):        # generated code, exec, an interactive session
        return None
    try:
        text = source_of(fun)
    except OSError:
        return None
    return _digest(FORMAT, _srcgrad_itself(), filename, fun.__qualname__,
                   fun.__code__.co_firstlineno, text, request)


def source_of(fun):
    """The lines of ``fun``'s file its code spans (from its first decorator
    to the end of its last expression): what ``inspect.getsource`` gives,
    without tokenizing."""
    code = fun.__code__
    last, codes = code.co_firstlineno, [code]
    while codes:
        c = codes.pop()
        if hasattr(c, "co_positions"):
            last = max([last] + [p[1] for p in c.co_positions() if p[1] is not None])
        else:
            last = max([last] + [ln for _, _, ln in c.co_lines() if ln is not None])
        codes += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    lines = linecache.getlines(code.co_filename, fun.__globals__)
    if not lines:
        raise OSError(f"no source for {fun.__qualname__}")
    return "".join(lines[code.co_firstlineno - 1:last])


def describe(value):
    """A text that changes when ``value`` might change the generated code."""
    if isinstance(value, types.ModuleType):
        return "m:" + value.__name__
    if isinstance(value, (bool, int, float, complex, str, bytes, type(None))):
        return f"v:{type(value).__name__}:{value!r}"
    if isinstance(value, np.ndarray):
        if value.dtype == object or value.size > 1_000_000:
            raise Uncacheable("an object or large array")
        return f"a:{value.dtype}:{value.shape}:{hashlib.sha256(value.tobytes()).hexdigest()}"
    if isinstance(value, np.generic):
        return f"v:{type(value).__name__}:{value!r}"
    if callable(value) and _where(value) is not None:
        return "c:" + ".".join(_where(value)) + _source_hash(value)
    if isinstance(value, (tuple, list, dict, set, frozenset)):
        text = repr(value)
        if len(text) > 100_000 or " at 0x" in text:
            raise Uncacheable("a large container or one holding objects")
        return f"t:{type(value).__name__}:{hashlib.sha256(text.encode()).hexdigest()}"
    # other objects (instances of the user's classes): their type
    return f"o:{type(value).__module__}.{type(value).__qualname__}"


_LIBRARIES = {"numpy", "scipy", "srcgrad", "math", "builtins"}


def _source_hash(obj):
    """For the user's own functions and classes (not libraries'): a hash of
    their source, since a class's fields or a function's body may have been
    read while generating."""
    top = (getattr(obj, "__module__", None) or "").split(".")[0]
    if top in _LIBRARIES or top in sys.stdlib_module_names or not (
            inspect.isfunction(obj) or inspect.isclass(obj)):
        return ""
    try:
        return ":" + hashlib.sha256(inspect.getsource(obj).encode()).hexdigest()
    except (OSError, TypeError):
        if inspect.isfunction(obj):
            return ":" + hashlib.sha256(obj.__code__.co_code).hexdigest()
        raise Uncacheable(f"the source of {obj!r} is not available") from None


def _where(obj):
    """``(module, qualified name)`` under which ``obj`` can be imported
    again, or ``None``."""
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(obj, np.ufunc):           # NumPy's, or SciPy's special functions
        module, name = "numpy", obj.__name__
        special = sys.modules.get("scipy.special")
        if getattr(np, name, None) is not obj and getattr(special, name, None) is obj:
            module = "scipy.special"
    if not isinstance(module, str) or not isinstance(name, str) or "<" in name:
        return None
    try:
        if _lookup(module, name) is obj:
            return module, name
    except Exception:
        pass
    return None


def _lookup(module, name):
    obj = sys.modules.get(module) or importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _module_of_file(filename):
    for module in list(sys.modules.values()):
        if getattr(module, "__file__", None) == filename:
            return module
    return None


def _functions(files):
    """The function objects whose source the generation read (``files``:
    ``(filename, qualified name)`` pairs); a nested function counts as part of
    the function around it."""
    found = {}
    for filename, qual in files:
        if (filename, qual) in found:
            continue
        if not os.path.isfile(filename):
            raise Uncacheable(f"{qual} has no source file")
        if "<locals>" in qual:
            outer = qual.split(".<locals>")[0]
            if (filename, outer) in files:
                continue
            raise Uncacheable(f"{qual} is a nested function")
        module = _module_of_file(filename)
        if module is None:
            raise Uncacheable(f"no module is loaded from {filename}")
        try:
            fun = inspect.unwrap(_lookup(module.__name__, qual))
        except Exception:
            raise Uncacheable(f"{qual} is not found in {module.__name__}") from None
        fun = getattr(fun, "__func__", fun)
        if not inspect.isfunction(fun) or fun.__closure__:
            raise Uncacheable(f"{qual} is not a plain function")
        found[(filename, qual)] = fun
    return list(found.values())


def _names_read(code):
    names, codes = [], [code]
    while codes:
        c = codes.pop()
        names += c.co_names
        codes += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return sorted(set(names))


def fingerprint(top, files):
    """What the generation read: every function's source and the globals
    it reads, ``top``'s defaults, and the rules declared outside srcgrad."""
    parts = []
    for fun in [top] + _functions(files):
        parts.append((fun.__module__, fun.__qualname__, source_of(fun)))
        g = fun.__globals__
        parts.append([(n, describe(g[n])) for n in _names_read(fun.__code__) if n in g])
    parts.append([describe(v) for v in top.__defaults__ or ()])
    parts.append(sorted((k, describe(v)) for k, v in (top.__kwdefaults__ or {}).items()))
    parts.append(sorted((k, v) for k, v in registry.USER_RULES.items()))
    return _digest(parts)


def _bindings(injected, modules):
    """How to find each object the generated code needs again."""
    out = {}
    for name, obj in injected.items():
        if isinstance(obj, ComplexVersions):      # made again for the loaded function
            out[name] = ["complex", list(obj.params), sorted(obj.primal)]
            continue
        if isinstance(obj, types.ModuleType):
            out[name] = ["module", obj.__name__]
            continue
        joint = getattr(obj, "srcgrad_joint", None)
        if joint is not None:         # a helper's vjp or primal form: made (or read) again
            where = _where(joint[0])
            if where is None or not JOINT_MAKER:
                raise Uncacheable(f"the helper {joint[0]!r} is found in no module")
            out[name] = ["joint", *where, None if joint[1] is None else list(joint[1])]
            continue
        if isinstance(obj, (bool, int, float, str, type(None))):
            if ast.literal_eval(repr(obj)) == obj:
                out[name] = ["literal", repr(obj)]
                continue
        where = _where(obj)
        if where is None:
            for module in modules:
                hit = [k for k, v in vars(module).items() if v is obj and not k.startswith("__")]
                if hit:
                    where = (module.__name__, sorted(hit)[0])
                    break
        if where is None:
            raise Uncacheable(f"{name} = {obj!r} is found in no module")
        out[name] = ["attr", *where]
    return out


def _rebind(bindings, complex_make):
    out = {}
    for name, (kind, *rest) in bindings.items():
        if kind == "complex":
            if complex_make is None:
                raise Uncacheable("no maker of the versions for complex arguments")
            out[name] = ComplexVersions(complex_make, *rest)
        elif kind == "module":
            out[name] = importlib.import_module(rest[0])
        elif kind == "literal":
            out[name] = ast.literal_eval(rest[0])
        elif kind == "joint":
            out[name] = JOINT_MAKER[0](_lookup(rest[0], rest[1]),
                                       None if rest[2] is None else tuple(rest[2]))
        else:
            out[name] = _lookup(*rest)
    return out


# -- reading and writing entries -----------------------------------------------

def _path(k):
    return directory() / f"{k}.json"


def load(fun, request, complex_make=None, regenerate=None):
    """The function generated from ``fun`` for ``request`` from the disk
    cache, or ``None`` (not cached, stale, unreadable).  ``complex_make``
    makes its versions for complex arguments
    (:class:`srcgrad.compiler.boundary.ComplexVersions`); ``regenerate()``
    makes the whole function again, for an entry whose versions were still
    to be made when it was written (:mod:`srcgrad.compiler.lazy`)."""
    if not is_enabled():
        return None
    k = key(fun, request)
    if k is None:
        return None
    try:
        entry = json.loads(_path(k).read_text())
        if entry.get("format") != FORMAT or entry.get("key") != k:
            return None
        files = [tuple(f) for f in entry["files"]]
        if fingerprint(fun, files) != entry["fingerprint"]:
            return None
        injected = _rebind(entry["injected"], complex_make)
        pendings = _pendings(entry.get("pending", ()), regenerate)
        if pendings and regenerate is None:
            return None
        injected.update((p.name, p) for p in pendings)
        parsed = types.SimpleNamespace(
            fun=fun, globals=fun.__globals__, closure={}, filename=entry["filename"],
            firstlineno=entry["firstlineno"],
            source_lines=[ln.rstrip("\n") for ln in linecache.getlines(entry["filename"])],
            described={d: (f, line, text) for d, f, line, text in entry["described"]})
        functions = [tuple(f) for f in entry["functions"]]
        code = None
        blob = _path(k).with_suffix(".code").read_bytes()
        if hashlib.sha256(blob).hexdigest() == entry.get("code"):   # else compile again
            code = marshal.loads(blob)
        df = emit_stage.build(functions, parsed, injected, code=code)
    except Exception:          # missing, corrupt, foreign or stale: generate anew
        return None
    df.srcgrad_source = "\n\n".join(src for _, src in reversed(functions))
    df.srcgrad_injected = injected
    df.srcgrad_functions = functions
    df.srcgrad_files = files
    df.srcgrad_described = parsed.described
    df.srcgrad_from_disk = True
    if pendings:
        for p in pendings:
            del injected[p.name]
        Lazy(df, pendings)
    return df


def _pendings(names, regenerate):
    """The versions ``names`` of a gradient read from disk that were still
    to make when it was written: each made, when first needed, from the
    gradient made again by ``regenerate()`` (once for all of them)."""
    made = []

    def maker(name):
        def make():
            if not made:
                made.append(regenerate())
            return version_of(made[0], name)
        return make
    return [Pending(name, maker(name)) for name in names]


def store(fun, request, df):
    """Write ``df`` (just generated from ``fun`` for ``request``) to the
    disk cache, when everything it depends on can be described; returns
    whether it was written."""
    if not is_enabled():
        return False
    k = key(fun, request)
    if k is None:
        return False
    try:
        files = [tuple(f) for f in df.srcgrad_files]
        functions = _functions(files)
        modules = [sys.modules[f.__module__] for f in [fun] + functions
                   if f.__module__ in sys.modules]
        entry = {"format": FORMAT, "key": k, "files": files,
                 "fingerprint": fingerprint(fun, files),
                 "injected": _bindings(df.srcgrad_injected, modules),
                 "filename": fun.__code__.co_filename,
                 "firstlineno": inspect.getsourcelines(fun)[1],
                 "described": [[d, *where] for d, where in df.srcgrad_described.items()],
                 "functions": [list(f) for f in df.srcgrad_functions]}
        lazy = getattr(df, "srcgrad_lazy", None)
        if lazy is not None:        # (what its compiled code holds)
            entry.update(pending=lazy.names, functions=[list(f) for f in lazy.compiled])
        blob = marshal.dumps(df.srcgrad_code)
        entry["code"] = hashlib.sha256(blob).hexdigest()
        text = json.dumps(entry)
    except (Uncacheable, OSError, TypeError, ValueError, AttributeError):
        return False
    try:
        d = directory()
        d.mkdir(parents=True, exist_ok=True)
        # the compiled code first: an entry is only used with code of its hash
        _write_atomically(d, _path(k).with_suffix(".code"), blob)
        _write_atomically(d, _path(k), text.encode())
    except OSError:
        return False
    return True


def _write_atomically(d, path, data):
    """Write to a temporary file in ``d`` and rename it: readers (other
    processes) see the whole old file or the whole new one."""
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


#: ``[maker]``: ``maker(fun, wrt)`` gives the split form of the user's helper
#: ``fun`` that a cached function calls (``Driver.joint_form``, registered by
#: the driver the API makes): bound again when the entry is read
JOINT_MAKER = []
