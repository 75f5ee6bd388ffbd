"""Group 4: waiting for long-running operations as against real Azure, where they carry no Retry-After.

A sandbox of its own (.bench/sandbox-lro) with the sandbox's default settings (extension operations send no
Retry-After, as the recordings show) and a global provisioning delay of 0 s; each cluster is seeded with its
own ``provisioning_delay_seconds``. Every install is one ``aml_extension`` task (the proof-of-concept
settings) through ansible-playbook, timed by the bench_timer callback (the task alone). Measured:

- noticed: installs on clusters whose operations take 3 s against the floor, the same install on clusters
  with no delay (interleaved, the fastest of RUNS each, as load only adds): ``(task with 3 s) - (floor task) -
  3 s`` is how long the module took to see the end; beside it the same on the sandbox's clock (the arrival of
  the poll that saw the end, minus the operation's deadline), which the machine's load hardly moves;
- polls for 60 s, for real: an install on a cluster whose operation takes 60 s, run in the background while the
  3 s runs go on; the polls are the GETs on its operation URL in the sandbox's request log;
- polls for 10 minutes: from the collection's own pure schedule (``arm/waiter.poll_intervals``), the schedule the
  60 s run is checked against; where the collection exports none, extrapolated from the 60 s run's last
  interval (and the row says so).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any, Callable, Iterator, Optional

from . import targets
from .bench_playbook import Runner, _play
from .measure import median
from .paths import BENCH_DIR, ensure_importable
from .results import Row, row
from .sandbox_proc import SandboxClient, own_sandbox

RUNS = 3
NOTICE_DELAY_S = 3
REAL_DELAY_S = 60
LONG_DELAY_S = 600
RG = "rg-bench-lro"


def _schedule() -> Optional[Callable[[], Iterator[float]]]:
    """The collection's poll schedule without Retry-After (an endless iterator of delays), if it exports one."""
    ensure_importable()
    try:
        from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import waiter
    except ImportError:
        return None
    return getattr(waiter, "poll_intervals", None)


def polls_until(intervals: Iterator[float], duration: float) -> int:
    """Polls a schedule makes until an operation of ``duration`` seconds is seen finished."""
    elapsed = 0.0
    for polls, delay in enumerate(intervals, 1):
        elapsed += delay
        if elapsed >= duration:
            return polls
    raise ValueError("the schedule ended before the operation did")


def _operation_polls(sandbox: SandboxClient, cluster: str) -> list[dict[str, Any]]:
    return [e for e in sandbox.requests(path_contains=cluster, method="GET") if "/operations/" in e["path"]]


def _wait_for_put(sandbox: SandboxClient, cluster: str, thread: threading.Thread, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while thread.is_alive() and time.monotonic() < deadline:
        if any(e["method"] == "PUT" for e in sandbox.requests(path_contains=cluster)):
            return
        time.sleep(0.2)


def _seen_after(sandbox: SandboxClient, cluster: str) -> float:
    """Seconds from the operation's end to the poll that saw it, on the sandbox's clock: the arrival of the last
    operation poll (request log) against the operation's recorded deadline. The sandbox ends an operation at the
    first request after its deadline, running the health check and the agent inside that request, so the
    arrival is when the module looked again; the agent's work comes on top in both the floor and the 3 s runs."""
    polls = _operation_polls(sandbox, cluster)
    if not polls:
        raise RuntimeError(f"{cluster}: no operation poll in the request log")
    last = polls[-1]
    operation = sandbox.state()["operations"][last["path"].rstrip("/").rsplit("/", 1)[-1]]
    return last["time"] - last.get("duration_ms", 0) / 1000 - operation["deadline"]


def _task_seconds(records: list[dict[str, Any]], what: str) -> float:
    if len(records) != 1 or records[0]["status"] != "ok" or not records[0]["changed"]:
        raise AssertionError(f"{what}: expected one ok, changed install, got {records}")
    return records[0]["end"] - records[0]["start"]


def run(rows: list[Row]) -> None:
    floors = [f"lro-floor-{i}" for i in range(RUNS)]
    slows = [f"lro-3s-{i}" for i in range(RUNS)]
    long_name = "lro-60s"
    play = _play("localhost", "managedClusters", "{{ cluster }}", RG)
    with own_sandbox("lro") as (sandbox, _seconds):
        settings = sandbox.settings(provisioning_delay_seconds=0)
        retry_after = settings.get("retry_after_seconds")
        specs = ([{"name": n, "resource_group": RG, "provisioning_delay_seconds": 0} for n in floors]
                 + [{"name": n, "resource_group": RG, "provisioning_delay_seconds": NOTICE_DELAY_S} for n in slows]
                 + [{"name": long_name, "resource_group": RG, "provisioning_delay_seconds": REAL_DELAY_S}])
        sandbox.seed_clusters(specs)
        runners = {}
        for name in ("lro", "lro-60s"):
            (BENCH_DIR / name).mkdir(parents=True, exist_ok=True)
            runners[name] = Runner(sandbox, BENCH_DIR / name)

        # The 60 s install runs in the background (it mostly sleeps between polls) while the short ones go on.
        long_result: dict[str, Any] = {}

        def long_install() -> None:
            try:
                long_result["run"] = runners["lro-60s"].run(play, "localhost,", "-c", "local", "-e",
                                                            f"cluster={long_name}")
            except Exception as exc:  # reported below, on the main thread
                long_result["error"] = exc

        background = threading.Thread(target=long_install, daemon=True)
        background.start()
        _wait_for_put(sandbox, long_name, background)  # its Ansible start-up is not charged to the first floor run

        times: dict[str, list[float]] = {"floor": [], "slow": []}
        for floor, slow in zip(floors, slows):
            for kind, name in (("floor", floor), ("slow", slow)):
                _wall, records = runners["lro"].run(play, "localhost,", "-c", "local", "-e", f"cluster={name}")
                times[kind].append(_task_seconds(records, f"install on {name}"))
        background.join(timeout=REAL_DELAY_S + 240)
        if "error" in long_result:
            raise long_result["error"]
        if "run" not in long_result:
            raise RuntimeError(f"the {REAL_DELAY_S} s install did not finish")
        long_task = _task_seconds(long_result["run"][1], f"install on {long_name}")

        schedule = _schedule()
        bench = ("polling: no Retry-After (the sandbox's default, as real Azure)" if retry_after is None
                 else f"polling: Retry-After {retry_after} s (the sandbox's settings say so: not real Azure's case)")
        # Noise (other work on the machine) only ever adds time: the fastest run of each kind is the best estimate.
        floor_s, slow_s = min(times["floor"]), min(times["slow"])
        noticed = slow_s - floor_s - NOTICE_DELAY_S
        seen_after = [_seen_after(sandbox, n) for n in slows]
        short_polls = [len(_operation_polls(sandbox, n)) for n in slows]
        expected_short = f", schedule: {polls_until(schedule(), NOTICE_DELAY_S)}" if schedule else ""
        rows.append(row(bench, f"floor: install with no delay, task time, fastest of {RUNS}", floor_s, "s",
                        note=", ".join(f"{t:.2f}" for t in times["floor"])))
        rows.append(row(bench, f"{NOTICE_DELAY_S} s operation: install task time, fastest of {RUNS}", slow_s, "s",
                        note=", ".join(f"{t:.2f}" for t in times["slow"])))
        rows.append(row(bench, f"{NOTICE_DELAY_S} s operation: end noticed after (task - floor - {NOTICE_DELAY_S} s)",
                        noticed, "s", targets.LRO_NOTICED_S,
                        note=f"ratio to floor + {NOTICE_DELAY_S} s: {slow_s / (floor_s + NOTICE_DELAY_S):.2f}; "
                             f"operation polls: {', '.join(map(str, short_polls))}{expected_short}"))
        rows.append(row(bench, f"{NOTICE_DELAY_S} s operation: end noticed after (the last poll's arrival - the operation's "
                        f"deadline, sandbox clock), median of {RUNS}", median(seen_after), "s", targets.LRO_NOTICED_S,
                        note=", ".join(f"{s:.2f}" for s in seen_after) + " (the sandbox's clock: machine load hardly "
                        "moves it)"))

        polls = _operation_polls(sandbox, long_name)
        gaps = [b["time"] - a["time"] for a, b in zip(polls, polls[1:]) if "time" in a and "time" in b]
        puts = [e for e in sandbox.requests(path_contains=long_name, method="PUT") if "/extensions/" in e["path"]]
        first = f"first poll {polls[0]['time'] - puts[0]['time']:.1f} s after the PUT; " if polls and puts else ""
        expected_60 = polls_until(schedule(), REAL_DELAY_S) if schedule else None
        expected_long = f"schedule: {expected_60}; " if schedule else ""
        rows.append(row(bench, f"{REAL_DELAY_S} s operation: polls (GETs on the operation URL, request log)",
                        len(polls), "polls", targets.LRO_POLLS_60S,
                        note=f"{expected_long}{first}intervals (s): {', '.join(f'{g:.1f}' for g in gaps[:14])}"
                             f"{' ...' if len(gaps) > 14 else ''}"))
        rows.append(row(bench, f"{REAL_DELAY_S} s operation: end noticed after (task - floor - {REAL_DELAY_S} s)",
                        long_task - floor_s - REAL_DELAY_S, "s",
                        note=f"ratio to floor + {REAL_DELAY_S} s: {long_task / (floor_s + REAL_DELAY_S):.2f}"))

        if schedule:
            pure = polls_until(schedule(), LONG_DELAY_S)
            extra = max(0, len(polls) - (expected_60 or 0))  # polls the module makes beyond its schedule
            value = pure + extra
            note = f"the collection's pure schedule (arm/waiter.poll_intervals()): {pure}" + (
                f", plus the {extra} poll(s) the {REAL_DELAY_S} s run made beyond that schedule" if extra else "")
        elif gaps:  # extrapolated: the 60 s run's polls, then one per last interval (the ceiling) up to 10 minutes
            value = len(polls) + math.ceil((LONG_DELAY_S - REAL_DELAY_S) / gaps[-1])
            note = (f"EXTRAPOLATED from the {REAL_DELAY_S} s run (the collection exports no poll schedule): "
                    f"{len(polls)} polls + {LONG_DELAY_S - REAL_DELAY_S} s at its last interval {gaps[-1]:.1f} s")
        else:
            raise RuntimeError(f"the {REAL_DELAY_S} s run made fewer than two polls: nothing to extrapolate from")
        rows.append(row(bench, f"{LONG_DELAY_S // 60} min operation: polls", value, "polls", targets.LRO_POLLS_10MIN,
                        note=note))
