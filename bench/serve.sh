#!/usr/bin/env bash
# Whole-process load test of `weft serve`: POST /vfs/execute (read_file) on
# loopback with wrk -t2 at 8 and 32 connections, against a bare asyncio
# server over a dict as the yardstick, both measured in this one run.
# Budget (issue 2): >= 40,000 calls/s and p50 <= 0.3 ms on 2 cores, load
# generator included, on a machine where the asyncio server does 27,000 at
# 32 connections (i.e. 1.48x of it); machines differ, so the ratio is what
# carries over. By Little's law 40,000 calls/s at 32 connections is a
# mean of 0.8 ms, so the p50 budget is read at 8 connections.
#
# usage: bench/serve.sh [seconds]   (needs wrk: apt-get install wrk)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft=${WEFT:-target/release/weft}
port=3917; base_port=3918
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT

"$weft" serve --listen 127.0.0.1:$port 2>"$out/serve.log" &
python3 bench/baseline_server.py $base_port &
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/health >/dev/null && break; sleep 0.1; done
curl -sf -XPOST -H "content-type: application/json" http://127.0.0.1:$port/vfs/execute \
  -d '{"session_id":"bench","tool":"write_file","args":{"file_path":"config.json","content":"{\"debug\": true}"}}' >/dev/null

run() { # url -> "rps p50_ms p99_ms"
  wrk -t2 -c"${conns:-32}" -d2s --latency -s bench/post-read-file.lua "$1" >/dev/null
  wrk -t2 -c"${conns:-32}" -d"${secs}s" --latency -s bench/post-read-file.lua "$1" >"$out/wrk.txt"
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$out/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$out/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$out/wrk.txt")
  echo "$rps $(to_ms "$p50") $(to_ms "$p99")"
}
to_ms() { # wrk prints 123.45us / 1.23ms / 1.00s
  case "$1" in
    *us) awk -v v="${1%us}" 'BEGIN {printf "%.3f", v/1000}' ;;
    *ms) awk -v v="${1%ms}" 'BEGIN {printf "%.3f", v}' ;;
    *s)  awk -v v="${1%s}" 'BEGIN {printf "%.3f", v*1000}' ;;
  esac
}

for conns in ${CONNS:-8 32}; do
  read -r w_rps w_p50 w_p99 < <(run "http://127.0.0.1:$port/vfs/execute")
  read -r b_rps b_p50 b_p99 < <(run "http://127.0.0.1:$base_port/vfs/execute")
  echo "wrk -t2 -c$conns, ${secs}s each:"
  printf '  %-34s %12s %10s %10s\n' "server" "calls/s" "p50 ms" "p99 ms"
  printf '  %-34s %12.0f %10s %10s\n' "weft serve (wasm, fresh instance)" "$w_rps" "$w_p50" "$w_p99"
  printf '  %-34s %12.0f %10s %10s\n' "bare asyncio dict server" "$b_rps" "$b_p50" "$b_p99"
  awk -v w="$w_rps" -v b="$b_rps" 'BEGIN {printf "  ratio weft/baseline: %.2fx throughput\n", w/b}'
  awk -v w="$w_rps" -v p="$w_p50" 'BEGIN {printf "  budget: %.2fx of 40,000 calls/s; p50 %.3f ms of 0.3 ms\n", w/40000, p}'
  # The issue sets the budget on a machine where this asyncio server does
  # 27,000 calls/s: the same ratio there.
  awk -v w="$w_rps" -v b="$b_rps" 'BEGIN {printf "  on the issue'"'"'s machine (asyncio 27,000): ~%.0f calls/s, %.2fx of 40,000\n", 27000*w/b, 27000*w/b/40000}'
done
