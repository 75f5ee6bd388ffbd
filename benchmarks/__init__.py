"""Benchmarks of azureml.kubernetes: speed and memory, as a results table with targets.

Run ``make bench`` (``python -m benchmarks --out .bench/results.md``). Targets live here, in ``targets.py``,
never in timed tests. A missed target is shown in the table and does not fail the command; a benchmark
that cannot run does (exit 1), because then the table is incomplete.

PEM files come from ``tests/support/pki.py``, playbooks and their environment from ``tests/support/plays.py``,
the sandbox client from ``sandbox/client.py``. Files, one job each:

- ``README.md``           how to run it and read the table
- ``__main__.py``          the CLI: run the groups, write the table
- ``targets.py``           every target, with the reason it is the right one for field use
- ``results.py``           result rows, machine facts, the Markdown and JSON writers
- ``measure.py``           timing loops, percentiles, peak Python memory, process RSS and CPU
- ``paths.py``             where the repository, the collection and the benchmark's scratch space are
- ``sandbox_proc.py``      a sandbox of the benchmark's own under .bench/ (through sandbox/client.py), always stopped
- ``bench_settings.py``    group 1: settings processing and plan() (pure, in process)
- ``bench_sandbox.py``     group 2: sandbox start-up, ARM throughput and memory
- ``bench_playbook.py``    group 3: ansible-playbook end to end, one cluster and a fleet
- ``bench_polling.py``     group 4: waiting for operations without Retry-After: how soon an end is seen, how many polls
- ``ansible_callbacks/bench_timer.py``  an aggregate callback recording per-host task times
"""
