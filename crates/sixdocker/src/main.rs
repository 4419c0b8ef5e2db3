//! sixdocker: the Docker-style container engine CLI.

fn main() {}
