//! A throwaway CA and a leaf it signed for 127.0.0.1, made at test time (rcgen), for serving
//! fixture sites over TLS (directly, behind the fixture proxy, or to Chromium through the
//! recording proxy).

use arkiv::crawl::fetch::CaCert;
use arkiv::fixture::{FixtureServer, ServeOptions, TlsIdentity};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

/// The CA (as PEM for the crawler's `--ca-cert`, as DER for a client's roots) and the server's
/// identity.
pub struct Pki {
    pub ca_pem: String,
    pub ca_der: Vec<u8>,
    pub identity: TlsIdentity,
}

impl Pki {
    /// The CA as `--ca-cert` loads it.
    pub fn ca_cert(&self) -> CaCert {
        CaCert::from_pem(std::path::Path::new("test-ca.pem"), self.ca_pem.as_bytes())
            .expect("the test CA loads")
    }
}

/// A CA and a leaf for `127.0.0.1`.
pub fn loopback_pki() -> Pki {
    let ca_key = KeyPair::generate().expect("CA key");
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("CA params");
    ca.distinguished_name
        .push(DnType::CommonName, "arkiv test CA");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
    let issuer = Issuer::new(ca, &ca_key);
    let leaf_key = KeyPair::generate().expect("leaf key");
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_owned()]).expect("leaf params");
    leaf.distinguished_name
        .push(DnType::CommonName, "127.0.0.1");
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let leaf_cert = leaf
        .signed_by(&leaf_key, &issuer)
        .expect("leaf certificate");
    let chain = format!("{}{}", leaf_cert.pem(), ca_cert.pem());
    Pki {
        ca_pem: ca_cert.pem(),
        ca_der: ca_cert.der().to_vec(),
        identity: TlsIdentity::from_pem(chain, leaf_key.serialize_pem()),
    }
}

/// `site` served over TLS with this PKI's leaf.
pub fn https_fixture(site: &str, pki: &Pki) -> FixtureServer {
    let server = FixtureServer::start(
        site,
        ServeOptions {
            tls: Some(pki.identity.clone()),
            ..ServeOptions::default()
        },
    )
    .expect("https fixture server");
    assert_eq!(server.url().scheme(), "https");
    server
}
