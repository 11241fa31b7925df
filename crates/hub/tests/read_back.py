#!/usr/bin/env python3
"""Reads a dataset repo back with the official `huggingface_hub` client and
checks it holds exactly the expected files, byte for byte.

    read_back.py REPO_ID TAG EXPECTED_DIR     (TAG `main`: no tag, the branch only)
    read_back.py --expect-denied REPO_ID

HF_ENDPOINT says which Hub, HF_TOKEN (optional) who asks. EXPECTED_DIR
holds the files as they should be in the repo (EXPECTED_DIR/README.md,
EXPECTED_DIR/data/train.jsonl, ...). Every file is downloaded with
`hf_hub_download` at `main`, at TAG and at the commit sha TAG points to; the
listing (`list_repo_files`), the metadata (`dataset_info`), the refs and the
card's `configs:` are checked too. Prints one JSON line of figures; exits 1
with a message on the first mismatch.

--expect-denied: the repo must be unreadable (RepositoryNotFoundError from
`dataset_info` and `hf_hub_download`), as a private repo is without a token.
"""

import json
import os
import re
import sys
import time
from pathlib import Path

from huggingface_hub import DatasetCard, HfApi, hf_hub_download
from huggingface_hub.errors import RepositoryNotFoundError

SPLIT_NAME = re.compile(r"^\w+(\.\w+)*$")


def fail(message):
    print(f"read_back: {message}", file=sys.stderr)
    sys.exit(1)


def expected_files(root):
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def check_listing(api, repo, expected, info):
    listed = set(api.list_repo_files(repo, repo_type="dataset"))
    want = set(expected) | {".gitattributes"}
    if listed != want:
        fail(f"list_repo_files: {sorted(listed)} != {sorted(want)}")
    siblings = {s.rfilename: s for s in info.siblings}
    if set(siblings) != want:
        fail(f"dataset_info siblings: {sorted(siblings)} != {sorted(want)}")
    lfs = []
    for path, data in expected.items():
        if siblings[path].size != len(data):
            fail(f"dataset_info: {path} has size {siblings[path].size}, expected {len(data)}")
        if siblings[path].lfs is not None:
            if siblings[path].lfs.size != len(data):
                fail(f"dataset_info: {path}'s LFS size is {siblings[path].lfs.size}")
            lfs.append(path)
    return lfs


def check_downloads(repo, expected, revisions):
    for revision in revisions:
        for path, data in expected.items():
            local = hf_hub_download(repo, path, repo_type="dataset", revision=revision)
            got = Path(local).read_bytes()
            if got != data:
                fail(f"{path} at {revision}: {len(got)} bytes differ from the {len(data)} expected")


def check_card(repo, listed):
    card = DatasetCard.load(repo, repo_type="dataset")
    configs = card.data.to_dict().get("configs")
    if not isinstance(configs, list) or not configs:
        fail(f"the card has no configs: {card.data.to_dict()}")
    defaults = [c for c in configs if c.get("config_name") == "default" or c.get("default")]
    if len(defaults) != 1:
        fail(f"the card has {len(defaults)} default configs")
    for config in configs:
        for data_file in config["data_files"]:
            if set(data_file) != {"split", "path"}:
                fail(f"config {config['config_name']}: data file keys {sorted(data_file)}")
            if not SPLIT_NAME.match(data_file["split"]):
                fail(f"config {config['config_name']}: split name {data_file['split']!r}")
            if data_file["path"] not in listed:
                fail(f"config {config['config_name']}: {data_file['path']} is not in the repo")
    if "weft" not in (card.data.tags or []):
        fail(f"the card's tags lack weft: {card.data.tags}")
    return [c["config_name"] for c in configs]


def read_back(repo, tag, root):
    api = HfApi()
    expected = expected_files(root)
    started = time.monotonic()
    info = api.dataset_info(repo, revision="main", files_metadata=True)
    tagged = api.dataset_info(repo, revision=tag)
    if tagged.sha != info.sha:
        fail(f"tag {tag} is at {tagged.sha}, main at {info.sha}")
    refs = api.list_repo_refs(repo, repo_type="dataset")
    # TAG "main": an upload without a tag; the branch is checked above.
    if tag != "main" and not any(t.name == tag and t.target_commit == info.sha for t in refs.tags):
        fail(f"list_repo_refs has no tag {tag} at {info.sha}: {refs.tags}")
    lfs = check_listing(api, repo, expected, info)
    check_downloads(repo, expected, ["main", tag, info.sha])
    configs = check_card(repo, set(expected))
    seconds = time.monotonic() - started
    print(json.dumps({"files": len(expected), "downloads": 3 * len(expected), "lfs": lfs,
                      "configs": configs, "sha": info.sha, "seconds": round(seconds, 3)}))


def expect_denied(repo):
    try:
        HfApi().dataset_info(repo)
        fail(f"dataset_info({repo}) succeeded")
    except RepositoryNotFoundError:
        pass
    try:
        hf_hub_download(repo, "README.md", repo_type="dataset")
        fail(f"hf_hub_download({repo}, README.md) succeeded")
    except RepositoryNotFoundError:
        pass
    print(json.dumps({"denied": repo}))


def main(args):
    if "HF_ENDPOINT" not in os.environ:
        fail("HF_ENDPOINT is unset")
    if args[:1] == ["--expect-denied"] and len(args) == 2:
        return expect_denied(args[1])
    if len(args) != 3:
        fail("usage: read_back.py REPO_ID TAG EXPECTED_DIR | read_back.py --expect-denied REPO_ID")
    read_back(args[0], args[1], Path(args[2]))


if __name__ == "__main__":
    main(sys.argv[1:])
