#!/usr/bin/env bash
# `weft topics` on a graph config, depth 3, degree 3, against a fake OpenAI
# server with 50 ms latency, compared with the critical path of LLM calls:
# a graph grows level by level and every node of a level is expanded
# concurrently, so the critical path is one call per level = depth × latency
# = 3 × 50 ms = 150 ms (budget 1.5× = 225 ms). Also the scripted provider
# (budget 50 ms).  usage: bench/topics.sh   (needs hyperfine)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)" >&2; exit 2; }
[ -n "${NO_BUILD:-}" ] || cargo build --release -q -p weft-cli
weft=$PWD/target/release/weft
port=3931
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$out"' EXIT
python3 bench/fake_openai.py $port 0.05 &
for _ in $(seq 50); do curl -sf http://127.0.0.1:$port/ >/dev/null && break; sleep 0.1; done

cat >"$out/graph.yaml" <<YAML
llm: {provider: openai, model: bench-model, base_url: "http://127.0.0.1:$port/v1"}
topics: {prompt: "Operating a small web service", mode: graph, depth: 3, degree: 3, max_concurrent: 16, save_as: "$out/graph.json"}
generation: {system_prompt: "x"}
output: {num_samples: 1, save_as: "$out/d.jsonl"}
YAML
sed -e 's/provider: openai, model: bench-model, base_url: "[^"]*"/provider: scripted, model: scripted/' "$out/graph.yaml" >"$out/scripted.yaml"

export OPENAI_API_KEY=bench-not-a-secret
hyperfine -N --warmup 2 --runs 10 --export-json "$out/h.json" \
  "$weft topics $out/graph.yaml" "$weft topics $out/scripted.yaml" >/dev/null
python3 - "$out/h.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
fake, scripted = r[0]["median"] * 1000, r[1]["median"] * 1000
critical = 3 * 50
print(f"weft topics, graph d3 x3, fake OpenAI 50 ms: median {fake:.0f} ms = {fake / critical:.2f}x the 150 ms critical path (budget 1.5x)")
print(f"weft topics, same graph, scripted provider:  median {scripted:.1f} ms (budget 50 ms)")
PY
