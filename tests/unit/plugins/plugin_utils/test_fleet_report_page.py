"""plugin_utils/fleet_report: the page (self-contained, escaped, the summary on top) and the two files."""

from __future__ import annotations

import json
import os
import re
from html.parser import HTMLParser

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml import fleet_report as fr
from ansible_collections.azureml.kubernetes.plugins.plugin_utils.fleet_report import files, page

HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script>&amp;'


def hosts() -> dict:
    def host(name, outcome, region="eastus", **extra):
        values = {"aml_cluster_name": name, "aml_cluster_type": "managedClusters", "aml_resource_group": "rg",
                  "aml_subscription_id": "sub", "aml_location": region,
                  "aml_run_record": {"scenario": "aks_poc", "mode": "apply", "outcome": outcome}}
        values["aml_run_record"].update(extra)
        return values

    return {
        "aks-ok": host("aks-ok", "installed"),
        "aks-bad": host("aks-bad", "failed", region="westus", failed_step="extension", reason=HOSTILE, fix=HOSTILE),
        "aks-new": {"aml_cluster_name": "aks-new", "aml_cluster_type": "managedClusters", "aml_location": "eastus"},
    }


def report() -> dict:
    values = hosts()
    return fr.build_report(list(values), values)


class Collect(HTMLParser):
    """Every start tag with its attributes, and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.text_by_id: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag not in ("meta", "input", "br", "link", "img"):
            self._open.append(attributes.get("id"))
            if attributes.get("id"):
                self.text_by_id.setdefault(attributes["id"], "")

    def handle_endtag(self, tag):
        if tag not in ("meta", "input", "br", "link", "img") and self._open:
            self._open.pop()

    def handle_data(self, data):
        for element in self._open:
            if element:
                self.text_by_id[element] += data


def parse(text: str) -> Collect:
    parser = Collect()
    parser.feed(text)
    return parser


def test_the_page_loads_nothing_from_outside():
    text = page.render(report(), "2026-12-01T12:00:00Z")
    tags = parse(text).tags
    assert [tag for tag, attrs in tags if tag in ("link", "img", "iframe", "object", "embed")] == []
    assert [attrs for tag, attrs in tags if tag == "script" and attrs] == []  # inline only, no src
    assert not re.search(r"(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("http-equiv", ""))
    assert "@import" not in text and "url(" not in text
    csp = [attrs["content"] for tag, attrs in tags if tag == "meta" and attrs.get("http-equiv")]
    assert csp and "default-src 'none'" in csp[0]


def test_the_page_escapes_every_value():
    text = page.render(report(), "2026-12-01T12:00:00Z")
    tags = parse(text).tags
    assert [tag for tag, attrs in tags if tag == "img"] == []
    assert len([tag for tag, attrs in tags if tag == "script"]) == 1  # the page's own
    assert "&lt;script&gt;alert(2)&lt;/script&gt;&amp;amp;" in text


def test_the_summary_is_on_top_with_every_outcome_count():
    text = page.render(report(), "2026-12-01T12:00:00Z")
    parsed = parse(text)
    assert text.index('id="summary"') < text.index('id="fleet"')
    counts = {key[len("count-"):]: re.match(r"\d+", value.strip()).group() for key, value in parsed.text_by_id.items()
              if key.startswith("count-")}
    assert counts == {"installed": "1", "updated": "0", "unchanged": "0", "would_change": "0", "failed": "1",
                      "untouched": "1"}
    assert "aks_poc" in parsed.text_by_id["by-scenario"] and "westus" in parsed.text_by_id["by-region"]
    rows = [attrs for tag, attrs in parsed.tags if tag == "tr" and "data-cluster" in attrs]
    assert [(r["data-cluster"], r["data-outcome"]) for r in rows] == [
        ("aks-bad", "failed"), ("aks-new", "untouched"), ("aks-ok", "installed")]


def test_every_column_can_be_sorted_by_its_key():
    text = page.render(report(), "2026-12-01T12:00:00Z")
    headers = [attrs["data-col"] for tag, attrs in parse(text).tags if tag == "th" and "data-col" in attrs]
    assert headers == [key for key, _label in page.COLUMNS]
    cells = [attrs["data-col"] for tag, attrs in parse(text).tags if tag == "td" and "data-col" in attrs]
    assert cells == headers * 3


def test_the_files_hold_the_same_summary_and_rows(tmp_path):
    data = report()
    written = files.write(str(tmp_path / "out"), data)
    assert written["changed"] and written["written"]
    assert written["html"] == str(tmp_path / "out" / "aml-fleet-report.html")
    document = json.loads((tmp_path / "out" / "aml-fleet-report.json").read_text())
    assert set(document) == {"generated_at", "title", "summary", "rows"}
    assert document["summary"] == json.loads(json.dumps(data["summary"]))
    assert [row["cluster"] for row in document["rows"]] == ["aks-bad", "aks-new", "aks-ok"]
    assert document["generated_at"] in (tmp_path / "out" / "aml-fleet-report.html").read_text()


def test_the_same_report_is_not_written_again(tmp_path):
    first = files.write(str(tmp_path), report())
    os.utime(first["html"], (1, 1))
    os.utime(first["json"], (1, 1))
    again = files.write(str(tmp_path), report())
    assert not again["changed"] and not again["written"]
    assert again["generated_at"] == first["generated_at"]
    assert os.stat(first["html"]).st_mtime == 1 and os.stat(first["json"]).st_mtime == 1
    changed = hosts()
    changed["aks-new"]["aml_run_record"] = {"scenario": "aks_poc", "mode": "apply", "outcome": "installed"}
    third = files.write(str(tmp_path), fr.build_report(list(changed), changed))
    assert third["changed"] and third["written"]
    assert json.loads(open(third["json"]).read())["summary"]["by_outcome"]["installed"] == 2


def test_check_mode_writes_nothing(tmp_path):
    written = files.write(str(tmp_path / "out"), report(), check_mode=True)
    assert written["changed"] and not written["written"]
    assert not (tmp_path / "out").exists()


def test_sorting_by_outcome_puts_failures_first():
    text = page.render(report(), "2026-12-01T12:00:00Z")
    keys = {attrs["data-sort"] for tag, attrs in parse(text).tags if tag == "td" and attrs.get("data-col") == "outcome"}
    assert sorted(keys) == ["0-failed", "2-untouched", "3-installed"]
