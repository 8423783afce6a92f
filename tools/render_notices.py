"""Render a notice as the PDF and Word files notices are published as, for the tests of
reading PDF and Word input and for `bench/`. It writes real files with the bundled CJK
font: text layer, running footer (`— 3 —`) and header, two-column pages, a ruled task table
that runs over a page break with a merged header (`责任单位` over `牵头`|`配合`), a page
that is only a picture (a scan), Word list numbering, a Word table with merged cells and a
footnote.

    python tools/render_notices.py corpus/xiji/002_238c332b42fc6cf1.txt out.pdf   # or out.docx

The paragraphs rendered are those the pipeline reads from the text file
(`documents.text_original`, one paragraph a line), so the rendering and the text version
hold the same notice.
"""

from __future__ import annotations

import argparse
import io
from pathlib import Path
from xml.sax.saxutils import escape

FONT = Path(__file__).resolve().parents[1] / "pipeline" / "fonts" / "wqy-microhei.ttc"
TABLE_HEADER = [["序号", "工作任务", "责任单位", "责任单位", "完成时限"],  # 责任单位 spans 牵头 and 配合
                ["序号", "工作任务", "牵头", "配合", "完成时限"]]


def paragraphs_of(path: Path) -> list[str]:
    """The notice's paragraphs as the pipeline reads them from the text file."""
    from pipeline.api import extract

    return extract(path=path).document["text_original"].splitlines()


def task_rows(n: int) -> list[list[str]]:
    """A task-division table's rows (in the style of a county plan's 任务分工表)."""
    leads = ["县教育体育局", "县财政局", "县人力资源和社会保障局", "县发展和改革局"]
    return [[str(i), f"建成第{i}批标准化学校{i + 2}所。", leads[i % 4], "县财政局、各乡镇人民政府",
             f"{2025 + i % 3}年12月底前"] for i in range(1, n + 1)]


def _font():
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "wqy" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont("wqy", str(FONT), subfontIndex=0))
    return "wqy"


def to_pdf(paragraphs: list[str], path: Path, *, columns: int = 1, footer: bool = True, header: str | None = None,
           table: list[list[str]] | None = None, scanned_page: bool = False, text_layer: bool = True) -> Path:
    """A PDF of the paragraphs (16 pt body, first lines indented two characters, as 公文)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.platypus import BaseDocTemplate, Frame, Image, PageBreak, PageTemplate, Paragraph, Table, TableStyle

    font = _font()
    size = 12 if columns == 1 else 10
    body = ParagraphStyle("body", fontName=font, fontSize=size, leading=size * 1.6, wordWrap="CJK",
                          firstLineIndent=2 * size)
    cell = ParagraphStyle("cell", fontName=font, fontSize=9, leading=12, wordWrap="CJK")

    def decorate(canvas, doc):
        canvas.setFont(font, 9)
        if footer:
            canvas.drawCentredString(A4[0] / 2, 30, f"— {doc.page} —")
        if header:
            canvas.drawCentredString(A4[0] / 2, A4[1] - 40, header)

    margin = 72
    width, height = A4[0] - 2 * margin, A4[1] - 2 * margin
    gutter = 24
    frames = ([Frame(margin, margin, width, height)] if columns == 1 else
              [Frame(margin + i * (width + gutter) / 2, margin, (width - gutter) / 2, height) for i in range(2)])
    doc = BaseDocTemplate(str(path), pagesize=A4, pageTemplates=[PageTemplate(frames=frames, onPage=decorate)])
    story: list = []
    for text in paragraphs:
        if not text_layer:
            story.append(Image(_picture_of(text), width=width, height=width / 12))
        else:
            story.append(Paragraph(escape(text), body))
    if table:
        rows = [[Paragraph(escape(c), cell) for c in row] for row in table]
        grid = Table(rows, colWidths=[0.07 * width, 0.38 * width, 0.2 * width, 0.2 * width, 0.15 * width],
                     repeatRows=2)
        spans = [("SPAN", (2, 0), (3, 0)), ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1)), ("SPAN", (4, 0), (4, 1))]
        grid.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), *spans]))
        story.append(grid)
    if scanned_page:
        story += [PageBreak(), Image(_picture_of("附件:二维码与扫描件(图片,无文字层)"), width=width, height=width / 12)]
    doc.build(story)
    return path


def _picture_of(text: str) -> io.BytesIO:
    """A PNG of a line of text: what a scanned page holds instead of characters."""
    from PIL import Image, ImageDraw, ImageFont

    picture = Image.new("L", (1200, 100), 255)
    ImageDraw.Draw(picture).text((10, 20), text[:40], font=ImageFont.truetype(str(FONT), 48), fill=0)
    out = io.BytesIO()
    picture.save(out, format="PNG")
    out.seek(0)
    return out


def to_docx(paragraphs: list[str], path: Path, *, table: list[list[str]] | None = None,
            numbered: bool = False, footnote: str | None = None) -> Path:
    """A Word file of the paragraphs. `numbered`: items typed as `1.…` get Word's own list
    numbering instead (the number is no longer in the text). `table` is a task table whose
    first two rows are a merged header."""
    import regex
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.opc.packuri import PackURI
    from docx.opc.part import Part

    document = Document()
    item = regex.compile(r"^[0-9]{1,2}\.(?=\p{Han})")
    first_note = True
    for text in paragraphs:
        if numbered and item.match(text):
            paragraph = document.add_paragraph(item.sub("", text), style="List Number")
        else:
            paragraph = document.add_paragraph(text)
        if footnote and first_note and "。" in text:
            _footnote_reference(paragraph)
            first_note = False
    if table:
        grid = document.add_table(rows=len(table), cols=len(table[0]))
        for r, row in enumerate(table):
            for c, value in enumerate(row):
                grid.cell(r, c).text = value
        grid.cell(0, 2).merge(grid.cell(0, 3))
        for c in (0, 1, 4):
            grid.cell(0, c).merge(grid.cell(1, c))
        for c, value in enumerate(table[0]):  # merging joins the texts: set them again
            grid.cell(0, c).text = value
    if footnote:
        xml = ('<w:footnotes xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
               '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
               '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
               f'</w:p></w:footnote><w:footnote w:id="1"><w:p><w:r><w:t>{escape(footnote)}</w:t></w:r></w:p>'
               '</w:footnote></w:footnotes>')
        part = Part(PackURI("/word/footnotes.xml"),
                    "application/vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml",
                    xml.encode("utf-8"), document.part.package)
        document.part.relate_to(part, RELATIONSHIP_TYPE.FOOTNOTES)
    document.save(str(path))
    return path


def _footnote_reference(paragraph) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    run = paragraph.add_run()._r
    reference = OxmlElement("w:footnoteReference")
    reference.set(qn("w:id"), "1")
    run.append(reference)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notice", type=Path, help="a text notice (e.g. one of corpus/)")
    parser.add_argument("out", type=Path, help="the file to write: .pdf or .docx")
    parser.add_argument("--columns", type=int, default=1, help="PDF: text columns a page (1 or 2)")
    parser.add_argument("--table", type=int, default=0, help="append a task table of N rows")
    args = parser.parse_args()
    paragraphs = paragraphs_of(args.notice)
    table = TABLE_HEADER + task_rows(args.table) if args.table else None
    if args.out.suffix == ".docx":
        to_docx(paragraphs, args.out, table=table)
    else:
        to_pdf(paragraphs, args.out, columns=args.columns, table=table)


if __name__ == "__main__":
    main()
