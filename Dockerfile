# The image `bakeoff bench` runs in on a cluster or a CI runner: the bakeoff binary, the
# pinned agent CLIs (Claude Code, Codex CLI, Gemini CLI), and what lanes need (git,
# bubblewrap, python3). `bakeoff bench export --dockerfile` writes this file; build it
# from a checkout of bakeoff:
#
#   docker build -t ghcr.io/acme/bakeoff-bench:1 .
#
# The agent CLIs come from scripts/install-agent-clis.sh, so their pins are the ones the
# tests use.

# ---- build: the release binary -------------------------------------------------------
FROM rust:1.95-bookworm AS build
WORKDIR /src
# Only what the build reads: the manifests, the sources, the fixtures `bakeoff demo`
# embeds, and this file (`bench export` embeds it).
COPY Cargo.toml Cargo.lock Dockerfile ./
COPY src ./src
COPY crates ./crates
COPY fixtures ./fixtures
RUN cargo build --release --locked -p bakeoff \
 && install -m 0755 target/release/bakeoff /usr/local/bin/bakeoff

# ---- runtime: bakeoff, the agent CLIs, and what lanes run ----------------------------
# Node.js 20 on Debian bookworm, the platform the agent CLIs are pinned and tested on.
FROM node:20-bookworm-slim

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      bubblewrap \
      ca-certificates \
      git \
      python3 \
 && rm -rf /var/lib/apt/lists/*

# The installer lays the CLIs out under AGENT_CLIS_DIR and links them into its
# node_modules/.bin, which goes on PATH. Optional dependencies and lifecycle scripts
# must run (the native binaries of Claude Code and Codex come that way); the script
# sets both, checks every pin and runs each CLI's --version.
ENV AGENT_CLIS_DIR=/opt/bakeoff/agent-clis \
    DISABLE_AUTOUPDATER=1
COPY scripts/install-agent-clis.sh /opt/bakeoff/scripts/install-agent-clis.sh
RUN CI=true /opt/bakeoff/scripts/install-agent-clis.sh >/dev/null \
 && npm cache clean --force
ENV PATH=/opt/bakeoff/agent-clis/node_modules/.bin:$PATH

COPY --from=build /usr/local/bin/bakeoff /usr/local/bin/bakeoff

# A user of its own: lanes and agents never run as root. The uid is the one the
# exported Kubernetes Job runs as (runAsUser, fsGroup), so it can write its results.
RUN groupadd --gid 10001 bakeoff \
 && useradd --uid 10001 --gid 10001 --create-home --shell /bin/bash bakeoff \
 && mkdir -p /work /results \
 && chown bakeoff:bakeoff /work /results
USER 10001:10001
WORKDIR /work

ENTRYPOINT ["bakeoff"]
CMD ["--help"]
