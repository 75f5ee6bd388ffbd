# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for Azure, within the user's wait_timeout: long-running operations and states read again.

When Azure sends `Retry-After` it is honoured. Without it (the recorded KubernetesConfiguration operations
send none, on the PUT's 201 or on the polls) the delays follow `poll_intervals()`: quick first polls that
grow by half again each time up to a ceiling, so a 3 s operation is noticed about half a second after it
ends and a 10-minute one costs about 57 polls (`polls_for(600)`), not the 60 of a fixed 10 s, and not
the flood of a fixed 1 s. Every wait is bounded by wait_timeout.
"""

from __future__ import annotations

import time
from typing import Any, Callable, Iterator

from ansible_collections.azureml.kubernetes.plugins.module_utils.arm.errors import AzureCallError, WaitTimeout

# azure-mgmt-core's polling is imported on first use (AdaptivePolling), so a task that writes nothing never
# loads it; azure-core's exceptions come with the first request anyway.

# The one default for wait_timeout (doc fragment azureml.kubernetes.wait, and the docs of modules with their own
# wait options, hold the same number; a unit test checks every module agrees), also used by modules without them.
DEFAULT_WAIT_TIMEOUT = 1800
MAX_WAIT_TIMEOUT = 7 * 24 * 3600
FIRST_POLL_SECONDS = 0.5
POLL_GROWTH = 1.4
POLL_CEILING_SECONDS = 12.0


def poll_intervals(first: float = FIRST_POLL_SECONDS, growth: float = POLL_GROWTH,
                   ceiling: float = POLL_CEILING_SECONDS) -> Iterator[float]:
    """The delays between polls without Retry-After: interval_n = min(first * growth**n, ceiling), endless.

    0.5, 0.7, 0.98, 1.37, 1.92, 2.69, 3.76, 5.27, 7.38, 10.3, then 12 s each.
    """
    delay = first
    while True:
        yield min(delay, ceiling)
        delay *= growth


def polls_for(duration: float) -> int:
    """How many polls the schedule makes until an operation of `duration` seconds is seen finished."""
    elapsed, polls = 0.0, 0
    for delay in poll_intervals():
        elapsed += delay
        polls += 1
        if elapsed >= duration:
            return polls
    raise AssertionError("unreachable")  # poll_intervals is endless


_ADAPTIVE: list[type] = []


def _adaptive_polling() -> type:
    if not _ADAPTIVE:
        from azure.core.pipeline.policies._utils import get_retry_after
        from azure.mgmt.core.polling.arm_polling import ARMPolling

        class AdaptivePolling(ARMPolling):
            """ARMPolling whose delay without Retry-After follows poll_intervals() (with Retry-After, Azure's)."""

            def __init__(self, **kwargs: Any) -> None:
                super().__init__(timeout=FIRST_POLL_SECONDS, **kwargs)
                self._schedule = poll_intervals()

            def _extract_delay(self) -> float:
                scheduled = next(self._schedule)
                retry_after = get_retry_after(self._pipeline_response)
                return retry_after if retry_after else scheduled

        _ADAPTIVE.append(AdaptivePolling)
    return _ADAPTIVE[0]


def __getattr__(name: str) -> type:
    """AdaptivePolling, defined on first use (PEP 562)."""
    if name == "AdaptivePolling":
        return _adaptive_polling()
    raise AttributeError(name)


class Waiter:
    """Waits within one wait_timeout for the whole task (a running operation, a provider registration and the
    task's own operation share it); raises WaitTimeout or AzureCallError, never exits.

    The clock starts at the task's first wait: the reads and the request before it are not waiting.
    """

    def __init__(self, timeout: int | None, enabled: bool = True,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic) -> None:
        self.timeout = timeout or DEFAULT_WAIT_TIMEOUT
        self.enabled = enabled  # the task's `wait`
        self._sleep = sleep
        self._clock = clock
        self._deadline: float | None = None

    def _left(self) -> float:
        if self._deadline is None:
            self._deadline = self._clock() + self.timeout
        return self._deadline - self._clock()

    def _remaining(self, what: str, accepted: bool = False) -> float:
        remaining = self._left()
        if remaining <= 0:
            # `accepted`: Azure has taken the request, so the operation goes on without us
            after = (" Azure accepted the request: the operation goes on in Azure, and running the task again picks it up;"
                     " or raise wait_timeout.") if accepted else " Run the task again later, or raise wait_timeout."
            raise WaitTimeout(f"Timed out (wait_timeout={self.timeout}) before waiting for {what}: the task's earlier "
                              "steps used it up." + after)
        return remaining

    @staticmethod
    def polling(**kwargs: Any) -> Any:
        """The polling method (an AdaptivePolling) to pass to an SDK `begin_*` call (`polling=`), with that call's
        LRO options."""
        return _adaptive_polling()(**kwargs)

    def result(self, poller: Any, action: str, *, always: bool = False) -> Any:
        """The outcome of a long-running operation (None with wait: false unless `always`)."""
        if not (always or self.enabled):
            return None
        from azure.core.exceptions import AzureError, DeserializationError

        started = self._clock()
        try:
            result = poller.result(timeout=self._remaining(action, accepted=True))
        except (AzureError, DeserializationError) as exc:
            raise AzureCallError(exc, action) from exc
        if not poller.done():
            raise WaitTimeout(
                f"Timed out after {int(self._clock() - started)} s (wait_timeout={self.timeout}) waiting to {action}; "
                f"Azure last reported '{poller.status()}'. The operation goes on in Azure: run the task again to "
                "pick it up, or raise wait_timeout.")
        return result

    def until(self, read: Callable[[], Any], done: Callable[[Any], bool], what: str) -> Any:
        """Read until `done(value)`, on the poll_intervals() schedule; for states no operation reports."""
        self._remaining(what)
        for delay in poll_intervals():
            value = read()
            if done(value):
                return value
            remaining = self._left()
            if remaining <= 0:
                raise WaitTimeout(f"Timed out (wait_timeout={self.timeout}) waiting for {what}. Run the task again "
                                  "later, or raise wait_timeout.")
            self._sleep(min(delay, remaining))
        raise AssertionError("unreachable")  # poll_intervals is endless
