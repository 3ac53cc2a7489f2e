"""The README and docs/ pages point at each other: every relative link must reach a file (and a heading, when it
names one), and docs/benchmarks.md's table must be what ``benchmarks/summary.py`` prints from the recorded
results. The README was split into docs/ pages; a page renamed or a heading reworded would leave links that
lead nowhere, and a result recorded without regenerating the table would leave figures no run gave."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")
FENCE = re.compile(r"```.*?```", re.S)


def _anchors(page: Path) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped but for hyphens, spaces as hyphens."""
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    found = set()
    for line in text.splitlines():
        heading = re.match(r"#{1,6} (.*)", line)
        if heading:
            found.add(re.sub(r"[^\w\- ]", "", heading.group(1).strip().lower()).replace(" ", "-"))
    return found


def test_every_relative_link_reaches_a_file_and_heading() -> None:
    broken = []
    checked = 0
    for page in PAGES:
        for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
            if re.match(r"[a-z]+:", target):  # http(s), mailto: not checked offline
                continue
            checked += 1
            path, _, anchor = target.partition("#")
            dest = (page.parent / path).resolve() if path else page
            if not dest.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such file)")
            elif anchor and dest.suffix == ".md" and anchor not in _anchors(dest):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert checked > 50  # the README links every docs page; far fewer means the pattern stopped matching
    assert broken == []


def test_a_broken_link_is_found(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_text("# Title\n\n[gone](missing.md) [here](#title) [nowhere](#no-such)\n", encoding="utf-8")
    targets = LINK.findall(page.read_text(encoding="utf-8"))
    assert targets == ["missing.md", "#title", "#no-such"]
    assert not (tmp_path / "missing.md").exists()
    assert "title" in _anchors(page) and "no-such" not in _anchors(page)


def test_benchmark_table_is_summary_output() -> None:
    spec = importlib.util.spec_from_file_location("benchmarks_summary", ROOT / "benchmarks" / "summary.py")
    assert spec is not None and spec.loader is not None
    summary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(summary)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        summary.main()
    table = printed.getvalue().strip()
    assert table.count("\n") > 10
    assert table in (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8"), (
        "docs/benchmarks.md's table differs from `python benchmarks/summary.py`: paste its output"
    )
