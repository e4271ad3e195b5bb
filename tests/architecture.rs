//! Integration tests: ARCHITECTURE.md, the map of the code, names every module the crate has
//! (a module added or renamed without its paragraph shows up here).

use std::path::Path;

fn modules_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs_err::read_dir(dir)
        .expect("src")
        .map(|e| e.expect("entry").path())
        .filter_map(|path| {
            let name = path.file_name()?.to_str()?.to_string();
            if path.is_dir() {
                Some(name)
            } else {
                name.strip_suffix(".rs").map(str::to_string)
            }
        })
        .filter(|n| !matches!(n.as_str(), "lib" | "main" | "mod"))
        .collect();
    names.sort();
    names.dedup();
    names
}

#[test]
fn architecture_md_names_every_module() {
    let map = include_str!("../ARCHITECTURE.md");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut missing = Vec::new();
    for module in modules_in(&root) {
        if !map.contains(&format!("`{module}")) && !map.contains(&format!("{module}.rs")) {
            missing.push(module);
        }
    }
    for module in modules_in(&root.join("crawl")) {
        let named = map.contains(&format!("`{module}"))
            || map.contains(&format!("{module}.rs"))
            || map.contains(&format!("{module}/"));
        if !named {
            missing.push(format!("crawl/{module}"));
        }
    }
    assert!(missing.is_empty(), "ARCHITECTURE.md lacks {missing:?}");
    assert!(
        !map.contains("../shared"),
        "the map points outside the repository"
    );
}
