"""The fast question path: the embedding model exported to ONNX gives the reference vectors and
the same top-10 chunks as sentence-transformers on the sample QA set."""

from __future__ import annotations

import json

import numpy as np
import pytest

from accord.access.audiences import Audience
from accord.models import Filters
from tests.conftest import SAMPLES_QA


@pytest.fixture(scope="module")
def onnx_embedder(embedder, tmp_path_factory):
    from vectorstore.onnx_encoder import OnnxEmbedder, export, exported

    directory = tmp_path_factory.mktemp("encoders") / "all-MiniLM-L6-v2"
    export(embedder._model, "all-MiniLM-L6-v2", directory)
    assert exported(directory, "all-MiniLM-L6-v2")
    return OnnxEmbedder(directory)


def test_onnx_vectors_equal_the_reference(embedder, onnx_embedder):
    texts = [json.loads(x)["question"] for x in SAMPLES_QA.read_text().splitlines() if x.strip()]
    texts += ["A much longer passage " * 80, "x", "Menteri Dalam Negeri menandatangani MoU."]
    cos = np.sum(embedder.embed_batch(texts) * onnx_embedder.embed_batch(texts), axis=1)
    assert cos.min() > 0.999


def test_fast_and_reference_paths_give_the_same_top_ten(sample_index, onnx_embedder):
    from vectorstore.retrieval import HybridRetriever

    ref = sample_index.qa.retriever
    fast = HybridRetriever(ref.store, onnx_embedder, ref.lexical, ref.rules)
    f = Filters(audience=Audience("TOP SECRET"))
    questions = [
        json.loads(x)["question"] for x in SAMPLES_QA.read_text().splitlines() if x.strip()
    ]
    for q in questions:
        a = [c.chunk_id for c in ref.retrieve(q, 10, f)]
        b = [c.chunk_id for c in fast.retrieve(q, 10, f)]
        assert a == b, q


def test_the_runtime_uses_the_export_when_there_is_one(tmp_path, embedder):
    from accord.runtime import Runtime
    from tests.conftest import make_settings
    from vectorstore.onnx_encoder import OnnxEmbedder

    rt = Runtime(make_settings(tmp_path))
    rt._embedder = embedder  # the loaded model, as an ingest has it
    assert rt.ensure_query_export()
    fresh = Runtime(make_settings(tmp_path))
    assert isinstance(fresh.query_embedder, OnnxEmbedder)
    off = Runtime(make_settings(tmp_path, query_encoder="sentence-transformers"), embedder=embedder)
    assert off.query_embedder is embedder


def test_answer_sentences_use_the_int8_copy_when_the_index_has_one(tmp_path, embedder):
    from accord.runtime import Runtime
    from tests.conftest import make_settings
    from vectorstore.onnx_encoder import OnnxEmbedder, quantize

    rt = Runtime(make_settings(tmp_path))
    rt._embedder = embedder
    assert rt.ensure_query_export()
    fp32_only = Runtime(make_settings(tmp_path))
    assert fp32_only.sentence_embedder is fp32_only.query_embedder  # no int8 copy yet
    quantize(rt.encoder_dir)
    fresh = Runtime(make_settings(tmp_path))
    sentences = fresh.sentence_embedder
    assert isinstance(sentences, OnnxEmbedder) and sentences.precision == "int8"
    assert fresh.query_embedder.precision == "fp32"  # questions keep the exact model
    text = ["The Joint Working Committee shall meet once a year."]
    cos = float(sentences.embed_batch(text)[0] @ fresh.query_embedder.embed_batch(text)[0])
    assert cos > 0.95


def test_each_sentence_is_embedded_once_across_the_parts_of_a_question(sample_index):
    qa = sample_index.qa
    seen: list[str] = []
    real = qa.extractive.embedder

    class Counting:
        dimension = real.dimension

        def embed_batch(self, texts):
            seen.extend(texts)
            return real.embed_batch(texts)

        def embed_query(self, text):
            return real.embed_query(text)

    qa.extractive.embedder = Counting()
    try:
        ans = qa.answer(
            "When was the MoU signed, and by whom?", Filters(audience=Audience("TOP SECRET"))
        )
    finally:
        qa.extractive.embedder = real
    assert len(ans.parts) == 2
    assert seen and len(seen) == len(set(seen))  # the parts share passages, not embeddings
    # the next question embeds its sentences afresh: an answer does not depend on the
    # questions asked before it
    first = list(seen)
    seen.clear()
    qa.extractive.embedder = Counting()
    try:
        qa.answer("When was the MoU signed, and by whom?", Filters(audience=Audience("TOP SECRET")))
    finally:
        qa.extractive.embedder = real
    assert seen == first
