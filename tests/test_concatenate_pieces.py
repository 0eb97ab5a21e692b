"""The adjoint of a tuple of arrays concatenated along a constant axis
(``np.concatenate((a, b), axis=1)``, the pieces of known rank) is a tuple of
slices of the result's adjoint, written in the generated code instead of a
``concatenate_dx`` call (``transforms/reverse/adjoints.py``,
``concatenated_pieces``); elsewhere the rule's template applies.  The ranks come from the version
behind the guard ``M.ndim == 2`` (an element read ``M[0, j]`` suggests it).  Every
program is checked in every mode against finite differences."""

import numpy as np
import pytest

import srcgrad
from benchmarks.loop_workloads import det_minors
from tests.modes import assert_sound

RNG = np.random.default_rng(7)
M4 = np.eye(4) + 0.5 * RNG.standard_normal((4, 4))
V6 = RNG.standard_normal(6)


def columns_without(M, j):
    minor = np.concatenate((M[1:, :j], M[1:, j + 1:]), axis=1)
    return np.sum(np.sin(minor) * minor) * M[0, 1]


def rows_three(M):
    t = np.concatenate((M[2:], M[:1] * 2.0, M[1:2]), axis=0)
    return np.sum(t * np.arange(t.size).reshape(t.shape)) + M[1, 1] ** 2


def last_axis(M):
    t = np.concatenate((M[:, :1], np.cos(M[:, 2:])), axis=-1)
    return np.sum(t ** 2) * M[0, 0]


def default_axis(v):
    t = np.concatenate((v[3:], v[:3] * v[:3]))
    return np.sum(t * np.arange(6.0)) * v[1]


def of_a_list(xs):
    # called with a list too (test_a_list_takes_the_generic_version)
    t = np.concatenate((xs[2:], xs[:2]))
    return np.sum(t * np.arange(4.0)) * xs[0]


def four_pieces(v):
    t = np.concatenate((v[:1], v[1:2], v[2:4], v[4:]))
    return np.sum(t * t * np.arange(6.0)) * v[0]


def reused_tuple(M):
    pair = (M[:, :2], M[:, 2:])
    t = np.concatenate(pair, axis=1)
    u = np.concatenate(pair, axis=0)
    return np.sum(t * t) + np.sum(np.sin(u)) * M[2, 3]


def complex_after(M):
    # the concatenation is real; a complex factor follows (its real part is
    # taken of the concatenation's adjoint, an array, before it is sliced)
    t = (M[:, :1], M[:, 2:] * 2.0)
    y = np.concatenate(t, axis=1) * (1.0 + 0.5j)
    return np.sum(np.abs(y) ** 2) * M[0, 1]


def complex_pieces(M):
    # complex pieces: the rule's template (concatenate_dx) applies
    t = (M[:, :1] * 1j, M[:, 2:] * 2.0)
    y = np.concatenate(t, axis=1)
    return np.sum(np.abs(y) ** 2) * M[0, 1]


def first_version(df):
    return srcgrad.source(df).split("\n\n\n")[0]


@pytest.mark.parametrize("f, args, pieces", [
    (det_minors, (M4,), True),
    (columns_without, (M4, 2), True),
    (columns_without, (M4, 0), True),
    (rows_three, (M4,), True),
    (last_axis, (M4,), True),
    (default_axis, (V6,), True),
    (reused_tuple, (M4,), False),
    (of_a_list, (np.array([0.5, -1.0, 2.0, 0.25]),), True),
    (four_pieces, (V6,), False),
    (complex_after, (M4,), True),
    (complex_pieces, (M4,), False),
])
def test_sound_and_sliced_where_the_pieces_are_known(f, args, pieces):
    # (concatenate_dx of complex pieces has no second-order rule: hvp refuses)
    outcomes = assert_sound(f, args, wrt=0, expect="ok-or-refused")
    assert [o.mode for o in outcomes if o.status != "ok"] == \
        (["hvp"] if f is complex_pieces else []), outcomes
    text = first_version(srcgrad.grad(f, wrt=0))
    assert ("concatenate_dx" not in text) == pieces, text
    if pieces:
        assert ".shape[" in text


def test_generated_slices_read_like_the_hand_adjoint():
    text = first_version(srcgrad.grad(columns_without, wrt=0))
    assert "d_minor_1 = (d_minor[:, :minor_1[0].shape[1]], d_minor[:, minor_1[0].shape[1]:])" \
        in text.replace("minor_3", "minor_1"), text


def test_the_generic_version_keeps_the_helper():
    # nothing is known about the ranks there (a list, an array of any rank)
    generic = srcgrad.source(srcgrad.grad(columns_without, wrt=0)).split("\n\n\n")[1]
    assert "concatenate_dx" in generic


def test_a_list_takes_the_generic_version():
    # the slices of a list have no .shape: the guard (xs.ndim == 1) sends a
    # list to the generic version, which calls concatenate_dx
    df = srcgrad.grad(of_a_list)
    xs = [0.5, -1.0, 2.0, 0.25]
    # f = (x3 + 2 x0 + 3 x1) x0
    expected = [xs[3] + 4 * xs[0] + 3 * xs[1], 3 * xs[0], 0.0, xs[0]]
    assert np.allclose(df(xs), expected) and np.allclose(df(np.array(xs)), expected)
