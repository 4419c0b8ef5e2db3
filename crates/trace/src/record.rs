//! One step as it travels between processes: a fixed-size, plain-bytes [`Record`] built on
//! the stack (no allocation, so a child after clone can make one), its text written by
//! [`Detail`] into the record's own buffer (cut, never grown), and its decoding on the
//! printing side.
//!
//! It owns the layout and nothing else: what a step means is `kind.rs`, where records go is
//! `sink.rs`.

use std::fmt;

use crate::kind::{Kind, Phase, Role};

/// The most bytes of a source file path a record carries (`crates/…/src/file.rs`).
pub(crate) const FILE_MAX: usize = 96;
/// The most bytes of a step's text: enough for the longest overlay mount options the kernel
/// takes (a page); longer text is cut, and the line says so.
pub(crate) const DETAIL_MAX: usize = 4608;

/// What a record marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Step = 0,
    PhaseBegin = 1,
    PhaseEnd = 2,
}

/// The fixed part of a record. `repr(C)` plain integers: sent as bytes, read back as bytes.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Header {
    /// CLOCK_MONOTONIC when the step began, in ns.
    pub t_ns: u64,
    /// How long the call took, in ns; `u64::MAX`: not measured (a one-off event).
    pub dur_ns: u64,
    pub pid: i32,
    /// 0: done; else the errno the kernel refused it with.
    pub errno: i32,
    pub line: u32,
    /// Records this process could not send before this one (a full socket).
    pub lost: u32,
    pub kind: u8,
    pub role: u8,
    pub mark: u8,
    pub phase: u8,
    /// 1: the detail was cut at `DETAIL_MAX`.
    pub cut: u8,
    pub _pad: u8,
    pub file_len: u16,
    pub detail_len: u16,
    pub _pad2: [u8; 6],
}

/// A whole record: the header, the source file, the text.
#[repr(C)]
pub(crate) struct Record {
    pub h: Header,
    pub file: [u8; FILE_MAX],
    pub detail: [u8; DETAIL_MAX],
}

/// The bytes before the detail.
pub(crate) const FIXED: usize = std::mem::size_of::<Header>() + FILE_MAX;

impl Record {
    /// An empty record of `kind` made at `file:line`.
    pub(crate) fn new(kind: Kind, role: Role, file: &str, line: u32) -> Record {
        let mut r = Record {
            h: Header {
                kind: kind as u8,
                role: role as u8,
                line,
                ..Header::default()
            },
            file: [0; FILE_MAX],
            detail: [0; DETAIL_MAX],
        };
        let f = file.as_bytes();
        let n = f.len().min(FILE_MAX);
        r.file[..n].copy_from_slice(&f[f.len() - n..]);
        r.h.file_len = n as u16;
        r
    }

    /// Where the text goes.
    pub(crate) fn detail(&mut self) -> Detail<'_> {
        Detail {
            buf: &mut self.detail,
            len: &mut self.h.detail_len,
            cut: &mut self.h.cut,
        }
    }

    /// The bytes that go on the wire: the fixed part and the text written.
    pub(crate) fn bytes(&self) -> &[u8] {
        let n = FIXED + self.h.detail_len as usize;
        // SAFETY: Record is repr(C) plain integers and byte arrays with no padding the
        // compiler may leave uninitialised (Header's padding is explicit fields), and n is
        // at most its size.
        unsafe { std::slice::from_raw_parts((self as *const Record).cast::<u8>(), n) }
    }

    /// A record read back from `bytes`; None when they are too short or disagree.
    pub(crate) fn from_bytes(bytes: &[u8]) -> Option<Box<Record>> {
        if bytes.len() < FIXED || bytes.len() > std::mem::size_of::<Record>() {
            return None;
        }
        let mut r = Box::new(Record {
            h: Header::default(),
            file: [0; FILE_MAX],
            detail: [0; DETAIL_MAX],
        });
        // SAFETY: copying at most size_of::<Record>() bytes into a Record, every bit
        // pattern of which is valid (integers and byte arrays).
        unsafe {
            std::ptr::copy_nonoverlapping(
                bytes.as_ptr(),
                (&mut *r as *mut Record).cast::<u8>(),
                bytes.len(),
            );
        }
        let ok = r.h.file_len as usize <= FILE_MAX
            && r.h.detail_len as usize <= DETAIL_MAX
            && FIXED + r.h.detail_len as usize == bytes.len();
        ok.then_some(r)
    }

    pub(crate) fn file(&self) -> &str {
        std::str::from_utf8(&self.file[..self.h.file_len as usize]).unwrap_or("?")
    }

    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.detail[..self.h.detail_len as usize]).into_owned()
    }

    pub(crate) fn kind(&self) -> Kind {
        Kind::from_u8(self.h.kind)
    }

    pub(crate) fn role(&self) -> Role {
        Role::from_u8(self.h.role)
    }

    pub(crate) fn phase(&self) -> Phase {
        Phase::from_u8(self.h.phase)
    }

    pub(crate) fn mark(&self) -> Mark {
        match self.h.mark {
            1 => Mark::PhaseBegin,
            2 => Mark::PhaseEnd,
            _ => Mark::Step,
        }
    }
}

/// A step's text, written into its record's fixed buffer: `write!(d, ...)` never
/// allocates; what does not fit is cut at a character boundary and marked.
pub struct Detail<'a> {
    buf: &'a mut [u8],
    len: &'a mut u16,
    cut: &'a mut u8,
}

impl fmt::Write for Detail<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let at = *self.len as usize;
        let room = self.buf.len() - at;
        let mut n = s.len().min(room);
        if n < s.len() {
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            *self.cut = 1;
        }
        self.buf[at..at + n].copy_from_slice(&s.as_bytes()[..n]);
        *self.len = (at + n) as u16;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write as _;

    #[test]
    fn a_record_survives_the_wire_and_long_text_is_cut() {
        let mut r = Record::new(Kind::Mount, Role::Init, "crates/rootfs/src/mounts.rs", 42);
        r.h.errno = libc::EPERM;
        let target = "/proc";
        let _ = write!(r.detail(), "proc on {target}");
        let back = Record::from_bytes(r.bytes()).unwrap();
        assert_eq!(back.file(), "crates/rootfs/src/mounts.rs");
        assert_eq!(back.h.line, 42);
        assert_eq!(back.text(), "proc on /proc");
        assert_eq!(back.kind(), Kind::Mount);
        assert_eq!(back.role(), Role::Init);
        assert_eq!(back.h.errno, libc::EPERM);
        assert_eq!(back.h.cut, 0);

        let mut long = Record::new(Kind::Mount, Role::Init, "x.rs", 1);
        for _ in 0..DETAIL_MAX {
            let _ = write!(long.detail(), "é");
        }
        assert_eq!(long.h.cut, 1);
        assert!(long.text().chars().all(|c| c == 'é'));
        assert!(Record::from_bytes(&long.bytes()[..FIXED - 1]).is_none());
    }
}
