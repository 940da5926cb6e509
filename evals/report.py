"""The evaluation report: one self-contained HTML file (inline CSS, inline SVG charts, a few
lines of inline script for the table filter; nothing fetched from the network).

Sections: run configuration, metric bars (with the other run's values and the deltas under
``--compare``), latency histogram, per-tag breakdown, QA-set messages, the filterable
per-question table with the cited quotes, and every metric's definition.
"""

from __future__ import annotations

from html import escape
from pathlib import Path
from typing import Any

from evals import charts
from evals.metrics import METRIC_INFO, METRICS

TAG_COLUMNS = {
    "hit@5": "hit@5",
    "mrr": "MRR",
    "ndcg@10": "nDCG@10",
    "answer_containment": "contains",
    "citation_precision": "cit. prec.",
    "citation_validity": "cit. valid",
    "refusal_recall": "refusal rec.",
}
ROW_METRICS = (
    ("hit@5", "hit@5"),
    ("answer_containment", "contains"),
    ("citation_validity", "cit. valid"),
    ("refusal", "refusal ok"),
)

CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1400px;color:#222;
padding:0 16px}
h1{margin:0 0 4px}h2{margin-top:32px;border-bottom:1px solid #ddd;padding-bottom:4px}
.clearance{font-size:1.1em}.banner{background:#fff3cd;border:1px solid #e0b000;
padding:8px 12px;border-radius:4px;margin:8px 0}
.config{color:#555}.config code{background:#f4f4f4;padding:1px 4px;border-radius:3px}
.cards{display:flex;flex-wrap:wrap;gap:10px;margin:12px 0}
.card{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:110px}
.card b{display:block;font-size:20px}.card span{color:#666;font-size:12px}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:5px 6px;
text-align:left;vertical-align:top}th{background:#fafafa;position:sticky;top:0}
td.num{text-align:right;white-space:nowrap}.pos{color:#1a7f37}.neg{color:#c62828}
.ok{color:#1a7f37;font-weight:600}.no{color:#c62828;font-weight:600}.na{color:#999}
.badge{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;background:#eee;
margin:1px}.badge.fail{background:#fde2e1}.badge.pass{background:#dff3e4}
blockquote.quote{margin:4px 0;padding:2px 8px;border-left:3px solid #2f6fb0;background:#f7f9fc}
blockquote.quote.invalid{border-color:#c62828;background:#fdf0f0}
.src{font-size:12px;color:#555}.gold{font-weight:600;color:#1a5e2a}.answer{white-space:pre-wrap}
ol.ranked{margin:0;padding-left:18px;font-size:12px}.filters{display:flex;gap:10px;
align-items:center;margin:8px 0;flex-wrap:wrap}.filters input{min-width:260px;padding:4px}
dl.defs dt{font-weight:600;margin-top:8px}dl.defs dd{margin-left:16px;color:#333}
.muted{color:#777}.charts{display:flex;flex-wrap:wrap;gap:24px;align-items:flex-start}
"""

SCRIPT = """
(function(){
  var q=document.getElementById('f-text'),t=document.getElementById('f-tag'),
      s=document.getElementById('f-status'),c=document.getElementById('f-count');
  var rows=Array.prototype.slice.call(document.querySelectorAll('#questions tbody tr.q'));
  function apply(){
    var text=q.value.toLowerCase(),tag=t.value,st=s.value,shown=0;
    rows.forEach(function(r){
      var ok=(!text||r.textContent.toLowerCase().indexOf(text)>=0)&&
        (!tag||(' '+r.dataset.tags+' ').indexOf(' '+tag+' ')>=0)&&
        (!st||(' '+r.dataset.status+' ').indexOf(' '+st+' ')>=0);
      r.style.display=ok?'':'none';if(ok)shown++;});
    c.textContent='showing '+shown+' of '+rows.length;
  }
  [q,t,s].forEach(function(e){e.addEventListener('input',apply);e.addEventListener('change',apply);});
  apply();
})();
"""


def write_report(results: dict[str, Any], path: Path) -> None:
    """Write the report for ``results`` (the results.json dict) to ``path``."""
    path.write_text(render(results), encoding="utf-8")


def render(results: dict[str, Any]) -> str:
    """The whole report as one HTML string."""
    cfg, summary = results["config"], results["summary"]
    comp = results.get("compare")
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>Accord evaluation: {escape(Path(cfg['qa_set']).name)}</title>",
        f"<style>{CSS}</style></head><body>",
        "<h1>Accord evaluation</h1>",
        _clearance(cfg),
        _config(cfg, comp),
        _summary(summary, comp),
        _compare(comp) if comp else "",
        _charts(results),
        _problems(results.get("problems", [])),
        _questions(results["questions"], comp),
        _definitions(),
        f"<script>{SCRIPT}</script></body></html>",
    ]
    return "\n".join(parts)


def _fmt(value: Any, kind: str = "rate") -> str:
    if value is None:
        return "<span class='na'>–</span>"
    return f"{value:.0f}" if kind in ("ms", "count") else f"{value:.3f}"


def _clearance(cfg: dict[str, Any]) -> str:
    """What the answers were allowed to see, first; a banner when gold documents were above it."""
    caveats = ", ".join(cfg.get("caveats") or []) or "none"
    html = (
        f"<p class='clearance' id='clearance'>Evaluated at clearance "
        f"<b>{escape(str(cfg.get('clearance')))}</b>, caveats <b>{escape(caveats)}</b></p>"
    )
    above = cfg.get("above_clearance") or {}
    if above.get("documents"):
        html += (
            f"<div class='banner' id='clearance-banner' role='alert'>"
            f"{escape(above['banner'])}</div>"
        )
    return html


def _config(cfg: dict[str, Any], comp: dict[str, Any] | None) -> str:
    keys = (
        "qa_set",
        "mode",
        "k",
        "clearance",
        "embedding_model",
        "llm_provider",
        "documents",
        "started",
        "duration_s",
    )
    items = " · ".join(f"{k} <code>{escape(str(cfg.get(k)))}</code>" for k in keys)
    html = f"<p class='config' id='config'>{items}</p>"
    if comp:
        o = comp.get("other_config", {})
        other = " · ".join(f"{k} <code>{escape(str(o.get(k)))}</code>" for k in keys[:4])
        html += (
            f"<p class='config'>compared with <code>{escape(str(comp.get('other_path')))}"
            f"</code>: {other}</p>"
        )
    return html


def _summary(summary: dict[str, Any], comp: dict[str, Any] | None) -> str:
    cards = [
        ("questions", summary["n"]),
        ("answerable", summary["n_answerable"]),
        ("unanswerable", summary["n_unanswerable"]),
        ("refused", summary["n_refused"]),
        ("citations", summary["n_citations"]),
        ("errors", summary["errors"]),
        ("gold not indexed", summary["n_unknown_sources"]),
        ("gold above clearance", summary.get("n_hidden_sources", 0)),
    ]
    html = ["<section id='summary'><h2>Summary</h2><div class='cards'>"]
    html += [f"<div class='card'><b>{v}</b><span>{escape(k)}</span></div>" for k, v in cards]
    html.append("</div>")
    deltas = (comp or {}).get("summary", {})
    rows = [
        (
            m.key,
            summary.get(m.key),
            deltas.get(m.key, {}).get("other") if comp else None,
            m.higher_is_better,
        )
        for m in METRICS
        if m.kind == "rate"
    ]
    html.append(charts.metric_bars(rows, "Metric bars (0 to 1)"))
    lat = " · ".join(
        f"{escape(METRIC_INFO[k].label)} <b>{_fmt(summary.get(k), 'ms')} ms</b>"
        for k in ("latency_p50_ms", "latency_p95_ms")
    )
    html.append(f"<p>{lat}</p></section>")
    return "".join(html)


def _delta_cell(d: dict[str, Any], key: str) -> str:
    info = METRIC_INFO.get(key)
    delta = d.get("delta")
    if delta is None:
        return "<td class='num'><span class='na'>–</span></td>"
    better = (delta > 0) == (info.higher_is_better if info else True)
    cls = "" if abs(delta) < 5e-5 else ("pos" if better else "neg")
    kind = info.kind if info else "count"
    text = f"{delta:+.0f}" if kind in ("ms", "count") else f"{delta:+.3f}"
    return f"<td class='num delta {cls}' data-metric='{escape(key)}'>{text}</td>"


def _compare(comp: dict[str, Any]) -> str:
    html = [
        "<section id='compare'><h2>Compared with the other run</h2>",
        "<table class='deltas'><thead><tr><th>metric</th><th>this run</th><th>other run</th>"
        "<th>delta (this − other)</th></tr></thead><tbody>",
    ]
    for key, d in comp["summary"].items():
        kind = METRIC_INFO[key].kind if key in METRIC_INFO else "count"
        html.append(
            f"<tr><td>{escape(key)}</td><td class='num'>{_fmt(d['this'], kind)}</td>"
            f"<td class='num'>{_fmt(d['other'], kind)}</td>{_delta_cell(d, key)}</tr>"
        )
    html.append("</tbody></table>")
    by_tag = comp.get("by_tag", {})
    if by_tag:
        cols = ("hit@5", "mrr", "answer_containment", "citation_validity")
        html.append(
            "<h3>Per-tag deltas</h3><table class='tag-deltas'><thead><tr><th>tag</th>"
            "<th>n</th>" + "".join(f"<th>Δ {escape(c)}</th>" for c in cols) + "</tr></thead><tbody>"
        )
        for tag, d in by_tag.items():
            n = d.get("n", {}).get("this")
            html.append(
                f"<tr><td>{escape(tag)}</td><td class='num'>{n}</td>"
                + "".join(_delta_cell(d.get(c, {}), c) for c in cols)
                + "</tr>"
            )
        html.append("</tbody></table>")
    changed = comp.get("changed", [])
    if changed:
        html.append(f"<h3>Questions whose result changed ({len(changed)})</h3><ul>")
        for c in changed:
            arrow = "fail → pass" if c["after"] else "pass → fail"
            cls = "pos" if c["after"] else "neg"
            html.append(
                f"<li><a href='#q-{escape(c['id'])}'>{escape(c['id'])}</a> "
                f"{escape(c['metric'])}: <span class='{cls}'>{arrow}</span></li>"
            )
        html.append("</ul>")
    for label, ids in (
        ("only in this run", comp.get("only_this")),
        ("only in the other run", comp.get("only_other")),
    ):
        if ids:
            html.append(f"<p class='muted'>Questions {label}: {escape(', '.join(ids))}</p>")
    html.append("</section>")
    return "".join(html)


def _charts(results: dict[str, Any]) -> str:
    lat = [q["latency_ms"] for q in results["questions"]]
    other_lat = (results.get("compare") or {}).get("other_latency_ms", [])
    by_tag = results["summary"].get("by_tag", {})
    heat = (
        charts.tag_heatmap(by_tag, TAG_COLUMNS)
        if by_tag
        else "<p class='muted'>No question has tags.</p>"
    )
    return (
        "<section id='latency'><h2>Latency</h2>"
        + charts.histogram(lat, "Latency histogram", other=other_lat)
        + "</section>"
        + "<section id='tags'><h2>Per-tag breakdown</h2><p class='muted'>Each cell is the "
        "metric over the questions with that tag (count in brackets); a question counts in "
        "every tag it carries.</p>" + heat + "</section>"
    )


def _problems(problems: list[dict[str, Any]]) -> str:
    if not problems:
        return ""
    items = "".join(
        f"<li class='{escape(p['level'])}'>line {p['line']}: <b>{escape(p['level'])}"
        f"</b>{' [' + escape(p['id']) + ']' if p.get('id') else ''}: "
        f"{escape(p['message'])}</li>"
        for p in problems
    )
    return (
        f"<section id='problems'><h2>QA set messages ({len(problems)})</h2><p class='muted'>"
        "Errors: the line was skipped. Warnings: the line was evaluated.</p><ul>"
        f"{items}</ul></section>"
    )


def _mark(ok: bool | None) -> str:
    if ok is None:
        return "<span class='na'>–</span>"
    return "<span class='ok'>✓</span>" if ok else "<span class='no'>✗</span>"


def _row(q: dict[str, Any], changed: dict[str, list[dict[str, Any]]]) -> str:
    gold = set(q["gold_sources"])
    status = ["pass" if q["passed"] else "fail"]
    status += ["refused"] if q["refused"] else []
    status += ["unanswerable"] if not q["answerable"] else []
    status += ["unknown-source"] if q["unknown_sources"] else []
    status += ["changed"] if q["id"] in changed else []
    status += ["error"] if q.get("error") else []
    cites = "".join(
        f"<blockquote class='quote{'' if c['valid'] else ' invalid'}'>[{c['n']}] "
        f"“{escape(c['quote'])}”<div class='src'>"
        f"{'<span class=gold>gold</span> ' if c['gold'] else ''}"
        f"{escape(c['source'])}{', p. ' + str(c['page']) if c.get('page') else ''}"
        f"{'' if c['valid'] else ' · <b>quote not found at its span</b>'}</div></blockquote>"
        for c in q["citations"]
    )
    answer = escape(q["answer"]) if q["answer"] else "<span class='na'>(no answer)</span>"
    if q.get("error"):
        answer += f"<div class='no'>error: {escape(q['error'])}</div>"
    expected = ", ".join(escape(a) for a in q["expected_answers"]) or "<i>—</i>"
    ranked = "".join(
        f"<li class='{'gold' if r['source'] in gold else ''}'>{escape(r['source'])}"
        f"{' p. ' + str(r['page']) if r.get('page') else ''}</li>"
        for r in q["retrieved"]
    )
    unknown = (
        (f"<div class='no'>not in the index: {escape(', '.join(q['unknown_sources']))}</div>")
        if q["unknown_sources"]
        else ""
    )
    if q.get("hidden_sources"):
        unknown += (
            f"<div class='no'>above the clearance: {escape(', '.join(q['hidden_sources']))}</div>"
        )
        status.append("above-clearance")
    gold_list = escape(", ".join(q["gold_sources"])) or "<i>none</i>"
    marks = "".join(f"<td class='num'>{_mark(q['pass'].get(k))}</td>" for k, _ in ROW_METRICS)
    flips = "".join(
        f"<span class='badge {'pass' if c['after'] else 'fail'}'>{escape(c['metric'])}"
        f" {'✗→✓' if c['after'] else '✓→✗'}</span>"
        for c in changed.get(q["id"], [])
    )
    verdict = (
        "<span class='badge pass'>pass</span>"
        if q["passed"]
        else "<span class='badge fail'>fail</span>"
    )
    return (
        f"<tr class='q' id='q-{escape(q['id'])}' data-tags='{escape(' '.join(q['tags']))}' "
        f"data-status='{' '.join(status)}'><td>{escape(q['id'])}</td>"
        f"<td>{escape(q['question'])}<div class='src'>expected: {expected}</div>"
        f"<div class='src'>gold: {gold_list}</div>{unknown}</td>"
        f"<td>{' '.join(f'<span class=badge>{escape(t)}</span>' for t in q['tags'])}</td>"
        f"<td><div class='answer'>{answer}</div>{cites}</td>"
        f"<td><ol class='ranked'>{ranked}</ol></td>"
        f"<td class='num'>{q['first_gold_rank'] or '–'}</td>{marks}"
        f"<td class='num'>{q['latency_ms']:.0f}</td><td>{verdict}{flips}</td></tr>"
    )


def _questions(questions: list[dict[str, Any]], comp: dict[str, Any] | None) -> str:
    changed: dict[str, list[dict[str, Any]]] = {}
    for c in (comp or {}).get("changed", []):
        changed.setdefault(c["id"], []).append(c)
    tags = sorted({t for q in questions for t in q["tags"]})
    tag_opts = "".join(f"<option value='{escape(t)}'>{escape(t)}</option>" for t in tags)
    statuses = [
        "fail",
        "pass",
        "refused",
        "unanswerable",
        "unknown-source",
        "above-clearance",
        "error",
    ]
    statuses += ["changed"] if comp else []
    status_opts = "".join(f"<option value='{s}'>{s}</option>" for s in statuses)
    head = "".join(
        f"<th>{escape(h)}</th>"
        for h in (
            "id",
            "question",
            "tags",
            "answer and cited quotes",
            "retrieved (gold in bold)",
            "gold rank",
            *(label for _, label in ROW_METRICS),
            "ms",
            "result",
        )
    )
    rows = "".join(_row(q, changed) for q in questions)
    return (
        "<section id='questions'><h2>Questions</h2><div class='filters'>"
        "<input id='f-text' type='search' placeholder='filter: id, words of the question, "
        "answer or source'>"
        f"<select id='f-tag'><option value=''>all tags</option>{tag_opts}</select>"
        f"<select id='f-status'><option value=''>all results</option>{status_opts}</select>"
        f"<span id='f-count' class='muted'></span></div>"
        f"<table class='per-question'><thead><tr>{head}</tr></thead><tbody>{rows}"
        "</tbody></table></section>"
    )


def _definitions() -> str:
    items = "".join(
        f"<dt id='def-{escape(m.key)}'>{escape(m.label)} <code>{escape(m.key)}</code>"
        f"</dt><dd>{escape(m.definition)}"
        f"{'' if m.pass_at is None else f' A question passes at ≥ {m.pass_at:g}.'}"
        "</dd>"
        for m in METRICS
    )
    notes = (
        "<dt>Ties</dt><dd>Documents retrieved with equal scores have no order between "
        "them; retrieval metrics are the expected value over all their orders.</dd>"
        "<dt>Averages</dt><dd>Each metric is averaged over the questions it applies to: "
        "retrieval metrics over questions with gold sources, answer metrics over "
        "answerable questions with expected answers, citation metrics over questions whose "
        "answer cites something. Unanswerable questions count in the refusal metrics.</dd>"
        "<dt>Gold sources not in the index</dt><dd>kept as gold (scored as misses) and "
        "flagged in the table.</dd><dt>Result</dt><dd>A question passes when, of Hit@5, "
        "answer containment and citation validity, it passes each that applies to it, and "
        "its refusal is correct (refused exactly when unanswerable). results.json records "
        "pass/fail for every metric.</dd>"
    )
    return (
        f"<section id='definitions'><h2>Metric definitions</h2><dl class='defs'>{items}"
        f"{notes}</dl></section>"
    )
