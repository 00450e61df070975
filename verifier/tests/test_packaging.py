"""The distribution stays light: cryptography only, no server package, docs examples run."""

from __future__ import annotations

import doctest
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_core_import_pulls_in_no_web_framework_or_jwt_library():
    code = (
        "import sys; import authserver_verifier; "
        "bad = [m for m in ('flask', 'starlette', 'fastapi', 'jwt', 'jwcrypto', 'authlib', "
        "'sqlalchemy', 'authserver', 'requests') if m in sys.modules]; print(','.join(bad))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert out.stdout.strip() == "", f"core import loaded: {out.stdout.strip()}"


def test_only_runtime_dependency_is_cryptography():
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    deps = [d.strip() for d in cfg["options"]["install_requires"].splitlines() if d.strip()]
    assert [d.split(">")[0].split("=")[0] for d in deps] == ["cryptography"], deps


@pytest.mark.parametrize(
    "module",
    [
        "authserver_verifier._b64",
        "authserver_verifier._http",
        "authserver_verifier.claims",
        "authserver_verifier.errors",
        "authserver_verifier.keys",
        "authserver_verifier.contrib._common",
    ],
)
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{module}: {result.failed} docstring example(s) failed"


def test_public_api_has_docstrings_with_examples():
    import inspect

    import authserver_verifier as pkg

    missing = []
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        if inspect.isclass(obj) or inspect.isfunction(obj):
            doc = inspect.getdoc(obj) or ""
            if "Example" not in doc:
                missing.append(name)
    assert not missing, f"public objects without an example in their docstring: {missing}"
