"""PDF and Word notices (issue 16): real files rendered from the seeds with the bundled CJK
font (tools/render_notices.py) must give the targets of the text version — value, unit,
deadline, lead unit — with a page for every clause of a PDF; a task table (over a page
break, under a merged header) gives responsibility rows; a scan is an error row."""

from __future__ import annotations

import shutil
import sys
import zipfile
from collections import Counter
from pathlib import Path

import pdfplumber
import pytest
from conftest import ROOT, SEEDS

from pipeline.api import extract
from pipeline.errors import InputError
from pipeline.model import Source
from pipeline.run import Options, process_source

sys.path.insert(0, str(ROOT / "tools"))
import render_notices as render  # noqa: E402 - a script of the repository, not a package

XIJI = ROOT / "corpus" / "xiji" / "002_238c332b42fc6cf1.txt"


def commitments(notice) -> Counter:
    t = notice.targets.to_pandas()
    return Counter(zip(t.mention.str.replace(" ", ""), t.value.fillna(-1), t.unit.fillna(""),
                       t.deadline_year.fillna(0), t.lead_unit.fillna(""), strict=True))


@pytest.fixture(scope="module")
def xiji_paragraphs():
    return render.paragraphs_of(XIJI)


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_rendering_of_each_seed_gives_the_targets_of_its_text(seed, fmt, tmp_path):
    text = ROOT / seed
    out = tmp_path / f"notice.{fmt}"
    paragraphs = render.paragraphs_of(text)
    (render.to_pdf if fmt == "pdf" else render.to_docx)(paragraphs, out)
    typed, rendered = extract(path=text), extract(path=out)
    assert commitments(rendered) == commitments(typed)
    assert rendered.document["text_original"] == typed.document["text_original"]  # same paragraphs, same order
    assert rendered.document["encoding"] == fmt


def test_every_clause_of_a_pdf_has_its_page(xiji_paragraphs, tmp_path):
    out = render.to_pdf(xiji_paragraphs, tmp_path / "notice.pdf")
    notice = extract(path=out)
    with pdfplumber.open(out) as pdf:
        pages = ["".join(page.extract_text().split()) for page in pdf.pages]
    clauses = notice.clauses.to_pandas()
    assert clauses.page.notna().all() and clauses.page.is_monotonic_increasing
    assert (clauses.page.min(), clauses.page.max()) == (1, len(pages))
    targets = notice.targets.to_pandas()
    for mention, page in zip(targets.mention, targets.page, strict=True):
        assert "".join(mention.split()) in pages[page - 1], (mention, page)
    # The text version has no pages.
    assert extract(path=XIJI).clauses.to_pandas().page.isna().all()


def test_two_columns_a_running_header_and_page_numbers(xiji_paragraphs, tmp_path):
    title = "西吉县教育质量提升行动实施方案(印发稿)"
    out = render.to_pdf(xiji_paragraphs, tmp_path / "notice.pdf", columns=2, header=title)
    notice = extract(path=out)
    assert commitments(notice) == commitments(extract(path=XIJI))
    text = notice.document["text"]
    assert title not in text and "— 3 —" not in text


def test_a_task_table_over_a_page_break_under_a_merged_header(xiji_paragraphs, tmp_path):
    rows = render.task_rows(40)
    out = render.to_pdf(xiji_paragraphs[:6], tmp_path / "notice.pdf", table=render.TABLE_HEADER + rows)
    notice = extract(path=out)
    found = notice.responsibilities.to_pandas()
    found = found[found.source == "table"]
    leads = found[found.role == "lead"]
    assert list(leads.unit) == [row[2] for row in rows]  # the 牵头 column, row by row
    assert set(leads.lead_rule) == {"label"}
    assert (found.role == "co").sum() == 2 * len(rows)  # 县财政局、各乡镇人民政府 in the 配合 column
    targets = notice.targets.to_pandas()
    in_table = targets[targets.mention.str.endswith("所") & targets.indicator.str.contains("标准化学校")]
    assert list(in_table.deadline_year) == [int(row[4][:4]) for row in rows]
    assert list(in_table.lead_unit) == [row[2] for row in rows]
    assert in_table.page.nunique() >= 2  # the table runs over a page break


def test_a_scanned_pdf_is_an_error_row_with_its_page_count(xiji_paragraphs, tmp_path):
    out = render.to_pdf(xiji_paragraphs[:30], tmp_path / "scan.pdf", text_layer=False)
    with pdfplumber.open(out) as pdf:
        n_pages = len(pdf.pages)
    result = process_source(Source.of("scan.pdf", out.read_bytes()), Options())
    (error,) = result.errors
    assert not result.columns and error["error_type"] == "no_text_layer"
    assert f"any of its {n_pages} pages" in error["message"]


def test_a_scanned_page_among_typed_pages_is_reported_not_lost(xiji_paragraphs, tmp_path):
    out = render.to_pdf(xiji_paragraphs[:8], tmp_path / "notice.pdf", scanned_page=True)
    result = process_source(Source.of("notice.pdf", out.read_bytes()), Options())
    assert result.columns["documents"]["n_clauses"][0] > 0
    (warning,) = result.errors
    assert warning["error_type"] == "pages_without_text" and "page(s) 2 of 2" in warning["message"]
    assert extract(path=out).warnings == (warning["message"],)


def test_word_list_numbering_a_footnote_and_a_task_table(xiji_paragraphs, tmp_path):
    # Items typed `1.…` in the text are Word's own list numbers here: the number is no
    # longer in the text, and the reader must write it back for the headings to stand.
    note = "本方案所称标准化学校,指达到自治区办学条件标准的学校。"
    out = render.to_docx(xiji_paragraphs, tmp_path / "numbered.docx", numbered=True, footnote=note)
    notice = extract(path=out)
    assert commitments(notice) == commitments(extract(path=XIJI))
    assert f"注1:{note}" in notice.document["text_original"]
    rows = render.task_rows(12)
    tabled = extract(path=render.to_docx(xiji_paragraphs[:6], tmp_path / "table.docx",
                                         table=render.TABLE_HEADER + rows))
    found = tabled.responsibilities.to_pandas()
    leads = found[(found.source == "table") & (found.role == "lead")]
    assert list(leads.unit) == [row[2] for row in rows] and set(leads.lead_rule) == {"label"}


def test_an_old_doc_without_libreoffice_is_an_error_naming_the_conversion(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    result = process_source(Source.of("notice.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600), Options())
    (error,) = result.errors
    assert error["error_type"] == "unsupported_format"
    assert "soffice --headless --convert-to docx" in error["message"]


@pytest.mark.skipif(not (shutil.which("soffice") or shutil.which("libreoffice")), reason="LibreOffice not installed")
def test_an_old_doc_is_read_through_libreoffice(xiji_paragraphs, tmp_path):
    import subprocess

    docx = render.to_docx(xiji_paragraphs, tmp_path / "notice.docx")
    office = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run([office, "--headless", f"-env:UserInstallation=file://{tmp_path}/profile", "--convert-to",
                    "doc", "--outdir", str(tmp_path / "doc"), str(docx)], check=True, capture_output=True, timeout=180)
    notice = extract(path=tmp_path / "doc" / "notice.doc")
    assert notice.document["encoding"] == "doc"
    assert commitments(notice) == commitments(extract(path=XIJI))


def test_broken_and_foreign_files_are_error_rows(xiji_paragraphs, tmp_path):
    pdf = render.to_pdf(xiji_paragraphs[:5], tmp_path / "notice.pdf").read_bytes()
    truncated = process_source(Source.of("cut.pdf", pdf[: len(pdf) // 3]), Options())
    assert not truncated.columns and truncated.errors[0]["error_type"] in ("unreadable", "no_text_layer")
    archive = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    foreign = process_source(Source.of("sheet.xlsx", archive.read_bytes()), Options())
    assert foreign.errors[0]["error_type"] == "unsupported_format"
    with pytest.raises(InputError):
        extract(path=tmp_path / "missing.pdf")


def test_a_batch_of_pdf_word_and_text_notices_runs_together(xiji_paragraphs, tmp_path):
    from pipeline.run import run

    folder = tmp_path / "in"
    folder.mkdir()
    render.to_pdf(xiji_paragraphs, folder / "a.pdf")
    render.to_docx(xiji_paragraphs[:40], folder / "b.docx")
    render.to_pdf(xiji_paragraphs[:10], folder / "c.pdf", text_layer=False)
    (folder / "d.txt").write_text(Path(ROOT / SEEDS[0]).read_text(encoding="utf-8"), encoding="utf-8")
    summary = run([folder], tmp_path / "out", workers=1, progress=False)
    assert summary.documents == 3
    assert [(e["source_path"].rsplit("/", 1)[-1], e["error_type"]) for e in summary.error_rows] == [
        ("c.pdf", "no_text_layer")]


def test_word_heading_styles_without_markers_make_the_section_tree(tmp_path):
    from docx import Document

    document = Document()
    document.add_heading("某县学前教育普及普惠实施方案", level=1)  # the title, styled as a heading
    document.add_paragraph("为加快发展学前教育,结合我县实际,制定本方案。")
    document.add_heading("总体要求", level=1)
    document.add_heading("工作目标", level=2)
    document.add_paragraph("到2025年,全县学前三年毛入园率达到92%以上。")
    document.add_heading("保障措施", level=1)
    document.add_paragraph("加强组织领导,落实工作责任。")
    path = tmp_path / "styled.docx"
    document.save(str(path))
    notice = extract(path=path)
    clauses = notice.clauses.to_pandas()
    target = notice.targets.to_pandas().iloc[0]
    assert (target["value"], target["section_path"]) == (92, "总体要求 > 工作目标")
    assert clauses[clauses.is_heading].text.tolist() == ["总体要求", "工作目标", "保障措施"]
    assert notice.document["title"] == "某县学前教育普及普惠实施方案"


def test_letter_spaced_type_keeps_numbers_whole(tmp_path):
    # Justified or letter-spaced lines come out of a PDF as `到 2 0 2 5 年`; Latin words keep a space.
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    path = tmp_path / "spaced.pdf"
    page = canvas.Canvas(str(path), pagesize=A4)
    text = page.beginText(72, 700)
    text.setFont(render._font(), 14)
    text.setCharSpace(5)
    for line in ("某县学前教育发展实施方案", "到2025年,全县新建公办幼儿园12所,", "实现ICT coverage 100%。"):
        text.textLine(line)
    page.drawText(text)
    page.save()
    notice = extract(path=path)
    assert "ICT coverage 100%" in notice.document["text"]
    targets = notice.targets.to_pandas()
    assert list(zip(targets.mention, targets.deadline_year, strict=True))[:1] == [("12所", 2025)]


def test_a_word_file_that_unpacks_to_gigabytes_is_refused_unread(tmp_path):
    bomb = tmp_path / "bomb.docx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/media/padding.bin", b"\0" * 300_000_000)  # a few hundred kB packed
    result = process_source(Source.of("bomb.docx", bomb.read_bytes()), Options())
    assert result.errors[0]["error_type"] == "too_large" and "unpacks to 300 MB" in result.errors[0]["message"]
