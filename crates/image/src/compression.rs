//! Layer compression: detects gzip, zstd or plain tar by magic bytes and returns a
//! decompressing reader. Never guesses from file names or media types.

use std::io::{BufRead, BufReader, Read};

use crate::error::{Error, Result};

/// What a layer stream is compressed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Compression {
    Plain,
    Gzip,
    Zstd,
}

const GZIP: &[u8] = &[0x1f, 0x8b];
const ZSTD: &[u8] = &[0x28, 0xb5, 0x2f, 0xfd];
const XZ: &[u8] = &[0xfd, b'7', b'z', b'X', b'Z', 0];
const BZIP2: &[u8] = b"BZh";

/// Detects the compression of `r` from its first bytes (without consuming them).
pub(crate) fn detect<R: BufRead>(r: &mut R, what: &str) -> Result<Compression> {
    let head = r
        .fill_buf()
        .map_err(|e| Error::io(format!("reading {what}"), e))?;
    if head.starts_with(GZIP) {
        Ok(Compression::Gzip)
    } else if head.starts_with(ZSTD) {
        Ok(Compression::Zstd)
    } else if head.starts_with(XZ) || head.starts_with(BZIP2) {
        Err(Error::corrupt(
            what,
            "xz and bzip2 layers are not supported (expected plain tar, gzip or zstd)",
        ))
    } else {
        Ok(Compression::Plain)
    }
}

/// A reader of the decompressed bytes of `r`, whatever its compression.
pub(crate) fn decompressed<'a, R: Read + 'a>(r: R, what: &str) -> Result<Box<dyn Read + 'a>> {
    let mut buf = BufReader::with_capacity(256 * 1024, r);
    Ok(match detect(&mut buf, what)? {
        Compression::Plain => Box::new(buf),
        Compression::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(buf)),
        Compression::Zstd => Box::new(
            zstd::stream::read::Decoder::with_buffer(buf)
                .map_err(|e| Error::corrupt(what, format!("bad zstd stream: {e}")))?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn roundtrip(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        decompressed(data, "t")
            .unwrap()
            .read_to_end(&mut out)
            .unwrap();
        out
    }

    #[test]
    fn reads_plain_gzip_and_zstd() {
        let plain = b"hello layer".to_vec();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&plain).unwrap();
        let gz = gz.finish().unwrap();
        let zs = zstd::encode_all(&plain[..], 1).unwrap();
        assert_eq!(roundtrip(&plain), plain);
        assert_eq!(roundtrip(&gz), plain);
        assert_eq!(roundtrip(&zs), plain);
    }

    #[test]
    fn corrupt_gzip_is_an_error() {
        let mut out = Vec::new();
        let bad = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff];
        assert!(decompressed(&bad[..], "t")
            .unwrap()
            .read_to_end(&mut out)
            .is_err());
    }

    #[test]
    fn xz_is_refused_clearly() {
        let e = decompressed(XZ, "layer x").err().unwrap().to_string();
        assert!(e.contains("xz"), "{e}");
    }
}
