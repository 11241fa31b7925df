#!/usr/bin/env bash
# The container deployment, for real: run by .ci/run after the cargo build
# (it needs target/release/weft). On a Debian 12 machine as root it
#   1. installs Docker when it is missing (bookworm's docker.io 20.10, plus
#      Compose v2 and buildx from trixie's .debs: bookworm has neither),
#   2. starts dockerd in the background and waits for it,
#   3. builds the base image from host files (docker/mkroot.sh), the runtime
#      image from the CI-built binary (the Dockerfile's prebuilt path:
#      nothing is pulled; no registry is reachable) and a Redis image from
#      the host's redis-server,
#   4. validates deploy/k8s/ offline (.ci/k8s-validate.sh),
#   5. brings compose.yaml's stack up — Redis, two `weft serve` replicas
#      sharing sessions through it, a sharded generation run over them with
#      the offline `scripted` model — kills the busier replica while samples
#      are being made, and checks nothing is lost: exactly WEFT_SAMPLES
#      samples in the merged file, each index once, none carrying a
#      connection error, no failure records; at least one attempt redone
#      (the kill cut calls off) and no session lost (the survivor found the
#      sessions of the dead replica in Redis),
#   6. tears the stack down (always, on failure too) and stops the dockerd
#      it started.
# Idempotent; every step is bounded; prints a lap per step. Under CI=true a
# machine without Docker that cannot get it fails; otherwise it says SKIPPED.
#   WEFT_SAMPLES (default 2000), WEFT_BATCH_SIZE (4): the run's size.
#   WEFT_CI_KEEP_DOCKERD=1: leave a dockerd this script started running.
#   COMPOSE_FILE: compose files to use instead of compose.yaml (e.g. with an override).
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

started=$(date +%s.%N)
lap_from=$started
lap() {
  local now
  now=$(date +%s.%N)
  awk -v what="$1" -v now="$now" -v from="$lap_from" -v start="$started" \
    'BEGIN { printf "== docker: %-62s %6.1fs (total %6.1fs)\n", what, now - from, now - start }'
  lap_from=$now
}
fail() {
  echo "docker.sh: FAILED: $*" >&2
  exit 1
}

binary=target/release/weft
[ -x "$binary" ] || fail "$binary is missing: run the cargo build first"

# --- 1. Docker --------------------------------------------------------------
if ! command -v dockerd >/dev/null; then
  if [ "$(id -u)" != 0 ]; then
    [ "${CI:-}" = true ] && fail "dockerd is missing and installing it needs root"
    echo "SKIPPED .ci/docker.sh: no dockerd, and installing it needs root" >&2
    exit 0
  fi
  timeout 300 apt-get update -qq
  timeout 600 apt-get install -y -qq --no-install-recommends docker.io >/dev/null
  lap "apt-get install docker.io ($(dpkg-query -W -f '${Version}' docker.io))"
fi

# Compose v2 and buildx: bookworm packages only python docker-compose 1.29
# (no `up --wait`) and no buildx; trixie's builds of both depend on libc6
# >= 2.34 alone. apt fetches them through a private sources list, leaving
# the system's apt configuration alone.
if ! docker compose version >/dev/null 2>&1 || ! docker buildx version >/dev/null 2>&1; then
  mirror=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  mirror=${mirror:-http://deb.debian.org/debian}
  apt_dir=$(mktemp -d)
  chmod 755 "$apt_dir"
  mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main" >"$apt_dir/sources.list"
  apt_opts=(-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Etc::SourceList=$apt_dir/sources.list"
    -o Dir::Etc::SourceParts=/nonexistent -o "Dir::Cache=$apt_dir/cache"
    -o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
    -o Acquire::IndexTargets::deb::DEP-11-icons-small::DefaultEnabled=false)
  timeout 300 apt-get "${apt_opts[@]}" update -qq
  (cd "$apt_dir" && timeout 300 apt-get "${apt_opts[@]}" -o APT::Sandbox::User=root download -qq docker-compose docker-buildx)
  dpkg -i --path-exclude='/usr/share/doc/*' --path-exclude='/usr/share/man/*' "$apt_dir"/*.deb >/dev/null
  rm -rf "$apt_dir"
  lap "compose v2 + buildx from trixie"
fi

# --- 2. dockerd ---------------------------------------------------------------
# The stack's names and sizes (also what on_exit tears down).
project=weft-ci
export COMPOSE_PROJECT_NAME=$project COMPOSE_FILE=${COMPOSE_FILE:-compose.yaml}
export WEFT_IMAGE=weft:ci REDIS_IMAGE=weft-redis:local
# Enough samples that the kill falls well inside the run (about 500 samples
# a second here, so 4 s; the kill is sent 5% into the run).
export WEFT_SAMPLES=${WEFT_SAMPLES:-2000} WEFT_BATCH_SIZE=${WEFT_BATCH_SIZE:-4}
# Health polled every second, so `up --wait` returns as soon as it can.
export WEFT_HEALTH_INTERVAL=1s
logs=target/docker-ci
rm -rf "$logs"
mkdir -p "$logs"

stack_down() {
  timeout 60 docker compose --profile generate down -v --remove-orphans -t 5 >/dev/null 2>&1 || true
}
dockerd_pid=
run=
on_exit() {
  local status=$?
  set +e
  if [ -n "$run" ]; then
    kill "$run" 2>/dev/null
    wait "$run" 2>/dev/null
  fi
  if [ "$status" != 0 ] && docker info >/dev/null 2>&1; then
    docker compose --profile generate ps -a >&2 2>/dev/null || true
    docker compose --profile generate logs --no-color --tail 30 >&2 2>/dev/null || true
  fi
  stack_down
  if [ -n "$dockerd_pid" ] && [ "${WEFT_CI_KEEP_DOCKERD:-}" != 1 ]; then
    kill "$dockerd_pid" 2>/dev/null || true
    timeout 30 sh -c "while kill -0 $dockerd_pid 2>/dev/null; do sleep 0.2; done" || true
  fi
  exit "$status"
}
trap on_exit EXIT
trap 'exit 143' TERM INT

if ! docker info >/dev/null 2>&1; then
  mkdir -p target
  # No systemd here: dockerd runs as a child of this script, with its log in target/.
  nohup dockerd >target/dockerd.log 2>&1 &
  dockerd_pid=$!
  timeout 60 sh -c 'until docker info >/dev/null 2>&1; do sleep 0.2; done' ||
    fail "dockerd did not answer within 60s; see target/dockerd.log"
fi
lap "dockerd ready ($(docker info -f '{{.ServerVersion}}, {{.Driver}}'))"

stack_down # what an interrupted run left

# --- 3. images, pulling nothing -----------------------------------------------
# BuildKit builds only the stages the prebuilt path needs; the docker CLI
# runs it through the buildx plugin, docker 20.10's own CLI without it.
export DOCKER_BUILDKIT=1
# The images this run replaces, removed once the new ones exist (every run
# makes new image IDs; repeated runs must not pile up old ones).
previous_images=$(docker image inspect -f '{{.Id}}' weft-base:local "$WEFT_IMAGE" "$REDIS_IMAGE" 2>/dev/null || true)
root=$(mktemp -d)
docker/mkroot.sh "$root" "$binary"
tar --numeric-owner -C "$root" -c . | docker import - weft-base:local >/dev/null
rm -rf "$root"
lap "weft-base:local ($(docker image inspect -f '{{.Size}}' weft-base:local) bytes, host glibc + CA bundle)"
timeout 300 docker build -q -t "$WEFT_IMAGE" --build-arg BIN=prebuilt --build-arg BASE=weft-base:local . >/dev/null
lap "docker build $WEFT_IMAGE ($(docker image inspect -f '{{.Size}}' "$WEFT_IMAGE") bytes)"
[ "$(docker image inspect -f '{{.Config.User}}' "$WEFT_IMAGE")" = 10001:10001 ] || fail "$WEFT_IMAGE does not run as weft"

if ! command -v redis-server >/dev/null || ! command -v curl >/dev/null; then
  timeout 600 apt-get install -y -qq --no-install-recommends redis-server curl >/dev/null
fi
root=$(mktemp -d)
docker/mkroot.sh "$root" /usr/bin/redis-server /usr/bin/redis-cli
mkdir -p "$root/usr/local/bin" "$root/data"
# redis-server is a symlink to redis-check-rdb, which picks its mode from argv[0].
cp -L /usr/bin/redis-server /usr/bin/redis-cli "$root/usr/local/bin/"
chown 999:999 "$root/data"
tar --numeric-owner -C "$root" -c . | docker import -c 'ENV PATH=/usr/local/bin' -c 'USER 999:999' \
  -c 'WORKDIR /data' -c 'EXPOSE 6379' -c 'CMD ["redis-server"]' - "$REDIS_IMAGE" >/dev/null
rm -rf "$root"
current_images=$(docker image inspect -f '{{.Id}}' weft-base:local "$WEFT_IMAGE" "$REDIS_IMAGE")
for image in $previous_images; do
  grep -qx "$image" <<<"$current_images" || docker rmi "$image" >/dev/null 2>&1 || true
done
lap "$REDIS_IMAGE (the host's $(redis-server --version | awk '{print $3}'))"

# --- 4. Kubernetes manifests ----------------------------------------------------
timeout 300 .ci/k8s-validate.sh
lap "deploy/k8s validated (kubernetes-validate, strict)"

# --- 5. the stack -----------------------------------------------------------------
if ! timeout 120 docker compose up -d --wait >"$logs/up.log" 2>&1; then
  for container in $(docker compose ps -aq); do
    echo "health of $(docker inspect -f '{{.Name}}: {{if .State.Health}}{{range .State.Health.Log}}{{.Output}}{{end}}{{end}}' "$container")" >&2
  done
  fail "the stack did not come up healthy: $(tail -3 "$logs/up.log")"
fi
mapfile -t replicas < <(docker compose ps -q weft)
[ "${#replicas[@]}" = 2 ] || fail "expected 2 weft replicas, found ${#replicas[@]}"
lap "compose up --wait: redis + 2 replicas healthy"
address=()
for replica in "${replicas[@]}"; do
  address+=("$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$replica")")
done

# Tool calls the replica at an address has answered (its /metrics).
calls() {
  curl -sf --max-time 5 "http://$1:3000/metrics" |
    awk '/^weft_tool_calls_total[{]/ { total += $NF } END { print total + 0 }'
}
written() { cat "$dataset"/dataset.shard-*.jsonl 2>/dev/null | wc -l; }
# (Samples are appended as each one finishes, so lines are samples.)

run_started=$(date +%s.%N)
timeout 600 docker compose --profile generate run --rm -T merge >"$logs/merge.log" 2>&1 &
run=$!
# The dataset volume exists once the run has started.
dataset=
for _ in $(seq 300); do
  dataset=$(docker volume inspect -f '{{.Mountpoint}}' "${project}_dataset" 2>/dev/null) && break
  sleep 0.1
done
[ -n "$dataset" ] || fail "the dataset volume never appeared"
[ ! -e "$dataset/dataset.jsonl" ] || fail "the dataset volume holds an older run's files"

# Kill a replica early in the run, while every shard has samples in flight.
threshold=$((WEFT_SAMPLES / 20))
until [ "$(written)" -ge "$threshold" ]; do
  kill -0 "$run" 2>/dev/null || break
  sleep 0.05
done
calls_0=$(calls "${address[0]}")
calls_1=$(calls "${address[1]}")
# The busier one, so that the kill surely cuts calls off.
if [ "$calls_0" -ge "$calls_1" ]; then victim=0 survivor=1; else victim=1 survivor=0; fi
written_before_kill=$(written)
kill_sent=$(date +%s.%N)
# SIGKILL at once; the call returns when the container is gone (0.3-1.4 s
# on a busy machine, while the run goes on).
docker kill "${replicas[$victim]}" >/dev/null
written_at_kill=$(written)
survivor_at_kill=$(calls "${address[$survivor]}")
echo "   killed replica $(docker inspect -f '{{.Name}}' "${replicas[$victim]}") $(awk "BEGIN { print $kill_sent - $run_started }")s into the run," \
  "with $written_before_kill of $WEFT_SAMPLES samples written ($written_at_kill once it was gone); calls so far: $calls_0 and $calls_1"
[ "$written_before_kill" -lt "$WEFT_SAMPLES" ] ||
  fail "the run had finished before the kill ($written_before_kill samples): raise WEFT_SAMPLES"

run_status=0
wait "$run" || run_status=$?
run=
lap "generation: $WEFT_SAMPLES samples (batch $WEFT_BATCH_SIZE, 2 shards), one replica killed"
for shard in shard-0 shard-1; do
  docker compose --profile generate logs --no-color --no-log-prefix "$shard" >"$logs/$shard.log" 2>&1 || true
done
docker compose logs --no-color weft >"$logs/weft.log" 2>&1 || true
lap "logs in $logs"
[ "$run_status" = 0 ] || fail "the run exited $run_status: $(tail -5 "$logs/merge.log")"

# --- checks -----------------------------------------------------------------------
python3 .ci/check-dataset.py "$dataset/dataset.jsonl" "$WEFT_SAMPLES" || fail "the merged dataset lost or spoiled samples"
# The check must be able to fail: a copy as long as the dataset, with the
# first sample twice, the last one missing and a tool result carrying a
# connection error, is refused with each fault named.
spoiled=$logs/spoiled.jsonl
{
  head -n 1 "$dataset/dataset.jsonl"
  sed -n "2,$((WEFT_SAMPLES - 1))p" "$dataset/dataset.jsonl" |
    sed '1s|"role":"tool","content":"|&error sending request for url (http://weft:3000/vfs/execute): |'
  head -n 1 "$dataset/dataset.jsonl"
} >"$spoiled"
if python3 .ci/check-dataset.py "$spoiled" "$WEFT_SAMPLES" 2>"$logs/spoiled.out"; then
  fail "check-dataset.py accepted a spoiled dataset"
fi
for fault in "sample 0 again" "missing sample indices: \[$((WEFT_SAMPLES - 1))\]" "sample 1 carries a transport error"; do
  grep -q "$fault" "$logs/spoiled.out" || fail "check-dataset.py did not report '$fault': $(cat "$logs/spoiled.out")"
done
survivor_after=$(calls "${address[$survivor]}")
[ "$survivor_after" -gt "$survivor_at_kill" ] || fail "the surviving replica answered nothing after the kill"
redone=$(cat "$logs"/shard-*.log | grep -c 'rejected: the tool service failed' || true)
# A sample's calls go to whichever replica a pooled connection leads to; a
# session one replica could not find would be redone as lost.
lost=$(cat "$logs"/shard-*.log | grep -c 'answered from session store' || true)
echo "   $(tail -1 "$logs/merge.log")"
echo "   surviving replica answered $((survivor_after - survivor_at_kill)) calls after the kill;" \
  "$redone attempts were redone after the tool service failed them, $lost of them for a lost session"
[ "$redone" -ge 1 ] || fail "the kill cut no tool call off, so nothing exercised the redo of an attempt: run again"
[ "$lost" = 0 ] || fail "$lost sessions were not found by the replica that got their next call (not shared through Redis?)"
[ "$(docker inspect -f '{{.State.Status}}' "${replicas[$victim]}")" = exited ] || fail "the killed replica came back"
lap "checked: exactly $WEFT_SAMPLES samples, each once, no connection error"

stack_down
lap "compose down -v"
