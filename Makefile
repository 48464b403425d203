# The two set-up commands: `make run` and `make test`. Both create .venv when missing and
# reinstall only when pyproject.toml is newer than the last install (stamp files).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test test-standalone screenshots lighthouse lint format migrate worker clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	@# Videos and animated GIFs are transcoded with ffmpeg (a system package).
	command -v ffmpeg >/dev/null || { apt-get update && apt-get install -y ffmpeg; }
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e ".[dev]"
	@# Videos and animated GIFs are transcoded with ffmpeg (a system package); the
	@# cluster tests put nginx (another) in front of several API processes.
	command -v ffmpeg >/dev/null || { apt-get update && apt-get install -y ffmpeg; }
	command -v nginx >/dev/null || { apt-get update && apt-get install -y nginx; }
	@# The website's browser tests (tests/web) drive Debian's Chromium through Playwright;
	@# never `playwright install` (no browser downloads).
	test -x /usr/bin/chromium || { apt-get update && apt-get install -y chromium; }
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	$(BIN)/shutter serve --host $(HOST) --port $(PORT)

# Two processes (pytest-xdist), a test file each at a time: the suite waits on servers,
# browsers and subprocesses much of the time (docs/decisions/0019-parallel-tests.md).
test: $(VENV)/.installed-dev
	$(BIN)/pytest -q -n 2 --dist loadfile

# The website's screenshots at 375x812 and 1280x800, light and dark, refreshed into
# docs/screenshots/ (every test run also saves them in var/screenshots/, git-ignored).
screenshots: $(VENV)/.installed-dev
	SHUTTER_SCREENSHOTS=docs $(BIN)/pytest -q tests/web -k screenshots

# Lighthouse (npm, pinned exactly) into var/lighthouse, never into the repo; then the
# website's main pages audited with Debian's Chromium (bench/lighthouse.py, decision 0016).
LIGHTHOUSE_VERSION := 12.8.2
LIGHTHOUSE_STAMP := var/lighthouse/.installed-$(LIGHTHOUSE_VERSION)
$(LIGHTHOUSE_STAMP):
	command -v npm >/dev/null || { apt-get update && apt-get install -y npm; }
	npm install --prefix var/lighthouse --no-save --no-audit --no-fund --ignore-scripts \
		lighthouse@$(LIGHTHOUSE_VERSION)
	touch $@
lighthouse: $(VENV)/.installed-dev $(LIGHTHOUSE_STAMP)
	$(BIN)/python bench/lighthouse.py

# The tests that read ../shared (the real-world media corpus, the Mastodon contract), run
# as a fresh clone would: without it, on media the tests make themselves. CI runs this too.
STANDALONE_TESTS := tests/test_shared_data.py tests/test_media.py tests/test_media_heic.py \
	tests/test_media_refused.py tests/test_media_video.py tests/test_posts.py tests/test_accounts.py
test-standalone: $(VENV)/.installed-dev
	SHUTTER_TEST_WITHOUT_SHARED=1 $(BIN)/pytest -q $(STANDALONE_TESTS)

lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy shutter tests bench tools

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

migrate: $(VENV)/.installed
	$(BIN)/shutter migrate

worker: $(VENV)/.installed
	$(BIN)/shutter worker

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
