# Sourced by .ci/run: the peers of weft-dataset's chat-template tests,
# installed once per cache dir, and where they are. Re-running is a no-op.
#   WEFT_CHAT_TEMPLATES  a directory of real chat templates (*.jinja): the ones
#                        llama.cpp collects from the models' repositories, taken
#                        from the llama-cpp-python sdist (nothing is compiled,
#                        nothing is committed)
#   WEFT_JINJA_PYTHON    a Python with jinja2, to render them as transformers does
#                        (crates/dataset/tests/render_chat_template.py)
WEFT_PEERS_DIR="${WEFT_PEERS_DIR:-$PWD/target/peers}"
WEFT_JINJA2_VERSION=3.1.6
WEFT_MARKUPSAFE_VERSION=3.0.4
WEFT_LLAMA_CPP_PYTHON_VERSION=0.3.36
WEFT_LLAMA_CPP_PYTHON_SHA256=832db0699007f1be95a7e41ef12e88926b02ba836461e36a36372db2760c1a2e

if ! python3 -m venv --help >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq python3-venv
fi

jinja_venv="$WEFT_PEERS_DIR/jinja-venv"
if ! "$jinja_venv/bin/python" -c "import jinja2, sys; sys.exit(jinja2.__version__ != '$WEFT_JINJA2_VERSION')" 2>/dev/null; then
  python3 -m venv "$jinja_venv"
  # The build helpers only let pip read the sdist's metadata (pip download
  # runs scikit-build-core's metadata hook even with --no-build-isolation).
  "$jinja_venv/bin/pip" install --quiet --disable-pip-version-check \
    "jinja2==$WEFT_JINJA2_VERSION" "markupsafe==$WEFT_MARKUPSAFE_VERSION" \
    "scikit-build-core==1.1.2" "cmake==4.4.5" "ninja==1.13.2"
fi
export WEFT_JINJA_PYTHON="$jinja_venv/bin/python"

templates="$WEFT_PEERS_DIR/chat-templates"
templates_stamp="$templates/.llama-cpp-python-$WEFT_LLAMA_CPP_PYTHON_VERSION"
if [ ! -f "$templates_stamp" ]; then
  sdist_dir="$WEFT_PEERS_DIR/sdist"
  sdist="$sdist_dir/llama_cpp_python-$WEFT_LLAMA_CPP_PYTHON_VERSION.tar.gz"
  if [ ! -f "$sdist" ]; then
    "$jinja_venv/bin/pip" download --quiet --disable-pip-version-check --no-deps --no-binary :all: \
      --no-build-isolation "llama-cpp-python==$WEFT_LLAMA_CPP_PYTHON_VERSION" -d "$sdist_dir"
  fi
  echo "$WEFT_LLAMA_CPP_PYTHON_SHA256  $sdist" | sha256sum --check --quiet
  rm -rf "$templates"
  mkdir -p "$templates"
  # Only the templates (about 70 files of a 3,900-member archive).
  tar -xzf "$sdist" -C "$templates" --strip-components=5 --wildcards \
    "llama_cpp_python-$WEFT_LLAMA_CPP_PYTHON_VERSION/vendor/llama.cpp/models/templates/*.jinja"
  touch "$templates_stamp"
fi
export WEFT_CHAT_TEMPLATES="$templates"
