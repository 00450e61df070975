# Two commands on a fresh machine: `make run` (demo on 127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
BIND   ?= 127.0.0.1:8000
# Debian packages the tests drive for real: the browser, and the upstream identity
# providers of the federation tests (SimpleSAMLphp runs on php-cli; slapd is OpenLDAP).
SYSTEM_PACKAGES := chromium chromium-driver php-cli php-xml php-mbstring slapd ldap-utils xmlsec1

.PHONY: run test install install-test system-deps lint migrate demo wheel verifier-wheel clean \
        translations

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python setup.cfg pyproject.toml verifier/setup.cfg
	$(BIN)/pip install --quiet -e ./verifier -e '.[postgres,redis]'
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed setup.cfg verifier/setup.cfg
	$(BIN)/pip install --quiet -e '.[test,postgres,redis]' -e 'verifier[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test tests/web/rp/node_modules/.package-lock.json

# The browser test's relying party (openid-client), pinned by its package-lock.json.
tests/web/rp/node_modules/.package-lock.json: tests/web/rp/package.json tests/web/rp/package-lock.json
	cd tests/web/rp && npm ci --no-audit --no-fund && touch node_modules/.package-lock.json

system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing system packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

migrate: install
	$(BIN)/authserver db upgrade

# The issuer, and the demo relying party's redirect URIs, are built from PUBLIC_URL: unless
# it is set, it follows BIND, so `make run BIND=127.0.0.1:18000` is self-consistent.
demo run: export AUTHSERVER_PUBLIC_URL ?= http://$(BIND)

demo: migrate
	@$(BIN)/authserver demo

run: demo
	@echo "Serving on http://$(BIND) (Ctrl-C stops); open the demo relying party above."
	$(BIN)/authserver serve --bind $(BIND)

# The message catalogue (docs/branding-and-languages.md): extract every _()/N_()/define()
# message into messages.pot, merge it into each language's .po (new messages arrive
# untranslated, changed ones fuzzy: tests/flows/test_translations.py fails until they are
# translated), compile the .mo files (committed, so a clean clone needs no build step).
BABEL_KEYWORDS := -k N_ -k define:3
translations: install
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-location --sort-output \
	  --project authserver --copyright-holder "authserver contributors" \
	  -o authserver/translations/messages.pot .
	$(BIN)/pybabel update -i authserver/translations/messages.pot -d authserver/translations \
	  --width 100 --ignore-obsolete
	$(BIN)/pybabel compile -d authserver/translations --statistics

lint: install-test
	$(BIN)/ruff check authserver migrations tests bench
	$(BIN)/lint-imports
	cd verifier && ../$(BIN)/ruff check .

# The suite runs on every core (pytest-xdist), a test file per worker at a time: each
# worker has its own database (tests/conftest.py) and starts its own peers on free ports.
TEST_WORKERS ?= auto
test: install-test system-deps lint
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadfile

# Wheels into dist/: neither distribution is published to PyPI; install these instead.
wheel: $(BIN)/python
	$(BIN)/pip wheel --quiet --no-deps . -w dist

verifier-wheel: $(BIN)/python
	$(BIN)/pip wheel --quiet --no-deps ./verifier -w dist
	@ls dist/authserver_verifier-*.whl

clean:
	rm -rf $(VENV) instance .pytest_cache dist
