#!/usr/bin/env bash
# The benchmarks the README names: bulk import, reports, export and single entries
# on a generated ledger, timed as whole commands (wall clock and peak memory).
#
#   scripts/bench.sh              # 1,000,000 invoices (the issues' targets)
#   scripts/bench.sh 100000       # a quicker look
#
# The ledger comes from ar's own generator (`ar demo --csv`, deterministic per seed).
# Needs GNU time (/usr/bin/time; Debian package `time`) and, for the baseline row,
# sqlite3. Data and ledgers go to bench-data/ (git-ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
data=bench-data/gen-$n
db=bench-data/ledger-$n.db
ar=${CARGO_TARGET_DIR:-target}/release/ar
export AR_DB=$db

cargo build --release --quiet
if [ ! -f "$data/corrections.csv" ]; then
    echo "generating $n invoices into $data ..."
    $ar demo --csv "$data" --invoices "$n" --seed 1 --end 2026-06-30 >/dev/null
fi
# Single entries are timed for a client of the median size and for the largest one:
# a replay reads the client's invoices, so a client's size is what an entry costs.
read -r client big < <(awk -F, 'FNR > 1 { n[$2]++ } END { for (c in n) print n[c], c }' "$data/invoices.csv" |
    sort -n | awk '{ c[NR] = $2 } END { print c[int((NR + 1) / 2)], c[NR] }')
rm -f "$db" "$db-wal" "$db-shm"
stats=$(mktemp)
trap 'rm -f "$stats"' EXIT

run() { # LABEL TARGET COMMAND...
    local label=$1 target=$2
    shift 2
    /usr/bin/time -f "%e %M" -o "$stats" "$@" >/dev/null
    read -r secs kb <"$stats"
    printf "%-44s %8.2f s %6d MB   %s\n" "$label" "$secs" $((kb / 1024)) "$target"
}

echo "ledger: $(wc -l <"$data/invoices.csv") invoice rows, $(wc -l <"$data/payments.csv") payment rows; $(nproc) cores"
printf "%-44s %10s %9s   %s\n" "command" "time" "peak" "target"
if command -v sqlite3 >/dev/null; then
    base=$(mktemp -d)
    run "baseline: sqlite3 .import into text tables" "-" \
        sqlite3 "$base/b.db" ".mode csv" ".import $data/clients.csv c" ".import $data/invoices.csv i" ".import $data/payments.csv p"
    rm -rf "$base"
fi
run "import clients" "" $ar import clients "$data/clients.csv"
run "import invoices" "" $ar import invoices "$data/invoices.csv"
run "import payments" "3 imports < 8 s, < 200 MB" $ar import payments "$data/payments.csv"
run "import corrections (a few percent adjusted)" "" $ar import corrections "$data/corrections.csv"
run "aging as of the last day (2026-06-30)" "< 0.5 s, < 100 MB" $ar aging --as-of 2026-06-30
run "aging a year earlier (2025-06-30)" "< 1.5 s, < 100 MB" $ar aging --as-of 2025-06-30
run "aging --format json" "" $ar aging --as-of 2026-06-30 --format json
run "days-to-pay (365-day window)" "< 1 s, < 100 MB" $ar days-to-pay --as-of 2026-06-30
run "days-to-pay --by month --window 730" "" $ar days-to-pay --as-of 2026-06-30 --by month --window 730
out=$(mktemp -d)
run "export --dir" "< 5 s" $ar export --dir "$out"
run "export --format json" "" $ar export --format json
rm -rf "$out"
run "check (every client replayed afresh)" "" $ar check
run "add-invoice on the full ledger (its memory)" "" env AR_TODAY=2026-07-01 $ar add-invoice --client "$client" --amount 10
run "pay on the full ledger (its memory)" "" env AR_TODAY=2026-07-01 $ar pay --client "$client" --amount 10
# Single entries are durable (synchronous=FULL): the median of 20 of each, timed
# with the shell's own clock (no process but ar's own is started in the timing).
export AR_TODAY=2026-07-01
single() { # LABEL TARGET COMMAND...
    local label=$1 target=$2 times=() start end
    shift 2
    for _ in $(seq 20); do
        start=$EPOCHREALTIME
        "$@" >/dev/null 2>&1
        end=$EPOCHREALTIME
        times+=("$(( (${end/./} - ${start/./}) ))")
    done
    printf "%-44s %8.1f ms (median of 20)   %s\n" "$label" "$(printf '%s\n' "${times[@]}" | sort -n | sed -n 10p | awk '{ print $1 / 1000 }')" "$target"
}
single "process start (ar --version)" "" $ar --version
single "add-invoice ($client, median size)" "< 10 ms" $ar add-invoice --client "$client" --amount 10
single "pay ($client, median size)" "< 10 ms" $ar pay --client "$client" --amount 10
single "add-invoice ($big, the largest client)" "< 10 ms" $ar add-invoice --client "$big" --amount 10
single "pay ($big, the largest client)" "< 10 ms" $ar pay --client "$big" --amount 10
single "credit-note ($big, the largest client)" "" $ar credit-note --client "$big" --amount 1
