//! Session ids in URLs: stripped from the de-duplication key (never from the URL fetched), so a
//! site that hands every visitor a fresh `?sid=` does not become an endless crawl.

use url::Url;

/// Query parameters and path parameters that carry session ids: stripped from the de-duplication
/// key (never from the URL fetched), so `?sid=a1` and `?sid=b2` count as one page.
const SESSION_PARAMS: &[&str] = &[
    "jsessionid",
    "phpsessid",
    "sid",
    "sessionid",
    "session_id",
    "aspsessionid",
    "cfid",
    "cftoken",
];

fn is_session_param(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SESSION_PARAMS
        .iter()
        .any(|p| name == *p || (name.starts_with("aspsessionid") && *p == "aspsessionid"))
}

/// The URL with session ids removed (query parameters and `;jsessionid=` path parameters).
pub fn strip_session_ids(url: &Url) -> Url {
    let mut url = url.clone();
    if let Some(i) = url.path().to_ascii_lowercase().find(";jsessionid=") {
        let path = url.path()[..i].to_string();
        url.set_path(&path);
    }
    if url.query().is_some() {
        let kept: Vec<(String, String)> = url
            .query_pairs()
            .filter(|(k, _)| !is_session_param(k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        let before = url.query_pairs().count();
        if kept.len() != before {
            if kept.is_empty() {
                url.set_query(None);
            } else {
                url.query_pairs_mut().clear().extend_pairs(kept);
            }
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_ids_do_not_make_new_pages() {
        let a = Url::parse("http://h/side;jsessionid=ABC?x=1&sid=42").unwrap();
        assert_eq!(strip_session_ids(&a).as_str(), "http://h/side?x=1");
        let b = Url::parse("http://h/side?SID=9").unwrap();
        assert_eq!(strip_session_ids(&b).as_str(), "http://h/side");
    }
}
