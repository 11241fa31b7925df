# Sourced by .ci/run: installs Debian's chromium, which the HTML report's
# browser test (crates/dataset/tests/test_inspect_browser.rs) renders the
# report in, and exports where it is. Re-running is a no-op.
#   WEFT_CHROMIUM  the chromium binary
if [ ! -x /usr/bin/chromium ]; then
  apt-get update -qq && apt-get install -y -qq chromium
fi
export WEFT_CHROMIUM=/usr/bin/chromium
