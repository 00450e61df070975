"""Per-tenant branding of the hosted pages (issue 10 item 7): `authserver tenant update
--brand-…` stores a colour and a logo (https URL or uploaded image); the pages show the
name, the logo and the colour; the uploaded logo is served at {issuer}/branding/logo.
Whatever an operator types, nothing but a validated colour reaches the CSS and nothing
but a PNG, JPEG or WebP is ever served as the logo."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from authserver.runtime import Runtime
from tests.cli.support import Cli, ok, ok_json, refused
from tests.support.browser_flow import interaction_location
from tests.support.images import png
from tests.support.oauth import ISSUER_PATH, Pkce, authorize_params, build_world

HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def acme(runtime: Runtime) -> Runtime:
    build_world(runtime)
    return runtime


def login_page(http: FlaskClient, runtime: Runtime) -> tuple[str, dict[str, str]]:
    runtime.tenants.invalidate()  # the CLI changed the tenant in another "process"
    response = http.get(f"{ISSUER_PATH}/authorize",
                        query_string=authorize_params(pkce=Pkce()))
    page = http.get(interaction_location(response))
    assert page.status_code == 200
    return page.get_data(as_text=True), dict(page.headers)


def test_colour_name_and_uploaded_logo_appear_on_the_sign_in_page(
        cli: Cli, acme: Runtime, http: FlaskClient, tmp_path: Path) -> None:
    logo = tmp_path / "logo.bin"  # the extension says nothing: the bytes decide
    logo.write_bytes(png())
    view = ok_json(cli("tenant", "update", "acme", "--brand-name", "Acme Stores",
                       "--brand-color", "#0A5", "--brand-logo-file", str(logo), "--json"))
    assert view["display_name"] == "Acme Stores", view
    assert view["brand_color"] == "#0a5", "colours are stored in lower case"
    assert view["brand_logo"] == {"type": "image/png", "bytes": len(png())}, view
    assert view["brand_logo_url"] is None, view

    html, headers = login_page(http, acme)
    assert '<p class="tenant">Acme Stores</p>' in html, html
    logo_src = re.search(r'<img src="([^"]+)" alt="Acme Stores" id="brand-logo">', html)
    assert logo_src, f"the page must show the uploaded logo: {html[:600]}"
    assert logo_src.group(1).startswith(f"{ISSUER_PATH}/branding/logo?v="), logo_src.group(1)
    style = re.search(r'<link rel="stylesheet" href="([^"]+/branding/style.css[^"]*)">', html)
    assert style, "the brand colour comes as a stylesheet (no inline style under the CSP)"
    assert "style-src 'self'" in headers["Content-Security-Policy"]

    css = http.get(style.group(1).replace("&amp;", "&"))
    assert css.status_code == 200 and css.mimetype == "text/css"
    assert css.get_data(as_text=True) == ":root { --accent: #0a5; }\n"

    served = http.get(logo_src.group(1))
    assert served.status_code == 200
    assert served.data == png(), "the logo is served byte for byte"
    assert served.mimetype == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    etag = served.headers["ETag"]
    again = http.get(f"{ISSUER_PATH}/branding/logo", headers={"If-None-Match": etag})
    assert again.status_code == 304, "the ETag validates the cached logo"
    assert again.data == b""


def test_a_logo_url_is_shown_and_allowed_by_the_pages_csp(cli: Cli, acme: Runtime,
                                                          http: FlaskClient) -> None:
    ok(cli("tenant", "update", "acme", "--brand-logo-url",
           "https://cdn.example.com/acme/logo.png?v=2"))
    html, headers = login_page(http, acme)
    assert '<img src="https://cdn.example.com/acme/logo.png?v=2"' in html, html[:600]
    assert "img-src 'self' data: https://cdn.example.com;" in headers["Content-Security-Policy"]
    assert http.get(f"{ISSUER_PATH}/branding/logo", headers=HTML).status_code == 404, \
        "no uploaded logo: nothing is served"


def test_an_upload_replaces_a_url_and_empty_values_clear_everything(
        cli: Cli, acme: Runtime, http: FlaskClient, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    ok(cli("tenant", "update", "acme", "--brand-logo-url", "https://cdn.example.com/l.png",
           "--brand-color", "#123456"))
    view = ok_json(cli("tenant", "update", "acme", "--brand-logo-file", str(logo), "--json"))
    assert view["brand_logo_url"] is None and view["brand_logo"]["type"] == "image/png", view
    view = ok_json(cli("tenant", "update", "acme", "--brand-logo-file", "", "--brand-color",
                       "", "--json"))
    assert (view["brand_logo"], view["brand_logo_url"], view["brand_color"]) == (
        None, None, None), view
    html, _ = login_page(http, acme)
    assert "brand-logo" not in html and "branding/style.css" not in html, html[:600]
    assert http.get(f"{ISSUER_PATH}/branding/style.css", headers=HTML).status_code == 404


def test_jpeg_and_webp_are_recognised_by_their_bytes(cli: Cli, acme: Runtime,
                                                      http: FlaskClient, tmp_path: Path) -> None:
    for name, data, media in (("a.png", b"\xff\xd8\xff\xe0" + b"\x00" * 64, "image/jpeg"),
                              ("b.jpg", b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 64,
                               "image/webp")):
        path = tmp_path / name
        path.write_bytes(data)
        view = ok_json(cli("tenant", "update", "acme", "--brand-logo-file", str(path),
                           "--json"))
        assert view["brand_logo"]["type"] == media, (name, view)
        acme.tenants.invalidate()
        assert http.get(f"{ISSUER_PATH}/branding/logo").mimetype == media


@pytest.mark.parametrize("colour", [
    "red", "#12", "#1234", "#12345g", "#0a5; } body { display: none", "#0a5\n",
    "url(javascript:alert(1))", "#0a5 !important", "", "#" + "a" * 500,
])
def test_a_colour_that_is_not_hex_is_refused(cli: Cli, acme: Runtime, colour: str) -> None:
    if colour == "":
        ok(cli("tenant", "update", "acme", "--brand-color", ""))  # "" clears, never refused
        return
    refused(cli("tenant", "update", "acme", "--brand-color", colour),
            "brand_color: give a colour as #rgb or #rrggbb")


@pytest.mark.parametrize("url", [
    "http://cdn.example.com/logo.png", "javascript:alert(1)", "data:image/png;base64,AAAA",
    "https://", "https://cdn.example.com/a b.png", "https://cdn.example.com/a;script-src *",
    "https://cdn.example.com/'unsafe-inline'", "https://user:pw@cdn.example.com/l.png",
    "https://cdn.example.com/l.png#frag", "https://cdn.example.com/a\"onerror=x",
    "https://cdn.example.com:99999/l.png", "//cdn.example.com/l.png",
    "https://cdn.example.com/" + "a" * 2001,
])
def test_a_logo_url_that_is_not_plain_https_is_refused(cli: Cli, acme: Runtime,
                                                       url: str) -> None:
    result = cli("tenant", "update", "acme", "--brand-logo-url", url)
    refused(result, "brand_logo_url: ")


@pytest.mark.parametrize(("content", "problem"), [
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "not a PNG, JPEG or WebP image (SVG is refused: it can carry script)"),
    (b"GIF89a" + b"\x00" * 32, "not a PNG, JPEG or WebP image"),
    (b"<html><script>alert(1)</script></html>", "not a PNG, JPEG or WebP image"),
    (b"\x89PNG", "not a PNG, JPEG or WebP image"),  # a truncated signature
    (png()[:8].replace(b"PNG", b"PNX"), "not a PNG, JPEG or WebP image"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * (256 * 1024), "larger than 256 KiB"),
])
def test_an_upload_that_is_not_a_small_raster_image_is_refused(
        cli: Cli, acme: Runtime, tmp_path: Path, content: bytes, problem: str) -> None:
    path = tmp_path / "logo.png"  # a trusted-looking name changes nothing
    path.write_bytes(content)
    refused(cli("tenant", "update", "acme", "--brand-logo-file", str(path)),
            f"brand_logo: the file is {problem}" if "larger" not in problem else problem)


def test_a_missing_or_empty_logo_file_and_both_kinds_of_logo_are_refused(
        cli: Cli, acme: Runtime, tmp_path: Path) -> None:
    refused(cli("tenant", "update", "acme", "--brand-logo-file", str(tmp_path / "nope.png")),
            "cannot read", status=2)
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    refused(cli("tenant", "update", "acme", "--brand-logo-file", str(empty)), "is empty",
            status=2)
    good = tmp_path / "logo.png"
    good.write_bytes(png())
    refused(cli("tenant", "update", "acme", "--brand-logo-file", str(good),
                "--brand-logo-url", "https://cdn.example.com/l.png"),
            "give a logo URL or an image file, not both")
    refused(cli("tenant", "update", "acme", "--name", "A", "--brand-name", "B"),
            "--name and --brand-name both set the display name", status=2)


def test_an_unknown_page_under_a_branded_tenant_is_branded_too(
        cli: Cli, acme: Runtime, http: FlaskClient, tmp_path: Path) -> None:
    logo = tmp_path / "logo.png"
    logo.write_bytes(png())
    ok(cli("tenant", "update", "acme", "--brand-logo-file", str(logo), "--brand-color",
           "#a50"))
    acme.tenants.invalidate()
    response = http.get(f"{ISSUER_PATH}/no/such/page", headers=HTML)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<p class="tenant">Acme</p>' in html and 'id="brand-logo"' in html, html[:600]
    assert "/branding/style.css" in html


def test_logo_and_stylesheet_of_an_unknown_tenant_are_plain_404s(http: FlaskClient) -> None:
    for path in ("/t/nope/branding/logo", "/t/nope/branding/style.css"):
        response = http.get(path, headers={"Accept": "application/json"})
        assert response.status_code == 404, path
        assert response.is_json, "API-style requests keep getting JSON"
