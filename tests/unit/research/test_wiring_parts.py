"""Pure parts of the research wiring: the policy redactor, LLM settings, the SVG bar chart."""

from __future__ import annotations

import pytest

from dualtrack.privacy import PrivacyGuard, default_policies
from dualtrack.privacy.transform import Pseudonymiser
from dualtrack.research.wiring import LLMSettings, PolicyRedactor
from dualtrack.web.pages_research import bar_chart

TEXT = "Client Chan Tai Man (phone 9123 4567, chan.tm@example.com) asks about HK$4,812 million."


def _redactor(key: bytes | None) -> PolicyRedactor:
    policy = default_policies()["research-assistant"]
    return PolicyRedactor(
        PrivacyGuard("default"), lambda: policy, Pseudonymiser(key) if key else None
    )


def test_redactor_applies_the_policy_with_and_without_a_key() -> None:
    tagged = _redactor(None).redact(TEXT)
    assert "Chan Tai Man" not in tagged and "9123 4567" not in tagged
    assert "<PERSON>" in tagged and "<HK_PHONE>" in tagged and "<EMAIL>" in tagged
    assert "HK$4,812 million" in tagged  # figures are not personal data
    keyed = _redactor(b"0123456789abcdef-key").redact(TEXT)
    assert "PERSON_" in keyed and "<HK_PHONE>" in keyed  # names pseudonymised, ids tagged
    assert keyed == _redactor(b"0123456789abcdef-key").redact(TEXT)  # stable tokens
    assert _redactor(None).redact("") == ""


def test_llm_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in ("URL", "MODEL", "KEY"):
        monkeypatch.delenv(f"DUALTRACK_LLM_{var}", raising=False)
    assert not LLMSettings().configured
    monkeypatch.setenv("DUALTRACK_LLM_URL", "http://127.0.0.1:9/v1")
    assert not LLMSettings().configured  # a model name is needed too
    monkeypatch.setenv("DUALTRACK_LLM_MODEL", "m")
    monkeypatch.setenv("DUALTRACK_LLM_KEY", "sk-secret")
    settings = LLMSettings()
    assert settings.configured and settings.host == "127.0.0.1:9"
    assert "sk-secret" not in repr(settings)


@pytest.mark.parametrize(
    ("chart", "rows", "bars"),
    [
        ({"kind": "bar", "x": "c", "y": "v"}, [["a", 10], ["b", 5], ["n", None]], 2),
        ({"kind": "line", "x": "c", "y": "v"}, [["2024-01", 1.5]], 1),
        ({"kind": "table", "x": None, "y": None}, [["a", 1]], None),
        ({"kind": "bar", "x": "c", "y": "v"}, [["a", None]], None),
    ],
)
def test_bar_chart_geometry(
    chart: dict[str, object], rows: list[list[object]], bars: int | None
) -> None:
    result = bar_chart({"chart": chart, "columns": ["c", "v"], "rows": rows})
    if bars is None:
        assert result is None
        return
    assert result is not None and len(result["bars"]) == bars
    widest = max(b["w"] for b in result["bars"])
    assert widest == pytest.approx(result["width"] - result["label_w"] - 70)
