//! `CpuSet` ("0,1", "0-3", "0-1,3") for `--cpuset-cpus`, and `Cpus` ("1.5") for `--cpus`.

use std::fmt;
use std::str::FromStr;

use super::TypeError;

/// A set of CPU numbers, kept sorted and written back in the kernel's list format.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct CpuSet(Vec<u32>);

impl CpuSet {
    /// The CPU numbers, ascending.
    pub fn cpus(&self) -> &[u32] {
        &self.0
    }
    /// Whether every CPU in the set appears in `online` (a kernel list like "0-1").
    pub fn within(&self, online: &CpuSet) -> bool {
        self.0.iter().all(|c| online.0.contains(c))
    }
}

const EXPECTED: &str = "expected CPU numbers and ranges like 0,1 or 0-3";

impl FromStr for CpuSet {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<CpuSet, TypeError> {
        let bad = || TypeError::new("cpuset", s, EXPECTED);
        let mut cpus = Vec::new();
        for part in s.trim().split(',') {
            let (lo, hi) = match part.split_once('-') {
                Some((lo, hi)) => (lo, hi),
                None => (part, part),
            };
            let lo: u32 = lo.trim().parse().map_err(|_| bad())?;
            let hi: u32 = hi.trim().parse().map_err(|_| bad())?;
            if lo > hi || hi > 4095 {
                return Err(bad());
            }
            cpus.extend(lo..=hi);
        }
        cpus.sort_unstable();
        cpus.dedup();
        Ok(CpuSet(cpus))
    }
}

impl fmt::Display for CpuSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut i = 0;
        let mut first = true;
        while i < self.0.len() {
            let start = self.0[i];
            let mut end = start;
            while i + 1 < self.0.len() && self.0[i + 1] == end + 1 {
                i += 1;
                end = self.0[i];
            }
            if !first {
                f.write_str(",")?;
            }
            first = false;
            if start == end {
                write!(f, "{start}")?;
            } else {
                write!(f, "{start}-{end}")?;
            }
            i += 1;
        }
        Ok(())
    }
}

/// A number of CPUs (`--cpus 1.5`), turned into a CFS quota over a 100 ms period.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Cpus(f64);

/// The CFS period Docker uses for `--cpus`, in microseconds.
pub(super) const CFS_PERIOD_US: u64 = 100_000;

impl Cpus {
    /// The number of CPUs, as given ("1.5").
    pub fn get(self) -> f64 {
        self.0
    }
    /// `(quota, period)` in microseconds for `linux.resources.cpu`.
    pub fn quota_period(self) -> (i64, u64) {
        (
            (self.0 * CFS_PERIOD_US as f64).round() as i64,
            CFS_PERIOD_US,
        )
    }
    /// Docker's NanoCpus value (shown by inspect).
    pub fn nano_cpus(self) -> i64 {
        (self.0 * 1e9).round() as i64
    }
}

impl FromStr for Cpus {
    type Err = TypeError;
    fn from_str(s: &str) -> Result<Cpus, TypeError> {
        match s.trim().parse::<f64>() {
            Ok(v) if v.is_finite() && v >= 0.01 => Ok(Cpus(v)),
            _ => Err(TypeError::new(
                "number of CPUs",
                s,
                "expected a decimal number of at least 0.01 (like 1.5)",
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpusets_parse_and_print_as_lists() {
        assert_eq!("0,1".parse::<CpuSet>().unwrap().cpus(), &[0, 1]);
        assert_eq!("0-3".parse::<CpuSet>().unwrap().to_string(), "0-3");
        assert_eq!("3,0-1".parse::<CpuSet>().unwrap().to_string(), "0-1,3");
        assert_eq!("0,1".parse::<CpuSet>().unwrap().to_string(), "0-1");
        assert_eq!("5".parse::<CpuSet>().unwrap().to_string(), "5");
    }

    #[test]
    fn bad_cpusets_are_refused() {
        for bad in ["0-", "", "a", "3-1", "0,,1", "-1", "1-2-3"] {
            let err = bad.parse::<CpuSet>().unwrap_err();
            assert!(
                err.to_string()
                    .starts_with(&format!("invalid cpuset \"{bad}\"")),
                "{err}"
            );
        }
    }

    #[test]
    fn cpuset_within_online() {
        let online: CpuSet = "0-1".parse().unwrap();
        assert!("1".parse::<CpuSet>().unwrap().within(&online));
        assert!(!"0-3".parse::<CpuSet>().unwrap().within(&online));
    }

    #[test]
    fn cpus_become_quota_over_period() {
        assert_eq!(
            "1.5".parse::<Cpus>().unwrap().quota_period(),
            (150_000, 100_000)
        );
        assert_eq!("0.5".parse::<Cpus>().unwrap().nano_cpus(), 500_000_000);
        for bad in ["0", "-1", "x", "inf", "NaN"] {
            assert!(bad.parse::<Cpus>().is_err(), "{bad}");
        }
    }
}
