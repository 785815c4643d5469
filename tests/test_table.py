"""The derivative table is checked when it is built: a bad entry stops `import` with a message naming it.

Also: every key is an overload PyTorch has (torch.ops.aten), and the public functions generated from
entries with `api=` are where the entry says.
"""
import importlib
import sys
import textwrap

import numpy as np
import pytest

import refgrad
from refgrad._rule import Table, TableError
from refgrad.derivatives import TABLE

torch = pytest.importorskip("torch")

# Entries that stand for an autograd mechanism rather than an ATen op.
NOT_ATEN = {}


def _mul_entry(table, key="mul.Tensor", **formulas):
    return table.entry(key, "MulBackward0", np.multiply, ("self", "other"),
                       formulas or {"self": lambda grad, other: grad * other,
                                    "other": lambda grad, self: grad * self})


def test_a_correct_entry_builds():
    rule = _mul_entry(Table())
    assert (rule.key, rule.name, rule.uses) == ("mul.Tensor", "mul", (("other",), ("self",)))


def test_misspelled_saved_name():
    with pytest.raises(TableError, match=r"derivative entry 'mul\.Tensor': the formula for 'self' names \['othr'\]"):
        _mul_entry(Table(), self=lambda grad, othr: grad * othr)


def test_formula_for_an_input_the_op_does_not_have():
    with pytest.raises(TableError, match=r"derivative entry 'mul\.Tensor': a backward formula for 'selff', which is "
                                         r"not one of its inputs \['self', 'other'\]"):
        _mul_entry(Table(), selff=lambda grad, other: grad * other)


def test_duplicated_key():
    table = Table()
    _mul_entry(table)
    with pytest.raises(TableError, match=r"derivative entry 'mul\.Tensor' is defined twice"):
        _mul_entry(table)


def test_misspelled_tangent_in_a_jvp_formula():
    with pytest.raises(TableError, match=r"derivative entry 'neg': the jvp formula names \['slef_t'\]"):
        Table().entry("neg", "NegBackward0", np.negative, ("self",), {"self": lambda grad: -grad},
                      jvp=lambda slef_t: -slef_t)


def test_params_come_from_the_forward_signature():
    rule = Table().entry("add.Tensor", "AddBackward0", lambda a, b, alpha=1: a + alpha * b, ("self", "other"),
                         {"other": lambda grad, alpha: grad * alpha})
    assert rule.params == ("alpha",)
    with pytest.raises(TableError, match="its forward takes \\*\\*kwargs: list its params= explicitly"):
        Table().entry("sum", "SumBackward0", lambda a, **kw: a.sum(**kw), ("self",), {"self": lambda grad: grad})


def test_a_bad_entry_fails_at_import(tmp_path, monkeypatch):
    """The check runs while the table module is imported, not at the first backward."""
    (tmp_path / "bad_table.py").write_text(textwrap.dedent("""
        import numpy as np
        from refgrad._rule import Table
        TABLE = Table()
        SIN = TABLE.entry("sin", "SinBackward0", np.sin, ("self",), {"self": lambda grad, sefl: grad * sefl.cos()})
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(TableError, match=r"derivative entry 'sin': the formula for 'self' names \['sefl'\]"):
        importlib.import_module("bad_table")
    sys.modules.pop("bad_table", None)


@pytest.mark.parametrize("key", sorted(TABLE))
def test_key_is_an_aten_overload(key):
    if key in NOT_ATEN:
        pytest.skip(NOT_ATEN[key])
    name, _, overload = key.partition(".")
    assert hasattr(getattr(torch.ops.aten, name), overload or "default"), f"torch.ops.aten has no {key}"


@pytest.mark.parametrize("key", sorted(k for k, r in TABLE.items() if r.api))
def test_generated_public_functions(key):
    """An entry's api says where its generated function appears, and torch has it there too."""
    rule = TABLE[key]
    places = {"function": (refgrad, torch, rule.name), "method": (refgrad.Tensor, torch.Tensor, rule.name),
              "inplace": (refgrad.Tensor, torch.Tensor, rule.name + "_")}
    for where, (ours, theirs, name) in places.items():
        assert hasattr(ours, name) == (where in rule.api), f"refgrad {where} {name}"
        if where in rule.api:
            assert hasattr(theirs, name), f"torch has no {where} {name}"
