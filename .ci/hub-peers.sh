# Sourced by .ci/run: installs the official Hugging Face Hub client the
# upload tests read weft's uploads back with, once per cache dir, and
# exports where it is. Re-running is a no-op.
#   WEFT_HF_PYTHON  a Python with huggingface_hub (and nothing else of ours)
WEFT_PEERS_DIR="${WEFT_PEERS_DIR:-$PWD/target/peers}"
WEFT_HF_HUB_VERSION=2.4.0
# huggingface_hub's dependencies, pinned so that every run reads with the
# same client.
WEFT_HF_HUB_REQUIREMENTS="huggingface_hub==$WEFT_HF_HUB_VERSION anyio==4.16.0 click==8.5.1 filelock==4.3.1
  fsspec==2026.9.0 h11==0.16.0 hf-xet==1.8.0 httpcore2==2.16.2 httpx2==2.16.2 idna==3.20 packaging==26.4
  PyYAML==6.0.4 tqdm==4.70.1 truststore==0.10.5 typing_extensions==4.16.0"

if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv
fi

hub_venv="$WEFT_PEERS_DIR/hub-venv"
if ! "$hub_venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('huggingface_hub') != '$WEFT_HF_HUB_VERSION')" 2>/dev/null; then
  python3 -m venv "$hub_venv"
  # shellcheck disable=SC2086
  "$hub_venv/bin/pip" install --quiet --disable-pip-version-check $WEFT_HF_HUB_REQUIREMENTS
fi
export WEFT_HF_PYTHON="$hub_venv/bin/python"
