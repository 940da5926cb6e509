# Convenience targets; the README commands work without make.
.PHONY: demo test lint bench

demo:
	accord ingest samples/docs && accord ask "When was the MoU on transborder crime signed, and by whom?"

test:
	bash .ci/run

lint:
	ruff check accord ingest vectorstore bot evals prompts tests benchmarks

bench:
	python benchmarks/ingest.py && python benchmarks/retrieval.py && python benchmarks/query.py
