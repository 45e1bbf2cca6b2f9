#!/bin/sh
# pg-test-cluster.sh COMMAND...: run COMMAND with AR_TEST_PG naming a throwaway
# PostgreSQL cluster (a temp directory, a unix socket only, no fsync), and remove
# the cluster afterwards. PostgreSQL refuses to run as root: as root the server runs
# as the `postgres` system user (which installing the package creates).
# PG_DURABLE=on keeps fsync (benchmarks); PG_OPTIONS adds server options.
set -eu
DURABLE=${PG_DURABLE:-off}
PG_OPTIONS=${PG_OPTIONS:-}
BIN=$(pg_config --bindir 2>/dev/null || true)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
[ -x "$BIN/initdb" ] || { echo "pg-test-cluster: no initdb (install postgresql)" >&2; exit 1; }
D=$(mktemp -d /tmp/ar-pg.XXXXXX)   # short: a socket path has at most ~107 bytes
as_server() {
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
if [ "$(id -u)" = 0 ]; then chown postgres: "$D"; fi
cleanup() {
    as_server "$BIN/pg_ctl" -D "$D/data" -m immediate -w -s stop >/dev/null 2>&1 || true
    rm -rf "$D"
}
trap cleanup EXIT INT TERM
as_server "$BIN/initdb" -D "$D/data" -U ar --auth=trust --no-sync -E UTF8 --no-locale >"$D/initdb.log"
as_server "$BIN/pg_ctl" -D "$D/data" -l "$D/server.log" -w -s \
    -o "-k $D -c listen_addresses= -c fsync=$DURABLE -c synchronous_commit=$DURABLE -c full_page_writes=$DURABLE -c max_connections=200 $PG_OPTIONS" start
export AR_TEST_PG="host=$D user=ar dbname=postgres"
echo "pg-test-cluster: PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') at $D"
status=0
"$@" || status=$?
exit $status
