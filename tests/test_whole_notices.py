"""Reading every real notice (SPEC §9): notices stored without a line break, and no silent
loss. The one-line notice below is our own text in the style of crawled government pages
(addressees, cover letter, signature and plan title run together, page chrome at the end);
the devset notices are read from ../shared/devset where that folder sits beside the clone."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import ROOT, decoded

from pipeline.clean import LONG_LINE, clean
from pipeline.errors import InputError
from pipeline.model import Source
from pipeline.run import Options, process_source

FILLER = "推动全市学校办学条件持续改善,教育教学质量稳步提升,人民群众满意度不断提高。"
ONE_LINE = (
    "各县(市、区)人民政府,市级各部门:《某市学前教育普及普惠实施方案》已经市政府同意,现印发给你们,请认真贯彻落实。"
    "某市人民政府办公室2023年5月6日"
    "某市学前教育普及普惠实施方案"
    "为加快发展学前教育,结合我市实际,制定本方案。"
    "一、总体要求(一)指导思想。坚持以人民为中心的发展思想。" + FILLER * 6 +
    "(二)工作目标。到2025年,全市学前三年毛入园率达到92%以上,新建公办幼儿园20所。" + FILLER * 6 +
    "二、重点任务(三)扩大普惠资源。每年新增公办学位3000个,其中第(一)项资金由市财政保障。"
    "(责任单位:市教育局,市财政局)(四)加强教师队伍建设。" + FILLER * 6 +
    "1.配足配齐教师。2.提高待遇保障。(责任单位:市教育局)"
    "三、保障措施(五)加强组织领导。" + FILLER * 4 +
    "附件:重点任务分工表(/files/1234.docx)相关附件:二维码开始扫一扫在手机打开当前页"
)


def test_the_example_is_one_long_line():
    assert "\n" not in ONE_LINE and len(ONE_LINE) >= LONG_LINE


def test_a_notice_on_one_line_is_read_as_paragraphs(lex):
    paragraphs = clean(decoded(ONE_LINE), lex).text.split("\n")
    assert paragraphs[:4] == [
        "各县(市、区)人民政府,市级各部门:《某市学前教育普及普惠实施方案》已经市政府同意,现印发给你们,请认真贯彻落实。",
        "某市人民政府办公室2023年5月6日",
        "某市学前教育普及普惠实施方案",
        "为加快发展学前教育,结合我市实际,制定本方案。",
    ]
    starts = [p[:6] for p in paragraphs]
    for marker in ("一、总体要求", "(一)指导思", "(二)工作目", "二、重点任务", "(三)扩大普", "(四)加强教",
                   "1.配足配齐", "2.提高待遇", "三、保障措施", "(五)加强组", "附件:重点任"):
        assert marker in starts, (marker, starts)
    # `第(一)项` inside a sentence is out of sequence and stays where it is; the chrome is gone.
    assert not any(p.startswith("(一)项") for p in paragraphs)
    assert not any("扫一扫" in p for p in paragraphs)


def test_a_notice_on_one_line_gives_metadata_clauses_and_targets(lex):
    doc = process_source(_source(ONE_LINE), Options())
    row = doc.rows("documents")[0]
    assert row["issue_date"].isoformat() == "2023-05-06"
    assert list(row["issuers"]) == ["某市人民政府办公室"]
    assert row["plan_end_year"] == 2025
    assert row["n_clauses"] > 20
    mentions = {t["mention"] for t in doc.rows("targets")}
    assert {"92%以上", "20所", "3000个"} <= mentions
    paths = {c["section_path"] for c in doc.rows("clauses")}
    assert "二、重点任务 > (三)扩大普惠资源" in paths


def test_a_file_of_page_chrome_only_is_an_error_not_an_empty_document():
    doc = process_source(_source("分享本文至:\n扫一扫在手机打开当前页\n版权所有 某市人民政府\n"), Options())
    assert not doc.columns
    (error,) = doc.rows("errors")
    assert error["stage"] == "clean" and error["error_type"] == "lost_text"


def test_a_page_whose_chrome_patterns_swallow_most_text_is_an_error(lex):
    # A few short paragraphs, then one long paragraph holding a chrome word.
    text = (FILLER + "\n") * 3 + "欢迎扫一扫关注," + FILLER * 20 + "\n"
    with pytest.raises(InputError, match="keep"):
        clean(decoded(text), lex)


DEVSET = ROOT.parent / "shared" / "devset"
NOTICES = sorted(p for folder in ("docs", "extra") for p in (DEVSET / folder).glob("*") if p.is_file())
NOTICES += sorted((ROOT.parent / "shared" / "seeds").glob("*.txt"))


@pytest.mark.skipif(not NOTICES, reason="../shared/devset is not beside this clone")
@pytest.mark.parametrize("path", NOTICES, ids=[p.name[:40] for p in NOTICES])
def test_every_real_notice_becomes_a_document_with_clauses(path: Path):
    doc = process_source(_source(path.read_bytes(), path.name), Options())
    assert not doc.rows("errors"), doc.rows("errors")
    (row,) = doc.rows("documents")
    assert row["n_clauses"] >= 20 and row["n_chars"] >= 1000, (row["n_clauses"], row["n_chars"])
    # Most of the text is kept: no notice loses its body silently.
    assert row["n_chars"] >= 0.5 * len(row["text_original"])


def _source(data: str | bytes, name: str = "notice.txt") -> Source:

    raw = data.encode("utf-8") if isinstance(data, str) else data
    return Source.of(name, raw)


TABLE_ROWS = (
    "附件:重点任务分工及进度安排表"
    "序号工作任务责任单位时间进度"
    "1完善学前教育经费保障机制,落实公办园生均公用经费标准。市教育局、市财政局2024年6月底前出台实施细则"
    "2推进集团化办学,每个县建成3所以上优质教育集团。市教育局,各县(市、区)人民政府持续实施"
    "3加强教师培训。市教育局、市人力资源社会保障局2025年12月底前完成"
)


def test_a_task_table_glued_into_one_line_gives_rows_units_and_deadlines(lex):
    doc = process_source(_source(ONE_LINE.replace("附件:重点任务分工表(/files/1234.docx)", TABLE_ROWS)), Options())
    text = doc.rows("documents")[0]["text"]
    rows = [line[:7] for line in text.split("\n") if line[:1].isdigit() and line[1:2] != "."]
    assert rows == ["1完善学前教育", "2推进集团化办", "3加强教师培训"]  # 3所 inside row 2 starts no row
    units = {(r["unit"], r["role"]) for r in doc.rows("responsibilities") if r["source"] == "table"}
    assert {("市财政局", "co"), ("各县(市、区)人民政府", "co"), ("市人力资源社会保障局", "co")} <= units
    by_mention = {t["mention"]: t for t in doc.rows("targets")}
    assert by_mention["2024年6月底前"]["deadline_year"] == 2024
    assert by_mention["2024年6月底前"]["lead_unit"] == "市教育局"  # the lead of its own row
    assert by_mention["3所以上"]["value"] == 3


def test_a_time_cell_that_states_a_condition_ends_the_unit_cell(lex):
    # 任务分工表 rows whose time column waits for a higher level (`…出台后启动试点`): the unit
    # cell still closes its own row, not the next row's.
    rows = ("附件:重点任务分工表序号工作任务责任单位时间进度"
            "1探索设立教育发展基金。市民政局、市金融工作局省级政策出台后启动试点"
            "2鼓励企业设立助学基金。市工商联持续实施"
            "3推行课后服务收费改革。市发展改革委、市教育局国家出台指导意见后实施")
    doc = process_source(_source(ONE_LINE.replace("附件:重点任务分工表(/files/1234.docx)", rows)), Options())
    clauses = {c["clause_id"]: c["text"] for c in doc.rows("clauses")}
    leads = {}
    for r in doc.rows("responsibilities"):
        if r["source"] == "table" and r["role"] == "lead":
            leads[clauses[r["scope"][0]]] = r["unit"]  # the row's scope starts at its own number
    assert leads == {"1探索设立教育发展基金": "市民政局", "2鼓励企业设立助学基金": "市工商联",
                     "3推行课后服务收费改革": "市发展改革委"}
    units = {r["unit"] for r in doc.rows("responsibilities")}
    assert "市金融工作局" in units and not any("出台" in u for u in units)


def _row_units(doc) -> list[tuple[str, str, str]]:
    return [(r["unit"], r["role"], r["lead_rule"]) for r in doc.rows("responsibilities") if r["source"] == "table"]


def test_a_table_with_lead_and_co_columns_gives_each_row_its_units_and_deadline(lex):
    # Cells kept apart (HTML, Word, PDF tables): the header names the columns.
    text = ("二、任务分工\n序号|工作任务|牵头单位|配合单位|完成时限\n"
            "1|完善学前教育经费保障机制,新建公办幼儿园5所。|市教育局|市财政局、市发展改革委|2024年6月底前\n"
            "2|加强教师培训。|市人力资源社会保障局|市教育局|持续实施\n"
            "三、保障措施\n加强组织领导。\n")
    doc = process_source(_source(text), Options())
    assert _row_units(doc) == [("市教育局", "lead", "label"), ("市财政局", "co", "label"),
                               ("市发展改革委", "co", "label"), ("市人力资源社会保障局", "lead", "label"),
                               ("市教育局", "co", "label")]
    (target,) = doc.rows("targets")
    assert (target["mention"], target["deadline_year"], target["lead_unit"]) == ("5所", 2024, "市教育局")
    texts = [c["text"] for c in doc.rows("clauses")]
    assert "完善学前教育经费保障机制" in texts and "新建公办幼儿园5所" in texts  # no unit or time cell, no 序号
    assert not any("市财政局" in t or "持续实施" in t for t in texts[2:])


def test_a_merged_header_cell_over_lead_and_co_is_resolved(lex):
    # `责任单位` spans two columns; the row below names them (a Word or PDF table).
    text = ("附件\n序号|重点任务|责任单位|责任单位|时间安排\n序号|重点任务|牵头|配合|时间安排\n"
            "1|建成智慧校园示范校10所。|县教育体育局|县财政局|2025年底前\n")
    doc = process_source(_source(text), Options())
    assert _row_units(doc) == [("县教育体育局", "lead", "label"), ("县财政局", "co", "label")]
    assert doc.rows("targets")[0]["deadline_year"] == 2025


def test_an_html_task_table_is_read_by_its_columns(lex):
    page = ("<html><head><meta charset='utf-8'><title>x</title></head><body>"
            "<p>各区教育局:现将有关事项通知如下。为推进教育数字化,制定本方案。</p>"
            "<table><tr><th>序号</th><th>工作任务</th><th>责任单位</th><th>完成时间</th></tr>"
            "<tr><td>1</td><td>建设市级专递课堂10个。</td><td>市教育局、市财政局</td><td>2025年12月</td></tr>"
            "</table></body></html>")
    doc = process_source(_source(page, "notice.html"), Options())
    assert _row_units(doc) == [("市教育局", "lead", "default_first"), ("市财政局", "co", "default_first")]
    (target,) = doc.rows("targets")
    assert (target["value"], target["deadline_year"], target["lead_unit"]) == (10, 2025, "市教育局")


def test_a_task_table_with_bar_joined_cells(lex):
    text = ("二、任务分工\n序号|工作任务|责任单位|时间进度\n"
            "1|完善学前教育经费保障机制。|市教育局、市财政局|2024年6月底前\n"
            "2|加强教师培训。|市人力资源社会保障局|持续实施\n")
    doc = process_source(_source(text), Options())
    units = [(r["unit"], r["role"]) for r in doc.rows("responsibilities") if r["source"] == "table"]
    assert units == [("市教育局", "lead"), ("市财政局", "co"), ("市人力资源社会保障局", "lead")]


RUN_ON_TITLES = (
    "为促进托育服务发展,结合我市实际,制定本方案。"
    "一、总体要求坚持家庭为主、托育补充,坚持政策引导、普惠优先。" + FILLER * 8 +
    "二、发展目标2025年,全市每千人口拥有3岁以下婴幼儿托位数达到4.5个。" + FILLER * 8 +
    "三、组织保障各地要将托育服务纳入经济社会发展规划。" + FILLER * 8 +
    "四、加强托育机构建设各区县要按照“政府建设、社会运营”的思路推进。" + FILLER * 4 +
    "五、扩大托育补贴范围从2024年1月1日起,将补贴范围扩展至所有备案机构。" + FILLER * 4 +
    "六、各级政府要加大投入,保障托育服务经费。" + FILLER * 4
)


def test_a_standard_section_title_run_on_into_its_first_sentence_is_a_heading_of_its_own(lex):
    assert len(RUN_ON_TITLES) >= LONG_LINE
    paragraphs = clean(decoded(RUN_ON_TITLES), lex).text.split("\n")
    runs = (("一、总体要求", "坚持家庭为主"), ("二、发展目标", "2025年,全市"), ("三、组织保障", "各地要将"),
            ("四、加强托育机构建设", "各区县要按照"), ("五、扩大托育补贴范围", "从2024年1月1日起"))
    for title, body in runs:
        i = paragraphs.index(title)
        assert paragraphs[i + 1].startswith(body), paragraphs[i:i + 2]
    assert any(p.startswith("六、各级政府要加大投入") for p in paragraphs)  # a paragraph opening with its subject
    doc = process_source(_source(RUN_ON_TITLES), Options())
    target = next(t for t in doc.rows("targets") if t["value"] == 4.5)
    assert (target["deadline_year"], target["section_path"]) == (2025, "二、发展目标")
