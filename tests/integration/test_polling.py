"""Without Retry-After (as the recorded operations send none), polling starts quick and backs off.

The sandbox's default sends no Retry-After on extension operations. An install that takes 3 s is seen
finished about half a second after it ends (arm/waiter.poll_intervals: 0.5, 0.7, 0.98, 1.37 s, ...), in a
handful of polls, not 10 s later as with a fixed interval.
"""

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import waiter
from tests.support.plays import play, target, task

DELAY = 3.0


def test_a_3_second_install_is_noticed_within_about_a_second(sandbox, run_playbook):
    cluster = sandbox.seed_cluster(provisioning_delay_seconds=DELAY)
    result = run_playbook(play(task("install", **target(cluster), config={"enableTraining": True}))).task("install")
    assert result.get("failed") is not True, result.get("msg")
    assert result["extension"]["provisioning_state"] == "Succeeded"

    log = sandbox.requests_for(cluster["name"])
    put = next(e for e in log if e["method"] == "PUT")
    polls = [e for e in log if "/operations/" in e["path"] and e["seq"] > put["seq"]]
    done = next(p for p in polls if p["response_body"]["status"] == "Succeeded")
    # The operation ends when its delay has passed and the sandbox's agent has finished in the real cluster
    # (starting its control plane takes seconds): the sandbox's state says when that was.
    ended = sandbox.state()["operations"][done["response_body"]["name"]]["end"]
    assert ended >= put["time"] + DELAY - 0.01
    assert done["time"] - ended < 1.5  # noticed about a second after the end, with room for a loaded machine
    # the schedule's polls for that long, plus the one the SDK makes right after the PUT
    assert len([p for p in polls if p["seq"] <= done["seq"]]) <= waiter.polls_for(ended - put["time"]) + 1
    assert polls[0]["time"] - put["time"] < 1.5  # the first poll is quick
