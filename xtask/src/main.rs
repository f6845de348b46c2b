//! xtask: this repository's kops pipeline and its command line.
fn main() {}
