"""Codes of the failures a person meets on the sign-in pages (AUTH-1xxx) and anywhere on
the server (AUTH-9xxx, general): issue 10 item 6.

Each message is the English msgid the pages translate; the web layer finds a page
message's code with :func:`authserver.services.error_codes.by_message`, so a message
and its code cannot drift apart. A wrong password and an unknown or disabled account
share one code and one message: the code never tells whether an account exists.
"""

from __future__ import annotations

from authserver.services.authn import code_factor, recovery, totp, webauthn
from authserver.services.authn.code_factor import Checked
from authserver.services.authn.totp import Verdict
from authserver.services.error_codes import define

# The authorization request, before any sign-in (shown on the "We can't continue" page).
NO_CLIENT = define("AUTH-1101", "client_missing",
                   "The request does not say which application is asking.")
UNKNOWN_CLIENT = define("AUTH-1102", "client_unknown",
                        "The application that sent you here is not registered.")
NO_REDIRECT_URI = define("AUTH-1103", "redirect_uri_missing", "The request has no redirect URI.")
WRONG_REDIRECT_URI = define("AUTH-1104", "redirect_uri_unregistered",
                            "The redirect URI is not registered for this application.")
REPEATED_CLIENT_ID = define("AUTH-1105", "client_id_repeated",
                            "The request repeats the client_id parameter.")
REPEATED_REDIRECT_URI = define("AUTH-1106", "redirect_uri_repeated",
                               "The request repeats the redirect_uri parameter.")
SIGN_IN_EXPIRED = define("AUTH-1107", "sign_in_expired",
                         "This sign-in request has expired. Go back to the application and "
                         "start again.")
CLIENT_GONE = define("AUTH-1108", "client_gone", "The application is no longer registered.")
SESSION_ENDED = define("AUTH-1109", "session_ended",
                       "Your session has ended. Go back to the application and start again.")

# The login page.
SIGN_IN_REFUSED = define("AUTH-1001", "sign_in_refused",
                         "The email address or password is not correct.", 401)
TOO_MANY_ATTEMPTS = define("AUTH-1002", "too_many_attempts",
                           "Too many attempts. Try again in %(wait)s.", 429)
METHOD_NOT_OFFERED = define("AUTH-1003", "method_not_offered",
                            "That way of signing in is not available here.")

# Second factors and codes.
WRONG_CODE = define("AUTH-1010", "code_wrong",
                    "That is not the right code. Check it and try again.", 401)
SENT_CODE_WRONG = define("AUTH-1011", "sent_code_wrong", code_factor.REFUSALS[Checked.WRONG],
                         401)
SENT_CODE_EXPIRED = define("AUTH-1012", "sent_code_expired",
                           code_factor.REFUSALS[Checked.EXPIRED], 401)
SENT_CODE_EXHAUSTED = define("AUTH-1013", "sent_code_exhausted",
                             code_factor.REFUSALS[Checked.EXHAUSTED], 401)
NO_CODE_SENT = define("AUTH-1014", "no_code_sent", code_factor.REFUSALS[Checked.NONE_SENT],
                      401)
CODE_NOT_SENT = define("AUTH-1015", "code_send_failed",
                       "We could not send the code. Try again in a few minutes or use "
                       "another method.", 503)
CODES_NOT_OFFERED = define("AUTH-1016", "codes_not_offered",
                           "Codes cannot be sent this way for your account. Use another "
                           "method.")
PHONE_CODE_REFUSED = define("AUTH-1017", "phone_code_refused",
                            "That code is not right, or it has expired. Send a new one.", 401)
TOTP_WRONG = define("AUTH-1020", "totp_wrong", totp.MESSAGES[Verdict.WRONG_CODE], 401)
TOTP_REPLAYED = define("AUTH-1021", "totp_replayed", totp.MESSAGES[Verdict.REPLAYED], 401)
TOTP_SET_UP_AGAIN = define("AUTH-1022", "totp_setup_stale",
                           "Set up your authenticator app again: the key shown before is no "
                           "longer valid.")
TOTP_NOT_HERE = define("AUTH-1023", "totp_setup_not_offered",
                       "An authenticator app cannot be set up here.")
RECOVERY_REFUSED = define("AUTH-1030", "recovery_code_refused", recovery.REFUSED, 401)

# Magic links.
MAGIC_LINK_GONE = define("AUTH-1040", "magic_link_gone",
                         "This sign-in link has expired or was already used. Go back to the "
                         "application and ask for a new one.", 410)
MAGIC_LINK_OTHER_BROWSER = define("AUTH-1041", "magic_link_other_browser",
                                  "Open this link in the browser where you asked for it. It "
                                  "still works there for a few minutes.", 409)
MAGIC_LINK_THROTTLED = define("AUTH-1043", "magic_link_throttled",
                              "Too many sign-in links were tried from here. Wait a few "
                              "minutes and open your link again.", 429)
MAGIC_LINKS_OFF = define("AUTH-1042", "magic_links_off",
                         "Sign-in links are not offered here.", 404)

# Passkeys.
PASSKEY_REFUSED = define("AUTH-1050", "passkey_refused", webauthn.REFUSED, 401)
PASSKEY_PAGE_EXPIRED = define("AUTH-1051", "passkey_page_expired",
                              "This page has expired. Reload it and try again.")
PASSKEY_UNKNOWN_REQUEST = define("AUTH-1052", "passkey_request_unknown",
                                 "Unknown passkey request.")
PASSKEY_SIGN_IN_FIRST = define("AUTH-1053", "passkey_sign_in_first",
                               "Sign in first, then use your passkey.")

# Sign-out (its confirmation page).
SIGN_OUT_EXPIRED = define("AUTH-1060", "sign_out_expired",
                          "This sign-out request has expired. Try again from the application.")

# General: any page of the server.
NOT_FOUND = define("AUTH-9001", "not_found",
                   "There is nothing at this address. Check the link, or go back to the "
                   "application you came from and start again.", 404)
WRONG_METHOD = define("AUTH-9002", "method_not_allowed",
                      "This address exists, but does not answer this kind of request. If a "
                      "link or a bookmark brought you here, go back to the application you "
                      "came from and start again.", 405)
TOO_LARGE = define("AUTH-9003", "request_too_large",
                   "The request was larger than this server accepts.", 413)
SERVER_ERROR = define("AUTH-9004", "server_error",
                      "The server could not complete the request. Please try again in a "
                      "moment.", 500)
FORM_EXPIRED = define("AUTH-9005", "form_expired",
                      "This form has expired or was not sent from this browser. Go back, "
                      "reload the page and try again.")
NUL_CHARACTER = define("AUTH-9006", "nul_character", "The request contains a NUL character.")
BAD_REQUEST = define("AUTH-9007", "bad_request",
                     "The request could not be understood. Go back to the application you "
                     "came from and start again.")
CODE_RESEND_WAIT = define("AUTH-1018", "code_resend_wait",
                          "A code was sent a moment ago. Wait %(wait)s before asking for "
                          "another.", 429)
