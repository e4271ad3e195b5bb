//! A small CSS tokenizer of the tests' own: the URLs a browser would load from a stylesheet
//! (`url()` tokens, also written with escapes, `@import` strings, strings in `image-set()`),
//! skipping comments and strings that are only text.

/// One URL found in CSS, after unescaping.
pub fn css_urls(css: &str) -> Vec<String> {
    let chars: Vec<char> = css.chars().collect();
    let mut urls = Vec::new();
    // Open functions, innermost last (lower-cased names), so strings inside `image-set()` count.
    let mut functions: Vec<String> = Vec::new();
    let mut after_import = false;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i += 2;
        } else if c == '"' || c == '\'' {
            let (text, next) = string(&chars, i);
            let in_image_set = functions.last().is_some_and(|f| f.ends_with("image-set"));
            if after_import || in_image_set {
                urls.push(text);
            }
            after_import = false;
            i = next;
        } else if c == '@' {
            let (name, next) = ident(&chars, i + 1);
            after_import = name.eq_ignore_ascii_case("import");
            i = next.max(i + 1);
        } else if starts_ident(&chars, i) {
            let (name, next) = ident(&chars, i);
            i = next;
            if chars.get(i) == Some(&'(') {
                i += 1;
                if name.eq_ignore_ascii_case("url") {
                    let (text, next) = url_token(&chars, i);
                    urls.push(text);
                    after_import = false;
                    i = next;
                } else {
                    functions.push(name.to_ascii_lowercase());
                }
            }
        } else {
            match c {
                '(' => functions.push(String::new()),
                ')' => {
                    functions.pop();
                }
                ';' | '{' | '}' => after_import = false,
                _ => {}
            }
            i += 1;
        }
    }
    urls
}

fn starts_ident(chars: &[char], i: usize) -> bool {
    let c = chars[i];
    c.is_alphabetic()
        || c == '_'
        || c == '-'
        || !c.is_ascii()
        || (c == '\\' && valid_escape(chars, i))
}

fn valid_escape(chars: &[char], i: usize) -> bool {
    chars[i] == '\\' && chars.get(i + 1).is_some_and(|c| *c != '\n')
}

/// Reads an escape at `i` (a backslash); returns the character and the index after it.
fn escape(chars: &[char], i: usize) -> (char, usize) {
    let mut j = i + 1;
    let mut hex = String::new();
    while j < chars.len() && hex.len() < 6 && chars[j].is_ascii_hexdigit() {
        hex.push(chars[j]);
        j += 1;
    }
    if hex.is_empty() {
        return (chars.get(j).copied().unwrap_or('\u{FFFD}'), j + 1);
    }
    if chars.get(j).is_some_and(|c| c.is_whitespace()) {
        j += 1;
    }
    let c = u32::from_str_radix(&hex, 16)
        .ok()
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    (c, j)
}

fn ident(chars: &[char], mut i: usize) -> (String, usize) {
    let mut out = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' && valid_escape(chars, i) {
            let (e, next) = escape(chars, i);
            out.push(e);
            i = next;
        } else if c.is_alphanumeric() || c == '_' || c == '-' || !c.is_ascii() {
            out.push(c);
            i += 1;
        } else {
            break;
        }
    }
    (out, i)
}

fn string(chars: &[char], start: usize) -> (String, usize) {
    let quote = chars[start];
    let mut out = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        let c = chars[i];
        if c == quote {
            return (out, i + 1);
        }
        if c == '\\' {
            if chars.get(i + 1) == Some(&'\n') {
                i += 2;
                continue;
            }
            let (e, next) = escape(chars, i);
            out.push(e);
            i = next;
            continue;
        }
        if c == '\n' {
            return (out, i); // a bad string ends at the newline
        }
        out.push(c);
        i += 1;
    }
    (out, i)
}

/// The inside of `url(`, from just after the parenthesis; returns the URL and the index after `)`.
fn url_token(chars: &[char], mut i: usize) -> (String, usize) {
    while chars.get(i).is_some_and(|c| c.is_whitespace()) {
        i += 1;
    }
    if let Some('"' | '\'') = chars.get(i) {
        let (text, mut next) = string(chars, i);
        while next < chars.len() && chars[next] != ')' {
            next += 1;
        }
        return (text, next + 1);
    }
    let mut out = String::new();
    while i < chars.len() {
        let c = chars[i];
        if c == ')' {
            return (out.trim_end().to_string(), i + 1);
        }
        if c == '\\' && valid_escape(chars, i) {
            let (e, next) = escape(chars, i);
            out.push(e);
            i = next;
            continue;
        }
        out.push(c);
        i += 1;
    }
    (out.trim_end().to_string(), i)
}

#[test]
fn the_test_tokenizer_reads_the_tricky_fixture() {
    let css = r#"@import "imported.css";
@import url(imported-media.css) screen;
/* url(fake.png) */
.a { background: url(im\ age.png); }
.b { background: \75 rl(escaped-function.png); }
.c { background: image-set("set-1x.png" 1x, url(set-2x.png) 2x); }
.d { background: URL(  "spaced.png"  ); content: "url(not-a-url.png)"; }"#;
    assert_eq!(
        css_urls(css),
        [
            "imported.css",
            "imported-media.css",
            "im age.png",
            "escaped-function.png",
            "set-1x.png",
            "set-2x.png",
            "spaced.png"
        ]
    );
}
