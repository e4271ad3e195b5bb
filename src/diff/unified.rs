//! A unified diff of two lists of lines, cut at a line cap.
//!
//! The diff itself is `similar`'s Myers diff with a deadline: a pathological pair of texts
//! (two unrelated 100 000-line files) yields a coarser but still correct diff instead of a
//! quadratic wait.

use std::time::Duration;

use similar::{Algorithm, ChangeTag, TextDiff};

use super::report::TextChange;

/// Unchanged lines shown around each change.
const CONTEXT: usize = 2;

/// How long one diff may search for the smallest edit script.
const DEADLINE: Duration = Duration::from_secs(2);

/// Longer lines are cut in the diff (a minified script is one line of a megabyte).
const MAX_LINE_CHARS: usize = 240;

/// The diff of `old` against `new`, at most `max_lines` diff lines kept; `None` when equal.
pub fn diff_lines(old: &[String], new: &[String], max_lines: usize) -> Option<TextChange> {
    if old == new {
        return None;
    }
    let old_text = joined(old);
    let new_text = joined(new);
    let diff = TextDiff::configure()
        .algorithm(Algorithm::Myers)
        .timeout(DEADLINE)
        .diff_lines(&old_text, &new_text);
    let mut change = TextChange::default();
    for line in diff.iter_all_changes() {
        match line.tag() {
            ChangeTag::Insert => change.added += 1,
            ChangeTag::Delete => change.removed += 1,
            ChangeTag::Equal => {}
        }
    }
    let mut total = 0usize;
    for hunk in diff.unified_diff().context_radius(CONTEXT).iter_hunks() {
        let mut push = |line: String| {
            total += 1;
            if change.diff.len() < max_lines {
                change.diff.push(line);
            }
        };
        push(hunk.header().to_string());
        for line in hunk.iter_changes() {
            let sign = match line.tag() {
                ChangeTag::Equal => ' ',
                ChangeTag::Delete => '-',
                ChangeTag::Insert => '+',
            };
            push(format!(
                "{sign}{}",
                shortened(line.value().trim_end_matches('\n'))
            ));
        }
    }
    change.omitted = total - change.diff.len();
    Some(change)
}

fn joined(lines: &[String]) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(line);
        text.push('\n');
    }
    text
}

/// The line cut at [`MAX_LINE_CHARS`], its control characters replaced: text from an archived
/// page must not drive the reader's terminal (an escape sequence could hide or forge lines).
fn shortened(line: &str) -> String {
    let mut out: String = line
        .chars()
        .take(MAX_LINE_CHARS)
        .map(|c| {
            if c.is_control() {
                char::REPLACEMENT_CHARACTER
            } else {
                c
            }
        })
        .collect();
    if line.chars().nth(MAX_LINE_CHARS).is_some() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(str::to_owned).collect()
    }

    #[test]
    fn shows_hunks_with_context() {
        let change = diff_lines(
            &lines("a\nb\nc\nd\ne\nf\ng"),
            &lines("a\nb\nc\nD\ne\nf\ng"),
            100,
        )
        .expect("differs");
        assert_eq!((change.added, change.removed, change.omitted), (1, 1, 0));
        assert_eq!(
            change.diff,
            ["@@ -2,5 +2,5 @@", " b", " c", "-d", "+D", " e", " f"]
        );
        assert_eq!(diff_lines(&lines("a"), &lines("a"), 10), None);
    }

    #[test]
    fn the_cap_counts_what_it_leaves_out() {
        let old: Vec<String> = (0..50).map(|i| format!("old {i}")).collect();
        let new: Vec<String> = (0..50).map(|i| format!("new {i}")).collect();
        let change = diff_lines(&old, &new, 10).expect("differs");
        assert_eq!(change.diff.len(), 10);
        assert_eq!(change.omitted, 101 - 10);
        assert_eq!((change.added, change.removed), (50, 50));
    }

    #[test]
    fn control_characters_never_reach_the_terminal() {
        let change =
            diff_lines(&lines("a"), &["\u{1b}[2Jryddet\u{7}".to_string()], 10).expect("differs");
        assert_eq!(change.diff[2], "+\u{fffd}[2Jryddet\u{fffd}");
    }

    #[test]
    fn long_lines_are_cut() {
        let long = "x".repeat(1000);
        let change = diff_lines(&[long], &lines("y"), 10).expect("differs");
        assert!(change.diff[1].chars().count() <= MAX_LINE_CHARS + 2);
        assert!(change.diff[1].ends_with('…'));
    }
}
