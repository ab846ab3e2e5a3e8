"""The parameter declaration and its validation: clear errors for every kind of bad input."""

import math

import numpy as np
import pytest

from dormancy_widgets.models.params import Param, Preset, batch_shape, param_table, validate, validate_time

PARAMS = {
    "r": Param("r", 0.5, 0.0, 2.0, unit="/day", label="r, growth rate", doc="rate"),
    "K": Param("K", 1e6, 1e3, 1e9, unit="cells", label="K, capacity", log=True),
    "n": Param("n", 10, 1, 100, unit="cells", label="n, cells", integer=True),
    "law": Param("law", "a", choices=("a", "b")),
}


def test_defaults_are_filled_in():
    v = validate(PARAMS, {})
    assert float(v["r"]) == 0.5 and float(v["K"]) == 1e6 and v["law"] == "a"


@pytest.mark.parametrize(
    "name, value, fragment",
    [
        ("r", float("nan"), "r = nan"),
        ("r", math.inf, "r = infinity"),
        ("r", -0.1, "from 0 to 2 /day"),
        ("r", 2.5, "r = 2.5"),
        ("K", [1e4, 1e10], "at index (1,)"),
        ("r", "fast", "r = 'fast'"),
        ("r", True, "r = True"),
        ("r", None, "r = None"),
        ("r", [[0.1], [0.2, 0.3]], "rectangular array"),
        ("r", np.array([], dtype=float), "empty array"),
        ("r", np.array(["x"]), "dtype"),
        ("n", 2.5, "whole number"),
        ("law", "c", "one of 'a', 'b'"),
        ("law", 3, "one of"),
    ],
)
def test_bad_values_raise_naming_the_parameter(name, value, fragment):
    with pytest.raises(ValueError) as err:
        validate(PARAMS, {name: value})
    msg = str(err.value)
    assert msg.startswith(name + " ")
    assert fragment in msg


def test_unknown_parameter_lists_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown parameter 'q'.*r, K, n, law"):
        validate(PARAMS, {"q": 1})


def test_shapes_must_broadcast():
    with pytest.raises(ValueError, match="K has shape"):
        validate(PARAMS, {"r": np.full(3, 0.1), "K": np.full(4, 1e4)})
    v = validate(PARAMS, {"r": np.full((3, 1), 0.1), "K": np.full(4, 1e4)})
    assert batch_shape(v) == (3, 4)


def test_validate_time():
    assert validate_time(5.0).shape == (1,)
    for bad in ([0, 2, 1], [0, np.nan], [-1, 0], [[0, 1]], []):
        with pytest.raises(ValueError, match="t "):
            validate_time(bad)


def test_param_declaration_rejects_inconsistent_defaults():
    with pytest.raises(ValueError):
        Param("x", 5.0, 0.0, 1.0)
    with pytest.raises(ValueError):
        Param("x", 1.0, 0.0, 2.0, log=True)
    with pytest.raises(ValueError):
        Param("x", "c", choices=("a", "b"))


def test_param_table_rows():
    rows = param_table(PARAMS)
    assert [r["symbol"] for r in rows] == list(PARAMS)
    assert rows[1]["range"].endswith("(log)")
    assert Preset({"r": 1.0}, "cite").citation == "cite"
