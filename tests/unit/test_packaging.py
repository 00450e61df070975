"""Every template and static file ships in the wheel: setup.cfg's package_data must cover
each file under authserver/web/templates and authserver/web/static (a page whose template
is missing from an installed copy is a 500). Checked against the configuration, because
building a wheel here would need the network for its isolated build environment."""

from __future__ import annotations

import configparser
import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA_FOLDERS = ("authserver/web/templates", "authserver/web/static")


def _package_data() -> dict[str, list[str]]:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    return {package: [p.strip() for p in patterns.replace("\n", ",").split(",") if p.strip()]
            for package, patterns in config["options.package_data"].items()}


def test_setup_cfg_finds_data_folders_as_namespace_packages() -> None:
    config = configparser.ConfigParser()
    config.read(ROOT / "setup.cfg")
    assert config["options"]["packages"].strip() == "find_namespace:", \
        "data folders have no __init__.py: only find_namespace: includes them without warnings"


def test_every_template_and_static_file_is_package_data() -> None:
    patterns = _package_data()
    missing = []
    for folder in DATA_FOLDERS:
        for path in sorted((ROOT / folder).rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts:
                continue
            relative = path.relative_to(ROOT)
            package = ".".join(relative.parent.parts)
            if not any(fnmatch.fnmatch(path.name, p) for p in patterns.get(package, [])):
                missing.append(str(relative))
    assert not missing, f"not in setup.cfg [options.package_data], so not in the wheel: {missing}"
