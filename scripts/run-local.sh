#!/usr/bin/env bash
# Serves ICP Portal locally: Django's development server on 127.0.0.1:$PORT and a Celery worker
# with embedded beat, side by side in the foreground. Ctrl-C or SIGTERM stops both; when either
# one exits, the other is stopped too and the script exits with the first one's status.
# `make run` prepares the database and assets first; run this directly only after that.
set -euo pipefail
cd "$(dirname "$0")/.."

export PORT="${PORT:-8000}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-icp_portal.settings.local}"
bin="${VENV:-.venv}/bin"
mkdir -p var

pids=()

stop_all() {
  trap - INT TERM HUP
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # Give the worker up to 20 s for a warm shutdown (embedded beat takes ~8 s), then make sure
  # nothing is left behind.
  local tries
  for ((tries = 0; tries < 40; tries++)); do
    local alive=0
    for pid in "${pids[@]}"; do
      kill -0 "$pid" 2>/dev/null && alive=1
    done
    [ "$alive" -eq 0 ] && return 0
    sleep 0.5
  done
  for pid in "${pids[@]}"; do
    kill -KILL "$pid" 2>/dev/null || true
  done
}

trap 'stop_all; wait; exit 130' INT
trap 'stop_all; wait; exit 143' TERM
trap 'stop_all; wait; exit 129' HUP

# The worker gets a process group of its own (set -m) so that a signal sent to the whole
# foreground group reaches only its main process, through stop_all: Celery hangs in its warm
# shutdown when its pool children are signalled directly as well.
set -m
"$bin/celery" -A icp_portal worker -B -l info --concurrency 2 \
  --schedule var/celerybeat-schedule &
pids+=("$!")
set +m

"$bin/python" manage.py runserver "127.0.0.1:${PORT}" &
pids+=("$!")

echo "run-local: ICP Portal on http://127.0.0.1:${PORT}/ (Ctrl-C stops the server and the worker)"

set +e
wait -n
status=$?
set -e
stop_all
wait
exit "$status"
