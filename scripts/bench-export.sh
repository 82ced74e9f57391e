#!/usr/bin/env bash
# Exports N sample profiles into a local sandbox Omnisend running at a time
# scale, then reports what the run cost: planning time, peak RSS of the
# exporting process, API requests against the minimum possible, the share of
# the rate budget used while sending, and the duration the same run would
# take at Omnisend's real limits. Usage:
#   scripts/bench-export.sh [--dialect 2026-03-15|v3] [--time-scale K] [N ...]
# (default: 2026-03-15, time scale 20, N = 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
dialect=2026-03-15
scale=20
sizes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dialect) dialect=$2; shift 2 ;;
    --time-scale) scale=$2; shift 2 ;;
    *) sizes+=("$1"); shift ;;
  esac
done
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
work=$(mktemp -d)
port=$((18000 + RANDOM % 1000))
# The sandbox runs under /usr/bin/time (for its peak RSS): stop the child.
stop_sandbox() { pkill -TERM -P "$sbpid" 2>/dev/null || true; wait "$sbpid" 2>/dev/null || true; sbpid=; }
cleanup() { [ -n "${sbpid:-}" ] && stop_sandbox; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/segbridge" ./cmd/segbridge
sb="$work/segbridge"
window_ms=$((60000 / scale))
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3); dialect $dialect; time scale ${scale}x (a 60 s window lasts ${window_ms} ms)"
printf '%-9s %9s %9s %10s %10s %8s %8s %11s %12s %10s\n' profiles contacts plan_s peak_MB requests minimum ratio budget_used real_minutes sandbox_MB
for n in "${sizes[@]}"; do
  /usr/bin/time -f "%M" -o "$work/sbrss" "$sb" sandbox --addr "127.0.0.1:$port" --time-scale "$scale" --batch-pace 1ms --batch-delay 100ms >"$work/sandbox.log" 2>&1 &
  sbpid=$!
  for _ in $(seq 1 50); do curl -fs "http://127.0.0.1:$port/_sandbox/stats" >/dev/null 2>&1 && break; sleep 0.1; done
  export SEGBRIDGE_DATA_DIR="$work/data-$n" SEGBRIDGE_OMNISEND_WINDOW="${window_ms}ms"
  "$sb" demo-data --profiles "$n" --seed 42 --out "$work/p-$n.csv" >/dev/null
  "$sb" import profiles "$work/p-$n.csv" --id id >/dev/null
  "$sb" segment create Everyone --rule 'has(p.email)' >/dev/null
  printf 'sandbox-key' >"$work/key"
  "$sb" connection create Bench --base-url "http://127.0.0.1:$port" --dialect "$dialect" --api-key-file "$work/key" \
    --export-user bench@example.com --consent-by bench --agree-to-notice >/dev/null
  "$sb" export create Bench --connection Bench --segment Everyone --map email=email --map first_name=first_name \
    --map last_name=last_name --map city=city --map postal_code=postal_code --map country=country_code --schedule manual >/dev/null
  /usr/bin/time -f "%M" -o "$work/rss" "$sb" export run Bench >"$work/run.out"
  "$sb" export runs Bench --output json >"$work/runs.json"
  stop_sandbox
  python3 - "$n" "$work/runs.json" "$work/rss" "$dialect" "$window_ms" "$work/sbrss" <<'PY'
import json, math, sys
n, runs, rss, dialect, window_ms = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
r = json.load(open(runs))[0]
c = r["Counts"]
size = 1000 if dialect == "v3" else 100
sent = c["added"] + c["updated"]
minimum = math.ceil(sent / size) + math.ceil(c["untagged"] / 250)
ms = c.get("step_ms", {})
send_s = ms.get("send", 0) / 1000
batches = math.ceil(sent / size)
budget_per_s = 360 / (window_ms / 1000)
used = (batches / send_s) / budget_per_s if send_s else 0
real_min = r["Requests"] / 360
peak = int(open(rss).read().split()[-1]) / 1024
print(f'{n:<9} {sent:>9} {ms.get("plan",0)/1000:>9.1f} {peak:>10.0f} {r["Requests"]:>10} {minimum:>8} {r["Requests"]/minimum:>8.3f} {used*100:>10.1f}% {real_min:>12.1f} {int(open(sys.argv[6]).read().split()[-1]) / 1024:>10.0f}')
PY
done
