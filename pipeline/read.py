"""Stage 1, read: `Source` (bytes) → `Decoded` (text + the encoding it was read with).

Never guesses silently: a file is decoded only by a BOM, a strict UTF-8 decode, a
declared HTML charset that decodes strictly, or a strict legacy decode (GB18030, Big5)
whose characters look like real Chinese text. Anything else raises `InputError`, which
the runner records as an `errors` row.

HTML pages give the visible text of the body: scripts, styles, navigation, headers,
footers and forms are dropped; block elements end lines, table cells are joined by `|`.
Nothing is ever fetched. PDF (its text layer, with where each page starts) and Word files
(.docx; .doc through LibreOffice) are read by `read_pdf` and `read_docx`: one paragraph a
line, a table's row a line.
"""

from __future__ import annotations

import codecs
import stat
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import regex

from . import core, regexes
from .errors import InputError
from .model import Decoded, Source
from .normalize import t2s
from .read_docx import doc_to_docx, docx_text, is_docx
from .read_pdf import pdf_text

DEFAULT_MAX_BYTES = 20 * 1024 * 1024

_PDF, _ZIP, _OLE = b"%PDF", b"PK\x03\x04", b"\xd0\xcf\x11\xe0"
_MAGIC = {
    _ZIP: "a ZIP archive that is no Word file (XLSX, PPTX, …: not supported)",
    _OLE: "an old Office file that is no .doc (.xls, .ppt: not supported)",
    b"\x89PNG": "a PNG image",
    b"\xff\xd8\xff": "a JPEG image",
    b"GIF8": "a GIF image",
    b"\x1f\x8b": "a gzip archive",
    b"\x7fELF": "an executable",
}
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_HTML_SUFFIXES = {".html", ".htm", ".xhtml", ".shtml"}
_CHARSET = regexes.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_\-]{2,20})""", regex.I)
_LOOKS_HTML = regexes.compile(rb"^\s*(<!doctype html|<html|<head|<body|<meta|<div|<p[\s>])", regex.I)
_HAN = regexes.compile(r"\p{Han}")
_ASCII_WORD = regexes.compile(r"[A-Za-z]{2,}")
MAX_SAMPLE = 20_000  # characters looked at to tell text from binary
MIN_RUN_CHECK = 100
MAX_ONE_CHAR_SHARE = 0.9
WINDOW = round(MAX_SAMPLE * (1 - MAX_ONE_CHAR_SHARE))  # 2,000
_WEIRD = regexes.compile(r"[\p{Co}\p{Cn}\p{So}\p{Cs}\ufffd]")


def load_source(path: Path, display: str, max_bytes: int = DEFAULT_MAX_BYTES) -> Source:
    """Read a file's bytes; refuse files over `max_bytes` before reading them."""
    try:
        info = path.stat()
        if problem := irregular(info.st_mode):  # a FIFO would block for ever, /dev/zero never ends
            raise InputError(problem, "unreadable")
        check_size(info.st_size, max_bytes)
        with open(path, "rb") as handle:
            data = handle.read(max_bytes + 1)  # the file may have grown since stat
        check_size(len(data), max_bytes)
    except IsADirectoryError:
        raise InputError("is a directory, not a file", "unreadable") from None
    except PermissionError:
        raise InputError("permission denied", "unreadable") from None
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", "unreadable") from None
    return Source.of(display, data)


def irregular(mode: int) -> str | None:
    """Why a file of this `st_mode` is not read (a FIFO, a device …), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    kinds = ((stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a character device"),
             (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a directory"))
    return f"not a regular file ({next((name for test, name in kinds if test(mode)), 'a special file')})"


def check_size(size: int | None, max_bytes: int) -> None:
    """A file over `max_bytes` (--max-mb) is refused; `size` None: not known yet."""
    if size is not None and size > max_bytes:
        raise InputError(f"file is {size / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB limit (--max-mb)",
                         "too_large")


def read(source: Source) -> Decoded:
    data = source.data
    if not data.strip():
        raise InputError("empty file" if not data else "file holds only whitespace", "empty")
    if data.startswith(_PDF) or data[:1024].lstrip().startswith(_PDF):
        text, pages, empty = pdf_text(data)
        _check_text(text)
        return Decoded(source=source, text=text, encoding="pdf", media_type="pdf", page_starts=pages,
                       empty_pages=empty)
    if data.startswith(_ZIP) and is_docx(data):
        return _word(source, *docx_text(data), "docx")
    if data.startswith(_OLE) and Path(source.path).suffix.lower() == ".doc":
        return _word(source, *docx_text(doc_to_docx(data)), "doc")
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise InputError(f"binary content: {what}", "unsupported_format")
    is_html = Path(source.path).suffix.lower() in _HTML_SUFFIXES or bool(_LOOKS_HTML.match(data[:512]))
    declared = None
    if is_html:
        m = _CHARSET.search(data[:4096])
        declared = m.group(1).decode("ascii").lower() if m else None
    text, encoding = decode(data, declared)
    if is_html:
        text = html_to_text(text)
        if not text.strip():
            raise InputError("HTML page has no visible text", "empty")
    elif not text.strip():
        raise InputError("file holds only whitespace", "empty")
    _check_text(text)
    return Decoded(source=source, text=text, encoding=encoding, media_type="html" if is_html else "text")


def decode(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Bytes → (text, encoding name). Raises InputError rather than return mangled text."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(name.replace("-sig", "")), name
            except UnicodeDecodeError as exc:
                raise InputError(f"{name} BOM but invalid bytes at offset {exc.start + len(bom)}", "encoding") from None
    utf16 = _utf16_without_bom(data)
    if utf16:
        return utf16
    if b"\x00" in data:
        raise InputError("binary content: NUL bytes in a file that is not UTF-16", "binary")
    if declared:
        try:
            name = codecs.lookup(declared).name
            text = data.decode(name)
            if name in ("utf-8", "ascii") or _plausibility(text) >= 0.6:
                return text, name
        except (LookupError, UnicodeDecodeError):
            pass  # the declared charset lies: fall through to detection
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    candidates = []
    for names in (("gbk", "gb18030"), ("big5", "big5hkscs")):
        for name in names:  # the narrower name when the bytes fit it
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                continue
            candidates.append((_plausibility(text), name, text))
            break
    candidates.sort(key=lambda c: -c[0])
    if candidates and candidates[0][0] >= 0.6:
        score, name, text = candidates[0]
        return text, name
    if utf8_error.start >= len(data) - 3 and utf8_error.reason == "unexpected end of data":
        raise InputError(f"truncated: UTF-8 text ends inside a character (byte {utf8_error.start})", "truncated")
    raise InputError(
        f"cannot decode: not valid UTF-8 (bad byte at offset {utf8_error.start}), "
        "and no GB18030/Big5 reading looks like Chinese text",
        "encoding",
    )


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    # UTF-16 text has a NUL high byte for every ASCII character (newlines, digits,
    # punctuation), all on one byte parity; CJK characters put a NUL on the other parity
    # only for the rare code points U+xx00.
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0), data[1::2].count(0)
    for nuls, other, name in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if nuls >= max(2, len(data) // 64) and other * 4 < nuls:
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                return None
            if _plausibility(text) >= 0.6:
                return text, name
    return None


def _check_text(text: str) -> None:
    """Bytes that decode without error are not yet a notice: 20,000 bytes of 0xA5 are a
    valid GBK text of 10,000 `ゥ`. Text made (almost) of one character, or without a
    single Chinese character or ASCII word, is refused as binary."""
    sample = "".join(text[:MAX_SAMPLE].split())
    if len(sample) >= MIN_RUN_CHECK:
        char, n = _most_common(sample)
        if n > len(sample) * MAX_ONE_CHAR_SHARE:
            raise InputError(f"binary content: {n / len(sample):.0%} of the text is one character "
                             f"(U+{ord(char):04X})", "binary")
    if not _HAN.search(text, endpos=MAX_SAMPLE) and not _ASCII_WORD.search(text, endpos=MAX_SAMPLE):
        raise InputError("binary content: no Chinese character and no word in the text", "binary")


def _most_common(sample: str) -> tuple[str, int]:
    """A character that fills more than MAX_ONE_CHAR_SHARE of `sample`, with its count, if
    there is one (else some character and its count). Such a character leaves at most
    (1 - share) × MAX_SAMPLE = WINDOW other characters, so it fills at least half of the
    first or of the last WINDOW characters: it is among the two most common of one of them,
    and only their candidates are counted exactly (counting all 20,000 cost 0.7 ms a notice)."""
    if core.enabled():  # one pass in the core counts every character
        return core.most_common(sample)
    if len(sample) < 2 * WINDOW:
        return Counter(sample).most_common(1)[0]
    candidates = {c for part in (sample[:WINDOW], sample[-WINDOW:]) for c, _ in Counter(part).most_common(2)}
    return max(((c, sample.count(c)) for c in sorted(candidates)), key=lambda cn: cn[1])


def _gb2312_level1(ch: str) -> bool:
    try:
        b = ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return len(b) == 2 and 0xB0 <= b[0] <= 0xD7


def _plausibility(text: str) -> float:
    """How much `text` looks like correctly decoded Chinese, from 0 to 1.

    Common Han characters (the 3,755 of GB2312 level 1, after t2s) count for it;
    rare Han, private-use, unassigned and drawing symbols count against it. A right
    decoding of real Chinese scores ~0.95; Big5 read as GBK (or the reverse) scores
    ~0.3, because the wrong decoding scatters over rare characters and symbols.
    Text with neither scores 1.0 (nothing speaks against it).
    """
    sample = text[:20000]
    han = _HAN.findall(sample)
    weird = len(_WEIRD.findall(sample))
    if not han and not weird:
        return 1.0
    common = sum(map(_gb2312_level1, t2s("".join(han))))
    return common / (len(han) + weird)


def _word(source: Source, text: str, headings: tuple[tuple[int, int], ...], encoding: str) -> Decoded:
    if not text.strip():
        raise InputError("Word file has no text", "empty")
    _check_text(text)
    return Decoded(source=source, text=text, encoding=encoding, media_type="docx", headings=headings)


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "nav", "header", "footer", "form", "iframe", "svg",
            "select", "button", "head", "title", "object", "canvas", "aside", "menu"}
    BLOCK = {"p", "div", "br", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6",
             "section", "article", "blockquote", "pre", "dd", "dt", "dl", "hr", "main", "tbody", "thead",
             "center", "address", "figure", "figcaption"}
    VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            if tag in self.BLOCK:
                self.parts.append("\n")
            return
        if tag in self.SKIP or self.skip_depth:
            self.skip_depth += 1
            self.stack.append(tag)
            return
        self.stack.append(tag)
        if tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag):
        if tag not in self.stack:
            return  # stray end tag in dirty HTML
        while self.stack:
            top = self.stack.pop()
            if self.skip_depth:
                self.skip_depth -= 1
            if top == tag:
                break
        if tag in self.BLOCK and not self.skip_depth:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip_depth:
            self.parts.append(data.replace("\r", "").replace("\n", " ") if self.stack[-1:] != ["pre"] else data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    try:
        parser.feed(html)
        parser.close()
    except (AssertionError, ValueError):
        pass  # HTMLParser gives up on some broken markup; keep what it read
    return regex.sub(r"[ \t]*\n[ \t\n]*", "\n", "".join(parser.parts)).strip("\n") + "\n"
