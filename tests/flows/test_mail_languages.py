"""Mail and SMS in the recipient's language (docs/branding-and-languages.md, "Mail
languages"): the account's saved ``users.locale`` first, then the language of the
request that caused the message (ui_locales, then Accept-Language), then English. A
sign-up and an accepted invitation record the request's language on the account, so
later mail caused by a request that says nothing (or something else) stays in it."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from authserver.runtime import admin_context
from authserver.services import tenant_admin
from authserver.services.account_policy import AccountPolicyChange
from authserver.services.accounts import NewUser
from authserver.services.invitation_admin import InvitationMail, create_invited, reinvite
from authserver.services.senders import Channel, Senders
from authserver.storage.models import User
from tests.support.browser_flow import html_of, page_after
from tests.support.oauth import Pkce, authorize_params, build_world, csrf_of, sign_in
from tests.support.runtimes import make_runtime
from tests.support.senders import RecordingSender
from tests.support.sign_in_policy import set_sign_in_policy

EMAIL = "ann@example.com"  # build_world's user, no saved locale
NEW = "zoe@example.com"
PASSWORD_NEW = "a long and unusual passphrase 42"

GERMAN_VERIFY = "Willkommen bei Acme. Bestätigen Sie Ihre E-Mail-Adresse"
ENGLISH_VERIFY = "Welcome to Acme. Confirm your email address"
GERMAN_RESET = "Jemand hat angefordert, das Passwort Ihres Kontos bei Acme zurückzusetzen."
ENGLISH_RESET = "Someone asked to reset the password of your Acme account."
GERMAN_CODE = re.compile(r"^Ihr Anmeldecode für Acme lautet (\d{6})\. Er läuft in 5 Minuten ab\.")
ENGLISH_CODE = re.compile(r"^Your Acme sign-in code is (\d{6})\. It expires in 5 minutes\.")


@pytest.fixture
def sender() -> RecordingSender:
    return RecordingSender()


@pytest.fixture
def runtime(settings, database, clock, sender):
    return make_runtime(settings, database, clock,
                        senders=Senders({Channel.EMAIL: sender, Channel.SMS: sender}))


@pytest.fixture
def world(runtime):
    built = build_world(runtime)
    tenant_admin.update_tenant(admin_context(runtime, "test"), "acme", None, None, None,
                               accounts=AccountPolicyChange(signup=True))
    return built


def saved_locale(runtime, email: str) -> str | None:
    with runtime.database.session() as session:
        return session.scalar(select(User.locale).where(User.email == email))


def save_locale(runtime, email: str, locale: str | None) -> None:
    with runtime.database.session() as session:
        session.scalar(select(User).where(User.email == email)).locale = locale


def sign_up(http, email: str, **headers: str):
    page = http.get("/t/acme/signup", headers=headers)
    response = http.post("/t/acme/signup", headers=headers, data={
        "csrf_token": csrf_of(html_of(page)), "email": email, "password": PASSWORD_NEW})
    assert response.status_code == 200, f"sign-up answered {response.status_code}"
    return response


def ask_reset(http, email: str, **headers: str):
    page = http.get("/t/acme/reset", headers=headers)
    response = http.post("/t/acme/reset", headers=headers, data={
        "csrf_token": csrf_of(html_of(page)), "email": email})
    assert response.status_code == 200, f"the reset request answered {response.status_code}"
    return response


def only_mail(sender: RecordingSender, to: str) -> str:
    [mail] = sender.wait_for(1, to=to)
    return mail.text


def test_a_german_sign_up_gets_the_german_verification_mail(http, runtime, world, sender):
    page = sign_up(http, NEW, **{"Accept-Language": "de-DE,de;q=0.9,en;q=0.5"})
    assert 'lang="de"' in html_of(page), "the answer page itself must be German"
    [mail] = sender.wait_for(1, to=NEW)
    text = mail.text
    assert text.startswith(GERMAN_VERIFY), f"the verification mail must be German: {text!r}"
    assert mail.locale == "de", "the message must say its language (the subject follows it)"
    assert re.search(r"https?://\S+/signup/verify\?token=\S+", text), \
        f"the German mail must still carry the link: {text!r}"
    assert "Er funktioniert einmal, innerhalb von 24 Stunden." in text
    assert saved_locale(runtime, NEW) == "de", "the sign-up's language must be recorded"


def test_the_sign_up_language_holds_for_a_later_reset_asked_in_no_language(
        app, runtime, world, sender):
    sign_up(app.test_client(), NEW, **{"Accept-Language": "de"})
    sender.wait_for(1, to=NEW)
    # Another browser, saying nothing about language.
    ask_reset(app.test_client(), NEW)
    mails = sender.wait_for(2, to=NEW)
    assert len(mails) == 2, f"the reset mail did not come: {mails}"
    assert mails[1].text.startswith(GERMAN_RESET), \
        f"a reset asked without Accept-Language must follow the saved locale: {mails[1].text!r}"


def test_a_taken_address_is_told_in_the_request_language(http, runtime, world, sender):
    sign_up(http, EMAIL, **{"Accept-Language": "de"})
    text = only_mail(sender, EMAIL)
    assert text.startswith("Jemand hat versucht, sich mit Ihrer Adresse bei Acme zu "
                           "registrieren"), f"the notice must be German: {text!r}"
    assert saved_locale(runtime, EMAIL) is None, \
        "a stranger's sign-up attempt must not change the owner's saved language"


def test_ui_locales_on_the_authorization_request_gives_german_codes(http, runtime, world,
                                                                    sender):
    set_sign_in_policy(runtime, mfa="optional", methods="email")
    location, _ = page_after(http, http.get("/t/acme/authorize", query_string=authorize_params(
        pkce=Pkce(), ui_locales="de")))
    # The pages that follow carry no language of their own: the stored request's
    # ui_locales decides, for the pages and for the code mail.
    response = sign_in(http, location)
    assert response.status_code == 303, f"password step: {response.status_code}"
    factor = response.headers["Location"]
    html = html_of(http.get(factor))
    assert 'lang="de"' in html, "the further-factor page must be German"
    sent = http.post(f"{factor}/factor/email/send", data={"csrf_token": csrf_of(html)})
    assert sent.status_code == 200, f"sending the code answered {sent.status_code}"
    text = sender.last_to(EMAIL).text
    assert GERMAN_CODE.match(text), f"the sign-in code mail must be German: {text!r}"


def test_without_ui_locales_the_codes_are_english(http, runtime, world, sender):
    set_sign_in_policy(runtime, mfa="optional", methods="email")
    location, _ = page_after(http, http.get("/t/acme/authorize",
                                            query_string=authorize_params(pkce=Pkce())))
    factor = sign_in(http, location).headers["Location"]
    html = html_of(http.get(factor))
    http.post(f"{factor}/factor/email/send", data={"csrf_token": csrf_of(html)})
    text = sender.last_to(EMAIL).text
    assert ENGLISH_CODE.match(text), f"the default must be English: {text!r}"


def test_a_user_with_locale_de_gets_a_german_reset_mail_from_a_silent_request(
        http, runtime, world, sender):
    save_locale(runtime, EMAIL, "de")
    ask_reset(http, EMAIL)
    [mail] = sender.wait_for(1, to=EMAIL)
    text = mail.text
    assert text.startswith(GERMAN_RESET), f"the reset mail must be German: {text!r}"
    assert mail.locale == "de", "the message must say its language (the subject follows it)"
    assert "Er funktioniert einmal, innerhalb von 30 Minuten." in text
    assert re.search(r"/t/acme/reset\?token=[\w\-]+", text), "the link must be there"


def test_the_saved_locale_comes_before_the_request_language(http, runtime, world, sender):
    save_locale(runtime, EMAIL, "de")
    ask_reset(http, EMAIL, **{"Accept-Language": "en"})
    text = only_mail(sender, EMAIL)
    assert text.startswith(GERMAN_RESET), \
        f"users.locale must win over the requesting browser's language: {text!r}"


def test_a_regional_saved_locale_is_served_in_its_language(http, runtime, world, sender):
    save_locale(runtime, EMAIL, "de-CH")
    ask_reset(http, EMAIL)
    assert only_mail(sender, EMAIL).startswith(GERMAN_RESET)


@pytest.mark.parametrize("saved", [None, "fr", "xx-not-a-language", ""])
def test_english_is_the_default(http, runtime, world, sender, saved):
    save_locale(runtime, EMAIL, saved)
    ask_reset(http, EMAIL)
    [mail] = sender.wait_for(1, to=EMAIL)
    assert mail.text.startswith(ENGLISH_RESET), f"the fallback must be English: {mail.text!r}"
    assert mail.locale == "en"


def test_a_request_in_a_language_we_do_not_speak_gets_english(http, runtime, world, sender):
    sign_up(http, NEW, **{"Accept-Language": "fr-FR,fr;q=0.9"})
    assert only_mail(sender, NEW).startswith(ENGLISH_VERIFY)
    assert saved_locale(runtime, NEW) is None, \
        "a language we do not speak must not be recorded as if chosen"


@pytest.mark.parametrize("header", [
    "de;q=abc", ";;;,,,", "*", "de-" + "x" * 5000, "en;q=0.1, de;q=2", "\u00e4\u00f6\u00fc",
    "%(service)s", "q=1;de", "de;q=0.5," * 300])
def test_a_hostile_accept_language_never_breaks_the_mail(http, runtime, world, sender,
                                                         header):
    page = http.get("/t/acme/reset", headers={"Accept-Language": header})
    assert page.status_code == 200, f"{header[:40]!r}: the form answered {page.status_code}"
    response = http.post("/t/acme/reset", headers={"Accept-Language": header}, data={
        "csrf_token": csrf_of(html_of(page)), "email": EMAIL})
    assert response.status_code == 200, f"{header[:40]!r}: answered {response.status_code}"
    text = only_mail(sender, EMAIL)
    assert text.startswith((ENGLISH_RESET, GERMAN_RESET)), \
        f"{header[:40]!r}: the mail must be a whole reset mail: {text!r}"
    assert "%(" not in text, f"{header[:40]!r}: a placeholder was left unfilled: {text!r}"


def test_a_hostile_header_on_sign_up_records_no_language(http, runtime, world, sender):
    sign_up(http, NEW, **{"Accept-Language": "de-" + "x" * 500 + ";q=oops"})
    text = only_mail(sender, NEW)
    assert text.startswith((ENGLISH_VERIFY, GERMAN_VERIFY)), text
    assert saved_locale(runtime, NEW) in (None, "de"), \
        "only a language we speak may be recorded"


INVITEE = "ivy@example.com"
INVITATION_LINK = re.compile(r"https?://[^/\s]+(/t/acme/invitation\?token=[\w\-]+)")


def invite(runtime, locale: str | None = None) -> str:
    """Invite INVITEE as an operator would (no request, so no request language); with
    ``locale``, the account's locale is saved first and the invitation sent again.
    Returns the (last) invitation mail's text."""
    mail = InvitationMail(runtime.senders, runtime.issuer("acme"))
    invited = create_invited(admin_context(runtime, "test"), "acme",
                             NewUser(email=INVITEE, password=None, given_name="Ivy"), mail)
    if locale is not None:
        save_locale(runtime, INVITEE, locale)
        invited = reinvite(admin_context(runtime, "test"), "acme", INVITEE, None, mail)
    assert invited.delivered, f"the invitation must be delivered: {invited.problem}"
    return runtime.senders.get(Channel.EMAIL).last_to(INVITEE).text


def accept_invitation(http, text: str, **headers: str):
    found = INVITATION_LINK.search(text)
    assert found, f"the invitation must carry its link: {text!r}"
    page = http.get(found.group(1), headers=headers)
    html = html_of(page)
    token = re.search(r'name="token" value="([^"]+)"', html).group(1)
    response = http.post("/t/acme/invitation", headers=headers, data={
        "csrf_token": csrf_of(html), "token": token, "password": PASSWORD_NEW,
        "password_again": PASSWORD_NEW})
    assert response.status_code == 200, f"accepting answered {response.status_code}"


def test_an_invitation_from_the_cli_is_english_unless_the_account_has_a_locale(
        runtime, world):
    assert invite(runtime).startswith("You have been invited to Acme.")


def test_an_invitee_with_a_saved_locale_is_invited_in_it(runtime, world):
    text = invite(runtime, locale="de")
    assert text.startswith("Sie wurden zu Acme eingeladen."), \
        f"the invitation must follow the account's locale: {text!r}"
    assert "innerhalb von 7 Tagen" in text


def test_accepting_an_invitation_records_its_language(app, runtime, world, sender):
    accept_invitation(app.test_client(), invite(runtime), **{"Accept-Language": "de"})
    assert saved_locale(runtime, INVITEE) == "de", \
        "the language the invitation was accepted in must be recorded"
    ask_reset(app.test_client(), INVITEE)
    mails = sender.wait_for(2, to=INVITEE)
    assert len(mails) == 2 and mails[1].text.startswith(GERMAN_RESET), \
        f"a later reset from a silent request must be German: {mails}"


def test_accepting_keeps_an_operators_choice(app, runtime, world):
    accept_invitation(app.test_client(), invite(runtime, locale="en"),
                      **{"Accept-Language": "de"})
    assert saved_locale(runtime, INVITEE) == "en", \
        "a locale saved before acceptance must stand"


PHONE = "+15551234567"


def german_login_page(http, runtime) -> tuple[str, str]:
    with runtime.database.session() as session:
        ann = session.scalar(select(User).where(User.email == EMAIL))
        ann.phone, ann.phone_verified = PHONE, True
    set_sign_in_policy(runtime, phone_sign_in=True, magic_links=True)
    return page_after(http, http.get("/t/acme/authorize", query_string=authorize_params(
        pkce=Pkce(), ui_locales="de")))


def test_a_magic_link_asked_on_a_german_sign_in_is_german(http, runtime, world, sender):
    location, html = german_login_page(http, runtime)
    asked = http.post(f"{location}/magic-link", data={"csrf_token": csrf_of(html),
                                                      "identifier": EMAIL})
    assert asked.status_code == 200, f"asking for a link answered {asked.status_code}"
    text = only_mail(sender, EMAIL)
    assert text.startswith("Melden Sie sich bei Acme an, indem Sie diesen Link"), \
        f"the magic link mail must be German: {text!r}"
    assert "innerhalb von 10 Minuten" in text and "/magic?token=" in text


def test_a_phone_sign_in_code_on_a_german_sign_in_is_german(http, runtime, world, sender):
    location, html = german_login_page(http, runtime)
    asked = http.post(f"{location}/phone", data={"csrf_token": csrf_of(html),
                                                 "identifier": PHONE})
    assert asked.status_code == 200, f"asking for a code answered {asked.status_code}"
    text = only_mail(sender, PHONE)
    assert GERMAN_CODE.match(text), f"the SMS must be German: {text!r}"
