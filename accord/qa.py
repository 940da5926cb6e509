"""The answer pipeline every front end calls: ``QA.answer(question, filters) -> Answer``.

Question checks, the audience's clearance, hybrid retrieval, then the answerer (extractive by
default; an LLM when configured, with the extractive answer as its fallback). The Slack bot, the
``accord ask`` command and the evaluation runner all go through here.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from accord.access.audiences import Audience, can_see
from accord.access.audit import AuditLog, Origin
from accord.answer.citations import make_citation, related_sources
from accord.answer.decision import Decision
from accord.answer.extractive import ExtractiveAnswerer
from accord.answer.followups import condense_plain
from accord.answer.kinds import given_words
from accord.answer.leads import asks_agent, contrasted, lead_of
from accord.answer.questions import MAX_QUESTION_CHARS, check_question, parse  # noqa: F401
from accord.errors import EmptyIndex, IndexNeedsResync
from accord.instruments.registry import Registry, article_of, registry_of
from accord.language.dates import long_date
from accord.language.detect import MALAY, detect, embedding_notice, prefer_language
from accord.language.lexicon import lexicon, lexicon_for, reading
from accord.metrics import Metrics
from accord.models import (
    Answer,
    Citation,
    Document,
    Filters,
    RetrievedChunk,
    RetrievedSource,
)
from accord.ports import Answerer, Embedder, Retriever
from accord.settings import Settings
from accord.state import RULES_STATE

if TYPE_CHECKING:
    from ingest.manifest import Manifest
    from vectorstore.lexical import LexicalIndex

log = logging.getLogger(__name__)


class QA:
    """Answers questions from the index. Build once per process; thread-safe for answering."""

    def __init__(
        self,
        settings: Settings,
        retriever: Retriever,
        embedder: Embedder,
        lexical: Callable[[], LexicalIndex],
        documents: Manifest | None = None,
        answerer: Answerer | None = None,
        audit: AuditLog | None = None,
        decision: Decision | None = None,
        sentence_embedder: Embedder | None = None,
    ) -> None:
        self.settings = settings
        self.rules = settings.rules()
        self.audit = audit  # every answer leaves a row here when set
        self.metrics = Metrics()
        self._registry: tuple[int, Registry] | None = None
        self._registry_lock = threading.Lock()
        self.retriever = retriever
        self.embedder = embedder
        self._lexical = lexical  # callable returning the current LexicalIndex
        self.documents = documents  # has .document(source) -> Document, for checking quotes
        self.extractive = ExtractiveAnswerer(
            sentence_embedder or embedder,
            lambda t: self._lexical().idf(t),
            decision,
            document_text=lambda source: self._lexical().document_text(source),
            document=self._document,
        )
        self.answerer = answerer  # an LLM answerer, or None for extractive only
        self._extractive_ms: ExtractiveAnswerer | None = None

    def effective_filters(
        self, filters: Filters | None, audience: Audience | None = None
    ) -> Filters:
        """The filters with the audience applied: ``audience``, else the one in ``filters``,
        else the settings' CLI audience."""
        f = dataclasses.replace(filters) if filters else Filters()
        f.audience = audience or f.audience or self.settings.cli_audience()
        return f

    def retrieve(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str = "hybrid",
    ) -> list[RetrievedChunk]:
        """Ranked chunks for ``question`` under ``filters`` (clearance always applied)."""
        q = check_question(question)
        self._require_index()
        return self.retriever.retrieve(
            q, k or self.settings.top_k, self.effective_filters(filters), mode=mode
        )

    def _require_index(self) -> None:
        if len(self._lexical()) == 0:
            raise EmptyIndex("The index is empty: run `accord ingest FOLDER` first.")
        if self.documents is not None:
            if self.documents.get_state(RULES_STATE) != self.rules.digest:
                raise IndexNeedsResync(
                    "The index was marked by other security-marking rules than the ones in "
                    f"force ({self.rules.source}); until it is re-marked a document could be "
                    "shown below its marking. Run `accord ingest FOLDER` (no re-embedding)."
                )

    def answer(
        self,
        question: str,
        filters: Filters | None = None,
        k: int | None = None,
        mode: str = "hybrid",
        history: list[str] | None = None,
        on_token: Callable[[str], object] | None = None,
        audience: Audience | None = None,
        origin: Origin | None = None,
        as_of: str | None = None,
    ) -> Answer:
        """Answer ``question`` from the documents ``audience`` may see (default: the one in
        ``filters``, else the settings' CLI audience), and record it in the audit log.

        Returns an Answer whose citations quote documents verbatim, or a refusal. Raises
        BadQuestion for an unusable question, EmptyIndex when nothing is indexed and
        IndexNeedsResync when the index was marked by other marking rules. ``as_of`` (ISO
        date) answers as on that day: documents dated after it are left out, and what was
        amended or in force is judged on it (default: today).
        """
        t0 = time.perf_counter()
        q = check_question(question)
        self._require_index()
        filters = self.effective_filters(filters, audience)
        if as_of:
            filters.until = min(filter(None, [filters.until, as_of]))
        assert filters.audience is not None
        search_q = q
        if history and self.answerer is not None:
            search_q = self.answerer.condense(q, history)
        elif history:
            search_q = condense_plain(q, history)
        lang = detect(search_q)
        with reading(lang):  # a Malay question is parsed and matched with Malay roots
            ans, chunks = self._compose(search_q, lang, filters, k, mode, on_token)
        notice = embedding_notice(lang, self.settings.model_name)
        if notice:
            ans.notice = f"{ans.notice} {notice}" if ans.notice else notice
        ans.question = q
        ans.retrieved = ranked_sources(chunks)
        if not ans.refused:
            self._in_force(ans, filters, as_of)
        self._final_check(ans, filters.audience)
        ans.latency_ms = (time.perf_counter() - t0) * 1000
        self.metrics.observe(
            (origin or Origin()).front_end, ans.latency_ms / 1000, ans.refused, ans.weak
        )
        if self.audit is not None:
            model = self.settings.llm_model or (
                str(self.settings.llm_model_path) if self.settings.llm_model_path else None
            )
            self.audit.record_answer(
                ans, filters.audience, origin or Origin(), model if ans.mode == "llm" else None
            )
        return ans

    def _compose(
        self,
        search_q: str,
        lang: str,
        filters: Filters,
        k: int | None,
        mode: str,
        on_token: Callable[[str], object] | None,
    ) -> tuple[Answer, list[RetrievedChunk]]:
        """Retrieve for each part of the question and compose the answer, in ``lang``: a
        bilingual document is quoted in the asker's language where it has that version."""
        extractive = self._extractive_for(lang)
        parsed = parse(search_q, extractive.lex)
        k = k or self.settings.top_k
        if self.answerer is not None or len(parsed.parts) == 1:
            focus = parsed.parts[0].search if len(parsed.parts) == 1 else search_q
            qvec = self.embedder.embed_query(focus)
            chunks = prefer_language(
                self.retriever.retrieve(focus, k, filters, mode=mode, query_vector=qvec), lang
            )
            if self.answerer is not None:
                ans = self.answerer.compose(
                    search_q, chunks, qvec, extractive, on_token=on_token, parsed=parsed
                )
            else:
                ans = extractive.compose(search_q, chunks, qvec, parsed)
            return ans, chunks
        # Each part is searched and answered on its own: "(a) whether ... (b) when ...".
        vecs = self.embedder.embed_batch([p.search for p in parsed.parts])
        per_part = [
            (
                p,
                prefer_language(
                    self.retriever.retrieve(p.search, k, filters, mode=mode, query_vector=v), lang
                ),
                v,
            )
            for p, v in zip(parsed.parts, vecs, strict=True)
        ]
        ans = extractive.compose_parts(search_q, per_part)
        chunks = sorted(
            {c.chunk_id: c for _, cs, _ in per_part for c in cs}.values(), key=lambda c: -c.score
        )
        return ans, chunks

    def _extractive_for(self, lang: str) -> ExtractiveAnswerer:
        """The extractive answerer for questions in ``lang`` (Malay has its own word lists)."""
        if lang != MALAY:
            return self.extractive
        if self._extractive_ms is None:
            base = self.extractive
            self._extractive_ms = ExtractiveAnswerer(
                base.embedder,
                base.idf,
                base.decision,
                document_text=base.document_text,
                document=base.document,
                lex=lexicon_for(MALAY),
                reader=base.reader,
                read=base.read,
            )
        return self._extractive_ms

    def _document(self, source: str) -> Document | None:
        return self.documents.document(source) if self.documents is not None else None

    def registry(self) -> Registry | None:
        """The instruments of the index (MoUs, agreements, protocols) with their relations,
        rebuilt when the index changes."""
        if self.documents is None:
            return None
        gen = self.documents.generation()
        with self._registry_lock:
            if self._registry is None or self._registry[0] != gen:
                self._registry = (gen, registry_of(self.documents))
            return self._registry[1]

    def _in_force(self, ans: Answer, filters: Filters, as_of: str | None) -> None:
        """Say when a quoted provision was amended, quoting the amending text, and when a
        quoted instrument is no longer in force (as of ``as_of``, default today)."""
        reg = self.registry()
        if reg is None or not reg.items:
            return
        notes: list[str] = []
        for c in list(ans.citations):
            if c.source not in reg.items:
                continue
            st = reg.status(c.source, as_of)
            if st.state in ("expired", "superseded", "terminated"):
                by = f" by {reg.items[st.superseded_by].title}" if st.superseded_by else ""
                notes.append(
                    f"[{c.n}] is from an instrument that is {st.state}{by}"
                    f"{' as of ' + as_of if as_of else ''}."
                )
            doc = self.documents.document(c.source) if self.documents else None
            article = article_of(doc.text, c.char_start, c.quote) if doc else None
            if not article:
                continue
            found = reg.amendment_for(c.source, article, as_of)
            if found is None or found[1].new_text is None:
                continue
            other, change = found
            new = change.new_text
            if new is None:
                continue
            if not (
                self.documents
                and self.visible(other, filters.audience)
                and passes_dates(filters, reg.items[other])
            ):
                continue
            cite = self._citation_for(other, new.start, new.end, len(ans.citations) + 1)
            if cite is None:
                continue
            ans.citations.append(cite)
            amending = reg.items[other]
            label = (
                f"in force: Article {change.article} as amended by {amending.title} of "
                f"{_long_date(amending.signed)}; the text as signed said"
            )
            if _lead_in_force(ans, c, cite, label):
                continue
            notes.append(
                f"Article {change.article} of the instrument quoted in [{c.n}] was "
                f"amended by {amending.title} of {_long_date(amending.signed)}: "
                f"{cite.quote} [{cite.n}]"
            )
        if notes:
            ans.text = ans.text + "\n" + "\n".join(notes)
            ans.notice = " ".join(n for n in notes if "is from an instrument" in n) or ans.notice

    def _citation_for(self, source: str, start: int, end: int, n: int) -> Citation | None:
        """A citation of ``source``'s text[start:end] through the indexed chunk holding it."""
        lex = self._lexical()
        for i, meta in enumerate(lex.metas):
            if (
                meta.get("source") == source
                and int(meta.get("char_start", 0)) <= start
                and end <= int(meta.get("char_end", 0))
            ):
                doc = self.documents.document(source) if self.documents else None
                if doc is None:
                    return None
                chunk = RetrievedChunk(lex.ids[i], lex.texts[i], 0.0, dict(meta))
                return make_citation(n, chunk, doc.text[start:end], start, end, 1.0)
        return None

    def visible(self, source: str, audience: Audience | None) -> bool:
        """Whether ``audience`` may see the indexed document ``source`` as the index holds it
        now. A document the index does not know, or an unknown audience, sees nothing."""
        if self.documents is None or audience is None:
            return False
        found = self.documents.access(source)
        return found is not None and can_see(self.rules, audience, found[0], found[1])

    def _final_check(self, ans: Answer, audience: Audience) -> None:
        """Retrieval already kept out what the audience may not see; this checks the finished
        answer once more against the index's own record of each document, so that no later
        change (a re-mark during the answer, a bug) can put one in front of the wrong readers."""
        if self.documents is None:
            return
        sources = (
            {c.source for c in ans.citations}
            | {r.source for r in ans.retrieved}
            | {r.source for r in ans.related}
        )
        hidden = {s for s in sources if not self.visible(s, audience)}
        if not hidden:
            return
        log.error(
            "final access check removed %d document(s) retrieval had passed for %s",
            len(hidden),
            audience.describe(),
        )
        ans.retrieved = [r for r in ans.retrieved if r.source not in hidden]
        ans.related = [r for r in ans.related if r.source not in hidden]
        if any(c.source in hidden for c in ans.citations):
            ans.citations = []
            ans.text = (
                "The answer could not be shown: a source it rested on is not available "
                "to this audience."
            )
            ans.refused = True


def _lead_in_force(ans: Answer, old: Citation, new: Citation, label: str) -> bool:
    """Where a part's answer is led by ``old`` (a provision as signed), lead it with ``new``
    (the amending text) and give the old lead second, labelled. False when no part is."""
    done = False
    for part in ans.parts:
        for i, ld in enumerate(list(part.get("leads") or [])):
            was = f"{ld['text']} [{old.n}]"
            if ld["n"] != old.n or was not in ans.text:
                continue
            lead = lead_of(
                new.quote,
                str(part.get("kind", "what")),
                given_words(str(part.get("part", ""))),
                lexicon(),
                agent=asks_agent(str(part.get("part", ""))),
                contrast=contrasted(str(part.get("part", ""))),
            )
            now = lead.text(new.quote)
            ans.text = ans.text.replace(was, f"{now} [{new.n}] ({label}: {was})", 1)
            part["leads"].insert(i, {"n": new.n, "text": now, "whole": lead.whole})
            part["citations"] = [new.n, *part.get("citations", [])]
            done = True
    return done


def passes_dates(filters: Filters, inst: object) -> bool:
    signed = getattr(inst, "signed", None)
    return not (filters.until and signed and signed > filters.until)


def _long_date(iso: str | None) -> str:
    if not iso:
        return "an unknown date"
    return long_date(iso)


def ranked_sources(chunks: list[RetrievedChunk]) -> list[RetrievedSource]:
    """Distinct documents in the order of their best chunk."""
    return related_sources(chunks, limit=None)
