#!/usr/bin/env bash
# Prints a PostgreSQL URL for the tests: the local server if one runs, else one installed and
# started from Debian's packages. Exits non-zero when no server can be reached.
set -euo pipefail

reachable() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }

if ! command -v pg_isready >/dev/null || ! reachable; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  fi
  for cluster in /etc/postgresql/*/main; do
    version=$(basename "$(dirname "$cluster")")
    pg_ctlcluster --skip-systemctl-redirect "$version" main start >&2 || true
  done
  for _ in $(seq 1 30); do reachable && break; sleep 1; done
fi
reachable || { echo "PostgreSQL cannot be reached on 127.0.0.1:5432" >&2; exit 1; }

# Trust auth where the machine set it up; otherwise give the postgres role a password.
if ! psql -h 127.0.0.1 -U postgres -d postgres -tAc 'SELECT 1' >/dev/null 2>&1; then
  su postgres -c "psql -q -c \"ALTER USER postgres PASSWORD 'postgres'\"" >&2
  export PGPASSWORD=postgres
fi
database="store_ci_$$"
psql -q -h 127.0.0.1 -U postgres -d postgres -c "CREATE DATABASE $database" >&2
echo "postgresql+psycopg://postgres:${PGPASSWORD:-}@127.0.0.1:5432/$database"
