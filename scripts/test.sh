#!/usr/bin/env bash
# The whole test suite: unit and integration tests (as root), then the Podman/containerd/dockerd
# compatibility suite against sixrun. Run from anywhere; needs the packages .ci/run installs.
# Every part runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export SIXDOCKER_NO_IP_FORWARD=1   # tests never touch the host's ip_forward
status=0
cargo build --workspace --bins || exit 1
cargo test --workspace --no-fail-fast -- --test-threads=4 || status=1
tests/compat/run.sh "$PWD/target/debug/sixrun" || status=1
exit $status
