"""Benchmark of PDF and Word input: pages per second and peak memory on a 100-page notice.

Renders one long notice (the seeds' paragraphs, repeated until the PDF has the requested
pages, with a 60-row task table) as PDF, DOCX and plain text (tools/render_notices.py),
then measures, on the same machine in the same run:
- reading alone (the read stage: text layer and layout, or Word XML), in this process;
- the whole pipeline as a user runs it (`policy-pipeline run FILE`, a fresh process),
  wall time and peak RSS of the process tree,
and prints pages per second and the ratios to the text version of the same notice, the
baseline a PDF costs on top of. Machines are noisy: read the ratios, not the seconds.

    pip install -e '.[bench]'
    python bench/pdf_word.py --pages 100
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "bench"))

import render_notices as render  # noqa: E402 - scripts of the repository
from benchmark import EXE, timed_process  # noqa: E402


def long_notice(pages: int, folder: Path) -> tuple[Path, Path, Path, int]:
    """(pdf, docx, txt) of one notice of at least `pages` PDF pages, and its page count."""
    import pdfplumber

    seeds = [render.paragraphs_of(p) for p in sorted((ROOT / "corpus").rglob("*.txt"))]
    paragraphs: list[str] = []
    table = render.TABLE_HEADER + render.task_rows(60)
    while True:
        paragraphs += seeds[len(paragraphs) % len(seeds)]
        pdf = render.to_pdf(paragraphs, folder / "notice.pdf", table=table)
        with pdfplumber.open(pdf) as opened:
            count = len(opened.pages)
        if count >= pages:
            break
        paragraphs *= max(2, round(pages / max(count, 1))) if count < pages / 2 else 1
    docx = render.to_docx(paragraphs, folder / "notice.docx", table=table)
    txt = folder / "notice.txt"
    txt.write_text("\n".join(paragraphs + ["|".join(row) for row in table]) + "\n", encoding="utf-8")
    return pdf, docx, txt, count


def read_seconds(path: Path, repeat: int = 3) -> float:
    from pipeline.read import load_source, read

    source = load_source(path, path.name, 200 * 1024 * 1024)
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        read(source)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=100, help="pages of the PDF notice")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory(prefix="pp-bench-pdf-") as tmp:
        folder = Path(tmp)
        pdf, docx, txt, pages = long_notice(args.pages, folder)
        print(f"notice: {pages} PDF pages, {txt.stat().st_size / 1e6:.2f} MB of text "
              f"(pdf {pdf.stat().st_size / 1e6:.1f} MB, docx {docx.stat().st_size / 1e6:.1f} MB)\n")
        reads = {path.suffix: read_seconds(path) for path in (txt, pdf, docx)}
        print(f"{'read stage alone':<22}{'seconds':>9}{'pages/s':>10}{'× text':>9}")
        for suffix, seconds in reads.items():
            print(f"{suffix:<22}{seconds:>9.3f}{pages / seconds:>10.0f}{seconds / reads['.txt']:>9.1f}")
        print(f"\n{'whole process (run)':<22}{'seconds':>9}{'pages/s':>10}{'× text':>9}{'peak RSS MB':>13}")
        runs = {}
        for path in (txt, pdf, docx):
            runs[path.suffix] = timed_process([str(EXE), "run", str(path), "-o", str(folder / f"out{path.suffix}"),
                                               "--full", "-q"], folder)
        for suffix, (seconds, rss, _) in runs.items():
            print(f"{suffix:<22}{seconds:>9.2f}{pages / seconds:>10.0f}{seconds / runs['.txt'][0]:>9.1f}{rss:>13.0f}")


if __name__ == "__main__":
    main()
