"""The shape of generated code: what a careful person would write by hand."""

import re
import textwrap

import srcgrad

from tests import programs as p


def primary(df):
    """The first generated function (the one srcgrad returns)."""
    return srcgrad.source(df).split("\n\n\n")[0].strip() + "\n"


def test_straight_line():
    assert primary(srcgrad.grad(p.golden, wrt=(0, 1))) == textwrap.dedent('''\
        def d_golden(x, y):
            if ((type(x) is not float and type(x) is not float64) or
                    (type(y) is not float and type(y) is not float64)):
                return d_golden_generic(x, y)
            d_out = 1.0
            # line 24: return a + b
            d_a = d_out
            d_b = d_out
            # line 23: b = np.sin(x)
            d_x = d_b * np.cos(x)
            # line 22: a = x * y
            d_x = d_x + d_a * y
            d_y = d_a * x
            return (d_x, d_y)
        ''')


def test_generic_version_has_no_shape_helpers_when_the_result_proves_scalar():
    generic = srcgrad.source(srcgrad.grad(p.golden, wrt=(0, 1))).split("\n\n\n")[1]
    assert "unbroadcast" not in generic and "check_scalar(out)" in generic


def test_loop():
    assert primary(srcgrad.grad(p.for_range, wrt=0)) == textwrap.dedent('''\
        def d_for_range(x, n):
            if type(x) is not float and type(x) is not float64:
                return d_for_range_generic(x, n)
            d_out = 1.0
            # line 149: return s
            d_s = d_out
            d_x = 0.0
            for i in reversed(range(n)):
                # line 148: s = s + x ** i / (i + 1)
                d_x = d_x + d_s / (i + 1) * i * x ** (i - 1 + (i == 0) * (x == 0))
            if type(d_x) is not float:
                d_x = like_argument(d_x, x, 'x')
            return d_x
        ''')


def test_branch():
    assert primary(srcgrad.grad(p.branch)) == textwrap.dedent('''\
        def d_branch(x):
            if type(x) is not float and type(x) is not float64:
                return d_branch_generic(x)
            cond = x > 1.0
            if cond:
                y = x * x
            else:
                cond_1 = x > 0.0
                if cond_1:
                    y = np.sin(x)
                else:
                    y = x * -3.0
            # line 112: return y * x
            d_y = x
            d_x = y
            if cond:
                # line 107: y = x * x
                d_x = d_x + 2.0 * (d_y * x)
            elif cond_1:
                # line 109: y = np.sin(x)
                d_x = d_x + d_y * np.cos(x)
            else:
                # line 111: y = -x * 3.0
                d_x = d_x - d_y * 3.0
            return d_x
        ''')


def test_no_tape_without_loops_and_no_dead_forward_code():
    text = srcgrad.source(srcgrad.grad(p.long_function, wrt=(0, 1, 2)))
    first = text.split("\n\n\n")[0]
    assert "tape" in first        # the one loop in it needs its branch decisions
    # the result itself is not needed for the gradient
    assert not re.search(r"^\s+out = ", first, re.M)
