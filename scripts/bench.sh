#!/usr/bin/env bash
# Measures importing N sample profiles and refreshing a segment over them, on
# a fresh SQLite database in a temporary directory, with wall time and peak RSS from /usr/bin/time. Usage:
#   scripts/bench.sh [N ...]        (default: 100000 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@")
[ ${#sizes[@]} -gt 0 ] || sizes=(100000 1000000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
go build -o "$work/segbridge" ./cmd/segbridge
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB, $(go version | cut -d' ' -f3)"
for n in "${sizes[@]}"; do
  data="$work/data-$n"
  "$work/segbridge" demo-data --profiles "$n" --seed 42 --out "$work/p-$n.csv" >/dev/null
  measure() { # label, command...
    local label=$1; shift
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || { cat "$work/err"; exit 1; }
    read -r secs kb <"$work/time"
    printf '%-9s %-34s %8.2f s  peak RSS %6.1f MB  | %s\n' "$n" "$label" "$secs" "$(awk "BEGIN{print $kb/1024}")" "$(tail -n1 "$work/out")"
  }
  export SEGBRIDGE_DATA_DIR="$data"
  measure "import (new)" "$work/segbridge" import profiles "$work/p-$n.csv" --id id
  measure "re-import (unchanged)" "$work/segbridge" import profiles "$work/p-$n.csv" --id id
  "$work/segbridge" segment create "VIP" --rule 'p.orders >= 10 && p.lifetime_value >= 500.0' >/dev/null
  measure "refresh (first)" "$work/segbridge" segment refresh VIP
  measure "refresh (nothing changed)" "$work/segbridge" segment refresh VIP
  "$work/segbridge" segment create "Czech" --rule 'p.country_code == "CZ"' >/dev/null
  measure "refresh (country, first)" "$work/segbridge" segment refresh Czech
done
