#!/usr/bin/env bash
# Back govern up: the database (pg_dump, custom format) and the media (MEDIA_ROOT as a tar).
#   deploy/backup.sh DIRECTORY      (reads DATABASE_URL and MEDIA_ROOT from the environment)
# Prints the two files it wrote. The database goes first: every photo a dumped row names is on disk
# by then, so the media tar, taken after, holds them all (and maybe a few newer, harmless files).
# With MEDIA_S3_BUCKET the photos are in the bucket: keep it versioned or replicated instead.
set -euo pipefail
dest=${1:?usage: deploy/backup.sh DIRECTORY}
: "${DATABASE_URL:?DATABASE_URL is not set}"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$dest"
pg_dump --format=custom --no-owner --no-privileges --file "$dest/govern-$stamp.dump" "$DATABASE_URL"
echo "$dest/govern-$stamp.dump"
if [ -z "${MEDIA_S3_BUCKET:-}" ]; then
  : "${MEDIA_ROOT:?MEDIA_ROOT is not set}"
  tar -C "$MEDIA_ROOT" -czf "$dest/govern-media-$stamp.tar.gz" .
  echo "$dest/govern-media-$stamp.tar.gz"
fi
