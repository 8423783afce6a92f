"""The foundation issue's acceptance checks on the five seed notices."""

from __future__ import annotations

import regex

CHROME = regex.compile(
    r"索\s*引\s*号|字体大小|打印正文|分享本文|版权所有|网站标识码|ICP备|公网安备|扫一扫|主办:|电子信箱|发布机构|"
    r"解读文本|图解:|地址/AD"
)


def doc(tables, region_dir):
    docs = tables["documents"]
    return docs[docs.source_path.str.contains(f"/{region_dir}/")].iloc[0]


def clauses_of(tables, region_dir):
    d = doc(tables, region_dir)
    c = tables["clauses"]
    return c[c.doc_id == d.doc_id]


def test_every_seed_is_a_document(tables):
    assert len(tables["documents"]) == 5
    assert tables["errors"].empty


def test_no_clause_contains_site_chrome(tables):
    leaked = tables["clauses"][tables["clauses"].text.str.contains(CHROME.pattern, regex=True)]
    assert leaked.empty, leaked.text.tolist()


def test_no_document_text_contains_site_chrome(tables):
    for text in tables["documents"].text:
        assert not CHROME.search(text), CHROME.search(text).group()


def test_sanjiang_body_appears_once(tables):
    text = doc(tables, "sanjiang").text
    for sentence in ("一、指导思想", "(八)办学品牌凝练行动", "培养出40名县级核心骨干教师", "六、保障措施",
                     "(四)加强宣传,营造氛围"):
        assert text.count(sentence) == 1, sentence
    assert len(clauses_of(tables, "sanjiang").query("text == '六、保障措施'")) == 1


def test_guangyuan_broken_lines_are_whole(tables):
    texts = clauses_of(tables, "guangyuan").text.tolist()
    for whole in ("实施县域普通高中振兴计划", "统筹建立全市高中阶段学校书记、校长后备人选库",
                  "重点督导评价中央和省、市重大教育决策部署落实情况", "规划实施重大项目101个",
                  "到2025年新增各类学位25000个", "科学调整城乡基础教育学校建设规划"):
        assert any(whole in t for t in texts), whole
    tags = [t["text"] for tags in clauses_of(tables, "guangyuan").tags for t in tags]
    assert len(tags) == 20
    assert any(t.startswith("〔责任单位:市教育局;市公安局") for t in tags)


def test_responsibility_tags_are_cut_out_of_clause_text(tables):
    assert not tables["clauses"].text.str.contains("责任单位").any()
    counts = {region: sum(len(t) for t in clauses_of(tables, region).tags)
              for region in ("sanjiang", "jiangmen", "xiji", "taicang", "guangyuan")}
    assert counts == {"sanjiang": 8, "jiangmen": 0, "xiji": 26, "taicang": 0, "guangyuan": 20}


def test_tags_keep_their_offsets(tables):
    for _, d in tables["documents"].iterrows():
        for tags in clauses_of_doc(tables, d.doc_id).tags:
            for tag in tags:
                assert d.text[tag["start"]:tag["end"]] == tag["text"]


def clauses_of_doc(tables, doc_id):
    c = tables["clauses"]
    return c[c.doc_id == doc_id]


def test_spec_section_path_example(tables):
    """SPEC §5.2 gives this path for a Xiji clause."""
    c = clauses_of(tables, "xiji")
    row = c[c.text.str.startswith("聚焦全县高中教师结构性短缺现状")].iloc[0]
    assert row.section_path == "二、重点任务 > (三)多措并举提升教师队伍素质 > 13.全面提升教师专业素质能力"
    assert row.section_level == 3


def test_inline_headings_are_heading_clauses(tables):
    c = clauses_of(tables, "taicang")
    heading = c[c.text == "1.总结一期经验,大力推广应用"].iloc[0]
    assert heading.is_heading and heading.sentence_seq == 0
    body = c[(c.paragraph_seq == heading.paragraph_seq) & ~c.is_heading]
    assert body.iloc[0].text.startswith("系统梳理第一期“强校计划”")
    assert (body.section_path == heading.section_path).all()


def test_original_script_is_kept(tables):
    c = clauses_of(tables, "jiangmen")
    row = c[c.text.str.contains("教研员5年至少到乡村学校指导30次以上")].iloc[0]
    assert "教研員5年至少到鄉村學校指導30次以上" in row.text_original
    assert len(row.text) == len(row.text_original)


def test_clause_counts_are_stable(tables):
    """Counts the closing note reports; a change here must be a deliberate one."""
    counts = {d: len(clauses_of(tables, d)) for d in ("sanjiang", "jiangmen", "xiji", "taicang", "guangyuan")}
    assert counts == {"sanjiang": 282, "jiangmen": 298, "xiji": 479, "taicang": 194, "guangyuan": 232}
