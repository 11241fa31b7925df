# Sourced by bench/generate.sh and bench/sweep.sh: the fake OpenAI-compatible
# server (crates/bench, `fake-llm`) on loopback, a config of 5 LLM requests
# and 5 real tool calls per sample (in-process sandbox), and one measured
# `weft generate` (/usr/bin/time on weft alone).
WEFT=${WEFT:-$PWD/target/release/weft}
FAKE=$PWD/target/release/fake-llm
WORK=$(mktemp -d)
PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# FAKE_ON / WEFT_ON: a command prefix for each (bench/sweep.sh's SPLIT pins
# them to cores of their own with taskset); empty by default.
FAKE_ON=${FAKE_ON:-} WEFT_ON=${WEFT_ON:-}

start_fake() { # latency_ms [short] -> sets FAKE_URL
  # shellcheck disable=SC2086
  $FAKE_ON "$FAKE" 0 "$1" ${2:-} > "$WORK/fake-$1${2:-}.out" &
  PIDS+=($!)
  for _ in $(seq 100); do
    if grep -q listening "$WORK/fake-$1${2:-}.out" 2>/dev/null; then break; fi
    sleep 0.02
  done
  FAKE_URL="http://$(awk '{print $3}' "$WORK/fake-$1${2:-}.out")/v1"
}

write_config() { # url samples batch [http] -> $WORK/config.yaml
  cat > "$WORK/config.yaml" <<YAML
llm: {provider: openai, model: fake, base_url: "$1", http: "${4:-auto}"}
topics: {prompt: Files, depth: 2, degree: 10, save_as: "$WORK/topics.jsonl"}
generation:
  system_prompt: You help with files.
  conversation: {type: cot, reasoning_style: agent}
  tools:
    components: {builtin: [read_file, write_file, list_files]}
    max_per_query: 2
    scenario_seed: {files: {config.json: '{"debug": true}', app.py: 'print(1)'}}
output: {num_samples: $2, batch_size: $3, save_as: "$WORK/data.jsonl"}
YAML
}

for i in $(seq 0 99); do echo "{\"path\": [\"Files\", \"Chore $i\"]}"; done > "$WORK/topics.jsonl"

measure() { # args... ; sets WALL USER SYS RSS (KiB) LINES CALLS
  rm -f "$WORK/data.jsonl" "$WORK/data.jsonl.failures.jsonl"
  # shellcheck disable=SC2086
  /usr/bin/time -f "%e %U %S %M" -o "$WORK/time.txt" $WEFT_ON "$WEFT" generate "$WORK/config.yaml" --no-tui \
    --topics-load "$WORK/topics.jsonl" "$@" 2> "$WORK/stderr.txt" || { cat "$WORK/stderr.txt"; exit 1; }
  read -r WALL USER SYS RSS < <(tail -1 "$WORK/time.txt")
  LINES=$(wc -l < "$WORK/data.jsonl")
  CALLS=$(grep -o '[0-9]* LLM calls' "$WORK/stderr.txt" | tail -1 | awk '{print $1}')
}
