# Sourced by bench/verify.sh, bench/eval.sh and bench/formats.sh: the config
# of a scripted run (offline model, tools executed in the in-process
# sandbox) over a small Python project.
scripted_config() { # FILE DIR SAMPLES [DEGREE] [BATCH] -> writes FILE; data and topics go to DIR
  cat >"$1" <<YAML
llm: {provider: scripted, model: scripted}
seed: 3
topics: {prompt: "Everyday file chores in a small Python project", mode: tree, depth: 2, degree: ${4:-8}, save_as: "$2/topics.jsonl"}
generation:
  system_prompt: You are a careful assistant with file system tools.
  conversation: {type: cot, reasoning_style: agent}
  tools:
    components: {builtin: [read_file, write_file, list_files, delete_file]}
    max_per_query: 4
    scenario_seed:
      files:
        app.py: "def greet(name):\n    return f'Hello, {name}!'\n"
        config.json: '{"version": "0.1.0", "debug": false}'
        README.md: "# demo\nRun python app.py.\n"
output: {num_samples: $3, batch_size: ${5:-64}, save_as: "$2/data.jsonl"}
YAML
}
