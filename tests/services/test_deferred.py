"""Work done after the answer (services/deferred.py): it runs once the unit of work
commits, on the one background thread, never when it rolls back; a failure is logged by
name and does not stop the work after it."""

from __future__ import annotations

import logging
import threading

import pytest

from authserver.services import deferred


def test_work_runs_after_the_commit_on_the_background_thread(database) -> None:
    ran: list[str] = []
    with database.unit_of_work() as uow:
        deferred.after_commit(uow, "test", lambda: ran.append(
            threading.current_thread().name))
        assert ran == [], "nothing may run before the commit"
    assert deferred.wait_idle(5), "the work must finish"
    assert ran == ["authserver-deferred"], ran


def test_work_of_a_rolled_back_unit_of_work_never_runs(database) -> None:
    ran: list[str] = []
    with pytest.raises(RuntimeError), database.unit_of_work() as uow:
        deferred.after_commit(uow, "test", lambda: ran.append("ran"))
        raise RuntimeError("the change failed")
    assert deferred.wait_idle(5)
    assert ran == [], "work for a change that did not happen must not run"


def test_a_failure_is_logged_by_name_and_the_next_work_still_runs(
        database, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[str] = []

    def fails() -> None:
        raise ValueError("secret-value-42")

    with caplog.at_level(logging.ERROR, logger="authserver.services.deferred"):
        with database.unit_of_work() as uow:
            deferred.after_commit(uow, "failing-work", fails)
            deferred.after_commit(uow, "next-work", lambda: ran.append("next"))
        assert deferred.wait_idle(5)
    assert ran == ["next"], "one failure must not stop the worker"
    [record] = [r for r in caplog.records if r.name == "authserver.services.deferred"]
    assert record.getMessage() == "deferred failing-work failed: ValueError", \
        record.getMessage()
    assert "secret-value-42" not in caplog.text and record.exc_info is None, \
        "an exception's text (it can hold SQL parameters) must not reach the log"
