"""read: every encoding SPEC §2 lists is read correctly and recorded; bad input is a
clear InputError, never mangled text. Encoded files are generated from the seeds."""

from __future__ import annotations

import codecs

import pytest
from conftest import CORPUS, ROOT, decoded

from pipeline.errors import InputError
from pipeline.model import Source
from pipeline.read import decode, html_to_text, load_source, read

SIMPLIFIED = (CORPUS / "xiji" / "002_238c332b42fc6cf1.txt").read_text(encoding="utf-8")
TRADITIONAL = (CORPUS / "taicang" / "003_82af26369f33b24f.txt").read_text(encoding="utf-8")


def source(data: bytes, path: str = "notice.txt") -> Source:
    return Source.of(path, data)


@pytest.mark.parametrize("text,encoding,recorded", [
    (SIMPLIFIED, "utf-8", "utf-8"),
    (TRADITIONAL, "utf-8", "utf-8"),
    (SIMPLIFIED, "gbk", "gbk"),
    (TRADITIONAL, "gbk", "gbk"),
    (SIMPLIFIED, "gb18030", "gbk"),  # plain-GBK bytes: the narrower name is recorded
    (SIMPLIFIED + "\u00a0€", "gb18030", "gb18030"),
    (TRADITIONAL, "big5", "big5"),
    (SIMPLIFIED, "utf-16-le", "utf-16-le"),
    (SIMPLIFIED, "utf-16-be", "utf-16-be"),
    (TRADITIONAL, "utf-16-le", "utf-16-le"),
])
def test_encodings_without_bom(text, encoding, recorded):
    assert decode(text.encode(encoding)) == (text, recorded)


@pytest.mark.parametrize("bom,encoding,recorded", [
    (codecs.BOM_UTF8, "utf-8", "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16-be"),
])
def test_encodings_with_bom(bom, encoding, recorded):
    assert decode(bom + SIMPLIFIED.encode(encoding)) == (SIMPLIFIED, recorded)


@pytest.mark.parametrize("text", ["2025年", "教育", "學校", "發展教育", "示範學校10所", "到2027年,培养骨干教师100名"])
@pytest.mark.parametrize("encoding", ["gbk", "big5", "utf-8"])
def test_short_files_defeat_no_detection(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        pytest.skip(f"{text} has no {encoding} form")
    assert decode(data)[0] == text


def test_mostly_ascii_gbk():
    text = "Index: 2024-00075\nURL: http://example.gov.cn/a/b.html\n" * 20 + "教育局\n"
    assert decode(text.encode("gbk")) == (text, "gbk")


def test_full_seed_files_read(tmp_path):
    for path in sorted(CORPUS.rglob("*.txt")):
        decoded = read(load_source(path, path.relative_to(ROOT).as_posix()))
        assert decoded.encoding == "utf-8" and decoded.text == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("data,error_type", [
    (b"", "empty"),
    (b"  \n\t\r\n ", "empty"),
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "unreadable"),  # a PDF cut short: no page to read
    (b"PK\x03\x04\x14\x00\x06\x00", "unsupported_format"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "unsupported_format"),
    (b"abc\x00\x01\x02\x03\xff\xfe" * 10, "binary"),
    ("教育高质量发展".encode()[:-1], "truncated"),
    (bytes(range(128, 256)) * 4, "encoding"),
])
def test_bad_input_is_reported(data, error_type):
    with pytest.raises(InputError) as info:
        read(source(data))
    assert info.value.error_type == error_type
    assert "\n" not in str(info.value)


def test_html_body_text_without_scripts_or_navigation():
    html = """<!doctype html><html><head><meta charset="utf-8"><title>T</title>
    <style>p{color:red}</style><script>var x = "到2025年新增学位1000个";</script></head>
    <body><nav>首页 &gt; 政策文件</nav><header>网站头部</header>
    <div class="content"><h1>西吉县教育质量提升行动实施方案</h1>
    <p>一、主要目标</p><p>到2027年,基本<span>建成</span>高质量教育体系。</p>
    <!-- 到2030年 comment -->
    <table><tr><td>索引号</td><td>640422001</td></tr></table></div>
    <footer>版权所有</footer></body></html>"""
    decoded = read(source(html.encode("utf-8"), "page.html"))
    assert decoded.media_type == "html"
    lines = decoded.text.split("\n")
    assert "一、主要目标" in lines
    assert "到2027年,基本建成高质量教育体系。" in lines  # inline tags do not break lines
    for absent in ("var x", "首页", "网站头部", "版权所有", "2030", "color"):
        assert absent not in decoded.text


def test_html_declared_charset_that_lies_is_not_trusted():
    html = '<html><head><meta charset="big5"></head><body><p>到2027年,培养县级骨干教师100名。</p></body></html>'
    decoded = read(source(html.encode("utf-8"), "page.htm"))
    assert "培养县级骨干教师100名" in decoded.text
    assert decoded.encoding == "utf-8"


def test_html_declared_gbk_is_used():
    html = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312"></head>' \
           "<body><p>教育局</p></body></html>"
    assert read(source(html.encode("gbk"), "page.html")).encoding == "gb2312"


def test_html_without_text_is_reported():
    with pytest.raises(InputError):
        read(source(b"<html><body><script>x()</script></body></html>", "empty.html"))


def test_html_to_text_survives_broken_markup():
    assert "文字" in html_to_text("<div><p>文字</span></b></div></div><p")


def test_size_limit(tmp_path):
    path = tmp_path / "big.txt"
    path.write_bytes("教育".encode() * 1000)
    with pytest.raises(InputError) as info:
        load_source(path, "big.txt", max_bytes=100)
    assert info.value.error_type == "too_large"


def test_directory_and_missing_file(tmp_path):
    with pytest.raises(InputError):
        load_source(tmp_path, "dir")
    with pytest.raises(InputError):
        load_source(tmp_path / "missing.txt", "missing.txt")


def test_character_references_keep_offsets(lex):
    """Provenance survives resolving `&quot;`: each cleaned character maps to where it came from."""
    from pipeline.clean import clean, resolve_entities

    raw = "开展“结对子&amp;quot;活动,共建1&lt;2所。\n"
    text, back = resolve_entities(raw)
    assert text == "开展“结对子\"活动,共建1<2所。\n"
    assert back is not None and len(back) == len(text) + 1
    assert raw[back[text.index('"')]:].startswith("&amp;quot;")
    cleaned = clean(decoded(raw), lex)
    start = cleaned.text.index("活动")
    assert raw[cleaned.raw_offsets[start]:cleaned.raw_offsets[start + 2]] == "活动"
    assert resolve_entities("a&b &unknown; 1&2")[1] is None
