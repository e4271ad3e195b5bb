//! Integration tests: access to sites behind a login or a proxy. The library parts against the
//! fixtures (the authenticator through the members site, CONNECT to the TLS fixture through the
//! fixture proxy, redacted request records read back by arkiv and warcio), and the whole through
//! the CLI (each area archived with its flags, credentials kept to their origins, no secret in any
//! output, `--resume` with the secret given again, crawls through the proxy).

#[path = "access/areas.rs"]
mod areas;
#[path = "access/login.rs"]
mod login;
#[path = "access/members.rs"]
mod members;
#[path = "access/proxied.rs"]
mod proxied;
#[path = "access/redaction.rs"]
mod redaction;
#[path = "access/resume_login.rs"]
mod resume_login;
#[path = "access/secrets.rs"]
mod secrets;
#[path = "access/tunnel.rs"]
mod tunnel;
