"""The controls file: every rule traced to a control, figures typed, overrides explicit."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrack.vadealing.controls import load_control_set
from dualtrack.vadealing.errors import ControlConfigError
from dualtrack.vadealing.rules import BUILTIN_RULES, RuleEngine

REFERENCE_CONTROLS = {
    "VA-AML-01",
    "VA-AML-02",
    "VA-AML-03",
    "VA-AML-04",
    "VA-AML-07",
    "VA-AML-08",
    "VA-AML-09",
    "VA-AML-10",
    "VA-AML-11",
    "VA-OTC24-01",
    "VA-OTC24-02",
}


def test_every_declared_rule_is_implemented_and_traced() -> None:
    controls = load_control_set()
    ids = [spec.rule_id for spec in controls.rules]
    assert set(ids) == set(BUILTIN_RULES)
    for spec in controls.rules:
        assert spec.control_id in REFERENCE_CONTROLS, spec.rule_id
        assert spec.source and spec.description
        assert spec.action in ("hold", "block")


def test_reference_figures() -> None:
    controls = load_control_set()
    assert str(controls.rule("cdd_occasional_va_transfer").decimal("threshold_hkd")) == "8000"
    assert str(controls.rule("cdd_occasional_transaction").decimal("threshold_hkd")) == "120000"
    assert str(controls.rule("travel_rule_outgoing").decimal("threshold_hkd")) == "8000"
    assert str(controls.beneficial_owner_threshold_pct) == "25"


def test_override_changes_figure_and_fingerprint() -> None:
    base = load_control_set()
    changed = load_control_set(overrides={"velocity": {"max_count": 50}})
    assert changed.rule("velocity").integer("max_count") == 50
    assert changed.fingerprint != base.fingerprint
    assert load_control_set().fingerprint == base.fingerprint


@pytest.mark.parametrize(
    "overrides",
    [
        {"no_such_rule": {"enabled": False}},
        {"velocity": {"no_such_figure": 1}},
        {"velocity": {"action": "shrug"}},
    ],
)
def test_bad_overrides_are_refused(overrides: dict[str, dict[str, object]]) -> None:
    with pytest.raises(ControlConfigError):
        load_control_set(overrides=overrides)


def test_wrongly_typed_figure_is_reported() -> None:
    controls = load_control_set(overrides={"velocity": {"max_count": "many"}})
    with pytest.raises(ControlConfigError):
        controls.rule("velocity").integer("max_count")


def test_unimplemented_rule_is_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[3] / "src/dualtrack/vadealing/data/controls.yaml").read_text()
    text += (
        "\n  - rule_id: moon_phase\n    control_id: VA-AML-11\n    source: x\n"
        "    action: hold\n    figures: {}\n"
    )
    path = tmp_path / "controls.yaml"
    path.write_text(text)
    controls = load_control_set(path)
    with pytest.raises(ControlConfigError):
        RuleEngine(controls)


def test_duplicate_rule_ids_refused(tmp_path: Path) -> None:
    text = (Path(__file__).parents[3] / "src/dualtrack/vadealing/data/controls.yaml").read_text()
    text += (
        "\n  - rule_id: velocity\n    control_id: VA-AML-11\n    source: x\n"
        "    action: hold\n    figures: {}\n"
    )
    path = tmp_path / "controls.yaml"
    path.write_text(text)
    with pytest.raises(ControlConfigError):
        load_control_set(path)
