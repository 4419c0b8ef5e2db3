//! What a step costs when tracing is off (issue 15: "zero cost when off"): nanoseconds per
//! `call`, `step!` and `phase` with no printer started, measured over many iterations of
//! each, medians of several rounds. Run: `cargo bench -p six-trace --bench off [-- N]`.

use std::hint::black_box;
use std::time::Instant;

use six_trace::{Kind, Phase};

/// Nanoseconds per iteration of `f`, median of 7 rounds of `n`.
fn per_iteration(n: u64, mut f: impl FnMut(u64)) -> f64 {
    let mut rounds: Vec<f64> = (0..7)
        .map(|_| {
            let t = Instant::now();
            for i in 0..n {
                f(black_box(i));
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .collect();
    rounds.sort_by(f64::total_cmp);
    rounds[3]
}

fn main() {
    let n: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(20_000_000);
    assert!(!six_trace::on(), "tracing must be off for this measure");
    let bare = per_iteration(n, |i| {
        black_box(Ok::<u64, nix::errno::Errno>(i)).ok();
    });
    let call = per_iteration(n, |i| {
        let r = six_trace::call(
            Kind::Mount,
            || black_box(Ok::<u64, nix::errno::Errno>(i)),
            |d| std::fmt::Write::write_fmt(d, format_args!("{i}")),
        );
        black_box(r).ok();
    });
    let step = per_iteration(n, |i| {
        six_trace::step!(Kind::Cgroup, "memory.limit_in_bytes = {}", black_box(i));
    });
    let phase = per_iteration(n, |_| {
        black_box(six_trace::phase(Phase::Rootfs));
    });
    println!("off, per step (ns): bare call {bare:.2}, six_trace::call {call:.2} (+{:.2}), step! {step:.2}, phase {phase:.2}", call - bare);
}
