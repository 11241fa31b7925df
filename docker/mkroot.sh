#!/bin/sh
# mkroot.sh DIR BINARY... — a minimal root filesystem in DIR for running the
# BINARYs: the dynamic loader and every shared library `ldd` lists for them,
# each at the path the binary asks for; /etc/passwd and /etc/group with the
# user and group weft (10001) and nobody; nsswitch.conf (files, then dns);
# the CA bundle; /tmp (1777); /var/lib/weft (the data volume: sessions,
# datasets), /var/cache/weft (compiled components) and /home/weft, owned by
# weft. The binaries themselves are not copied.
#
# The Dockerfile's `base` stage runs it in the builder image; CI runs it on
# the host and imports the result:
#   docker/mkroot.sh /tmp/root target/release/weft
#   tar --numeric-owner -C /tmp/root -c . | docker import - weft-base:local
# Run it as root (it sets ownership). Nothing is taken from a registry.
set -eu
if [ $# -lt 2 ]; then
  echo "usage: $0 DIR BINARY..." >&2
  exit 2
fi
root=$1
shift

mkdir -p "$root/etc" "$root/tmp" "$root/var/lib/weft" "$root/var/cache/weft" "$root/home/weft"
chmod 1777 "$root/tmp"

# Every absolute path ldd prints (`libc.so.6 => /lib/.../libc.so.6 (0x...)`,
# and the loader as `/lib64/ld-linux-x86-64.so.2 (0x...)`), copied to the
# same path with symlinks resolved; the loader finds the libraries in its
# built-in multiarch directories, so no ld.so.cache is needed. A static
# binary needs none. A library ldd cannot find fails the run.
for binary in "$@"; do
  if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "$0: $binary is not an executable file" >&2
    exit 2
  fi
  if ldd "$binary" 2>/dev/null | grep 'not found' >&2; then
    echo "$0: $binary needs the libraries above, which are not installed" >&2
    exit 1
  fi
done
libraries=$(for binary in "$@"; do ldd "$binary" 2>/dev/null || true; done |
  awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
for library in $libraries; do
  mkdir -p "$root$(dirname "$library")"
  cp -L "$library" "$root$library"
done

cat > "$root/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
weft:x:10001:10001:weft:/home/weft:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat > "$root/etc/group" <<'GROUP'
root:x:0:
weft:x:10001:
nogroup:x:65534:
GROUP
printf 'passwd: files\ngroup: files\nhosts: files dns\n' > "$root/etc/nsswitch.conf"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  mkdir -p "$root/etc/ssl/certs"
  cp -L /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
else
  echo "$0: warning: no CA bundle at /etc/ssl/certs/ca-certificates.crt (HTTPS to LLM providers will fail)" >&2
fi
chown 10001:10001 "$root/var/lib/weft" "$root/var/cache/weft" "$root/home/weft"
