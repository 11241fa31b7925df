"""Checks a merged dataset of a run that lost a tool-service replica.

    python3 check-dataset.py DATASET N

Exit 0 when DATASET holds exactly N samples, one per sample index 0..N-1,
no line twice, none of them touched by the outage: no tool result, message
or metadata that carries a transport error (a refused or reset connection,
a cut-off answer, an unreachable service) — weft must redo such an attempt,
never write it — and no failure records beside it. Prints what it found.
"""

import json
import pathlib
import re
import sys

# What a client error looks like in text: reqwest/hyper's messages, the OS's,
# and weft's own words for a tool service that failed. Matched against the
# lowercased line (ten times faster than re.IGNORECASE over megabytes).
TRANSPORT_ERROR = re.compile(
    r"error sending request|connection (refused|reset|closed|aborted)|broken pipe|os error \d+"
    r"|tcp connect error|dns error|operation timed out|channel closed|incomplete message"
    r"|the tool service failed|tool service at|unreachable|answered from session store"
)


def problems(path, expected):
    found = []
    lines = path.read_text().splitlines()
    indices = {}
    seen_lines = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            found.append(f"line {number}: empty")
            continue
        if line in seen_lines:
            found.append(f"line {number}: a duplicate of an earlier line")
        seen_lines.add(line)
        try:
            sample = json.loads(line)
        except json.JSONDecodeError as err:
            found.append(f"line {number}: not JSON ({err})")
            continue
        index = sample.get("metadata", {}).get("sample_index")
        if index in indices:
            found.append(f"line {number}: sample {index} again (first on line {indices[index]})")
        indices.setdefault(index, number)
        lowered = line.lower()
        match = TRANSPORT_ERROR.search(lowered)
        if match:
            start = max(match.start() - 80, 0)
            found.append(f"line {number}: sample {index} carries a transport error: ...{lowered[start:match.end() + 80]}...")
    if len(lines) != expected:
        found.append(f"{len(lines)} lines, expected {expected}")
    missing = sorted(set(range(expected)) - set(indices))
    if missing:
        found.append(f"missing sample indices: {missing[:20]}")
    extra = sorted(str(i) for i in set(indices) - set(range(expected)))
    if extra:
        found.append(f"unexpected sample indices: {extra[:20]}")
    failures = path.with_name(path.name + ".failures.jsonl")
    if failures.exists() and failures.read_text().strip():
        found.append(f"{failures.name} records failed samples: {failures.read_text()[:500]}")
    return found, len(lines)


def main():
    path, expected = pathlib.Path(sys.argv[1]), int(sys.argv[2])
    found, count = problems(path, expected)
    for problem in found:
        print(f"DATASET {problem}", file=sys.stderr)
    if not found:
        print(f"{path.name}: {count} samples, indices 0..{expected - 1} once each, no transport error in any")
    sys.exit(1 if found else 0)


if __name__ == "__main__":
    main()
