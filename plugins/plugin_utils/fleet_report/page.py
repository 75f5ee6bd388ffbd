# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet report's HTML page: one self-contained file (inline CSS and JavaScript, no external asset, a
Content-Security-Policy that forbids loading any), every value HTML-escaped.

The table is rendered here, so the page reads without JavaScript; the script only sorts (click a header) and
filters (the text box, the outcome list, a click on a summary count). It reads its starting state from the URL
fragment or query, e.g. ``aml-fleet-report.html#outcome=failed&q=eastus&sort=cluster&dir=desc``, and keeps the
fragment up to date, so a filtered view can be shared as a link.
"""

from __future__ import annotations

from html import escape
from typing import Any, Mapping

from ansible_collections.azureml.kubernetes.plugins.module_utils.aml.fleet_report import OUTCOME_LABELS, OUTCOMES

# (key, header): the table's columns, in order; the key is what #sort=<key> names.
COLUMNS = (
    ("cluster", "Cluster"),
    ("type", "Type"),
    ("region", "Region"),
    ("scenario", "Scenario"),
    ("outcome", "Outcome"),
    ("failure", "Failure or reason, and fix"),
    ("wave", "Wave"),
    ("state", "Extension state"),
    ("version", "Version"),
    ("components", "Components ready"),
    ("warnings", "Preflight warnings"),
    ("changes", "Changes"),
    ("settings", "Settings"),
    ("group", "Subscription / resource group"),
)

# Sorting by outcome puts what needs attention first.
SEVERITY = {"failed": 0, "would_change": 1, "untouched": 2, "installed": 3, "updated": 4, "unchanged": 5}

CSS = """
:root { --fg: #1b1f24; --muted: #57606a; --line: #d0d7de; --bg: #ffffff; --head: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.4 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg);
       margin: 0; padding: 20px 24px; }
h1 { font-size: 20px; margin: 0 0 4px; }
h2 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin-bottom: 14px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; margin-bottom: 8px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 10px 14px; min-width: 130px; cursor: pointer;
        background: var(--head); }
.card .n { font-size: 26px; font-weight: 700; display: block; }
.card.active { outline: 3px solid #0969da; }
.card.o-installed .n, .badge.o-installed { color: #1a7f37; }
.card.o-updated .n, .badge.o-updated { color: #0969da; }
.card.o-unchanged .n, .badge.o-unchanged { color: #57606a; }
.card.o-would_change .n, .badge.o-would_change { color: #9a6700; }
.card.o-failed .n, .badge.o-failed { color: #cf222e; }
.card.o-untouched .n, .badge.o-untouched { color: #8250df; }
.breakdowns { display: flex; flex-wrap: wrap; gap: 24px; }
table { border-collapse: collapse; }
.counts td, .counts th { border: 1px solid var(--line); padding: 3px 8px; text-align: right; }
.counts th:first-child, .counts td:first-child { text-align: left; }
.controls { margin: 16px 0 8px; display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
.controls input { width: 320px; padding: 5px 8px; font: inherit; }
.controls select { padding: 4px; font: inherit; }
#fleet { width: 100%; }
#fleet th, #fleet td { border: 1px solid var(--line); padding: 5px 7px; vertical-align: top; text-align: left; }
#fleet th { background: var(--head); cursor: pointer; user-select: none; position: sticky; top: 0; white-space: nowrap; }
#fleet th[aria-sort=ascending]::after { content: " \\25B2"; }
#fleet th[aria-sort=descending]::after { content: " \\25BC"; }
#fleet tr.o-failed td { background: #fff5f5; }
#fleet tr.o-would_change td { background: #fff8e6; }
.badge { font-weight: 700; }
#fleet td[data-col=cluster], #fleet td[data-col=outcome] { white-space: nowrap; }
ul { margin: 0; padding-left: 16px; }
code { font: 12px ui-monospace, SFMono-Regular, Menlo, monospace; }
.muted { color: var(--muted); }
.fix { color: #0a3069; }
"""

SCRIPT = """
(function () {
  var table = document.getElementById('fleet');
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var query = document.getElementById('filter');
  var outcome = document.getElementById('outcome');
  var shown = document.getElementById('shown');
  var state = {q: '', outcome: '', sort: '', dir: 'asc'};

  function cellValue(row, key) {
    var cell = row.querySelector('td[data-col="' + key + '"]');
    if (!cell) { return ''; }
    return cell.hasAttribute('data-sort') ? cell.getAttribute('data-sort') : cell.textContent.trim();
  }
  function compare(a, b) {
    var x = cellValue(a, state.sort), y = cellValue(b, state.sort);
    var nx = parseFloat(x), ny = parseFloat(y);
    var r = (!isNaN(nx) && !isNaN(ny) && String(nx) === x && String(ny) === y) ? nx - ny
      : x.localeCompare(y, undefined, {numeric: true, sensitivity: 'base'});
    return state.dir === 'desc' ? -r : r;
  }
  function apply() {
    var q = state.q.toLowerCase(), count = 0;
    if (state.sort) {
      rows.slice().sort(compare).forEach(function (r) { body.appendChild(r); });
    }
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
      if (th.getAttribute('data-col') === state.sort) {
        th.setAttribute('aria-sort', state.dir === 'desc' ? 'descending' : 'ascending');
      } else {
        th.removeAttribute('aria-sort');
      }
    });
    rows.forEach(function (r) {
      var ok = (!state.outcome || r.getAttribute('data-outcome') === state.outcome)
        && (!q || r.textContent.toLowerCase().indexOf(q) !== -1);
      r.hidden = !ok;
      if (ok) { count += 1; }
    });
    Array.prototype.forEach.call(document.querySelectorAll('.card'), function (c) {
      c.classList.toggle('active', c.getAttribute('data-outcome') === state.outcome);
    });
    shown.textContent = count + ' of ' + rows.length + ' shown';
    shown.setAttribute('data-shown', String(count));
    query.value = state.q;
    outcome.value = state.outcome;
  }
  function save() {
    var parts = [];
    ['q', 'outcome', 'sort', 'dir'].forEach(function (k) {
      if (state[k] && !(k === 'dir' && !state.sort)) { parts.push(k + '=' + encodeURIComponent(state[k])); }
    });
    if (window.history && history.replaceState) { history.replaceState(null, '', '#' + parts.join('&')); }
  }
  function load() {
    var text = (location.hash || '').replace(/^#/, '') || (location.search || '').replace(/^\\?/, '');
    text.split('&').forEach(function (pair) {
      var i = pair.indexOf('=');
      if (i < 1) { return; }
      var k = pair.slice(0, i), v = decodeURIComponent(pair.slice(i + 1).replace(/\\+/g, ' '));
      if (k in state) { state[k] = v; }
    });
    if (state.dir !== 'desc') { state.dir = 'asc'; }
  }
  table.tHead.addEventListener('click', function (e) {
    var th = e.target.closest('th');
    if (!th) { return; }
    var key = th.getAttribute('data-col');
    state.dir = (state.sort === key && state.dir === 'asc') ? 'desc' : 'asc';
    state.sort = key;
    apply(); save();
  });
  query.addEventListener('input', function () { state.q = query.value; apply(); save(); });
  outcome.addEventListener('change', function () { state.outcome = outcome.value; apply(); save(); });
  Array.prototype.forEach.call(document.querySelectorAll('.card'), function (c) {
    c.addEventListener('click', function () {
      var o = c.getAttribute('data-outcome');
      state.outcome = state.outcome === o ? '' : o;
      apply(); save();
    });
  });
  load();
  apply();
  document.body.setAttribute('data-ready', 'true');
})();
"""


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _list(items: list[str]) -> str:
    return "<ul>" + "".join(f"<li>{item}</li>" for item in items) + "</ul>" if items else ""


def _cells(row: Mapping[str, Any]) -> dict[str, tuple[str, str | None]]:
    """Each column's (HTML, sort key or None for the text)."""
    components = row.get("components")
    if components:
        missing = [f"{_e(c['name'])}" + (f": {_e(c['reason'])}" if c.get("reason") else "")
                   for c in components["not_ready"]]
        comp_html = f"{components['ready']}/{components['total']}" + _list(missing)
        comp_sort = f"{components['ready'] / components['total'] if components['total'] else 0:.4f}"
    else:
        comp_html, comp_sort = '<span class="muted">-</span>', "-1"
    settings = [f"<code>{_e(k)}={_e(v)}</code>" for k, v in row["settings"].items()]
    settings += [f"<code>{_e(k)}=(protected)</code>" for k in row.get("protected_keys") or []]
    warnings = [f"<b>{_e(w['id'])}</b>: {_e(w['reason'])}"
                + (f' <span class="fix">Fix: {_e(w["fix"])}</span>' if w.get("fix") else "")
                for w in row["preflight_warnings"]]
    changes = row.get("changes") or {}
    change_items = []
    if changes.get("create"):
        change_items.append("extension " + ("would be created" if row["mode"] == "check" else "created"))
    if changes.get("delete"):
        change_items.append("extension " + ("would be removed" if row["mode"] == "check" else "removed"))
    for item in changes.get("settings") or []:
        if item["before"] is None and item["after"] is None:
            change_items.append(f"<code>{_e(item['key'])}</code>")
        else:
            change_items.append(f"<code>{_e(item['key'])}</code>: {_e(item['before'] if item['before'] is not None else '(unset)')}"
                                f" &rarr; {_e(item['after'] if item['after'] is not None else '(unset)')}")
    if changes.get("version"):
        change_items.append(f"version {_e(changes['version']['before'] or '(none)')} &rarr; "
                            f"{_e(changes['version']['after'])}")
    if changes.get("missing_components"):
        change_items.append("missing components: " + _e(", ".join(changes["missing_components"])))
    if row.get("changed_steps"):
        change_items.insert(0, "steps: " + _e(", ".join(row["changed_steps"])))
    if change_items and row["mode"] == "check":
        change_items.insert(0, '<span class="muted">would change:</span>')
    failure = ""
    if row["failed_step"] or row["reason"]:
        failure = ((f"<b>{_e(row['failed_step'])}</b>: " if row["failed_step"] else "") + _e(row["reason"])
                   + (f'<div class="fix">Fix: {_e(row["fix"])}</div>' if row.get("fix") else ""))
    group = f"{_e(row['subscription'])}<br>{_e(row['resource_group'])}" if row["subscription"] else _e(row["resource_group"])
    wave = row.get("wave")
    return {
        "cluster": (f"<b>{_e(row['cluster'])}</b>" + (f'<div class="muted">{_e(row["host"])}</div>'
                                                      if row["host"] != row["cluster"] else ""), None),
        "type": (_e(row["type"]), None),
        "region": (_e(row["region"]), None),
        "group": (group, f"{row['subscription']}/{row['resource_group']}"),
        "scenario": (_e(row["scenario"]), None),
        "outcome": (f'<span class="badge o-{_e(row["outcome"])}">{_e(OUTCOME_LABELS.get(row["outcome"], row["outcome"]))}'
                    "</span>", f"{SEVERITY.get(row['outcome'], len(SEVERITY))}-{row['outcome']}"),
        "wave": (_e("" if wave is None else wave), "" if wave is None else str(wave)),
        "state": (_e(row["extension_state"] or "-"), None),
        "version": (_e(row["version"] or "-"), None),
        "components": (comp_html, comp_sort),
        "settings": (_list(settings), None),
        "warnings": (_list(warnings), str(len(warnings))),
        "changes": (_list(change_items), str(len(changes.get("settings") or [])) if changes else "0"),
        "failure": (failure, None),
    }


def _counts_table(title: str, table: Mapping[str, Mapping[str, int]], outcomes: list[str]) -> str:
    head = "".join(f"<th>{_e(OUTCOME_LABELS.get(o, o))}</th>" for o in outcomes)
    body = "".join(
        f'<tr data-key="{_e(key)}"><td>{_e(key)}</td><td>{counts.get("total", 0)}</td>'
        + "".join(f"<td>{counts.get(o, 0)}</td>" for o in outcomes) + "</tr>"
        for key, counts in table.items())
    return (f'<div><h2>By {_e(title)}</h2><table class="counts" id="by-{_e(title)}"><thead><tr><th>{_e(title)}</th>'
            f"<th>total</th>{head}</tr></thead><tbody>{body}</tbody></table></div>")


def render(report: Mapping[str, Any], generated_at: str) -> str:
    """The whole page."""
    summary = report["summary"]
    rows = report["rows"]
    outcomes = [o for o in OUTCOMES if o in summary["by_outcome"]] + sorted(set(summary["by_outcome"]) - set(OUTCOMES))
    cards = "".join(
        f'<div class="card o-{_e(o)}" data-outcome="{_e(o)}" id="count-{_e(o)}" title="show only these">'
        f'<span class="n">{summary["by_outcome"][o]}</span> <span class="label">{_e(OUTCOME_LABELS.get(o, o))}</span></div>'
        for o in outcomes)
    options = '<option value="">every outcome</option>' + "".join(
        f'<option value="{_e(o)}">{_e(OUTCOME_LABELS.get(o, o))}</option>' for o in outcomes)
    head = "".join(f'<th data-col="{key}" scope="col">{_e(label)}</th>' for key, label in COLUMNS)
    body = []
    for row in rows:
        cells = _cells(row)
        tds = "".join(
            f'<td data-col="{key}"' + (f' data-sort="{_e(cells[key][1])}"' if cells[key][1] is not None else "")
            + f">{cells[key][0]}</td>" for key, _label in COLUMNS)
        body.append(f'<tr class="o-{_e(row["outcome"])}" data-outcome="{_e(row["outcome"])}" '
                    f'data-cluster="{_e(row["cluster"])}">{tds}</tr>')
    seen = [o for o in outcomes if summary["by_outcome"][o]]
    modes = ", ".join(summary.get("modes") or []) or "no run"
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(report['title'])}</title>
<style>{CSS}</style>
</head>
<body>
<h1>{_e(report['title'])}</h1>
<div class="meta">Generated {_e(generated_at)} &middot; <span id="total">{summary['total']}</span> cluster(s) &middot; mode: {_e(modes)}</div>
<section id="summary">
<div class="cards">{cards}</div>
<div class="breakdowns">{_counts_table('scenario', summary['by_scenario'], seen)}{_counts_table('region', summary['by_region'], seen)}</div>
</section>
<div class="controls">
<label>Filter <input id="filter" type="search" placeholder="cluster, region, reason, setting..." autocomplete="off"></label>
<label>Outcome <select id="outcome">{options}</select></label>
<span id="shown" class="muted"></span>
</div>
<table id="fleet">
<thead><tr>{head}</tr></thead>
<tbody>
{''.join(body)}
</tbody>
</table>
<script>{SCRIPT}</script>
</body>
</html>
"""
