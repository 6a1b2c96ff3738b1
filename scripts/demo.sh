#!/usr/bin/env bash
# Set up and run the demo: virtual environment, SQLite database, demo city, production server.
set -euo pipefail
source "$(dirname "$0")/_env.sh" requirements.txt
export WANGGE_DEBUG="${WANGGE_DEBUG:-0}"
# SMS copies of notifications go to the log in the demo (set it empty to turn SMS off).
export WANGGE_SMS_BACKEND="${WANGGE_SMS_BACKEND-wangge.notify.sms.LoggingSmsBackend}"
python manage.py migrate --noinput -v0
python manage.py collectstatic --noinput -v0
python manage.py demo_city --seed "${WANGGE_DEMO_SEED:-1}" --scale "${WANGGE_DEMO_SCALE:-small}"
bind="${WANGGE_BIND:-127.0.0.1:8000}"
# The task worker runs imports, notifications and sweeps in the background; it stops with the server.
python manage.py db_worker --interval 1 &
worker=$!
# The SLA sweep warns, marks breaches, escalates and takes door-knock problems every minute.
python manage.py sla_sweep --loop 60 &
sweep=$!
trap 'kill "$worker" "$sweep" 2>/dev/null || true' EXIT INT TERM
echo
echo "==> Wangge is running at http://$bind/  (Ctrl-C to stop)"
# One process per core, a few threads each (one waits on the database while another computes), and
# connections kept open between requests: the set-up docs/operations.md recommends and
# docs/benchmarks.md measures.
gunicorn config.wsgi --bind "$bind" --workers "${WANGGE_WORKERS:-2}" --worker-class gthread \
    --threads "${WANGGE_THREADS:-4}" --keep-alive 30 --access-logfile - --log-level warning
