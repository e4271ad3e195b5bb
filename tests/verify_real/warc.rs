//! `arkiv verify` on real crawls whose WARC file or CDXJ index was damaged.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::write::DeflateEncoder;

use super::{CI, Copy, NOTICE_PAGE_TAIL};
use crate::support::NOTICE_TEXT;

/// Start offsets of the gzip members of a WARC file (each record is its own member).
fn members(data: &[u8]) -> Vec<usize> {
    let mut offsets = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        offsets.push(data.len() - rest.len());
        let mut decoder = flate2::bufread::GzDecoder::new(rest);
        let mut sink = Vec::new();
        decoder.read_to_end(&mut sink).expect("whole gzip member");
        rest = decoder.into_inner();
    }
    offsets
}

/// `raw` as one gzip member of exactly `len` bytes: the deflate data is padded with a header
/// comment so that every later record keeps its offset (the CDXJ and manifest stay right).
fn gzip_member_of_len(raw: &[u8], len: usize) -> Option<Vec<u8>> {
    let mut crc = flate2::Crc::new();
    crc.update(raw);
    for level in [9, 6, 1] {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::new(level));
        encoder.write_all(raw).expect("deflate in memory");
        let body = encoder.finish().expect("deflate in memory");
        // header 10, comment + NUL, body, CRC32 + ISIZE 8
        let Some(comment) = len.checked_sub(10 + 1 + body.len() + 8) else {
            continue;
        };
        let mut member = vec![0x1f, 0x8b, 8, 0x10, 0, 0, 0, 0, 0, 255];
        member.extend(std::iter::repeat_n(b'x', comment));
        member.push(0);
        member.extend(body);
        member.extend(crc.sum().to_le_bytes());
        member.extend((raw.len() as u32).to_le_bytes());
        assert_eq!(member.len(), len);
        return Some(member);
    }
    None
}

/// A header value of a WARC record's text.
fn warc_header<'a>(record: &'a str, name: &str) -> Option<&'a str> {
    let head = record.split("\r\n\r\n").next()?;
    head.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

#[test]
fn a_flipped_byte_inside_a_warc_record_breaks_its_digests() {
    let copy = Copy::of(CI);
    let (name, path) = copy.warc();
    let data = fs_err::read(&path).expect("read warc");
    let offsets = members(&data);
    // The first response record whose member, with one payload byte flipped, recompresses into
    // its old length (flate2 may compress worse than the writer did), so no later offset moves.
    let mut flipped = None;
    for (k, &start) in offsets.iter().enumerate() {
        let end = offsets.get(k + 1).copied().unwrap_or(data.len());
        let mut raw = Vec::new();
        flate2::read::GzDecoder::new(&data[start..end])
            .read_to_end(&mut raw)
            .expect("member");
        let text = String::from_utf8_lossy(&raw).into_owned();
        // Where the HTTP payload starts: after the WARC headers and the HTTP headers.
        let payload_start = raw
            .windows(4)
            .enumerate()
            .filter(|(_, w)| *w == b"\r\n\r\n")
            .nth(1)
            .map(|(i, _)| i + 4);
        let has_payload = payload_start.is_some_and(|p| raw.len() >= p + 64);
        if warc_header(&text, "WARC-Type") != Some("response") || !has_payload {
            continue;
        }
        let url = warc_header(&text, "WARC-Target-URI")
            .expect("target")
            .to_string();
        // A byte of the payload (the block ends 4 bytes before the record), not of its headers.
        let at = raw.len() - 20;
        raw[at] ^= 0x20;
        if let Some(member) = gzip_member_of_len(&raw, end - start) {
            flipped = Some((start, end, member, url));
            break;
        }
    }
    let (start, end, member, url) = flipped.expect("a record that recompresses in place");
    let mut broken = data[..start].to_vec();
    broken.extend(member);
    broken.extend(&data[end..]);
    fs_err::write(&path, broken).expect("write warc");

    let run = copy.verify(&[]);
    let file = format!("warc/{name}");
    let finding = run.expect_error("warc", &file, "payload digest mismatch");
    assert_eq!(finding["url"], url.as_str());
    assert!(
        finding["message"]
            .as_str()
            .unwrap_or("")
            .contains(&format!("offset {start}"))
    );
    run.expect_error("warc", &file, "block digest mismatch");
    // The member boundaries did not move: nothing else is wrong. (When the record's payload is
    // copied to the mirror unchanged, consistency also sees the mirror file differ from it.)
    for error in run.findings() {
        assert_eq!(error["url"], url.as_str(), "{}", run.dump());
    }
}

#[test]
fn a_flipped_byte_in_compressed_warc_data_is_an_integrity_error() {
    let copy = Copy::of(CI);
    let (name, path) = copy.warc();
    let css = copy.manifest_line(
        copy.page("assets/css/main.css")
            .trim_start_matches("mirror/"),
    );
    let start = css["offset"].as_u64().expect("offset") as usize;
    let mut data = fs_err::read(&path).expect("read warc");
    data[start + 200] ^= 0xff;
    fs_err::write(&path, data).expect("write warc");
    let run = copy.verify(&[]);
    run.expect_error(
        "warc",
        &format!("warc/{name}"),
        &format!("unreadable record at offset {start}"),
    );
}

#[test]
fn a_truncated_warc_names_the_file_and_offset() {
    let copy = Copy::of(CI);
    let (name, path) = copy.warc();
    let data = fs_err::read(&path).expect("read warc");
    let offsets = members(&data);
    let k = offsets.len() / 2;
    let (start, end) = (offsets[k], offsets[k + 1]);
    fs_err::write(&path, &data[..start + (end - start) / 2]).expect("truncate");
    let run = copy.verify(&[]);
    run.expect_error(
        "warc",
        &format!("warc/{name}"),
        &format!("truncated record at offset {start}"),
    );
}

#[test]
fn a_removed_cdxj_line_is_reported() {
    let copy = Copy::of(CI);
    let css = copy.manifest_line(
        copy.page("assets/css/main.css")
            .trim_start_matches("mirror/"),
    );
    let offset = css["offset"].as_u64().expect("offset");
    copy.edit("indexes/index.cdxj", |s| {
        s.lines()
            .filter(|l| !l.contains(&format!("\"offset\": \"{offset}\"")))
            .map(|l| format!("{l}\n"))
            .collect()
    });
    let run = copy.verify(&[]);
    let (name, _) = copy.warc();
    let finding = run.expect_error(
        "warc",
        "indexes/index.cdxj",
        &format!("response record at {name} offset {offset} has no CDXJ line"),
    );
    assert_eq!(finding["url"], css["url"]);
    assert_eq!(run.count("errors"), 1, "{}", run.dump());
}

#[test]
fn a_notice_missing_from_the_warc_payload_is_reported() {
    let copy = Copy::of(CI);
    let (name, path) = copy.warc();
    let page = copy.page(NOTICE_PAGE_TAIL);
    let line = copy.manifest_line(page.trim_start_matches("mirror/"));
    let start = line["offset"].as_u64().expect("offset") as usize;
    let data = fs_err::read(&path).expect("read warc");
    let offsets = members(&data);
    let k = offsets
        .iter()
        .position(|&o| o == start)
        .expect("record starts a member");
    let end = offsets.get(k + 1).copied().unwrap_or(data.len());
    let mut raw = Vec::new();
    flate2::read::GzDecoder::new(&data[start..end])
        .read_to_end(&mut raw)
        .expect("member");
    // Blank the notice's words (not its link) in the archived payload; spaces compress so well
    // that the member fits in its old length, and no other record moves.
    let words = NOTICE_TEXT
        .rsplit_once(' ')
        .map(|(words, _)| words)
        .expect("notice words");
    let at = raw
        .windows(words.len())
        .position(|w| w == words.as_bytes())
        .expect("notice in the payload");
    raw[at..at + words.len()].fill(b' ');
    let member = gzip_member_of_len(&raw, end - start).expect("fits in place");
    let mut broken = data[..start].to_vec();
    broken.extend(member);
    broken.extend(&data[end..]);
    fs_err::write(&path, broken).expect("write warc");

    let run = copy.verify(&[]);
    let finding = run.expect_error("notice", &format!("warc/{name}"), "lacks the notice text");
    assert_eq!(finding["url"], line["url"]);
    // The mirror page still carries it: the notice check reads the WARC on its own.
    assert!(
        run.matching("notice", "error", &page, "").is_empty(),
        "{}",
        run.dump()
    );
}
