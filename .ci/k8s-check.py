"""What the Kubernetes schemas cannot see in deploy/k8s/: that the pieces fit.

    python k8s-check.py DEPLOY_DIR      (needs PyYAML; exit 1 naming each misfit)

kubernetes-validate checks every object against its kind's schema. This
checks them against each other and against the files they copy: the
ConfigMap holds deploy/generate.yaml and deploy/weft-redis.toml verbatim;
the Indexed Job's `--shard /N` has N = completions; the merge Job lists
exactly the N shard files `weft generate --shard` writes for output.save_as,
and expects output.num_samples; spin_endpoint names the weft Service and
its port; WEFT_KV_DEFAULT_URL names the redis Service and its port; every
ConfigMap and claim a pod mounts exists; the weft pods probe /health.
"""

import pathlib
import sys
import urllib.parse

import yaml


def load_objects(k8s_dir):
    objects = {}
    for path in sorted(k8s_dir.glob("*.yaml")):
        for doc in yaml.safe_load_all(path.read_text()):
            if doc:
                objects[(doc["kind"], doc["metadata"]["name"])] = (path.name, doc)
    return objects


def pod_spec(doc):
    return doc["spec"]["template"]["spec"]


def container(doc):
    return pod_spec(doc)["containers"][0]


def shard_files(save_as, n):
    """The files `weft generate --shard I/N` writes for save_as (stem.shard-I-of-N.ext)."""
    path = pathlib.PurePosixPath(save_as)
    return [str(path.with_name(f"{path.stem}.shard-{i}-of-{n}{path.suffix}")) for i in range(n)]


def check(deploy_dir):
    k8s_dir = deploy_dir / "k8s"
    objects = load_objects(k8s_dir)
    misfits = []

    def need(condition, message):
        if not condition:
            misfits.append(message)

    def get(kind, name):
        found = objects.get((kind, name))
        need(found is not None, f"no {kind} {name} in {k8s_dir}")
        return found[1] if found else None

    config_map = get("ConfigMap", "weft-config")
    generate_job = get("Job", "weft-generate")
    merge_job = get("Job", "weft-merge")
    weft = get("Deployment", "weft")
    weft_service = get("Service", "weft")
    redis_service = get("Service", "redis")
    if misfits:
        return misfits

    for key, source in [("generate.yaml", "generate.yaml"), ("weft-redis.toml", "weft-redis.toml")]:
        copy = config_map["data"].get(key)
        need(copy == (deploy_dir / source).read_text(),
             f"configmap.yaml: data[{key!r}] is not a copy of deploy/{source} (edit both)")

    config = yaml.safe_load(config_map["data"]["generate.yaml"])
    spec = generate_job["spec"]
    need(spec.get("completionMode") == "Indexed", "job-generate.yaml: completionMode must be Indexed")
    args = container(generate_job)["args"]
    shard = args[args.index("--shard") + 1] if "--shard" in args else ""
    need(shard.startswith("/"), f"job-generate.yaml: --shard must be /N (index from JOB_COMPLETION_INDEX), not {shard!r}")
    n = int(shard[1:]) if shard[1:].isdigit() else None
    need(n == spec.get("completions"), f"job-generate.yaml: --shard {shard} but completions {spec.get('completions')}")
    need(spec.get("parallelism", 1) <= spec.get("completions", 1), "job-generate.yaml: parallelism above completions")

    merge_args = container(merge_job)["args"]
    need(merge_args[:2] == ["merge", config["output"]["save_as"]],
         f"job-merge.yaml: must write output.save_as ({config['output']['save_as']}), not {merge_args[1:2]}")
    expect = merge_args[merge_args.index("--expect") + 1] if "--expect" in merge_args else None
    need(expect == str(config["output"]["num_samples"]),
         f"job-merge.yaml: --expect {expect} but output.num_samples is {config['output']['num_samples']}")
    listed = [arg for arg in merge_args[2:] if arg not in ("--expect", expect)]
    if n is not None:
        need(listed == shard_files(config["output"]["save_as"], n),
             f"job-merge.yaml: merges {listed}, but the shards are {shard_files(config['output']['save_as'], n)}")

    endpoint = urllib.parse.urlsplit(config["generation"]["tools"]["spin_endpoint"])
    ports = [p["port"] for p in weft_service["spec"]["ports"]]
    need(endpoint.hostname == "weft" and endpoint.port in ports,
         f"generate.yaml: spin_endpoint {endpoint.geturl()} is not the weft Service (ports {ports})")
    env = {e["name"]: e.get("value") for e in container(weft).get("env", [])}
    kv = urllib.parse.urlsplit(env.get("WEFT_KV_DEFAULT_URL") or "")
    redis_ports = [p["port"] for p in redis_service["spec"]["ports"]]
    need(kv.hostname == "redis" and kv.port in redis_ports,
         f"weft.yaml: WEFT_KV_DEFAULT_URL {kv.geturl()!r} is not the redis Service (ports {redis_ports})")
    need("/etc/weft/weft-redis.toml" in container(weft)["args"], "weft.yaml: serve must use /etc/weft/weft-redis.toml")
    for probe in ("readinessProbe", "livenessProbe"):
        path = container(weft).get(probe, {}).get("httpGet", {}).get("path")
        need(path == "/health", f"weft.yaml: {probe} must GET /health, not {path}")

    images = {}
    for (kind, name), (file, doc) in objects.items():
        if kind not in ("Deployment", "Job"):
            continue
        if name != "redis":
            images[f"{file}: {kind} {name}"] = container(doc)["image"]
        for volume in pod_spec(doc).get("volumes", []):
            if "configMap" in volume:
                need(("ConfigMap", volume["configMap"]["name"]) in objects,
                     f"{file}: mounts ConfigMap {volume['configMap']['name']}, which is not defined")
            if "persistentVolumeClaim" in volume:
                claim = volume["persistentVolumeClaim"]["claimName"]
                need(("PersistentVolumeClaim", claim) in objects, f"{file}: mounts claim {claim}, which is not defined")
    need(len(set(images.values())) == 1, f"the weft pods run different images: {images}")
    return misfits


def main():
    misfits = check(pathlib.Path(sys.argv[1]))
    for misfit in misfits:
        print(f"MISFIT {misfit}", file=sys.stderr)
    if not misfits:
        print("k8s manifests fit together: configmap copies, shards, merge, endpoints, probes, volumes")
    sys.exit(1 if misfits else 0)


if __name__ == "__main__":
    main()
