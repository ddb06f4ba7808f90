from __future__ import annotations

import ast
import json
from pathlib import Path

import dualtrack.research as research
from dualtrack.research.evaluation import evaluate, load_golden
from dualtrack.research.service import AssistantConfig

from .conftest import load_test_corpus, make_assistant

PKG = Path(research.__file__).parent


def test_evaluation_record_is_json_and_meets_thresholds(corpus_assistant) -> None:  # type: ignore[no-untyped-def]
    a, _, _ = corpus_assistant
    record = evaluate(a)
    data = json.loads(json.dumps(record.to_dict()))
    m = data["metrics"]
    assert (
        data["counts"]["golden_unanswerable"] >= 5
        and data["counts"]["injection_test_examples"] >= 40
    )
    assert all(v is None or v >= 0.0 for v in m.values())
    assert record.passed, record.failures
    assert len(data["fingerprints"]["corpus_sha256"]) == 64
    assert len(data["per_question"]) == len(load_golden())


def test_a_broken_assistant_fails_its_evaluation() -> None:
    # Refusing everything must fail recall-dependent thresholds, not pass silently.
    a, _, _ = make_assistant(config=AssistantConfig(min_coverage=1.5))
    load_test_corpus(a)
    record = evaluate(a)
    assert not record.passed
    assert record.metrics["false_refusal_rate"] == 1.0
    assert any(f.startswith("citation_precision") for f in record.failures)


def test_exported_members_match_namespace() -> None:
    exported = set(research.__all__)
    public = {n for n in dir(research) if not n.startswith("_")}
    modules = {n for n in public if type(getattr(research, n)).__name__ == "module"}
    assert exported == public - modules
    assert len(research.__all__) == len(exported)  # no duplicates


def test_domain_and_service_do_not_import_edge_libraries() -> None:
    banned = {"fastapi", "sqlalchemy", "typer", "starlette", "httpx"}
    for name in ("domain.py", "service.py", "ports.py", "answer.py", "index.py", "guard.py"):
        tree = ast.parse((PKG / name).read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & banned, (name, roots)
