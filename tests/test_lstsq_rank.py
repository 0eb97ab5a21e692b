"""``np.linalg.lstsq``'s derivative by rank (issue #14): tall full-rank and
wide full-rank matrices (the minimum-norm solution) are differentiated in
every mode; at a rank-deficient matrix the derivative with respect to ``b``
(the pseudo-inverse lstsq applies) is exact, the one with respect to the
matrix does not exist and is refused clearly (it used to be a raw
LinAlgError, and a wide matrix's Hessian-vector product was wrong)."""

import numpy as np
import pytest

import srcgrad
from tests.modes import assert_sound
from tests.test_embed import _numpy_only_run


def lstsq_sq(a, b):
    return np.sum(np.linalg.lstsq(a, b, rcond=None)[0] ** 2)


def lstsq_weighted(a, b):
    x, res, rank, sv = np.linalg.lstsq(a, b, rcond=None)
    return np.sum(np.sin(x) * np.arange(1.0, 1.0 + x.size).reshape(x.shape))


TALL = np.array([[1.0, 2.0], [0.3, 4.0], [0.5, -1.0]])
WIDE = np.array([[1.0, 2.0, 0.3], [0.2, -1.0, 1.0]])
DEFICIENT = np.array([[1.0, 2.0], [2.0, 4.0], [0.5, 1.0]])          # rank 1
DEFICIENT_WIDE = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])       # rank 1
B3 = np.array([1.0, -1.0, 0.5])
B2 = np.array([1.0, 2.0])


@pytest.mark.parametrize("f", [lstsq_sq, lstsq_weighted])
@pytest.mark.parametrize("a, b", [(TALL, B3), (TALL, np.stack([B3, 2.0 * B3 + 1.0], 1)),
                                  (WIDE, B2), (WIDE, np.stack([B2, B2 - 3.0], 1))],
                         ids=["tall", "tall-matrix", "wide", "wide-matrix"])
@pytest.mark.parametrize("wrt", [0, 1, (0, 1)])
def test_full_rank_in_every_mode(f, a, b, wrt):
    assert_sound(f, (a, b), wrt=wrt)


@pytest.mark.parametrize("a, b", [(DEFICIENT, B3), (DEFICIENT_WIDE, B2)],
                         ids=["tall", "wide"])
def test_rank_deficient_with_respect_to_b_is_exact(a, b):
    assert_sound(lstsq_sq, (a, b), wrt=1)
    assert_sound(lstsq_weighted, (a, b), wrt=1)
    # x = pinv(a) @ b: the gradient is pinv(a).T @ (2 x)
    x = np.linalg.pinv(a) @ b
    np.testing.assert_allclose(srcgrad.grad(lstsq_sq, wrt=1)(a, b),
                               np.linalg.pinv(a).T @ (2.0 * x), rtol=1e-10)


@pytest.mark.parametrize("a, b", [(DEFICIENT, B3), (DEFICIENT_WIDE, B2)],
                         ids=["tall", "wide"])
def test_rank_deficient_with_respect_to_the_matrix_is_refused(a, b):
    message = "np.linalg.lstsq has no derivative with respect to the matrix at a " \
              "rank-deficient matrix \\(rank 1 of 2\\)"
    for make, extra in [(srcgrad.grad, ()), (srcgrad.value_and_grad, ()),
                        (srcgrad.jvp, (np.ones_like(a),)), (srcgrad.hvp, (np.ones_like(a),))]:
        with pytest.raises(srcgrad.UnsupportedError, match=message):
            make(lstsq_sq, wrt=0)(a, b, *extra)
    with pytest.raises(srcgrad.UnsupportedError, match="differentiate with respect to b only"):
        srcgrad.grad(lstsq_sq, wrt=(0, 1))(a, b)
    assert_sound(lstsq_sq, (a, b), wrt=0, expect="refused")


def test_exported_lstsq_gradient_runs_with_numpy_only(tmp_path):
    df = srcgrad.grad(lstsq_sq, wrt=(0, 1))
    (tmp_path / "lstsq_grad.py").write_text(srcgrad.source(df, standalone=True))
    result = _numpy_only_run(tmp_path, f"""
        import numpy as np
        import lstsq_grad as m
        a, b = np.array({WIDE.tolist()}), np.array({B2.tolist()})
        print(repr([np.asarray(v).tolist() for v in m.d_lstsq_sq(a, b)]))
        d = np.array({DEFICIENT.tolist()})
        try:
            m.d_lstsq_sq(d, np.array({B3.tolist()}))
        except Exception as e:
            print(repr(type(e).__name__ + ": " + str(e)))
        """)
    assert result.returncode == 0, result.stderr
    got, refused = [eval(line) for line in result.stdout.split("\n") if line]
    want = df(WIDE, B2)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-12)
    assert "rank-deficient" in refused
