//! URL families: URLs of one shape, the unit in which the trap guard gathers evidence.
//!
//! A shape is the host, the path with its digit runs masked, and the query's parameter names:
//! a calendar's `/kalender?m=2024-01` and `?m=2031-12` share one, so do a catalogue's
//! `/produkter/vare-00001.html` and `vare-04711.html`. A query that only adds parameters to its
//! parent's (a facet added to a filtered listing, `?farve=rød` → `?farve=rød&str=m`) stays in the
//! parent's family, so a combinatorial listing is one family however many names it grows.

use url::Url;

/// The shape of `url`: `host[:port]` + path with digit runs as `#` + `?` + sorted, distinct
/// parameter names joined by `&` (when it has a query).
pub fn shape_of(url: &Url) -> String {
    let mut shape = String::with_capacity(url.as_str().len());
    shape.push_str(url.host_str().unwrap_or(""));
    if let Some(port) = url.port() {
        shape.push(':');
        shape.push_str(&port.to_string());
    }
    let mut in_digits = false;
    for c in url.path().chars() {
        if c.is_ascii_digit() {
            if !in_digits {
                shape.push('#');
            }
            in_digits = true;
        } else {
            in_digits = false;
            shape.push(c);
        }
    }
    if url.query().is_some() {
        shape.push('?');
        shape.push_str(&query_names(url).join("&"));
    }
    shape
}

/// The family a URL found on `parent` (its URL and family) belongs to: the parent's when the
/// URL is the same page shape with a query that only adds parameter names to the parent's,
/// else its own shape.
pub fn family_of(url: &Url, parent: Option<(&Url, &str)>) -> String {
    let shape = shape_of(url);
    if let Some((parent_url, parent_family)) = parent
        && extends_query(parent_url, url)
    {
        return parent_family.to_string();
    }
    shape
}

/// Whether `child` is `parent`'s page (same host, port and masked path) with a query whose
/// parameter names strictly include the parent's.
fn extends_query(parent: &Url, child: &Url) -> bool {
    if parent.query().is_none() || child.query().is_none() {
        return false;
    }
    let base = |url: &Url| {
        let shape = shape_of(url);
        match shape.split_once('?') {
            Some((base, _)) => base.to_string(),
            None => shape,
        }
    };
    if base(parent) != base(child) {
        return false;
    }
    let (parent_names, child_names) = (query_names(parent), query_names(child));
    child_names.len() > parent_names.len() && parent_names.iter().all(|n| child_names.contains(n))
}

fn query_names(url: &Url) -> Vec<String> {
    let mut names: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
    names.sort();
    names.dedup();
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn calendars_and_catalogues_share_a_shape() {
        assert_eq!(
            shape_of(&url("http://h/kalender/?m=2024-01")),
            shape_of(&url("http://h/kalender/?m=2031-12"))
        );
        assert_eq!(
            shape_of(&url("http://h:8080/produkter/vare-00001.html")),
            "h:8080/produkter/vare-#.html"
        );
        assert_eq!(shape_of(&url("http://h/a?b=1&a=2&b=3")), "h/a?a&b");
        assert_ne!(
            shape_of(&url("http://h/a?x=1")),
            shape_of(&url("http://h/b?x=1"))
        );
    }

    #[test]
    fn added_facets_stay_in_their_listings_family() {
        let listing = url("http://h/soeg?farve=roed");
        let family = shape_of(&listing);
        let facet = url("http://h/soeg?farve=roed&str=m");
        assert_eq!(family_of(&facet, Some((&listing, &family))), family);
        // Another page, or a query without the parent's names, has its own family.
        let other = url("http://h/vare?id=4");
        assert_eq!(
            family_of(&other, Some((&listing, &family))),
            shape_of(&other)
        );
        let swapped = url("http://h/soeg?str=m");
        assert_eq!(family_of(&swapped, Some((&listing, &family))), "h/soeg?str");
        // A page without a query does not pull its query variants into its own family.
        let plain = url("http://h/soeg");
        assert_eq!(
            family_of(&listing, Some((&plain, &shape_of(&plain)))),
            family
        );
    }
}
