//! A classic-BPF interpreter over `struct seccomp_data`, for unit tests: it runs a compiled
//! program on a made-up syscall so tests check behaviour, not just shape, without a kernel.

use crate::bpf::*;

/// A syscall as the kernel shows it to a filter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Data {
    pub nr: u32,
    pub arch: u32,
    pub args: [u64; 6],
}

impl Data {
    fn word(&self, off: u32) -> u32 {
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        let o = off as usize;
        u32::from_ne_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]])
    }
}

/// Runs `prog` on `d` and returns the filter's verdict. Panics on anything the compiler
/// should never emit (a backward or out-of-range jump, an unknown opcode).
pub(crate) fn run(prog: &[Insn], d: &Data) -> u32 {
    let mut a: u32 = 0;
    let mut pc = 0usize;
    loop {
        let i = prog[pc];
        pc += 1;
        match i.code {
            c if c == BPF_LD | BPF_W | BPF_ABS => a = d.word(i.k),
            c if c == BPF_ALU | BPF_AND | BPF_K => a &= i.k,
            c if c == BPF_RET | BPF_K => return i.k,
            c if c == BPF_JMP | BPF_JA => pc += i.k as usize,
            c if c & 0x07 == BPF_JMP => {
                let taken = match c & 0xf0 {
                    x if x == BPF_JEQ => a == i.k,
                    x if x == BPF_JGT => a > i.k,
                    x if x == BPF_JGE => a >= i.k,
                    _ => panic!("unknown jump {c:#x}"),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            c => panic!("unknown opcode {c:#x}"),
        }
        assert!(pc < prog.len(), "ran off the end");
    }
}
