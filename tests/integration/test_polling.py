"""Without Retry-After (as the recorded operations send none), polling starts quick and backs off.

The sandbox's default sends no Retry-After on extension operations. An install that takes 3 s is seen
finished about half a second after it ends (arm/waiter.poll_intervals: 0.5, 0.7, 0.98, 1.37 s, ...), in a
handful of polls, not 10 s later as with a fixed interval.
"""

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
    assert done["time"] - (put["time"] + DELAY) < 1.5  # about a second, with room for a loaded machine
    assert len([p for p in polls if p["seq"] <= done["seq"]]) <= 6
    assert polls[0]["time"] - put["time"] < 1.5  # the first poll is quick
