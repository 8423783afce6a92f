"""Screenshots of the HTML report for the README (docs/report-index.png and
docs/report-document.png): the sample corpus is run, its report written and opened in
headless Chromium (Debian's `chromium`, driven by Playwright), a target selected.

    python tools/report_screenshots.py          # needs chromium and a CJK font (fonts-wqy-microhei)
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "outputs"
        for command in (["run", "corpus", "-o", str(out), "-q"], ["report", "-o", str(out)]):
            subprocess.run([sys.executable, "-m", "pipeline.cli", *command], cwd=ROOT, check=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 760})
            page.goto((out / "report" / "index.html").as_uri())
            page.screenshot(path=str(ROOT / "docs" / "report-index.png"))
            page.click("text=西吉县教育质量提升行动实施方案")
            page.locator("mark[data-t]").filter(has_text="100名").first.scroll_into_view_if_needed()
            page.locator("mark[data-t]").filter(has_text="100名").first.click()
            page.screenshot(path=str(ROOT / "docs" / "report-document.png"))
            browser.close()


if __name__ == "__main__":
    main()
