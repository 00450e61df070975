"""Machinery for the enumeration tests (issue 10, SECURITY.md "Sign-in"): is what a
stranger sees the same whether or not the account they typed exists?

Two halves:

- :func:`observed` reduces a response to what may be compared across requests: status,
  body, cookies (names and attributes) and headers, with the per-request values removed
  (see :func:`observed` for exactly what, and why each removal cannot hide a leak).
- :func:`timing_verdict` decides, from timings collected by :func:`sample_timings` in a
  random interleaved order, whether two kinds of request take measurably different
  time: a two-sided Mann-Whitney U test at :data:`ALPHA` *and* a difference in medians
  of at least :data:`MIN_EFFECT` of the median (docs/security.md, "Enumeration
  resistance", has the method and its false-positive rate).

Mann-Whitney is implemented here (normal approximation with the tie correction) rather
than taken from scipy: it is thirty lines, and scipy is a large dependency for one
function. It is rank-based, so a handful of outliers (another process taking the CPU,
a garbage collection) moves it little, and it assumes nothing about the distribution.
"""

from __future__ import annotations

import gc
import math
import random
import re
import statistics
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from werkzeug.test import TestResponse

from authserver.services.senders import OutgoingMessage

# The significance level: under the null hypothesis (no difference) one comparison
# fails with probability at most ALPHA from the rank test alone, and the effect-size
# bound below makes that smaller still (about 1 in 4,000 in the simulation of
# test_enumeration.py). The module makes 15 comparisons, so a run fails by chance at
# most 15 times in 10,000 (0.15%), in practice about half that.
ALPHA = 1e-4
# A difference in medians below this fraction of the (smaller) median is not reported
# even when significant: it is below what the tests can attribute to the account
# rather than to the machine (SQLite page cache, allocator), and far below the leaks
# that matter, which are tens of percent: one argon2 hash is most of a sign-in's time,
# a write transaction or a synchronous send a third or more of a reset request's.
MIN_EFFECT = 0.10
# Samples per kind of request. With 60 against 60, a difference of 40% of the median
# (a write transaction on a 4 ms page) is caught in 99% of runs even with noise as
# large as this machine's (spread of 30%, 5% outliers: the simulation in
# test_enumeration.py), and one argon2 hash or a gateway's round trip separates the
# two samples completely (p below 1e-20); the module stays under a minute.
SAMPLES = 60
WARM_UP = 5
SEED = 10  # fixed: the order is random with respect to the code, the same in every run


# --- what is compared --------------------------------------------------------------------

_CSRF = re.compile(r'(name="csrf_token" value=")[^"]*(")')
_INTERACTION = re.compile(r"/interaction/[A-Za-z0-9_\-]+")
# Headers whose value is per request by nature. Content-Length follows the body, which
# is compared itself after normalisation (the placeholders change its length).
_PER_REQUEST_HEADERS = frozenset({"set-cookie", "content-length", "date", "x-request-id"})


@dataclass(frozen=True, slots=True)
class Observed:
    """A response as a stranger could compare two of them."""

    status: int
    body: str
    cookies: tuple[tuple[str, tuple[str, ...]], ...]  # (name, sorted attributes)
    headers: tuple[tuple[str, str], ...]


def _cookie(header: str) -> tuple[str, tuple[str, ...]]:
    name, _, rest = header.partition("=")
    attributes = []
    for part in rest.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        # Expires is a date (now + max-age): its presence is compared, not its value.
        attributes.append(key.lower() if key.lower() == "expires" else
                          f"{key.lower()}={value}" if value else key.lower())
    return name.strip(), tuple(sorted(attributes))


def observed(response: TestResponse, typed: Iterable[str] = (),
             per_request: Iterable[str] = ()) -> Observed:
    """``response`` with per-request values replaced by placeholders.

    Removed from the body: the CSRF token (random per browser session), the pending
    interaction id in URLs (random per sign-in attempt), what the person typed
    (``typed``: the address or number is echoed back, and it differs between a known
    and an unknown one by construction), and any other value the caller names in
    ``per_request`` (e.g. a page's URL that carries the interaction id). Cookie values
    are dropped (session cookies are signed per request), names and attributes kept;
    ``Date``, ``Content-Length`` and ``Set-Cookie`` are compared this way too. Nothing
    else is touched: a different sentence, field, link, status or header fails.
    """
    body = response.get_data(as_text=True)
    for value in sorted({*per_request, *typed}, key=len, reverse=True):
        if value:
            body = body.replace(value, "{value}")
    body = _INTERACTION.sub("/interaction/{uid}", _CSRF.sub(r"\1{csrf}\2", body))
    cookies = tuple(sorted(_cookie(c) for c in response.headers.getlist("Set-Cookie")))
    headers = tuple(sorted((k.lower(), v) for k, v in response.headers.items()
                           if k.lower() not in _PER_REQUEST_HEADERS))
    return Observed(response.status_code, body, cookies, headers)


def assert_same(answers: Mapping[str, Observed], what: str) -> None:
    """Every answer equals the first, field by field, with the difference named."""
    (first_kind, first), *others = answers.items()
    for kind, answer in others:
        for part in ("status", "cookies", "headers", "body"):
            mine, theirs = getattr(first, part), getattr(answer, part)
            assert mine == theirs, (
                f"{what}: the {part} for a {kind} account differs from a {first_kind} one, "
                f"so it tells a stranger which it is:\n{first_kind}: {_diff_view(mine)}\n"
                f"{kind}: {_diff_view(theirs)}")


def _diff_view(value: object) -> str:
    text = str(value)
    return text if len(text) < 2000 else text[:2000] + " …"


# --- timing -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Comparison:
    """Two timing samples (seconds) and what the rule makes of them."""

    a: str
    b: str
    median_a: float
    median_b: float
    p_value: float
    effect: float  # |median_a - median_b| / min(median_a, median_b)

    @property
    def leaks(self) -> bool:
        return self.p_value < ALPHA and self.effect >= MIN_EFFECT

    def __str__(self) -> str:
        return (f"median {self.a} {self.median_a * 1e3:.2f} ms, {self.b} "
                f"{self.median_b * 1e3:.2f} ms, difference {self.effect:.1%} of the median "
                f"(bound {MIN_EFFECT:.0%}), Mann-Whitney p={self.p_value:.3g} "
                f"(alpha {ALPHA})")


def mann_whitney_p(a: Sequence[float], b: Sequence[float]) -> float:
    """Two-sided p-value of the Mann-Whitney U test (normal approximation with tie and
    continuity corrections; accurate for samples of 20 and more each)."""
    n1, n2 = len(a), len(b)
    pooled = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    n = n1 + n2
    rank_sum_a, ties, i = 0.0, 0.0, 0
    while i < n:
        j = i
        while j + 1 < n and pooled[j + 1][0] == pooled[i][0]:
            j += 1
        rank = (i + j) / 2 + 1  # the average of ranks i+1 .. j+1
        rank_sum_a += rank * sum(1 for k in range(i, j + 1) if pooled[k][1] == 0)
        t = j - i + 1
        ties += t ** 3 - t
        i = j + 1
    u = rank_sum_a - n1 * (n1 + 1) / 2
    mean = n1 * n2 / 2
    variance = n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1)))
    if variance <= 0:
        return 1.0  # every value equal: no evidence of a difference
    z = max(0.0, abs(u - mean) - 0.5) / math.sqrt(variance)
    return math.erfc(z / math.sqrt(2))


def compare(samples: Mapping[str, Sequence[float]], a: str, b: str) -> Comparison:
    median_a, median_b = statistics.median(samples[a]), statistics.median(samples[b])
    return Comparison(a, b, median_a, median_b, mann_whitney_p(samples[a], samples[b]),
                      abs(median_a - median_b) / min(median_a, median_b))


@dataclass(frozen=True, slots=True)
class Prepared:
    """One request, set up and ready to send: ``send`` is what is timed; ``typed`` and
    ``per_request`` are what :func:`observed` replaces in its answer."""

    send: Callable[[], TestResponse]
    typed: tuple[str, ...] = ()
    per_request: tuple[str, ...] = ()


# ``prepare(i)`` does the untimed set-up of the i-th request of its kind (a fresh
# browser from its own address, its form and CSRF token, its own account).
Prepare = Callable[[int], Prepared]


@dataclass(frozen=True, slots=True)
class Samples:
    timings: dict[str, list[float]]  # seconds, per kind
    answers: dict[str, set[Observed]]  # every distinct normalised answer, per kind


def sample_timings(kinds: Mapping[str, Prepare], samples: int = SAMPLES,
                   seed: int = SEED) -> Samples:
    """Send ``samples`` requests of every kind, all kinds interleaved in one random order
    (so drift — a warming cache, a growing table, another process's load — falls on every
    kind alike), after a few warm-up requests of each; time each and keep its
    normalised answer. The garbage collector is held off while timing: its pauses land
    on whichever request happens to be running."""
    order = [kind for kind in kinds for _ in range(samples)]
    random.Random(seed).shuffle(order)
    counters = dict.fromkeys(kinds, 0)
    answers: dict[str, set[Observed]] = {kind: set() for kind in kinds}

    def run(kind: str) -> float:
        prepared = kinds[kind](counters[kind])
        counters[kind] += 1
        started = time.perf_counter()
        response = prepared.send()
        elapsed = time.perf_counter() - started
        answers[kind].add(observed(response, prepared.typed, prepared.per_request))
        return elapsed

    for _ in range(WARM_UP):
        for kind in kinds:
            run(kind)
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    gc.collect()
    gc.disable()
    try:
        for kind in order:
            timings[kind].append(run(kind))
    finally:
        gc.enable()
    return Samples(timings, answers)


def assert_same_answers(samples: Samples, what: str) -> None:
    """One answer for every request of every kind, after normalisation."""
    for kind, seen in samples.answers.items():
        assert len(seen) == 1, (
            f"{what}: {len(seen)} different answers to requests for {kind} accounts; "
            f"they must not depend on the request: {[_diff_view(a) for a in seen]}")
    assert_same({kind: next(iter(seen)) for kind, seen in samples.answers.items()}, what)


def assert_no_timing_leak(samples: Mapping[str, Sequence[float]], baseline: str,
                          what: str, report: list[str] | None = None) -> None:
    """Every kind's timing against ``baseline``'s (the unknown account's); all are
    compared (and reported) before any failure is raised."""
    results = [compare(samples, kind, baseline) for kind in samples if kind != baseline]
    if report is not None:
        report.extend(f"{what}, {r.a} vs {r.b}: {r}" for r in results)
    leaks = [r for r in results if r.leaks]
    assert not leaks, "".join(
        f"\n{what}: a {r.a} account's answer takes measurably different time than "
        f"a {r.b} one ({r}), so timing tells a stranger which it is" for r in leaks)


# --- a gateway that takes time ------------------------------------------------------------


@dataclass
class GatewaySender:
    """A sender that takes as long as a real mail or SMS gateway's round trip (the
    aiosmtpd sink on loopback answers in a few milliseconds; a provider's API in tens or
    hundreds): a page that sends before answering is then measurably slower for an
    account that exists, as it would be in production. Keeps what it sent."""

    delay: float = 0.02
    sent: list[OutgoingMessage] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def send(self, message: OutgoingMessage) -> None:
        time.sleep(self.delay)
        with self._lock:
            self.sent.append(message)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[OutgoingMessage]:
        """The messages once ``count`` arrived (queued mail goes out after the commit,
        on another thread)."""
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                found = list(self.sent)
            if len(found) >= count or time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        assert len(found) >= count, f"expected {count} message(s); sent: {found}"
        return found
