"""Old import path of the request log, kept only for benchmarks/bench_sandbox.py (``MAX_ENTRIES``) until it
reads the cap through sandbox/client.py or sandbox.state.reqlog. Do not use in new code."""
from .state.reqlog import MAX_ENTRIES, MAX_TOTAL_CHARS, RequestLog  # noqa: F401
