# Sourced by .ci/run: builds the Spin SDK test components from source —
# components/spin-notes with the Rust spin-sdk for wasm32-wasip1 (a core
# module) and wasm32-wasip2 (a component), the same for wasip1 with an
# import no host provides (feature `audit`), and the Python version with
# componentize-py and the Python spin-sdk (PyPI) — into target/spin-notes,
# and exports where they are:
#   WEFT_SPIN_NOTES_P1     wasm32-wasip1 core module
#   WEFT_SPIN_NOTES_P2     wasm32-wasip2 component
#   WEFT_SPIN_NOTES_AUDIT  wasm32-wasip1 core module importing acme:audit/log
#   WEFT_SPIN_NOTES_PY     componentize-py component
#   WEFT_PY_SPIN_COMPONENTIZE  componentize-py beside the Python spin-sdk
#   WEFT_PY_WEFT_COMPONENTIZE  componentize-py alone (for weft-world components:
#                              an installed spin-sdk would bring its own world)
# Re-running rebuilds only what changed (cargo), and the Python component
# only when app.py or its requirements change.
WEFT_SPIN_DIR="${WEFT_SPIN_DIR:-$PWD/target/spin-notes}"
spin_src="$PWD/components/spin-notes"
mkdir -p "$WEFT_SPIN_DIR"

rustup target add wasm32-wasip1 wasm32-wasip2 >/dev/null
spin_cargo() {
  # The guests' own workspace and lock; none of the host build's flags.
  (cd "$spin_src/rust" && env -u RUSTFLAGS -u CARGO_ENCODED_RUSTFLAGS -u CARGO_TARGET_DIR \
    cargo build --release --locked --quiet --target-dir "$WEFT_SPIN_DIR/cargo" "$@")
}
spin_cargo --target wasm32-wasip2
spin_cargo --target wasm32-wasip1
cp "$WEFT_SPIN_DIR/cargo/wasm32-wasip2/release/spin_notes.wasm" "$WEFT_SPIN_DIR/notes-p2.wasm"
cp "$WEFT_SPIN_DIR/cargo/wasm32-wasip1/release/spin_notes.wasm" "$WEFT_SPIN_DIR/notes-p1.wasm"
spin_cargo --target wasm32-wasip1 --features audit
cp "$WEFT_SPIN_DIR/cargo/wasm32-wasip1/release/spin_notes.wasm" "$WEFT_SPIN_DIR/notes-audit.wasm"
# Leave the plain wasip1 build as cargo's latest artifact.
spin_cargo --target wasm32-wasip1

spin_venv="$WEFT_SPIN_DIR/venv"
spin_stamp="$(cat "$spin_src/python/requirements.txt" "$spin_src/python/app.py" | sha256sum | cut -c1-16)"
if [ ! -x "$spin_venv/bin/componentize-py" ]; then
  python3 -m venv "$spin_venv"
  "$spin_venv/bin/pip" install --quiet --disable-pip-version-check -r "$spin_src/python/requirements.txt"
fi
weft_py_venv="$WEFT_SPIN_DIR/venv-weft"
if [ ! -x "$weft_py_venv/bin/componentize-py" ]; then
  python3 -m venv "$weft_py_venv"
  "$weft_py_venv/bin/pip" install --quiet --disable-pip-version-check \
    "$(grep -m1 '^componentize-py==' "$spin_src/python/requirements.txt")"
fi
if [ ! -f "$WEFT_SPIN_DIR/notes-py.wasm" ] || [ "$(cat "$WEFT_SPIN_DIR/notes-py.stamp" 2>/dev/null)" != "$spin_stamp" ]; then
  # componentize-py finds the SDK's WIT through the active environment.
  (cd "$spin_src/python" && . "$spin_venv/bin/activate" \
    && componentize-py -w spin-http componentize app -o "$WEFT_SPIN_DIR/notes-py.wasm" >/dev/null \
    && rm -rf __pycache__)
  echo "$spin_stamp" > "$WEFT_SPIN_DIR/notes-py.stamp"
fi

export WEFT_SPIN_NOTES_P1="$WEFT_SPIN_DIR/notes-p1.wasm"
export WEFT_SPIN_NOTES_P2="$WEFT_SPIN_DIR/notes-p2.wasm"
export WEFT_SPIN_NOTES_AUDIT="$WEFT_SPIN_DIR/notes-audit.wasm"
export WEFT_SPIN_NOTES_PY="$WEFT_SPIN_DIR/notes-py.wasm"
export WEFT_PY_SPIN_COMPONENTIZE="$spin_venv/bin/componentize-py"
export WEFT_PY_WEFT_COMPONENTIZE="$weft_py_venv/bin/componentize-py"
