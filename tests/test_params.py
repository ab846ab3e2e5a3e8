"""The parameter declaration and its validation: clear errors for every kind of bad input."""

import math

import numpy as np
import pytest

from dormancy_widgets.models import MECHANISMS, mechanism
from dormancy_widgets.models.params import (
    Param,
    Preset,
    batch_shape,
    declare,
    from_defaults,
    param_table,
    rng,
    validate,
    validate_seed,
    validate_time,
)

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


BAD_TIMES = [
    [0, 2, 1],
    [0, np.nan],
    [0, np.inf],
    [-1, 0],
    [[0, 1]],
    [],
    ["0", "1"],
    np.array(["0", "1"]),
    "5",
    [0, 1 + 0j],
    np.array([0.0, 1.0], dtype=complex),
    [[0, 1], [2]],
    None,
    True,
    [True, False],
]


def test_validate_time():
    assert validate_time(5.0).shape == (1,)
    assert validate_time([0, 0, 2]).tolist() == [0.0, 0.0, 2.0]  # repeated times are allowed
    for bad in BAD_TIMES:
        with pytest.raises(ValueError, match=r"^t "):
            validate_time(bad)


BAD_SEEDS = ["abc", -1, 1.5, float("nan"), True, [1, 2], 2.0]


def test_validate_seed_and_rng():
    for good in (None, 0, 7, np.int64(3), 2**40, np.random.SeedSequence(1)):
        assert validate_seed(good) is good
        assert isinstance(rng(good), np.random.Generator)
    g = np.random.default_rng(1)
    assert rng(g) is g  # a stream is shared, not re-seeded
    assert rng(5).random() == np.random.default_rng(5).random()
    for bad in BAD_SEEDS:
        with pytest.raises(ValueError, match=r"^seed = .* is not allowed"):
            validate_seed(bad)
        with pytest.raises(ValueError, match=r"^seed "):
            rng(bad)


@pytest.mark.parametrize("name", sorted(MECHANISMS))
def test_every_model_names_t_and_seed_and_categorical_ragged_lists(name):
    """Bad times, bad seeds and ragged categorical lists raise ValueError naming the argument,
    in every mechanism (stochastic ones would otherwise fail inside numpy's bit generator)."""
    model = mechanism(name)
    short = np.asarray(model.DEFAULT_T)[:3]
    for bad in BAD_TIMES:
        with pytest.raises(ValueError, match=r"^t "):
            model.simulate(bad, seed=1)
    for bad in BAD_SEEDS:
        if not model.STOCHASTIC and name not in ("angiogenic", "cellcycle"):
            continue  # deterministic models owned elsewhere ignore the seed
        with pytest.raises(ValueError, match=r"^seed = "):
            model.simulate(short, seed=bad)
    for pname, p in model.PARAMS.items():
        if p.categorical:
            ragged = [[p.choices[0]], [p.choices[0], p.choices[-1]]]
            with pytest.raises(ValueError, match=rf"^{pname} = "):
                model.simulate(short, seed=1, **{pname: ragged})


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


def test_declare_keeps_order_and_refuses_a_name_twice():
    assert list(declare(*PARAMS.values())) == list(PARAMS)
    assert declare(*PARAMS.values()) == PARAMS
    with pytest.raises(ValueError, match="'r' is declared twice"):
        declare(PARAMS["r"], PARAMS["K"], Param("r", 1.0, 0.0, 2.0))


def test_presets_from_defaults_fill_in_and_check_the_values():
    presets = from_defaults(PARAMS, {"base": Preset({}, "cite"), "fast": Preset({"r": 1.5}, "cite", "more")})
    assert presets["base"].values == {"r": 0.5, "K": 1e6, "n": 10, "law": "a"}
    assert list(presets["fast"].values) == list(PARAMS)
    assert presets["fast"].values["r"] == 1.5 and presets["fast"].description == "more"
    with pytest.raises(ValueError, match="preset 'typo': unknown parameter 'rr'"):
        from_defaults(PARAMS, {"typo": Preset({"rr": 1.0}, "cite")})
    with pytest.raises(ValueError, match="preset 'wild': r = 5 "):
        from_defaults(PARAMS, {"wild": Preset({"r": 5.0}, "cite")})


@pytest.mark.parametrize("name", list(MECHANISMS))
def test_every_preset_states_every_parameter(name):
    """Presets are complete: a preset that leaves a parameter out would let the explorer keep
    whatever value its slider last had."""
    model = mechanism(name)
    for preset in model.PRESETS.values():
        assert set(preset.values) == set(model.PARAMS), sorted(set(model.PARAMS) ^ set(preset.values))
