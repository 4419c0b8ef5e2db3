//! A tiny classic-BPF assembler with forward labels: the only place that knows instruction
//! encodings and jump offsets. It never decides what a filter means.

use crate::error::{Error, Result};

// Instruction classes and fields (linux/bpf_common.h).
pub(crate) const BPF_LD: u16 = 0x00;
pub(crate) const BPF_ALU: u16 = 0x04;
pub(crate) const BPF_JMP: u16 = 0x05;
pub(crate) const BPF_RET: u16 = 0x06;
pub(crate) const BPF_W: u16 = 0x00;
pub(crate) const BPF_ABS: u16 = 0x20;
pub(crate) const BPF_AND: u16 = 0x50;
pub(crate) const BPF_JA: u16 = 0x00;
pub(crate) const BPF_JEQ: u16 = 0x10;
pub(crate) const BPF_JGT: u16 = 0x20;
pub(crate) const BPF_JGE: u16 = 0x30;
pub(crate) const BPF_K: u16 = 0x00;

/// The kernel's limit on the length of one filter (BPF_MAXINSNS).
pub const MAX_INSNS: usize = 4096;

/// One classic BPF instruction, laid out as `struct sock_filter`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(C)]
pub struct Insn {
    /// The operation: class, size, mode and source bits (`BPF_LD | BPF_W | BPF_ABS`...).
    pub code: u16,
    /// How many instructions a conditional jump skips when its test holds.
    pub jt: u8,
    /// How many it skips when the test fails.
    pub jf: u8,
    /// The operand: a constant, an offset into `seccomp_data`, or a return value.
    pub k: u32,
}

impl Insn {
    /// Instructions from `struct sock_filter` records (8 bytes each, little-endian: our
    /// cache format, and what the kernel and libseccomp use on every host we support).
    pub(crate) fn decode_all(b: &[u8]) -> Vec<Insn> {
        b.chunks_exact(8)
            .map(|c| Insn {
                code: u16::from_le_bytes([c[0], c[1]]),
                jt: c[2],
                jf: c[3],
                k: u32::from_le_bytes([c[4], c[5], c[6], c[7]]),
            })
            .collect()
    }
}

/// A place in the program, known before its address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Label(usize);

/// Where a conditional jump goes: the next instruction, or a label.
#[derive(Debug, Clone, Copy)]
pub(crate) enum To {
    Next,
    /// Skip this many instructions.
    Skip(u8),
    L(Label),
}

#[derive(Debug)]
enum Item {
    Plain(Insn),
    /// Conditional jump: `code` with operand `k`, targets for true and false.
    Cond {
        code: u16,
        k: u32,
        jt: To,
        jf: To,
    },
    /// Unconditional jump (32-bit offset).
    Ja(Label),
}

#[derive(Debug, Default)]
pub(crate) struct Asm {
    items: Vec<Item>,
    labels: Vec<Option<usize>>,
}

impl Asm {
    pub fn label(&mut self) -> Label {
        self.labels.push(None);
        Label(self.labels.len() - 1)
    }

    /// Places `l` at the next instruction.
    pub fn bind(&mut self, l: Label) {
        self.labels[l.0] = Some(self.items.len());
    }

    /// A = the 32-bit word at `offset` in `struct seccomp_data`.
    pub fn load(&mut self, offset: u32) {
        self.items.push(Item::Plain(Insn {
            code: BPF_LD | BPF_W | BPF_ABS,
            jt: 0,
            jf: 0,
            k: offset,
        }));
    }

    /// A &= k.
    pub fn and(&mut self, k: u32) {
        self.items.push(Item::Plain(Insn {
            code: BPF_ALU | BPF_AND | BPF_K,
            jt: 0,
            jf: 0,
            k,
        }));
    }

    pub fn ret(&mut self, value: u32) {
        self.items.push(Item::Plain(Insn {
            code: BPF_RET | BPF_K,
            jt: 0,
            jf: 0,
            k: value,
        }));
    }

    pub fn jeq(&mut self, k: u32, jt: To, jf: To) {
        self.items.push(Item::Cond {
            code: BPF_JMP | BPF_JEQ | BPF_K,
            k,
            jt,
            jf,
        });
    }

    pub fn jgt(&mut self, k: u32, jt: To, jf: To) {
        self.items.push(Item::Cond {
            code: BPF_JMP | BPF_JGT | BPF_K,
            k,
            jt,
            jf,
        });
    }

    pub fn jge(&mut self, k: u32, jt: To, jf: To) {
        self.items.push(Item::Cond {
            code: BPF_JMP | BPF_JGE | BPF_K,
            k,
            jt,
            jf,
        });
    }

    pub fn ja(&mut self, l: Label) {
        self.items.push(Item::Ja(l));
    }

    /// Resolves labels into offsets. Every label must be bound after its jumps (BPF only
    /// jumps forward) and conditional jumps must land within 255 instructions.
    pub fn finish(self) -> Result<Vec<Insn>> {
        if self.items.len() > MAX_INSNS {
            return Err(Error::TooLarge {
                insns: self.items.len(),
            });
        }
        let at = |l: Label, pc: usize| -> Result<usize> {
            let target = self.labels[l.0].ok_or(Error::Internal("jump to an unbound label"))?;
            target
                .checked_sub(pc + 1)
                .ok_or(Error::Internal("backward jump"))
        };
        let short = |to: To, pc: usize| -> Result<u8> {
            match to {
                To::Next => Ok(0),
                To::Skip(n) => Ok(n),
                To::L(l) => u8::try_from(at(l, pc)?)
                    .map_err(|_| Error::Internal("conditional jump beyond 255 instructions")),
            }
        };
        let mut out = Vec::with_capacity(self.items.len());
        for (pc, item) in self.items.iter().enumerate() {
            out.push(match *item {
                Item::Plain(i) => i,
                Item::Cond { code, k, jt, jf } => Insn {
                    code,
                    jt: short(jt, pc)?,
                    jf: short(jf, pc)?,
                    k,
                },
                Item::Ja(l) => Insn {
                    code: BPF_JMP | BPF_JA,
                    jt: 0,
                    jf: 0,
                    k: at(l, pc)? as u32,
                },
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_resolve_to_forward_offsets() {
        let mut a = Asm::default();
        let end = a.label();
        a.load(0);
        a.jeq(7, To::Next, To::L(end));
        a.ja(end);
        a.ret(1);
        a.bind(end);
        a.ret(2);
        let p = a.finish().unwrap();
        assert_eq!(
            p[1],
            Insn {
                code: BPF_JMP | BPF_JEQ,
                jt: 0,
                jf: 2,
                k: 7
            }
        );
        assert_eq!(
            p[2],
            Insn {
                code: BPF_JMP | BPF_JA,
                jt: 0,
                jf: 0,
                k: 1
            }
        );
        assert_eq!(
            p[4],
            Insn {
                code: BPF_RET,
                jt: 0,
                jf: 0,
                k: 2
            }
        );
    }

    #[test]
    fn unbound_and_far_jumps_are_errors() {
        let mut a = Asm::default();
        let nowhere = a.label();
        a.ja(nowhere);
        assert!(a.finish().is_err());
        let mut a = Asm::default();
        let far = a.label();
        a.jeq(1, To::L(far), To::Next);
        for _ in 0..300 {
            a.ret(0);
        }
        a.bind(far);
        a.ret(0);
        assert!(a.finish().unwrap_err().to_string().contains("255"));
    }
}
