//! Integration tests: the committed reference archive (`archive/collective-impact`) stays whole,
//! and its mirror is still exactly what `arkiv mirror` makes of its WARC files.

use std::path::{Path, PathBuf};

use crate::support::{arkiv, copy_tree, files_below};

fn reference() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("archive")
        .join("collective-impact")
}

#[test]
fn reference_mirror_rebuilds_byte_identical_from_its_warc() {
    let reference = reference();
    let dir = tempfile::tempdir().expect("tmp");
    let out = dir.path().join("out");
    copy_tree(&reference.join("warc"), &out.join("warc"));
    fs_err::copy(reference.join("arkiv.toml"), out.join("arkiv.toml")).expect("arkiv.toml");
    let run = arkiv()
        .arg("-q")
        .arg("mirror")
        .arg(&out)
        .output()
        .expect("run");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        fs_err::read_to_string(out.join("manifest.jsonl")).expect("rebuilt manifest"),
        fs_err::read_to_string(reference.join("manifest.jsonl")).expect("committed manifest"),
        "manifest differs: regenerate the reference archive (archive/README.md) if the change is intended"
    );
    let committed = files_below(&reference.join("mirror"));
    assert_eq!(files_below(&out.join("mirror")), committed);
    for rel in committed {
        let a = fs_err::read(reference.join("mirror").join(&rel)).expect("committed file");
        let b = fs_err::read(out.join("mirror").join(&rel)).expect("rebuilt file");
        assert!(a == b, "mirror/{rel} differs from its rebuild");
    }
}

#[test]
fn reference_archive_verifies_with_its_notice() {
    let dir = tempfile::tempdir().expect("tmp");
    let copy = dir.path().join("ref");
    copy_tree(&reference(), &copy);
    let run = arkiv()
        .arg("-q")
        .arg("verify")
        .arg(&copy)
        .output()
        .expect("run");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("notice:"), "{stdout}");
}
