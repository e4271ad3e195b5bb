//! `datapackage.json` and `datapackage-digest.json`: the WACZ manifest (a Frictionless Data
//! Package) with every file's path, sha256 hash and size, and the manifest's own hash.
//!
//! Field names are the spec's (`mainPageUrl`, `mainPageDate`, `wacz_version`); resource names are
//! the file names in lower case, as Frictionless requires (`^[-a-z0-9._/]+$`) and py-wacz writes.

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// One file of the package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub name: String,
    /// Path inside the ZIP, `/`-separated.
    pub path: String,
    /// `sha256:<hex>` of the file's (uncompressed) bytes.
    pub hash: String,
    /// Size of the file's (uncompressed) bytes.
    pub bytes: u64,
}

impl Resource {
    pub fn new(path: &str, hash: String, bytes: u64) -> Resource {
        let name = path.rsplit('/').next().unwrap_or(path);
        Resource {
            name: frictionless_name(name),
            path: path.to_string(),
            hash,
            bytes,
        }
    }
}

/// A resource name Frictionless accepts: lower case, other characters than `[-a-z0-9._/]`
/// replaced by `-`.
fn frictionless_name(name: &str) -> String {
    name.chars()
        .map(|c| c.to_ascii_lowercase())
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '.' | '_' | '/') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// `datapackage.json`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPackage {
    pub profile: String,
    pub wacz_version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(rename = "mainPageUrl", skip_serializing_if = "Option::is_none")]
    pub main_page_url: Option<String>,
    #[serde(rename = "mainPageDate", skip_serializing_if = "Option::is_none")]
    pub main_page_date: Option<String>,
    /// RFC 3339, seconds, UTC.
    pub created: String,
    pub software: String,
    pub resources: Vec<Resource>,
    /// The packages this one needs for a complete replay (a crawl made with `--dedup-from`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
}

/// `relation` of `datapackage.json`, as Browsertrix writes it for a deduplicated crawl:
/// `requires` lists the packages holding the records its revisits refer to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Relation {
    pub requires: Vec<Requirement>,
}

/// One package required: Browsertrix's `filename`, `hash`, `size` and `crawlId`, plus the
/// earlier crawl's output folder (`folder`), where `arkiv wacz` packs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Requirement {
    /// The package `arkiv wacz` makes of the earlier crawl (`<name>.wacz`).
    pub filename: String,
    /// `sha256:<hex>` of that package, when it exists already.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The earlier crawl's name (its folder's name).
    #[serde(rename = "crawlId")]
    pub crawl_id: String,
    /// The earlier crawl's output folder.
    pub folder: String,
}

impl DataPackage {
    /// The file's bytes: pretty-printed JSON, UTF-8, a final newline.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// `datapackage-digest.json`: which file, and its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DataPackageDigest {
    pub path: String,
    pub hash: String,
}

impl DataPackageDigest {
    /// The digest of a `datapackage.json` whose bytes are `datapackage`.
    pub fn of(datapackage: &[u8]) -> DataPackageDigest {
        DataPackageDigest {
            path: "datapackage.json".to_string(),
            hash: sha256_label(&Sha256::digest(datapackage)),
        }
    }

    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        bytes
    }
}

/// `sha256:<lower-case hex>`, the spelling WACZ uses.
pub fn sha256_label(digest: &[u8]) -> String {
    let mut out = String::from("sha256:");
    for byte in digest {
        out.push_str(&format!("{byte:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_lower_case_file_names() {
        let r = Resource::new("archive/Arkiv-2026 x.warc.gz", "sha256:00".into(), 3);
        assert_eq!(r.name, "arkiv-2026-x.warc.gz");
        assert_eq!(r.path, "archive/Arkiv-2026 x.warc.gz");
    }

    #[test]
    fn the_digest_file_hashes_the_datapackage_bytes() {
        let digest = DataPackageDigest::of(b"abc");
        assert_eq!(
            digest.hash,
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(digest.path, "datapackage.json");
    }

    #[test]
    fn main_page_fields_use_the_spec_spelling() {
        let package = DataPackage {
            profile: "data-package".into(),
            wacz_version: "1.1.1".into(),
            title: None,
            description: None,
            main_page_url: Some("http://example.org/".into()),
            main_page_date: Some("2026-11-27T04:43:34Z".into()),
            created: "2026-11-27T05:00:00Z".into(),
            software: "arkiv".into(),
            resources: vec![],
            relation: None,
        };
        let text = String::from_utf8(package.to_bytes()).unwrap_or_default();
        assert!(
            text.contains("\"mainPageUrl\": \"http://example.org/\""),
            "{text}"
        );
        assert!(text.contains("\"mainPageDate\""), "{text}");
        assert!(!text.contains("\"title\""), "{text}");
        assert!(!text.contains("\"relation\""), "{text}");
    }

    #[test]
    fn a_requirement_is_spelled_as_browsertrix_does() {
        let relation = Relation {
            requires: vec![Requirement {
                filename: "old.wacz".into(),
                hash: Some("sha256:00".into()),
                size: Some(3),
                crawl_id: "old".into(),
                folder: "/a/old".into(),
            }],
        };
        let json = serde_json::to_value(&relation).unwrap();
        assert_eq!(json["requires"][0]["filename"], "old.wacz");
        assert_eq!(json["requires"][0]["crawlId"], "old");
        assert_eq!(json["requires"][0]["size"], 3);
    }
}
