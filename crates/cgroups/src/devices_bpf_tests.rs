//! Unit tests of the v2 device program: a small interpreter for the instructions it uses
//! runs it on made-up device accesses.

use super::*;

const R: i32 = ACC_READ;
const W: i32 = ACC_WRITE;
const M: i32 = ACC_MKNOD;

/// Runs `p` for a (type, access, major, minor) request; returns r0 at exit.
fn run(p: &[BpfInsn], typ: i32, access: i32, major: u32, minor: u32) -> u64 {
    let ctx = [((access as u32) << 16) | typ as u32, major, minor];
    let mut r = [0u64; 11];
    let mut pc = 0usize;
    loop {
        let i = p[pc];
        let (dst, src) = ((i.regs & 0xf) as usize, (i.regs >> 4) as usize);
        pc += 1;
        match i.code {
            LDX_MEM_W => {
                assert_eq!(src, 1, "loads only from the context");
                r[dst] = u64::from(ctx[i.off as usize / 4]);
            }
            MOV32_REG => r[dst] = r[src] & 0xffff_ffff,
            AND32_IMM => r[dst] = (r[dst] & i.imm as u32 as u64) & 0xffff_ffff,
            RSH32_IMM => r[dst] = (r[dst] & 0xffff_ffff) >> i.imm,
            MOV64_IMM => r[dst] = i.imm as i64 as u64,
            JEQ_IMM if r[dst] == i.imm as i64 as u64 => pc += i.off as usize,
            JNE_IMM if r[dst] != i.imm as i64 as u64 => pc += i.off as usize,
            JEQ_IMM | JNE_IMM => {}
            EXIT => return r[0],
            c => panic!("unexpected opcode {c:#x}"),
        }
    }
}

fn rules(json: &str) -> Vec<LinuxDeviceCgroup> {
    serde_json::from_str(json).unwrap()
}

#[test]
fn docker_like_rules_allow_only_the_listed_devices() {
    let p = program(&rules(
        r#"[{"allow": false, "access": "rwm"},
            {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
            {"allow": true, "type": "c", "major": 136, "access": "rw"},
            {"allow": true, "type": "c", "major": 5, "minor": 2, "access": "r"}]"#,
    ))
    .unwrap();
    assert_eq!(run(&p, DEV_CHAR, R | W, 1, 3), 1, "/dev/null");
    assert_eq!(run(&p, DEV_CHAR, M, 1, 3), 1);
    assert_eq!(
        run(&p, DEV_BLOCK, R, 1, 3),
        0,
        "a block device 1:3 is another device"
    );
    assert_eq!(run(&p, DEV_CHAR, W, 136, 7), 1, "any pty");
    assert_eq!(run(&p, DEV_CHAR, M, 136, 7), 0, "no mknod of ptys");
    assert_eq!(run(&p, DEV_CHAR, R, 5, 2), 1);
    assert_eq!(run(&p, DEV_CHAR, R | W, 5, 2), 0, "write was not granted");
    assert_eq!(run(&p, DEV_BLOCK, R, 8, 0), 0, "/dev/sda");
}

#[test]
fn the_last_matching_rule_decides_and_partial_denies_bite() {
    let p = program(&rules(
        r#"[{"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
            {"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]"#,
    ))
    .unwrap();
    assert_eq!(run(&p, DEV_CHAR, R, 1, 3), 1);
    assert_eq!(
        run(&p, DEV_CHAR, R | W, 1, 3),
        0,
        "the deny touches the request"
    );
    assert_eq!(
        run(&p, DEV_CHAR, R, 1, 5),
        1,
        "no rule matches: allowed, as below a v1 root"
    );
    let all = program(&rules(r#"[{"allow": true, "access": "rwm"}]"#)).unwrap();
    assert_eq!(run(&all, DEV_BLOCK, R | W | M, 8, 0), 1);
}

#[test]
fn bad_rules_are_errors() {
    let e = program(&rules(r#"[{"allow": true, "type": "c", "access": "rwx"}]"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("rwx"), "{e}");
    let e = program(&rules(r#"[{"allow": true, "type": "p", "access": "r"}]"#))
        .unwrap_err()
        .to_string();
    assert!(e.contains("device rule type"), "{e}");
}

#[test]
fn nothing_follows_a_catch_all() {
    let p = program(&rules(r#"[{"allow": true, "type": "c", "major": 1, "access": "r"}, {"allow": false, "access": "rwm"}]"#)).unwrap();
    assert_eq!(p.len(), 7 + 2, "prologue, then the catch-all deny only");
    assert_eq!(run(&p, DEV_CHAR, R, 1, 3), 0);
}
