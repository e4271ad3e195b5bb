//! Integration tests: access to sites behind a login or a proxy, the library parts against the
//! fixtures (the authenticator through the members site, CONNECT to the TLS fixture through the
//! fixture proxy, redacted request records read back by arkiv and warcio).

#[path = "access/login.rs"]
mod login;
#[path = "access/redaction.rs"]
mod redaction;
#[path = "access/tunnel.rs"]
mod tunnel;
