"""Accord's Slack front end: a slack-bolt app that answers officers in threads, with sources.

``bot.app.build_app`` wires the listeners (``bot.listeners``) to a QA pipeline and a Slack
WebClient passed in by the entry point (``bot.cli``). ``bot.blocks`` renders answers as Block Kit,
``bot.feedback`` keeps answers and feedback clicks, ``bot.dedupe`` makes each event count once.
Nothing here imports chromadb or reads the environment.
"""
