//! Where a password comes from: an environment variable the user names (`--password-env VAR`) or
//! a prompt on the terminal that does not echo what is typed. Never the command line, where any
//! user of the machine can read it in the process list, and never `arkiv.toml`.
//!
//! The prompt uses the `rpassword` crate, which talks to the controlling terminal (`/dev/tty`, the
//! Windows console) rather than stdin and stdout, so it works while those are redirected and
//! refuses cleanly where there is no terminal (cron, CI): then the error says to use an
//! environment variable.

use std::io::IsTerminal as _;

use super::credentials::Secret;

/// Where to read a secret from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretSource {
    /// The value of this environment variable.
    Env(String),
    /// Ask on the terminal with this prompt (`Password for arkivar@intranet.example: `).
    Prompt(String),
}

/// A secret that could not be had.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    #[error("the environment variable {0} is not set")]
    EnvUnset(String),
    #[error("the environment variable {0} is empty")]
    EnvEmpty(String),
    #[error("the environment variable {0} is not valid UTF-8")]
    EnvNotUtf8(String),
    #[error(
        "there is no terminal to ask for the password on; put it in an environment variable and name that with --password-env"
    )]
    NoTerminal,
    #[error("reading the password from the terminal failed")]
    Terminal(#[source] std::io::Error),
    #[error("no password was typed")]
    EmptyPrompt,
}

impl SecretSource {
    /// Reads the secret.
    pub fn read(&self) -> Result<Secret, SecretError> {
        match self {
            SecretSource::Env(name) => read_env(name, |n| std::env::var_os(n)),
            SecretSource::Prompt(prompt) => prompt_on_terminal(prompt),
        }
    }
}

/// The secret in variable `name`, as `lookup` (the process environment, or a test's) has it.
pub fn read_env(
    name: &str,
    lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Result<Secret, SecretError> {
    let value = lookup(name).ok_or_else(|| SecretError::EnvUnset(name.to_owned()))?;
    let value = value
        .into_string()
        .map_err(|_| SecretError::EnvNotUtf8(name.to_owned()))?;
    if value.is_empty() {
        return Err(SecretError::EnvEmpty(name.to_owned()));
    }
    Ok(Secret::new(value))
}

fn prompt_on_terminal(prompt: &str) -> Result<Secret, SecretError> {
    if !has_terminal() {
        return Err(SecretError::NoTerminal);
    }
    let typed = rpassword::prompt_password(prompt).map_err(SecretError::Terminal)?;
    let secret = Secret::new(typed);
    if secret.is_empty() {
        return Err(SecretError::EmptyPrompt);
    }
    Ok(secret)
}

/// Whether there is a terminal to ask on. rpassword opens the controlling terminal itself, and
/// without one (cron, CI, a service) fails with an OS error that says little, so look first.
fn has_terminal() -> bool {
    if cfg!(unix) {
        fs_err::OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .is_ok()
    } else {
        std::io::stdin().is_terminal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsString;

    #[test]
    fn environment_variables_are_read_and_checked() {
        let env = |name: &str| match name {
            "ARKIV_PW" => Some(OsString::from("blåbær")),
            "EMPTY" => Some(OsString::new()),
            _ => None,
        };
        assert_eq!(read_env("ARKIV_PW", env).expect("set").expose(), "blåbær");
        let unset = read_env("NOPE", env).expect_err("unset");
        assert_eq!(
            unset.to_string(),
            "the environment variable NOPE is not set"
        );
        assert!(matches!(
            read_env("EMPTY", env),
            Err(SecretError::EnvEmpty(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn non_utf8_environment_values_are_refused() {
        use std::os::unix::ffi::OsStringExt as _;
        let env = |_: &str| Some(OsString::from_vec(vec![0xff, 0xfe]));
        assert!(matches!(
            read_env("BAD", env),
            Err(SecretError::EnvNotUtf8(_))
        ));
    }
}
