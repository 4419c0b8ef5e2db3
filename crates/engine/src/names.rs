//! Docker-style generated container names ("brave_turing"): free at the time of asking;
//! the store's `symlink(2)` claim settles a race between two CLIs.

use std::fs;
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

/// A name not taken in `names_dir`, with a number when all pairs are taken.
pub(crate) fn generate(names_dir: &Path) -> String {
    static SALT: AtomicU32 = AtomicU32::new(0);
    let seed = std::process::id() as usize * 31
        + SALT.fetch_add(1, Ordering::Relaxed) as usize * 7
        + nanos();
    for attempt in 0..ADJECTIVES.len() * SURNAMES.len() {
        let n = seed.wrapping_add(attempt * 13);
        let name = format!(
            "{}_{}",
            ADJECTIVES[n % ADJECTIVES.len()],
            SURNAMES[(n / ADJECTIVES.len()) % SURNAMES.len()]
        );
        if fs::symlink_metadata(names_dir.join(&name)).is_err() {
            return name;
        }
    }
    format!("{}_{}", ADJECTIVES[seed % ADJECTIVES.len()], seed % 100_000)
}

fn nanos() -> usize {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
}

const ADJECTIVES: &[&str] = &[
    "admiring",
    "brave",
    "busy",
    "clever",
    "cool",
    "dazzling",
    "eager",
    "elated",
    "festive",
    "focused",
    "gallant",
    "gracious",
    "happy",
    "hopeful",
    "jolly",
    "keen",
    "kind",
    "loving",
    "modest",
    "nifty",
    "optimistic",
    "peaceful",
    "quirky",
    "relaxed",
    "serene",
    "sharp",
    "stoic",
    "tender",
    "trusting",
    "vibrant",
    "wizardly",
    "zealous",
];
const SURNAMES: &[&str] = &[
    "albattani",
    "babbage",
    "bohr",
    "curie",
    "darwin",
    "dijkstra",
    "einstein",
    "euler",
    "fermat",
    "galileo",
    "gauss",
    "hopper",
    "hypatia",
    "kepler",
    "knuth",
    "lamport",
    "liskov",
    "lovelace",
    "mccarthy",
    "meitner",
    "newton",
    "noether",
    "pascal",
    "ritchie",
    "shannon",
    "thompson",
    "torvalds",
    "turing",
    "wozniak",
    "yalow",
];
