"""Wider grammar for the fuzzer's generator (mixed into ``gen.Gen``).

Three families the first grammar did not reach, each a place where a
program's meaning depends on Python's object model or on NumPy converting
its arguments:

* lists of arrays (type ``alst``: a list of 1-d arrays of length 4) built
  from names (``L = [a, b * 2.0]``, so an element shares memory with a
  name), grown by ``append``, written element by element, and changed in
  place with ``L[j] += e`` -- which changes the array every other name for
  it sees;
* lists and tuples of floats given to NumPy functions (``np.dot(L, L)``,
  ``np.sin((s, t))``), which read them through ``np.asarray``;
* a few SciPy functions (``scipy.special``, ``scipy.stats.norm``) on scalars
  and arrays;
* complex values (in about 40% of programs; docs/complex.md): complex
  scalars (``c``) and arrays of length 4 (``cv``) made from real values with
  ``1j``, ``np.exp(1j * ...)``, ``np.fft``, ``np.linalg.eigvals`` and einsum's
  sublist form, changed in loops and branches, read back through ``np.real``,
  ``np.imag``, ``np.abs``, ``np.angle``; and set comprehensions;
* attribute assignment on dataclasses made in the function (``ObjectGrammar``);
* a helper called from several sites (``joint_helper``);
* the inverse and the determinant of one matrix (``inverse_and_det``);
* a trajectory of floats in a list and a misfit over it (``trajectory_misfit``);
* slices of an array argument concatenated again (``concatenate_pieces``);
* products of the matrix argument of one symbolic shape (``matrix_chain``);
* a loop on floats in the projectile's shape (``float_loop``).

>>> from tests.fuzz.gen import generate
>>> sources = [generate(seed).source for seed in range(300)]
>>> any("scipy.special." in s for s in sources), any("] += " in s for s in sources)
(True, True)
>>> any("np.fft." in s for s in sources), any("1j" in s for s in sources)
(True, True)
>>> any("def hj" in s for s in sources), any("np.eye(4) * (1.0 + " in s for s in sources)
(True, True)
"""

import random
import re

SCIPY_SCALAR = ["scipy.special.expit({})", "scipy.special.erf({} * 0.5)",
                "scipy.special.gammaln(1.5 + {0} * {0})", "scipy.special.log1p({0} * {0})",
                "scipy.stats.norm.logpdf({}, 0.2, 1.3)", "scipy.stats.norm.cdf({})",
                "scipy.special.xlogy(1.5, 1.0 + {0} * {0})", "scipy.special.erfc({})",
                "scipy.stats.logistic.logpdf({})", "scipy.special.expit(-{})"]
SCIPY_ARRAY = ["scipy.special.expit({})", "scipy.special.erf({})",
               "scipy.stats.norm.pdf({}, 0.1, 2.0)", "scipy.special.log_softmax({})",
               "scipy.special.softmax({})", "scipy.special.gammaln(2.0 + {0} * {0})"]
SCIPY_REDUCTION = ["scipy.special.logsumexp({})", "np.sum(scipy.stats.norm.logpdf({}))",
                   "np.sum(scipy.special.softmax({0}) * {0})"]


class WideGrammar:
    """The statements and expressions of the wider grammar; ``Gen`` calls
    these hooks from its own choices."""

    # -------------------------------------------------- a constant in a tuple
    def tuple_power(self, ret):
        """``ret`` plus, in about 15% of programs, a power read out of a tuple
        of a float and a constant (``t9 = (s3, 2.0)``; ``np.power(t9[0],
        t9[-1])``): the constant element has no derivative (its tangent made
        the rule compute log of a negative base: nan).  A stream of its own,
        so the other programs are the ones the seed always gave."""
        r = random.Random(self.seed * 7727 + 43)
        names = sorted(self.names("f"))
        if r.random() > 0.15 or not names:
            return ret
        n, c = r.choice(names), r.choice(["2.0", "3.0"])
        t = self.fresh("tup")
        if r.random() < 0.5:
            self.lines.append(f"    {t} = ({n}, {c})")
            term = r.choice([f"np.power({t}[0], {t}[1])", f"{t}[0] ** {t}[-1]"])
        else:
            self.lines.append(f"    {t} = ({c}, np.tanh({n}))")
            term = r.choice([f"np.power({t}[0], {t}[1])", f"{t}[-2] ** {t}[1]"])
        return f"{ret} + {term} * 0.1"

    # ------------------------------------- a helper called from several sites
    JOINT_TERMS = ["np.sin(k * p) * p", "p * p * k", "np.tanh(p - k) * k", "np.cos(p) * k * k",
                   "np.exp(-p * p) * k", "k / (1.0 + p * p)", "np.sqrt(1.0 + p * p) * k"]

    def joint_helper(self, ret):
        """``ret`` plus, in about 25% of programs, calls of a module-level
        helper ``hjN(p, k=..)`` of a dozen operations from two to four sites (at
        the top, in a loop, in a branch; ``k`` a constant at some sites and a
        differentiated name at others): the helpers that get an adjoint function
        of their own (``frontend/inline/joint.py``; the fuzzer sets
        ``SRCGRAD_JOINT_OPERATIONS`` low to reach them).  In 40% of those with a
        vector to give it, the helper reads elements of its parameter (``p[0]``):
        then it keeps its calls at the default thresholds too (40 of the 115 such
        programs of seeds 0-1199 reach ``Driver.joint_form``).  In 30% of them the
        helper reads a global array, which in 30% of those the caller changes
        between two sites (then restores): refused, as srcgrad never changes
        the module's objects.  A stream of its own,
        so the other programs are the ones the seed always gave."""
        r = random.Random(self.seed * 7919 + 71)
        names = sorted(self.names("f", "v4", "v3"))
        if r.random() > 0.25 or not names:
            return ret
        name = f"hj{len(self.helpers)}"
        terms = r.sample(self.JOINT_TERMS, 4)
        vectors = sorted(self.names("v4", "v3"))
        if vectors and r.random() < 0.4:
            # it reads elements of its parameter (a vector): it keeps its calls from
            # 12 operations at the default thresholds (elements p[0], p[1], p[2])
            names = vectors
            terms = [re.sub(r"\bp\b", f"p[{j % 3}]", t) for j, t in enumerate(terms)]
        src = [f"def {name}(p, k={r.choice(['0.6', '0.35', '1.1'])}):",
               f"    a = {terms[0]} + {terms[1]}",
               f"    b = np.tanh(a) * k + {terms[2]}",
               f"    return a * b + {terms[3]}"]
        if r.random() < 0.3:
            # p rebound in a loop: its derivative in the helper's reverse sweep is
            # scaled, not only added to (optimise/accumulators.py adds the caller's at the end)
            src[1:1] = ["    for i_h in range(2):", "        p = p * (0.8 + 0.1 * k) + 0.05 * np.sin(p)"]
        table, changed = None, False
        if r.random() < 0.3:
            # the helper reads a global array (its vjp reads it again in the caller's
            # reverse sweep), which the caller changes between two sites now and then
            table = f"GJ{len(self.helpers)}"
            src[2] += f" + {table}[1] * k"
            changed = r.random() < 0.3
        self.helpers.append("\n".join(src) + "\n")
        if table:
            self.helpers.append(f"{table} = np.array([0.5, 1.5, -0.7])\n")
        scalars = sorted(self.names("f"))

        def call():
            arg = r.choice(names)
            k = r.choice(["", ", 0.4", f", {r.choice(scalars)}" if scalars else ""])
            return f"{name}({arg}{k})"
        out = []
        for i in range(r.randint(2, 4)):
            v = self.fresh("jh")
            where = r.random()
            if where < 0.25:
                self.lines += [f"    {v} = 0.0", "    for i_j in range(2):",
                               f"        {v} = {v} + np.sum({call()}) * 0.5"]
            elif where < 0.45 and scalars:
                c = r.choice(scalars)
                self.lines += [f"    if {c} > 0.0:", f"        {v} = np.sum({call()})",
                               "    else:", f"        {v} = np.sum({call()}) * 0.5"]
            else:
                self.lines.append(f"    {v} = np.sum({call()})")
            out.append(v)
            if changed and len(out) == 1:
                self.lines.append(f"    {table}[1] = 2.5")
        if changed:
            self.lines.append(f"    {table}[1] = 1.5")
        return f"{ret} + ({' + '.join(out)}) * 0.1"

    # ---------------------------------- the inverse and determinant of one matrix
    def inverse_and_det(self, ret):
        """``ret`` plus, in about 15% of programs, the inverse and the
        determinant of one small positive definite matrix made from a
        differentiated 4-vector (``defreuse``: the determinant's adjoint reads
        the inverse, ``analysis/reuse.py``), with what must stop the reuse now
        and then: the matrix rebound or written in place between the two, the
        determinant first, one of them in a branch or both in a loop.  A stream
        of its own, so the other programs are the ones the seed always gave."""
        r = random.Random(self.seed * 6151 + 29)
        vecs = sorted(self.names("v4"))
        if r.random() > 0.15 or not vecs:
            return ret
        v = r.choice(vecs)
        scalars = sorted(self.names("f"))
        s = r.choice(scalars) if scalars else "0.5"
        m, inv, det = self.fresh("mk"), self.fresh("ik"), self.fresh("dk")
        make = f"np.outer({v}, {v}) * 0.1 + np.eye(4) * (1.0 + {s} * {s})"
        between = r.choice(["", "", f"    {m} = {m} + 0.2 * np.eye(4)",
                            f"    {m}[1, 1] += 0.3", f"    {m} *= 1.1"])
        first, second = (f"    {inv} = np.linalg.inv({m})", f"    {det} = np.linalg.det({m})")
        if r.random() < 0.25:
            first, second = second, first
        shape = r.random()
        if shape < 0.2:           # both in a loop, the matrix changing each time round
            self.lines += [f"    {m} = {make}", f"    {det} = 1.0", f"    {inv} = np.eye(4)",
                           "    for i_k in range(2):", "    " + first, "    " + second,
                           f"        {m} = {m} + 0.1 * np.outer({v}, {v})"]
        elif shape < 0.35 and scalars:    # the inverse in one branch only
            self.lines += [f"    {m} = {make}", f"    {inv} = np.eye(4)",
                           f"    if {s} > 0.0:", f"        {inv} = np.linalg.inv({m})",
                           between.replace("    ", "        ", 1) if between else "",
                           f"    {det} = np.linalg.det({m})"]
            self.lines = [ln for ln in self.lines if ln]
        else:
            self.lines += [f"    {m} = {make}", first] + ([between] if between else []) + [second]
        return f"{ret} + (np.log({det}) + np.sum({inv} @ {v})) * 0.1"

    # ------------------------------------- slices of arrays concatenated again
    def concatenate_pieces(self, ret, params):
        """``ret`` plus, in about 15% of programs, ``np.concatenate`` of a
        tuple of two or three slices of an array argument (the adjoint of a
        tuple of arrays of known rank along a constant axis is sliced in the
        generated code: ``transforms/reverse/adjoints.py``,
        ``concatenated_pieces``): along the vector, or the matrix's rows or
        columns (``axis=1``, ``axis=-1``), in a loop leaving out column ``j``
        as in a determinant by minors, the tuple read twice now and then; an
        element read (``x[0]``, ``M[0, j]``) makes the argument's rank the
        guard's.  A stream of its own."""
        r = random.Random(self.seed * 7919 + 43)
        arrays = [(n, t) for n, t in params if t in ("v4", "m") and self.env.get(n) and
                  self.env[n].type == t]
        if r.random() > 0.15 or not arrays:
            return ret
        a, t = r.choice(arrays)
        tup, cat, acc = self.fresh("tup"), self.fresh(t), self.fresh("f")
        scalars = sorted(self.names("f"))
        s = r.choice(scalars) if scalars else "0.5"
        twice = r.random() < 0.2
        if t == "v4":
            pieces = r.choice([f"({a}[:2], {a}[2:] * {s})", f"({a}[:1], np.sin({a}[1:3]), {a}[3:])",
                               f"({a}[3:], {a}[:3] * {a}[:3])", f"({a}[:j], {a}[j + 1:])"])
            axis = r.choice(["", ", axis=0", ", axis=-1"])
            read = f"{a}[0]" if "j" not in pieces else f"{a}[j]"
        else:
            pieces = r.choice([f"({a}[1:, :j], {a}[1:, j + 1:])", f"({a}[:, :1], {a}[:, 2:] * {s})",
                               f"({a}[:1], {a}[2:] * 2.0, {a}[1:2])"])
            axis = ", axis=0" if "[:1], " in pieces and ":, " not in pieces else \
                r.choice([", axis=1", ", axis=-1"])
            read = f"{a}[0, j]" if "j" in pieces else f"{a}[0, 1]"
        body = [f"{tup} = {pieces}", f"{cat} = np.concatenate({tup}{axis})",
                f"{acc} = {acc} + np.sum(np.sin({cat}) * {cat}) * {read}"]
        if twice:
            body.append(f"{acc} = {acc} + np.sum(np.concatenate({tup}{axis}) ** 2)")
        self.lines.append(f"    {acc} = 0.0")
        if "j" in pieces:
            n = 4
            self.lines.append(f"    for j in range({n}):")
            self.lines += ["        " + b for b in body]
        else:
            self.lines += ["    " + b for b in body]
        return f"{ret} + 0.1 * {acc}"

    # --------------------------------- matrix products of one symbolic shape
    def matrix_chain(self, ret, params):
        """``ret`` plus, in about 15% of programs, products of the matrix
        argument ``M`` (3 x 4) with its transpose and the vectors, carried
        around a loop, whose lengths ``analysis/dims.py`` knows as ``M``'s
        (``M @ M.T`` and ``np.eye(M.shape[0])`` are 3 x 3): their adjoints
        lose their ``unbroadcast`` and their values leave the tape.  Now and
        then an operand broadcasts (a row of length 1, ``np.zeros(3)``, a
        vector of the other length): the adjoint must still be reduced.  An
        element read ``M[0, 1]`` makes ``M``'s rank the guard's.  A stream of
        its own."""
        r = random.Random(self.seed * 104729 + 47)
        names = dict(params)
        if r.random() > 0.15 or names.get("M") != "m" or not (self.env.get("M") and
                                                              self.env["M"].type == "m"):
            return ret
        vec = "x" if names.get("x") == "v4" and self.env["x"].type == "v4" else None
        G, P, q, acc = self.fresh("m"), self.fresh("m"), self.fresh("v3"), self.fresh("f")
        n = r.choice(["M.shape[0]", "len(M)", "3"])
        extra = r.choice(["np.eye(" + n + ")", "np.ones((1, 3)) * 0.1", "np.zeros((3, 1))",
                          "np.outer(M[:, 0], M[:, 1])", "0.2"])
        lines = [f"{G} = M @ M.T * 0.1 + {extra}", f"{P} = np.eye({n})",
                 f"{q} = M @ {vec} * 0.5" if vec else f"{q} = M[:, 1] * 0.5",
                 f"{acc} = 0.0", "for i_m in range(2):",
                 f"    {P} = {P} @ {G} * 0.5 + np.eye({n}) * 0.25",
                 f"    {q} = {q} + {P} @ {q} * 0.1" + r.choice(["", "", " + M[:, 2]",
                                                              " + np.zeros(3)", " + M[0, :1]"]),
                 f"    {acc} = {acc} + np.sum({q} * {q}) + np.sum({P} * {G}) * 0.1"]
        self.lines += ["    " + ln for ln in lines]
        return f"{ret} + 0.1 * {acc} * M[0, 1]"

    # ------------------------------------------------ a loop on floats, stepped
    def float_loop(self, ret, params):
        """``ret`` plus, in about 15% of programs, a loop on floats in the
        projectile's shape: a state of two floats each updated from the
        other's old value (``optimise/restores.py``: the reverse sweep reads
        the old value the tuple brought back), a number made by a call, ``/``
        or ``**`` read twice in the step (``remat.recomputable`` keeps it in the
        tuple pushed anyway), now and then a term that one side of a branch
        sets to zero (``optimise/branch_zeros.py``) and the sum or mean of a
        number (``defranks(np.sum, (0,), "g")``), all added up over the
        steps.  A stream of its own."""
        r = random.Random(self.seed * 7919 + 29)
        scalars = sorted(self.names("f"))
        if r.random() > 0.15 or not scalars:
            return ret
        s, k = r.choice(scalars), r.choice(scalars)
        a, b, sp, acc = self.fresh("f"), self.fresh("f"), self.fresh("f"), self.fresh("f")
        speed = r.choice([f"np.sqrt({a} * {a} + {b} * {b} + 0.1)",
                          f"({a} * {a} + 1.0) ** 0.5", f"1.0 / (1.0 + {b} * {b})",
                          f"math.exp(-{a} * {a})", f"np.hypot({a}, {b} + 0.5)"])
        lines = [f"{a} = np.tanh({s}) * 0.5", f"{b} = 0.3 + 0.1 * np.tanh({k})",
                 f"{acc} = 0.0", f"for i_f in range({r.choice(['3', '4', '6'])}):",
                 f"    {sp} = {speed}"]
        if r.random() < 0.5:      # the old value of a read after a is changed
            lines += [f"    {a}, {b} = np.tanh({a} + 0.1 * {b} - 0.05 * {sp} * {a}), "
                      f"{b} - 0.1 * {a} - 0.05 * {k} * {sp} * {b}"]
        else:
            lines += [f"    {b} = {b} - 0.1 * {a} - 0.05 * {sp} * {b}",
                      f"    {a} = np.tanh({a} + 0.1 * {b} - 0.05 * {k} * {sp} * {a})"]
        if r.random() < 0.5:
            lines += [f"    if {b} > 0.25:", f"        t_f = 0.5 * {b} * {sp}", "    else:",
                      "        t_f = 0.0", f"    {acc} = {acc} + t_f"]
        lines += [f"    {acc} = {acc} + " + r.choice([f"np.sum({a} * {sp}) * 0.1",
                                                   f"np.mean({b} * {b})",
                                                   f"({a} - 0.2 * i_f) ** 2"])]
        self.lines += ["    " + ln for ln in lines]
        return f"{ret} + 0.1 * {acc} + {a} * {b}"

    # ---------------------------------- a trajectory of floats and its misfit
    def trajectory_misfit(self, ret, params):
        """``ret`` plus, in about 15% of programs, a trajectory of floats kept
        in a list grown by ``append`` and a misfit summed over it, zipped with
        a vector argument or with ``obs``, a list of floats added to
        ``params`` (never differentiated, read element by element only: a
        sequence of numbers behind the guard, ``rank_guesses.
        sequence_candidates``); the list's adjoint is set item by item
        (``optimise/first_writes.py``) and, when the state has a name of its
        own (half of them), computed where the trajectory's reverse loop pops
        it (``optimise/list_fusion.py``).  A stream of its own, so the other
        programs are the ones the seed always gave."""
        r = random.Random(self.seed * 4481 + 17)
        scalars = sorted(self.names("f"))
        vecs = [n for n, t in (("x", "v4"), ("u", "v3")) if n in self.env]
        if r.random() > 0.15 or not scalars or not vecs:
            return ret
        s, v = r.choice(scalars), r.choice(vecs)
        if r.random() < 0.5:
            v = "obs"
            params.append(("obs", "seq"))
        tr, ms = self.fresh("tr"), self.fresh("ms")
        if r.random() < 0.5:
            self.lines += [f"    {tr} = [{s}]", "    for i_t in range(3):",
                           f"        {tr}.append({tr}[-1] * 0.9 + 0.1 * np.sin({s}))"]
        else:
            # the state in a name of its own, appended (the projectile's shape: the
            # misfit's reverse loop is fused into the trajectory's, optimise/list_fusion.py)
            st = self.fresh("st")
            self.lines += [f"    {st} = {s}", f"    {tr} = [{st}]",
                           f"    for i_t in range({r.choice(['3', 'len(' + v + ')'])}):",
                           f"        {st} = {st} * 0.9 + 0.1 * np.sin({s} + {st})",
                           f"        {tr}.append({st})"]
        self.lines += [f"    {ms} = 0.0"]
        if r.random() < 0.5:
            self.lines += [f"    for o_t, e_t in zip({tr}, {v}):",
                           f"        {ms} = {ms} + (o_t - e_t) ** 2"]
        else:
            self.lines += [f"    for i_t in range(len({tr})):",
                           f"        {ms} = {ms} + ({tr}[i_t] - 0.3 * i_t) ** 2"]
        return f"{ret} + {ms} * 0.1"

    # -------------------------------------------------- lists of floats to NumPy
    def list_reduction(self, d):
        """A scalar from a list or tuple of floats given to a NumPy function,
        or None when there is no such list."""
        r = self.r
        lsts = [n for n, v in self.env.items() if v.type == "lst" and v.length > 0]
        if lsts and r.random() < 0.75:
            n = r.choice(lsts)
            return r.choice([f"np.sum(np.sin({n}))", f"np.dot({n}, {n})", f"np.max({n})",
                             f"np.linalg.norm({n})", f"np.mean(np.square({n}))",
                             f"np.prod(np.tanh({n}))", f"np.sum(np.maximum({n}, 0.1))",
                             f"np.sum(np.cumsum({n}))", f"np.std({n})",
                             f"scipy.special.logsumexp({n})",
                             f"np.sum(np.multiply({n}, {self.scalar_leaf()}))"])
        a, b = self.scalar(d + 1), self.scalar_leaf()
        return r.choice([f"np.sum(np.exp(np.tanh(({a}, {b}))))", f"np.dot(({a}, {b}), ({b}, 0.5))",
                         f"np.prod(np.cos([{a}, {b}]))", f"np.linalg.norm([{a}, {b}, 1.0])"])

    # --------------------------------------------------------------- SciPy calls
    def scipy_scalar(self, d):
        return self.r.choice(SCIPY_SCALAR).format(self.scalar(d + 1))

    def scipy_array(self, t, d):
        form = self.r.choice(SCIPY_ARRAY if t != "m" else SCIPY_ARRAY[:3] + SCIPY_ARRAY[5:])
        return form.format(self.array(t, d + 1))

    def scipy_reduction(self, d):
        t = self.r.choice(("v4", "v3", "m"))
        return self.r.choice(SCIPY_REDUCTION).format(self.array(t, d + 1))

    # ------------------------------------------------------------ lists of arrays
    def array_list_leaf(self, opts):
        """Add ``L[j]`` and ``sum(L)`` (1-d arrays of length 4) to ``opts``."""
        r = self.r
        for n, v in self.env.items():
            if v.type == "alst" and v.length > 0:
                opts.append(r.choice([f"{n}[{r.randint(0, v.length - 1)}]", f"{n}[-1]",
                                      f"sum({n})", f"{n}[0]"]))

    def array_list_result(self, n):
        return self.r.choice([f"np.sum(np.array({n}))", f"sum(np.sum(e_ * e_) for e_ in {n})",
                              f"np.sum([np.sum(np.sin(e_)) for e_ in {n}])"])

    def array_list_stmt(self, indent):
        """Make, grow, read or change a list of arrays."""
        r = self.r
        top = self.block_depth == 0
        c = [n for n, v in self.env.items() if v.type == "alst"]
        k = r.random()
        if not c or k < 0.3:
            n = self.fresh("alst")
            items, owned = [], True
            for _ in range(r.randint(1, 3)):
                named = [m for m, v in self.env.items() if v.type == "v4"]
                if named and r.random() < 0.6:
                    m = r.choice(named)
                    items.append(m)            # the list holds the name's own array
                    owned = owned and self.env[m].owned
                else:
                    items.append(paren(self.array("v4", 1)) + " * 1.0")
            self.emit(indent, f"{n} = [{', '.join(items)}]")
            self.env[n] = _var("alst", owned=owned, length=len(items))
            return
        n = r.choice(c)
        v = self.env[n]
        if k < 0.45 and n not in self.iterating:
            named = [m for m, w in self.env.items() if w.type == "v4"]
            if named and r.random() < 0.5:
                m = r.choice(named)
                self.emit(indent, f"{n}.append({m})")
                v.owned = v.owned and self.env[m].owned
            else:
                self.emit(indent, f"{n}.append({paren(self.array('v4', 1))} * 1.0)")
            if top:
                v.length += 1
            return
        if v.length == 0:
            return False
        j = r.choice([str(r.randint(0, v.length - 1)), "-1", "0"])
        if k < 0.75 and v.owned:
            op = r.choice(["+=", "-=", "*="])
            e = self.value(r.choice(["v4", "f"]), 1)
            if op == "*=":
                e = f"(1.0 + 0.3 * np.tanh({e}))"
            self.emit(indent, f"{n}[{j}] {op} {e}")
            return
        if k < 0.85:
            e = self.array("v4", 1)
            self.emit(indent, f"{n}[{j}] = {e}")
            v.owned = v.owned and self.fresh_expr(e)
            return
        w = self.fresh("v4")
        self.emit(indent, f"{w} = {n}[{j}]")          # a second name for the element
        self.env[w] = _var("v4", owned=v.owned)


class ComplexGrammar:
    """Complex values made from real ones and read back as real ones."""

    def complex_scalar(self, d):
        """A real scalar through complex intermediate values."""
        r = self.rc
        a, b = self.scalar(d + 1), self.scalar_leaf()
        return r.choice([f"np.real(np.exp(1j * {a}) * ({b} + 0.5j))",
                         f"np.abs({a} + 1j * (1.2 + {b} * {b}))",
                         f"np.imag(({a} + 0.5j) ** 2)",
                         f"np.angle(1.5 + 0.2 * {a} + 0.3j * {b})",
                         f"np.real(np.conj({a} + 2j) * ({b} - 1j))",
                         f"abs(({a} - 0.3j) * ({b} + 1.1j))",
                         f"np.sum(np.abs(np.fft.fft({self.array('v4', d + 1)})) ** 2)",
                         f"np.real(np.sum(np.fft.fft({self.array('v4', d + 1)}) * (0.5 - 1j)))",
                         f"np.sum(np.abs(np.fft.rfft({self.array('v4', d + 1)})))",
                         f"np.sum(np.abs(np.linalg.eigvals({self.array('m', d + 1)}[:, :3] "
                         f"+ 2.0 * np.eye(3))))",
                         f"np.real(np.einsum({self.array('v4', d + 1)}, [0], "
                         f"np.exp(1j * {self.array('v4', d + 1)}), [0], []))",
                         f"({a}) * len({{k_ % 2 for k_ in range(3)}})"])

    def complex_array(self, d):
        """A real array of length 4 through complex intermediate values."""
        r = self.rc
        a = self.array("v4", d + 1)
        return r.choice([f"np.real(np.fft.ifft(np.fft.fft({a}) * {self.array('v4', d + 1)}))",
                         f"np.fft.irfft(np.fft.rfft({a}) * (0.5 + 0.2j), n=4)",
                         f"np.abs({a} * 1j + {self.array('v4', d + 1)} + 0.3j)",
                         f"np.imag(np.exp(1j * {a}))",
                         f"np.real(np.fft.fftshift(np.fft.fft({a})))"])

    def complex_leaf(self, opts):
        """Add reads of complex names (as real scalars) to ``opts``."""
        r = self.rc
        for n, v in self.env.items():
            if v.type == "c":
                opts.append(r.choice([f"np.real({n})", f"np.abs({n})", f"{n}.imag",
                                      f"np.angle(1.5 + 0.1 * {n})", f"{n}.real"]))
            elif v.type == "cv":
                opts.append(r.choice([f"np.abs({n}[{r.randint(0, 3)}])",
                                      f"np.real(np.sum({n} * (1.0 - 0.5j)))",
                                      f"np.sum(np.abs({n}) ** 2) * 0.1", f"{n}[-1].imag",
                                      f"np.sum(np.fft.ifft({n}).real)"]))

    def complex_stmt(self, indent):
        """Make or change a complex scalar or array."""
        r = self.rc
        cs = [n for n, v in self.env.items() if v.type == "c"]
        cvs = [n for n, v in self.env.items() if v.type == "cv" and v.owned]
        k = r.random()
        if k < 0.3 or not (cs or cvs):
            if r.random() < 0.5:
                n = self.fresh("c")
                a, b = self.scalar(1), self.scalar(1)
                e = r.choice([f"{a} + 1j * {b}", f"np.exp(1j * {a}) * (1.5 + {b})",
                              f"({a} + 0.5j) ** 2", f"{a} * (0.6 - 0.8j)"])
                self.emit(indent, f"{n} = {e}")
                self.env[n] = _var("c")
            else:
                n = self.fresh("cv")
                a = self.array("v4", 1)
                e = r.choice([f"np.fft.fft({a})", f"{a} * np.exp(1j * {self.array('v4', 1)})",
                              f"np.zeros(4, dtype=complex) + {a}", f"{a} + 1j * {a} ** 2"])
                self.emit(indent, f"{n} = {e}")
                self.env[n] = _var("cv")
            return
        if cs and (not cvs or r.random() < 0.5):
            n = r.choice(cs)
            s = self.scalar(1)
            self.emit(indent, r.choice([f"{n} = {n} * (0.9 + 0.1j * np.tanh({s}))",
                                        f"{n} += {s} * 1j", f"{n} = np.conj({n}) * 0.8 + {s}",
                                        f"{n} = {n} * {n} * 0.5 + 0.3j"]))
            return
        n = r.choice(cvs)
        k = r.random()
        if k < 0.3:
            self.emit(indent, f"{n}[{r.randint(0, 3)}] = {self.scalar(1)} * (1.0 + 0.5j)")
        elif k < 0.6 and cs:
            self.emit(indent, f"{n}[{r.randint(0, 3)}] += {r.choice(cs)}")
        elif k < 0.8:
            self.emit(indent, f"{n} = np.fft.ifft({n} * {self.array('v4', 1)})")
        else:
            self.emit(indent, f"{n} = {n} * (1.0 + 0.2 * np.tanh({self.array('v4', 1)}))")


REPLACE_IMPORT = "from dataclasses import replace as dc_replace\n"


class ObjectGrammar:
    """Objects made in the function whose attributes are assigned: ``st.w =
    ...``, ``st.v += ...``, ``setattr``, two names for one object (``q = st;
    q.w = ...``: refused while ``st`` is still used), a helper that
    assigns the attributes of the object it is given, and
    ``dataclasses.replace``.  Drawn from a random
    stream of its own (``self.ro``): the programs of seeds that never take
    this branch are unchanged."""

    def object_stmt(self, indent):
        r = self.ro
        dcs = [n for n, v in self.env.items() if v.type == "dc" and n not in self.frozen]
        if not dcs or r.random() < 0.15:
            n = self.fresh("dc")
            self.emit(indent, f"{n} = S({self.scalar(1)}, {paren(self.array('v4', 1))} * 1.0)")
            self.env[n] = _var("dc")
            dcs = [n]
        st = r.choice(dcs)
        k = r.random()
        s = self.scalar(1)
        if k < 0.4:
            self.emit(indent, r.choice([
                f"{st}.w = {s}", f"{st}.w += {s}", f"{st}.w *= (1.0 + 0.3 * np.tanh({s}))",
                f"{st}.v = {paren(self.array('v4', 1))} * 1.0", f"{st}.v += {s}",
                f"{st}.v = {st}.v * np.tanh({s})", f"setattr({st}, 'w', {st}.w * 0.5 + {s})",
                f"{st}.w, {st}.v = {st}.v[{r.randint(0, 3)}] * 0.5, {st}.v + {st}.w"]))
        elif k < 0.5:
            q = self.fresh("dc")
            self.emit(indent, f"{q} = {st}")
            self.emit(indent, f"{q}.w = {s}")
            self.env[q] = _var("dc")
        elif k < 0.65:
            name = f"mobj{len(self.helpers)}"
            self.helpers.append(
                f"def {name}(st, k):\n"
                f"    st.w = st.w * 0.5 + np.sin(k)\n"
                f"    st.v = st.v * (1.0 + 0.1 * st.w)\n"
                f"    if k > 0.3:\n"
                f"        st.w += k * k\n"
                f"    return st.w * 0.5\n")
            if r.random() < 0.5:
                self.emit(indent, f"{name}({st}, {s})")
            else:
                f = self.fresh("f")
                self.emit(indent, f"{f} = {name}({st}, {s})")
                self.env[f] = _var("f")
        elif k < 0.8:
            if REPLACE_IMPORT not in self.helpers:
                self.helpers.append(REPLACE_IMPORT)
            n = r.choice([st, self.fresh("dc")])
            self.emit(indent, r.choice([f"{n} = dc_replace({st}, w={s})",
                                        f"{n} = dc_replace({st}, v={st}.v * {s}, w={st}.w)",
                                        f"{n} = dc_replace({st})"]))
            self.env[n] = _var("dc")
            if r.random() < 0.5:
                self.emit(indent, f"{n}.w = {n}.w * {st}.w")
        else:
            n = self.fresh("dc")
            self.emit(indent, f"{n} = S({st}.w * 0.5, {st}.v * 1.0)")
            self.emit(indent, f"{n}.v[{r.randint(0, 3)}] = {s}" if r.random() < 0.1
                      else f"{n}.w -= {st}.w * {s}")
            self.env[n] = _var("dc")


def _var(t, **kw):
    from tests.fuzz.gen import Var
    return Var(t, **kw)


def paren(e):
    from tests.fuzz.gen import paren as p
    return p(e)
