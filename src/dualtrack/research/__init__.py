"""Research and data-analysis assistant (issue 6), governed as a high-risk AI LM use.

Staff and clients ask questions over a document library (annual reports, product sheets,
policy notes; English and Traditional Chinese). Retrieval is hybrid: BM25 over jieba- and
English-tokenised text fused by reciprocal rank with dense all-MiniLM-L6-v2 embeddings
computed in numpy. Answers are extractive by default (fully offline), or written by an
optional OpenAI-compatible endpoint, and every kept sentence cites its passage.

Guardrails, each measured by ``evaluation.evaluate``:

* personal data: an injected ``Redactor`` runs before anything leaves the process and on
  every audit payload (SFC-11);
* prompt injection, direct and planted in documents: rules plus a char n-gram classifier;
  injected passages are excluded and reported (SFC-10);
* groundedness: unsupported sentences, numbers and names are removed (SFC-16);
* investment content: in the HIGH tier, recommendations, advice and research wait in a
  review queue for a licensed reviewer other than the asker, and released answers carry
  the AI disclosure (SFC-15/17/18, HKMA-GENAI-05); opted-out clients go to a human
  (HKMA-GENAI-04).

Datasets (CSV/Parquet) can be queried with read-only, checked SQL in DuckDB
(``analysis.DataAnalyst``).
"""

from dualtrack.research.analysis import DataAnalyst, check_sql
from dualtrack.research.domain import (
    DISCLOSURE_EN,
    DISCLOSURE_ZH,
    Answer,
    AssistantReply,
    Chunk,
    Document,
    QueryResult,
    ReleasedAnswer,
    ReviewItem,
)
from dualtrack.research.embedding import HashingEmbedder, MiniLMEmbedder, fetch_minilm
from dualtrack.research.errors import ChatEndpointError, InvalidDocument, UnsafeQuery
from dualtrack.research.evaluation import EvaluationRecord, evaluate, load_corpus
from dualtrack.research.memory import InMemoryChunkStore
from dualtrack.research.ports import ChatModel, ChunkStore, Embedder, Redactor
from dualtrack.research.service import AssistantConfig, ResearchAssistant

__all__ = [
    "DISCLOSURE_EN",
    "DISCLOSURE_ZH",
    "Answer",
    "AssistantConfig",
    "AssistantReply",
    "ChatEndpointError",
    "ChatModel",
    "Chunk",
    "ChunkStore",
    "DataAnalyst",
    "Document",
    "Embedder",
    "EvaluationRecord",
    "HashingEmbedder",
    "InMemoryChunkStore",
    "InvalidDocument",
    "MiniLMEmbedder",
    "QueryResult",
    "Redactor",
    "ReleasedAnswer",
    "ResearchAssistant",
    "ReviewItem",
    "UnsafeQuery",
    "check_sql",
    "evaluate",
    "fetch_minilm",
    "load_corpus",
]
