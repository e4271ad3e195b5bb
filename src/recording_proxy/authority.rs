//! The proxy's own certificate authority: made in memory when the proxy starts, it signs a leaf
//! for each host the browser opens a `CONNECT` tunnel to.
//!
//! The browser is told to accept it by the SHA-256 of its keys' SubjectPublicKeyInfo
//! (`--ignore-certificate-errors-spki-list`), not by installing a root anywhere: nothing is
//! written to disk and the CA dies with the process. Every leaf shares one key (only the
//! certificate differs per host), so one pin covers them all, and a leaf costs one signature.
//! The real site's certificate is verified by the crawl's own fetcher, upstream; what the browser
//! sees here is never the site's and never goes into a WARC.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use chrono::{Datelike, Duration, Utc};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, PublicKeyData, SerialNumber,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use sha2::{Digest, Sha256};

use super::ProxyError;

/// Leaves kept for reuse; past this many hosts the cache starts over (a crawl's browser talks to
/// a few dozen hosts, a hostile page could name thousands).
const MAX_CACHED_HOSTS: usize = 1024;
/// How long before now certificates start to be valid (clocks of browser and proxy are one
/// machine's, but a day of slack costs nothing).
const VALID_BEFORE_DAYS: i64 = 1;
/// How long after now they stay valid: longer than any crawl is expected to run.
const VALID_AFTER_DAYS: i64 = 90;

/// A CA made for one proxy, and the TLS server configurations it signed.
pub struct CertAuthority {
    issuer: Issuer<'static, KeyPair>,
    ca_der: CertificateDer<'static>,
    /// The key every leaf certifies.
    leaf_key: KeyPair,
    /// `base64(sha256(SPKI))` of the leaf key and of the CA key, comma-separated.
    pins: String,
    configs: Mutex<HashMap<String, Arc<rustls::ServerConfig>>>,
    serial: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for CertAuthority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertAuthority")
            .field("pins", &self.pins)
            .finish_non_exhaustive()
    }
}

impl CertAuthority {
    /// A fresh CA and leaf key (ECDSA P-256).
    pub fn new() -> Result<Self, ProxyError> {
        let ca_key = KeyPair::generate().map_err(cert_error)?;
        let mut params = CertificateParams::new(Vec::<String>::new()).map_err(cert_error)?;
        params.distinguished_name.push(
            DnType::CommonName,
            format!("{} recording proxy (this crawl only)", crate::SOFTWARE),
        );
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        set_validity(&mut params);
        let ca_cert = params.self_signed(&ca_key).map_err(cert_error)?;
        let ca_der = ca_cert.der().clone();
        let leaf_key = KeyPair::generate().map_err(cert_error)?;
        let pins = [
            spki_pin(&leaf_key.subject_public_key_info()),
            spki_pin(&ca_key.subject_public_key_info()),
        ]
        .join(",");
        Ok(CertAuthority {
            issuer: Issuer::new(params, ca_key),
            ca_der,
            leaf_key,
            pins,
            configs: Mutex::new(HashMap::new()),
            // Serials must differ between leaves of one issuer; a random start keeps two
            // proxies' leaves apart too.
            serial: std::sync::atomic::AtomicU64::new(
                u64::from_be_bytes(
                    uuid::Uuid::new_v4().as_bytes()[..8]
                        .try_into()
                        .expect("8 bytes"),
                ) >> 1,
            ),
        })
    }

    /// The value for Chromium's `--ignore-certificate-errors-spki-list`.
    pub fn spki_pins(&self) -> &str {
        &self.pins
    }

    /// The CA certificate (DER), for clients other than Chromium that want to trust the proxy.
    pub fn ca_certificate_der(&self) -> &[u8] {
        &self.ca_der
    }

    /// The TLS server configuration presenting a leaf for `host` (a DNS name or an IP address,
    /// IPv6 without brackets), signed the first time it is asked for.
    pub fn server_config(&self, host: &str) -> Result<Arc<rustls::ServerConfig>, ProxyError> {
        let mut configs = self
            .configs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some(config) = configs.get(host) {
            return Ok(Arc::clone(config));
        }
        let config = Arc::new(self.mint(host)?);
        if configs.len() >= MAX_CACHED_HOSTS {
            configs.clear();
        }
        configs.insert(host.to_owned(), Arc::clone(&config));
        Ok(config)
    }

    fn mint(&self, host: &str) -> Result<rustls::ServerConfig, ProxyError> {
        let named = host.parse::<std::net::IpAddr>().is_ok()
            || matches!(url::Host::parse(host), Ok(url::Host::Domain(_)));
        if !named {
            return Err(ProxyError::Certificate(format!(
                "{host:?} is neither a host name nor an IP address"
            )));
        }
        let mut params = CertificateParams::new(vec![host.to_owned()]).map_err(cert_error)?;
        params.distinguished_name.push(DnType::CommonName, host);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.use_authority_key_identifier_extension = true;
        let serial = self
            .serial
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        params.serial_number = Some(SerialNumber::from(serial.to_be_bytes().to_vec()));
        set_validity(&mut params);
        let leaf = params
            .signed_by(&self.leaf_key, &self.issuer)
            .map_err(cert_error)?;
        let chain = vec![leaf.der().clone(), self.ca_der.clone()];
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(self.leaf_key.serialize_der()));
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let mut config = rustls::ServerConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|err| ProxyError::Certificate(err.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|err| ProxyError::Certificate(err.to_string()))?;
        // The proxy speaks HTTP/1.1 only; offering nothing else keeps the browser from trying h2.
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(config)
    }
}

fn set_validity(params: &mut CertificateParams) {
    let day = |offset: i64| {
        let date = (Utc::now() + Duration::days(offset)).date_naive();
        // Month and day always fit in a u8.
        rcgen::date_time_ymd(date.year(), date.month() as u8, date.day() as u8)
    };
    params.not_before = day(-VALID_BEFORE_DAYS);
    params.not_after = day(VALID_AFTER_DAYS);
}

/// `base64(sha256(spki))`, the form Chromium's SPKI list takes.
fn spki_pin(spki_der: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(spki_der))
}

fn cert_error(err: rcgen::Error) -> ProxyError {
    ProxyError::Certificate(err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaves_for_names_and_addresses_share_one_pinned_key() {
        let ca = CertAuthority::new().expect("CA");
        let pins: Vec<&str> = ca.spki_pins().split(',').collect();
        assert_eq!(pins.len(), 2);
        for pin in &pins {
            let raw = base64::engine::general_purpose::STANDARD
                .decode(pin)
                .expect("base64");
            assert_eq!(raw.len(), 32, "a SHA-256 per pin");
        }
        for host in ["127.0.0.1", "::1", "eksempel.dk", "xn--bl-zia.dk"] {
            ca.server_config(host)
                .unwrap_or_else(|e| panic!("{host}: {e}"));
        }
        let first = ca.server_config("eksempel.dk").expect("cached");
        let again = ca.server_config("eksempel.dk").expect("cached");
        assert!(Arc::ptr_eq(&first, &again), "a host's leaf is minted once");
    }

    #[test]
    fn a_host_no_certificate_can_name_is_an_error_not_a_panic() {
        let ca = CertAuthority::new().expect("CA");
        assert!(ca.server_config("bad host\r\n").is_err());
    }
}
