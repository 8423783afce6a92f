"""Reading PDF notices (part of stage 1, read): PDF bytes → text in reading order, one
paragraph a line, tables one row a line with cells joined by `|`, and where each page starts.

The text layer is read with pdfplumber (MIT; pdfminer.six underneath): characters with their
positions. What the layout means is decided here from the geometry, not from the lines the
PDF happens to draw:
- **Paragraphs**: a line is joined to the one before unless that one ended short of the
  text block's right edge, this one is indented (the first line of a 公文 paragraph), or a
  gap wider than the line spacing lies between them. A paragraph may run on over a page.
- **Running headers and footers** (`— 31 —`, `第3页 共9页`, the notice's name repeated on
  every page) are dropped: page numbers wherever they stand at the top or bottom of a page,
  other lines when the same line (numbers aside) heads or foots at least half the pages.
- **Two columns**: a vertical gap free of text through the middle of a page splits it; the
  left column is read before the right, lines crossing the gap (a title) where they stand.
- **Tables** (ruled, as pdfplumber finds them) are read cell by cell: a merged cell's text
  fills every row and column it spans (`责任单位` over `牵头`|`配合`), so each row of the
  table is one line of as many cells as the table has columns.
A PDF without any text (a scan) raises `no_text_layer` with its page count.
"""

from __future__ import annotations

import io
import statistics
from bisect import bisect_left
from dataclasses import dataclass

import regex

from . import regexes
from .errors import InputError

PAGE_NUMBER = regexes.compile(
    r"^[\s\-—–－―_·•]*(?:第\s*)?[0-9]{1,4}(?:\s*页)?(?:\s*[/／]\s*[0-9]{1,4}|\s*共\s*[0-9]{1,4}\s*页)?[\s\-—–－―_·•]*$")
OPENING = "(（《“‘〔【[\"'"
MAX_PAGES = 2000  # the longest notices with annexes run to a few hundred pages
EDGE_SHARE = 0.12  # the top or bottom of a page where running headers and footers stand
MIN_GUTTER = 1.5  # character widths free of text between two columns


@dataclass
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    table: bool = False  # one row of a table, cells joined by |
    left: float = 0.0  # the edges of the text block (page or column) the line stands in
    right: float = 0.0
    lead: float = 0.0  # width of the line's first unbreakable run (`(2023年`, `2026年`)


def pdf_text(data: bytes) -> tuple[str, tuple[int, ...], tuple[int, ...]]:
    """(text, the offset in it where each page starts, the pages without text) of a PDF's
    text layer."""
    import pdfplumber  # 0.2 s to import: only when a PDF is read

    try:
        pages, pictures = [], []
        with pdfplumber.open(io.BytesIO(data)) as pdf:
            if len(pdf.pages) > MAX_PAGES:
                raise InputError(f"PDF has {len(pdf.pages):,} pages, over the {MAX_PAGES:,} a notice may have",
                                 "too_large")
            for page in pdf.pages:
                pages.append(_page_lines(page))
                pictures.append(bool(page.images))
                page.close()  # its parsed objects: memory stays that of one page, not of the PDF
    except InputError:
        raise
    except Exception as exc:  # a broken or hostile file breaks the parser in many ways: all are one error row
        raise InputError(f"unreadable PDF ({exc.__class__.__name__}: {str(exc)[:80]})", "unreadable") from None
    if not pages:
        raise InputError("PDF has no pages", "empty")
    pages = _without_running_lines(pages)
    if not any(pages):  # page numbers and a running title alone are no text layer
        raise InputError(f"PDF has no text layer on any of its {len(pages)} pages (a scan; OCR is not "
                         "supported)", "no_text_layer")
    # A page with a picture and no text among pages with text: a scanned page. A page
    # with neither is left blank on purpose.
    empty = tuple(n for n, (lines, picture) in enumerate(zip(pages, pictures, strict=True), 1)
                  if not lines and picture)
    text, starts = _assemble(pages)
    return text, starts, empty


def _page_lines(page) -> list[_Line]:
    tables = page.find_tables()
    body = page
    for table in tables:
        body = body.outside_bbox(table.bbox, strict=False)
    lines = _columns(body)
    lines += [_Line(row, table.bbox[0], table.bbox[2], top, top, 0.0, table=True)
              for table in tables for top, row in _table_rows(page, table)]
    return sorted(lines, key=lambda line: (line.top, line.x0)) if tables else lines


def _text_lines(page) -> list[tuple[_Line, list[dict]]]:
    """The page's lines as pdfplumber groups characters (by height: the lines of two
    columns side by side come as one), with their characters."""
    out = []
    for line in page.extract_text_lines(return_chars=True, strip=True):
        chars = [c for c in line["chars"] if not c["text"].isspace()]
        if chars:
            out.append((_line_of(_joined(line["chars"]), chars), chars))
    return out


def _joined(chars: list[dict]) -> str:
    """A line's characters as text. Spaced-out type (`到 2 0 2 5 年`, justified or letter-spaced
    lines) gets no spaces; two Latin words keep one, where the PDF has a space character or
    a gap wider than the line's spacing plus a third of a character."""
    gaps = [b["x0"] - a["x1"] for a, b in zip(chars, chars[1:], strict=False)
            if not a["text"].isspace() and not b["text"].isspace()]
    base = statistics.median(gaps) if gaps else 0.0
    out: list[str] = []
    prev: dict | None = None
    spaced = False
    for c in chars:
        if c["text"].isspace():
            spaced = True
            continue
        if prev is not None and prev["text"].isascii() and c["text"].isascii() and prev["text"].isalnum() \
                and c["text"].isalnum() and not (prev["text"].isdigit() and c["text"].isdigit()) \
                and (spaced or c["x0"] - prev["x1"] > base + c["size"] / 3):
            out.append(" ")
        out.append(c["text"])
        prev, spaced = c, False
    return "".join(out)


def _line_of(text: str, chars: list[dict]) -> _Line:
    return _Line(text, min(c["x0"] for c in chars), max(c["x1"] for c in chars), min(c["top"] for c in chars),
                 max(c["bottom"] for c in chars), statistics.median(c["size"] for c in chars), lead=_lead(chars))


def _lead(chars: list[dict]) -> float:
    """How wide the start of a line is that could not have ended the line before: a run of
    Latin letters, digits and opening brackets, with the character after it."""
    i = 0
    while i < len(chars) - 1 and (chars[i]["text"].isascii() or chars[i]["text"] in OPENING):
        i += 1
    return chars[i]["x1"] - chars[0]["x0"]


def _columns(page) -> list[_Line]:
    """The page's lines in reading order: a two-column page is read column by column, lines
    crossing the gap between the columns (a title) where they stand. Each line knows the
    edges of its block, to tell a full line from the last line of a paragraph."""
    found = _text_lines(page)
    lines = [line for line, _ in found]
    gutter = _gutter(found, page.width)
    if gutter is None:
        _block(lines)
        return lines
    left, right, spanning = [], [], []
    for line, chars in found:
        before = [c for c in chars if c["x1"] <= gutter[0] + 0.5]
        after = [c for c in chars if c["x0"] >= gutter[1] - 0.5]
        if len(before) + len(after) < len(chars):
            spanning.append(line)
            continue
        if before:
            left.append(_line_of(_joined(before), before))
        if after:
            right.append(_line_of(_joined(after), after))
    _block(left)
    _block(right)
    _block(spanning)
    top_of_columns = min(line.top for line in left + right)
    above = [line for line in spanning if line.top < top_of_columns]
    below = [line for line in spanning if line.top >= top_of_columns]
    return above + left + right + below


def _gutter(found: list[tuple[_Line, list[dict]]], width: float) -> tuple[float, float] | None:
    """The x-interval between two columns of text: through the middle of the page, no
    character of most lines stands in it, and both sides hold text."""
    if len(found) < 6:
        return None
    cw = statistics.median(line.size for line, _ in found)
    lo, hi = width * 0.3, width * 0.7
    free: list[tuple[float, float]] | None = None  # the gaps all lines so far leave in [lo, hi]
    two_sided = 0
    for line, chars in found:
        if line.x1 < hi or line.x0 > lo:
            continue  # a line of one column only, or a short one: says nothing of the gap
        two_sided += 1
        gaps = [(max(a["x1"], lo), min(b["x0"], hi)) for a, b in zip(chars, chars[1:], strict=False)
                if b["x0"] - a["x1"] >= MIN_GUTTER * cw and b["x0"] > lo and a["x1"] < hi]
        if not gaps:
            continue  # a line across the middle: a title, not a column's line
        free = gaps if free is None else [(max(a, c), min(b, d)) for a, b in free for c, d in gaps
                                          if min(b, d) - max(a, c) >= MIN_GUTTER * cw]
        if not free:
            return None
    if free is None or two_sided < 6:
        return None
    return max(free, key=lambda gap: gap[1] - gap[0])


def _block(lines: list[_Line]) -> None:
    if lines:
        left, right = min(line.x0 for line in lines), max(line.x1 for line in lines)
        for line in lines:
            line.left, line.right = left, right


def _table_rows(page, table) -> list[tuple[float, str]]:
    """(top, `cell|cell|…`) for each grid row of a table; a merged cell's text in every
    grid position it covers."""
    cells = [c for c in table.cells if c is not None]
    xs = sorted({round(x, 1) for c in cells for x in (c[0], c[2])})
    ys = sorted({round(y, 1) for c in cells for y in (c[1], c[3])})
    if len(xs) < 2 or len(ys) < 2:
        return []
    inside = [c for c in page.chars if _within(c, table.bbox)]
    grid = [[""] * (len(xs) - 1) for _ in range(len(ys) - 1)]
    for cx0, ctop, cx1, cbottom in cells:
        text = _cell_text([c for c in inside if _within(c, (cx0, ctop, cx1, cbottom))]).replace("|", "/")
        c0, c1 = bisect_left(xs, round(cx0, 1)), bisect_left(xs, round(cx1, 1))
        r0, r1 = bisect_left(ys, round(ctop, 1)), bisect_left(ys, round(cbottom, 1))
        for r in range(r0, max(r1, r0 + 1)):
            for c in range(c0, max(c1, c0 + 1)):
                if r < len(grid) and c < len(grid[r]):
                    grid[r][c] = text
    return [(ys[r], "|".join(row)) for r, row in enumerate(grid) if any(row)]


def _within(char: dict, box: tuple[float, float, float, float]) -> bool:
    x, y = (char["x0"] + char["x1"]) / 2, (char["top"] + char["bottom"]) / 2
    return box[0] <= x <= box[2] and box[1] <= y <= box[3]


def _cell_text(chars: list[dict]) -> str:
    """A cell's characters in reading order, its lines joined (a cell wraps like a paragraph)."""
    lines: list[list[dict]] = []
    for c in sorted(chars, key=lambda c: c["top"]):
        if lines and abs(c["top"] - lines[-1][0]["top"]) < 0.5 * c["size"]:
            lines[-1].append(c)
        else:
            lines.append([c])
    return "".join(c["text"] for line in lines for c in sorted(line, key=lambda c: c["x0"])).strip()


def _without_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Pages without their page numbers and the headers and footers repeated on them."""
    def edge(lines: list[_Line]) -> list[_Line]:
        if not lines:
            return []
        top = min(line.top for line in lines)
        bottom = max(line.bottom for line in lines)
        band = (bottom - top) * EDGE_SHARE
        return [line for line in lines if not line.table and (line.top <= top + band or line.bottom >= bottom - band)]

    def key(line: _Line) -> str:
        return regex.sub(r"[0-9]+", "#", regex.sub(r"\s+", "", line.text))

    edges = [edge(lines) for lines in pages]
    counts: dict[str, int] = {}
    for lines in edges:
        for k in {key(line) for line in lines}:
            counts[k] = counts.get(k, 0) + 1
    with_text = sum(1 for lines in pages if lines)
    repeated = {k for k, n in counts.items() if n >= 2 and n >= with_text / 2}
    out = []
    for lines, edge_lines in zip(pages, edges, strict=True):
        drop = {id(line) for line in edge_lines if PAGE_NUMBER.match(line.text) or key(line) in repeated}
        out.append([line for line in lines if id(line) not in drop])
    return out


def _assemble(pages: list[list[_Line]]) -> tuple[str, tuple[int, ...]]:
    """The text, one paragraph a line, and the offset where each page starts."""
    parts: list[str] = []
    length = 0
    starts: list[int] = []
    prev: _Line | None = None
    for lines in pages:
        starts.append(length)
        for line in lines:
            joined = prev is not None and _continues(prev, line)
            piece = line.text if joined or not parts else "\n" + line.text
            if joined and prev.text[-1:].isascii() and prev.text[-1:].isalnum() and line.text[:1].isascii():
                piece = " " + piece  # English words broken over lines keep their space
            parts.append(piece)
            length += len(piece)
            prev = line
    return "".join(parts) + "\n", tuple(starts)


def _continues(prev: _Line, line: _Line) -> bool:
    """Whether `line` goes on with the paragraph `prev` is in (geometry only)."""
    if prev.table or line.table:
        return False
    cw = max(prev.size, 1.0)
    if prev.right - prev.x1 > max(2 * cw, line.lead + cw):  # the line before stopped short of where
        return False  # this one's first word would have fitted: its paragraph ended
    if line.x0 > line.left + 1.5 * cw:  # an indented first line starts a paragraph
        return False
    gap = line.top - prev.bottom  # negative over a page or column break
    return not gap > 1.2 * (prev.bottom - prev.top) + cw
