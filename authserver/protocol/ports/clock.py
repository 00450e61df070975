"""The one clock the protocol reads, injected so tests and the runtime decide the time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
