# Sourced by .ci/run: installs the real MCP peers the MCP tests talk to, once
# per cache dir, and exports where they are. Re-running is a no-op.
#   WEFT_MCP_EVERYTHING  the CLI script of @modelcontextprotocol/server-everything
#   WEFT_MCP_PYTHON      a Python with the official `mcp` package
#   WEFT_DEEPFABRIC_PYTHON  the same Python, with DeepFabric's own package
#                        (without its dependencies: its SpinClient needs only
#                        httpx, installed here, and pydantic, which `mcp` brings)
WEFT_PEERS_DIR="${WEFT_PEERS_DIR:-$PWD/target/peers}"
WEFT_EVERYTHING_VERSION=2026.8.31
WEFT_PY_MCP_VERSION=2.3.0
WEFT_DEEPFABRIC_VERSION=4.13.0

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  apt-get update -qq && apt-get install -y -qq nodejs npm
fi
if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv
fi

everything="$WEFT_PEERS_DIR/npm/node_modules/@modelcontextprotocol/server-everything"
if [ "$(node -p "require('$everything/package.json').version" 2>/dev/null)" != "$WEFT_EVERYTHING_VERSION" ]; then
  npm install --silent --no-audit --no-fund --prefix "$WEFT_PEERS_DIR/npm" \
    "@modelcontextprotocol/server-everything@$WEFT_EVERYTHING_VERSION"
fi
export WEFT_MCP_EVERYTHING="$everything/dist/index.js"

venv="$WEFT_PEERS_DIR/venv"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('mcp') != '$WEFT_PY_MCP_VERSION')" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "mcp==$WEFT_PY_MCP_VERSION"
fi
export WEFT_MCP_PYTHON="$venv/bin/python"
if ! "$venv/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('deepfabric') != '$WEFT_DEEPFABRIC_VERSION')" 2>/dev/null; then
  "$venv/bin/pip" install --quiet --disable-pip-version-check "httpx==0.28.1"
  "$venv/bin/pip" install --quiet --disable-pip-version-check --no-deps "deepfabric==$WEFT_DEEPFABRIC_VERSION"
fi
export WEFT_DEEPFABRIC_PYTHON="$venv/bin/python"
