"""Waiting: the adaptive schedule without Retry-After, Retry-After honoured, wait_timeout bounds every wait."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm import waiter
from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, WaitTimeout


def test_the_schedule_starts_quick_and_grows_to_a_ceiling():
    delays = list(itertools.islice(waiter.poll_intervals(), 20))
    assert delays[0] == waiter.FIRST_POLL_SECONDS == 0.5
    assert all(b >= a for a, b in zip(delays, delays[1:]))
    assert max(delays) == waiter.POLL_CEILING_SECONDS == delays[-1]
    assert delays[1] == pytest.approx(0.5 * waiter.POLL_GROWTH)


def noticed_after(duration: float) -> float:
    """Seconds between an operation's end and the poll that sees it."""
    elapsed = 0.0
    for delay in waiter.poll_intervals():
        elapsed += delay
        if elapsed >= duration:
            return elapsed - duration
    raise AssertionError


def test_a_3_second_operation_is_noticed_within_a_second_and_10_minutes_cost_at_most_60_polls():
    assert noticed_after(3) <= 1.0
    assert waiter.polls_for(3) == 4
    assert waiter.polls_for(600) <= 60
    assert waiter.polls_for(0.1) == 1


class FakeResponse:
    def __init__(self, headers):
        self.http_response = self
        self.headers = headers


def test_retry_after_is_honoured_and_its_absence_follows_the_schedule():
    polling = waiter.AdaptivePolling(lro_options={"final-state-via": "azure-async-operation"})
    polling._pipeline_response = FakeResponse({})
    assert [polling._extract_delay() for _poll in range(3)] == list(itertools.islice(waiter.poll_intervals(), 3))
    polling._pipeline_response = FakeResponse({"Retry-After": "7"})
    assert polling._extract_delay() == 7


class Clock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self):
        return self.now


def test_until_reads_on_the_schedule_and_stops_at_wait_timeout():
    clock = Clock()
    wait = waiter.Waiter(10, sleep=clock.sleep, clock=clock)
    reads = []
    assert wait.until(lambda: reads.append(1) or len(reads), lambda n: n == 3, "x") == 3
    assert clock.sleeps == list(itertools.islice(waiter.poll_intervals(), 2))
    with pytest.raises(WaitTimeout, match="wait_timeout=10"):
        wait.until(lambda: None, bool, "a state that never comes")
    assert clock.now <= 0.5 + 0.7 + 10 + 1e-9  # never past the deadline


class Poller:
    def __init__(self, done=True, error=None):
        self._done, self._error = done, error

    def result(self, timeout):
        if self._error:
            raise self._error
        return {"id": "x"}

    def done(self):
        return self._done

    def status(self):
        return "Creating"


def test_result_honours_wait_and_raises_typed_errors():
    from azure.core.exceptions import HttpResponseError

    assert waiter.Waiter(5, enabled=False).result(Poller(), "create x") is None
    assert waiter.Waiter(5, enabled=False).result(Poller(), "create x", always=True) == {"id": "x"}
    with pytest.raises(WaitTimeout, match="Creating"):
        waiter.Waiter(5).result(Poller(done=False), "create x")
    with pytest.raises(AzureCallError, match="create x"):
        waiter.Waiter(5).result(Poller(error=HttpResponseError("boom")), "create x")
    assert waiter.Waiter(None).timeout == waiter.DEFAULT_WAIT_TIMEOUT


def test_one_wait_timeout_covers_every_wait_of_the_task():
    """A running operation awaited first leaves the task's own operation only what is left of wait_timeout."""
    clock = Clock()
    wait = waiter.Waiter(10, sleep=clock.sleep, clock=clock)
    reads = []
    wait.until(lambda: reads.append(1) or len(reads), lambda n: n == 4, "a running operation")

    class Timed(Poller):
        def result(self, timeout):
            self.timeout = timeout
            return {"id": "x"}

    poller = Timed()
    wait.result(poller, "create x")
    assert poller.timeout == pytest.approx(10 - clock.now)
    clock.now = 10.5
    with pytest.raises(WaitTimeout, match="used it up"):
        wait.result(Timed(), "update x")
