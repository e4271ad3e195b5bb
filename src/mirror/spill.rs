//! The manifest lines of the files a build writes, kept on disk in path order until the
//! manifest is written. Held in memory, one line per mirror file (a few hundred bytes each) was
//! the largest part of a big site's build: 400 MB of 1 GB for 500,000 URLs.
//!
//! The builder writes files in path order, so the spill is the manifest's order already; the
//! lines written again later (the settling of findings) and the landing page's line are merged
//! in at the end ([`Merged`]), a replacement winning over the spilled line of its path.

use std::collections::BTreeMap;
use std::collections::btree_map;
use std::io::{BufReader, BufWriter, Read, Write};
use std::iter::Peekable;
use std::path::{Path, PathBuf};

use super::manifest::{ManifestKind, WrittenLine};

/// Every manifest kind, at the index of the byte that stands for it in a spill (its
/// discriminant: a kind added to the enum and not here fails the round-trip test).
const KINDS: [ManifestKind; 4] = [
    ManifestKind::Archived,
    ManifestKind::Redirect,
    ManifestKind::NotArchived,
    ManifestKind::Landing,
];

/// Lines written to a file of their own, in the order given. The file is removed when the
/// spill is dropped unread (a build that failed) or once it has been read back.
pub(super) struct Spill {
    path: PathBuf,
    /// `None` once read back.
    out: Option<BufWriter<fs_err::File>>,
    lines: usize,
}

impl Spill {
    /// A new, empty spill at `path` (whatever was there, a planted link included, is removed
    /// first and the file created exclusively).
    pub(super) fn create(path: &Path) -> anyhow::Result<Spill> {
        let file = super::files::create_fresh(path)?;
        Ok(Spill {
            path: path.to_path_buf(),
            out: Some(BufWriter::with_capacity(64 * 1024, file)),
            lines: 0,
        })
    }

    /// Appends a line: its kind, whether it was rewritten, its path and its JSON text.
    pub(super) fn push(&mut self, line: &WrittenLine) -> anyhow::Result<()> {
        let kind = line.kind as u8;
        let out = self
            .out
            .as_mut()
            .expect("a spill is written until it is read back");
        out.write_all(&[kind, u8::from(line.rewritten)])?;
        for text in [&*line.path, &*line.json] {
            let len = u32::try_from(text.len()).map_err(|_| {
                anyhow::anyhow!("a manifest line of {} bytes is too long", text.len())
            })?;
            out.write_all(&len.to_le_bytes())?;
            out.write_all(text.as_bytes())?;
        }
        self.lines += 1;
        Ok(())
    }

    /// The lines back, in the order they were pushed; the file is removed when the reader is
    /// dropped.
    pub(super) fn read_back(mut self) -> anyhow::Result<SpillReader> {
        let out = self.out.take().expect("a spill is read back once");
        let mut file = out.into_inner().map_err(|e| e.into_error())?;
        std::io::Seek::rewind(&mut file)?;
        Ok(SpillReader {
            path: self.path.clone(),
            input: BufReader::with_capacity(64 * 1024, file),
            left: self.lines,
            last: String::new(),
        })
    }
}

impl Drop for Spill {
    fn drop(&mut self) {
        if self.out.take().is_some() {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// A spill read back.
pub(super) struct SpillReader {
    path: PathBuf,
    input: BufReader<fs_err::File>,
    left: usize,
    /// The path of the line read last: the lines must come in path order.
    last: String,
}

impl SpillReader {
    fn next_line(&mut self) -> anyhow::Result<Option<WrittenLine>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut flags = [0u8; 2];
        self.input.read_exact(&mut flags)?;
        let Some(&kind) = KINDS.get(usize::from(flags[0])) else {
            anyhow::bail!("{}: no manifest kind {}", self.path.display(), flags[0]);
        };
        let path = self.text()?;
        let json = self.text()?;
        anyhow::ensure!(
            *self.last <= *path,
            "{}: manifest lines out of path order ({} after {})",
            self.path.display(),
            path,
            self.last
        );
        self.last.clear();
        self.last.push_str(&path);
        Ok(Some(WrittenLine {
            path,
            json,
            kind,
            rewritten: flags[1] == 1,
        }))
    }

    fn text(&mut self) -> anyhow::Result<Box<str>> {
        let mut len = [0u8; 4];
        self.input.read_exact(&mut len)?;
        let mut bytes = vec![0u8; u32::from_le_bytes(len) as usize];
        self.input.read_exact(&mut bytes)?;
        Ok(String::from_utf8(bytes)
            .map_err(|_| anyhow::anyhow!("{}: a line that is not UTF-8", self.path.display()))?
            .into_boxed_str())
    }
}

impl Drop for SpillReader {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// The spilled lines with others merged in by path; of a spilled line and another of the same
/// path, the other is kept (it was written later).
pub(super) struct Merged {
    spilled: SpillReader,
    next_spilled: Option<WrittenLine>,
    others: Peekable<btree_map::IntoValues<Box<str>, WrittenLine>>,
}

impl Merged {
    pub(super) fn new(
        mut spilled: SpillReader,
        others: BTreeMap<Box<str>, WrittenLine>,
    ) -> anyhow::Result<Merged> {
        let next_spilled = spilled.next_line()?;
        Ok(Merged {
            spilled,
            next_spilled,
            others: others.into_values().peekable(),
        })
    }
}

impl Iterator for Merged {
    type Item = anyhow::Result<WrittenLine>;

    fn next(&mut self) -> Option<Self::Item> {
        let take_other = match (&self.next_spilled, self.others.peek()) {
            (None, None) => return None,
            (None, Some(_)) => true,
            (Some(_), None) => false,
            (Some(spilled), Some(other)) => other.path <= spilled.path,
        };
        if take_other {
            let other = self.others.next()?;
            if self
                .next_spilled
                .as_ref()
                .is_some_and(|s| s.path == other.path)
            {
                // Replaced: the spilled line of this path is passed over.
                if let Err(err) = self.advance() {
                    return Some(Err(err));
                }
            }
            return Some(Ok(other));
        }
        let line = self.next_spilled.take();
        match self.advance() {
            Ok(()) => line.map(Ok),
            Err(err) => Some(Err(err)),
        }
    }
}

impl Merged {
    fn advance(&mut self) -> anyhow::Result<()> {
        self.next_spilled = self.spilled.next_line()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(path: &str, kind: ManifestKind) -> WrittenLine {
        WrittenLine {
            path: path.into(),
            json: format!("{{\"path\":\"{path}\",\"kind\":{kind:?}}}").into(),
            kind,
            rewritten: kind == ManifestKind::Redirect,
        }
    }

    fn merged(spilled: &[&str], others: &[&str]) -> Vec<(String, ManifestKind, bool)> {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create(&dir.path().join("spill")).unwrap();
        for path in spilled {
            spill.push(&line(path, ManifestKind::Archived)).unwrap();
        }
        let others = others
            .iter()
            .map(|path| (Box::from(*path), line(path, ManifestKind::Redirect)))
            .collect();
        let reader = spill.read_back().unwrap();
        let lines: Vec<_> = Merged::new(reader, others)
            .unwrap()
            .map(|l| {
                let l = l.unwrap();
                assert!(l.json.contains(&*l.path));
                (l.path.to_string(), l.kind, l.rewritten)
            })
            .collect();
        assert!(
            !dir.path().join("spill").exists(),
            "the spill is removed once read"
        );
        lines
    }

    #[test]
    fn lines_come_back_in_path_order_with_the_others_merged_in_and_winning() {
        let lines = merged(
            &["a.html", "c/d.html", "e.png", "æ.html"],
            &["b.html", "e.png", "z"],
        );
        let paths: Vec<&str> = lines.iter().map(|(p, _, _)| p.as_str()).collect();
        assert_eq!(
            paths,
            ["a.html", "b.html", "c/d.html", "e.png", "z", "æ.html"]
        );
        let e = &lines[3];
        assert_eq!(
            (e.1, e.2),
            (ManifestKind::Redirect, true),
            "the later line won"
        );
        assert_eq!(lines[0].1, ManifestKind::Archived);
        assert!(!lines[0].2);
    }

    #[test]
    fn either_side_may_be_empty() {
        assert!(merged(&[], &[]).is_empty());
        assert_eq!(merged(&[], &["x"]).len(), 1);
        assert_eq!(merged(&["x", "y"], &[]).len(), 2);
    }

    #[test]
    fn every_kind_comes_back_as_itself() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create(&dir.path().join("spill")).unwrap();
        for (i, kind) in KINDS.iter().enumerate() {
            assert_eq!(*kind as usize, i, "KINDS is in discriminant order");
            spill.push(&line(&format!("{i}"), *kind)).unwrap();
        }
        let back: Vec<ManifestKind> = Merged::new(spill.read_back().unwrap(), BTreeMap::new())
            .unwrap()
            .map(|l| l.unwrap().kind)
            .collect();
        assert_eq!(back, KINDS);
        // A kind the enum gains stops this match compiling: add it to KINDS too.
        match KINDS[0] {
            ManifestKind::Archived
            | ManifestKind::Redirect
            | ManifestKind::NotArchived
            | ManifestKind::Landing => {}
        }
    }

    #[test]
    fn a_spill_out_of_path_order_is_an_error_not_a_wrong_manifest() {
        let dir = tempfile::tempdir().unwrap();
        let mut spill = Spill::create(&dir.path().join("spill")).unwrap();
        for path in ["b", "a"] {
            spill.push(&line(path, ManifestKind::Archived)).unwrap();
        }
        let results: Vec<_> = Merged::new(spill.read_back().unwrap(), BTreeMap::new())
            .unwrap()
            .collect();
        assert!(results.iter().any(|r| r.is_err()));
    }

    #[test]
    fn a_planted_link_at_the_spill_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"keep").unwrap();
        let at = dir.path().join("spill");
        std::os::unix::fs::symlink(&victim, &at).unwrap();
        let mut spill = Spill::create(&at).unwrap();
        spill.push(&line("a", ManifestKind::Archived)).unwrap();
        drop(spill.read_back().unwrap());
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    }
}
