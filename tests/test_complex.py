"""Complex numbers (docs/complex.md): JAX's convention, every complex-capable
rule against central finite differences in the real and the imaginary
directions, np.fft, and the refusals.

For a real ``L`` of complex ``z = x + iy`` the gradient is
``dL/dx - 1j * dL/dy``; for a holomorphic ``f``, ``vjp(f)(z, 1.0)`` and
``jvp(f)(z, 1.0)`` give ``f'(z)``.  Real arguments get real derivatives,
also through complex intermediate values (an FFT of real data), and those
are checked in every mode, second order included (``tests.modes``).
"""

import numpy as np
import pytest

import srcgrad
from srcgrad.rules.registry import complex_rule, lookup
from tests.complex_programs import (fft_variants, irfft_variants, lowpass, phase_rotation,
                                     sampled_frequencies, spectrum_energy)
from tests.modes import assert_sound

R = np.random.default_rng(7)
Z = R.uniform(0.3, 0.9, 4) + 1j * R.uniform(-0.6, 0.6, 4)
C = R.uniform(-1, 1, 4) + 1j * R.uniform(-1, 1, 4)      # complex weights
W = R.uniform(0.5, 1.5, 4)                              # real weights
X = R.uniform(-1, 1, 8)


def fd_complex(f, z, h=1e-6):
    """``dL/dx - 1j dL/dy`` of real ``f`` at complex ``z`` by central differences."""
    z = np.asarray(z, dtype=complex)
    g = np.zeros_like(z)
    for i in range(z.size):
        e = np.zeros_like(z)
        e.flat[i] = h
        dx = (f(z + e) - f(z - e)) / (2 * h)
        dy = (f(z + 1j * e) - f(z - 1j * e)) / (2 * h)
        g.flat[i] = dx - 1j * dy
    return g


def check_complex(f, z, tol=1e-6):
    """grad against finite differences; jvp against the directional
    difference along a complex direction; vjp(1.0) is grad."""
    g = srcgrad.grad(f)(z)
    assert np.iscomplexobj(g) and np.shape(g) == np.shape(z)
    ref = fd_complex(f, z)
    assert np.allclose(g, ref, rtol=tol, atol=tol), (f.__name__, g, ref)
    v = (R.uniform(-1, 1, np.shape(z)) + 1j * R.uniform(-1, 1, np.shape(z))) if np.ndim(z) \
        else 0.4 - 0.7j
    h = 1e-6
    want = (f(z + h * v) - f(z - h * v)) / (2 * h)
    value, t = srcgrad.jvp(f)(z, v)
    assert np.isclose(value, f(z)) and np.isclose(t, want, rtol=tol, atol=tol), (f.__name__, t, want)
    assert np.isclose(np.real(np.sum(g * v)), want, rtol=tol, atol=tol)
    assert np.allclose(srcgrad.vjp(f)(z, 1.0)[1], g)


# -- elementwise: holomorphic ones through a complex weight, the others directly ----------

HOLOMORPHIC = [np.negative, np.positive, np.square, np.sqrt, np.reciprocal, np.exp, np.exp2,
               np.expm1, np.log, np.log2, np.log10, np.log1p, np.sin, np.cos, np.tan, np.arcsin,
               np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh,
               np.arctanh, np.conjugate]


@pytest.mark.parametrize("prim", HOLOMORPHIC, ids=lambda p: p.__name__)
def test_elementwise(prim):
    global PRIM
    PRIM = prim
    srcgrad.clear_cache()                # the generated code read PRIM as a constant
    check_complex(weighted, Z)
    check_complex(weighted, Z[0])


PRIM = np.sin


def weighted(z):
    return np.real(np.sum(PRIM(z) * C))


def test_every_complex_elementwise_rule_is_tested():
    tested = set(HOLOMORPHIC) | {np.abs, np.real, np.imag, np.angle, np.add, np.subtract,
                                 np.multiply, np.divide, np.true_divide, np.power, np.where,
                                 np.matmul}
    for fun in dir(np):
        obj = getattr(np, fun)
        rule = lookup(obj) if isinstance(obj, np.ufunc) else None
        if rule is not None and rule.differentiable and complex_rule(rule) is not None:
            assert obj in tested, f"np.{fun} has a complex rule and no test here"


def abs_squared(z):
    return np.sum(np.abs(z) ** 2 * W)


def builtin_abs(z):
    return abs(z) * 2.0


def real_imag(z):
    return np.sum(np.real(z) * W + np.imag(z) ** 2 + z.real * z.imag)


def angle_(z):
    return np.sum(np.angle(z) * W) + np.angle(z[0], deg=True)


def conj_(z):
    return np.real(np.sum(np.conj(z) * C + z.conj() * z))


@pytest.mark.parametrize("f", [abs_squared, real_imag, angle_, conj_], ids=lambda f: f.__name__)
def test_not_holomorphic(f):
    check_complex(f, Z)


def test_builtin_abs_of_a_complex_scalar():
    check_complex(builtin_abs, 0.3 - 0.4j)
    assert srcgrad.grad(builtin_abs)(0.3 - 0.4j) == pytest.approx(2 * (0.3 + 0.4j) / 0.5)


def binary(z):
    w = z[::-1]
    return np.real(np.sum((z * w + z / (w + 2.0) - np.power(z, 2.5) + z ** w) * C)) + \
        np.real(np.sum(np.where(W > 1.0, z, w) * C))


def test_arithmetic_and_where():
    check_complex(binary, Z)


def reductions(z):
    m = np.reshape(z, (2, 2))
    return np.real(np.sum(m, axis=0) @ C[:2]) + np.real(np.mean(z * C)) + \
        np.abs(np.prod(z)) + np.real(np.sum(np.cumsum(z) * C)) + np.real(np.trace(m) * 1j)


def products(z):
    m = np.reshape(z, (2, 2))
    a = np.array([[1.0, 0.5], [0.2, 2.0]])
    s = np.linalg.solve(m + 3.0 * np.eye(2), C[:2])
    return np.real(np.sum((m @ a) * C.reshape(2, 2)) + np.dot(z, C) + np.inner(z, z) +
                   np.sum(np.outer(z, C)) + np.einsum("i,i->", z, C) + np.sum(s * C[2:]) +
                   np.linalg.det(m) + np.sum(np.linalg.inv(m + 3.0 * np.eye(2))) +
                   np.sum(np.kron(m, a)) + np.tensordot(m, a, 2))


def structure(z):
    m = np.reshape(z, (2, 2))
    parts = np.split(z, 2)
    stacked = np.concatenate([np.flip(z), np.roll(z, 1), np.tile(z[:2], 2)])
    return np.real(np.sum(np.transpose(m) * C.reshape(2, 2)) + np.sum(stacked * np.tile(C, 3)) +
                   np.sum(np.stack(parts) * C.reshape(2, 2)) + np.sum(np.triu(m) * 1j) +
                   np.sum(np.diag(m) * C[:2]) + np.sum(np.take(z, [0, 2]) ** 2) +
                   np.sum(np.expand_dims(z, 0) * C) + np.sum(np.repeat(z, 2) * 1j) +
                   np.sum(np.ravel(m) * C) + np.sum(np.swapaxes(m, 0, 1) * C.reshape(2, 2)))


def indexing(z):
    y = np.zeros(6, dtype=complex)
    y[1:5] = z * C
    y[0] = z[2] ** 2
    total = 0.0
    for k in range(4):
        total = total + np.abs(y[k] + y[k + 1]) ** 2
    return total + np.real(np.sum(y[np.array([5, 1, 1])]))


@pytest.mark.parametrize("f", [reductions, products, structure, indexing],
                         ids=lambda f: f.__name__)
def test_arrays(f):
    check_complex(f, Z)


# -- holomorphic functions: f'(z) from vjp and jvp ----------------------------------------

def entire(z):
    return np.sin(z) * z ** 2 + np.exp(z / 3.0)


def test_holomorphic_derivative():
    z = 0.7 + 0.4j
    want = np.cos(z) * z ** 2 + 2 * z * np.sin(z) + np.exp(z / 3.0) / 3.0
    assert np.isclose(srcgrad.vjp(entire)(z, 1.0)[1], want)
    assert np.isclose(srcgrad.jvp(entire)(z, 1.0)[1], want)
    zs = np.array([0.7 + 0.4j, -0.2 + 1.1j])
    assert np.allclose(srcgrad.vjp(entire)(zs, np.ones(2))[1], np.cos(zs) * zs ** 2 +
                       2 * zs * np.sin(zs) + np.exp(zs / 3.0) / 3.0)


# -- real arguments through complex values: every mode, second order too ------------------


@pytest.mark.parametrize("f", [spectrum_energy, lowpass, phase_rotation, fft_variants,
                               irfft_variants], ids=lambda f: f.__name__)
def test_real_arguments_through_complex_values(f):
    assert_sound(f, (X,))
    g = srcgrad.grad(f)(X)
    assert g.dtype == np.float64


def fft_of_complex(z):
    zz = np.concatenate([z, z * 1j])
    return np.sum(np.abs(np.fft.fft(zz)) ** 2 * np.arange(8.0)) + \
        np.sum(np.fft.irfft(np.fft.ifft(zz)[:5]) * np.arange(8.0)) + \
        np.real(np.sum(np.fft.fftn(zz.reshape(2, 4), s=(3, 4), axes=(0, 1)) * 1j)) + \
        np.sum(np.fft.irfftn(zz.reshape(2, 4), s=(2, 6), axes=(0, 1)) ** 2)


def test_fft_of_complex_data():
    check_complex(fft_of_complex, Z, tol=1e-5)


# -- second order with respect to complex arguments ---------------------------------------
# The gradient of a real L(z) is the map z -> dL/dx - 1j dL/dy; its derivative along a
# complex direction v (a step of Re v in x and Im v in y) is the Hessian of L in (x, y)
# applied to (Re v, Im v), in the same convention: hvp(L)(z, v) = (Hv)_x - 1j (Hv)_y.

def quartic(z):
    return np.sum(np.abs(z) ** 4)


def mixed_parts(z):
    return np.sum(np.real(z * z * np.conj(z)) * W) + np.sum(np.sin(np.abs(z))) + \
        np.sum(np.imag(z) ** 3 * np.real(z))


def through_exp(z):
    return np.sum(np.abs(np.exp(z * C)) ** 2) + np.real(np.sum(np.log(z) * C))


def through_angle(z):
    return np.sum(np.angle(z) ** 2 * np.abs(z))


def complex_loop(z):
    s = 0.0
    for k in range(3):
        s = s + np.sum(np.abs(z * (k + 1.0j)) ** 2 * W) * np.real(z[k])
    return s


def spectrum_of_complex(z):
    return np.sum(np.abs(np.fft.fft(z * C)) ** 2 * W)


SECOND_ORDER = [abs_squared, quartic, mixed_parts, through_exp, through_angle, complex_loop,
                spectrum_of_complex]
V = R.uniform(-1, 1, 4) + 1j * R.uniform(-1, 1, 4)


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_hessian_vector_product_of_a_complex_argument(f):
    g = srcgrad.grad(f)
    h = 1e-6
    want = (g(Z + h * V) - g(Z - h * V)) / (2 * h)
    hv = srcgrad.hvp(f)(Z, V)
    assert hv.dtype == complex and np.allclose(hv, want, rtol=1e-6, atol=1e-6), (hv, want)
    value, tangent = srcgrad.jvp(g)(Z, V)                  # the gradient and Hv together
    assert np.allclose(value, g(Z), rtol=1e-12) and np.allclose(tangent, hv, rtol=1e-10)
    # the exact Hessian in (x, y): u . H v == v . H u (in the convention's encoding)
    u = R.uniform(-1, 1, 4) + 1j * R.uniform(-1, 1, 4)
    hu = srcgrad.hvp(f)(Z, u)
    assert np.isclose(np.sum(np.real(hv * u)), np.sum(np.real(hu * V)))


@pytest.mark.parametrize("f", SECOND_ORDER, ids=lambda f: f.__name__)
def test_reverse_over_reverse_of_a_complex_argument(f):
    """vjp of the (complex) gradient with cotangent c is the gradient of the
    real Re(c * grad(f)(z)), against finite differences."""
    g = srcgrad.grad(f)
    c = 0.3 - 0.8j
    got = srcgrad.vjp(g)(Z, c * np.ones(4))[1]
    want = fd_complex(lambda z: np.real(np.sum(c * g(z))), Z)
    assert np.allclose(got, want, rtol=1e-5, atol=1e-5), (got, want)


def test_second_order_of_a_complex_scalar():
    def quartic_scalar(z):
        return np.abs(z) ** 4 + np.real(z) * np.imag(z)
    z, v = 0.6 - 0.3j, 0.3 + 0.8j
    g = srcgrad.grad(local_quartic_scalar)
    want = (g(z + 1e-6 * v) - g(z - 1e-6 * v)) / 2e-6
    assert np.isclose(srcgrad.hvp(local_quartic_scalar)(z, v), want)
    del quartic_scalar


def local_quartic_scalar(z):
    return np.abs(z) ** 4 + np.real(z) * np.imag(z)


def real_part_of_a_gradient(z):
    return np.real(srcgrad.grad(local_quartic_scalar)(z))


def test_a_gradient_called_at_a_complex_value_inside_differentiated_code_is_refused():
    """The inlined gradient is its version for real arguments: at a complex
    value it would give a wrong derivative (it did before the refusal)."""
    with pytest.raises(srcgrad.UnsupportedError, match="called with a complex 'z'"):
        srcgrad.grad(real_part_of_a_gradient)(0.6 - 0.3j)
    # real values through the same code are differentiated
    x = 0.6
    d = srcgrad.grad(real_part_of_a_gradient)(x)
    assert np.isclose(d, (real_part_of_a_gradient(x + 1e-6) - real_part_of_a_gradient(x - 1e-6))
                      / 2e-6)


# -- the generated code ---------------------------------------------------------------

def test_generated_code_reads_like_a_hand_written_adjoint():
    src = srcgrad.source(srcgrad.grad(spectrum_energy))
    assert "np.real(np.fft.fft(" in src and "np.conj(" in src
    assert "fit_axes_dx" not in src          # only where n= cut or padded


def test_real_argument_real_gradient_mixed_with_complex_argument():
    def mixed(z, x):
        return np.sum(np.abs(z * x) ** 2)
    g = srcgrad.grad(local_mixed, wrt=(0, 1))(Z, W)
    assert g[0].dtype == complex and g[1].dtype == np.float64
    assert np.allclose(g[0], fd_complex(lambda z: local_mixed(z, W), Z))
    assert np.allclose(g[1], 2 * np.abs(Z) ** 2 * W)
    del mixed


def local_mixed(z, x):
    return np.sum(np.abs(z * x) ** 2)


# -- refusals --------------------------------------------------------------------------

def maximum_of_complex(z):
    return np.sum(np.abs(np.maximum(z, 0.5)))


def complex_into_real_array(x):
    y = np.zeros(3)
    y[0] = x * 1j
    return np.sum(y)


def rfft_of_complex(z):
    return np.sum(np.abs(np.fft.rfft(z)))


def test_refusals():
    with pytest.raises(srcgrad.UnsupportedError, match="np.maximum is not differentiated for "
                                                       "complex values") as e:
        srcgrad.grad(maximum_of_complex)(Z)
    assert "test_complex.py" in str(e.value)
    with pytest.raises(srcgrad.UnsupportedError, match="a complex value written into a real array"):
        srcgrad.grad(complex_into_real_array)(0.5)
    with pytest.raises(srcgrad.UnsupportedError, match="not differentiated for complex values"):
        srcgrad.grad(rfft_of_complex)(Z)
    with pytest.raises(srcgrad.NonScalarOutputError, match="complex number"):
        srcgrad.grad(entire)(0.5 + 1j)
    with pytest.raises(srcgrad.UnsupportedError, match="complex arguments"):
        srcgrad.hessian(abs_squared)(Z)        # (a complex matrix cannot hold the 2x2 blocks)
    with pytest.raises(srcgrad.UnsupportedError, match="complex arguments"):
        srcgrad.jacobian(entire)(Z)
    # maximum of real data is fine in the same program
    assert np.isfinite(srcgrad.grad(maximum_of_complex)(W)).all()


def test_a_user_rule_for_complex_values():
    def my_cube(z):
        return z * z * z
    srcgrad.defvjp(cube_prim, "z", "g * 3.0 * z * z", kind="elementwise")
    with pytest.raises(srcgrad.UnsupportedError, match="holomorphic"):
        srcgrad.grad(uses_cube)(Z)
    srcgrad.holomorphic(cube_prim)
    srcgrad.clear_cache()
    check_complex(uses_cube, Z)
    del my_cube


def cube_prim(z):
    return z ** 3


def uses_cube(z):
    return np.real(np.sum(cube_prim(z) * C))


def test_the_guide_runs(tmp_path, capsys):
    """Each Python block of docs/complex.md is a complete script; it runs."""
    import pathlib
    import re
    import runpy
    text = (pathlib.Path(__file__).parent.parent / "docs" / "complex.md").read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 2
    for i, code in enumerate(blocks):
        path = tmp_path / f"complex_guide_{i}.py"
        path.write_text(code)
        runpy.run_path(str(path))
    assert "np.fft.rfft" in capsys.readouterr().out


def test_fft_frequencies_depend_on_the_spacing():
    assert_sound(sampled_frequencies, (0.3,))


def complex_in_a_tuple(y):
    a = np.where(1j, y, (4,))          # fuzz seed 296 (shrunk): a complex condition
    t = (0.5, a)
    s3, s4 = t
    return np.sum(s4)


def test_a_complex_value_in_a_tuple():
    assert_sound(complex_in_a_tuple, (0.215,))


# -- np.linalg.eig and eigvals: complex eigenvalues and eigenvectors --------------------

W3 = np.array([0.7, 1.3, -0.4])
REAL_SPECTRUM = np.array([[1.2, 0.3, -0.5], [0.1, 2.1, 0.4], [-0.6, 0.2, 3.4]])
COMPLEX_SPECTRUM = np.array([[0.2, -1.0, 0.3], [1.1, 0.1, -0.2], [0.4, 0.5, 2.0]])


def eig_values(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.real(w) * W3 + np.imag(w) ** 2)


def eig_vectors(a):                    # depends on each eigenvector's phase (LAPACK's)
    w, v = np.linalg.eig(a)
    return np.sum(np.real(v) * W3) + np.sum(np.imag(v) * W3[::-1])


def eig_both(a):
    w, v = np.linalg.eig(a)
    return np.sum(np.abs(v) ** 2 * W3) + np.sum(np.abs(w))


def eigvals_abs(a):
    return np.sum(np.abs(np.linalg.eigvals(a)) * W3)


@pytest.mark.parametrize("f", [eig_values, eig_vectors, eig_both, eigvals_abs],
                         ids=lambda f: f.__name__)
@pytest.mark.parametrize("a", [REAL_SPECTRUM, COMPLEX_SPECTRUM], ids=["real", "complex"])
def test_eig(f, a):
    assert_sound(f, (a,))


def test_eig_of_a_complex_matrix():
    a = COMPLEX_SPECTRUM + 0.3j * REAL_SPECTRUM
    check_complex(eig_values, a, tol=1e-5)
    check_complex(eig_vectors, a, tol=1e-5)


def test_eig_refuses_repeated_eigenvalues():
    with pytest.raises(srcgrad.UnsupportedError, match="eigenvalues are repeated"):
        srcgrad.grad(eig_vectors)(np.eye(3))


# -- every rule that holds for complex values, through test_closure's samples ------------

def _closure_cases():
    import tests.test_closure as TCL
    out = []
    for c in TCL.CASES:
        rules = [lookup(f) for f in c.covers]
        if rules and all(r is not None and r.differentiable and complex_rule(r) is not None
                         for r in rules):
            out.append(c)
    return out


CLOSURE = _closure_cases()
CASE_FUN = None     # the closure sample the functions below differentiate
ARG0 = ARG1 = ARG2 = ARG3 = ARG4 = None
PHASE = 0.7 - 0.4j


def sample_1_0(z):
    return np.real(CASE_FUN(z) * PHASE)


def sample_2_0(z):
    return np.real(CASE_FUN(z, ARG1) * PHASE)


def sample_2_1(z):
    return np.real(CASE_FUN(ARG0, z) * PHASE)


def sample_3_0(z):
    return np.real(CASE_FUN(z, ARG1, ARG2) * PHASE)


def sample_3_1(z):
    return np.real(CASE_FUN(ARG0, z, ARG2) * PHASE)


def sample_3_2(z):
    return np.real(CASE_FUN(ARG0, ARG1, z) * PHASE)


def sample_4_0(z):
    return np.real(CASE_FUN(z, ARG1, ARG2, ARG3) * PHASE)


def sample_4_1(z):
    return np.real(CASE_FUN(ARG0, z, ARG2, ARG3) * PHASE)


def sample_4_2(z):
    return np.real(CASE_FUN(ARG0, ARG1, z, ARG3) * PHASE)


def sample_4_3(z):
    return np.real(CASE_FUN(ARG0, ARG1, ARG2, z) * PHASE)


def sample_5_0(z):
    return np.real(CASE_FUN(z, ARG1, ARG2, ARG3, ARG4) * PHASE)


def sample_5_1(z):
    return np.real(CASE_FUN(ARG0, z, ARG2, ARG3, ARG4) * PHASE)


def sample_5_2(z):
    return np.real(CASE_FUN(ARG0, ARG1, z, ARG3, ARG4) * PHASE)


def sample_5_3(z):
    return np.real(CASE_FUN(ARG0, ARG1, ARG2, z, ARG4) * PHASE)


def sample_5_4(z):
    return np.real(CASE_FUN(ARG0, ARG1, ARG2, ARG3, z) * PHASE)


@pytest.mark.parametrize("case", CLOSURE, ids=lambda c: c.name)
def test_every_complex_rule_against_finite_differences(case):
    global CASE_FUN, ARG0, ARG1, ARG2, ARG3, ARG4
    CASE_FUN = case.fun
    ARG0, ARG1, ARG2, ARG3, ARG4 = (list(case.args) + [None] * 5)[:5]
    case.setup()
    k = case.wrt[0]
    x = case.args[k]
    r = np.random.default_rng(abs(hash(case.name)) % 2 ** 32)
    z = x + 0.2j * (r.uniform(-1, 1, np.shape(x)) if np.ndim(x) else r.uniform(-1, 1))
    if case.name in REAL_DATA:
        pytest.skip(REAL_DATA[case.name])
    check_complex(globals()[f"sample_{len(case.args)}_{k}"], z, tol=1e-5)


#: samples whose function takes real data (their complex rules: DEDICATED)
REAL_DATA = {"irfft_variants": "rfft of its argument: real data only (fft_of_complex covers irfft)"}


#: complex rules tested by the dedicated tests above (fft_of_complex, test_not_holomorphic,
#: test_eig_of_a_complex_matrix, the structure and products functions)
DEDICATED = {np.fft.fft, np.fft.ifft, np.fft.fft2, np.fft.ifft2, np.fft.fftn, np.fft.ifftn,
             np.fft.irfft, np.fft.irfftn, np.fft.irfft2, np.fft.fftshift, np.fft.ifftshift,
             np.linalg.eig, np.linalg.eigvals, np.split, abs, pow, sum}


def test_the_complex_samples_cover_every_complex_rule():
    covered = {f for c in CLOSURE for f in c.covers} | DEDICATED | \
        {srcgrad.runtime.split_dx, srcgrad.runtime.fit_axes_dx}     # (test_helpers_by_hand)
    from srcgrad.rules import all_rules
    missing = [r.name for r in all_rules() if r.differentiable and complex_rule(r) is not None
               and r.fun not in covered and (r.name.split(".")[0] in (
                   "numpy", "scipy", "srcgrad", "_operator", "operator", "builtins", "math")
                   or r.name in ("abs", "pow", "sum"))]
    assert not missing, missing


def split_helper(z):
    whole = srcgrad.runtime.split_dx([z[:2] * C[:2], z[2:] ** 2], np.zeros(4), 0)
    return np.real(np.sum(whole * C))


def fit_helper(z):
    return np.real(np.sum(srcgrad.runtime.fit_axes_dx(z * C, np.zeros(6), (-1,)) ** 2)) + \
        np.real(np.sum(srcgrad.runtime.fit_axes_dx(z, np.zeros(2), (-1,)) * C[:2]))


def test_helpers_by_hand():
    check_complex(split_helper, Z)
    check_complex(fit_helper, Z)


def builtins_of_complex(z):
    return np.real(pow(z[0], 2.5) * C[0] + sum(z * C)) + abs(z[1] * z[2])


def test_builtins_of_complex_values():
    check_complex(builtins_of_complex, Z)


def complex_containers(z):
    L = [z[0], z[1] * 2.0]
    L.append(z[2] ** 2)
    d = {"a": z[3], "b": L[0] * 1j}
    total = 0.0
    for i, e in enumerate(L):
        total = total + e * C[i]
    for k, v in d.items():
        total = total + v * 0.5
    M = list(reversed(L))
    t = tuple(z[:2])
    return np.real(total + M[0] * d.get("a", 1.0) + sum(t) + sum([a * b for a, b in zip(L, t)]))


def test_complex_values_in_lists_dicts_and_loops():
    check_complex(complex_containers, Z)
