//! The set of files below a folder, walked once and indexed so every lookup is O(1).

use std::collections::HashSet;
use std::path::Path;

/// Relative, `/`-separated paths of every file and folder below a root. Symlinks are listed apart
/// and never followed, so a link cannot lead the verifier out of the folder.
#[derive(Debug, Default)]
pub struct FileSet {
    files: Vec<String>,
    symlinks: Vec<String>,
    file_set: HashSet<String>,
    dirs: HashSet<String>,
}

impl FileSet {
    /// Walks `root` (which must exist); an absent root gives an empty set.
    pub fn walk(root: &Path) -> std::io::Result<Self> {
        let mut set = FileSet::default();
        if !root.is_dir() {
            return Ok(set);
        }
        let mut stack = vec![(root.to_path_buf(), String::new())];
        while let Some((dir, rel)) = stack.pop() {
            for entry in fs_err::read_dir(&dir)? {
                let entry = entry?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let path = if rel.is_empty() {
                    name
                } else {
                    format!("{rel}/{name}")
                };
                let file_type = entry.file_type()?;
                if file_type.is_symlink() {
                    set.symlinks.push(path);
                } else if file_type.is_dir() {
                    set.dirs.insert(path.clone());
                    stack.push((entry.path(), path));
                } else {
                    set.file_set.insert(path.clone());
                    set.files.push(path);
                }
            }
        }
        set.files.sort();
        set.symlinks.sort();
        Ok(set)
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every file, sorted bytewise.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// Symbolic links found (not in `files`: the mirror must not depend on them).
    pub fn symlinks(&self) -> &[String] {
        &self.symlinks
    }

    pub fn contains(&self, path: &str) -> bool {
        self.file_set.contains(path)
    }

    pub fn is_dir(&self, path: &str) -> bool {
        path.is_empty() || self.dirs.contains(path)
    }

    /// Files whose extension is one of `exts` (ASCII case-insensitive).
    pub fn with_extension(&self, exts: &[&str]) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| {
                let name = f.rsplit('/').next().unwrap_or(f);
                name.rsplit_once('.')
                    .is_some_and(|(_, ext)| exts.iter().any(|e| e.eq_ignore_ascii_case(ext)))
            })
            .cloned()
            .collect()
    }
}
