//! A user name and its password, held so that no debug print, log line or panic message shows the
//! password.
//!
//! [`Secret`] has no `Display` and a `Debug` that prints only `Secret(<redacted>)`; the text is
//! reached through [`Secret::expose`] alone, so every place that uses it is easy to find. The
//! bytes are overwritten when the secret is dropped (best effort: copies the allocator made when
//! the string grew are out of reach).

use std::fmt;

/// A password or another secret text (a proxy password, a token).
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(text: impl Into<String>) -> Secret {
        Secret(text.into())
    }

    /// The secret text, for computing an answer to a challenge. Never print it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        // Safe code cannot write into a `String`'s bytes in place without keeping it UTF-8; take
        // the buffer as bytes, zero it, and let it go.
        let mut bytes = std::mem::take(&mut self.0).into_bytes();
        bytes.iter_mut().for_each(|b| *b = 0);
        std::hint::black_box(&bytes);
    }
}

/// A user name and password for HTTP authentication (a site's or a proxy's).
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    pub user: String,
    pub password: Secret,
}

impl Credentials {
    pub fn new(user: impl Into<String>, password: Secret) -> Credentials {
        Credentials {
            user: user.into(),
            password,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("user", &self.user)
            .field("password", &self.password)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_password() {
        let credentials = Credentials::new("arkivar", Secret::new("blåbærgrød"));
        for text in [
            format!("{credentials:?}"),
            format!("{credentials:#?}"),
            format!("{:?}", credentials.password),
            format!("{:?}", Some(credentials.clone())),
        ] {
            assert!(!text.contains("blåbærgrød"), "{text}");
            assert!(text.contains("<redacted>"), "{text}");
        }
        assert!(format!("{credentials:?}").contains("arkivar"));
        assert_eq!(credentials.password.expose(), "blåbærgrød");
    }
}
