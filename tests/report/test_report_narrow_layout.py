"""The report's tables on a window narrower than them: the key column stays in view, texts wrap, numbers do not;
a metric and its interval read to 4 decimals, as the command line writes them."""

from __future__ import annotations

import re
from pathlib import Path

from report_browser import chromium_flags

from trainwell.report._html import CSS, interval, page, table


def _cells(html_table: str) -> list[list[str]]:
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", html_table)[1:]]


def test_a_metric_and_its_interval_read_to_four_decimals() -> None:
    # The report wrote "0.85 [0.7, 1]" above "0.822 [0.7696, 0.8691]"; the command line "0.9286 [0.7857, 1.0000]".
    rows = [
        ("accuracy", 0.85, interval(0.7, 1.0), "a"),
        ("f1", 0.822, interval(0.7696, 0.8691), "b"),
        ("mae", 9900.2, interval(9812.3, 10240.2), "c"),
        ("support", 12, "", 0.5),
    ]
    cells = _cells(table(["metric", "value", "95% interval", "about"], rows))
    assert cells[0][1:3] == ["0.8500", "[0.7000, 1.0000]"] and cells[1][1:3] == ["0.8220", "[0.7696, 0.8691]"]
    assert cells[2][1:3] == [
        "9,900",
        "[9,812, 10,240]",
    ]  # decimals of a price are noise, as on the command line
    assert cells[3][1] == "12" and cells[3][3] == "0.5000"  # a row without an interval: 4 decimals too
    assert '<td class="number">[0.7000, 1.0000]</td>' in table(["i"], [(interval(0.7, 1.0),)])  # one line


def test_the_first_column_stays_in_view_and_texts_wrap_but_numbers_do_not() -> None:
    # Top losses at 1280 px hid Name, the metrics at 400 px "what it means here", behind a sideways scroll.
    rules = {selector.strip(): body for selector, body in re.findall(r"([^{}]+)\{([^}]*)\}", CSS)}
    assert (
        "position: sticky" in rules[".scroll tr > :first-child"]
        and "left: 0" in rules[".scroll tr > :first-child"]
    )
    assert "nowrap" not in rules["th, td"] and "white-space: nowrap" in rules["td.number"]
    assert "max-width: 100%" in rules["img"] and "height: auto" in rules["img"]


def test_a_wide_table_and_picture_fit_a_phone_in_headless_chromium(tmp_path: Path) -> None:
    # Drawn by a real browser on a phone-wide window (headless Chromium lays out at least 500 px): the page itself
    # does not scroll sideways (only a table's own box may), and the 1,600-pixel picture fits whole.
    import subprocess

    from matplotlib.figure import Figure

    from trainwell.report._html import image
    from trainwell.report._plots import figure_png

    wide = Figure(figsize=(16, 4))
    wide.add_subplot().plot([0, 1])
    names = [("Braund, Mr. Owen Harris " * 2, 0.9, 0.1234, "Southampton, third class") for _ in range(3)]
    body = [table(["Name", "loss", "p", "embarked"], names), image(figure_png(wide), "curves")]
    html_file = tmp_path / "r.html"
    html_file.write_text(page("narrow", [], body), encoding="utf-8")
    script = "document.title = [innerWidth, document.documentElement.scrollWidth, document.images[0].width].join(' ')"
    html_file.write_text(html_file.read_text().replace("</body>", f"<script>{script}</script></body>"))
    dom = subprocess.run(
        [*chromium_flags(tmp_path / "profile"), "--window-size=390,800", "--dump-dom", html_file.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    found = re.search(r"<title>(\d+) (\d+) (\d+)</title>", dom)
    assert found is not None, dom[-500:]
    window, page_width, image_width = map(int, found.groups())
    assert window <= 500 and page_width <= window and 0 < image_width <= window
