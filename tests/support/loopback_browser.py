"""A minimal browser over real HTTP (stdlib only): a cookie jar, redirects followed one at
a time so tests can see each hop, and forms submitted as a person would."""

from __future__ import annotations

import http.cookiejar
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from html import unescape
from urllib.parse import urlencode, urljoin


@dataclass
class Page:
    url: str
    status: int
    headers: dict[str, str]
    text: str
    hops: list[str] = field(default_factory=list)

    def forms(self) -> list[tuple[str, dict[str, str]]]:
        """Every POST form on the page: (absolute action, its hidden fields)."""
        found = []
        for match in re.finditer(r'<form method="post" action="([^"]+)">(.*?)</form>',
                                 self.text, re.S):
            hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"',
                                     match.group(2)))
            found.append((urljoin(self.url, unescape(match.group(1))),
                          {k: unescape(v) for k, v in hidden.items()}))
        return found

    def form(self, containing: str) -> tuple[str, dict[str, str]]:
        for action, hidden in self.forms():
            if containing in action:
                return action, hidden
        raise AssertionError(f"no form posting to *{containing}* on {self.url}:\n"
                             f"{self.text[:600]}")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


class Browser:
    def __init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()
        self._opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())

    def _once(self, url: str, data: dict[str, str] | None) -> Page:
        body = urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body,  # noqa: S310 (loopback http)
                                         headers={"Accept": "text/html"})
        try:
            response = self._opener.open(request, timeout=30)
        except urllib.error.HTTPError as exc:
            response = exc
        with response:
            return Page(url, response.status, dict(response.headers),
                        response.read().decode("utf-8", "replace"))

    def go(self, url: str, data: dict[str, str] | None = None, max_hops: int = 10) -> Page:
        """GET (or POST ``data`` to) ``url`` and follow redirects; the final page."""
        hops: list[str] = []
        page = self._once(url, data)
        while page.status in (301, 302, 303, 307) and len(hops) < max_hops:
            hops.append(page.url)
            page = self._once(urljoin(page.url, page.headers["Location"]), None)
        page.hops = hops
        return page

    def submit(self, page: Page, containing: str, **fields: str) -> Page:
        action, hidden = page.form(containing)
        return self.go(action, {**hidden, **fields})
