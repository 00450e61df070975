"""The argon2id cost is the operator's choice (issue 9 item 5; docs/sign-in/passwords.md):
three settings, checked at start-up with one-line errors, and OWASP's minimum enforced
in production."""

from __future__ import annotations

import argon2
import pytest

from authserver.runtime import argon2_parameters
from authserver.services.passwords import Argon2Parameters, Passwords
from authserver.settings import SettingsError, load_settings

HEX_KEY = "ab" * 32
PRODUCTION = {"AUTHSERVER_ENV": "production", "AUTHSERVER_MASTER_KEY": HEX_KEY,
              "AUTHSERVER_PUBLIC_URL": "https://id.example"}


def _argon2(memory: str, time_cost: str, parallelism: str = "1") -> dict[str, str]:
    return {"AUTHSERVER_ARGON2_MEMORY_KIB": memory, "AUTHSERVER_ARGON2_TIME_COST": time_cost,
            "AUTHSERVER_ARGON2_PARALLELISM": parallelism}


def test_the_default_is_owasps_argon2id_configuration() -> None:
    settings = load_settings({})
    assert argon2_parameters(settings) == Argon2Parameters(19456, 2, 1), \
        "the default must be OWASP's m=19 MiB, t=2, p=1 (docs/sign-in/passwords.md)"


def test_the_three_settings_are_read_and_hashes_carry_them() -> None:
    settings = load_settings(_argon2("32768", "3", "2"))
    parameters = argon2_parameters(settings)
    assert parameters == Argon2Parameters(32768, 3, 2)
    made = argon2.extract_parameters(Passwords(parameters).hash("correct horse"))
    assert (made.type, made.memory_cost, made.time_cost, made.parallelism, made.salt_len,
            made.hash_len) == (argon2.Type.ID, 32768, 3, 2, 16, 32), \
        "a hash must be argon2id at exactly the configured parameters"


@pytest.mark.parametrize(("environ", "setting", "fragment"), [
    (_argon2("lots", "2"), "ARGON2_MEMORY_KIB", "whole number of KiB from 8 to 4194304"),
    (_argon2("19MiB", "2"), "ARGON2_MEMORY_KIB", "whole number of KiB"),
    (_argon2("19456", "0"), "ARGON2_TIME_COST", "whole number of passes from 1 to 64"),
    (_argon2("19456", "-1"), "ARGON2_TIME_COST", "from 1 to 64"),
    (_argon2("19456", "2", "0"), "ARGON2_PARALLELISM", "whole number of lanes from 1 to 64"),
    (_argon2("19456", "2", "65"), "ARGON2_PARALLELISM", "from 1 to 64"),
    (_argon2("64", "2", "16"), "ARGON2_MEMORY_KIB", "at least 8 x ARGON2_PARALLELISM"),
    ({**PRODUCTION, **_argon2("19455", "2")}, "ARGON2_MEMORY_KIB",
     "below OWASP's minimum for production"),
    ({**PRODUCTION, **_argon2("19456", "1")}, "ARGON2_MEMORY_KIB",
     "19456 KiB with ARGON2_TIME_COST=1 is below OWASP's minimum"),
    ({**PRODUCTION, **_argon2("65536", "1", "4"), "AUTHSERVER_ARGON2_MEMORY_KIB": "7168"},
     "ARGON2_MEMORY_KIB", "below OWASP's minimum"),
])
def test_bad_argon2_settings_are_refused_in_one_line_naming_the_setting(
    environ: dict[str, str], setting: str, fragment: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(environ)
    message = str(caught.value)
    assert message.startswith(f"AUTHSERVER_{setting}: "), f"error must name the setting: {message}"
    assert fragment in message, f"error must say what is wrong: {message}"
    assert "\n" not in message, "the error must fit on one line"


@pytest.mark.parametrize(("memory", "time_cost"), [
    ("47104", "1"), ("19456", "2"), ("12288", "3"), ("9216", "4"), ("7168", "5"),
    ("65536", "3"),
])
def test_production_accepts_each_of_owasps_equivalent_configurations(
    memory: str, time_cost: str
) -> None:
    settings = load_settings({**PRODUCTION, **_argon2(memory, time_cost)})
    assert (settings.argon2_memory_kib, settings.argon2_time_cost) == \
        (int(memory), int(time_cost))


def test_development_may_go_below_owasp_for_laptops_and_tests() -> None:
    settings = load_settings(_argon2("1024", "1"))
    assert argon2_parameters(settings) == Argon2Parameters(1024, 1, 1), \
        "outside production a cheaper hash is the developer's choice"


def test_a_toml_file_sets_them_too(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "authserver.toml"
    config.write_text("[authserver]\nargon2_memory_kib = 47104\nargon2_time_cost = 1\n")
    settings = load_settings({"AUTHSERVER_CONFIG": str(config)})
    assert argon2_parameters(settings) == Argon2Parameters(47104, 1, 1)
