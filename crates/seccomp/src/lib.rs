//! Compiles an OCI seccomp section into a classic BPF program and installs it.
