#!/usr/bin/env bash
# Where the CPU of a loaded call goes: `weft serve` and the bare asyncio
# server (bench/baseline_server.py) under the same wrk load, in alternating
# rounds, each reported as calls/s, p50, and CPU per call of the server
# (/proc/PID/stat) and of wrk itself (/usr/bin/time), plus context switches
# per call machine-wide. On 2 cores the two CPU figures added up bound the
# throughput: 2 s of CPU per second / (server + wrk) per call.
#
# usage: bench/cpu-per-call.sh [rounds] [seconds] [connections]
#        WEFT_ENV="WEFT_WORKERS=1" bench/cpu-per-call.sh   # weft with other settings
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-5}; conns=${3:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft_port=3927; base_port=3928
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# shellcheck disable=SC2086
env ${WEFT_ENV:-} target/release/weft serve --listen 127.0.0.1:$weft_port 2>/dev/null &
weft_pid=$!
python3 bench/baseline_server.py $base_port &
base_pid=$!
for _ in $(seq 50); do curl -sf http://127.0.0.1:$weft_port/health >/dev/null && break; sleep 0.1; done
curl -sf -XPOST -H "content-type: application/json" http://127.0.0.1:$weft_port/vfs/execute \
  -d '{"session_id":"bench","tool":"write_file","args":{"file_path":"config.json","content":"{\"debug\": true}"}}' >/dev/null

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { awk '/^ctxt/ {print $2}' /proc/stat; }
hz=$(getconf CLK_TCK)

measure() { # name port pid
  local name=$1 port=$2 pid=$3 c0 c1 x0 x1 out
  wrk -t2 -c"$conns" -d2s -s bench/post-read-file.lua "http://127.0.0.1:$port/vfs/execute" >/dev/null
  c0=$(cpu_ticks "$pid"); x0=$(switches)
  out=$( { /usr/bin/time -f "WRK_CPU %U %S" wrk -t2 -c"$conns" -d"${secs}s" --latency \
      -s bench/post-read-file.lua "http://127.0.0.1:$port/vfs/execute"; } 2>&1)
  c1=$(cpu_ticks "$pid"); x1=$(switches)
  echo "$out" | awk -v name="$name" -v secs="$secs" -v hz="$hz" -v server=$((c1 - c0)) -v ctx=$((x1 - x0)) '
    /Requests\/sec/ { rps = $2 }
    $1 == "50%" { p50 = $2 }
    /WRK_CPU/ { wrk = $2 + $3 }
    END {
      calls = rps * secs
      printf "  %-8s %8.0f calls/s  p50 %-9s server %5.1f us/call  wrk %5.1f us/call  %4.2f switches/call\n",
        name, rps, p50, server / hz * 1e6 / calls, wrk * 1e6 / calls, ctx / calls
    }'
}

echo "wrk -t2 -c$conns, ${secs}s rounds"
for round in $(seq "$rounds"); do
  echo "round $round"
  measure weft $weft_port $weft_pid
  measure asyncio $base_port $base_pid
done
