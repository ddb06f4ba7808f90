"""Bounded-memory processing: byte decoding, chunked text with overlap, and tables.

Invalid input policy (documented decision): bytes that are not valid UTF-8, or that contain
NUL bytes (binary data), are **rejected** with :class:`UndecodableInput` by default, because
replacing bad bytes could split an identifier and let it through undetected. Callers that
prefer best effort pass ``errors="replace"`` (bad bytes become U+FFFD; NUL still rejects).

Text is processed in windows of ``window`` characters; the last ``overlap`` characters of a
window are re-scanned with the next one, and a finding is owned by the window it starts in,
so entities that straddle a boundary are neither missed nor reported twice (``overlap`` must
exceed the longest entity, 512 characters by default). Tables (CSV, Parquet) are read and
written in record batches through pyarrow and transformed with polars, so memory stays
proportional to ``chunk_rows``.
"""

from __future__ import annotations

import codecs
import csv
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Literal

from dualtrack.privacy.domain import Finding
from dualtrack.privacy.errors import UndecodableInput

DecodeErrors = Literal["strict", "replace"]
DEFAULT_WINDOW = 64 * 1024
DEFAULT_OVERLAP = 512
_LOOKBACK = 64  # context words before a window boundary still count


def decode_bytes(data: bytes, *, errors: DecodeErrors = "strict") -> str:
    """UTF-8 text from ``data``; :class:`UndecodableInput` for binary or invalid bytes."""
    if b"\x00" in data:
        raise UndecodableInput("input looks binary (NUL bytes)", offset=data.index(b"\x00"))
    try:
        return data.decode("utf-8", errors=errors)
    except UnicodeDecodeError as exc:
        raise UndecodableInput("input is not valid UTF-8", offset=exc.start) from None


def iter_decoded(
    stream: BinaryIO, *, chunk_bytes: int = 1 << 20, errors: DecodeErrors = "strict"
) -> Iterator[str]:
    """Decode a binary stream incrementally (multi-byte characters may span reads)."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors=errors)
    offset = 0
    while True:
        block = stream.read(chunk_bytes)
        final = not block
        if b"\x00" in block:
            raise UndecodableInput("input looks binary (NUL bytes)", offset=offset)
        try:
            text = decoder.decode(block, final=final)
        except UnicodeDecodeError as exc:
            raise UndecodableInput("input is not valid UTF-8", offset=offset + exc.start) from None
        offset += len(block)
        if text:
            yield text
        if final:
            return


Detector = Callable[[str], list[Finding]]


def iter_segments(
    detect: Detector,
    chunks: Iterable[str],
    *,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
) -> Iterator[tuple[str, list[Finding]]]:
    """Yield ``(segment, findings)`` pairs whose segments concatenate to the whole text.

    Finding offsets are relative to their segment.
    """
    if overlap <= 0 or window <= overlap:
        raise ValueError("need 0 < overlap < window")
    buffer = ""
    lookback = ""
    for chunk in chunks:
        buffer += chunk
        while len(buffer) >= window + overlap:
            segment, found, lookback = _emit(detect, lookback, buffer, window, overlap)
            buffer = buffer[len(segment) :]
            yield segment, found
    if buffer:
        found = _shifted(detect(lookback + buffer), len(lookback), len(buffer) + 1)
        yield buffer, found


def _shifted(found: list[Finding], skip: int, limit: int) -> list[Finding]:
    return [f.shifted(-skip) for f in found if skip <= f.start < skip + limit]


def _emit(
    detect: Detector, lookback: str, buffer: str, window: int, overlap: int
) -> tuple[str, list[Finding], str]:
    # Scan only this window plus the overlap: scanning the whole buffer (up to a read block)
    # for every window made large files quadratic in the block size.
    found = _shifted(detect(lookback + buffer[: window + overlap]), len(lookback), window)
    cut = max([window, *(f.end for f in found)])
    segment = buffer[:cut]
    return segment, found, segment[-_LOOKBACK:]


def scan_chunks(
    detect: Detector,
    chunks: Iterable[str],
    *,
    window: int = DEFAULT_WINDOW,
    overlap: int = DEFAULT_OVERLAP,
) -> Iterator[Finding]:
    """Findings over a chunked text with offsets relative to the whole text."""
    base = 0
    for segment, found in iter_segments(detect, chunks, window=window, overlap=overlap):
        for finding in found:
            yield finding.shifted(base)
        base += len(segment)


def read_csv_header(path: Path) -> list[str]:
    """Column names of a CSV file (first line only)."""
    with path.open(newline="", encoding="utf-8") as handle:
        return next(csv.reader(handle), [])
