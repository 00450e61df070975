"""The device a session list shows, read from the user agent (services/session_list.py,
ua-parser's uap-core rules), and how a user agent is stored (services/sessions.py)."""

from __future__ import annotations

import pytest

from authserver.services.session_list import Device, device_of
from authserver.services.sessions import printable

CHROME_LINUX = ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
                "Chrome/130.0.0.0 Safari/537.36")
SAFARI_IPHONE = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
                 "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
FIREFOX_WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.mark.parametrize(("user_agent", "device", "summary"), [
    (CHROME_LINUX, Device("Chrome 130", "Linux"), "Chrome 130 on Linux"),
    (SAFARI_IPHONE, Device("Mobile Safari 17", "iOS", "iPhone"),
     "Mobile Safari 17 on iOS (iPhone)"),
    (FIREFOX_WINDOWS, Device("Firefox 133", "Windows"), "Firefox 133 on Windows"),
    ("curl/8.5.0", Device("curl 8"), "curl 8"),
    ("SomeTablet/1.0", Device(raw="SomeTablet/1.0"), "SomeTablet/1.0"),
    ("X" * 500, Device(raw="X" * 59 + "…"), "X" * 59 + "…"),
    (None, Device(), "unknown"),
    ("   ", Device(), "unknown"),
])
def test_the_device_is_what_the_user_agent_says_and_no_more(user_agent, device, summary):
    assert device_of(user_agent) == device, user_agent
    assert str(device_of(user_agent)) == summary


def test_a_stored_user_agent_is_cut_to_the_column_and_holds_no_control_characters():
    assert printable("a\x1b[31mb\x07\u202ec", 512) == "a?[31mb??c"
    assert printable("x" * 10_000, 512) == "x" * 512
    assert printable("", 512) is None and printable(None, 64) is None
