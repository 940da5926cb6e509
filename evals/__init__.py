"""Evaluation of Accord against QA test sets: loading (qaset), scoring (metrics), running every
question through ``QA.answer`` (runner), the HTML report (report, charts) and the ``accord eval``
command (cli)."""
