//! Integration tests: a power loss's zero-filled WARC tail, two runs on one output folder, and a
//! real full disk (a small tmpfs), each ending in an archive that `--resume` completes.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use arkiv::fixture::{FixtureServer, ServeOptions};

use super::{
    RUN_LIMIT, assert_resumed_whole, crawl_command, resume_command, run, run_ok, server, spawn,
    stderr_of, verify_code, warc_files,
};

/// The `.partial` files a resume kept aside in `out/warc`.
fn partials(out: &Path) -> Vec<PathBuf> {
    fs_err::read_dir(out.join("warc"))
        .expect("warc dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.to_string_lossy().ends_with(".partial"))
        .collect()
}

/// A power loss can leave the last WARC file longer than what reached the disk, zeros where the
/// data never landed: cut mid-record, then padded with zeros past the next 4 KiB block. Resume
/// takes the zeros for the tail they are (not for damage), keeps them aside, and finishes.
#[test]
fn a_zero_filled_tail_after_power_loss_is_sealed_and_resumed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let baseline = dir.path().join("baseline");
    let site = "collective-impact";
    let server = server(site);
    let url = server.url();
    run_ok(crawl_command(site, &url, &baseline));
    for (case, cut) in [("mid-record", 2u64), ("between-records", 0)] {
        let out = dir.path().join(case);
        run_ok(crawl_command(site, &url, &out));
        let files = warc_files(&out);
        let last = files.last().expect("a WARC file");
        let len = fs_err::metadata(last).expect("len").len();
        // `cut` 0 keeps every record and only adds zeros; otherwise cut inside the last third.
        let kept = if cut == 0 { len } else { len * cut / 3 };
        let padded = (kept / 4096 + 2) * 4096;
        let file = fs_err::OpenOptions::new()
            .write(true)
            .open(last)
            .expect("open");
        file.set_len(kept).expect("cut");
        file.set_len(padded).expect("zero fill");
        drop(file);
        let (code, stderr) = run(resume_command(&out));
        assert_eq!(code, Some(0), "{case}: {stderr}");
        assert!(
            stderr.is_empty() || !stderr.contains("malformed"),
            "{stderr}"
        );
        let kept_aside = partials(&out);
        assert_eq!(
            kept_aside.len(),
            1,
            "{case}: the tail kept aside: {kept_aside:?}"
        );
        let tail = fs_err::read(&kept_aside[0]).expect("partial");
        assert!(
            tail.len() as u64 >= padded - kept,
            "{case}: the zeros are in the partial file"
        );
        assert_resumed_whole(site, &baseline, &out);
    }
}

/// A second run on a folder that a crawl is writing is refused, whichever way it comes: a resume,
/// a new crawl, a mirror rebuild. Once the first is killed, its lock is gone with it.
#[test]
fn a_second_run_on_a_busy_folder_is_refused_and_kill_9_frees_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("out");
    let site = "collective-impact";
    // Slow enough (~50 fetches, one at a time, 400 ms each) that the crawl is still running
    // after the three refused runs below, however loaded the machine.
    let server = FixtureServer::start(
        site,
        ServeOptions {
            latency: Some(Duration::from_millis(400)),
            ..ServeOptions::default()
        },
    )
    .expect("fixture server");
    let url = server.url();
    let mut first = spawn(crawl_command(site, &url, &out));
    let deadline = Instant::now() + RUN_LIMIT;
    while !out.join("arkiv.toml").exists() {
        assert!(Instant::now() < deadline, "the crawl never started");
        assert!(
            first.try_wait().expect("try_wait").is_none(),
            "the crawl ended early: {}",
            stderr_of(&mut first)
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut mirror = crate::support::arkiv();
    mirror.arg("mirror").arg(&out);
    let mut again = crawl_command(site, &url, &out);
    again.arg("--no-mirror");
    for (what, cmd) in [
        ("resume", resume_command(&out)),
        ("crawl", again),
        ("mirror", mirror),
    ] {
        let (code, stderr) = run(cmd);
        assert_eq!(code, Some(2), "{what}: {stderr}");
        assert!(
            stderr.contains("in use by another arkiv run") && stderr.contains("crawl, process"),
            "{what}: the message names the holder: {stderr}"
        );
    }
    assert!(
        first.try_wait().expect("try_wait").is_none(),
        "the first crawl was not disturbed"
    );
    first.kill().expect("SIGKILL");
    let _ = first.wait();
    let (code, stderr) = run(resume_command(&out));
    assert_eq!(code, Some(0), "the lock died with its process: {stderr}");
    let (code, report) = verify_code(&out);
    assert_eq!(code, Some(0), "{report}");
}

/// A tmpfs mounted for the test; unmounted (lazily, so a stray process cannot keep it) on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    /// `None` where the test may not mount (not root, or a sandbox without the capability).
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        fs_err::create_dir_all(at).expect("mount point");
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .stderr(std::process::Stdio::null())
            .status()
            .ok()?;
        status.success().then(|| Tmpfs(at.to_path_buf()))
    }

    fn resize(&self, size: &str) {
        let status = Command::new("mount")
            .args(["-o", &format!("remount,size={size}")])
            .arg(&self.0)
            .status()
            .expect("mount -o remount");
        assert!(status.success(), "remount {} to {size}", self.0.display());
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// A real full disk: the crawl writes into a 256 KiB tmpfs, which the site's ~330 KB of WARC
/// cannot fit. The error names the path and says how to go on; the WARC files read whole and
/// the state opens; once the tmpfs is grown, `--resume` finishes the same archive as a crawl that
/// never ran out of space. (The injected error of `a_full_disk_stops_the_crawl…` stands in where
/// mounting is not allowed.)
#[test]
fn a_real_full_disk_stops_the_crawl_cleanly_and_resume_finishes_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let Some(disk) = Tmpfs::mount(&dir.path().join("small"), "256k") else {
        eprintln!("skipping: cannot mount a tmpfs here (needs root and CAP_SYS_ADMIN)");
        return;
    };
    let baseline = dir.path().join("baseline");
    let out = disk.0.join("out");
    let site = "collective-impact";
    let server = server(site);
    let url = server.url();
    run_ok(crawl_command(site, &url, &baseline));
    let (code, stderr) = run(crawl_command(site, &url, &out));
    assert_eq!(code, Some(2), "a full disk stops the crawl: {stderr}");
    // Which write meets the full disk first (a WARC record, SQLite's log, the index) varies.
    assert!(
        ["No space left on device", "disk is full", "disk I/O error"]
            .iter()
            .any(|m| stderr.contains(m)),
        "{stderr}"
    );
    assert!(
        stderr.matches("No space left on device").count() <= 1,
        "said once: {stderr}"
    );
    assert!(
        stderr.contains(&out.display().to_string()),
        "the error names the path: {stderr}"
    );
    assert!(
        stderr.contains(&format!("arkiv crawl --resume {}", out.display())),
        "the hint says how to go on: {stderr}"
    );
    for file in warc_files(&out) {
        // A failed write is cut back: what is on disk reads whole, up to at most an orphan
        // request at the tail (the resume below seals it).
        arkiv::warc::index_warc(&file).expect("a whole WARC file after the error");
    }
    arkiv::crawl::state::load(&out).expect("the crawl state reads");
    disk.resize("64m");
    run_ok(resume_command(&out));
    assert_resumed_whole(site, &baseline, &out);
}
