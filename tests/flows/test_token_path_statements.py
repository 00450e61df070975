"""The write paths the benchmark measures (bench/README.md: code exchange, refresh) keep
their round trips: with warm caches a code exchange is 9 SQL statements in 3
transactions (burn the code, load the user, store the response) and a refresh 10 in 3
(look the token up, load the user, rotate and store). One statement of each is the
audit record (token.issued, token.refreshed), an INSERT in the transaction that stores
the response: no transaction and no commit of its own. A change that adds a query to
either path shows up here first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import event

from authserver.runtime import Runtime
from tests.support.oauth import build_world, exchange
from tests.support.tokens import expect_tokens, refresh, user_code


@contextmanager
def recorded(runtime: Runtime) -> Iterator[list[str]]:
    """Every statement sent, plus "COMMIT" for each transaction committed."""
    log: list[str] = []

    def statement(conn: Any, cursor: Any, text: str, *args: Any) -> None:
        log.append(" ".join(text.split()))

    def commit(conn: Any) -> None:
        log.append("COMMIT")

    engine = runtime.database.engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


def counts(log: list[str]) -> tuple[int, int]:
    return len([s for s in log if s != "COMMIT"]), log.count("COMMIT")


def test_a_code_exchange_and_a_refresh_keep_their_statement_counts(
        runtime: Runtime, http: FlaskClient) -> None:
    world = build_world(runtime)
    code, verifier, request = user_code(http, world)
    warm = expect_tokens(exchange(http, code, verifier, "web", world.web_secret,
                                  redirect_uri=request["redirect_uri"]), "warm-up exchange")
    expect_tokens(refresh(http, warm["refresh_token"], world.web_id, world.web_secret),
                  "warm-up refresh")
    code, verifier, request = user_code(http, world)
    with recorded(runtime) as log:
        body = expect_tokens(exchange(http, code, verifier, "web", world.web_secret,
                                      redirect_uri=request["redirect_uri"]), "code exchange")
    assert counts(log) == (9, 3), "a code exchange: 9 statements, 3 transactions\n" + \
        "\n".join(log)
    with recorded(runtime) as log:
        expect_tokens(refresh(http, body["refresh_token"], world.web_id, world.web_secret),
                      "refresh")
    assert counts(log) == (10, 3), "a refresh: 10 statements, 3 transactions\n" + \
        "\n".join(log)
    audit_inserts = [s for s in log if s.startswith("INSERT INTO audit_events")]
    assert len(audit_inserts) == 1, "the refresh's audit record: one INSERT\n" + "\n".join(log)
