"""Guardrail classifiers: prompt injection and investment content (English and Chinese).

Each is regex rules plus a TF-IDF character n-gram logistic regression trained, when the
guard is built, on the committed labelled set in ``data/``. Rules give precision on known
attack shapes and work on unseen phrasings; the model generalises across wording. Both run
in well under a millisecond on a short text.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from dualtrack.research.domain import GuardVerdict
from dualtrack.research.text import split_sentences

DATA_DIR = Path(__file__).parent / "data"
Split = Literal["train", "test", "all"]


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    label: int
    lang: str
    family: str
    split: str


def load_examples(name: str, split: Split = "all") -> list[Example]:
    rows = []
    with (DATA_DIR / name).open(encoding="utf-8") as fh:
        for line in fh:
            r = json.loads(line)
            if split == "all" or r["split"] == split:
                rows.append(Example(r["text"], int(r["label"]), r["lang"], r["family"], r["split"]))
    return rows


_INJECTION_RULES: tuple[tuple[str, str], ...] = (
    (
        "override",
        r"\b(ignore|disregard|forget|override)\b[^.?!\n]{0,30}\b(previous|prior|above|"
        r"earlier|all|your|the)\b[^.?!\n]{0,20}\b(instruction|direction|rule|prompt|guideline|"
        r"everything|context)s?\b(?![^.?!\n]{0,40}\b(issued|by the|from the)\b)",
    ),
    (
        "system_leak",
        r"\b(reveal|print|show|repeat|output|leak|display)\b[^.?!\n]{0,30}\b(system|"
        r"hidden|initial|developer|secret)\s+(prompt|instruction|message)s?",
    ),
    (
        "roleplay",
        r"\b(you are now|from now on,? (you|act)|developer mode|jailbr(eak|oken)|"
        r"\bDAN\b|unfiltered|no restrictions|without (any )?(restrictions|compliance))",
    ),
    (
        "addressed_to_ai",
        r"\b(note|instruction|message)s? (to|for) (the )?(ai|llm|language model|"
        r"assistant|chatbot)s?\b|\bif you are an? (ai|llm|language model|assistant)\b",
    ),
    ("role_tag", r"(^|[\s>\[#])(system|assistant)\s*(:|\]|>|override)|</?\s*(system|context)\s*>"),
    (
        "new_task",
        r"\b(new (task|instructions?)|end of (document|context))\b[^.\n]{0,40}"
        r"\b(assistant|model|ai|override|instead)\b",
    ),
    (
        "exfil",
        r"\b(leak|exfiltrate|send|email|post|encode)\b[^.?!\n]{0,60}(https?://|@[\w-]+\.|"
        r"api key|password|conversation|personal data|client (list|names))",
    ),
    (
        "zh_override",
        r"(忽略|無視|忘記|不要理會|不理會)[^。？！\n]{0,12}(以上|之前|先前|所有|系統)"
        r"[^。？！\n]{0,8}(指示|指令|規則|設定|提示)",
    ),
    ("zh_leak", r"(顯示|列出|輸出|透露|重複)[^。？！\n]{0,8}(系統提示|隱藏指令|初始提示|系統指令)"),
    ("zh_roleplay", r"(你現在是|假裝你是|開發者模式|沒有任何限制|不受[^。\n]{0,6}約束)"),
    (
        "zh_addressed",
        r"(致|給)[^。\n]{0,8}(AI|人工智能|語言模型|助理)[^。\n]{0,6}[：:]|"
        r"如果你是[^。\n]{0,10}(人工智能|AI|語言模型)|【系統】|新指令",
    ),
    ("zh_exfil", r"(發送|傳送|寄)[^。\n]{0,20}(@|http|網址|對話內容|客戶資料)"),
)

_INVESTMENT_RULES: tuple[tuple[str, str], ...] = (
    (
        "should_trade",
        r"\b(should|shall|would you|do you think) (i|we|my client|our clients?|"
        r"investors?)\b[^.?!]{0,20}\b(buy|sell|hold|invest|add|switch|short|accumulate)\b",
    ),
    (
        "recommend",
        r"\b(recommend|recommending|recommendation)s?\b[^.?!]{0,40}\b(buy|sell|"
        r"hold|shares?|stocks?|funds?|bonds?|portfolio|invest\w*|adding|to (our )?clients|"
        r"to investors)\b|\b(recommend|recommending)\b[^.?!]{0,40}(holdings|to investors)",
    ),
    (
        "rating",
        r"\b(target price|price target|buy rating|sell rating|overweight|underweight|"
        r"outperform|underperform|undervalued|overvalued|investment thesis|upside of)\b|"
        r"\b(buy|hold|sell)(, | or )(hold|sell)\b",
    ),
    (
        "good_investment",
        r"\b(good|bad|great|safe|smart) (investment|buy|time to (buy|sell))\b|"
        r"\bworth (buying|investing)\b",
    ),
    (
        "allocation",
        r"\b(allocate|allocation|rebalanc\w*)\b[^.?!]{0,40}\b(equit\w+|bonds?|"
        r"portfolio|funds?|HK\$)|\bwhich (stock|fund|bond|share)s?\b[^.?!]{0,40}\b(choose|"
        r"buy|pick|outperform|will)\b",
    ),
    (
        "research_note",
        r"\b(write|prepare|draft|publish|give me|send)\b[^.?!]{0,30}\b(research "
        r"(note|report)|investment (note|research|advice|thesis))\b|\binvestment advice\b",
    ),
    (
        "zh_trade",
        r"(應該|應否|應不應|值得)[^。？\n]{0,8}(買入|賣出|沽出|投資|持有|增持|減持)|"
        r"(增持|減持|買入評級|賣出評級|目標價|推薦[^。？\n]{0,10}(股票|基金|債券|研究)|投資建議|"
        r"(撰寫|編寫)[^。？\n]{0,10}研究報告|值得投資|被低估|建議[^。？\n]{0,6}(買|賣|沽|增持|減持))",
    ),
)


class RuleModelGuard:
    """Flags a text when a rule fires or the model's probability passes ``threshold``."""

    def __init__(
        self,
        *,
        name: str,
        rules: tuple[tuple[str, str], ...],
        threshold: float = 0.5,
        use_model: bool = True,
    ) -> None:
        self.name = name
        self.rules = rules
        self.threshold = threshold
        self.use_model = use_model

    def fit(self, examples: list[Example]) -> RuleModelGuard:
        self.compiled_ = [(n, re.compile(p, re.IGNORECASE)) for n, p in self.rules]
        if self.use_model:
            self.vectorizer_ = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(2, 4),
                lowercase=True,
                sublinear_tf=True,
                min_df=1,
                max_features=50_000,
            )
            x = self.vectorizer_.fit_transform([e.text for e in examples])
            y = np.array([e.label for e in examples])
            self.model_ = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
            self.model_.fit(x, y)
            self.coef_ = self.model_.coef_.ravel().astype(np.float64)
            self.intercept_ = float(self.model_.intercept_[0])
        return self

    def _rule_hits(self, text: str) -> list[str]:
        return [n for n, rx in self.compiled_ if rx.search(text)]

    def probabilities(self, texts: list[str]) -> list[float]:
        if not self.use_model or not texts:
            return [0.0] * len(texts)
        # Logistic function on the sparse dot product directly: sklearn's predict_proba
        # re-validates its input on every call, which is most of the cost per request.
        z = self.vectorizer_.transform(texts) @ self.coef_ + self.intercept_
        return [float(p) for p in 1.0 / (1.0 + np.exp(-np.asarray(z).ravel()))]

    def check(self, text: str) -> GuardVerdict:
        t0 = time.perf_counter()
        hits = self._rule_hits(text)
        prob = self.probabilities([text])[0]
        score = max(prob, 1.0 if hits else 0.0)
        detail = "rules:" + ",".join(hits) if hits else f"model:{prob:.2f}"
        return GuardVerdict(
            self.name, score >= self.threshold, score, detail, (time.perf_counter() - t0) * 1e3
        )

    def check_passage(self, text: str) -> GuardVerdict:
        """Score each sentence of a passage (indirect injection hides in one sentence)."""
        t0 = time.perf_counter()
        sentences = split_sentences(text) or [text]
        hits = sorted({h for s in sentences for h in self._rule_hits(s)})
        prob = max(self.probabilities(sentences), default=0.0)
        score = max(prob, 1.0 if hits else 0.0)
        detail = "rules:" + ",".join(hits) if hits else f"model:{prob:.2f}"
        return GuardVerdict(
            self.name, score >= self.threshold, score, detail, (time.perf_counter() - t0) * 1e3
        )


@lru_cache(maxsize=4)
def injection_guard(split: Split = "train", threshold: float = 0.7) -> RuleModelGuard:
    """The prompt-injection guard, trained on the committed set (``train`` split by default)."""
    return RuleModelGuard(name="prompt_injection", rules=_INJECTION_RULES, threshold=threshold).fit(
        load_examples("injection_examples.jsonl", split)
    )


@lru_cache(maxsize=4)
def investment_guard(split: Split = "train", threshold: float = 0.6) -> RuleModelGuard:
    """Classifies text as investment recommendation, advice or research (SFC-15)."""
    return RuleModelGuard(
        name="investment_content", rules=_INVESTMENT_RULES, threshold=threshold
    ).fit(load_examples("investment_examples.jsonl", split))


__all__ = ["Example", "RuleModelGuard", "injection_guard", "investment_guard", "load_examples"]
