"""The HTML report and reviews (issue 15): every target highlighted on its sentence, rows
shown, decisions made in a real browser (headless Chromium) downloaded as reviews.jsonl
and applied by the next `run --reviews`; decisions that no longer fit are errors rows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from conftest import CORPUS, ROOT

EXE = [sys.executable, "-m", "pipeline.cli"]


def cli(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*EXE, *args], cwd=ROOT, capture_output=True, text=True, check=check)


@pytest.fixture()
def run_dir(tmp_path):
    out = tmp_path / "out"
    cli("run", str(CORPUS), "-o", str(out), "-q")
    cli("report", "-o", str(out))
    return out


def test_every_target_is_highlighted_on_its_page(run_dir):
    targets = pq.read_table(run_dir / "targets.parquet").to_pylist()
    per_doc = Counter(t["doc_id"] for t in targets)
    documents = pq.read_table(run_dir / "documents.parquet").to_pylist()
    index = (run_dir / "report" / "index.html").read_text(encoding="utf-8")
    for doc in documents:
        assert f'href="{doc["doc_id"]}.html"' in index
        page = (run_dir / "report" / f"{doc['doc_id']}.html").read_text(encoding="utf-8")
        marked = {i for ids in re.findall(r'data-t="([0-9 ]+)"', page) for i in ids.split()}
        assert len(marked) == per_doc[doc["doc_id"]], doc["source_path"]
        assert "<script src" not in page and "http://" not in page and "https://" not in page  # offline, one file
    assert sum(per_doc.values()) == len(targets)


def test_headings_keep_their_structure_and_tags_are_highlighted(run_dir):
    xiji = next(d for d in pq.read_table(run_dir / "documents.parquet").to_pylist() if d["region"] == "西吉县")
    page = (run_dir / "report" / f"{xiji['doc_id']}.html").read_text(encoding="utf-8")
    assert re.search(r"<h3><span[^>]*>一、主要目标</span></h3>", page)
    assert re.search(r"<p><strong><span[^>]*>1\.坚持不懈用党的创新理论铸魂育人", page)  # an inline heading
    assert page.count('class="u"') >= 20  # (责任单位:…) tags


def _apply(run_dir: Path, lines: list[dict], tmp_path: Path) -> subprocess.CompletedProcess:
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    return cli("run", str(CORPUS), "-o", str(run_dir), "--reviews", str(reviews))


def test_reviews_confirm_correct_reject_and_add_and_orphans_are_reported(run_dir, tmp_path):
    targets = pq.read_table(run_dir / "targets.parquet").to_pylist()
    a, b, c = targets[0], targets[1], targets[2]
    doc = next(d for d in pq.read_table(run_dir / "documents.parquet").to_pylist() if d["doc_id"] == a["doc_id"])
    start = doc["text"].index("拔尖创新人才培养")
    row = lambda t: f"t:{t['start']}:{t['end']}"  # noqa: E731
    result = _apply(run_dir, [
        {"doc_id": a["doc_id"], "row": row(a), "mention": a["mention"], "status": "rejected"},
        {"doc_id": b["doc_id"], "row": row(b), "mention": b["mention"], "status": "corrected", "field": "value",
         "old": b["value"], "new": "3"},
        {"doc_id": c["doc_id"], "row": row(c), "mention": c["mention"], "status": "confirmed"},
        {"doc_id": a["doc_id"], "row": f"t:{start}:{start + 8}", "mention": "拔尖创新人才培养", "status": "added",
         "new": {"quantity_kind": "milestone", "deadline_year": "2026"}},
        {"doc_id": a["doc_id"], "row": "t:5:7", "mention": "不在", "status": "confirmed"},
        {"doc_id": "0000000000000000", "row": "t:5:7", "mention": "x", "status": "confirmed"},
    ], tmp_path)
    after = {(t["start"], t["end"]): t for t in pq.read_table(run_dir / "targets.parquet").to_pylist()}
    assert after[(a["start"], a["end"])]["review_status"] == "rejected"
    corrected = after[(b["start"], b["end"])]
    assert (corrected["value"], corrected["review_status"]) == (3.0, "corrected")
    assert after[(c["start"], c["end"])]["review_status"] == "confirmed"
    added = after[(start, start + 8)]
    assert (added["rule"], added["review_status"], added["deadline_year"]) == ("review", "added", 2026)
    assert sum(t["review_status"] is None for t in after.values()) == len(targets) - 3
    indicator_rows = {r["target_id"] for r in pq.read_table(run_dir / "region_indicator.parquet").to_pylist()}
    assert a["target_id"] not in indicator_rows  # rejected: out of the comparisons
    errors = [e for e in pq.read_table(run_dir / "errors.parquet").to_pylist() if e["stage"] == "review"]
    messages = [e["message"] for e in errors]
    assert len(messages) == 2
    assert any("reviews.jsonl:5: t:5:7 '不在': no such target in this run" in m for m in messages)
    assert any("reviews.jsonl:6: document 0000000000000000 is not in this run" in m for m in messages)
    assert "review_orphaned" in result.stderr


def test_reviews_apply_to_documents_processed_in_the_same_run(run_dir, tmp_path):
    """With --full every notice is processed again, and its tables are written as they were
    made, without reading their streams back: a reviewed one must be written as reviewed."""
    a = pq.read_table(run_dir / "targets.parquet").to_pylist()[0]
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(json.dumps({"doc_id": a["doc_id"], "row": f"t:{a['start']}:{a['end']}",
                                   "mention": a["mention"], "status": "rejected"}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    cli("run", str(CORPUS), "-o", str(run_dir), "--full", "--reviews", str(reviews))
    after = {(t["doc_id"], t["start"], t["end"]): t for t in pq.read_table(run_dir / "targets.parquet").to_pylist()}
    assert after[(a["doc_id"], a["start"], a["end"])]["review_status"] == "rejected"


def test_a_reviewed_tag_gives_its_targets_their_lead_again(run_dir, tmp_path):
    clauses = pq.read_table(run_dir / "clauses.parquet").to_pylist()
    units = pq.read_table(run_dir / "responsibilities.parquet").to_pylist()
    targets = pq.read_table(run_dir / "targets.parquet").to_pylist()
    # Xiji: 到2027年培养县级骨干教师100名… (责任单位:县委编办、县教育体育局、…): the lead is 县委编办.
    target = next(t for t in targets if t["mention"] == "100名" and t["lead_unit"] == "县委编办")
    lead = next(u for u in units if u["role"] == "lead" and target["clause_id"] in u["scope"])
    tag = next(tag for c in clauses if c["clause_id"] == lead["clause_id"] for tag in c["tags"])
    key = f"u:{tag['start']}:{tag['end']}"
    _apply(run_dir, [
        {"doc_id": target["doc_id"], "row": f"{key}:1", "mention": "县委编办", "status": "rejected"},
        {"doc_id": target["doc_id"], "row": f"{key}:2", "mention": "教育体育局", "status": "corrected",
         "field": "role", "old": "co", "new": "lead"},
    ], tmp_path)
    after = next(t for t in pq.read_table(run_dir / "targets.parquet").to_pylist()
                 if t["target_id"] == target["target_id"])
    assert after["lead_unit"] == "县教育体育局" and "县委编办" not in after["units"]
    reviewed = [(u["unit_raw"], u["role"], u["review_status"])
                for u in pq.read_table(run_dir / "responsibilities.parquet").to_pylist() if u["review_status"]]
    assert reviewed == [("县委编办", "lead", "rejected"), ("教育体育局", "lead", "corrected")]


def test_a_bad_reviews_file_is_one_clear_error(run_dir, tmp_path):
    bad = tmp_path / "reviews.jsonl"
    bad.write_text('{"doc_id": "x", "row": "t:1:2", "status": "maybe"}\n', encoding="utf-8")
    result = cli("run", str(CORPUS), "-o", str(run_dir), "--reviews", str(bad), check=False)
    assert result.returncode != 0
    assert f"{bad}:1: status must be one of confirmed, corrected, rejected, added" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_the_python_api_applies_reviews_to_one_notice(tmp_path):
    from policy_pipeline import extract

    notice = extract(path=CORPUS / "xiji" / "002_238c332b42fc6cf1.txt")
    first = notice.targets.to_pylist()[0]
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(json.dumps({"doc_id": first["doc_id"], "row": f"t:{first['start']}:{first['end']}",
                                   "mention": first["mention"], "status": "rejected"}) + "\n", encoding="utf-8")
    reviewed = extract(path=CORPUS / "xiji" / "002_238c332b42fc6cf1.txt", reviews=reviews)
    assert reviewed.targets.to_pylist()[0]["review_status"] == "rejected"


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_in_chromium_a_correction_made_on_the_page_survives_the_next_run(run_dir, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    targets = pq.read_table(run_dir / "targets.parquet").to_pylist()
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = browser.new_page(accept_downloads=True)
        page.goto((run_dir / "report" / "index.html").as_uri())
        assert page.locator("#documents tr[data-region]").count() == 5
        page.select_option("select[data-filter=region]", "西吉县")
        assert page.locator("#documents tr[data-region]:visible").count() == 1
        highlighted = 0
        for href in page.eval_on_selector_all("#documents a", "links => links.map(a => a.href)"):
            doc = browser.new_page()
            doc.goto(href)
            highlighted += doc.evaluate(
                "new Set([...document.querySelectorAll('mark[data-t]')].flatMap(m => m.dataset.t.split(' '))).size")
            doc.close()
        assert highlighted == len(targets)  # every row of targets.parquet, highlighted once

        page.click("text=西吉县教育质量提升行动实施方案")
        mark = page.locator("mark[data-t]").filter(has_text="100名").first
        mark.click()  # the row's details
        assert page.locator("#panel h3").inner_text().startswith("Target 100名")
        assert page.locator("#panel input[data-field=value]").input_value() == "100"
        page.fill("#panel input[data-field=value]", "120")
        page.fill("#note", "the notice says 120 in its annex")
        page.click("#fix")
        page.locator("mark[data-t]").filter(has_text="10所").first.click()
        page.click("#wrong")
        # A missed target: select its text on the page, then add it.
        page.evaluate("""() => {
            const span = [...document.querySelectorAll('#text span[data-o]')]
                .find(s => s.textContent.includes('义务教育优质均衡'));
            const node = span.firstChild, at = node.textContent.indexOf('义务教育优质均衡');
            const range = document.createRange();
            range.setStart(node, at);
            range.setEnd(node, at + 8);
            getSelection().removeAllRanges();
            getSelection().addRange(range);
        }""")
        page.wait_for_function("!document.getElementById('addsel').disabled")
        page.click("#addsel")
        page.fill("#panel input[data-field=quantity_kind]", "milestone")
        page.fill("#panel input[data-field=deadline_year]", "2027")
        page.click("#add")
        # A responsibility tag: its first unit is wrong.
        page.locator("mark.u").filter(has_text="县委宣传部").first.click()
        page.locator("#panel tr[data-unit='0'] button[data-act=rejected]").click()
        assert page.locator("#reviewcount").inner_text() == "4 decisions"
        with page.expect_download() as download:
            page.click("#download")
        reviews = tmp_path / "reviews.jsonl"
        download.value.save_as(reviews)
        browser.close()
    lines = [json.loads(line) for line in reviews.read_text(encoding="utf-8").splitlines()]
    assert [(x["status"], x["field"], x["new"]) for x in lines] == [
        ("corrected", "value", "120"), ("rejected", None, None),
        ("added", None, {"quantity_kind": "milestone", "deadline_year": "2027"}), ("rejected", None, None)]
    assert lines[-1]["row"].startswith("u:") and lines[-1]["mention"] == "县委宣传部"
    cli("run", str(CORPUS), "-o", str(run_dir), "--reviews", str(reviews))
    after = pq.read_table(run_dir / "targets.parquet").to_pylist()
    reviewed = {t["mention"]: (t["value"], t["review_status"]) for t in after if t["review_status"]}
    assert reviewed["100名"] == (120.0, "corrected") and reviewed["10所"][1] == "rejected"
    added = next(t for t in after if t["review_status"] == "added")
    assert (added["mention"], added["deadline_year"], added["rule"]) == ("义务教育优质均衡", 2027, "review")
    assert not [e for e in pq.read_table(run_dir / "errors.parquet").to_pylist() if e["stage"] == "review"]
    units = [r for r in pq.read_table(run_dir / "responsibilities.parquet").to_pylist() if r["review_status"]]
    assert [(r["unit_raw"], r["review_status"]) for r in units] == [("县委宣传部", "rejected")]


def test_a_target_added_by_a_reviewer_that_the_rules_now_find_is_confirmed():
    from pipeline.reviews import Review, apply_reviews

    doc = {"doc_id": "d", "text": "新建学校10所。", "text_original": "新建学校10所。", "region": None}
    clause = {"clause_id": "d-00000", "start": 0, "end": 7, "section_path": "", "text": "新建学校10所",
              "text_original": "新建学校10所", "categories": [], "tags": []}
    found = {"target_id": "d-T0000", "doc_id": "d", "start": 4, "end": 7, "mention": "10所", "rule": "number_unit",
             "value": 10.0}
    added = Review("d", "t:4:7", "10所", "added", None, {"quantity_kind": "count"}, "", "reviews.jsonl:1")
    rows, _, problems = apply_reviews(doc, [clause], [found], [added])
    assert [(r["target_id"], r["review_status"]) for r in rows] == [("d-T0000", "confirmed")] and not problems
