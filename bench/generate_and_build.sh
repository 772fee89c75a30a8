#!/bin/sh
# Measure `generate` and `build` at one scale: wall time and peak memory (GNU time).
#   bench/generate_and_build.sh tiny|demo|national [folder]
# Prints one Markdown table row per command, ready for docs/benchmarks.md.
set -e
scale="${1:?scale: tiny, demo or national}"
folder="${2:-/tmp/pilotage-bench-$scale}"
python="${PYTHON:-.venv/bin/python}"
rm -rf "$folder" && mkdir -p "$folder"
export PILOTAGE_DATABASE_URL="duckdb:///$folder/pilotage.duckdb"

measure() {
    /usr/bin/time -v "$python" -m dashboard "$@" 2>"$folder/time.log" >"$folder/out.log"
    wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$folder/time.log")
    peak=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$folder/time.log")
    echo "| $scale | $1 | $wall | $((peak / 1024)) MB | $(cat "$folder/out.log") |"
}

measure generate --scale "$scale"
measure build
echo "| $scale | database file | | | $(du -h "$folder/pilotage.duckdb" | cut -f1) |"
