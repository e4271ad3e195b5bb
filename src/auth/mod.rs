//! Sites behind a login: HTTP authentication challenges and their Basic and Digest answers, the
//! credentials that answer them and where their secrets come from, and browser cookie files.
//!
//! Nothing here touches the network or the archive. The fetcher asks an [`Authenticator`] (one per
//! origin the user allowed) what to send; the WARC writer's request records go through
//! [`crate::warc::redact`] so that what this module computes is never archived in the clear.
//!
//! Architecture invariant: secrets live in [`Secret`], whose `Debug` prints nothing of them and
//! which has no `Display`; they are read from an environment variable or a terminal prompt, never
//! from the command line or a settings file.

pub mod authenticator;
pub mod basic;
pub mod challenge;
pub mod cookie_file;
pub mod credentials;
pub mod digest;
pub mod secret_source;

pub use authenticator::{AuthFailure, AuthRequest, Authenticator, Decision};
pub use basic::{BasicError, basic_authorization};
pub use challenge::{Challenge, ChallengeError, parse_challenges};
pub use cookie_file::{
    CookieFile, CookieFileError, FileCookie, LineError, parse_cookie_file, read_cookie_file,
};
pub use credentials::{Credentials, Secret};
pub use digest::{DigestAlgorithm, DigestChallenge, DigestError, DigestSession, Qop};
pub use secret_source::{SecretError, SecretSource, read_env};
