//! `MemorySize` ("100m", "1g", "512k", "1024") and `MemorySwap` ("-1" or a size), as
//! Docker's `-m` and `--memory-swap` read them: binary multiples, an optional `b`/`ib`.

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// A number of bytes given with an optional unit: `b`, `k`, `m`, `g`, `t` (powers of 1024).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct MemorySize(u64);

impl MemorySize {
    /// A size of `bytes` bytes.
    pub fn from_bytes(bytes: u64) -> MemorySize {
        MemorySize(bytes)
    }
    /// The size in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl fmt::Display for MemorySize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

const EXPECTED: &str = "expected a number with an optional unit b, k, m, g or t (like 100m or 1g)";

impl FromStr for MemorySize {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<MemorySize, TypeError> {
        let bad = || TypeError::new("memory size", s, EXPECTED);
        let lower = s.trim().to_ascii_lowercase();
        let digits_end = lower
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(lower.len());
        let (number, unit) = lower.split_at(digits_end);
        let number: f64 = number.parse().map_err(|_| bad())?;
        let unit = unit.trim_start();
        let unit = unit.strip_suffix('b').unwrap_or(unit);
        let unit = unit.strip_suffix('i').unwrap_or(unit);
        let shift = match unit {
            "" => 0,
            "k" => 10,
            "m" => 20,
            "g" => 30,
            "t" => 40,
            _ => return Err(bad()),
        };
        let bytes = number * (1u64 << shift) as f64;
        if !bytes.is_finite() || bytes >= u64::MAX as f64 {
            return Err(bad());
        }
        Ok(MemorySize(bytes as u64))
    }
}

/// `--memory-swap`: memory plus swap, or `-1` for unlimited swap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MemorySwap {
    /// `-1`: as much swap as the host has.
    Unlimited,
    /// Memory plus swap, at most this much.
    Limit(MemorySize),
}

impl MemorySwap {
    /// The value for `linux.resources.memory.swap` (memory + swap; -1 unlimited).
    pub fn as_spec_value(self) -> i64 {
        match self {
            MemorySwap::Unlimited => -1,
            MemorySwap::Limit(m) => i64::try_from(m.bytes()).unwrap_or(i64::MAX),
        }
    }
}

impl FromStr for MemorySwap {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<MemorySwap, TypeError> {
        if s.trim() == "-1" {
            return Ok(MemorySwap::Unlimited);
        }
        s.parse::<MemorySize>().map(MemorySwap::Limit).map_err(|_| {
            TypeError::new(
                "memory swap",
                s,
                "expected -1 (unlimited) or a size like 200m",
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_are_powers_of_1024() {
        assert_eq!("100m".parse::<MemorySize>().unwrap().bytes(), 100 << 20);
        assert_eq!("1g".parse::<MemorySize>().unwrap().bytes(), 1 << 30);
        assert_eq!("1G".parse::<MemorySize>().unwrap().bytes(), 1 << 30);
        assert_eq!("512k".parse::<MemorySize>().unwrap().bytes(), 512 << 10);
        assert_eq!("100mb".parse::<MemorySize>().unwrap().bytes(), 100 << 20);
        assert_eq!("100MiB".parse::<MemorySize>().unwrap().bytes(), 100 << 20);
        assert_eq!("1.5g".parse::<MemorySize>().unwrap().bytes(), 3 << 29);
        assert_eq!("1024".parse::<MemorySize>().unwrap().bytes(), 1024);
        assert_eq!("1024b".parse::<MemorySize>().unwrap().bytes(), 1024);
    }

    #[test]
    fn bad_sizes_are_refused_with_the_value() {
        for bad in ["10x", "", "m", "-5m", "1.2.3m", "10 mm", "1e9"] {
            let err = bad.parse::<MemorySize>().unwrap_err();
            assert!(err.to_string().contains(&format!("\"{bad}\"")), "{err}");
        }
        assert_eq!(
            "10x".parse::<MemorySize>().unwrap_err().to_string(),
            format!("invalid memory size \"10x\": {EXPECTED}")
        );
    }

    #[test]
    fn swap_accepts_minus_one() {
        assert_eq!("-1".parse::<MemorySwap>().unwrap(), MemorySwap::Unlimited);
        assert_eq!(
            "200m".parse::<MemorySwap>().unwrap().as_spec_value(),
            200 << 20
        );
        assert!("-2".parse::<MemorySwap>().is_err());
    }
}
