#!/usr/bin/env bash
# The PostgreSQL benchmarks, beside SQLite's in the same run: the import of the three
# main files (one `ar import --dir`), aging, days-to-pay and single entries, on a
# local throwaway server with fsync on (scripts/pg-test-cluster.sh, PG_DURABLE=on).
#
#   scripts/bench-pg.sh            # 1,000,000 invoices
#   scripts/bench-pg.sh 100000     # a quicker look
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
data=bench-data/gen-$n
target=${CARGO_TARGET_DIR:-target}
[ "${target#/}" != "$target" ] || target=$(pwd)/$target
ar=$target/release/ar
cargo build --release --quiet
if [ ! -f "$data/corrections.csv" ]; then
    echo "generating $n invoices into $data ..."
    $ar demo --csv "$data" --invoices "$n" --seed 1 --end 2026-06-30 >/dev/null
fi
three=bench-data/three-$n
mkdir -p "$three"
for f in clients invoices payments; do ln -sf "$(pwd)/$data/$f.csv" "$three/$f.csv"; done
read -r client < <(awk -F, 'FNR > 1 { n[$2]++ } END { for (c in n) print n[c], c }' "$data/invoices.csv" |
    sort -n | awk '{ c[NR] = $2 } END { print c[int((NR + 1) / 2)] }')
export ar data three client
PG_DURABLE=on PG_OPTIONS="-c shared_buffers=256MB -c max_wal_size=4GB -c maintenance_work_mem=256MB" \
    scripts/pg-test-cluster.sh bash -c '
set -euo pipefail
stats=$(mktemp)
run() { # LABEL COMMAND...
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$stats" "$@" >/dev/null
    read -r secs kb <"$stats"
    printf "%-34s %-10s %8.2f s %6d MB\n" "$label" "$backend" "$secs" $((kb / 1024))
}
single() { # LABEL COMMAND...
    local label=$1 times=() start end; shift
    for _ in $(seq 20); do
        start=$EPOCHREALTIME; "$@" >/dev/null 2>&1; end=$EPOCHREALTIME
        times+=("$(( (${end/./} - ${start/./}) ))")
    done
    printf "%-34s %-10s %8.1f ms (median of 20)\n" "$label" "$backend" "$(printf "%s\n" "${times[@]}" | sort -n | sed -n 10p | awk "{ print \$1 / 1000 }")"
}
psql -q "$AR_TEST_PG" -c "CREATE DATABASE bench"
db=$(mktemp -d)/ledger.db
for backend in sqlite postgresql; do
    if [ $backend = sqlite ]; then export AR_DB=$db; else export AR_DB="${AR_TEST_PG% dbname=*} dbname=bench"; fi
    run "import --dir (3 files)" $ar import --dir "$three"
    run "aging as of the last day" $ar aging --as-of 2026-06-30
    run "days-to-pay (365-day window)" $ar days-to-pay --as-of 2026-06-30
    run "check" $ar check
    export AR_TODAY=2026-07-01
    single "add-invoice (median client)" $ar add-invoice --client "$client" --amount 10
    single "pay (median client)" $ar pay --client "$client" --amount 10
    unset AR_TODAY
done
'
