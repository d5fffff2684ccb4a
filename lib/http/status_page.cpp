#include "lib/http/status_page.hpp"

namespace kt::http {

namespace {

// Plain HTML, CSS and script; every value is put in with textContent, never as markup.
constexpr std::string_view kPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kt status</title>
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; }
  #meta { color: #666; margin-bottom: 1em; }
  #error { color: #b00; font-weight: bold; }
  /* The table fits the window, its text wrapping; when it cannot (a narrow window), it
     scrolls inside this box and the page itself never gets wider than the window. */
  .table-box { max-width: 100%; overflow-x: auto; }
  table { border-collapse: collapse; width: 100%; }
  th, td { padding: .25em .5em; border-bottom: 1px solid #ddd; text-align: left;
           vertical-align: top; overflow-wrap: break-word; }
  th { background: #f3f3f3; }
  td.num, td.worker { white-space: nowrap; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
  tr.group-start td { border-top: 2px solid #999; }
  td.lag.behind { color: #b60; font-weight: bold; }
  td.last-error { color: #b00; min-width: 12em; overflow-wrap: anywhere; }
  td.problem { color: #b00; }
  @media (max-width: 1000px) {
    body { margin: .8em; font-size: 13px; }
    th, td { padding: .2em .35em; }
  }
</style>
</head>
<body>
<h1>kt status</h1>
<div id="meta">loading&hellip;</div>
<div id="error"></div>
<div class="table-box">
<table id="status">
  <thead><tr>
    <th>worker</th><th>name</th><th>group</th><th>topic</th><th>partition</th>
    <th>committed</th><th>end</th><th>lag</th><th>msg/s</th><th>dead letters</th>
    <th>held</th><th>next release</th><th>last error</th>
  </tr></thead>
  <tbody id="rows"></tbody>
</table>
</div>
<script>
"use strict";
const refreshMs = 2000;

function text(v) { return v === null || v === undefined ? "" : String(v); }
function offset(v) { return v === null || v === undefined || v < 0 ? "-" : String(v); }
function rate(v) { return (v || 0).toFixed(1); }
function ago(unix, now) {
  if (unix === null || unix === undefined) return "";
  const s = Math.max(0, Math.round(now - unix));
  return new Date(unix * 1000).toISOString().replace(/\.\d+Z$/, "Z") + " (" + s + " s ago)";
}
function seconds(v) {
  if (v === null || v === undefined) return "";
  return v < 60 ? v.toFixed(1) + " s" : v < 3600 ? (v / 60).toFixed(1) + " min"
                                                  : (v / 3600).toFixed(1) + " h";
}

function cell(row, cls, value, numeric) {
  const td = document.createElement("td");
  td.className = cls + (numeric ? " num" : "");
  td.textContent = value;
  row.appendChild(td);
  return td;
}
// A name such as kt.indexer.order_line_items may wrap after each dot and underscore.
function nameCell(row, cls, value) {
  const td = cell(row, cls, "");
  text(value).split(/(?<=[._])/).forEach((part, i) => {
    if (i > 0) td.appendChild(document.createElement("wbr"));
    td.appendChild(document.createTextNode(part));
  });
  return td;
}

function render(report) {
  document.getElementById("meta").textContent =
    (report.source || "kt") + ", " + new Date(report.generated_at * 1000).toISOString() +
    " (refreshes every " + refreshMs / 1000 + " s)";
  const body = document.createElement("tbody");
  body.id = "rows";
  for (const g of report.groups) {
    const parts = g.partitions.length ? g.partitions : [null];
    parts.forEach((p, i) => {
      const tr = document.createElement("tr");
      tr.className = (p ? "partition" : "no-partition") + (i === 0 ? " group-start" : "");
      tr.dataset.group = g.group;
      if (p) tr.dataset.partition = p.partition;
      const first = i === 0;
      cell(tr, "worker", first ? g.worker : "");
      nameCell(tr, "name", first ? g.name : "");
      nameCell(tr, "group", first ? g.group : "");
      nameCell(tr, "topic", first ? g.topic : "");
      if (p) {
        cell(tr, "partition", text(p.partition), true);
        cell(tr, "committed", offset(p.committed), true);
        cell(tr, "end", offset(p.end), true);
        const lag = cell(tr, "lag", offset(p.lag), true);
        if (p.lag > 0) lag.classList.add("behind");
        cell(tr, "rate", rate(p.rate), true);
      } else {
        const td = cell(tr, "problem", g.problem || "no partition assigned");
        td.colSpan = 5;
      }
      cell(tr, "dead-letters", first ? offset(g.dead_letters) : "", true);
      cell(tr, "held", first ? text(g.held) : "", true);
      cell(tr, "next-release", first ? seconds(g.next_release_in) : "", true);
      cell(tr, "last-error",
           first && g.last_error ? g.last_error + " at " + ago(g.last_error_at, report.generated_at)
                                 : "");
      body.appendChild(tr);
    });
  }
  document.getElementById("rows").replaceWith(body);
}

async function refresh() {
  try {
    const res = await fetch("status.json", {cache: "no-store"});
    if (!res.ok) throw new Error("status.json answered " + res.status);
    render(await res.json());
    document.getElementById("error").textContent = "";
  } catch (e) {
    document.getElementById("error").textContent = "cannot refresh: " + e.message;
  } finally {
    setTimeout(refresh, refreshMs);
  }
}
refresh();
</script>
</body>
</html>
)html";

}  // namespace

std::string_view status_page_html() noexcept {
    return kPage;
}

}  // namespace kt::http
