#!/usr/bin/env bash
# Whole-process benchmark of `weft generate` against the fake OpenAI-compatible
# server (crates/bench, `fake-llm`) on loopback. No network, no key.
#
# Each sample costs 5 LLM requests and 5 real tool calls (in-process sandbox).
# Prints: CPU per sample at zero LLM latency, wall time for 100 samples with
# batch 16 at 50 ms latency, peak RSS (/usr/bin/time -v), start-up time.
#
#   bench/generate.sh            # defaults
#   CPU_SAMPLES=2000 bench/generate.sh
set -euo pipefail
cd "$(dirname "$0")/.."
CPU_SAMPLES=${CPU_SAMPLES:-1000}
cargo build --release -q -p weft-cli -p weft-bench
source bench/lib.sh

start_fake 0
write_config "$FAKE_URL" "$CPU_SAMPLES" 16
measure
CPU_MS=$(echo "($USER + $SYS) * 1000 / $LINES" | bc -l)
printf 'zero-latency LLM: %d samples in %.2f s wall, CPU %.3f ms/sample (user %.2f s + sys %.2f s), peak RSS %.1f MB\n' \
  "$LINES" "$WALL" "$CPU_MS" "$USER" "$SYS" "$(echo "$RSS / 1024" | bc -l)"

# A sample of n sequential 50 ms model calls lasts n × 50 ms; 100 samples in
# 16 slots need ceil(100/16) = 7 rounds, so the floor is 7 × n × 50 ms.
start_fake 50
write_config "$FAKE_URL" 100 16
measure
printf '50 ms LLM latency, 5 model calls/sample: %d samples, batch 16, in %.2f s wall (floor 1.75 s: %.2fx), peak RSS %.1f MB\n' \
  "$LINES" "$WALL" "$(echo "$WALL / 1.75" | bc -l)" "$(echo "$RSS / 1024" | bc -l)"
rm -f "$WORK/data.jsonl" "$WORK/data.failures.jsonl"
start_fake 50 short
write_config "$FAKE_URL" 100 16
sed -i 's/max_per_query: 2/max_per_query: 3/' "$WORK/config.yaml"
measure
printf '50 ms LLM latency, 4 model calls/sample: %d samples, batch 16, in %.2f s wall (floor 1.40 s: %.2fx)\n' \
  "$LINES" "$WALL" "$(echo "$WALL / 1.40" | bc -l)"

# Start-up: config load + sandbox start + one offline sample (scripted provider).
cd "$WORK"
/usr/bin/time -f "%e %M" -o "$WORK/startup.txt" "$WEFT" generate "$OLDPWD/examples/quickstart.yaml" --no-tui \
  --num-samples 1 2> /dev/null
read -r START_WALL START_RSS < "$WORK/startup.txt"
/usr/bin/time -f "%e" -o "$WORK/validate.txt" "$WEFT" validate "$OLDPWD/examples/quickstart.yaml" > /dev/null
printf 'start-up: `weft validate` %.0f ms; `weft generate` of one offline sample %.0f ms end to end (peak RSS %.1f MB)\n' \
  "$(echo "$(cat "$WORK/validate.txt") * 1000" | bc -l)" "$(echo "$START_WALL * 1000" | bc -l)" \
  "$(echo "$START_RSS / 1024" | bc -l)"
