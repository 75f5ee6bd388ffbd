"""Without Retry-After (as the recorded operations send none), polling starts quick and backs off.

The sandbox's default sends no Retry-After on extension operations. The module then waits
arm/waiter.poll_intervals() between polls (0.5, 0.7, 0.98, 1.37 s, ...): never quicker than that
schedule, and no more polls than it makes for the operation's length. How soon the end is noticed in
seconds is measured in `make bench` (benchmarks/bench_polling.py), beside a floor, not here.
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import waiter
from tests.support.plays import play, target, task

DELAY = 3.0
# Request times are logged when the sandbox answers; a poll's answer may come this much sooner after
# its sleep than the sleep itself suggests (the previous answer was itself logged late).
LOG_JITTER = 0.1


def test_polls_start_quick_and_back_off_on_the_schedule(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=DELAY)
    result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True}))).task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["provisioning_state"] == "Succeeded"

    log = sandbox.requests_for(cluster["name"])
    put = next(e for e in log if e["method"] == "PUT")
    polls = [e for e in log if "/operations/" in e["path"] and e["seq"] > put["seq"]]
    done_at = next(i for i, p in enumerate(polls) if p["response_body"]["status"] == "Succeeded")
    assert all(p["response_body"]["status"] != "Succeeded" for p in polls[:done_at])
    # The operation ends when its delay has passed and the sandbox's agent has finished in the real cluster.
    ended = sandbox.state()["operations"][polls[done_at]["response_body"]["name"]]["end"]
    assert ended >= put["time"] + DELAY - 0.01
    # the poll that saw the end is the first one after it: nothing polled past the end without noticing
    assert polls[done_at - 1]["time"] <= ended + LOG_JITTER
    # the SDK's poll right after the PUT, then the schedule's: each gap at least the schedule's delay
    gaps = [b["time"] - a["time"] for a, b in zip(polls, polls[1:done_at + 1])]
    for gap, delay in zip(gaps, waiter.poll_intervals()):
        assert gap >= delay - LOG_JITTER, (gaps, delay)
    # quick first polls: a 3 s operation is polled several times, where a fixed 10 s interval polls once
    assert done_at + 1 >= 3, gaps
    # and never more than the schedule makes for that long, plus the one right after the PUT
    assert done_at + 1 <= waiter.polls_for(ended - put["time"]) + 1
