#!/usr/bin/env bash
# The whole test suite: unit and integration tests (as root), then the Podman/containerd
# compatibility suite. Run from anywhere; needs the packages that .ci/run installs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --workspace --bins
cargo test --workspace -- --test-threads=4
if [ -x tests/compat/run.sh ]; then
  tests/compat/run.sh "$PWD/target/debug/sixrun"
fi
