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
  trap - INT TERM
  local pid
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null || true
  done
  # Give the worker time for a warm shutdown, then make sure nothing is left behind.
  for _ in $(seq 1 20); do
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

"$bin/celery" -A icp_portal worker -B -l info --concurrency 2 \
  --schedule var/celerybeat-schedule &
pids+=("$!")

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
