//! Rebuild when the embedded fixture sites change (include_dir does not tell cargo on stable).
fn main() {
    println!("cargo:rerun-if-changed=fixtures/sites");
    println!("cargo:rerun-if-changed=build.rs");
}
