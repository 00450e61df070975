"""Helpers shared by the CLI tests: run a command, and check success or a refusal."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def ok(result: CliResult) -> CliResult:
    assert result.status == 0, f"command failed ({result.status}): {result.err}"
    return result


def ok_json(result: CliResult) -> Any:
    return json.loads(ok(result).out)


def refused(result: CliResult, fragment: str, status: int = 1) -> None:
    assert result.status == status, f"expected exit {status}, got {result.status}: {result.err}"
    assert fragment in result.err, f"error must mention {fragment!r}: {result.err!r}"
    assert "Traceback" not in result.err
    if status == 1:  # usage errors (2) show click's usage text as well
        assert result.err.count("\n") <= 1, f"error must be one line: {result.err!r}"
        assert result.out == "", f"a refusal prints nothing on stdout: {result.out!r}"
