"""Parsing uploads into page- and section-tagged text blocks (PDF, HTML, Markdown, text).

Parsers are generators so a 500-page PDF is read one page at a time. They raise
``InvalidDocument`` with a reason code and never return partial output silently: the
service collects every block before anything is stored.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError, PyPdfError

from dualtrack.research.domain import DocumentFormat
from dualtrack.research.errors import InvalidDocument
from dualtrack.research.text import Block

_SUFFIX_FORMAT: dict[str, DocumentFormat] = {
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".md": "markdown",
    ".markdown": "markdown",
    ".txt": "text",
}


def detect_format(filename: str, data: bytes) -> DocumentFormat:
    if data.startswith(b"%PDF-"):
        return "pdf"
    fmt = _SUFFIX_FORMAT.get(Path(filename).suffix.lower())
    if fmt is None:
        raise InvalidDocument("unsupported file type", reason="unsupported-type")
    if fmt == "pdf":
        raise InvalidDocument("file is not a PDF", reason="corrupt-pdf")
    return fmt


def _decode(data: bytes) -> str:
    if b"\x00" in data[:4096]:
        raise InvalidDocument("binary content in a text document", reason="binary")
    for enc in ("utf-8-sig", "big5hkscs"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise InvalidDocument("text is neither UTF-8 nor Big5-HKSCS", reason="encoding")


def iter_blocks(fmt: DocumentFormat, data: bytes, *, max_pages: int = 2000) -> Iterator[Block]:
    if fmt == "pdf":
        yield from _pdf_blocks(data, max_pages=max_pages)
    elif fmt == "html":
        yield from _html_blocks(_decode(data))
    elif fmt == "markdown":
        yield from _markdown_blocks(_decode(data))
    else:
        yield from _text_blocks(_decode(data))


def _pdf_blocks(data: bytes, *, max_pages: int) -> Iterator[Block]:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            # Owner-password-only PDFs open with an empty user password; others we refuse.
            try:
                ok = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError) as exc:
                raise InvalidDocument("encrypted PDF", reason="encrypted-pdf") from exc
            if not ok:
                raise InvalidDocument("encrypted PDF", reason="encrypted-pdf")
        n_pages = len(reader.pages)
    except InvalidDocument:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise InvalidDocument("corrupt or unreadable PDF", reason="corrupt-pdf") from exc
    if n_pages > max_pages:
        raise InvalidDocument("PDF has too many pages", reason="too-many-pages", pages=n_pages)
    title = None
    try:
        if reader.metadata is not None and reader.metadata.title:
            title = str(reader.metadata.title)
    except (PyPdfError, ValueError, KeyError, TypeError):
        title = None
    for i in range(n_pages):
        try:
            text = reader.pages[i].extract_text() or ""
        except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise InvalidDocument("corrupt PDF page", reason="corrupt-pdf", page=i + 1) from exc
        section = _first_heading_like(text) or title
        if text.strip():
            yield Block(text=text, page=i + 1, section=section)


def _first_heading_like(text: str) -> str | None:
    for raw in text.splitlines():
        line = raw.strip()
        if 0 < len(line) <= 80 and not line.endswith((".", "。")):
            return line
        if line:
            return None
    return None


class _HTMLBlocks(HTMLParser):
    _SKIP = frozenset({"script", "style", "noscript", "template", "head"})
    _BREAK = frozenset({"p", "div", "li", "tr", "br", "section", "article", "table", "ul", "ol"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._buf: list[str] = []
        self._section: str | None = None
        self._heading: list[str] | None = None
        self._skip = 0

    def _flush(self) -> None:
        text = " ".join("".join(self._buf).split())
        if text:
            self.blocks.append(Block(text=text, page=None, section=self._section))
        self._buf = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = []
        elif tag in self._BREAK:
            self._buf.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self._section = " ".join("".join(self._heading).split()) or self._section
            self._heading = None
        elif tag in self._BREAK:
            self._buf.append(" ")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._heading is not None:
            self._heading.append(data)
        else:
            self._buf.append(data)


def _html_blocks(text: str) -> Iterator[Block]:
    parser = _HTMLBlocks()
    parser.feed(text)
    parser.close()
    parser._flush()
    yield from parser.blocks


_MD_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown_blocks(text: str) -> Iterator[Block]:
    section: str | None = None
    buf: list[str] = []
    for line in text.splitlines():
        m = _MD_HEADING.match(line)
        if m:
            if "".join(buf).strip():
                yield Block(text=_strip_md("\n".join(buf)), page=None, section=section)
            buf = []
            section = m.group(2).strip()
        else:
            buf.append(line)
    if "".join(buf).strip():
        yield Block(text=_strip_md("\n".join(buf)), page=None, section=section)


def _strip_md(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[*_`]{1,3}", "", text)
    text = re.sub(r"^\s*(?:[-+*]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    text = re.sub(r"^\s*\|?[-:| ]{3,}\|?\s*$", "", text, flags=re.MULTILINE)
    return text.replace("|", " ")


def _text_blocks(text: str) -> Iterator[Block]:
    # Form feeds separate pages in text exports; keep them as page numbers.
    pages = text.split("\f")
    for i, page in enumerate(pages):
        if page.strip():
            yield Block(text=page, page=i + 1 if len(pages) > 1 else None, section=None)


__all__ = ["detect_format", "iter_blocks"]
