#!/usr/bin/env bash
# Restore govern from deploy/backup.sh's files, with the services stopped:
#   deploy/restore.sh DUMP [MEDIA_TAR]
# DATABASE_URL names the database to restore into: a new, empty one (createdb) is safest; MEDIA_ROOT
# the media directory. Then: migrate (the code may be newer than the backup) and a new live-event
# epoch, so that every open page resyncs instead of missing the events whose ids the restored
# database hands out a second time (docs/events.md §5). Start the services again afterwards.
set -euo pipefail
dump=${1:?usage: deploy/restore.sh DUMP [MEDIA_TAR]}
media=${2:-}
: "${DATABASE_URL:?DATABASE_URL is not set}"
cd "$(dirname "$0")/.."
pg_restore --no-owner --no-privileges --exit-on-error --dbname "$DATABASE_URL" "$dump"
.venv/bin/python manage.py migrate --noinput
.venv/bin/python manage.py live_new_epoch --reason "restored from $(basename "$dump")"
if [ -n "$media" ]; then
  : "${MEDIA_ROOT:?MEDIA_ROOT is not set}"
  mkdir -p "$MEDIA_ROOT"
  tar -C "$MEDIA_ROOT" -xzf "$media"
fi
echo "restored $(basename "$dump")${media:+ and $(basename "$media")}"
