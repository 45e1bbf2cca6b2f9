#!/usr/bin/env bash
# Cross-check every figure `ar aging` and `ar days-to-pay` print against an
# independent reference implementation of the ledger semantics
# (scripts/reference.py, written from the ledger-semantics spec only).
#
# Generates ledgers with ar's own generator (`ar demo --csv DIR`) for several
# seeds, sizes and client counts, imports each into a fresh temporary ledger,
# and compares the JSON reports field by field as exact decimal strings, for
# several as-of dates. Some generated clients have early-payment discounts
# (`2/10`), so spec rule 4 is exercised too.
#
#   scripts/crosscheck.sh [AR_BINARY]      (default: target/release/ar)
#   QUICK=1 scripts/crosscheck.sh          (small ledgers only)
#   SEED_BASE=100 scripts/crosscheck.sh    (the same cases on other seeds: each
#                                           case's --seed plus SEED_BASE)
#
# Exit status: 0 all agree, 1 a mismatch (each difference is printed), 2 setup error.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AR="${1:-$ROOT/target/release/ar}"
REF="$ROOT/scripts/reference.py"
[[ -x "$AR" ]] || { echo "crosscheck: no ar binary at $AR (cargo build --release)" >&2; exit 2; }

fail=0
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ar-crosscheck.XXXXXX")"
# Kept on a mismatch so the JSON can be inspected; KEEP=1 keeps it always.
trap '[[ $fail == 0 && -z "${KEEP:-}" ]] && rm -rf "$WORK" || echo "crosscheck: files kept in $WORK"' EXIT

# Every ledger is generated with its last day of activity on 2026-06-30 and 730
# days of invoices before it (issue dates from 2024-06-30), whatever today is.
GEN_SPAN=(--end 2026-06-30 --days 730)
# As-of dates: the end, a year earlier, a date before most entries, and one
# after the end (payments stop, invoices age on).
AS_OF_DATES=(2026-06-30 2025-06-30 2024-08-15 2027-01-31)

# name  `ar demo` options. Without --clients: the generator's default count (12
# below 1,000 invoices, else one per 40 invoices), a few of them with discount
# terms. The first five clients have none, so --clients 5 ledgers test rules 1-3
# alone; with --clients 6 the sixth (2/10) takes about a sixth of the invoices.
CASES=(
  "s1-2k        --seed 1 --invoices 2000"
  "s2-5k        --seed 2 --invoices 5000"
  "s3-20k       --seed 3 --invoices 20000"
  "s4-few-3k    --seed 4 --invoices 3000 --clients 5"
  "s5-few-10k   --seed 5 --invoices 10000 --clients 5"
  "s6-few-20k   --seed 6 --invoices 20000 --clients 5"
  "s7-500       --seed 7 --invoices 500"
  "s8-six-3k    --seed 8 --invoices 3000 --clients 6"
)
if [[ -n "${QUICK:-}" ]]; then
  CASES=("q1-500 --seed 1 --invoices 500" "q2-few --seed 2 --invoices 800 --clients 5")
fi

compare() {  # compare ACTUAL.json EXPECTED.json LABEL
  python3 - "$1" "$2" "$3" <<'PY'
import decimal, json, sys

actual_path, expected_path, label = sys.argv[1:4]
def load(path):
    with open(path) as f:
        return json.loads(f.read(), parse_float=decimal.Decimal)
try:
    actual = load(actual_path)
except ValueError as e:
    print(f"  {label}: ar printed invalid JSON: {e}")
    sys.exit(1)
expected = load(expected_path)
diffs = []

def text(v):
    # Exact decimal text as written in the JSON (Decimal keeps trailing zeros).
    return "null" if v is None else str(v) if not isinstance(v, str) else json.dumps(v)

def row_key(row):
    return tuple(row.get(k) for k in ("client", "currency") if k in row)

def walk(a, e, path):
    if isinstance(e, dict) and isinstance(a, dict):
        for k in e:
            if k not in a:
                diffs.append(f"{path}.{k}: missing in ar (reference {text(e[k]) if not isinstance(e[k], (dict, list)) else '...'})")
            else:
                walk(a[k], e[k], f"{path}.{k}")
        for k in a:
            if k not in e:
                diffs.append(f"{path}.{k}: extra field in ar")
    elif isinstance(e, list) and isinstance(a, list):
        if all(isinstance(x, dict) for x in e + a) and (e or a):
            am = {row_key(x): x for x in a}
            em = {row_key(x): x for x in e}
            for k, x in em.items():
                where = f"{path}[{'/'.join(map(str, k))}]"
                if k not in am:
                    diffs.append(f"{where}: row missing in ar (reference: "
                                 + ", ".join(f"{f}={text(v)}" for f, v in x.items()) + ")")
                else:
                    walk(am[k], x, where)
            for k, x in am.items():
                if k not in em:
                    diffs.append(f"{path}[{'/'.join(map(str, k))}]: extra row in ar ("
                                 + ", ".join(f"{f}={text(v)}" for f, v in x.items()) + ")")
            if not diffs and [row_key(x) for x in a] != [row_key(x) for x in e]:
                diffs.append(f"{path}: same rows in a different order")
        elif [text(x) for x in a] != [text(x) for x in e]:
            diffs.append(f"{path}: ar {a!r} reference {e!r}")
    else:
        if type(a) is not type(e) or text(a) != text(e):
            diffs.append(f"{path}: ar {text(a)}  reference {text(e)}")

walk(actual, expected, "")
if diffs:
    print(f"  {label}: {len(diffs)} difference(s)")
    for d in diffs[:40]:
        print(f"    {d}")
    if len(diffs) > 40:
        print(f"    ... and {len(diffs) - 40} more")
    sys.exit(1)
PY
}

checks=0
start=$SECONDS
for case in "${CASES[@]}"; do
  read -r name opts <<<"$case"
  if [[ -n "${SEED_BASE:-}" ]]; then
    seed="$(sed -E 's/.*--seed ([0-9]+).*/\1/' <<<"$opts")"
    opts="$(sed -E "s/--seed [0-9]+/--seed $((seed + SEED_BASE))/" <<<"$opts")"
    name="$name+$SEED_BASE"
  fi
  dir="$WORK/$name"
  mkdir -p "$dir"
  # shellcheck disable=SC2086
  if ! "$AR" demo --csv "$dir/data" $opts "${GEN_SPAN[@]}" >"$dir/demo.log" 2>&1; then
    echo "crosscheck: ar demo --csv failed for $name:" >&2; sed 's/^/    /' "$dir/demo.log" >&2
    exit 2
  fi
  export AR_DB="$dir/ledger.db"
  for kind in clients invoices payments; do
    if ! "$AR" import "$kind" "$dir/data/$kind.csv" >"$dir/import-$kind.log" 2>&1; then
      echo "FAIL $name: ar import $kind failed:"; sed 's/^/    /' "$dir/import-$kind.log" | head -20
      fail=1
      continue 2
    fi
  done
  for as_of in "${AS_OF_DATES[@]}"; do
    for report in aging days-to-pay; do
      checks=$((checks + 1))
      label="$name $report --as-of $as_of"
      out="$dir/ar-$report-$as_of.json"; ref="$dir/ref-$report-$as_of.json"
      if ! "$AR" "$report" --as-of "$as_of" --format json >"$out" 2>"$out.err"; then
        echo "FAIL $label: ar exited non-zero:"; sed 's/^/    /' "$out.err" | head -5
        fail=1; continue
      fi
      python3 "$REF" "$dir/data" --as-of "$as_of" --report "$report" >"$ref" \
        || { echo "crosscheck: reference.py failed on $label" >&2; exit 2; }
      if details="$(compare "$out" "$ref" "$label")"; then
        echo "ok   $label"
      else
        echo "FAIL $label   (ar demo --csv DIR $opts ${GEN_SPAN[*]}; ar: $out, reference: $ref)"
        echo "$details"
        fail=1
      fi
    done
  done
done
echo "crosscheck: $checks report(s) over ${#CASES[@]} ledger(s) in $((SECONDS - start)) s: $([[ $fail == 0 ]] && echo all agree || echo MISMATCH)"
exit $fail
