#!/usr/bin/env bash
# `weft verify` on a 10,000-sample dataset: every sample's calls replayed in a
# fresh in-process sandbox session and compared byte for byte. Prints the
# verify process's samples/s and calls/s, and the generating run's beside it
# (the same samples made with the scripted model), so the ratio comes from
# one run. Whole processes under /usr/bin/time.
#   usage: bench/verify.sh [SAMPLES]   (default 10000; NO_BUILD=1 to skip the build)
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-10000}
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft=${WEFT:-$PWD/target/release/weft}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

. bench/scripted-config.sh
scripted_config "$out/config.yaml" "$out" "$samples"

run() { # label args... -> prints "label wall user sys rss"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$weft" "$@" > "$out/stdout.txt" 2> "$out/stderr.txt" \
    || { cat "$out/stderr.txt" >&2; exit 1; }
  read -r wall user sys rss < <(tail -1 "$out/time.txt")
  echo "$label $wall $user $sys $rss"
}

read -r _ gwall guser gsys grss < <(run generate generate "$out/config.yaml" --no-tui --deterministic)
read -r _ vwall vuser vsys vrss < <(run verify verify "$out/data.jsonl" --config "$out/config.yaml")
calls=$(grep -o '([0-9]* calls replayed)' "$out/stderr.txt" | tr -dc 0-9)
grep -q "^$samples of $samples samples verified" "$out/stderr.txt" || { cat "$out/stderr.txt" >&2; exit 1; }
python3 - "$samples" "$calls" "$gwall" "$guser" "$gsys" "$grss" "$vwall" "$vuser" "$vsys" "$vrss" <<'PY'
import sys
n, calls = int(sys.argv[1]), int(sys.argv[2])
gw, gu, gs, gr, vw, vu, vs, vr = map(float, sys.argv[3:])
print(f"{n} samples, {calls} tool calls, 2 cores ({__import__('os').cpu_count()} here)")
print(f"{'':10} {'wall':>8} {'samples/s':>10} {'calls/s':>10} {'CPU/sample':>11} {'peak RSS':>9}")
for label, w, u, s, r in (("generate", gw, gu, gs, gr), ("verify", vw, vu, vs, vr)):
    print(f"{label:10} {w:7.2f}s {n / w:10.0f} {calls / w:10.0f} {(u + s) / n * 1e3:9.3f}ms {r / 1024:7.0f}MB")
print(f"verify / generate wall: {vw / gw:.2f}")
PY
