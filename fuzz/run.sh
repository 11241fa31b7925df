#!/usr/bin/env bash
# Builds the fuzz targets once and runs each for a bounded time.
#
#   fuzz/run.sh                 every target, WEFT_FUZZ_SECONDS (30) each
#   fuzz/run.sh http_head 600   one target, ten minutes
#
# The stable toolchain builds with RUSTC_BOOTSTRAP=1: cargo-fuzz passes rustc
# nightly flags. No sanitizer: the code under test is safe Rust, where
# AddressSanitizer has nothing to find, and it cost 4 of the build's 10
# minutes and four fifths of the executions per second. For the same reason
# the build is opt-level 1 (fuzz/Cargo.toml): half the build time, and the
# runs still execute millions of inputs per target. Runs start from
# the corpus kept in fuzz/corpus/TARGET; what a run discovers goes to
# fuzz/target/corpus/TARGET (not committed). A crash leaves its input in
# fuzz/artifacts/TARGET and fails the script; replay it with
#   RUSTC_BOOTSTRAP=1 cargo fuzz run --sanitizer none TARGET fuzz/artifacts/TARGET/crash-...
set -euo pipefail
cd "$(dirname "$0")/.."

targets=(http_head vfs_path mock_template config)
if [[ $# -ge 1 ]]; then targets=("$1"); fi
seconds="${2:-${WEFT_FUZZ_SECONDS:-30}}"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is missing: cargo install cargo-fuzz --locked" >&2
    exit 1
fi
export RUSTC_BOOTSTRAP=1
# One build for every target (they share the instrumented dependencies).
cargo fuzz build --release --debug-assertions --sanitizer none

for target in "${targets[@]}"; do
    scratch="$PWD/fuzz/target/corpus/$target"
    mkdir -p "$scratch"
    echo "fuzz: $target for ${seconds}s"
    log="fuzz/target/$target.log"
    # A fixed seed: the same commit explores the same inputs first.
    if ! cargo fuzz run --release --debug-assertions --sanitizer none "$target" "$scratch" "$PWD/fuzz/corpus/$target" -- \
        -max_total_time="$seconds" -seed=1 -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -print_final_stats=1 >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "fuzz: $target FAILED; the input is in fuzz/artifacts/$target" >&2
        exit 1
    fi
    grep -E '^(stat::number_of_executed_units|stat::new_units_added|stat::peak_rss_mb)' "$log" | tr '\n' ' '
    echo
done
