//! Reaching sites through an HTTP proxy: which proxy a URL takes (`--proxy`, `HTTP_PROXY`,
//! `HTTPS_PROXY`, `NO_PROXY`), and the `CONNECT` tunnel that carries https through it.
//!
//! http URLs go to the proxy as absolute-form requests (`GET http://host/path HTTP/1.1`, without
//! the URL's user information or fragment, see [`absolute_form`]), and the WARC records that
//! exchange with the proxy; https URLs go through a [`tunnel`], inside which TLS and the recorded
//! exchange are with the site itself.

pub mod no_proxy;
pub mod settings;
pub mod tunnel;

pub use no_proxy::NoProxy;
pub use settings::{Proxy, ProxyError, ProxySettings, ProxySources};
pub use tunnel::{Tunnel, TunnelError, TunnelRequest, open_tunnel};

/// The absolute-form request target for `url` sent to a proxy: scheme, host, port, path and
/// query, never user information or a fragment.
pub fn absolute_form(url: &url::Url) -> String {
    let mut clean = url.clone();
    let _ = clean.set_username("");
    let _ = clean.set_password(None);
    clean.set_fragment(None);
    clean.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absolute_form_drops_credentials_and_fragments() {
        let url = url::Url::parse("http://u:p@Intranet.Example:8080/a%20b?x=1#top").expect("url");
        assert_eq!(
            absolute_form(&url),
            "http://intranet.example:8080/a%20b?x=1"
        );
    }
}
