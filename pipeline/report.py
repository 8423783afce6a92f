"""Report: the tables of a run → a static HTML report where every row is shown on the
sentence it came from, and reviewed.

Takes an output folder, gives `REPORT/index.html` (the documents: region, title, issue
date, counts of targets, units and categories, error rows; filters by region, target kind
and category) and `REPORT/<doc_id>.html`, one page per document: its text in the original
script, paragraphs and headings as they stand, every target mention, deadline phrase and
responsibility tag highlighted; hovering or selecting a highlight shows the row. Each
page is self-contained (styles, script and rows inline; no server, no network), so one
page can be sent on its own. The highlights are written into the HTML here, not built
by the browser, so a long notice opens at once.

Review happens on the page: a target can be marked right or wrong, a field corrected, a
missed target added by selecting its text. Decisions are kept in the browser (local
storage, shared by the pages of the report) and downloaded as `reviews.jsonl`, which
`run --reviews` applies (pipeline/reviews.py). Downloading a file rather than running a
local server keeps the report a folder of files that works offline and can be handed to a
colleague; the file is plain JSON Lines a researcher can read, merge and keep.

The rows are read a document at a time (every table is in document order), so a report
of any corpus is written in bounded memory.
"""

from __future__ import annotations

import html
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .errors import PipelineError
from .export import rows
from .reviews import target_key, unit_key
from .tables import atomic_write

TARGET_FIELDS = ("quantity_kind", "value", "value_max", "comparator", "unit", "per", "within", "level_text",
                 "deadline_year", "deadline_text", "deadline_source", "indicator", "indicator_id", "lead_unit",
                 "units", "scope", "rule", "categories", "review_status")
EDITABLE = ("quantity_kind", "value", "value_max", "comparator", "unit", "deadline_year", "indicator",
            "indicator_id", "lead_unit")


@dataclass
class ReportSummary:
    documents: int = 0
    targets: int = 0
    pages: list[Path] = field(default_factory=list)


def write_report(directory: Path, out: Path) -> ReportSummary:
    """Write the report of the run in `directory` into the folder `out`."""
    missing = [t for t in ("documents", "clauses", "targets", "responsibilities", "categories")
               if not (directory / f"{t}.parquet").exists()]
    if missing:
        raise PipelineError(f"{directory}: no {', '.join(missing)} table: run `policy-pipeline run` first")
    out.mkdir(parents=True, exist_ok=True)
    errors = list(rows(directory, "errors")) if (directory / "errors.parquet").exists() else []
    summary = ReportSummary()
    index: list[dict] = []
    for doc, parts in _documents(directory):
        page = out / f"{doc['doc_id']}.html"
        _write(page, document_page(doc, **parts))
        summary.pages.append(page)
        summary.documents += 1
        summary.targets += len(parts["targets"])
        index.append(_index_row(doc, parts))
    _write(out / "index.html", index_page(index, errors))
    return summary


def _write(path: Path, page: str) -> None:
    data = page.encode("utf-8")
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def _documents(directory: Path) -> Iterator[tuple[dict, dict[str, list[dict]]]]:
    """Each document with its rows of the other tables (all in document order)."""
    streams = {name: _Stream(rows(directory, name)) for name in ("clauses", "targets", "responsibilities",
                                                                  "categories")}
    for doc in rows(directory, "documents"):
        yield doc, {name: stream.take(doc["doc_id"]) for name, stream in streams.items()}


class _Stream:
    def __init__(self, items: Iterator[dict]) -> None:
        self.items = items
        self.head: dict | None = next(items, None)

    def take(self, doc_id: str) -> list[dict]:
        out = []
        while self.head is not None and self.head["doc_id"] == doc_id:
            out.append(self.head)
            self.head = next(self.items, None)
        return out


def _index_row(doc: dict, parts: dict[str, list[dict]]) -> dict:
    return {
        "doc_id": doc["doc_id"], "title": doc["title"] or doc["source_path"], "region": doc["region"] or "",
        "issue_date": doc["issue_date"].isoformat() if doc["issue_date"] else "",
        "source_path": doc["source_path"], "targets": len(parts["targets"]),
        "units": len({r["unit"] for r in parts["responsibilities"]}),
        "categories": len({(r["codebook"], r["category"]) for r in parts["categories"]}),
        "kinds": sorted({t["quantity_kind"] for t in parts["targets"]}),
        "action": sorted({r["category"] for r in parts["categories"] if r["codebook"] == "action"}),
    }


# --- one document ---------------------------------------------------------------------

def document_page(doc: dict, clauses: list[dict], targets: list[dict], responsibilities: list[dict],
                  categories: list[dict]) -> str:
    """The HTML page of one document."""
    text, original = doc["text"], doc["text_original"]
    marks: list[tuple[int, int, str, int]] = []  # start, end, kind (t target, d deadline, u tag), row index
    for i, t in enumerate(targets):
        if t["end"] > t["start"]:
            marks.append((t["start"], t["end"], "t", i))
        span = _deadline_span(text, t)
        if span is not None and span != (t["start"], t["end"]):
            marks.append((*span, "d", i))
    tags = []
    by_clause: dict[str, list[dict]] = {}
    for r in responsibilities:
        if r["source"] != "text":
            by_clause.setdefault(r["clause_id"], []).append(r)
    for c in clauses:
        for tag in c["tags"] or []:
            units = by_clause.get(c["clause_id"], [])
            tags.append({"text": tag["text"], "clause_id": c["clause_id"],
                         "units": [{"key": unit_key(tag["start"], tag["end"], r["rank"]), "unit_raw": r["unit_raw"],
                                    "unit": r["unit"], "role": r["role"], "lead_rule": r["lead_rule"],
                                    "source": r["source"], "review_status": r.get("review_status")}
                                   for r in units]})
            marks.append((tag["start"], tag["end"], "u", len(tags) - 1))
    evidence: dict[str, list[list]] = {}
    for r in categories:
        evidence.setdefault(r["clause_id"], []).append([r["codebook"], r["category"], r["score"], r["evidence"]])
    rows_json = {
        "doc_id": doc["doc_id"],
        "targets": [{"key": target_key(t["start"], t["end"]), "target_id": t["target_id"], "mention": t["mention"],
                     "start": t["start"], "end": t["end"], "clause_id": t["clause_id"],
                     **{k: _plain(t.get(k)) for k in TARGET_FIELDS},
                     "evidence": evidence.get(t["clause_id"], [])} for t in targets],
        "tags": tags,
        "editable": EDITABLE,
    }
    headings = {c["start"]: (c["section_level"], c["end"]) for c in clauses if c["is_heading"]}
    body = _body(original, marks, headings, [_tooltip(t) for t in targets])
    counts = Counter(t["quantity_kind"] for t in targets)
    facts = [("region", doc["region"]), ("issued", doc["issue_date"].isoformat() if doc["issue_date"] else None),
             ("文号", doc["doc_number"]), ("source", doc["source_path"]),
             ("targets", f"{len(targets)} ({', '.join(f'{k} {n}' for k, n in sorted(counts.items()))})"),
             ("responsible units", str(len({r['unit'] for r in responsibilities})))]
    facts_html = "".join(f"<dt>{html.escape(k)}</dt><dd>{html.escape(str(v))}</dd>" for k, v in facts if v)
    title = html.escape(doc["title_original"] or doc["title"] or doc["source_path"])
    data = json.dumps(rows_json, ensure_ascii=False).replace("</", "<\\/")
    return (f"<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<meta name=\"viewport\" content=\"width=device-width\"><style>{STYLE}</style></head><body>"
            f"<header><a href=\"index.html\">← all documents</a><h1>{title}</h1><dl>{facts_html}</dl>"
            f"<p class=\"legend\"><mark class=\"t\">target</mark> <mark class=\"d\">deadline</mark> "
            f"<mark class=\"u\">responsibility tag</mark> — hover or click a highlight; select text to add a "
            f"missed target.</p></header><main><article id=\"text\">{body}</article>"
            f"<aside id=\"panel\"><p class=\"hint\">Select a highlight to see its row.</p></aside></main>"
            f"<footer id=\"reviewbar\"><span id=\"reviewcount\">0 decisions</span> "
            f"<button id=\"download\">Download reviews.jsonl</button> "
            f"<button id=\"addsel\" disabled>Add target from selection</button></footer>"
            f"<script type=\"application/json\" id=\"rows\">{data}</script><script>{SCRIPT}</script></body></html>")


def _plain(value):
    """A cell as JSON: dates as text, lists as lists."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _deadline_span(text: str, t: dict) -> tuple[int, int] | None:
    """Where the deadline phrase a target takes stands: the last time it is written before
    the end of the target's mention (it governs what follows), else the first after."""
    phrase = t.get("deadline_text")
    if not phrase or t.get("deadline_source") in (None, "none", "document"):
        return None
    at = text.rfind(phrase, 0, t["end"])
    if at < 0:
        at = text.find(phrase, t["end"])
    return (at, at + len(phrase)) if at >= 0 else None


def _tooltip(t: dict) -> str:
    """What hovering a target shows: the row in one line."""
    amount = "" if t["value"] is None else f"{t['value']:g}" + (f"–{t['value_max']:g}" if t["value_max"] is not None
                                                               else "")
    parts = [t["quantity_kind"], f"{t['comparator'] or ''} {amount}{t['unit'] or ''}".strip(),
             f"by {t['deadline_year']} ({t['deadline_source']})" if t["deadline_year"] else "",
             t["indicator"] or "", f"lead {t['lead_unit']}" if t["lead_unit"] else "", t["rule"]]
    return " · ".join(p for p in parts if p)


def _body(original: str, marks: list[tuple[int, int, str, int]], headings: dict[int, tuple[int, int]],
          tooltips: list[str]) -> str:
    """The text as paragraphs: a paragraph that is a heading as a heading, an inline heading
    (`1.强化…。` then its body) in bold."""
    out: list[str] = []
    pending = sorted(marks)
    taken = 0
    open_marks: list[tuple[int, int, str, int]] = []  # marks begun before this paragraph's end
    pos = 0
    for line in original.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        while taken < len(pending) and pending[taken][0] < end:
            open_marks.append(pending[taken])
            taken += 1
        open_marks = [m for m in open_marks if m[1] > start]
        if not line:
            continue
        level, heading_end = headings.get(start, (None, end))
        tag = "p" if level is None or heading_end < end else f"h{min(2 + level, 6)}"
        bold = heading_end if level is not None and heading_end < end else None
        out.append(f"<{tag}>{_runs(original, start, end, open_marks, tooltips, bold)}</{tag}>")
    return "".join(out)


def _runs(original: str, start: int, end: int, marks: list[tuple[int, int, str, int]], tooltips: list[str],
          bold: int | None) -> str:
    """original[start:end] as runs of characters, each in a span carrying its offset
    (`data-o`) and, where highlighted, a mark naming the rows it belongs to (`data-t`
    targets, `data-d` deadlines of targets, `data-u` tags); the first `bold` characters
    in bold."""
    inside = [m for m in marks if m[0] < end and m[1] > start]
    cuts = sorted({start, end, *(min(max(x, start), end) for m in inside for x in m[:2]),
                   *((bold,) if bold is not None else ())})
    out = ["<strong>"] if bold is not None else []
    for a, b in zip(cuts, cuts[1:], strict=False):
        if a == bold:
            out.append("</strong>")
        active = [m for m in inside if m[0] <= a < m[1]]
        piece = html.escape(original[a:b])
        if not active:
            out.append(f"<span data-o=\"{a}\">{piece}</span>")
            continue
        kinds = sorted({m[2] for m in active})
        ids = " ".join(f"data-{k}=\"{' '.join(str(m[3]) for m in active if m[2] == k)}\"" for k in kinds)
        first = next((m[3] for m in active if m[2] in "td"), None)
        tip = f" title=\"{html.escape(tooltips[first])}\"" if first is not None else ""
        out.append(f"<mark class=\"{' '.join(kinds)}\" data-o=\"{a}\" {ids}{tip}>{piece}</mark>")
    if bold is not None and bold >= end:
        out.append("</strong>")
    return "".join(out)


# --- the index --------------------------------------------------------------------------

def index_page(documents: list[dict], errors: list[dict]) -> str:
    regions = sorted({d["region"] for d in documents if d["region"]})
    kinds = sorted({k for d in documents for k in d["kinds"]})
    actions = sorted({k for d in documents for k in d["action"]})

    def select(name: str, values: list[str]) -> str:
        options = "".join(f"<option>{html.escape(v)}</option>" for v in values)
        return f"<label>{name} <select data-filter=\"{name}\"><option value=\"\">all</option>{options}</select></label>"

    body = "".join(
        f"<tr data-region=\"{html.escape(d['region'])}\" data-kind=\"{' '.join(d['kinds'])}\" "
        f"data-category=\"{' '.join(d['action'])}\"><td>{html.escape(d['region'])}</td>"
        f"<td><a href=\"{d['doc_id']}.html\">{html.escape(d['title'])}</a></td><td>{d['issue_date']}</td>"
        f"<td class=\"n\">{d['targets']}</td><td class=\"n\">{d['units']}</td><td class=\"n\">{d['categories']}</td>"
        f"</tr>" for d in documents)
    error_rows = "".join(
        f"<tr><td>{html.escape(e['source_path'])}</td><td>{html.escape(e['error_type'])}</td>"
        f"<td>{html.escape(e['stage'])}</td><td>{html.escape(e['message'])}</td></tr>" for e in errors)
    errors_html = (f"<h2>Error rows ({len(errors)})</h2><table class=\"errors\"><tr><th>file</th><th>type</th>"
                   f"<th>stage</th><th>message</th></tr>{error_rows}</table>") if errors else ""
    return (f"<!doctype html><html lang=\"zh\"><head><meta charset=\"utf-8\"><title>policy-pipeline report</title>"
            f"<style>{STYLE}</style></head><body><header><h1>policy-pipeline report</h1>"
            f"<p>{len(documents)} documents. Open a document to see every row on its sentence and review it.</p>"
            f"<p class=\"filters\">{select('region', regions)} {select('kind', kinds)} "
            f"{select('category', actions)} <span id=\"shown\"></span></p></header>"
            f"<table id=\"documents\"><tr><th>region</th><th>title</th><th>issued</th><th>targets</th>"
            f"<th>units</th><th>categories</th></tr>{body}</table>{errors_html}<script>{INDEX_SCRIPT}</script>"
            f"</body></html>")


STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;margin:0;
color:#222}
header{padding:12px 24px;border-bottom:1px solid #ddd;background:#fafafa}
h1{font-size:20px;margin:6px 0} dl{display:flex;flex-wrap:wrap;gap:4px 16px;margin:4px 0;font-size:13px}
dt{color:#777} dd{margin:0} .legend{font-size:13px;color:#555}
main{display:flex;align-items:flex-start} article{flex:1;padding:8px 24px 80px;line-height:1.9;max-width:860px}
article p{margin:0 0 8px} article h2,article h3,article h4,article h5,article h6{font-size:16px;margin:14px 0 6px}
aside{position:sticky;top:0;width:360px;max-height:100vh;overflow:auto;padding:12px 16px;border-left:1px solid #ddd;
font-size:13px;background:#fff}
mark{background:none;border-bottom:2px solid transparent;cursor:pointer}
mark.t{background:#ffe9a8} mark.d{border-bottom-color:#2c7be5} mark.u{background:#d7f0dd}
mark.sel{outline:2px solid #e5532c} mark.confirmed{background:#bfe8c4} mark.rejected{background:#f6c4c4;
text-decoration:line-through} mark.corrected{background:#c9dcf7}
table{border-collapse:collapse;margin:12px 24px;font-size:13px} td,th{border:1px solid #ddd;padding:4px 8px}
td.n{text-align:right} .filters select{margin-right:12px} .hint{color:#777}
aside table{margin:6px 0;width:100%} aside input{width:100%;box-sizing:border-box}
footer{position:fixed;bottom:0;left:0;right:0;padding:8px 24px;background:#f3f3f3;border-top:1px solid #ddd}
button{margin-right:6px}
"""

SCRIPT = r"""
const DATA = JSON.parse(document.getElementById('rows').textContent);
const KEY = 'policy-pipeline-reviews';
const panel = document.getElementById('panel');
function load() { try { return JSON.parse(localStorage.getItem(KEY) || '[]'); } catch (e) { return []; } }
function save(list) { try { localStorage.setItem(KEY, JSON.stringify(list)); } catch (e) {} REVIEWS = list; refresh(); }
let REVIEWS = load();
function mine() { return REVIEWS.filter(r => r.doc_id === DATA.doc_id); }
function statusOf(key) { let s = null; for (const r of mine()) if (r.row === key) s = r.status; return s; }
const ENTITIES = {'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'};
function esc(s) { return String(s ?? '').replace(/[&<>"]/g, c => ENTITIES[c]); }
function refresh() {
  document.getElementById('reviewcount').textContent = REVIEWS.length + ' decisions';
  document.querySelectorAll('mark[data-t]').forEach(m => {
    m.classList.remove('confirmed', 'rejected', 'corrected');
    const st = statusOf(DATA.targets[+m.dataset.t.split(' ')[0]].key);
    if (st) m.classList.add(st);
  });
}
function record(t, status, fieldName, oldValue, newValue, extra) {
  const note = document.getElementById('note') ? document.getElementById('note').value : '';
  const list = load();
  list.push(Object.assign({doc_id: DATA.doc_id, row: t ? t.key : null, mention: t ? t.mention : null,
    field: fieldName, old: oldValue, new: newValue, status: status, note: note, time: new Date().toISOString()},
    extra || {}));
  save(list);
}
function show(kind, index) {
  document.querySelectorAll('mark.sel').forEach(m => m.classList.remove('sel'));
  document.querySelectorAll('mark[data-' + kind + ']').forEach(m => {
    if (m.dataset[kind].split(' ').includes(String(index))) m.classList.add('sel');
  });
  if (kind === 'u') {
    const tag = DATA.tags[index];
    panel.innerHTML = '<h3>Responsibility tag</h3><p>' + esc(tag.text) + '</p>' +
      '<p><input id="note" placeholder="note (optional)"></p><table><tr><th>unit</th><th>role</th><th></th></tr>' +
      tag.units.map((u, i) => '<tr data-unit="' + i + '"><td><input data-field="unit" value="' + esc(u.unit) +
        '"></td><td><input data-field="role" value="' + esc(u.role) + '"></td><td>' +
        '<button data-act="confirmed">Right</button><button data-act="rejected">Wrong</button>' +
        '<button data-act="corrected">Save</button> ' + esc(statusOf(u.key) || '') + '</td></tr>').join('') +
      '</table><p class="hint">lead rule: ' + esc([...new Set(tag.units.map(u => u.lead_rule))].join(', ')) + '</p>';
    panel.querySelectorAll('tr[data-unit] button').forEach(button => button.onclick = () => {
      const tr = button.closest('tr'), u = tag.units[+tr.dataset.unit];
      const row = {key: u.key, mention: u.unit_raw};
      if (button.dataset.act !== 'corrected') { record(row, button.dataset.act, null, null, null); return; }
      tr.querySelectorAll('input[data-field]').forEach(input => {
        const k = input.dataset.field;
        if (input.value !== String(u[k] ?? '')) record(row, 'corrected', k, u[k], input.value);
      });
    });
    return;
  }
  const t = DATA.targets[index];
  const st = statusOf(t.key);
  let rowsHtml = '';
  for (const k of Object.keys(t)) {
    if (['key', 'start', 'end', 'evidence', 'editable'].includes(k)) continue;
    const v = Array.isArray(t[k]) ? t[k].join('、') : t[k];
    rowsHtml += '<tr><th>' + k + '</th><td>' + (DATA.editable.includes(k) ?
      '<input data-field="' + k + '" value="' + esc(v) + '">' : esc(v)) + '</td></tr>';
  }
  const ev = t.evidence.map(e => esc(e[0] + ':' + e[1] + ' (' + e[3].join('、') + ')')).join('<br>');
  panel.innerHTML = '<h3>Target ' + esc(t.mention) + (st ? ' — ' + st : '') + '</h3>' +
    '<p><button id="right">Right</button><button id="wrong">Wrong</button>' +
    '<button id="fix">Save corrections</button></p>' +
    '<p><input id="note" placeholder="note (optional)"></p><table>' + rowsHtml + '</table>' +
    '<h4>Categories of its clause</h4><p>' + (ev || '—') + '</p>';
  document.getElementById('right').onclick = () => record(t, 'confirmed', null, null, null);
  document.getElementById('wrong').onclick = () => record(t, 'rejected', null, null, null);
  document.getElementById('fix').onclick = () => {
    panel.querySelectorAll('input[data-field]').forEach(input => {
      const k = input.dataset.field;
      const old = t[k] === null || t[k] === undefined ? '' : String(t[k]);
      if (input.value !== old) record(t, 'corrected', k, t[k], input.value);
    });
  };
}
document.getElementById('text').addEventListener('click', e => {
  const m = e.target.closest('mark');
  if (!m) return;
  if (m.dataset.t) show('t', +m.dataset.t.split(' ')[0]);
  else if (m.dataset.u) show('u', +m.dataset.u.split(' ')[0]);
  else if (m.dataset.d) show('t', +m.dataset.d.split(' ')[0]);
});
function offsetOf(node, offset) {
  const el = node.nodeType === 3 ? node.parentElement : node;
  const holder = el.closest('[data-o]');
  return holder ? +holder.dataset.o + (node.nodeType === 3 ? offset : 0) : null;
}
let SELECTION = null;
document.addEventListener('selectionchange', () => {
  const s = window.getSelection();
  SELECTION = null;
  if (s && !s.isCollapsed && document.getElementById('text').contains(s.anchorNode)) {
    const a = offsetOf(s.anchorNode, s.anchorOffset), b = offsetOf(s.focusNode, s.focusOffset);
    if (a !== null && b !== null && a !== b) {
      SELECTION = {start: Math.min(a, b), end: Math.max(a, b), text: s.toString()};
    }
  }
  document.getElementById('addsel').disabled = !SELECTION;
});
document.getElementById('addsel').onclick = () => {
  if (!SELECTION) return;
  const sel = SELECTION;
  panel.innerHTML = '<h3>Add a missed target</h3><p>' + esc(sel.text) + '</p><table>' +
    ['quantity_kind', 'value', 'unit', 'comparator', 'deadline_year', 'indicator'].map(k =>
      '<tr><th>' + k + '</th><td><input data-field="' + k + '"></td></tr>').join('') +
    '</table><p><input id="note" placeholder="note (optional)"></p><button id="add">Add</button>';
  document.getElementById('add').onclick = () => {
    const fields = {};
    panel.querySelectorAll('input[data-field]').forEach(i => { if (i.value) fields[i.dataset.field] = i.value; });
    record(null, 'added', null, null, fields, {row: 't:' + sel.start + ':' + sel.end, mention: sel.text});
    panel.innerHTML = '<p class="hint">Added.</p>';
  };
};
document.getElementById('download').onclick = () => {
  const blob = new Blob([load().map(r => JSON.stringify(r)).join('\n') + '\n'], {type: 'application/x-ndjson'});
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = 'reviews.jsonl';
  document.body.appendChild(a);
  a.click();
  a.remove();
};
refresh();
"""

INDEX_SCRIPT = r"""
const selects = document.querySelectorAll('select[data-filter]');
function apply() {
  let shown = 0;
  document.querySelectorAll('#documents tr[data-region]').forEach(tr => {
    let ok = true;
    selects.forEach(s => {
      if (!s.value) return;
      const values = (tr.dataset[s.dataset.filter] || '').split(' ');
      if (!values.includes(s.value)) ok = false;
    });
    tr.style.display = ok ? '' : 'none';
    shown += ok;
  });
  document.getElementById('shown').textContent = shown + ' shown';
}
selects.forEach(s => s.addEventListener('change', apply));
apply();
"""
