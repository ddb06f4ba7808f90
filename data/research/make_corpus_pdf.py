"""Writes corpus/peak-meridian-bank-2023-results.pdf (deterministic; run from the repo root).

python data/research/make_corpus_pdf.py
"""

from __future__ import annotations

from pathlib import Path

from dualtrack.research.fixtures import minimal_pdf

PAGES = [
    """Peak Meridian Bank Limited: 2023 Annual Results
All companies, people and figures in this document are fictional and were
written for the dualtrack test corpus.
Financial highlights
Operating income for 2023 was HK$14,260 million, an increase of 11.2% on 2022.
Net interest margin widened to 1.86% from 1.52% as interest rates rose.
Profit after tax was HK$5,030 million.""",
    """Capital and liquidity
The common equity tier 1 (CET1) ratio was 16.4% at 31 December 2023.
The liquidity coverage ratio averaged 182% during the fourth quarter.
Gross loans and advances to customers were HK$312 billion.
The impaired loan ratio rose to 1.9% because of exposure to commercial real estate.""",
    """Network and people
Peak Meridian Bank operated 48 branches in Hong Kong at year end.
The bank employed 6,850 staff, of whom 410 work in technology.
The chief executive is Mr Daniel Ho. The bank launched a virtual assistant
for retail customers in October 2023; customers can ask for a human agent at any time.""",
]


def main() -> None:
    out = Path(__file__).parent / "corpus" / "peak-meridian-bank-2023-results.pdf"
    out.write_bytes(minimal_pdf(PAGES, title="Peak Meridian Bank 2023 Annual Results"))


if __name__ == "__main__":
    main()
