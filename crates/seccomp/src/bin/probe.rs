//! six-seccomp-probe: a single-threaded helper for this crate's integration tests. It
//! compiles a profile (a linux.seccomp JSON file, or `docker-default`), round-trips it
//! through the cache bytes, sets no_new_privs, installs it, then either makes one raw
//! syscall and prints `ret=N` or `errno=N`, or execs a program.
//!
//! Usage: six-seccomp-probe PROFILE call NR [ARG...] | PROFILE exec PROG [ARG...]
//! | PROFILE call32 NR [ARG ARG] (x86_64 only: the i386 ABI through `int 0x80`).
//! PROBE_DOCKER_FORMAT=1 reads PROFILE in Docker's format (default caps); PROBE_NO_NNP=1 skips no_new_privs; PROBE_SKIP_INSTALL=1 skips the filter.
//! It must not be used as a sandbox: it exists to prove filters do what they say.

use std::ffi::CString;
use std::process::exit;

fn fail(msg: &str) -> ! {
    eprintln!("six-seccomp-probe: {msg}");
    exit(100)
}

fn number(s: &str) -> u64 {
    let parsed = match s.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse(),
    };
    parsed.unwrap_or_else(|_| fail(&format!("not a number: {s}")))
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 {
        fail("usage: six-seccomp-probe PROFILE call NR [ARG...] | PROFILE exec PROG [ARG...]");
    }
    let profile = if args[0] == "docker-default" {
        six_seccomp::docker_default()
    } else {
        let text = std::fs::read_to_string(&args[0])
            .unwrap_or_else(|e| fail(&format!("{}: {e}", args[0])));
        let parsed = if std::env::var_os("PROBE_DOCKER_FORMAT").is_some() {
            six_seccomp::parse_docker_profile(&text, six_seccomp::DOCKER_DEFAULT_CAPS)
        } else {
            six_seccomp::parse_profile(&text)
        };
        parsed.unwrap_or_else(|e| fail(&e.to_string()))
    };
    let compiled = six_seccomp::compile(&profile).unwrap_or_else(|e| fail(&e.to_string()));
    let program = six_seccomp::Program::from_bytes(&compiled.to_bytes())
        .unwrap_or_else(|e| fail(&e.to_string()));
    // Prepare everything that allocates before the filter goes in.
    let exec_args: Vec<CString> = args[2..]
        .iter()
        .map(|a| CString::new(a.as_str()).unwrap_or_else(|_| fail("NUL in argument")))
        .collect();
    let mut exec_ptrs: Vec<*const libc::c_char> = exec_args.iter().map(|a| a.as_ptr()).collect();
    exec_ptrs.push(std::ptr::null());
    let mut call = [0u64; 7];
    if args[1] == "call" || args[1] == "call32" {
        for (slot, a) in call.iter_mut().zip(&args[2..]) {
            *slot = number(a);
        }
    }
    if std::env::var_os("PROBE_NO_NNP").is_none()
        // SAFETY: prctl with constant arguments.
        && unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0
    {
        fail("PR_SET_NO_NEW_PRIVS failed");
    }
    if std::env::var_os("PROBE_SKIP_INSTALL").is_none() {
        if let Err(e) = program.install() {
            fail(&e.to_string());
        }
    }
    match args[1].as_str() {
        "call" => {
            // SAFETY: a raw syscall chosen by the test; arguments are plain numbers.
            let rc = unsafe {
                libc::syscall(
                    call[0] as libc::c_long,
                    call[1],
                    call[2],
                    call[3],
                    call[4],
                    call[5],
                    call[6],
                )
            };
            if rc < 0 {
                println!(
                    "errno={}",
                    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
                );
            } else {
                println!("ret={rc}");
            }
        }
        "call32" => match call32(call[0], call[1], call[2]) {
            rc if rc < 0 => println!("errno={}", -rc),
            rc => println!("ret={rc}"),
        },
        "exec" => {
            // SAFETY: exec_ptrs is a NULL-terminated array of valid C strings.
            unsafe { libc::execv(exec_ptrs[0], exec_ptrs.as_ptr()) };
            fail(&format!(
                "exec {}: {}",
                args[2],
                std::io::Error::last_os_error()
            ));
        }
        other => fail(&format!("unknown command {other}")),
    }
}

/// A syscall through the i386 ABI (`int 0x80`), which the kernel reports to seccomp as
/// AUDIT_ARCH_I386. Returns the raw result (negative errno on failure).
#[cfg(target_arch = "x86_64")]
fn call32(nr: u64, a0: u64, a1: u64) -> i64 {
    let mut rax = nr as u32 as u64;
    // SAFETY: int 0x80 takes eax/ebx/ecx and clobbers only rax (r8-r11 are preserved,
    // but declared clobbered to be safe).
    unsafe {
        // rbx is reserved by LLVM: swap the argument in and out around the call.
        std::arch::asm!("xchg rbx, {a0}", "int 0x80", "xchg rbx, {a0}", a0 = inout(reg) a0 => _,
            inout("rax") rax, in("rcx") a1, out("r8") _, out("r9") _, out("r10") _, out("r11") _);
    }
    rax as u32 as i32 as i64
}

#[cfg(not(target_arch = "x86_64"))]
fn call32(_nr: u64, _a0: u64, _a1: u64) -> i64 {
    fail("call32 exists only on x86_64")
}
