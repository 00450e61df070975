"""Translations (issue 10 item 7): one catalogue, English and German fully done;
``ui_locales`` (kept for the whole sign-in), then ``Accept-Language``, then English.

The catalogue tests are the merge-time guard: a new ``_("…")`` in a template or a new
error code without a German translation fails here, naming the message.
"""

from __future__ import annotations

import importlib
import io
import pkgutil
import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient

import authserver.services
from authserver.i18n import SUPPORTED_LOCALES, TRANSLATIONS_DIR
from authserver.runtime import Runtime
from authserver.services.error_codes import all_codes
from tests.support.browser_flow import interaction_location
from tests.support.oauth import (
    ISSUER_PATH,
    PASSWORD,
    Pkce,
    authorize_params,
    build_world,
    csrf_of,
    form_action,
    obtain_code,
)

ROOT = Path(__file__).resolve().parents[2]
PO = TRANSLATIONS_DIR / "de" / "LC_MESSAGES" / "messages.po"
MO = TRANSLATIONS_DIR / "de" / "LC_MESSAGES" / "messages.mo"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")
HTML = "text/html,application/xhtml+xml,*/*;q=0.8"


def german() -> Catalog:
    with PO.open("rb") as handle:
        return read_po(handle)


def extracted_messages() -> set[str]:
    """What `make translations` would extract now (babel.cfg, the same keywords)."""
    method_map = [("authserver/**.py", "python"), ("authserver/web/templates/**.html", "jinja2")]
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "define": (3,)}
    found: set[str] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, keywords=keywords):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_in_the_sources_is_in_the_german_catalogue() -> None:
    known = {m.id if isinstance(m.id, str) else m.id[0] for m in german() if m.id}
    missing = sorted(extracted_messages() - known)
    assert not missing, ("messages not in authserver/translations/de (run `make translations` "
                         f"and translate them): {missing}")


def test_every_german_message_is_translated_and_not_fuzzy() -> None:
    problems = []
    for message in german():
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            problems.append(f"empty msgstr: {message.id!r}")
        if message.fuzzy:
            problems.append(f"fuzzy: {message.id!r}")
    assert not problems, "\n".join(problems)


def test_placeholders_survive_translation() -> None:
    for message in german():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(PLACEHOLDER.findall(ids[0]))
        for text in strings:
            assert set(PLACEHOLDER.findall(text)) == expected, \
                f"{message.id!r}: the translation must use {sorted(expected)}: {text!r}"


def test_the_committed_mo_file_is_compiled_from_the_po_file() -> None:
    compiled = io.BytesIO()
    write_mo(compiled, german())
    with MO.open("rb") as handle:
        shipped = read_mo(handle)
    fresh = read_mo(io.BytesIO(compiled.getvalue()))
    as_dict = {str(m.id): m.string for m in fresh if m.id}
    assert {str(m.id): m.string for m in shipped if m.id} == as_dict, \
        "messages.mo is stale: run `make translations` (it compiles the .po)"


def test_every_error_code_message_has_a_german_translation() -> None:
    for module in pkgutil.walk_packages(authserver.services.__path__, "authserver.services."):
        importlib.import_module(module.name)  # every module defines its own codes
    catalogue = german()
    untranslated = [c.code for c in all_codes()
                    if not (catalogue.get(c.message) and catalogue.get(c.message).string)]
    assert not untranslated, f"error codes without a German message: {untranslated}"


@pytest.fixture
def acme(runtime: Runtime) -> Runtime:
    build_world(runtime)
    return runtime


def login_page(http: FlaskClient, accept_language: str | None = None,
               **params: str) -> tuple[str, str]:
    headers = {"Accept": HTML}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    response = http.get(f"{ISSUER_PATH}/authorize", headers=headers,
                        query_string=authorize_params(pkce=Pkce(), **params))
    location = interaction_location(response)
    page = http.get(location, headers=headers)
    assert page.status_code == 200, page.get_data(as_text=True)[:300]
    return location, page.get_data(as_text=True)


def lang_of(html: str) -> str:
    match = re.search(r'<html lang="([^"]*)">', html)
    assert match, "every page has <html lang>"
    return match.group(1)


def test_ui_locales_wins_over_accept_language(acme: Runtime, http: FlaskClient) -> None:
    _, html = login_page(http, accept_language="en-US,en;q=0.9", ui_locales="de")
    assert lang_of(html) == "de"
    assert "<h1>Anmelden</h1>" in html, html[:800]
    assert "E-Mail-Adresse oder Benutzername" in html
    assert "Passwort vergessen?" in html
    assert "Sign in" not in html.replace("<title>", ""), "no English left on the page"


def test_the_first_supported_ui_locale_wins_and_regions_fall_back(acme: Runtime,
                                                                   http: FlaskClient) -> None:
    _, html = login_page(http, accept_language="en", ui_locales="fr-CA ja de-CH en")
    assert lang_of(html) == "de", "fr and ja are not supported; de-CH is served in de"
    _, html = login_page(http, accept_language="de", ui_locales="en de")
    assert lang_of(html) == "en" and "<h1>Sign in</h1>" in html


def test_unsupported_ui_locales_fall_back_to_accept_language_then_english(
        acme: Runtime, http: FlaskClient) -> None:
    _, html = login_page(http, accept_language="de-DE,de;q=0.9,en;q=0.5", ui_locales="fr")
    assert lang_of(html) == "de" and "<h1>Anmelden</h1>" in html
    _, html = login_page(http, ui_locales="fr ja")
    assert lang_of(html) == "en" and "<h1>Sign in</h1>" in html
    _, html = login_page(http, accept_language="fr, ja;q=0.5")
    assert lang_of(html) == "en"


def test_ui_locales_holds_for_the_whole_sign_in(acme: Runtime, http: FlaskClient) -> None:
    """The browser sends no Accept-Language after the authorization request: the stored
    ui_locales keeps the next pages (an error, then consent) in German."""
    _, html = login_page(http, ui_locales="de")
    wrong = http.post(form_action(html), data={"csrf_token": csrf_of(html),
                                                "identifier": "ann@example.com",
                                                "password": "wrong", "action": "login"})
    assert wrong.status_code == 401
    page = wrong.get_data(as_text=True)
    assert lang_of(page) == "de"
    assert ('Die E-Mail-Adresse oder das Passwort ist nicht korrekt. '
            '<span class="code">(AUTH-1001)</span>') in page, page[:1200]
    signed_in = http.post(form_action(page), data={"csrf_token": csrf_of(page),
                                                   "identifier": "ann@example.com",
                                                   "password": PASSWORD, "action": "login"})
    consent = http.get(signed_in.headers["Location"])
    html = consent.get_data(as_text=True)
    assert lang_of(html) == "de", html[:400]
    assert "<h1>Web erlauben?</h1>" in html, html[:1200]
    assert "Ihre E-Mail-Adresse sehen" in html, "scope descriptions are translated too"
    assert ">Erlauben</button>" in html and ">Ablehnen</button>" in html


def test_discovery_advertises_the_supported_languages(acme: Runtime,
                                                      http: FlaskClient) -> None:
    doc = http.get(f"{ISSUER_PATH}/.well-known/openid-configuration").get_json()
    assert doc["ui_locales_supported"] == list(SUPPORTED_LOCALES) == ["en", "de"]


def test_the_404_page_speaks_the_browsers_language(acme: Runtime, http: FlaskClient) -> None:
    response = http.get(f"{ISSUER_PATH}/nowhere", headers={"Accept": HTML,
                                                           "Accept-Language": "de"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert lang_of(html) == "de"
    assert "<h1>Seite nicht gefunden</h1>" in html, html[:800]
    assert "Fehlercode: AUTH-9001" in html


@pytest.mark.parametrize("ui_locales", [
    "x" * 5000, "de" + "\x7f", "<script>alert(1)</script>", "de;q=1", "../../etc/passwd",
    "de\tde", "  ", "a-" * 300, "😀 de", "%00de", "de " * 40,
])
def test_hostile_ui_locales_never_break_the_page(acme: Runtime, http: FlaskClient,
                                                 ui_locales: str) -> None:
    response = http.get(f"{ISSUER_PATH}/authorize", headers={"Accept": HTML},
                        query_string=authorize_params(pkce=Pkce(), ui_locales=ui_locales))
    assert response.status_code in (302, 303), (ui_locales, response.status_code)
    page = http.get(response.headers["Location"], headers={"Accept": HTML})
    assert page.status_code == 200, ui_locales
    html = page.get_data(as_text=True)
    assert lang_of(html) in ("en", "de"), ui_locales
    assert "<script>alert" not in html, "ui_locales is never echoed"


@pytest.mark.parametrize("header", [
    "de;q=abc", "*;q=", ";;;,,,", "de-" + "x" * 4000, "de;q=1" + ", en;q=0.1" * 300,
    "\u00e4\u00f6", "de;q=-1", "de;q=1e9",
])
def test_hostile_accept_language_never_breaks_the_page(acme: Runtime, http: FlaskClient,
                                                       header: str) -> None:
    response = http.get(f"{ISSUER_PATH}/nowhere", headers={"Accept": HTML,
                                                           "Accept-Language": header})
    assert response.status_code == 404, header
    assert lang_of(response.get_data(as_text=True)) in ("en", "de")


def test_a_saved_locale_applies_when_the_browser_names_no_language_we_speak(
        acme: Runtime, http: FlaskClient) -> None:
    from sqlalchemy import update

    from authserver.storage.models import User

    obtain_code(http, authorize_params(pkce=Pkce()))  # signs in: the session cookie is set
    with acme.database.session() as session:
        session.execute(update(User).where(User.email == "ann@example.com").values(locale="de"))
    for accept_language, expected in (("fr", "de"), (None, "de"), ("en", "en")):
        headers = {"Accept": HTML}
        if accept_language:
            headers["Accept-Language"] = accept_language
        page = http.get(f"{ISSUER_PATH}/account", headers=headers)
        assert page.status_code == 200, page.status_code
        html = page.get_data(as_text=True)
        assert lang_of(html) == expected, (accept_language, html[:300])
    assert "<h1>Your account</h1>" in html, "Accept-Language wins over the saved choice"
