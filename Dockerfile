# Accord: the bot and the ingest job. The embedding model ships inside a Python package, so the
# image runs with no model hub.
FROM python:3.11-slim
ENV PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 ANONYMIZED_TELEMETRY=False \
    ACCORD_DATA_DIR=/data ACCORD_DOCS_DIR=/docs
WORKDIR /app
# Tesseract (English, Malay) for scanned pages: the same script CI runs (.ci/install-system).
COPY .ci/install-system /tmp/install-system
RUN bash /tmp/install-system --strict && rm /tmp/install-system
# CPU-only torch first, so sentence-transformers does not pull a CUDA build.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY pyproject.toml README.md ./
COPY accord accord
COPY ingest ingest
COPY vectorstore vectorstore
COPY prompts prompts
COPY bot bot
COPY evals evals
RUN pip install .
RUN useradd --create-home accord && mkdir -p /data /docs && chown accord /data
USER accord
VOLUME ["/data"]
CMD ["accord", "bot"]
