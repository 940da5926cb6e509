"""Cold start of `accord ask`, measured as a new user meets it: wall time of a fresh process.

    python benchmarks/startup.py [--samples-data DIR] [--corpus-data DIR] [--runs 3]

For an index of samples/docs (built here if missing) and, when given, an index of
../shared/corpus: `accord ask` answering a question, rejecting an empty question, and `--help`,
each on the fast path (the ONNX export, ACCORD_QUERY_ENCODER=auto) and on the reference path
(ACCORD_QUERY_ENCODER=sentence-transformers, what `accord ask` did before), against
`python -c "import torch"` in the same run; and `accord bot` refusing to start (missing token,
unreachable Slack API). Prints the median of --runs runs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QUESTION = "When was the MoU on transborder crime signed, and by whom?"


def wall(cmd: list[str], env: dict[str, str], runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bot_failures(
    accord: list[str], base: dict[str, str], samples: Path, runs: int
) -> list[tuple[str, str, float]]:
    """`accord bot` refusing to start (issue 14: one line, exit 2, under 2 s) with a missing
    token and with a Slack API nobody answers: both are found before anything heavy loads."""
    env = {**base, "ACCORD_DATA_DIR": str(samples), "ACCORD_SLACK_SIGNING_SECRET": "s"}
    env.pop("ACCORD_SLACK_BOT_TOKEN", None)
    env.pop("SLACK_BOT_TOKEN", None)
    bot = [*accord, "bot", "--http", "--port", "0"]
    rows = [("bot: missing token", "-", wall(bot, env, runs))]
    rows.append(
        (
            "bot: Slack API unreachable",
            "-",
            wall(
                bot,
                {
                    **env,
                    "ACCORD_SLACK_BOT_TOKEN": "xoxb-x",
                    "ACCORD_SLACK_API_URL": "http://127.0.0.1:9/api/",
                },
                runs,
            ),
        )
    )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples-data", type=Path, default=Path("/tmp/accord-bench/samples"))
    ap.add_argument("--corpus-data", type=Path, default=None)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base = {**os.environ, "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    accord = [sys.executable, "-m", "accord.cli"]
    if not (args.samples_data / "manifest.sqlite").exists():
        subprocess.run(
            [*accord, "ingest", str(REPO / "samples" / "docs")],
            env={**base, "ACCORD_DATA_DIR": str(args.samples_data)},
            capture_output=True,
            check=False,
        )
    rows = [
        (
            "python -c 'import torch'",
            "-",
            wall([sys.executable, "-c", "import torch"], base, args.runs),
        )
    ]
    indexes = [("samples", args.samples_data)]
    if args.corpus_data:
        indexes.append(("corpus", args.corpus_data))
    for name, data in indexes:
        for path, enc in (("fast (ONNX)", "auto"), ("reference", "sentence-transformers")):
            env = {
                **base,
                "ACCORD_DATA_DIR": str(data),
                "ACCORD_QUERY_ENCODER": enc,
                "ACCORD_CLEARANCE": "TOP SECRET",
            }
            rows.append(
                (f"ask, {name} index", path, wall([*accord, "ask", QUESTION], env, args.runs))
            )
            rows.append(
                (f"empty question, {name}", path, wall([*accord, "ask", ""], env, args.runs))
            )
    rows.append(("accord ask --help", "-", wall([*accord, "ask", "--help"], base, args.runs)))
    rows += bot_failures(accord, base, args.samples_data, args.runs)
    print(f"\ncold `accord ask` and `accord bot`, median wall time of {args.runs} runs (2 cores)")
    print(f"{'what':34} {'path':22} {'seconds':>8}")
    for what, path, secs in rows:
        print(f"{what:34} {path:22} {secs:8.2f}")


if __name__ == "__main__":
    main()
