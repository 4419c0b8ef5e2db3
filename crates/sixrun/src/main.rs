//! sixrun: a runc-compatible OCI runtime CLI over six-runtime.

fn main() {}
