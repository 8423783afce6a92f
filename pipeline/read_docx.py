"""Reading Word notices (part of stage 1, read): `.docx` bytes → text, one paragraph a
line, tables one row a line with cells joined by `|`; `.doc` through LibreOffice when it is
installed.

python-docx (MIT) gives the body in document order. What a reader of the notice sees and
the XML does not spell out is rebuilt here:
- **Automatic numbering** (`一、`, `(一)`, `1.` made by Word's list numbering, not typed) is
  written before the paragraph, counted per list and level as Word counts it.
- **Tables**: each grid column is a cell, so a cell merged across columns repeats its text
  in each (`责任单位` over `牵头`|`配合`), and a cell merged down repeats in each row it
  spans (one unit cell for several tasks); a cell's paragraphs are joined.
- **Footnotes** follow the body, one a line (`注1:…`). Headers, footers and text boxes of
  the page layout are not read: they hold the running title and page numbers.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
import zipfile
from pathlib import Path

from .errors import InputError

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
CONVERT_SECONDS = 120
MAX_UNPACKED = 200_000_000  # bytes of XML and media a Word notice may unpack to
_DIGITS = "〇一二三四五六七八九"


def is_docx(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "word/document.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def docx_text(data: bytes) -> tuple[str, tuple[tuple[int, int], ...]]:
    """(text, headings) of a .docx: body paragraphs and table rows in order, then
    footnotes; headings are (offset of the line, outline level from 0) of the paragraphs
    Word styles as headings (标题 1, Heading 2, an outline level)."""
    import docx  # python-docx: only when a Word file is read

    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # a zip bomb is refused before it is unpacked
        unpacked = sum(info.file_size for info in archive.infolist())
    if unpacked > MAX_UNPACKED:
        raise InputError(f"Word file unpacks to {unpacked / 1e6:,.0f} MB, over {MAX_UNPACKED / 1e6:.0f} MB",
                         "too_large")
    try:
        document = docx.Document(io.BytesIO(data))
        return _read(document)
    except Exception as exc:  # a broken or hostile file breaks the parser in many ways: all are one error row
        raise InputError(f"unreadable Word file ({exc.__class__.__name__}: {str(exc)[:80]})", "unreadable") from None


def _read(document) -> tuple[str, tuple[tuple[int, int], ...]]:
    numbering = _Numbering(document)
    levels = _outline_levels(document)
    lines: list[str] = []
    headings: list[tuple[int, int]] = []
    offset = 0
    for child in document.element.body.iterchildren():
        if child.tag == f"{W}p":
            text = _paragraph_text(child)
            label = numbering.label(child)
            if text.strip() or label:
                level = _outline_level(child, levels)
                if level is not None:
                    headings.append((offset, level))
                lines.append(label + text.strip())
                offset += len(lines[-1]) + 1
        elif child.tag == f"{W}tbl":
            for row in _table_rows(child):
                lines.append(row)
                offset += len(row) + 1
    lines.extend(_footnotes(document))
    return "\n".join(lines) + "\n", tuple(headings)


def _outline_levels(document) -> dict[str, int]:
    """styleId → outline level (0 = top) of the heading styles: built-in `heading N`
    (标题 N in a Chinese Word) or any style with an outline level."""
    out = {}
    for style in document.styles.element.iterchildren(f"{W}style"):
        name = style.find(f"{W}name")
        name = (name.get(f"{W}val") or "").lower() if name is not None else ""
        level = _level(style.find(f"{W}pPr/{W}outlineLvl"))
        if level is not None:
            out[style.get(f"{W}styleId")] = level
        elif name.startswith(("heading ", "标题 ")) and name.rsplit(" ", 1)[-1].isdigit():
            out[style.get(f"{W}styleId")] = int(name.rsplit(" ", 1)[-1]) - 1
    return out


def _outline_level(p, levels: dict[str, int]) -> int | None:
    own = p.find(f"{W}pPr/{W}outlineLvl")
    if own is not None and own.get(f"{W}val", "9").isdigit():  # the paragraph's own level wins, 9 (body) too
        return _level(own)
    style = p.find(f"{W}pPr/{W}pStyle")
    return levels.get(style.get(f"{W}val")) if style is not None else None


def _level(outline) -> int | None:
    """An outlineLvl element's level, 0–8; None for 9 (body text), a bad value or no element."""
    value = outline.get(f"{W}val", "9") if outline is not None else "9"
    return int(value) if value.isdigit() and int(value) < 9 else None


def doc_to_docx(data: bytes) -> bytes:
    """The .docx LibreOffice makes of an old binary .doc; an error naming the conversion
    when LibreOffice is not installed."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise InputError("an old Word .doc file: install LibreOffice (soffice) to read it, or convert it "
                         "first: soffice --headless --convert-to docx FILE.doc", "unsupported_format")
    with tempfile.TemporaryDirectory(prefix="policy-pipeline-doc-") as folder:
        source = Path(folder) / "notice.doc"
        source.write_bytes(data)
        try:
            subprocess.run([office, "--headless", "--norestore", f"-env:UserInstallation=file://{folder}/profile",
                            "--convert-to", "docx", "--outdir", folder, str(source)],
                           check=True, capture_output=True, timeout=CONVERT_SECONDS)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            raise InputError(f"LibreOffice could not convert the .doc file ({exc.__class__.__name__})",
                             "unreadable") from None
        converted = Path(folder) / "notice.docx"
        if not converted.exists():
            raise InputError("LibreOffice could not convert the .doc file", "unreadable")
        return converted.read_bytes()


def _paragraph_text(p) -> str:
    """A paragraph's visible text: runs, hyperlinks, tabs and breaks (w:t holds no deleted text)."""
    parts = []
    for node in p.iter(f"{W}t", f"{W}tab", f"{W}br"):
        if node.tag == f"{W}t":
            parts.append(node.text or "")
        elif node.tag in (f"{W}tab", f"{W}br"):
            parts.append(" ")
    return "".join(parts)


def _table_rows(tbl) -> list[str]:
    """One line a row, one cell a grid column, merged cells repeated where they span."""
    rows: list[list[str]] = []
    merged_down: dict[int, str] = {}  # grid column → text of the cell a vMerge continues
    for tr in tbl.iterchildren(f"{W}tr"):
        row: list[str] = []
        for tc in tr.iterchildren(f"{W}tc"):
            props = tc.find(f"{W}tcPr")
            span, merge = 1, None
            if props is not None:
                grid = props.find(f"{W}gridSpan")
                span = int(grid.get(f"{W}val", "1")) if grid is not None else 1
                vmerge = props.find(f"{W}vMerge")
                merge = None if vmerge is None else vmerge.get(f"{W}val", "continue")
            column = len(row)
            if merge == "continue":
                text = merged_down.get(column, "")
            else:
                text = "".join(_paragraph_text(p).strip() for p in tc.iter(f"{W}p")).replace("|", "/")
                if merge == "restart":
                    for c in range(column, column + span):
                        merged_down[c] = text
            row.extend([text] * span)
        if any(row):
            rows.append(row)
    return ["|".join(row) for row in rows]


def _footnotes(document) -> list[str]:
    part = next((rel.target_part for rel in document.part.rels.values()
                 if rel.reltype.endswith("/footnotes")), None)
    if part is None:
        return []
    from docx.oxml import parse_xml

    root = parse_xml(part.blob)
    out = []
    for note in root.iterchildren(f"{W}footnote"):
        if note.get(f"{W}type") in ("separator", "continuationSeparator", "continuationNotice"):
            continue
        text = "".join(_paragraph_text(p) for p in note.iter(f"{W}p")).strip()
        if text:
            out.append(f"注{len(out) + 1}:{text}")
    return out


class _Numbering:
    """Word's automatic list numbers: `numId` and level of a paragraph (its own or its
    style's) → the label Word shows, counted in document order."""

    def __init__(self, document) -> None:
        self.formats: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, level) → fmt, text, start
        self.counters: dict[str, list[int]] = {}
        self.style_numbering: dict[str, tuple[str, int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError):
            return
        abstract = {}
        for node in root.iterchildren(f"{W}abstractNum"):
            levels = {}
            for lvl in node.iterchildren(f"{W}lvl"):
                fmt = lvl.find(f"{W}numFmt")
                text = lvl.find(f"{W}lvlText")
                start = lvl.find(f"{W}start")
                levels[int(lvl.get(f"{W}ilvl", "0"))] = (
                    fmt.get(f"{W}val", "decimal") if fmt is not None else "decimal",
                    text.get(f"{W}val", "") if text is not None else "",
                    int(start.get(f"{W}val", "1")) if start is not None else 1)
            abstract[node.get(f"{W}abstractNumId")] = levels
        for num in root.iterchildren(f"{W}num"):
            ref = num.find(f"{W}abstractNumId")
            levels = abstract.get(ref.get(f"{W}val") if ref is not None else None, {})
            for level, spec in levels.items():
                self.formats[(num.get(f"{W}numId"), level)] = spec
        for style in document.styles.element.iterchildren(f"{W}style"):
            num_pr = style.find(f"{W}pPr/{W}numPr")
            if num_pr is not None:
                num_id = num_pr.find(f"{W}numId")
                ilvl = num_pr.find(f"{W}ilvl")
                if num_id is not None:
                    self.style_numbering[style.get(f"{W}styleId")] = (
                        num_id.get(f"{W}val"), int(ilvl.get(f"{W}val", "0")) if ilvl is not None else 0)

    def label(self, p) -> str:
        num_pr = p.find(f"{W}pPr/{W}numPr")
        if num_pr is not None:
            num_id = num_pr.find(f"{W}numId")
            ilvl = num_pr.find(f"{W}ilvl")
            key = (num_id.get(f"{W}val") if num_id is not None else None,
                   int(ilvl.get(f"{W}val", "0")) if ilvl is not None else 0)
        else:
            style = p.find(f"{W}pPr/{W}pStyle")
            key = self.style_numbering.get(style.get(f"{W}val")) if style is not None else None
        if key is None or key[0] in (None, "0") or key not in self.formats:
            return ""
        num_id, level = key
        counts = self.counters.setdefault(num_id, [0] * 9)
        counts[level] += 1
        for deeper in range(level + 1, 9):
            counts[deeper] = 0
        text = self.formats[key][1]
        for lvl in range(level + 1):
            fmt, _, start = self.formats.get((num_id, lvl), ("decimal", "", 1))
            value = start - 1 + max(counts[lvl], 1)
            text = text.replace(f"%{lvl + 1}", _format(value, fmt))
        return text if self.formats[key][0] != "bullet" else ""


def _format(n: int, fmt: str) -> str:
    if fmt.startswith(("chinese", "ideograph", "taiwanese", "japanese")):
        return _chinese(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return chr(0x2460 + n - 1) if 1 <= n <= 20 else str(n)
    if fmt in ("lowerLetter", "upperLetter"):
        letter = chr(ord("a") + (n - 1) % 26)
        return letter.upper() if fmt == "upperLetter" else letter
    return str(n)


def _chinese(n: int) -> str:
    """一 … 九十九, as list numbers are written."""
    if n < 10:
        return _DIGITS[n]
    tens, ones = divmod(n, 10)
    if n >= 100:
        return str(n)
    return ("" if tens == 1 else _DIGITS[tens]) + "十" + (_DIGITS[ones] if ones else "")
