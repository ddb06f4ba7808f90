"""Pure pieces of the validation/monitoring wiring: paths, thresholds, charts, decision logs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from dualtrack.api.uploads import server_path, split_names
from dualtrack.errors import InvalidInput
from dualtrack.monitoring.errors import InvalidMonitoringData
from dualtrack.monitoring.profile import SCORE, ReferenceProfile
from dualtrack.monitoring.wiring import FileDecisionSource, _normalise, fit_profile
from dualtrack.registry.domain import Lifecycle, ModelVersion
from dualtrack.validation.errors import InvalidModelArtifact
from dualtrack.validation.wiring import _thresholds, artifact_path
from dualtrack.web.pages_validation import line_chart


def _version(uri: str | None) -> ModelVersion:
    return ModelVersion(
        id="v1",
        system_id="s1",
        version="1",
        artifact_sha256="a" * 64,
        data_fingerprint="b" * 64,
        provider="in-house",
        licence="proprietary",
        metrics={},
        state=Lifecycle.SUBMITTED,
        created_by="dev",
        created_at="2026-11-25T00:00:00Z",
        updated_at="2026-11-25T00:00:00Z",
        artifact_uri=uri,
    )


def test_artifact_path_forms(tmp_path: Path) -> None:
    (tmp_path / "models").mkdir()
    assert artifact_path(_version("/abs/model.txt")) == Path("/abs/model.txt")
    assert artifact_path(_version("file:///abs/my%20model.txt")) == Path("/abs/my model.txt")
    assert artifact_path(_version("models"), tmp_path) == tmp_path / "models"
    assert artifact_path(_version("elsewhere.txt"), tmp_path) == Path("elsewhere.txt")
    for bad in (None, "s3://bucket/model.txt", "https://example.com/m.pkl"):
        with pytest.raises(InvalidModelArtifact):
            artifact_path(_version(bad))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (0.3, (0.3,)),
        ([0.8, 0.2], (0.2, 0.8)),
        ({"review": 0.1, "block": 0.6, "policy": "cost"}, (0.1, 0.6)),
        ([], (0.5,)),
    ],
)
def test_thresholds_from_version_config(raw: object, expected: tuple[float, ...]) -> None:
    assert _thresholds(raw) == expected


def test_thresholds_refuse_text() -> None:
    with pytest.raises(InvalidInput):
        _thresholds(["high"])


def test_server_paths_stay_in_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "ok.csv").write_text("a\n1\n")
    (tmp_path / "secret.csv").write_text("a\n1\n")
    (data / "notes.txt").write_text("x")
    assert server_path(tmp_path, "ok.csv", field="f") == (data / "ok.csv").resolve()
    assert server_path(tmp_path, str(data / "ok.csv"), field="f") == (data / "ok.csv").resolve()
    for bad in (
        "../secret.csv",
        str(tmp_path / "secret.csv"),
        "/etc/passwd",
        "notes.txt",
        "no.csv",
    ):
        with pytest.raises(InvalidInput):
            server_path(tmp_path, bad, field="f")


def test_split_names() -> None:
    assert split_names(" sex, age_band ,,") == ["sex", "age_band"]
    assert split_names(None) == []


def test_line_chart_escapes_and_breaks_at_gaps() -> None:
    svg = str(
        line_chart(
            "<b>PSI</b>",
            ["d1", "d2", "d3", "d4"],
            [("a&b", [0.1, None, 0.3, 0.4])],
            limit=0.2,
        )
    )
    assert "<b>" not in svg and "&lt;b&gt;PSI" in svg and "a&amp;b" in svg
    assert svg.count("<polyline") == 2  # the missing value splits the line
    assert 'class="limit"' in svg
    empty = str(line_chart("nothing", [], [("x", [])]))
    assert empty.startswith("<svg") and "<polyline" not in empty


def _profile() -> ReferenceProfile:
    rng = np.random.default_rng(0)
    cols = {"a": rng.normal(size=500), "b": rng.normal(size=500)}
    scores = rng.random(500)
    return ReferenceProfile.fit(cols, scores, threshold=0.5, labels=(scores > 0.5).astype(int))


def test_fit_profile_keeps_logged_features_and_score() -> None:
    profile = _profile()
    assert fit_profile(profile, ["a", "b", "score"]) is profile
    reduced = fit_profile(profile, ["b", "score"])
    assert reduced.features == ("b",) and set(reduced.bins) == {"b", SCORE}
    assert fit_profile(profile, ["score"]).features == ()


def test_file_source_joins_late_labels(tmp_path: Path) -> None:
    decisions = tmp_path / "d.csv"
    pl.DataFrame(
        {
            "decision_id": ["x1", "x2", "x3"],
            "decided_at": ["2026-11-02T10:00:00+00:00"] * 3,
            "score": [0.1, 0.7, 0.4],
        }
    ).write_csv(decisions)
    labels = tmp_path / "l.csv"
    pl.DataFrame({"decision_id": ["x2", "x3", "x3"], "is_fraud": [1, 0, 1]}).write_csv(labels)
    source = FileDecisionSource(decisions, labels)
    chunk = _normalise(next(iter(source.chunks(None, None))))  # type: ignore[arg-type]
    assert chunk["label"].to_list() == [None, 1.0, 1.0]  # the latest verdict wins
    assert chunk.schema["decided_at"] == pl.Datetime("us")
    assert "labels l.csv" in source.description


def test_normalise_names_the_problem() -> None:
    with pytest.raises(InvalidMonitoringData, match="score"):
        _normalise(pl.DataFrame({"decided_at": ["2026-11-02T10:00:00Z"]}))
    with pytest.raises(InvalidMonitoringData, match="ISO-8601"):
        _normalise(pl.DataFrame({"score": [0.1], "decided_at": ["yesterday"]}))


def test_labels_file_needs_an_outcome_and_a_key(tmp_path: Path) -> None:
    decisions = tmp_path / "d.csv"
    pl.DataFrame(
        {"decision_id": ["x"], "decided_at": ["2026-11-02T10:00:00Z"], "score": [0.2]}
    ).write_csv(decisions)
    no_outcome = tmp_path / "a.csv"
    pl.DataFrame({"decision_id": ["x"], "verdict": [1]}).write_csv(no_outcome)
    no_key = tmp_path / "b.csv"
    pl.DataFrame({"case": ["x"], "label": [1]}).write_csv(no_key)
    for labels, words in ((no_outcome, "label"), (no_key, "shared ID")):
        with pytest.raises(InvalidMonitoringData, match=words):
            list(FileDecisionSource(decisions, labels).chunks(None, None))  # type: ignore[arg-type]


def _result(test_id: str, status: str, controls: tuple[str, ...]) -> object:
    from dualtrack.validation.domain import ValidationTestResult

    return ValidationTestResult(
        test_id=test_id,
        category="fairness" if "fair" in test_id else "performance",
        status=status,  # type: ignore[arg-type]
        severity="high",
        message="",
        metrics={},
        details={},
        config={},
        controls=controls,
        data_fingerprint="f" * 64,
    )


@pytest.mark.parametrize(
    ("fairness", "extra", "expected_fairness"),
    [
        (("pass", "pass"), "NOT-A-CONTROL", True),
        (("pass", "fail"), "NOT-A-CONTROL", False),  # near miss: one fairness test failed
        (("skipped", "skipped"), "NOT-A-CONTROL", False),  # not tested is not evidence
    ],
)
def test_evidenced_controls(fairness: tuple[str, str], extra: str, expected_fairness: bool) -> None:
    from types import SimpleNamespace

    from dualtrack.controls.domain import default_catalogue
    from dualtrack.validation.domain import DataFingerprint, ValidationRun
    from dualtrack.validation.wiring import evidenced_controls

    pre = ("SFC-07", "HKMA-HLP-05", "PCPD-09")
    run = ValidationRun(
        plan_id="p",
        tier="MEDIUM",
        passed=False,
        model_artifact_sha256="a" * 64,
        data_fingerprint=DataFingerprint("f" * 64, 1, 1, ("x",)),
        reference_fingerprint=None,
        config={},
        results=(
            _result("performance.auc", "fail", (*pre, extra)),
            _result("fairness.a", fairness[0], (*pre, "HKMA-HLP-08")),
            _result("fairness.b", fairness[1], (*pre, "HKMA-HLP-08")),
        ),  # type: ignore[arg-type]
        findings=(),
        started_at="",
        finished_at="",
        duration_s=0.0,
    )
    platform = SimpleNamespace(controls=SimpleNamespace(catalogue=default_catalogue()))
    controls = evidenced_controls(platform, run)  # type: ignore[arg-type]
    assert set(pre) <= set(controls)
    assert ("HKMA-HLP-08" in controls) is expected_fairness
    assert extra not in controls
