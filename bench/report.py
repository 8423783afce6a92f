"""Benchmark of the HTML report: how fast a long notice's page opens in Chromium.

Builds one notice of about the requested pages (the seeds' paragraphs repeated; a PDF
page of a notice holds ~3,300 characters), runs the pipeline and `report` on it, and
opens its page in headless Chromium (Debian's chromium, driven by Playwright), timing
the load from navigation to the load event. The baseline, opened in the same browser, is
the same text as plain paragraphs without highlights or script: the ratio is what the
highlights and rows cost.

    pip install -e '.[test]'          # playwright
    python bench/report.py --pages 100
"""

from __future__ import annotations

import argparse
import html
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHARS_A_PAGE = 3300


def load_ms(browser, path: Path, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        page = browser.new_page()
        page.goto(path.as_uri())
        best = min(best, page.evaluate("performance.getEntriesByType('navigation')[0].loadEventEnd"))
        page.close()
    return best


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100, help="length of the notice in PDF pages")
    args = parser.parse_args()
    seeds = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").rglob("*.txt"))]
    with tempfile.TemporaryDirectory(prefix="pp-bench-report-") as tmp:
        folder = Path(tmp)
        text, i = seeds[0], 1
        while len(text) < args.pages * CHARS_A_PAGE:
            # Each copy's lines made different: a body published twice is dropped by `clean`.
            copy = seeds[i % len(seeds)].split("\n", 1)[1]
            text += "\n".join(line + f"(第{i}轮)" if line.strip() else line for line in copy.split("\n"))
            i += 1
        notice = folder / "in" / "notice.txt"
        notice.parent.mkdir()
        notice.write_text(text, encoding="utf-8")
        out = folder / "out"
        run = [sys.executable, "-m", "pipeline.cli"]
        subprocess.run([*run, "run", str(notice.parent), "-o", str(out), "-q"], cwd=ROOT, check=True)
        start = time.perf_counter()
        subprocess.run([*run, "report", "-o", str(out)], cwd=ROOT, check=True, capture_output=True)
        written = time.perf_counter() - start
        page = next(p for p in (out / "report").glob("*.html") if p.name != "index.html")
        import pyarrow.parquet as pq

        doc = pq.read_table(out / "documents.parquet").to_pylist()[0]
        plain = folder / "plain.html"
        plain.write_text("<!doctype html><meta charset=utf-8>" + "".join(
            f"<p>{html.escape(line)}</p>" for line in doc["text_original"].splitlines()), encoding="utf-8")
        targets = pq.read_table(out / "targets.parquet").num_rows
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            report_ms, plain_ms = load_ms(browser, page), load_ms(browser, plain)
            browser.close()
        print(f"notice: {len(doc['text_original']):,} characters (~{len(doc['text_original']) / CHARS_A_PAGE:.0f} "
              f"pages), {targets} targets; page {page.stat().st_size / 1e6:.1f} MB; report written in {written:.2f} s")
        print(f"opened in Chromium: report page {report_ms:.0f} ms, plain text {plain_ms:.0f} ms "
              f"({report_ms / plain_ms:.1f}×)")


if __name__ == "__main__":
    main()
