#!/usr/bin/env bash
# `weft generate` from 16 to 10,000 samples in flight against the fake
# OpenAI-compatible LLM at a fixed latency: wall time against the floor (the
# critical path of LLM calls: waves × 5 calls × latency), CPU per sample,
# peak RSS per sample in flight, and LLM requests/s. Rows speak HTTP/1.1
# (one connection per request in flight, as to vLLM or Ollama) or HTTP/2 (up
# to 100 requests per connection, as to a hosted API; the fake speaks h2c).
# Each protocol's first row is batch 16 at zero latency: the CPU per sample
# its other rows are compared with.
#
#   bench/sweep.sh                       # 16 → 10,000 in flight, 200 ms, both protocols
#   ROWS="16:2000:0:2 1000:2000:200:2" bench/sweep.sh   # batch:samples:latency_ms[:http 1.1|2]
#   NO_BUILD=1 bench/sweep.sh
#   REPEAT=3 bench/sweep.sh              # each row 3 times: the run of median CPU, and the spread
#
# This machine's run-to-run noise is ±15%: with REPEAT, a row shows the run
# whose CPU per sample is the median, and the min–max of CPU per sample.
#
# SPLIT=1 gives the fake LLM a core of its own, as if the model ran on other
# machines: the fake is pinned to the last core and weft to the others
# (taskset), and the bound is max(floor, weft's CPU / weft's cores). Without
# it both share every core, and the bound counts both processes' CPU.
#
# 10,000 samples in flight over HTTP/1.1 hold 10,000 connections to the LLM:
# the script raises its open-file limit to the hard limit and says so.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli -p weft-bench
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
REPEAT=${REPEAT:-1}
ROWS=${ROWS:-"16:2000:0 100:2000:200 1000:2000:200 2000:4000:200 4000:8000:200 10000:20000:200
  16:2000:0:2 1000:2000:200:2 4000:8000:200:2 10000:20000:200:2"}
cores=$(nproc)
if [ -n "${SPLIT:-}" ]; then
  command -v taskset >/dev/null || { echo "SPLIT needs taskset (util-linux)" >&2; exit 2; }
  [ "$cores" -ge 2 ] || { echo "SPLIT needs 2 cores or more" >&2; exit 2; }
  export FAKE_ON="taskset -c $(( cores - 1 ))" WEFT_ON="taskset -c 0-$(( cores - 2 ))"
  weft_cores=$(( cores - 1 ))
  echo "split: the fake LLM on core $(( cores - 1 )), weft on cores 0-$(( cores - 2 ))"
fi
source bench/lib.sh

soft=$(ulimit -Sn) hard=$(ulimit -Hn)
ulimit -n "$hard"
echo "open files: soft limit raised from $soft to $(ulimit -n) (hard limit) for 2 connections per sample in flight"

printf '| HTTP | in flight | samples | latency | wall | floor | wall/floor | CPU/sample | CPU/sample min–max | vs batch 16 | peak RSS | RSS/in flight | LLM req/s | fake LLM CPU | CPU bound | wall/bound |\n'
printf '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n'
declare -A fakes fake_pids
ticks() { local st; read -r -a st < "/proc/$1/stat"; echo $(( st[13] + st[14] )); }
declare -A base_cpu
for row in $ROWS; do
  IFS=: read -r batch samples latency http <<<"$row"
  http=${http:-1.1}
  if [ -z "${fakes[$latency]:-}" ]; then
    start_fake "$latency"; fakes[$latency]=$FAKE_URL; fake_pids[$latency]=${PIDS[-1]}
  fi
  write_config "${fakes[$latency]}" "$samples" "$batch" "$http"
  runs=()
  for _ in $(seq "$REPEAT"); do
    before=$(ticks "${fake_pids[$latency]}")
    measure
    fake_cpu=$(echo "($(ticks "${fake_pids[$latency]}") - $before) / $(getconf CLK_TCK)" | bc -l)
    [ "$LINES" -eq "$samples" ] || { echo "only $LINES of $samples samples written" >&2; cat "$WORK/stderr.txt" >&2; exit 1; }
    runs+=("$(echo "($USER + $SYS) * 1000 / $samples" | bc -l) $WALL $USER $SYS $RSS $CALLS $fake_cpu")
  done
  # The run of median CPU per sample stands for the row.
  mapfile -t sorted < <(printf '%s\n' "${runs[@]}" | sort -g -k1,1)
  read -r cpu_ms WALL USER SYS RSS CALLS fake_cpu <<<"${sorted[$(( (REPEAT - 1) / 2 ))]}"
  spread=$(printf '%.2f–%.2f ms' "$(awk '{print $1}' <<<"${sorted[0]}")" "$(awk '{print $1}' <<<"${sorted[-1]}")")
  [ -n "${base_cpu[$http]:-}" ] || base_cpu[$http]=$cpu_ms
  waves=$(( (samples + batch - 1) / batch ))
  calls_per_sample=$(( CALLS / samples ))
  floor=$(echo "$waves * $calls_per_sample * $latency / 1000" | bc -l)
  if [ "$latency" -eq 0 ]; then floor_text="–"; ratio="–"; else
    floor_text=$(printf '%.1f s' "$floor"); ratio=$(printf '%.2f×' "$(echo "$WALL / $floor" | bc -l)"); fi
  # What the machine allows: the floor, or both processes' CPU over its
  # cores (split: weft's CPU over weft's cores).
  if [ -n "${SPLIT:-}" ]; then
    bound=$(echo "b = ($USER + $SYS) / $weft_cores; if ($floor > b) $floor else b" | bc -l)
  else
    bound=$(echo "b = ($USER + $SYS + $fake_cpu) / $cores; if ($floor > b) $floor else b" | bc -l)
  fi
  printf '| %s | %s | %s | %s ms | %.2f s | %s | %s | %.2f ms | %s | %.2f× | %.0f MB | %.0f KB | %.0f | %.2f s | %.2f s | %.2f× |\n' \
    "$http" "$batch" "$samples" "$latency" "$WALL" "$floor_text" "$ratio" "$cpu_ms" "$spread" "$(echo "$cpu_ms / ${base_cpu[$http]}" | bc -l)" \
    "$(echo "$RSS / 1024" | bc -l)" "$(echo "$RSS / $batch" | bc -l)" "$(echo "$CALLS / $WALL" | bc -l)" \
    "$fake_cpu" "$bound" "$(echo "$WALL / $bound" | bc -l)"
done
echo "(CPU: user + sys of weft generate alone (with REPEAT=$REPEAT, the run of median CPU per sample, and the min–max of all runs); vs batch 16: against the same protocol's batch-16 row; floor: ceil(samples / in flight) × LLM calls per sample × latency;"
if [ -n "${SPLIT:-}" ]; then
  echo " fake LLM CPU: the fake server's user + sys during the row, on core $(( cores - 1 )) of its own;"
  echo " CPU bound: max(floor, weft CPU / $weft_cores weft core(s)))"
else
  echo " fake LLM CPU: the fake server's user + sys during the row — it shares the machine's $cores cores;"
  echo " CPU bound: max(floor, (weft CPU + fake LLM CPU) / $cores cores))"
fi
