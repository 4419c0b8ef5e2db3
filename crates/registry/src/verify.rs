//! Checking content against the digest that names it while it streams: [`Hasher`] for
//! sha256/384/512 and [`Verifying`], a reader that counts and hashes what passes, and at
//! the end of the stream (or past the announced size) fails with the reason, which it also
//! keeps for the caller, who may only see an I/O error of a decompressor in between.

use std::io::{self, Read};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use sha2::Digest as _;

use crate::error::{Error, Result};

/// A running hash for one of go-digest's algorithms.
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    /// The hasher for `digest`'s algorithm.
    pub(crate) fn for_digest(digest: &str) -> Result<Hasher> {
        match digest.split_once(':').map(|(a, _)| a) {
            Some("sha256") => Ok(Hasher::Sha256(sha2::Sha256::new())),
            Some("sha384") => Ok(Hasher::Sha384(sha2::Sha384::new())),
            Some("sha512") => Ok(Hasher::Sha512(sha2::Sha512::new())),
            _ => Err(Error::invalid(
                format!("digest {digest}"),
                "unsupported digest algorithm",
            )),
        }
    }

    pub(crate) fn update(&mut self, b: &[u8]) {
        match self {
            Hasher::Sha256(h) => h.update(b),
            Hasher::Sha384(h) => h.update(b),
            Hasher::Sha512(h) => h.update(b),
        }
    }

    /// `algorithm:hex`.
    pub(crate) fn finish(self) -> String {
        match self {
            Hasher::Sha256(h) => format!("sha256:{}", hex::encode(h.finalize())),
            Hasher::Sha384(h) => format!("sha384:{}", hex::encode(h.finalize())),
            Hasher::Sha512(h) => format!("sha512:{}", hex::encode(h.finalize())),
        }
    }
}

/// `sha256:<hex>` of `bytes`.
pub(crate) fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(sha2::Sha256::digest(bytes)))
}

/// Checks `bytes` against `digest`.
pub(crate) fn check(bytes: &[u8], digest: &str, what: &str) -> Result<()> {
    let mut h = Hasher::for_digest(digest)?;
    h.update(bytes);
    let actual = h.finish();
    if actual != digest {
        return Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: digest.to_owned(),
            actual,
        });
    }
    Ok(())
}

/// Where a [`Verifying`] reader leaves the reason it failed.
pub(crate) type Failure = Arc<Mutex<Option<Error>>>;

/// A reader that hashes and counts a blob, and fails at its end if the blob is not the
/// one `digest` and `size` name; also fails at once when `cancel` is set.
pub(crate) struct Verifying<'a, R> {
    inner: R,
    hasher: Option<Hasher>,
    digest: String,
    size: u64,
    count: u64,
    what: String,
    failure: Failure,
    cancel: &'a AtomicBool,
    on_bytes: &'a (dyn Fn(u64) + Sync),
}

impl<'a, R: Read> Verifying<'a, R> {
    pub(crate) fn new(
        inner: R,
        digest: &str,
        size: u64,
        what: &str,
        cancel: &'a AtomicBool,
        on_bytes: &'a (dyn Fn(u64) + Sync),
    ) -> Result<Self> {
        Ok(Verifying {
            inner,
            hasher: Some(Hasher::for_digest(digest)?),
            digest: digest.to_owned(),
            size,
            count: 0,
            what: what.to_owned(),
            failure: Arc::new(Mutex::new(None)),
            cancel,
            on_bytes,
        })
    }

    /// The reason this reader failed, if it did.
    pub(crate) fn failure(&self) -> Failure {
        self.failure.clone()
    }

    fn fail(&self, e: Error) -> io::Error {
        let msg = e.to_string();
        *self.failure.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
        io::Error::new(io::ErrorKind::InvalidData, msg)
    }
}

impl<R: Read> Read for Verifying<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.cancel.load(Ordering::Relaxed) {
            return Err(self.fail(Error::Cancelled));
        }
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => return Err(e),
            Err(e) => {
                let err = match self.count < self.size {
                    true => Error::Truncated {
                        what: format!("{} ({e})", self.what),
                        expected: self.size,
                        got: self.count,
                    },
                    false => Error::invalid(&self.what, e),
                };
                return Err(self.fail(err));
            }
        };
        self.count += n as u64;
        if self.count > self.size {
            return Err(self.fail(Error::Truncated {
                what: format!("{} (longer than announced)", self.what),
                expected: self.size,
                got: self.count,
            }));
        }
        if n > 0 {
            if let Some(h) = &mut self.hasher {
                h.update(&buf[..n]);
            }
            (self.on_bytes)(n as u64);
            return Ok(n);
        }
        // The end: the blob must be complete and the one its digest names.
        let Some(h) = self.hasher.take() else {
            return Ok(0);
        };
        if self.count < self.size {
            return Err(self.fail(Error::Truncated {
                what: self.what.clone(),
                expected: self.size,
                got: self.count,
            }));
        }
        let actual = h.finish();
        if actual != self.digest {
            return Err(self.fail(Error::DigestMismatch {
                what: self.what.clone(),
                expected: self.digest.clone(),
                actual,
            }));
        }
        Ok(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(data: &[u8], digest: &str, size: u64) -> (io::Result<Vec<u8>>, Option<String>) {
        let cancel = AtomicBool::new(false);
        let count = |_: u64| {};
        let mut v = Verifying::new(data, digest, size, "blob x", &cancel, &count).unwrap();
        let mut out = Vec::new();
        let r = v.read_to_end(&mut out).map(|_| out);
        let f = v.failure().lock().unwrap().as_ref().map(|e| e.to_string());
        (r, f)
    }

    #[test]
    fn passes_good_blobs_and_names_bad_ones() {
        let d = sha256(b"hello");
        assert_eq!(read_all(b"hello", &d, 5).0.unwrap(), b"hello");
        let (r, f) = read_all(b"hellO", &d, 5);
        assert!(r.is_err());
        assert!(f.unwrap().starts_with("digest mismatch for blob x"));
        let (_, f) = read_all(b"hel", &d, 5);
        assert_eq!(f.unwrap(), "blob x is truncated: expected 5 bytes, got 3");
        let (_, f) = read_all(b"hello!", &d, 5);
        assert!(f.unwrap().contains("longer than announced"));
        assert!(check(b"hello", &d, "x").is_ok());
        assert!(check(b"hellO", &d, "x").is_err());
    }
}
