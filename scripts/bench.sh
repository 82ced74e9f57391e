#!/usr/bin/env bash
# Measures importing N sample profiles and refreshing a segment over them,
# each step timed by /usr/bin/time (wall time, CPU time, peak RSS), with the
# load average at the step's end. Usage:
#   scripts/bench.sh [N ...]        (default: 100000 1000000)
# Environment:
#   BENCH_PG_URL=postgres://...     measure on PostgreSQL instead of a fresh
#                                   SQLite file: a SCRATCH database, whose
#                                   public schema is dropped before each size
#   BENCH_IMPORT_ONLY=1             measure the two imports only
#   BENCH_DIR=/path                 where the data files go (default: a
#                                   temporary directory, removed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
if [ -n "${BENCH_DIR:-}" ]; then
  mkdir -p "$BENCH_DIR"
  work=$(mktemp -d -p "$BENCH_DIR")
else
  work=$(mktemp -d)
fi
trap 'rm -rf "$work"' EXIT
go build -o "$work/segbridge" ./cmd/segbridge
engine=sqlite
[ -z "${BENCH_PG_URL:-}" ] || engine=postgresql
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3), engine $engine"
for n in "${sizes[@]}"; do
  data="$work/data-$n"
  "$work/segbridge" demo-data --profiles "$n" --seed 42 --out "$work/p-$n.csv" >/dev/null
  measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r secs user sys kb <"$work/time"
    printf '%-9s %-26s %8.2f s  cpu %6.2f s  peak RSS %6.1f MB  load %5s | %s\n' "$n" "$label" "$secs" \
      "$(awk "BEGIN{print $user+$sys}")" "$(awk "BEGIN{print $kb/1024}")" "$(cut -d' ' -f1 /proc/loadavg)" "$(tail -n1 "$work/out")"
  }
  export SEGBRIDGE_DATA_DIR="$data"
  if [ -n "${BENCH_PG_URL:-}" ]; then
    psql "$BENCH_PG_URL" -q -c 'DROP SCHEMA public CASCADE' -c 'CREATE SCHEMA public' 2>/dev/null
    export SEGBRIDGE_DATABASE_URL="$BENCH_PG_URL"
  fi
  "$work/segbridge" profiles count >/dev/null # migrates, outside the measurement
  measure "import (new)" "$work/segbridge" import profiles "$work/p-$n.csv" --id id
  measure "re-import (unchanged)" "$work/segbridge" import profiles "$work/p-$n.csv" --id id
  if [ -n "${BENCH_IMPORT_ONLY:-}" ]; then
    rm -rf "$data" "$work/p-$n.csv"
    continue
  fi
  "$work/segbridge" segment create "VIP" --rule 'p.orders >= 10 && p.lifetime_value >= 500.0' >/dev/null
  measure "refresh (first)" "$work/segbridge" segment refresh VIP
  measure "refresh (nothing changed)" "$work/segbridge" segment refresh VIP
  "$work/segbridge" segment create "Czech" --rule 'p.country_code == "CZ"' >/dev/null
  measure "refresh (country, first)" "$work/segbridge" segment refresh Czech
  rm -rf "$data" "$work/p-$n.csv"
done
