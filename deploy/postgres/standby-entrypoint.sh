#!/usr/bin/env bash
# The standby: on first start (an empty data directory) clone the primary with pg_basebackup -R,
# which also writes standby.signal and primary_conninfo; then start as the image always does. On
# later starts the clone is there and it simply resumes streaming through its slot.
set -euo pipefail

PRIMARY_HOST="${PRIMARY_HOST:-db}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 700 "$PGDATA"
  until pg_isready -h "$PRIMARY_HOST" -p 5432 -U replicator -q; do sleep 1; done
  PGPASSWORD="${REPLICATION_PASSWORD:-replicator}" gosu postgres pg_basebackup \
    -h "$PRIMARY_HOST" -p 5432 -U replicator -D "$PGDATA" \
    -R -X stream -S standby1 -c fast \
    -d "application_name=standby1"
fi
# Feedback keeps replay from cancelling long reads (exports) that the primary would have let finish.
exec docker-entrypoint.sh postgres -c hot_standby_feedback=on
