"""Streaming scans each window once: the detector never sees more than a window, the overlap
and a little look-back, whatever the read block size, and results match a whole-text scan."""

from __future__ import annotations

from pathlib import Path

import pytest

from dualtrack.privacy import Finding, PrivacyGuard
from dualtrack.privacy.streaming import scan_chunks

GUARD = PrivacyGuard()
SAMPLE = (
    Path(__file__).resolve().parents[3] / "data/privacy/samples/kyc_note_bilingual.txt"
).read_text("utf-8")


@pytest.mark.parametrize(("block", "window", "overlap"), [(10_000, 1_000, 200), (97, 600, 150)])
def test_detector_input_is_bounded_and_results_match(block: int, window: int, overlap: int) -> None:
    text = SAMPLE * 12
    seen: list[int] = []

    def spy(chunk: str) -> list[Finding]:
        seen.append(len(chunk))
        return GUARD.detect(chunk)

    chunks = [text[i : i + block] for i in range(0, len(text), block)]
    streamed = list(scan_chunks(spy, chunks, window=window, overlap=overlap))
    assert max(seen) <= window + overlap + 64
    whole = GUARD.detect(text)
    assert [(f.start, f.end, f.entity_type) for f in streamed] == [
        (f.start, f.end, f.entity_type) for f in whole
    ]
