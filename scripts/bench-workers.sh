#!/usr/bin/env bash
# Runs four exports to two sandbox brands (two exports per brand, of
# different sizes) on 1, 2 and 3 `segbridge worker` processes sharing one
# PostgreSQL database, and reports the total throughput (contacts/s and
# requests/s at the sandbox's time scale, and what that is at Omnisend's
# real limits) with each brand's busiest rate window against its budget.
# Usage:
#   scripts/bench-workers.sh [--db postgres://…] [--time-scale K] [--profiles N]
#                            [--budget B] [--brands 1|2] [WORKERS ...]
# (defaults: $SEGBRIDGE_TEST_DATABASE_URL or postgres://postgres@127.0.0.1:5432/test?sslmode=disable,
#  time scale 30, 40000 profiles, budget 360 requests per brand and window
#  (the sandbox's limit is set to budget/0.9, 400 at the default), 2 brands,
#  workers 1 2 3). --brands 1 sends all four exports to one brand, to
# compare. A small --budget makes the budget, not this machine, the
# bottleneck. Each worker works 2 jobs at once. Every worker count gets a
# fresh schema, dropped afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
db=${SEGBRIDGE_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
scale=30
profiles=40000
budget=360
brands=2
counts=()
while [ $# -gt 0 ]; do
  case "$1" in
    --db) db=$2; shift 2 ;;
    --time-scale) scale=$2; shift 2 ;;
    --profiles) profiles=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --brands) brands=$2; shift 2 ;;
    *) counts+=("$1"); shift ;;
  esac
done
[ ${#counts[@]} -gt 0 ] || counts=(1 2 3)
work=$(mktemp -d)
port=$((19000 + RANDOM % 1000))
pids=()
schema=
stop_all() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
drop_schema() { [ -n "$schema" ] && psql -q "$db" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1; schema=; }
cleanup() { stop_all; drop_schema; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/segbridge" ./cmd/segbridge
sb="$work/segbridge"
"$sb" demo-data --profiles "$profiles" --seed 42 --out "$work/profiles.csv" >/dev/null
window_ms=$((60000 / scale))
sep='?'; case "$db" in *\?*) sep='&' ;; esac
export SEGBRIDGE_MASTER_KEY=MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY= SEGBRIDGE_OMNISEND_WINDOW="${window_ms}ms" \
  SEGBRIDGE_OMNISEND_BUDGET="$budget"
limit=$((budget * 400 / 360))
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(go version | cut -d' ' -f3); $profiles profiles;" \
  "time scale ${scale}x (a 60 s window lasts ${window_ms} ms); budget $budget per brand and window (sandbox limit $limit); $brands brand(s)"
printf '%-7s %9s %9s %10s %10s %12s %12s %16s %16s\n' workers contacts seconds contacts/s requests/s busiest_a busiest_b real_contacts/s real_requests/s
for n in "${counts[@]}"; do
  schema="bench_workers_$$_$n"
  psql -q "$db" -c "CREATE SCHEMA $schema" >/dev/null
  export SEGBRIDGE_DATABASE_URL="$db${sep}search_path=$schema" SEGBRIDGE_DATA_DIR="$work/data-$n"
  "$sb" sandbox --addr "127.0.0.1:$port" --time-scale "$scale" --rate-limit "$limit" --key key-a:brand-a --key key-b:brand-b >"$work/sandbox.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/_sandbox/stats" >/dev/null 2>&1 && break; sleep 0.1; done
  "$sb" import profiles "$work/profiles.csv" --id id >/dev/null
  for b in a b; do
    printf 'key-%s' "$b" >"$work/key"
    "$sb" connection create "Brand $b" --base-url "http://127.0.0.1:$port" --api-key-file "$work/key" \
      --export-user bench@example.com --consent-by bench --agree-to-notice >/dev/null
  done
  i=0
  for spec in "a:p.orders == 0" "a:p.orders >= 1 && p.orders <= 2" "b:p.orders >= 3 && p.orders <= 4" "b:p.orders >= 5"; do
    i=$((i + 1)); b=${spec%%:*}; rule=${spec#*:}
    [ "$brands" = 1 ] && b=a
    "$sb" segment create "S$i" --rule "$rule" >/dev/null
    "$sb" export create "E$i" --connection "Brand $b" --segment "S$i" --map email=email --map first_name=first_name \
      --map last_name=last_name --map city=city --map postal_code=postal_code --map country=country_code --schedule manual >/dev/null
  done
  # The connections' key checks (outside the brands' budgets: the brand is
  # not known yet) must leave the sandbox's window before the runs start.
  sleep "$(python3 -c "print($window_ms / 1000 * 1.1)")"
  for _ in $(seq 1 "$n"); do
    "$sb" worker --concurrency 2 >>"$work/workers.log" 2>&1 &
    pids+=($!)
  done
  start=$(date +%s.%N)
  for i in 1 2 3 4; do "$sb" export run "E$i" --no-wait >/dev/null; done
  while :; do
    done_runs=0
    for i in 1 2 3 4; do
      "$sb" export runs "E$i" --output json >"$work/runs-$i.json"
      python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))[0]; sys.exit(0 if r["Status"] in ("succeeded","failed","cancelled") else 1)' "$work/runs-$i.json" \
        && done_runs=$((done_runs + 1))
    done
    [ "$done_runs" = 4 ] && break
    sleep 0.2
  done
  end=$(date +%s.%N)
  curl -fs "http://127.0.0.1:$port/_sandbox/stats" >"$work/stats.json"
  stop_all
  drop_schema
  python3 - "$n" "$start" "$end" "$scale" "$work" "$budget" "$brands" <<'PY'
import json, sys
n, start, end, scale, work = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), sys.argv[5]
budget, brands = int(sys.argv[6]), int(sys.argv[7])
contacts = 0
for i in range(1, 5):
    r = json.load(open(f"{work}/runs-{i}.json"))[0]
    if r["Status"] != "succeeded":
        sys.exit(f"run of E{i}: {r['Status']}: {r.get('Message')}")
    contacts += r["Counts"]["added"] + r["Counts"]["updated"]
st = json.load(open(f"{work}/stats.json"))["brands"]
requests = sum(b["limits"]["general"]["admitted"] + b["limits"].get("tags", {}).get("admitted", 0) for b in st.values())
secs = end - start
busiest = {k: st[k]["limits"]["general"]["busiestWindow"] for k in st}
# At Omnisend's real limits the same work is paced by the budget: 360
# requests per minute per brand (6/s), each request carrying
# contacts/requests contacts on average; two brands double it.
real_req = brands * 360 / 60
real_contacts = real_req * contacts / requests
over = [k for k, v in busiest.items() if v > budget]
print(f"{n:<7} {contacts:>9} {secs:>9.1f} {contacts/secs:>10.0f} {requests/secs:>10.1f} {busiest.get('brand-a',0):>8}/{budget} {busiest.get('brand-b',0):>8}/{budget} {real_contacts:>16.1f} {real_req:>16.2f}")
if over:
    sys.exit(f"busiest window over the budget: {over}")
PY
done
