//! Extra TLS trust anchors (`arkiv crawl --ca-cert FILE`): PEM files read and checked up front.
//!
//! Institutional sites often sit behind a private CA that no public root store holds. Such a CA is
//! added *beside* the webpki roots, never instead of them, and there is deliberately no way to turn
//! certificate verification off: an archive whose origin cannot be authenticated is not evidence.
//! Every certificate is checked as a trust anchor when the file is loaded, so a bad file stops the
//! crawl before anything is written, with a message naming the file.

use std::fmt;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use sha2::{Digest, Sha256};

/// What a user can do about any of these errors.
pub const CA_CERT_HINT: &str = "give a PEM file holding the CA's certificate(s) \
     (-----BEGIN CERTIFICATE----- blocks); a DER file converts with \
     `openssl x509 -inform der -in FILE -out FILE.pem`";

/// Why a `--ca-cert` file cannot be used. Every message names the file.
#[derive(Debug, thiserror::Error)]
pub enum CaCertError {
    /// The file is missing or unreadable (fs-err's message names the path).
    #[error("CA certificate file: {0}")]
    Read(std::io::Error),
    /// A PEM block is malformed (bad base64, missing END line).
    #[error("CA certificate file {}: not valid PEM: {reason}", path.display())]
    Pem { path: PathBuf, reason: String },
    /// The file holds no `CERTIFICATE` block at all (empty, DER, or only a key).
    #[error("CA certificate file {} holds no PEM certificate", path.display())]
    NoCertificate { path: PathBuf },
    /// A certificate does not parse as an X.509 trust anchor.
    #[error("CA certificate file {}: certificate #{number} cannot be a trust anchor: {reason}", path.display())]
    BadCertificate {
        path: PathBuf,
        number: usize,
        reason: String,
    },
}

/// The trust anchors of one `--ca-cert` file, with the path they came from (for `arkiv.toml` and
/// the warcinfo record).
#[derive(Clone, PartialEq, Eq)]
pub struct CaCert {
    path: PathBuf,
    certs: Vec<CertificateDer<'static>>,
}

impl fmt::Debug for CaCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The DER bytes say nothing to a reader; the path and fingerprints do.
        f.debug_struct("CaCert")
            .field("path", &self.path)
            .field("sha256", &self.fingerprints())
            .finish()
    }
}

impl CaCert {
    /// Reads `path` and checks that it holds at least one certificate and that each one parses
    /// as a trust anchor. Blocks other than `CERTIFICATE` (a key, parameters) are skipped.
    pub fn load(path: &Path) -> Result<CaCert, CaCertError> {
        let bytes = fs_err::read(path).map_err(CaCertError::Read)?;
        CaCert::from_pem(path, &bytes)
    }

    /// As [`CaCert::load`], from bytes already read; `path` is what errors and records name.
    pub fn from_pem(path: &Path, pem: &[u8]) -> Result<CaCert, CaCertError> {
        let mut certs = Vec::new();
        for cert in CertificateDer::pem_slice_iter(pem) {
            let cert = cert.map_err(|err| CaCertError::Pem {
                path: path.to_path_buf(),
                reason: err.to_string(),
            })?;
            certs.push(cert);
        }
        if certs.is_empty() {
            return Err(CaCertError::NoCertificate {
                path: path.to_path_buf(),
            });
        }
        // The same check the client's root store makes, so that it can never reject these later.
        let mut scratch = rustls::RootCertStore::empty();
        for (index, cert) in certs.iter().enumerate() {
            scratch
                .add(cert.clone())
                .map_err(|err| CaCertError::BadCertificate {
                    path: path.to_path_buf(),
                    number: index + 1,
                    reason: err.to_string(),
                })?;
        }
        Ok(CaCert {
            path: path.to_path_buf(),
            certs,
        })
    }

    /// The file the anchors came from, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The DER certificates, in file order.
    pub fn certs(&self) -> &[CertificateDer<'static>] {
        &self.certs
    }

    /// `sha256:HEX` of each certificate's DER, the fingerprint `openssl x509 -fingerprint -sha256`
    /// shows (without colons), so a reader of the warcinfo can tell which CA was trusted.
    pub fn fingerprints(&self) -> Vec<String> {
        self.certs
            .iter()
            .map(|cert| {
                let digest = Sha256::digest(cert.as_ref());
                format!("sha256:{}", data_encoding::HEXLOWER.encode(&digest))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ca_certificate_loads_with_its_fingerprint() {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("params");
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        let cert = params.self_signed(&key).expect("certificate");
        // A key beside the certificate (a common bundle) is skipped, not an error.
        let pem = format!("{}{}", key.serialize_pem(), cert.pem());
        let ca = CaCert::from_pem(Path::new("bundle.pem"), pem.as_bytes()).expect("loads");
        assert_eq!(ca.certs(), [cert.der().clone()]);
        let fingerprints = ca.fingerprints();
        assert_eq!(fingerprints.len(), 1);
        assert!(fingerprints[0].starts_with("sha256:"));
        assert_eq!(fingerprints[0].len(), "sha256:".len() + 64);
        let config = super::super::tls_config(&[ca]).expect("client config");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
    }

    #[test]
    fn text_without_a_certificate_is_refused_by_name() {
        let err = CaCert::from_pem(Path::new("ca.pem"), b"hello\n").unwrap_err();
        assert!(matches!(err, CaCertError::NoCertificate { .. }), "{err}");
        assert!(err.to_string().contains("ca.pem"), "{err}");
    }

    #[test]
    fn a_broken_pem_block_is_refused_by_name() {
        let pem = b"-----BEGIN CERTIFICATE-----\n!!!not base64!!!\n-----END CERTIFICATE-----\n";
        let err = CaCert::from_pem(Path::new("broken.pem"), pem).unwrap_err();
        assert!(
            matches!(
                err,
                CaCertError::Pem { .. } | CaCertError::BadCertificate { .. }
            ),
            "{err}"
        );
        assert!(err.to_string().contains("broken.pem"), "{err}");
    }

    #[test]
    fn a_pem_block_that_is_no_certificate_is_refused_by_name() {
        // Valid base64, but not DER of a certificate.
        let pem = b"-----BEGIN CERTIFICATE-----\naGVsbG8gd29ybGQ=\n-----END CERTIFICATE-----\n";
        let err = CaCert::from_pem(Path::new("junk.pem"), pem).unwrap_err();
        assert!(
            matches!(err, CaCertError::BadCertificate { number: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("junk.pem"), "{err}");
    }

    #[test]
    fn a_missing_file_names_its_path() {
        let err = CaCert::load(Path::new("/nonexistent/arkiv-ca.pem")).unwrap_err();
        assert!(matches!(err, CaCertError::Read(_)), "{err}");
        assert!(
            err.to_string().contains("/nonexistent/arkiv-ca.pem"),
            "{err}"
        );
    }
}
