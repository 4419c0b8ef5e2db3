#!/usr/bin/env bash
# The whole test suite: unit and integration tests (as root), then the Podman/containerd/dockerd
# compatibility suite against sixrun, then fmt, clippy (-D warnings), rustdoc (broken links
# denied) and the crate graph of docs/contracts.md against Cargo.toml. Run from anywhere;
# needs the packages .ci/run installs.
# Every part runs even when an earlier one fails; the exit code is non-zero if any failed.
set -uo pipefail
cd "$(dirname "$0")/.."
export SIXDOCKER_NO_IP_FORWARD=1   # tests never touch the host's ip_forward
status=0
cargo build --workspace --bins || exit 1
# Bounded: a hung test fails the run (its name is in the "running for over 60 seconds" lines)
# and the parts after it still run, instead of the whole CI job timing out.
timeout -k 30s 50m cargo test --workspace --no-fail-fast -- --test-threads=4 || status=1
tests/compat/run.sh "$PWD/target/debug/sixrun" || status=1
# The original sixDocker's command lines, as docs/walkthrough.md takes a learner through them.
walk=$(scripts/walkthrough.sh "$PWD/target/debug/sixdocker" 2>&1) || { tail -n 40 <<<"$walk"; status=1; }
# The code's own checks: formatting, lints as errors, docs without broken links.
cargo fmt --all -- --check || { echo "cargo fmt: run cargo fmt --all"; status=1; }
cargo clippy --workspace --all-targets --quiet -- -D warnings || status=1
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet || status=1
# The crate graph in docs/contracts.md is Cargo.toml's.
python3 scripts/crate-graph.py --check || status=1
exit $status
