#!/usr/bin/env bash
# `weft eval` wall time per task: a scripted dataset is made and split, then
# the eval half's tasks are run K times each in the in-process sandbox, by the
# scripted model and by the fake OpenAI-compatible server (crates/bench,
# `fake-llm`) at a fixed latency, so the figure with a model's latency and
# without it come from one run. Whole processes under /usr/bin/time.
#   usage: bench/eval.sh [SAMPLES] [RUNS] [LATENCY_MS]   (defaults 1000, 3, 100; NO_BUILD=1 skips the build)
set -euo pipefail
cd "$(dirname "$0")/.."
samples=${1:-1000}
runs=${2:-3}
latency=${3:-100}
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli -p weft-bench --bin weft --bin fake-llm
weft=${WEFT:-$PWD/target/release/weft}
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
out=$(mktemp -d)
fake_pid=
trap '[ -n "$fake_pid" ] && kill "$fake_pid" 2>/dev/null; rm -rf "$out"' EXIT

. bench/scripted-config.sh
scripted_config "$out/config.yaml" "$out" "$samples"

"$weft" generate "$out/config.yaml" --no-tui --deterministic > /dev/null 2> "$out/gen.txt" || { cat "$out/gen.txt" >&2; exit 1; }
"$weft" split "$out/data.jsonl" --eval 0.1 > /dev/null 2>&1
tasks=$(wc -l < "$out/data.eval.jsonl")

run() { # label args... -> prints "label wall user sys rss"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$out/time.txt" "$weft" "$@" > "$out/stdout.txt" 2> "$out/stderr.txt" \
    || { tail -5 "$out/stderr.txt" >&2; exit 1; }
  read -r wall user sys rss < <(tail -1 "$out/time.txt")
  echo "$label $wall $user $sys $rss"
}

read -r _ swall suser ssys srss < <(run scripted eval "$out/config.yaml" --model scripted --provider scripted --runs "$runs")
$PWD/target/release/fake-llm 0 "$latency" > "$out/fake.txt" &
fake_pid=$!
for _ in $(seq 100); do grep -q listening "$out/fake.txt" && break; sleep 0.05; done
addr=$(sed -n 's/listening on //p' "$out/fake.txt")
read -r _ fwall fuser fsys frss < <(run fake eval "$out/config.yaml" --model fake --base-url "http://$addr/v1" --runs "$runs")
python3 - "$tasks" "$runs" "$latency" "$swall" "$suser" "$ssys" "$srss" "$fwall" "$fuser" "$fsys" "$frss" <<'PY'
import sys
tasks, runs, latency = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
sw, su, ss, sr, fw, fu, fs, fr = map(float, sys.argv[4:])
print(f"{tasks} tasks x {runs} runs, 64 runs at once, in-process sandbox")
print(f"{'model':22} {'wall':>8} {'per task':>10} {'per run':>9} {'CPU/run':>9} {'peak RSS':>9}")
for label, w, u, s, r in ((f"scripted", sw, su, ss, sr), (f"fake-llm {latency} ms", fw, fu, fs, fr)):
    n = tasks * runs
    print(f"{label:22} {w:7.2f}s {w / tasks * 1e3:8.1f}ms {w / n * 1e3:7.2f}ms {(u + s) / n * 1e3:7.3f}ms {r / 1024:7.0f}MB")
PY
