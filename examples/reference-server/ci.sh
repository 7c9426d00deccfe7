#!/usr/bin/env bash
# Checks the server runtime (`fastsocket` with feature `server`, off in the root workspace's default build) and
# this reference server, driven by a real Socket.IO client. Run from anywhere; CI: `bash examples/reference-server/ci.sh`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

echo "== fastsocket (feature server): clippy, unit and doc tests, docs"
cd "$root"
cargo clippy -p fastsocket --features server --all-targets -- -D warnings
cargo test -p fastsocket --features server --lib server::
cargo test -p fastsocket --features server --doc server
RUSTDOCFLAGS="-D warnings" cargo doc -p fastsocket --features server --no-deps --quiet

echo "== reference server: format, clippy, tests"
cd "$here"
cargo fmt --check
cargo clippy --all-targets -- -D warnings
cargo test
