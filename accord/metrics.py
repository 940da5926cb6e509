"""Counters and a latency histogram of answers, by front end, in Prometheus' text format.

``Metrics.observe(front_end, seconds, refused, weak)`` after every answer,
``Metrics.error(front_end)`` when one fails; ``render()`` is what ``GET /metrics`` returns.
One instance per process, shared by the QA pipeline and the bot's listeners; thread-safe.
"""

from __future__ import annotations

import threading
from collections import defaultdict

BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.questions: dict[str, int] = defaultdict(int)
        self.refusals: dict[str, int] = defaultdict(int)
        self.weak: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self._buckets: dict[str, list[int]] = defaultdict(lambda: [0] * len(BUCKETS))
        self._sum: dict[str, float] = defaultdict(float)

    def observe(self, front_end: str, seconds: float, refused: bool, weak: bool = False) -> None:
        with self._lock:
            self.questions[front_end] += 1
            self.refusals[front_end] += int(refused)
            self.weak[front_end] += int(weak)
            self._sum[front_end] += seconds
            counts = self._buckets[front_end]
            for i, edge in enumerate(BUCKETS):
                if seconds <= edge:
                    counts[i] += 1

    def error(self, front_end: str) -> None:
        with self._lock:
            self.errors[front_end] += 1

    def render(self) -> str:
        """The metrics in Prometheus' text exposition format (version 0.0.4)."""
        out: list[str] = []
        with self._lock:
            for name, help_, series in (
                ("accord_questions_total", "Questions answered", self.questions),
                ("accord_refusals_total", "Answers that were refusals", self.refusals),
                ("accord_weak_answers_total", "Answers giving only the closest passage", self.weak),
                ("accord_errors_total", "Questions that failed with an error", self.errors),
            ):
                out += [f"# HELP {name} {help_}.", f"# TYPE {name} counter"]
                out += [f'{name}{{front_end="{fe}"}} {n}' for fe, n in sorted(series.items())]
            name = "accord_answer_latency_seconds"
            out += [f"# HELP {name} Time to answer a question.", f"# TYPE {name} histogram"]
            for fe in sorted(self._buckets):
                for edge, n in zip(BUCKETS, self._buckets[fe], strict=True):
                    out.append(f'{name}_bucket{{front_end="{fe}",le="{edge}"}} {n}')
                out.append(f'{name}_bucket{{front_end="{fe}",le="+Inf"}} {self.questions[fe]}')
                out.append(f'{name}_sum{{front_end="{fe}"}} {self._sum[fe]:.6f}')
                out.append(f'{name}_count{{front_end="{fe}"}} {self.questions[fe]}')
        return "\n".join(out) + "\n"
