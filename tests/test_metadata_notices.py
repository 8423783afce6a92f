"""Metadata of notices in the forms they are stored in beyond the seeds (SPEC §5.1, issue
"right on notices it has never seen"): legal-database exports, pages whose signature closes
the notice, forwarding notices, five-year plans, short region names inside words. The
texts are our own, in the style of those notices."""

from __future__ import annotations

from conftest import process_text


def meta(text: str, lex):
    return process_text(text, lex).structured.metadata


BODY = "一、工作目标\n到2020年,全市中小学美育课程全部开齐开足。\n二、重点任务\n(一)加强师资建设。配齐配足美育教师。\n"

EXPORT = (
    "北大法宝【法宝引证码】 CLI.12.9999999\n"
    "原文链接:https://www.example.com/lar/abc.html\n"
    "某某市人民政府办公室关于印发某某市学校美育工作实施方案的通知\n"
    "(某政办发〔2017〕12号)\n"
    "各县(市、区)人民政府,市直各部门:\n"
    "《某某市学校美育工作实施方案》已经市政府同意,现印发给你们,请认真贯彻执行。\n"
)


def test_a_database_export_header_is_not_the_title_and_the_number_under_the_title_is_read(lex):
    m = meta(EXPORT.replace("某某市", "资阳市").replace("某政办发", "资府办发") + BODY
             + "资阳市人民政府办公室\n2017年5月25日\n", lex)
    assert m.title == "资阳市人民政府办公室关于印发资阳市学校美育工作实施方案的通知"
    assert m.doc_number == "资府办发〔2017〕12号"
    assert m.issue_date.isoformat() == "2017-05-25"  # the signature that closes the notice
    assert m.issuers == ("资阳市人民政府办公室",)
    assert m.region == "资阳市" and m.plan_end_year == 2020


def test_a_short_region_name_inside_a_word_names_no_division(lex):
    text = "关于推动东北振兴和教育资源共享的实施意见\n" + BODY
    assert meta(text, lex).region is None


def test_a_short_name_followed_by_zhou_is_the_prefecture(lex):
    text = "文山州人民政府办公室关于印发全面加强学校美育工作实施意见的通知\n" + BODY
    m = meta(text, lex)
    assert (m.region, m.admin_level) == ("文山壮族苗族自治州", "prefecture")


def test_a_municipality_is_the_province_level_division(lex):
    m = meta("北京市农业农村局关于印发《2025年北京市耕地保护补贴实施方案》的函\n" + BODY, lex)
    assert (m.region, m.admin_code, m.admin_level) == ("北京市", "110000", "province")


def test_a_five_year_plan_gives_its_years_and_an_edition_year_gives_none(lex):
    m = meta("II浙江省城市排水防涝“十四五”规划\n" + BODY, lex)
    assert m.title == "浙江省城市排水防涝“十四五”规划"
    assert (m.plan_start_year, m.plan_end_year) == (2021, 2025)
    m = meta("某省托育机构设置标准(2025年版)\n三、主要内容\n(一)托位设置。\n", lex)
    assert (m.plan_start_year, m.plan_end_year) == (None, None)


def test_a_background_citation_is_not_the_cover_letter(lex):
    text = ("浙江省城市排水防涝“十四五”规划\n"
            "2020年3月,住房城乡建设部印发《关于城市排水防涝安全责任人名单的通告》,要求落实责任。\n" + BODY)
    assert meta(text, lex).title == "浙江省城市排水防涝“十四五”规划"
