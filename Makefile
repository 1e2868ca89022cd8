# The two commands a new user runs: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOST ?= 127.0.0.1
STAMP := $(VENV)/.installed

.PHONY: run test install browser nginx check lint clean-var

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（找不到 $(PYTHON)）"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# The site's own address (canonical links, share links and QR codes, feed) is where make run
# serves it, unless PUBLIC_SITE_URL says otherwise.
run: export PUBLIC_SITE_URL ?= http://$(HOST):$(PORT)/
run: install
	$(BIN)/python manage.py migrate --no-input -v0
	$(BIN)/python manage.py setup_roles
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --no-input -v0
	$(BIN)/python manage.py publish_site
	@echo ""
	@echo "公开网站  http://$(HOST):$(PORT)/"
	@echo "管理后台  http://$(HOST):$(PORT)/admin/"
	@echo "党员学习  http://$(HOST):$(PORT)/member/"
	@echo "接口文档  http://$(HOST):$(PORT)/api/docs/"
	@if [ -n "$$EMAIL_HOST" ]; then echo "邮件      经 SMTP 发往 $$EMAIL_HOST:$${EMAIL_PORT:-25}"; else echo "邮件      打印在本终端，不会真正发出（设置 EMAIL_HOST/EMAIL_PORT 改用 SMTP 服务器）"; fi
	@echo "演示账号  editor（编辑）、reviewer（审核）、admin（管理员）、branch1（第一党支部编辑、支部书记）、member1 / activist1 / member3 / member2（党员：学习、问卷、咨询），密码均为 Dangjian@2026"
	@echo "按 Ctrl-C 停止网站和后台任务进程。"
	@# Both run in the background and the shell waits, so Ctrl-C reaches the trap at once
	@# and stops the server and the worker together.
	@trap 'trap - INT TERM EXIT; kill 0' INT TERM EXIT; \
	  $(BIN)/python manage.py worker & \
	  $(BIN)/python manage.py runserver --noreload $(HOST):$(PORT) & \
	  wait

# Browser tests need Debian's Chromium and a CJK font, and the search test runs the site's
# search code in Node.js (tests/build_scripts/test_search_index.py); install what is missing
# with apt (as root, or through sudo). A test fails rather than skips without them.
browser:
	@missing=""; \
	if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi 'WenQuanYi Micro Hei'; then missing="chromium fonts-wqy-microhei"; fi; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi; \
	  echo "apt-get install $$missing"; \
	  $$sudo apt-get update -qq && $$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# The production stack test (tests/deploy) runs Debian's nginx in front of gunicorn and
# syncs a release with rsync; install them when missing (the test starts its own nginx on
# 127.0.0.1).
nginx:
	@if [ ! -x /usr/sbin/nginx ] || [ ! -x /usr/bin/rsync ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx rsync >/dev/null; \
	  else sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx rsync >/dev/null; fi; \
	fi

# Both cores (pytest-xdist, one process per core). "--dist load" hands tests out in
# pytest-django's order, so in every process the tests that commit and flush the database
# (worker and browser tests) still run after those that roll back; grouping by file would
# mix them and leave later tests without the seeded home page. (Not "--dist loadgroup":
# it keys work by test id and silently ran 2 of the 79 schemathesis cases, which share
# their ids.) TEST_PROCESSES=0 runs in
# this process. Lint and format check first: they take seconds (the type check of
# build_scripts and the import-cycle check are tests).
TEST_PROCESSES ?= auto
# Tests create and delete many small files (site builds, git repositories, the SQLite test
# database): on tmpfs the suite ran in 11:18 instead of 16:43 on this kind of virtual disk
# (system time 1:41 instead of 10:14). /dev/shm is used when it is tmpfs with at least 2 GB
# (a run peaks at about 300 MB; a container's default 64 MB is not enough); otherwise $TMPDIR.
TEST_TMPDIR ?= $(shell df -Pk /dev/shm 2>/dev/null | awk 'NR == 2 && $$1 == "tmpfs" && $$4 > 2097152 {print "/dev/shm"}')
test: install browser nginx lint
	$(if $(TEST_TMPDIR),TMPDIR=$(TEST_TMPDIR) )$(BIN)/python -m pytest -q -n $(TEST_PROCESSES) --dist load --durations=40

check: install
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run

# Lint and format check (rules in pyproject.toml [tool.ruff]; the same as the pre-commit hooks).
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
