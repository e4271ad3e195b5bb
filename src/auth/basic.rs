//! The `Basic` scheme (RFC 7617): `Basic base64(user ":" password)`.
//!
//! The octets are UTF-8. RFC 7617 defines only UTF-8 (announced by `charset="UTF-8"`) and leaves
//! servers without that parameter to their own habits; curl, wget and today's browsers send UTF-8
//! then too, and so does arkiv. With `charset="UTF-8"` the user name and password are first put in
//! Unicode Normalization Form C, as §2.1 asks, so a password typed on a system that composes
//! characters differently (`å` as `a` + ring) still matches.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use icu_normalizer::ComposingNormalizerBorrowed;

use super::credentials::Credentials;

/// Credentials that Basic cannot carry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BasicError {
    #[error("a user name for Basic authentication cannot contain ':' (RFC 7617 §2)")]
    ColonInUser,
    #[error("user names and passwords for Basic authentication cannot contain control characters")]
    ControlCharacter,
}

/// The `Authorization` (or `Proxy-Authorization`) value for `credentials`; `utf8_announced` is
/// whether the challenge carried `charset="UTF-8"`.
pub fn basic_authorization(
    credentials: &Credentials,
    utf8_announced: bool,
) -> Result<String, BasicError> {
    let user = &credentials.user;
    let password = credentials.password.expose();
    if user.contains(':') {
        return Err(BasicError::ColonInUser);
    }
    if user.chars().chain(password.chars()).any(char::is_control) {
        return Err(BasicError::ControlCharacter);
    }
    let pair = if utf8_announced {
        let nfc = ComposingNormalizerBorrowed::new_nfc();
        format!("{}:{}", nfc.normalize(user), nfc.normalize(password))
    } else {
        format!("{user}:{password}")
    };
    let encoded = STANDARD.encode(pair.as_bytes());
    // `pair` held the password in the clear; do not leave it lying in freed memory.
    let mut bytes = pair.into_bytes();
    bytes.iter_mut().for_each(|b| *b = 0);
    std::hint::black_box(&bytes);
    Ok(format!("Basic {encoded}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::credentials::Secret;

    fn creds(user: &str, password: &str) -> Credentials {
        Credentials::new(user, Secret::new(password))
    }

    #[test]
    fn rfc_7617_examples() {
        // §2: Aladdin / open sesame.
        assert_eq!(
            basic_authorization(&creds("Aladdin", "open sesame"), false).as_deref(),
            Ok("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        );
        // §2.1: test / 123£ with charset="UTF-8".
        assert_eq!(
            basic_authorization(&creds("test", "123\u{a3}"), true).as_deref(),
            Ok("Basic dGVzdDoxMjPCow==")
        );
    }

    #[test]
    fn utf8_charset_normalizes_to_nfc() {
        let decomposed = creds("arkivar", "bla\u{30a}b\u{e6}r");
        let composed = creds("arkivar", "bl\u{e5}b\u{e6}r");
        assert_eq!(
            basic_authorization(&decomposed, true),
            basic_authorization(&composed, true)
        );
        assert_ne!(
            basic_authorization(&decomposed, false),
            basic_authorization(&composed, false),
            "without the announcement the bytes go as typed"
        );
    }

    #[test]
    fn what_basic_cannot_carry() {
        assert_eq!(
            basic_authorization(&creds("a:b", "x"), false),
            Err(BasicError::ColonInUser)
        );
        assert_eq!(
            basic_authorization(&creds("a", "x\ny"), false),
            Err(BasicError::ControlCharacter)
        );
        // A colon in the password is fine: the first colon separates.
        assert!(basic_authorization(&creds("a", "x:y"), false).is_ok());
    }
}
