"""The fleet report in a real browser: headless Chromium (Debian's `chromium`) renders the page, its script runs,
and the DOM after it shows the summary counts and the rows; the view the URL fragment asks for (outcome filter,
text filter, sort by a column) is applied on load; a screenshot is a PNG of the requested size whose pixels vary.

`make setup` installs chromium where apt-get is available. Without it the test skips saying so, except under
CI=true, where it fails.
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fleet_report as fr
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.fleet_report import files

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_TIMEOUT = 120
# Would mark the page if any value were rendered as markup rather than text.
HOSTILE = "<img src=x onerror=\"document.body.setAttribute('data-injected','1')\"><b id=injected>bold</b>"


@pytest.fixture(scope="module")
def chromium() -> str:
    if CHROMIUM:
        return CHROMIUM
    message = "chromium is not installed (Debian package `chromium`; `make setup` installs it where apt-get works)"
    if os.environ.get("CI") == "true":
        pytest.fail(message + ": CI must run the browser test")
    pytest.skip(message)


def host(name: str, outcome: str, region: str = "eastus", kind: str = "managedClusters", ready: int = 2, **rec) -> dict:
    values = {"aml_cluster_name": name, "aml_cluster_type": kind, "aml_resource_group": "rg-fleet",
              "aml_subscription_id": "6b1e4d4a-0000-4000-8000-00000000a001", "aml_location": region}
    if outcome != "untouched":
        values["aml_run_record"] = dict({"scenario": "aks_production", "mode": "apply", "outcome": outcome}, **rec)
        values["verify_result"] = {"passed": ready == 3, "components": [
            {"name": f"component-{i}", "kind": "Deployment", "ready": i < ready, "reason": None if i < ready else "0/1"}
            for i in range(3)]}
    return values


FLEET = {
    "aks-01": host("aks-01", "installed", ready=3),
    "aks-02": host("aks-02", "failed", region="westus", ready=0, failed_step="prerequisites",
                   reason="The cluster uses a service principal. " + HOSTILE, fix="Use a managed identity."),
    "aks-03": host("aks-03", "unchanged", ready=3),
    "aks-10": host("aks-10", "failed", ready=1, failed_step="extension", reason="E45004 legacy azureml-fe"),
    "arc-01": host("arc-01", "updated", region="westus", kind="connectedClusters", ready=2),
    "arc-02": host("arc-02", "untouched", kind="connectedClusters"),
}


@pytest.fixture(scope="module")
def report_page(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    written = files.write(str(folder), fr.build_report(list(FLEET), FLEET))
    return Path(written["html"])


def browse(chromium: str, tmp_path: Path, url: str, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
    command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--virtual-time-budget=5000", *mode, url]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=BROWSER_TIMEOUT, check=False,
                               cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


class Dom(HTMLParser):
    """The rows (cluster, outcome, hidden), the headers' aria-sort, ids' text and the body's attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[tuple[str, str, bool]] = []
        self.sorted_by: dict[str, str] = {}
        self.body: dict[str, str | None] = {}
        self.ids: dict[str, dict[str, str | None]] = {}
        self.text: dict[str, str] = {}
        self._stack: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.body = attributes
        if tag == "tr" and "data-cluster" in attributes:
            self.rows.append((attributes["data-cluster"], attributes["data-outcome"], "hidden" in attributes))
        if tag == "th" and attributes.get("aria-sort"):
            self.sorted_by[attributes["data-col"]] = attributes["aria-sort"]
        if attributes.get("id"):
            self.ids[attributes["id"]] = attributes
        if tag not in ("meta", "input", "br", "img"):
            self._stack.append(attributes.get("id"))

    def handle_endtag(self, tag):
        if tag not in ("meta", "input", "br", "img") and self._stack:
            self._stack.pop()

    def handle_data(self, data):
        for element in self._stack:
            if element:
                self.text[element] = self.text.get(element, "") + data


def dom(chromium: str, tmp_path: Path, page_path: Path, fragment: str = "") -> Dom:
    completed = browse(chromium, tmp_path, page_path.as_uri() + fragment, "--dump-dom")
    parsed = Dom()
    parsed.feed(completed.stdout)
    assert parsed.body.get("data-ready") == "true", "the page's script did not run"
    return parsed


def visible(parsed: Dom) -> list[str]:
    return [cluster for cluster, _outcome, hidden in parsed.rows if not hidden]


def test_the_rendered_page_shows_the_summary_counts_and_every_row(chromium, report_page, tmp_path):
    parsed = dom(chromium, tmp_path, report_page)
    counts = {key[len("count-"):]: parsed.text[key].split()[0] for key in parsed.text if key.startswith("count-")}
    assert counts == {"installed": "1", "updated": "1", "unchanged": "1", "would_change": "0", "failed": "2",
                      "untouched": "1"}
    assert parsed.text["total"] == "6"
    assert visible(parsed) == ["aks-01", "aks-02", "aks-03", "aks-10", "arc-01", "arc-02"]
    assert parsed.text["shown"] == "6 of 6 shown"
    assert "westus" in parsed.text["by-region"] and "aks_production" in parsed.text["by-scenario"]
    # The hostile reason stayed text: no element was made from it and its handler never ran.
    assert "injected" not in parsed.ids and "data-injected" not in parsed.body


def test_the_outcome_filter_and_the_sort_from_the_url_are_applied_on_load(chromium, report_page, tmp_path):
    parsed = dom(chromium, tmp_path, report_page, "#outcome=failed&sort=cluster&dir=desc")
    assert [cluster for cluster, _o, _h in parsed.rows] == ["arc-02", "arc-01", "aks-10", "aks-03", "aks-02", "aks-01"]
    assert parsed.sorted_by == {"cluster": "descending"}
    assert visible(parsed) == ["aks-10", "aks-02"]
    assert {outcome for cluster, outcome, hidden in parsed.rows if not hidden} == {"failed"}
    assert parsed.ids["shown"]["data-shown"] == "2"
    assert "active" in parsed.ids["count-failed"]["class"]


def test_the_text_filter_matches_any_cell_and_components_sort_by_the_ready_fraction(chromium, report_page, tmp_path):
    parsed = dom(chromium, tmp_path, report_page, "?q=westus&sort=components")
    assert visible(parsed) == ["aks-02", "arc-01"]
    # By the ready fraction (a cluster without verify first: arc-02 0/0, aks-02 0/3, aks-10 1/3, arc-01 2/3, then
    # 3/3 in page order), not by the text.
    assert [cluster for cluster, _o, _h in parsed.rows] == ["arc-02", "aks-02", "aks-10", "arc-01", "aks-01", "aks-03"]
    assert parsed.sorted_by == {"components": "ascending"}


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the unfiltered rows of an 8-bit, non-interlaced RGB or RGBA PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    offset, chunks, header = 8, [], None
    while offset < len(data):
        length, kind = struct.unpack(">I4s", data[offset:offset + 8])
        body = data[offset + 8:offset + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        offset += 12 + length
    width, height, depth, colour, _c, _f, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    step = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * step
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = line[x - step] if x >= step else 0
            up, corner = previous[x], previous[x - step] if x >= step else 0
            if kind == 1:
                line[x] = (line[x] + left) & 0xFF
            elif kind == 2:
                line[x] = (line[x] + up) & 0xFF
            elif kind == 3:
                line[x] = (line[x] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[x] = (line[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        rows.append(bytes(line))
        previous = line
    return width, height, rows


def test_the_screenshot_is_a_png_of_the_window_whose_pixels_vary(chromium, report_page, tmp_path):
    shot = tmp_path / "report.png"
    browse(chromium, tmp_path, report_page.as_uri(), f"--screenshot={shot}", "--window-size=1400,900")
    width, height, rows = png_pixels(shot.read_bytes())
    assert (width, height) == (1400, 900)
    step = len(rows[0]) // width
    colours = {row[x:x + 3] for row in rows[::10] for x in range(0, len(row), step * 7)}
    assert len(colours) > 20, f"only {len(colours)} colours: a blank page"
    # The top-left (the title) differs from the background.
    background = rows[-1][-step:-step + 3]
    top = {rows[y][x:x + 3] for y in range(20, 50) for x in range(20 * step, 300 * step, step)}
    assert top - {background}, "nothing drawn where the title is"
