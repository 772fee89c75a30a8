"""Callers asking for the same result at once wait for one computation."""

from __future__ import annotations

import threading
import time

import pytest

from queries.flight import SingleFlight


def test_concurrent_callers_of_one_key_compute_once():
    flights, store, runs = SingleFlight(), {}, []
    start = threading.Barrier(6)

    def compute():
        if "sums" in store:  # what a cache gives the callers that waited
            return store["sums"]
        runs.append(1)
        time.sleep(0.05)
        store["sums"] = 42
        return 42

    answers = []

    def caller():
        start.wait()
        answers.append(flights.run(("sums", 2024), compute))

    threads = [threading.Thread(target=caller) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [42] * 6 and len(runs) == 1
    assert len(flights) == 0  # nothing kept once everybody has their answer


def test_different_keys_do_not_wait_for_each_other():
    flights, inside = SingleFlight(), threading.Event()
    release = threading.Event()

    def slow():
        inside.set()
        release.wait(2)
        return "slow"

    worker = threading.Thread(target=lambda: flights.run("a", slow))
    worker.start()
    inside.wait(2)
    started = time.perf_counter()
    assert flights.run("b", lambda: "fast") == "fast"
    assert time.perf_counter() - started < 0.5  # "b" did not wait for "a"
    release.set()
    worker.join()


def test_a_failed_computation_lets_the_next_caller_try_again():
    flights = SingleFlight()

    def broken():
        raise RuntimeError("database away")

    with pytest.raises(RuntimeError):
        flights.run("k", broken)
    assert flights.run("k", lambda: "back") == "back" and len(flights) == 0
