#!/usr/bin/env bash
# weft against DeepFabric 4.13, in one run on this machine: CPU per sample
# (user + sys of the generator process alone, /usr/bin/time) of `weft
# generate` and of `deepfabric generate`, both writing agent samples with real
# tool calls, 16 samples in flight (weft `batch_size: 16`; DeepFabric's
# `output.batch_size: 16`, which it runs as 16 concurrent samples), at zero LLM
# latency. The issue's budget: weft >= 100x less CPU per sample.
#
# One LLM for both: the fake OpenAI-compatible server (crates/bench,
# `fake-llm`) on loopback, no network, no API key (DeepFabric is given a dummy
# one). It answers weft's native tool-calling requests and DeepFabric's
# structured-output ones (crates/bench/src/deepfabric.rs) with the same plan:
# a user request, three steps of 5 tool calls in all (list + read config.json,
# write + read back summary.txt, read a missing CHANGELOG.md), the answer. So
# both generators make 5 LLM requests and 5 tool calls per sample (DeepFabric
# with `max_agent_steps: 3`; `max_per_query: 5` because its cap counts a
# sample's calls, not a step's), from the same 100 pre-made topics (loaded,
# not generated, by both), the same tools (read_file, write_file, list_files),
# the same two seeded files and system prompt.
#
# DeepFabric executes every tool call over HTTP against a `weft serve` started
# here (Spin's contract: seeding, each call, the session's DELETE), and its
# samples are checked to hold what that server answered. weft runs its tools
# in-process (bench/lib.sh's config): sandbox start-up and every Wasm call are
# inside weft's measured CPU, while DeepFabric's calls execute in the server,
# outside its measurement, which makes weft's number the conservative one (the
# budget is read against it). A second weft row sends weft's calls to the same
# `weft serve`, like for like.
#
# CPU per sample is whole-process (start-up included) over WEFT_SAMPLES and
# DF_SAMPLES; "after start-up" is the marginal cost, from a second, 16-sample
# run of each: (CPU(N) - CPU(16)) / (N - 16).
#
#   bench/deepfabric.sh                          # weft 2000, DeepFabric 208 samples
#   WEFT_SAMPLES=4000 DF_SAMPLES=400 bench/deepfabric.sh
#   NO_BUILD=1 bench/deepfabric.sh
#
# DeepFabric (`deepfabric==4.13.*` from PyPI) is installed into
# target/deepfabric-venv on first use (PYTHON picks the interpreter, 3.11+).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli -p weft-bench
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)" >&2; exit 2; }
WEFT_SAMPLES=${WEFT_SAMPLES:-2000}
DF_SAMPLES=${DF_SAMPLES:-208}
BATCH=16
# DeepFabric rounds a run up to whole batches: ask for whole batches.
DF_SAMPLES=$(( (DF_SAMPLES + BATCH - 1) / BATCH * BATCH ))
[ "$WEFT_SAMPLES" -gt "$BATCH" ] && [ "$DF_SAMPLES" -gt "$BATCH" ] || { echo "samples must exceed $BATCH" >&2; exit 2; }

VENV=$PWD/target/deepfabric-venv
if [ ! -x "$VENV/bin/deepfabric" ]; then
  echo "installing deepfabric==4.13.* into $VENV" >&2
  "${PYTHON:-python3}" -m venv "$VENV"
  "$VENV/bin/pip" install -q 'deepfabric==4.13.*'
fi
DF_VERSION=$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("deepfabric"))')
case "$DF_VERSION" in 4.13.*) ;; *) echo "target/deepfabric-venv holds deepfabric $DF_VERSION, not 4.13" >&2; exit 2 ;; esac

source bench/lib.sh
start_fake 0

fail() { echo "$1" >&2; [ -z "${2:-}" ] || tail -20 "$2" >&2; exit 1; }
cpu_ms() { echo "($1 + $2) * 1000 / $3" | bc -l; } # user sys samples
# CPU per sample past the first $BATCH: (CPU(N) - CPU($BATCH)) / (N - $BATCH).
marginal_ms() { echo "($1 + $2 - $3) * 1000 / ($4 - $BATCH)" | bc -l; } # user sys cpu_of_batch samples
ROWS=()

# --- weft serve: DeepFabric's Spin endpoint (and weft's, in the last row) -----------------------
"$WEFT" serve --listen 127.0.0.1:0 2> "$WORK/serve.log" &
PIDS+=($!)
SPIN=
for _ in $(seq 200); do
  SPIN=$(grep -o 'listening on http://[0-9.:]*' "$WORK/serve.log" 2>/dev/null | head -1 | sed 's/listening on //') || true
  [ -n "$SPIN" ] && break
  sleep 0.05
done
[ -n "$SPIN" ] || fail "weft serve did not start" "$WORK/serve.log"
curl -sf "$SPIN/health" > /dev/null || fail "weft serve at $SPIN does not answer /health" "$WORK/serve.log"

# --- weft generate: 16 samples (start-up), then WEFT_SAMPLES ---------------------------------
weft_measure() { # samples [spin endpoint] -> WALL USER SYS RSS LINES CALLS
  write_config "$FAKE_URL" "$1" "$BATCH"
  [ -z "${2:-}" ] || sed -i "s|^  tools:\$|  tools:\n    spin_endpoint: \"$2\"|" "$WORK/config.yaml"
  measure
  [ "$LINES" -eq "$1" ] || fail "weft wrote $LINES of $1 samples" "$WORK/stderr.txt"
}
weft_row() { # label [spin endpoint] -> a row in ROWS; sets CPU_MS
  local small
  weft_measure "$BATCH" "${2:-}"
  small=$(echo "$USER + $SYS" | bc -l)
  weft_measure "$WEFT_SAMPLES" "${2:-}"
  CPU_MS=$(cpu_ms "$USER" "$SYS" "$LINES")
  MARGINAL_MS=$(marginal_ms "$USER" "$SYS" "$small" "$LINES")
  local tools
  tools=$("$VENV/bin/python" -c 'import json, sys; print(sum(m.get("role") == "tool" for l in open(sys.argv[1]) for m in json.loads(l)["messages"]))' "$WORK/data.jsonl")
  ROWS+=("$(printf '| %s | %d | %.2f s | %.3f ms | %.3f ms | %.1f | %.1f | %.0f MB |' \
    "$1" "$LINES" "$WALL" "$CPU_MS" "$MARGINAL_MS" "$(echo "$CALLS / $LINES" | bc -l)" "$(echo "$tools / $LINES" | bc -l)" \
    "$(echo "$RSS / 1024" | bc -l)")")
}
weft_row "weft generate (tools in process)"
weft_cpu=$CPU_MS weft_marginal=$MARGINAL_MS
weft_row "weft generate (tools on weft serve)" "$SPIN"
weft_remote_cpu=$CPU_MS weft_remote_marginal=$MARGINAL_MS

# --- deepfabric generate: 16 samples (start-up), then DF_SAMPLES ------------------------------
mkdir -p "$WORK/df-home"
df_config() { # samples -> $WORK/df.yaml
  cat > "$WORK/df.yaml" <<YAML
llm: {provider: openai, model: fake}
topics: {prompt: Files, mode: tree, depth: 2, degree: 10}
generation:
  system_prompt: You help with files.
  conversation: {type: cot, reasoning_style: agent}
  tools:
    spin_endpoint: "$SPIN"
    components: {builtin: [read_file, write_file, list_files]}
    max_per_query: 5
    max_agent_steps: 3
    scenario_seed: {files: {config.json: '{"debug": true}', app.py: 'print(1)'}}
output: {num_samples: $1, batch_size: $BATCH, save_as: "$WORK/df-data.jsonl"}
YAML
}
df_measure() { # samples -> WALL USER SYS RSS LINES
  rm -f "$WORK"/df-data*.jsonl
  df_config "$1"
  # DeepFabric's openai provider ignores llm.base_url; the OpenAI client reads
  # OPENAI_BASE_URL. No telemetry, no update check, no Hub, HOME in $WORK.
  ( cd "$WORK" && env OPENAI_BASE_URL="$FAKE_URL" OPENAI_API_KEY=fake-key-for-loopback \
      ANONYMIZED_TELEMETRY=False DEEPFABRIC_NO_UPDATE_CHECK=1 HF_HUB_OFFLINE=1 \
      HOME="$WORK/df-home" XDG_DATA_HOME="$WORK/df-home" NO_COLOR=1 \
      /usr/bin/time -f "%e %U %S %M" -o "$WORK/df-time.txt" \
      "$VENV/bin/deepfabric" generate "$WORK/df.yaml" --topics-load "$WORK/topics.jsonl" --tui simple \
      > "$WORK/df-stdout.txt" 2>&1 ) || fail "deepfabric generate failed" "$WORK/df-stdout.txt"
  read -r WALL USER SYS RSS < <(tail -1 "$WORK/df-time.txt")
  LINES=$(wc -l < "$WORK/df-data.jsonl")
  [ "$LINES" -eq "$1" ] || fail "DeepFabric wrote $LINES of $1 samples" "$WORK/df-stdout.txt"
}
df_measure "$BATCH"
df_small=$(echo "$USER + $SYS" | bc -l)
tool_calls_before=$(curl -sf "$SPIN/metrics" | awk '/^weft_tool_calls_total/ {n += $NF} END {print n + 0}')
df_measure "$DF_SAMPLES"
tool_calls_after=$(curl -sf "$SPIN/metrics" | awk '/^weft_tool_calls_total/ {n += $NF} END {print n + 0}')
df_cpu=$(cpu_ms "$USER" "$SYS" "$LINES")
df_marginal=$(marginal_ms "$USER" "$SYS" "$df_small" "$LINES")

# Every sample must hold 5 tool calls whose results are what weft serve gives
# for them on a session seeded with config.json and app.py.
read -r df_calls df_tools < <("$VENV/bin/python" - "$WORK/df-data.jsonl" <<'PY'
import json, sys
samples = [json.loads(line) for line in open(sys.argv[1])]
llm = tools = 0
for number, sample in enumerate(samples, 1):
    runs = sample["tool_context"]["executions"]
    got = [(r["function_name"], json.loads(r["arguments"]), r["result"]) for r in runs]
    listed = json.loads(got[0][2]) if got and got[0][0] == "list_files" else None
    checks = [
        len(got) == 5,
        sorted(listed or []) == ["app.py", "config.json"],
        got[1][2] == '{"debug": true}',
        "summary.txt" in got[2][2],
        got[3][2] == got[2][1]["content"],
        "FileNotFound" in got[4][2],
        sum(m["role"] == "tool" for m in sample["messages"]) == 5,
    ]
    if not all(checks):
        sys.exit(f"sample {number}: tool results are not weft serve's: {got} ({checks})")
    llm += 2 + sample["metadata"]["react_steps"]
    tools += len(got)
print(llm / len(samples), tools / len(samples))
PY
) || fail "DeepFabric's samples do not hold weft serve's results"
served=$(( tool_calls_after - tool_calls_before ))
# 5 calls + 2 seeding writes per sample.
[ "$served" -ge $(( DF_SAMPLES * 7 )) ] || fail "weft serve executed $served tool calls for $DF_SAMPLES samples (expected >= $(( DF_SAMPLES * 7 )))"
ROWS+=("$(printf '| DeepFabric %s | %d | %.2f s | %.3f ms | %.3f ms | %.1f | %.1f | %.0f MB |' \
  "$DF_VERSION" "$LINES" "$WALL" "$df_cpu" "$df_marginal" "$df_calls" "$df_tools" "$(echo "$RSS / 1024" | bc -l)")")

ratio=$(echo "$df_cpu / $weft_cpu" | bc -l)
marginal_ratio=$(echo "$df_marginal / $weft_marginal" | bc -l)
remote_ratio=$(echo "$df_cpu / $weft_remote_cpu" | bc -l)
remote_marginal_ratio=$(echo "$df_marginal / $weft_remote_marginal" | bc -l)
echo "zero LLM latency, $BATCH samples in flight, $(nproc) cores; DeepFabric's tools on weft serve ($served calls served)"
echo
echo '| generator | samples | wall | CPU/sample | CPU/sample after start-up | LLM calls/sample | tool calls/sample | peak RSS |'
echo '|---|---|---|---|---|---|---|---|'
printf '%s\n' "${ROWS[@]}"
echo
printf 'DeepFabric CPU/sample ÷ weft CPU/sample (tools in process): %.0f× (after start-up: %.0f×); budget >= 100×: %s\n' \
  "$ratio" "$marginal_ratio" "$(if [ "$(echo "$ratio >= 100" | bc -l)" -eq 1 ]; then echo met; else echo NOT met; fi)"
printf 'against weft with its tools on weft serve too (like for like): %.0f× (after start-up: %.0f×)\n' \
  "$remote_ratio" "$remote_marginal_ratio"
echo "(CPU: user + sys of the generator process alone, /usr/bin/time; the fake LLM and weft serve are other processes."
echo " after start-up: (CPU(N) - CPU($BATCH)) / (N - $BATCH) from a second run of $BATCH samples.)"
