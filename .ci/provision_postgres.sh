#!/usr/bin/env bash
# Provision a real PostgreSQL for the leaderboard tests: install Debian's postgresql if missing, start a
# cluster listening on 127.0.0.1:5432 only, and create the role/database the tests use by default
# (postgresql+psycopg://agentgym:agentgym@127.0.0.1:5432/agentgym_test; override with AGENTGYM_TEST_PG_URL).
# Idempotent: re-running it on a provisioned machine changes nothing.
set -euo pipefail

if ! command -v pg_lsclusters >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq postgresql >/dev/null
fi

# the newest installed major version, and its first cluster (Debian creates "main" on install)
version="$(ls /usr/lib/postgresql | sort -n | tail -1)"
cluster="$(pg_lsclusters -h | awk -v v="$version" '$1 == v {print $2; exit}')"
if [ -z "$cluster" ]; then
  cluster=main
  pg_createcluster "$version" "$cluster" -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
fi
conf="/etc/postgresql/$version/$cluster/postgresql.conf"
if ! grep -q "^listen_addresses = '127.0.0.1'" "$conf"; then
  echo "listen_addresses = '127.0.0.1'" >> "$conf"
fi
if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1 == v && $2 == c {print $4}' | grep -q online; then
  pg_ctlcluster "$version" "$cluster" start
fi

psql_admin() { su postgres -c "psql -v ON_ERROR_STOP=1 -qtAX -p 5432 $*"; }
for _ in $(seq 1 30); do
  psql_admin "-c 'select 1'" >/dev/null 2>&1 && break
  sleep 1
done
if [ "$(psql_admin "-c \"select 1 from pg_roles where rolname = 'agentgym'\"")" != "1" ]; then
  psql_admin "-c \"create role agentgym login createdb password 'agentgym'\""
fi
if [ "$(psql_admin "-c \"select 1 from pg_database where datname = 'agentgym_test'\"")" != "1" ]; then
  psql_admin "-c 'create database agentgym_test owner agentgym'"
fi
echo "PostgreSQL $version/$cluster ready on 127.0.0.1:5432 (database agentgym_test, role agentgym)"
