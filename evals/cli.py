"""``accord eval``: run a QA set through the answer pipeline; write results.json and report.html.

Exit status: 0 done; 1 a ``--fail-under`` threshold was missed or lines of the QA set were
skipped as unusable; 2 unusable arguments (missing or unreadable QA set or ``--compare`` file,
unknown metric, bad option value, no index).
"""

from __future__ import annotations

import hashlib
import json
import shlex
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

MODES = ("hybrid", "dense", "lexical")


def eval_command(
    qa_set: Annotated[Path, typer.Argument(help="QA set: .jsonl or .csv, one question a line.")],
    out: Annotated[
        Path, typer.Option("--out", help="Folder for results.json and report.html (created).")
    ] = Path("eval-out"),
    k: Annotated[
        int | None,
        typer.Option(
            "--k", help="Chunks retrieved per question (default ACCORD_TOP_K, what officers get)."
        ),
    ] = None,
    compare_to: Annotated[
        Path | None,
        typer.Option("--compare", help="results.json of another run to show deltas against."),
    ] = None,
    fail_under: Annotated[
        list[str] | None,
        typer.Option(
            "--fail-under",
            help="METRIC=VALUE or METRIC[TAG]=VALUE: exit 1 if the "
            "metric (over the questions with TAG) is under VALUE (repeatable).",
        ),
    ] = None,
    mode: Annotated[
        str, typer.Option("--mode", help="Retrieval: hybrid, dense or lexical.")
    ] = "hybrid",
    clearance: Annotated[
        str | None, typer.Option(help="Audience clearance (overrides ACCORD_CLEARANCE).")
    ] = None,
    caveat: Annotated[
        list[str] | None,
        typer.Option(
            "--caveat", help="A caveat the audience holds (repeatable; overrides ACCORD_CAVEATS)."
        ),
    ] = None,
    data_dir: Annotated[Path | None, typer.Option(help="Overrides ACCORD_DATA_DIR.")] = None,
) -> None:
    """Evaluate the assistant on QA_SET: retrieval, answers, citations, refusals, latency.

    Example: accord eval samples/qa.jsonl --clearance SECRET --out eval-out
    """
    from accord.cli_common import console, err, fail, load_settings
    from accord.errors import AccordError
    from evals.qaset import QASetError, load_qaset
    from evals.runner import ThresholdError, parse_thresholds

    def usage(message: str) -> typer.Exit:
        err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)
        return typer.Exit(2)

    try:
        thresholds = parse_thresholds(fail_under or [])
    except ThresholdError as exc:
        raise usage(str(exc)) from exc
    if mode not in MODES:
        raise usage(f"--mode {mode!r}: use one of {', '.join(MODES)}")
    if k is not None and not 1 <= k <= 100:
        raise usage(f"--k {k}: use a number of chunks from 1 to 100")
    try:
        qaset = load_qaset(qa_set)
    except QASetError as exc:
        raise usage(str(exc)) from exc
    other = _read_compare(compare_to, usage) if compare_to else None
    settings = load_settings(data_dir=data_dir)
    try:
        audience = settings.cli_audience(clearance, list(caveat) if caveat else None)
    except ValueError as exc:
        raise usage(f"--clearance: {exc}") from exc
    if not settings.has_manifest:
        from accord.cli_common import no_index

        raise no_index(settings)

    from accord.models import Filters
    from accord.runtime import Runtime
    from evals.qaset import check_sources

    rt = Runtime(settings)
    indexed = {s for s, rec in rt.manifest.records().items() if rec.status == "done"}
    if not indexed:
        raise usage(f"the index in {settings.data_dir} is empty: run `accord ingest FOLDER` first")
    unknown = check_sources(qaset, indexed)
    for p in qaset.problems:
        colour = "red" if p.level == "error" else "yellow"
        err.print(
            f"[{colour}]{escape(p.format(qa_set))}[/{colour}]", highlight=False, soft_wrap=True
        )
    gold_total = {s for it in qaset.items for s in it.sources}
    missing = {s for it in qaset.items for s in it.unknown_sources}
    if gold_total and missing == gold_total:
        err.print(
            "[bold yellow]warning:[/bold yellow] none of the gold sources is in the index: "
            "is the QA set for another corpus, or were the documents ingested from a "
            "different root folder?"
        )
    if not qaset.items:
        raise usage(f"{qa_set}: no usable question")

    above = gold_above(qaset.items, indexed, rt, audience)
    console.print(
        f"clearance {audience.describe()} (caveats: "
        f"{', '.join(sorted(audience.caveats)) or 'none'})",
        highlight=False,
    )
    if above["documents"]:
        err.print(f"[bold yellow]{escape(above['banner'])}[/bold yellow]", soft_wrap=True)
    filters = Filters(audience=audience)
    started = time.time()
    try:
        records = _run(rt, qaset.items, k, mode, filters, err)
        hidden = _flag_hidden(records, rt.qa, audience)
    except AccordError as exc:
        raise fail(exc) from exc
    results = _results(qa_set, qaset, records, settings, rt, k, mode, started, indexed, audience)
    results["config"]["above_clearance"] = above
    if other is not None:
        from evals.runner import compare

        results["compare"] = compare(results, other)
        results["compare"]["other_path"] = str(compare_to)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    from evals.report import write_report

    write_report(results, out / "report.html")
    _print_summary(console, results)
    console.print(f"wrote {out / 'results.json'} and {out / 'report.html'}")
    rt.close()
    code = 0
    if qaset.errors:
        err.print(
            f"[red]{len(qaset.errors)} line(s) of {escape(str(qa_set))} were skipped; "
            f"{len(records)} question(s) evaluated[/red]",
            soft_wrap=True,
        )
        code = 1
    if hidden:
        err.print(
            f"[yellow]{hidden} question(s) have gold sources marked above the clearance "
            f"{audience.describe()}: they cannot be retrieved (flagged in the report)"
            "[/yellow]",
            soft_wrap=True,
        )
    if unknown:
        err.print(
            f"[yellow]{len(unknown)} question(s) cite gold sources not in the index "
            "(scored as misses, flagged in the report)[/yellow]"
        )
    from evals.runner import check_thresholds

    for message in check_thresholds(results["summary"], thresholds):
        err.print(f"[red]fail-under:[/red] {escape(message)}", soft_wrap=True)
        code = 1
    raise typer.Exit(code)


def gold_above(items: list, indexed: set[str], rt: Any, audience: Any) -> dict[str, Any]:
    """The indexed gold documents ``audience`` may not see, the questions citing them, a
    clearance and caveats that would see them all, and one line saying so for a banner."""
    from accord.access.audiences import REL_PREFIX

    rules = rt.settings.rules()
    gold = sorted({s for it in items for s in it.sources} & indexed)
    above = [s for s in gold if not rt.qa.visible(s, audience)]
    n_q = sum(1 for it in items if set(it.sources) & set(above))
    out: dict[str, Any] = {
        "documents": len(above),
        "gold_documents": len(gold),
        "questions": n_q,
        "rerun": "",
        "banner": "",
    }
    if not above:
        return out
    access: list[tuple[str, list[str]]] = [rt.manifest.access(s) or (rules.top, []) for s in above]
    top = max((m for m, _ in access), key=rules.rank)
    # A "REL TO A/B" document is seen by holders of "REL TO A": one suffices.
    need = sorted(
        {
            REL_PREFIX + c[len(REL_PREFIX) :].split("/")[0] if c.startswith(REL_PREFIX) else c
            for _, cs in access
            for c in cs
        }
        | set(audience.caveats)
    )
    level = top if rules.rank(top) > rules.rank(audience.clearance) else audience.clearance
    out["rerun"] = " ".join(
        [f"--clearance {shlex.quote(level)}", *(f"--caveat {shlex.quote(c)}" for c in need)]
    )
    out["banner"] = (
        f"{len(above)} of the {len(gold)} gold documents are above the clearance "
        f"{audience.describe()}: the {n_q} question(s) citing them are scored as "
        f"misses. To evaluate with them, rerun with {out['rerun']}"
    )
    return out


def _read_compare(path: Path, usage: Any) -> dict[str, Any]:
    try:
        other = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise usage(f"--compare {path}: cannot be read ({exc.strerror or exc})") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise usage(f"--compare {path}: not a results.json ({exc})") from exc
    if not isinstance(other, dict) or not isinstance(other.get("summary"), dict):
        raise usage(f"--compare {path}: not a results.json written by `accord eval` (no summary)")
    return other


def _run(rt: Any, items: list, k: int | None, mode: str, filters: Any, err: Any) -> list:
    from evals.runner import evaluate

    with Progress(
        TextColumn("[bold]eval[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"),
        console=err,
        transient=True,
        disable=not err.is_terminal,
    ) as bar:
        task = bar.add_task("questions", total=len(items), current="warming up")
        return evaluate(
            rt.qa,
            items,
            rt.manifest,
            rt.embedder,
            k=k,
            mode=mode,
            filters=filters,
            progress=lambda n, it: bar.update(task, completed=n, current=it.id),
        )


def _flag_hidden(records: list, qa: Any, audience: Any) -> int:
    """Mark each record's gold sources the audience may not see (``hidden_sources``): a miss
    there is the filter working. Returns how many records have one."""
    visible: dict[str, bool] = {}
    n = 0
    for rec in records:
        for src in rec["gold_sources"]:
            if src not in visible:
                visible[src] = qa.visible(src, audience) or qa.documents.access(src) is None
        rec["hidden_sources"] = [s for s in rec["gold_sources"] if not visible[s]]
        n += bool(rec["hidden_sources"])
    return n


def _results(
    qa_path: Path,
    qaset: Any,
    records: list,
    settings: Any,
    rt: Any,
    k: int | None,
    mode: str,
    started: float,
    indexed: set[str],
    audience: Any,
) -> dict[str, Any]:
    from evals.runner import summarise, summarise_by_tag

    finished = time.time()
    return {
        "config": {
            "qa_set": str(qa_path),
            "qa_sha256": hashlib.sha256(qa_path.read_bytes()).hexdigest(),
            "mode": mode,
            "k": k or settings.top_k,
            "clearance": audience.clearance,
            "caveats": sorted(audience.caveats),
            "data_dir": str(settings.data_dir),
            "collection": settings.collection,
            "embedding_model": rt.model_name,
            "llm_provider": settings.llm_provider,
            "refusal_threshold": settings.refusal_threshold,
            "documents": len(indexed),
            "index_generation": rt.manifest.generation(),
            "started": time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(started)),
            "duration_s": round(finished - started, 2),
        },
        "summary": {
            **summarise(records),
            "n_hidden_sources": sum(1 for r in records if r.get("hidden_sources")),
            "by_tag": summarise_by_tag(records),
        },
        "problems": [p.as_dict() for p in qaset.problems],
        "questions": records,
    }


def _print_summary(console: Any, results: dict[str, Any]) -> None:
    from evals.metrics import METRICS

    summary = results["summary"]
    deltas = results.get("compare", {}).get("summary", {})
    cfg = results["config"]
    caveats = cfg.get("caveats") or []
    seen_as = cfg.get("clearance", "?") + (f" + {', '.join(caveats)}" if caveats else "")
    table = Table(
        title=f"eval of {cfg['qa_set']} at clearance {seen_as} ({summary['n']} "
        f"questions, mode {cfg['mode']}, k {cfg['k']})"
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    if deltas:
        table.add_column("other", justify="right")
        table.add_column("delta", justify="right")
    for m in METRICS:
        row = [m.key, _fmt(summary.get(m.key), m.kind)]
        if deltas:
            d = deltas.get(m.key, {})
            row += [_fmt(d.get("other"), m.kind), _fmt_delta(d.get("delta"), m)]
        table.add_row(*row)
    console.print(table)
    console.print(
        f"answerable {summary['n_answerable']}, unanswerable "
        f"{summary['n_unanswerable']}, refused {summary['n_refused']}, citations "
        f"{summary['n_citations']}, errors {summary['errors']}, quotes per answered "
        f"part {summary.get('quotes_per_answered_part')}, leads holding the answer "
        f"when their quote does {summary.get('lead_when_quoted')}"
    )
    by_tag = summary.get("by_tag", {})
    if by_tag:
        tags = Table(title=f"per tag, at clearance {seen_as}")
        for col in ("tag", "n", "hit@5", "mrr", "answer_containment", "citation_validity"):
            tags.add_column(col, justify="left" if col == "tag" else "right")
        for tag, s in by_tag.items():
            tags.add_row(
                tag,
                str(s["n"]),
                *(
                    _fmt(s.get(c), "rate")
                    for c in ("hit@5", "mrr", "answer_containment", "citation_validity")
                ),
            )
        console.print(tags)


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if kind == "ms" else f"{value:.3f}"


def _fmt_delta(delta: float | None, info: Any) -> str:
    if delta is None:
        return "–"
    better = delta > 0 if info.higher_is_better else delta < 0
    colour = "green" if better else ("red" if delta != 0 else "white")
    text = f"{delta:+.0f}" if info.kind == "ms" else f"{delta:+.3f}"
    return f"[{colour}]{text}[/{colour}]"


def register(app: typer.Typer) -> None:
    """Add the ``eval`` command to the ``accord`` app."""
    app.command("eval")(eval_command)
