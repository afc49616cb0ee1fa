# The two commands: `make run` and `make test`. Both set up what they need.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SECRET_FILE := .xuncha-secret
FONT_PKG := fonts-wqy-microhei

.PHONY: run test fonts chromium bench screenshots clean

$(PY):
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

$(SECRET_FILE):
	$(PYTHON) -c 'import secrets; print(secrets.token_hex(32))' > $(SECRET_FILE)

# The watermark needs a CJK font; Debian's WenQuanYi Micro Hei when none is present.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(FONT_PKG))

# Browser tests drive Debian's Chromium, never a downloaded browser build.
chromium:
	@test -x /usr/bin/chromium || \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

run: $(STAMP) $(SECRET_FILE) fonts
	@echo "巡查 Xuncha: http://127.0.0.1:8000/"
	XUNCHA_SECRET=$$(cat $(SECRET_FILE)) $(VENV)/bin/xuncha serve --demo --host 127.0.0.1 --port 8000

test: $(STAMP) fonts chromium
	$(VENV)/bin/ruff check inspection scoring checklists tests bench
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(STAMP) fonts
	$(PY) bench/roster.py
	$(PY) bench/photos.py

# Every main page of the demo city at phone size, into docs/screenshots/.
screenshots: $(STAMP) fonts chromium
	$(PY) docs/screenshots/take.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache .mypy_cache
