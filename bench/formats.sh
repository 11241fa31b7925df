#!/usr/bin/env bash
# `weft format` (every format) and `weft inspect` on a 100,000-sample
# dataset: samples/s and peak RSS of each whole process, beside a Python
# baseline that only parses and re-serialises every line (the least any
# converter must do), so the figures read as ratios from one run.
#
# The dataset is a real scripted run (tools executed in the in-process
# sandbox) of SEED_SAMPLES samples, repeated with fresh sample indices up
# to SAMPLES lines.
#   usage: bench/formats.sh [SAMPLES]   (default 100000; NO_BUILD=1 to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-100000}
seed_samples=${SEED_SAMPLES:-64}
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft=$PWD/target/release/weft
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

. bench/scripted-config.sh
mkdir -p "$out/seed"
scripted_config "$out/seed.yaml" "$out/seed" "$seed_samples" 4 16
"$weft" generate "$out/seed.yaml" --no-tui --deterministic 2>/dev/null
python3 - "$out/seed/data.jsonl" "$out/data.jsonl" "$samples" <<'PY'
import json, sys
seed = [json.loads(line) for line in open(sys.argv[1])]
with open(sys.argv[2], "w") as out:
    for index in range(int(sys.argv[3])):
        sample = seed[index % len(seed)]
        sample["metadata"]["sample_index"] = index
        out.write(json.dumps(sample, separators=(",", ":")) + "\n")
PY
size=$(stat -c %s "$out/data.jsonl")

# One measured process: wall seconds and peak RSS (KiB), as "secs kib".
measure() {
  /usr/bin/time -f "%e %M" -o "$out/time" "$@" >/dev/null 2>"$out/stderr" || {
    echo "failed: $*" >&2; cat "$out/stderr" >&2; exit 1; }
  cat "$out/time"
}

printf 'dataset: %d samples, %.1f MB (%d distinct real samples repeated)\n' "$samples" "$(echo "$size / 1000000" | bc -l)" "$seed_samples"
printf '%-34s %10s %12s %10s\n' "what" "seconds" "samples/s" "peak RSS"
report() {
  local label=$1 secs=$2 kib=$3
  printf '%-34s %10.2f %12.0f %7.0f MB\n' "$label" "$secs" "$(echo "$samples / $secs" | bc -l)" "$(echo "$kib / 1024" | bc -l)"
  echo "$secs" >"$out/last"
}

read -r secs kib < <(measure python3 -c '
import json, sys
with open(sys.argv[1]) as f, open(sys.argv[2], "w") as out:
    for line in f:
        out.write(json.dumps(json.loads(line)) + "\n")
' "$out/data.jsonl" "$out/py.jsonl")
report "python json load+dump (baseline)" "$secs" "$kib"
baseline=$secs

for format in messages openai trl hermes sharegpt xlam harmony adp; do
  read -r secs kib < <(measure "$weft" format "$out/data.jsonl" --to "$format" -o "$out/f.jsonl")
  report "weft format --to $format" "$secs" "$kib"
  printf '%-34s %10s x baseline speed\n' "" "$(echo "scale=1; $baseline / $secs" | bc -l)"
done
read -r secs kib < <(measure "$weft" format "$out/data.jsonl" --to chat-template \
  --template examples/templates/chatml-tools.jinja -o "$out/f.jsonl")
report "weft format --to chat-template" "$secs" "$kib"
printf '%-34s %10s x baseline speed\n' "" "$(echo "scale=1; $baseline / $secs" | bc -l)"
read -r secs kib < <(measure "$weft" inspect "$out/data.jsonl" --json)
report "weft inspect --json" "$secs" "$kib"
read -r secs kib < <(measure "$weft" inspect "$out/data.jsonl" --html "$out/report.html")
report "weft inspect --html" "$secs" "$kib"
