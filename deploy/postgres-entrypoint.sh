#!/bin/sh
# The part of the official postgres image's entrypoint that compose relies on:
# on first start (an empty data folder) make the cluster with POSTGRES_USER
# (default postgres) and POSTGRES_PASSWORD, and the database POSTGRES_DB
# (default: the user's name); then run the server, listening on every address
# unless the command says otherwise (`postgres -c listen_addresses=...`).
set -eu
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD: the cluster is never made without a password}"
user="${POSTGRES_USER:-postgres}"
db="${POSTGRES_DB:-$user}"

if [ ! -s "$PGDATA/PG_VERSION" ]; then
  pwfile="$(mktemp)"
  printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
  # Local (socket) connections are trusted: only this container reaches the
  # socket. Over TCP every role needs its password.
  initdb --pgdata="$PGDATA" --username="$user" --pwfile="$pwfile" --encoding=UTF8 \
    --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
  echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
  if [ "$db" != postgres ]; then
    # Single-user mode: no server (nor port) is up yet.
    printf 'CREATE DATABASE "%s" OWNER "%s";\n' "$db" "$user" \
      | postgres --single -D "$PGDATA" postgres >/dev/null
  fi
  echo "postgres-entrypoint: made the cluster in $PGDATA (user $user, database $db)"
fi

# `postgres ARGS...` as the command, as with the official image.
[ "${1:-}" = postgres ] && shift
exec postgres -D "$PGDATA" "$@"
