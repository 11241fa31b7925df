#!/usr/bin/env bash
# The same tool as a component of weft's world and as a Spin HTTP component
# (spin-sdk, built as a wasm32-wasip2 component and as a wasm32-wasip1 core
# module that weft componentizes at load), served by `weft serve` under the
# same wrk load: calls/s, p50, and the server's CPU per call
# (/proc/PID/stat), in alternating rounds.
#
# The tool is `weft new tool`'s `recall` (one key-value read in the session
# the call names), so the three differ only in the world they implement.
#
# usage: bench/components.sh [rounds] [seconds] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}; secs=${2:-5}; conns=${3:-8}
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 2; }
rustup target add wasm32-wasip1 wasm32-wasip2 >/dev/null 2>&1 || true
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft="$PWD/target/release/weft"
work="$PWD/target/bench-components"
weft_port=3937; spin_port=3938
trap 'kill $(jobs -p) 2>/dev/null || true' EXIT

# The builds (kept across runs in target/bench-components).
unset RUSTFLAGS CARGO_ENCODED_RUSTFLAGS CARGO_TARGET_DIR CARGO_BUILD_TARGET
if [ ! -f "$work/weft/weft.toml" ]; then
  rm -rf "$work/weft" && "$weft" new tool bench-tool --world weft --dir "$work/weft" >/dev/null
fi
if [ ! -f "$work/spin/spin.toml" ]; then
  rm -rf "$work/spin" && "$weft" new tool bench-tool --world spin --dir "$work/spin" >/dev/null
fi
"$weft" build --manifest "$work/weft/weft.toml" >/dev/null
(cd "$work/spin" && cargo build --release -q --target wasm32-wasip2 && cargo build --release -q --target wasm32-wasip1)
cat > "$work/spin/bench.toml" <<'TOML'
spin_manifest_version = 2
[application]
name = "bench"
[variables]
greeting = { default = "Hello" }
[[trigger.http]]
route = "/p2/..."
component = "p2"
[component.p2]
source = "target/wasm32-wasip2/release/bench_tool.wasm"
key_value_stores = ["default"]
[component.p2.variables]
greeting = "{{ greeting }}"
[[trigger.http]]
route = "/p1/..."
component = "p1"
[component.p1]
source = "target/wasm32-wasip1/release/bench_tool.wasm"
key_value_stores = ["default"]
[component.p1.variables]
greeting = "{{ greeting }}"
TOML
cat > "$work/recall.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"session_id":"bench","tool":"bench_tool_recall","args":{"key":"plan"}}'
LUA

"$weft" serve --listen 127.0.0.1:$weft_port --manifest "$work/weft/weft.toml" 2>/dev/null &
weft_pid=$!
"$weft" serve --listen 127.0.0.1:$spin_port --manifest "$work/spin/bench.toml" 2>/dev/null &
spin_pid=$!
remember='{"session_id":"bench","tool":"bench_tool_remember","args":{"key":"plan","value":"ship it"}}'
for url in "http://127.0.0.1:$weft_port/bench-tool" "http://127.0.0.1:$spin_port/p2" "http://127.0.0.1:$spin_port/p1"; do
  for _ in $(seq 100); do curl -sf "${url%/*}/health" >/dev/null && break; sleep 0.1; done
  answer=$(curl -sf -XPOST -H "content-type: application/json" "$url/execute" -d "$remember")
  [[ "$answer" == *'"success":true'* ]] || { echo "$url: $answer" >&2; exit 1; }
done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
hz=$(getconf CLK_TCK)
measure() { # name url pid
  local name=$1 url=$2 pid=$3 c0 c1 out
  wrk -t2 -c"$conns" -d2s -s "$work/recall.lua" "$url/execute" >/dev/null
  c0=$(cpu_ticks "$pid")
  out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency -s "$work/recall.lua" "$url/execute")
  c1=$(cpu_ticks "$pid")
  echo "$out" | awk -v name="$name" -v secs="$secs" -v hz="$hz" -v server=$((c1 - c0)) '
    /Requests\/sec/ { rps = $2 }
    /Non-2xx/ { bad = $NF }
    $1 == "50%" { p50 = $2 }
    END {
      calls = rps * secs
      printf "  %-22s %8.0f calls/s  p50 %-9s server %6.1f us/call%s\n",
        name, rps, p50, server / hz * 1e6 / calls, bad ? "  NON-2XX: " bad : ""
    }'
}

echo "recall (one key-value read), wrk -t2 -c$conns, ${secs}s rounds"
for round in $(seq "$rounds"); do
  echo "round $round"
  measure "weft world" "http://127.0.0.1:$weft_port/bench-tool" $weft_pid
  measure "Spin, component (p2)" "http://127.0.0.1:$spin_port/p2" $spin_pid
  measure "Spin, core module (p1)" "http://127.0.0.1:$spin_port/p1" $spin_pid
done
