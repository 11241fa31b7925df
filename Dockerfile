# weft in a small image: the `weft` binary on a root holding only the glibc
# loader, the libraries it links, a CA bundle and a non-root user. It runs
# the tool service by default (`weft serve` on 0.0.0.0:3000) and every other
# subcommand too (`generate`, `topics`, `merge`, ...).
#
# From source (pulls rust:1.95.0-bookworm, compiles for ~15 CPU-minutes):
#   docker build -t weft .
# From a binary built on the host and a base made from the host's files
# (pulls nothing; what CI does):
#   docker/mkroot.sh /tmp/root target/release/weft
#   tar --numeric-owner -C /tmp/root -c . | docker import - weft-base:local
#   docker build -t weft --build-arg BIN=prebuilt --build-arg BASE=weft-base:local .
#
# Both need BuildKit (the default with the buildx plugin; DOCKER_BUILDKIT=1
# with docker 20.10's own client): it builds only the stages the target
# needs, so the prebuilt path never pulls the rust image. The classic
# builder refuses this file (RUN --mount). There is no `# syntax=` line
# because it would make BuildKit pull its frontend image.
#
#   docker run -d -p 3000:3000 -v weft-data:/var/lib/weft weft
#   docker run weft serve --manifest /etc/weft/weft-redb.toml   # sessions in a redb file on the volume

ARG RUST_IMAGE=rust:1.95.0-bookworm
# Where the binary comes from: `builder` (cargo build here) or `prebuilt`
# (target/release/weft in the build context).
ARG BIN=builder
# The root it runs on: `base` (made in the builder) or a local image made by
# docker/mkroot.sh, e.g. weft-base:local.
ARG BASE=base

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
# What rust-toolchain.toml asks for, in a layer of its own (else rustup
# fetches the components again whenever the sources change).
RUN rustup target add wasm32-wasip2 && rustup component add rustfmt clippy
COPY . .
# The guest components (wasm32-wasip2) are built by crates/sandbox/build.rs
# and embedded in the binary. The caches keep crates and objects between
# builds of the same machine.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p weft-cli \
 && install -D target/release/weft /out/weft
RUN docker/mkroot.sh /rootfs /out/weft

FROM scratch AS prebuilt
COPY target/release/weft /out/weft

FROM scratch AS base
COPY --from=builder /rootfs/ /

FROM ${BIN} AS bin

FROM ${BASE} AS runtime
COPY --from=bin /out/weft /usr/local/bin/weft
# The manifests of deploy/: sessions in Redis (replicas) or in a redb file.
COPY deploy/weft-redis.toml deploy/weft-redb.toml /etc/weft/
# WEFT_LISTEN is what `weft serve` listens on and what `weft healthcheck`
# asks: change the port here (`-e WEFT_LISTEN=0.0.0.0:8080`), not in the
# command, and both follow. Compiled components are cached in
# /var/cache/weft.
ENV PATH=/usr/local/bin \
    HOME=/home/weft \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    WEFT_CACHE_DIR=/var/cache/weft \
    WEFT_LISTEN=0.0.0.0:3000
USER 10001:10001
WORKDIR /var/lib/weft
# Compile the built-in components once, into the image: a container on a
# machine with the same CPU features starts in milliseconds instead of
# compiling them (1-2 s); on any other, weft compiles (the cache is keyed on
# the engine's compatibility hash, so a mismatch is never loaded).
RUN ["/usr/local/bin/weft", "tools", "list"]
# Sessions (a redb store) and generated datasets.
VOLUME ["/var/lib/weft"]
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD ["/usr/local/bin/weft", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/weft"]
CMD ["serve"]
