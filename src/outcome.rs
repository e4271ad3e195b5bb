//! The vocabulary of a URL's fate: one typed value for every way a URL can end (archived, a
//! revisit, cut short, failed and why, declined and why), with one stable text form used by
//! crawl.log, `summary.json`, the WARC's outcome records, the crawl state and the mirror's "not
//! archived" pages. Text is for people and files; code matches on the type, and reads text back
//! only through [`str::parse`].
//!
//! Architecture invariant: this module depends on nothing else in the crate, so the crawl, the
//! mirror, resume and the reports can all share it without depending on one another.

use std::fmt;
use std::str::FromStr;

/// How a URL ended, or (for [`Outcome::Retry`] and [`Outcome::RetryTruncated`]) how one try of
/// it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// Its response is in the WARC, whole.
    Archived,
    /// Its payload was archived before (another URL, or an earlier fetch): a `revisit` record.
    Revisit,
    /// Its response is in the WARC, cut short (`WARC-Truncated`).
    Truncated(Truncation),
    /// This try got no response; another follows.
    Retry,
    /// This try's body was cut short (archived as such); another try follows.
    RetryTruncated,
    /// This try was a `401` (archived as sent) that the user's credentials answer; the answer
    /// follows at once.
    Challenged,
    /// Not archived after every try: no response, or (for [`Failure::Auth`]) only the site's
    /// refusal, which is archived as sent.
    Failed(Failure),
    /// The crawl chose not to fetch it.
    Declined(Decline),
}

/// Why a body stopped before its natural end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Truncation {
    /// `--max-size` was reached and reading stopped (the operator's choice, not a failure).
    Length,
    /// The body went idle past the timeout, or the fetch ran past its total time.
    Time,
    /// The connection was closed or reset mid-body, or the body's framing broke.
    Disconnect,
}

/// Why a URL could not be archived: its fetch got no response, or only a refusal to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// The request cannot be sent (not http(s), no host, bytes HTTP forbids).
    Request,
    /// The host name did not resolve.
    Dns,
    /// No TCP connection could be made.
    Connect,
    /// A wait ran out of time before the response head was complete.
    Timeout,
    /// The TLS handshake failed, for this reason.
    Tls(TlsProblem),
    /// The answer is not HTTP/1.x (a malformed status line, say).
    Protocol,
    /// Reading or writing failed before the head was complete (a connection closed early).
    Io,
    /// The site (`401`) or the proxy (`407`) asks for credentials that the crawl has not got or
    /// that it refused; the refusal is archived as sent where there was one, and not retried.
    Auth,
}

/// Why a TLS handshake failed, in the terms an operator acts on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TlsProblem {
    /// The chain does not lead to a trusted root (self-signed, private CA without `--ca-cert`).
    UnknownIssuer,
    /// The certificate is valid, but for other host names or addresses.
    WrongHost,
    /// Past the certificate's `notAfter`.
    Expired,
    /// Before the certificate's `notBefore` (or the local clock is wrong).
    NotYetValid,
    /// The certificate was revoked.
    Revoked,
    /// Anything else wrong with the certificate (bad signature, encoding, purpose, extensions).
    BadCertificate,
    /// The server sent a TLS alert (it refused the handshake).
    Refused,
    /// The handshake broke for another reason (protocol mismatch, connection cut mid-handshake).
    Handshake,
}

/// Why the crawl chose not to fetch a URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Decline {
    /// The site's robots.txt disallows it.
    ExcludedByRobots,
    /// The host's robots.txt could not be fetched (RFC 9309: disallow all).
    RobotsUnreachable,
    /// A robots.txt redirected to something that is not a robots.txt.
    RobotsRedirectNotFollowed,
    /// Not http or https.
    UnsupportedScheme,
    /// On another site than the seeds'.
    OutOfScope,
    /// Matched an `--exclude` pattern.
    ExcludedByPattern,
    /// `--include` patterns were given and none matched.
    NotIncludedByPattern,
    /// A requisite on another site, with `--no-offsite-requisites`.
    OffsiteRequisiteSkipped,
    /// A navigation link found on a page of another site.
    NotFollowedFromOffsite,
    /// Deeper than `--max-depth`.
    MaxDepth,
    /// `--max-pages` reached.
    MaxPages,
    /// `--max-pages-per-host` reached.
    MaxPagesPerHost,
    /// A redirect chain longer than the limit.
    TooManyRedirects,
    /// Longer than `--max-url-length`.
    TrapUrlTooLong,
    /// More path segments than `--max-path-segments`.
    TrapPathTooDeep,
    /// A path segment repeated more than `--max-segment-repeats` times.
    TrapRepeatingSegments,
    /// Its URL family was stopped: its pages kept adding nothing new.
    TrapNoNewContent,
    /// Still waiting when Ctrl-C stopped the crawl (a resume fetches it).
    CrawlStopped,
}

impl Decline {
    const ALL: [Decline; 18] = [
        Decline::ExcludedByRobots,
        Decline::RobotsUnreachable,
        Decline::RobotsRedirectNotFollowed,
        Decline::UnsupportedScheme,
        Decline::OutOfScope,
        Decline::ExcludedByPattern,
        Decline::NotIncludedByPattern,
        Decline::OffsiteRequisiteSkipped,
        Decline::NotFollowedFromOffsite,
        Decline::MaxDepth,
        Decline::MaxPages,
        Decline::MaxPagesPerHost,
        Decline::TooManyRedirects,
        Decline::TrapUrlTooLong,
        Decline::TrapPathTooDeep,
        Decline::TrapRepeatingSegments,
        Decline::TrapNoNewContent,
        Decline::CrawlStopped,
    ];

    /// The stable text form.
    pub fn as_str(self) -> &'static str {
        match self {
            Decline::ExcludedByRobots => "excluded-by-robots",
            Decline::RobotsUnreachable => "robots-unreachable",
            Decline::RobotsRedirectNotFollowed => "robots-redirect-not-followed",
            Decline::UnsupportedScheme => "unsupported-scheme",
            Decline::OutOfScope => "out-of-scope",
            Decline::ExcludedByPattern => "excluded-by-pattern",
            Decline::NotIncludedByPattern => "not-included-by-pattern",
            Decline::OffsiteRequisiteSkipped => "offsite-requisite-skipped",
            Decline::NotFollowedFromOffsite => "not-followed-from-offsite",
            Decline::MaxDepth => "max-depth",
            Decline::MaxPages => "max-pages",
            Decline::MaxPagesPerHost => "max-pages-per-host",
            Decline::TooManyRedirects => "too-many-redirects",
            Decline::TrapUrlTooLong => "trap-url-too-long",
            Decline::TrapPathTooDeep => "trap-path-too-deep",
            Decline::TrapRepeatingSegments => "trap-repeating-segments",
            Decline::TrapNoNewContent => "trap-no-new-content",
            Decline::CrawlStopped => "not-fetched-crawl-stopped",
        }
    }

    /// A decline for how the URL was found, not for what it is: it gives way when the URL is
    /// found another way (from another family, by a shorter path, on the site itself).
    pub fn is_soft(self) -> bool {
        matches!(
            self,
            Decline::NotFollowedFromOffsite | Decline::MaxDepth | Decline::TrapNoNewContent
        )
    }

    /// One of the trap guards'.
    pub fn is_trap(self) -> bool {
        matches!(
            self,
            Decline::TrapUrlTooLong
                | Decline::TrapPathTooDeep
                | Decline::TrapRepeatingSegments
                | Decline::TrapNoNewContent
        )
    }
}

impl TlsProblem {
    const ALL: [TlsProblem; 8] = [
        TlsProblem::UnknownIssuer,
        TlsProblem::WrongHost,
        TlsProblem::Expired,
        TlsProblem::NotYetValid,
        TlsProblem::Revoked,
        TlsProblem::BadCertificate,
        TlsProblem::Refused,
        TlsProblem::Handshake,
    ];

    /// The tag after `failed:` (`tls-unknown-issuer`); stable and documented in the README.
    pub fn tag(self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => "tls-unknown-issuer",
            TlsProblem::WrongHost => "tls-wrong-host",
            TlsProblem::Expired => "tls-expired",
            TlsProblem::NotYetValid => "tls-not-yet-valid",
            TlsProblem::Revoked => "tls-revoked",
            TlsProblem::BadCertificate => "tls-bad-certificate",
            TlsProblem::Refused => "tls-refused",
            TlsProblem::Handshake => "tls-handshake",
        }
    }

    /// What it means, for an error message.
    pub fn explain(self) -> &'static str {
        match self {
            TlsProblem::UnknownIssuer => {
                "the certificate is not signed by a trusted CA (if the site uses a private CA, \
                 pass its certificate with --ca-cert)"
            }
            TlsProblem::WrongHost => "the certificate names other hosts",
            TlsProblem::Expired => "the certificate has expired",
            TlsProblem::NotYetValid => "the certificate is not valid yet (or the clock is wrong)",
            TlsProblem::Revoked => "the certificate is revoked",
            TlsProblem::BadCertificate => "the certificate is unusable",
            TlsProblem::Refused => "the server refused the handshake",
            TlsProblem::Handshake => "the handshake broke off",
        }
    }

    /// A problem with the certificate itself, which the same handshake meets on every try (a
    /// refused or broken handshake may be passing trouble).
    pub fn is_certificate(self) -> bool {
        !matches!(self, TlsProblem::Refused | TlsProblem::Handshake)
    }
}

impl Failure {
    /// The tag after `failed:`.
    pub fn tag(self) -> &'static str {
        match self {
            Failure::Request => "request",
            Failure::Dns => "dns",
            Failure::Connect => "connect",
            Failure::Timeout => "timeout",
            Failure::Tls(problem) => problem.tag(),
            Failure::Protocol => "protocol",
            Failure::Io => "io",
            Failure::Auth => "auth",
        }
    }

    fn from_tag(tag: &str) -> Option<Failure> {
        let plain = [
            Failure::Request,
            Failure::Dns,
            Failure::Connect,
            Failure::Timeout,
            Failure::Protocol,
            Failure::Io,
            Failure::Auth,
        ];
        plain
            .into_iter()
            .chain(TlsProblem::ALL.into_iter().map(Failure::Tls))
            .find(|f| f.tag() == tag)
    }
}

impl Truncation {
    /// The value of a `WARC-Truncated` header.
    pub fn warc_reason(self) -> &'static str {
        match self {
            Truncation::Length => "length",
            Truncation::Time => "time",
            Truncation::Disconnect => "disconnect",
        }
    }

    /// The truncation a `WARC-Truncated` value names (any other reason reads as `Disconnect`:
    /// the record is cut, for a cause arkiv does not write).
    pub fn from_warc_reason(reason: &str) -> Truncation {
        match reason.trim().to_ascii_lowercase().as_str() {
            "length" => Truncation::Length,
            "time" => Truncation::Time,
            _ => Truncation::Disconnect,
        }
    }

    /// A cut the network made (a failure to archive), not one the operator asked for.
    pub fn is_failure(self) -> bool {
        self != Truncation::Length
    }
}

impl Outcome {
    /// Whether the URL's response is in the WARC (whole, as a revisit, or cut short).
    pub fn is_archived(self) -> bool {
        matches!(
            self,
            Outcome::Archived | Outcome::Revisit | Outcome::Truncated(_)
        )
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Archived => f.write_str("archived"),
            Outcome::Revisit => f.write_str("revisit"),
            Outcome::Truncated(t) => write!(f, "archived-truncated-{}", t.warc_reason()),
            Outcome::Retry => f.write_str("retry"),
            Outcome::RetryTruncated => f.write_str("retry-truncated"),
            Outcome::Challenged => f.write_str("challenged"),
            Outcome::Failed(failure) => write!(f, "failed:{}", failure.tag()),
            Outcome::Declined(decline) => f.write_str(decline.as_str()),
        }
    }
}

impl fmt::Display for Decline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Text that names no outcome.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown outcome {0:?}")]
pub struct UnknownOutcome(pub String);

impl FromStr for Outcome {
    type Err = UnknownOutcome;

    fn from_str(text: &str) -> Result<Outcome, UnknownOutcome> {
        let unknown = || UnknownOutcome(text.to_string());
        Ok(match text {
            "archived" => Outcome::Archived,
            "revisit" => Outcome::Revisit,
            "retry" => Outcome::Retry,
            "retry-truncated" => Outcome::RetryTruncated,
            "challenged" => Outcome::Challenged,
            "archived-truncated-length" => Outcome::Truncated(Truncation::Length),
            "archived-truncated-time" => Outcome::Truncated(Truncation::Time),
            "archived-truncated-disconnect" => Outcome::Truncated(Truncation::Disconnect),
            _ => match text.strip_prefix("failed:") {
                Some(tag) => Outcome::Failed(Failure::from_tag(tag).ok_or_else(unknown)?),
                None => Outcome::Declined(text.parse().map_err(|_| unknown())?),
            },
        })
    }
}

impl FromStr for Decline {
    type Err = UnknownOutcome;

    fn from_str(text: &str) -> Result<Decline, UnknownOutcome> {
        Decline::ALL
            .into_iter()
            .find(|d| d.as_str() == text)
            .ok_or_else(|| UnknownOutcome(text.to_string()))
    }
}

impl serde::Serialize for Outcome {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_outcome() -> Vec<Outcome> {
        let mut all = vec![
            Outcome::Archived,
            Outcome::Revisit,
            Outcome::Retry,
            Outcome::RetryTruncated,
            Outcome::Challenged,
        ];
        all.extend(
            [Truncation::Length, Truncation::Time, Truncation::Disconnect].map(Outcome::Truncated),
        );
        all.extend(
            [
                Failure::Request,
                Failure::Dns,
                Failure::Connect,
                Failure::Timeout,
                Failure::Protocol,
                Failure::Io,
                Failure::Auth,
            ]
            .map(Outcome::Failed),
        );
        all.extend(TlsProblem::ALL.map(|p| Outcome::Failed(Failure::Tls(p))));
        all.extend(Decline::ALL.map(Outcome::Declined));
        all
    }

    #[test]
    fn every_outcome_reads_back_from_its_text() {
        let mut texts = std::collections::HashSet::new();
        for outcome in every_outcome() {
            let text = outcome.to_string();
            assert!(!text.contains(char::is_whitespace), "{text:?}");
            assert!(texts.insert(text.clone()), "two outcomes read {text:?}");
            assert_eq!(text.parse::<Outcome>(), Ok(outcome));
        }
    }

    #[test]
    fn unknown_text_is_an_error_not_a_guess() {
        for text in [
            "",
            "failed",
            "failed:",
            "failed:tls",
            "archived-truncated",
            "trap-too-many-variants",
        ] {
            assert!(text.parse::<Outcome>().is_err(), "{text:?}");
        }
    }
}
