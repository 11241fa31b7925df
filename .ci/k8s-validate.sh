#!/usr/bin/env bash
# Validates deploy/k8s/ offline: every object against the Kubernetes schemas
# of the oldest and the newest version we support (kubernetes-validate,
# strict: unknown fields are errors), then how the objects fit together
# (.ci/k8s-check.py). It proves it can fail: broken copies must be refused.
# Installs kubernetes-validate once into target/peers/k8s-venv.
#   .ci/k8s-validate.sh            (run by .ci/docker.sh; needs no cluster, no network after the install)
set -euo pipefail
cd "$(dirname "$0")/.."

KUBERNETES_VALIDATE_VERSION=1.37.0
# The schemas bundled with it go from 1.25 to 1.37; 1.29 is the oldest
# cluster the manifests target.
K8S_VERSIONS=(1.29.0 1.37.0)

venv="${WEFT_PEERS_DIR:-$PWD/target/peers}/k8s-venv"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('kubernetes-validate') != '$KUBERNETES_VALIDATE_VERSION')" 2>/dev/null; then
  if ! python3 -m venv --help >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq python3-venv
  fi
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

schemas() { # DIR VERSION
  "$venv/bin/kubernetes-validate" --strict --quiet -k "$2" "$1"/k8s/*.yaml
}
fit() { # DIR
  "$venv/bin/python" .ci/k8s-check.py "$1"
}

for version in "${K8S_VERSIONS[@]}"; do
  schemas deploy "$version"
done
fit deploy
echo "deploy/k8s: valid for Kubernetes ${K8S_VERSIONS[*]} (strict)"

# Each broken copy must be refused, or the checks above prove nothing.
broken=$(mktemp -d)
trap 'rm -rf "$broken"' EXIT
refuse() { # WHAT CHECK FILE FROM TO: CHECK must refuse FILE with FROM replaced by TO
  local what=$1 check=$2 file=$3 from=$4 to=$5
  rm -rf "${broken:?}"/*
  cp -r deploy/. "$broken"
  sed -i "s|$from|$to|" "$broken/$file"
  if cmp -s "deploy/$file" "$broken/$file"; then
    echo "k8s-validate: the self-test '$what' changed nothing in $file" >&2
    exit 1
  fi
  if $check "$broken" "${K8S_VERSIONS[0]}" >/dev/null 2>&1; then
    echo "k8s-validate: a manifest with $what passed" >&2
    exit 1
  fi
}
refuse "an unknown field" schemas k8s/weft.yaml "terminationGracePeriodSeconds:" "terminationGracePeriodSecond:"
refuse "a string for a number" schemas k8s/weft.yaml "replicas: 2" "replicas: two"
refuse "shards not matching completions" fit k8s/job-generate.yaml '"--shard", "/2"' '"--shard", "/3"'
refuse "a merge expecting other than num_samples" fit k8s/job-merge.yaml '"40"' '"400"'
refuse "a ConfigMap that is not a copy" fit generate.yaml "num_samples: 40" "num_samples: 41"
echo "deploy/k8s: broken copies are refused (unknown field, wrong type, shard count, merge count, stale ConfigMap)"
