//! A classic-BPF interpreter over `struct seccomp_data`, for tests: it runs a compiled
//! program on a made-up syscall so tests check behaviour, not just shape, without a kernel.
//! It runs what the kernel's seccomp checker accepts (loads from seccomp_data, scratch
//! memory, ALU, jumps, returns), so it also runs libseccomp's programs in the differential
//! test. It panics on anything else and on a jump out of the program.

use crate::bpf::*;

// Classes, sizes, modes and operations our own assembler never emits.
const BPF_LDX: u16 = 0x01;
const BPF_ST: u16 = 0x02;
const BPF_STX: u16 = 0x03;
const BPF_MISC: u16 = 0x07;
const BPF_IMM: u16 = 0x00;
const BPF_MEM: u16 = 0x60;
const BPF_LEN: u16 = 0x80;
const BPF_X: u16 = 0x08;
const BPF_A: u16 = 0x10;
const BPF_JSET: u16 = 0x40;

/// A syscall as the kernel shows it to a filter.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Data {
    pub nr: u32,
    pub arch: u32,
    pub args: [u64; 6],
}

impl Data {
    /// The 32-bit word at `off` of `struct seccomp_data` (nr, arch, instruction pointer,
    /// args), in host byte order as the kernel presents it.
    fn word(&self, off: u32) -> u32 {
        let mut bytes = [0u8; 64];
        bytes[0..4].copy_from_slice(&self.nr.to_ne_bytes());
        bytes[4..8].copy_from_slice(&self.arch.to_ne_bytes());
        for (i, a) in self.args.iter().enumerate() {
            bytes[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
        }
        let o = off as usize;
        assert!(
            o.is_multiple_of(4) && o + 4 <= 64,
            "load at {off}: outside seccomp_data"
        );
        u32::from_ne_bytes([bytes[o], bytes[o + 1], bytes[o + 2], bytes[o + 3]])
    }
}

/// Runs `prog` on `d` and returns the filter's verdict.
pub(crate) fn run(prog: &[Insn], d: &Data) -> u32 {
    let (mut a, mut x): (u32, u32) = (0, 0);
    let mut mem = [0u32; 16];
    let mut pc = 0usize;
    loop {
        assert!(pc < prog.len(), "ran off the end");
        let i = prog[pc];
        pc += 1;
        let src = if i.code & BPF_X != 0 { x } else { i.k };
        match i.code & 0x07 {
            BPF_LD => match i.code & 0xe0 {
                BPF_ABS if i.code & 0x18 == BPF_W => a = d.word(i.k),
                BPF_IMM => a = i.k,
                BPF_MEM => a = mem[i.k as usize],
                BPF_LEN => a = 64,
                _ => panic!("unknown load {:#x}", i.code),
            },
            BPF_LDX => match i.code & 0xe0 {
                BPF_IMM => x = i.k,
                BPF_MEM => x = mem[i.k as usize],
                BPF_LEN => x = 64,
                _ => panic!("unknown load {:#x}", i.code),
            },
            BPF_ST => mem[i.k as usize] = a,
            BPF_STX => mem[i.k as usize] = x,
            BPF_ALU => {
                a = match i.code & 0xf0 {
                    0x00 => a.wrapping_add(src),
                    0x10 => a.wrapping_sub(src),
                    0x20 => a.wrapping_mul(src),
                    0x30 => a.checked_div(src).expect("division by zero"),
                    0x40 => a | src,
                    BPF_AND => a & src,
                    0x60 => a.wrapping_shl(src),
                    0x70 => a.wrapping_shr(src),
                    0x80 => a.wrapping_neg(),
                    0x90 => a.checked_rem(src).expect("division by zero"),
                    0xa0 => a ^ src,
                    _ => panic!("unknown ALU op {:#x}", i.code),
                }
            }
            BPF_JMP => {
                let op = i.code & 0xf0;
                if op == BPF_JA {
                    pc += i.k as usize;
                    continue;
                }
                let taken = match op {
                    BPF_JEQ => a == src,
                    BPF_JGT => a > src,
                    BPF_JGE => a >= src,
                    BPF_JSET => a & src != 0,
                    _ => panic!("unknown jump {:#x}", i.code),
                };
                pc += usize::from(if taken { i.jt } else { i.jf });
            }
            BPF_RET => {
                return match i.code & 0x18 {
                    BPF_K => i.k,
                    BPF_A => a,
                    _ => panic!("unknown return {:#x}", i.code),
                }
            }
            BPF_MISC => match i.code & 0xf8 {
                0x00 => x = a,
                0x80 => a = x,
                _ => panic!("unknown misc op {:#x}", i.code),
            },
            _ => unreachable!("three-bit class"),
        }
    }
}
