#!/usr/bin/env bash
# Runs once, when the primary's data directory is first made (/docker-entrypoint-initdb.d): a role
# that may stream WAL, a physical slot that keeps the standby's WAL until it has it, and a pg_hba
# line letting that role connect for replication. postgres:15's defaults already suit streaming
# (wal_level=replica, max_wal_senders=10, hot_standby=on).
set -euo pipefail

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v password="${REPLICATION_PASSWORD:-replicator}" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'password';
SELECT pg_create_physical_replication_slot('standby1');
SQL

echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
