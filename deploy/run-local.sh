#!/usr/bin/env bash
# `make run-services`: the whole services stack on this machine with production settings (debug
# off, JSON logs, collected static files) from deploy/Procfile, for trying production mode locally.
# Needs PostgreSQL and Redis on 127.0.0.1 (the same ones `make test-services` uses). Without TLS in
# front, so secure cookies and the HTTPS redirect are off. http://127.0.0.1:8001 and :8002.
# Settings: var/services.env, written once (edit it freely; delete it to start over).
set -euo pipefail
cd "$(dirname "$0")/.."
env_file=var/services.env
if [ ! -f "$env_file" ]; then
  mkdir -p var
  {
    grep -v -E '^(DJANGO_ALLOWED_HOSTS|DJANGO_SECURE_SSL_REDIRECT|NUM_PROXIES|DATABASE_URL|REDIS_URL|GOVERN_VAR_DIR|MEDIA_ROOT|PHOTO_QUARANTINE_ROOT|STATIC_ROOT|LOG_FORMAT)=' deploy/env.example
    echo "DJANGO_ALLOWED_HOSTS=localhost,127.0.0.1"
    echo "DJANGO_SECURE_SSL_REDIRECT=0"
    echo "DJANGO_SECURE_COOKIES=0"
    echo "DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/govern_services}"
    echo "REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/1}"
    echo "GOVERN_VAR_DIR=$PWD/var/services"
    echo "MEDIA_ROOT=$PWD/var/services/media"
    echo "PHOTO_QUARANTINE_ROOT=$PWD/var/services/quarantine"
    echo "STATIC_ROOT=$PWD/var/services/static"
    echo "LOG_FORMAT=text"
    echo "DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')"
  } > "$env_file"
  chmod 600 "$env_file"
  echo "wrote $env_file"
fi
set -a; . "./$env_file"; set +a
.venv/bin/python - <<'PY'
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as conn:
    if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        conn.execute(f'CREATE DATABASE "{name}"')
        print(f"created database {name}")
PY
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py collectstatic --noinput -v0
.venv/bin/python manage.py seed_demo
echo "govern (services mode): http://127.0.0.1:${GOVERN_WEB1_PORT:-8001}/ and :${GOVERN_WEB2_PORT:-8002}; Ctrl-C stops everything"
exec .venv/bin/honcho start -f deploy/Procfile
