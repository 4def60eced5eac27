//! How a webhook's TLS server certificate is checked: against the system's roots (the
//! default), against them and extra trusted CA certificates (an internal CA), or, only
//! when asked for explicitly, not at all.

use std::fmt;
use std::sync::Arc;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::{self, PemObject, SectionKind};

/// The largest CA PEM kept for a webhook: a few certificates fit many times over.
pub const MAX_CA_PEM_BYTES: usize = 256 * 1024;

/// How a webhook's server certificate is checked.
///
/// - [`WebhookTls::default()`]: verified against the system's root certificates.
/// - [`WebhookTls::with_ca_pem`]: verified against the system's roots **and** the given
///   CA certificate(s), e.g. the internal CA of a self-hosted receiver.
/// - [`WebhookTls::insecure_no_verify`]: **not verified at all**. Anyone on the network
///   path can then impersonate the receiver: read every delivery, hold it back or replay
///   it (only the signature, when the receiver checks it, stops a changed one). A warning
///   is logged whenever a client for it is built.
///
/// The address policy against SSRF applies whatever the TLS settings. `Debug` shows the
/// size of the CA PEM, not its text.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct WebhookTls {
    ca_pem: Option<Arc<str>>,
    verify: bool,
}

impl Default for WebhookTls {
    /// Verified against the system's root certificates.
    fn default() -> Self {
        WebhookTls {
            ca_pem: None,
            verify: true,
        }
    }
}

impl WebhookTls {
    /// Verified against the system's roots and the CA certificate(s) in `pem` (one or
    /// more `-----BEGIN CERTIFICATE-----` sections). The store checks it when the webhook
    /// is saved ([`WebhookTls::check`]).
    pub fn with_ca_pem(pem: impl Into<String>) -> Self {
        WebhookTls {
            ca_pem: Some(Arc::from(pem.into())),
            verify: true,
        }
    }

    /// **Dangerous**: the server certificate is not verified at all (not its issuer, not
    /// its name, not its dates). Only for a receiver on a network you trust, while you
    /// cannot give it a certificate to verify. A warning is logged whenever a client for
    /// it is built.
    pub fn insecure_no_verify() -> Self {
        WebhookTls {
            ca_pem: None,
            verify: false,
        }
    }

    /// The settings as stored: the CA PEM column and the verify column.
    #[cfg(feature = "_store")]
    pub(crate) fn from_stored(ca_pem: Option<String>, verify: bool) -> Self {
        WebhookTls {
            ca_pem: ca_pem.filter(|pem| !pem.is_empty()).map(Arc::from),
            verify,
        }
    }

    /// The extra trusted CA certificate(s), PEM.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Whether the server certificate is verified (`false` only for
    /// [`WebhookTls::insecure_no_verify`]).
    pub fn verifies(&self) -> bool {
        self.verify
    }

    /// Whether these are the defaults: verified against the system's roots only.
    pub fn is_default(&self) -> bool {
        self.verify && self.ca_pem.is_none()
    }

    /// Checks the CA PEM: at most [`MAX_CA_PEM_BYTES`], one or more well-formed
    /// certificates, and nothing else (a private key is refused: it does not belong
    /// here). The error names the problem, never the PEM's text.
    pub fn check(&self) -> Result<(), InvalidTls> {
        let Some(pem) = self.ca_pem.as_deref() else {
            return Ok(());
        };
        let invalid = |problem: String| Err(InvalidTls { problem });
        if pem.len() > MAX_CA_PEM_BYTES {
            return invalid(format!(
                "the CA PEM is {} bytes, more than the {MAX_CA_PEM_BYTES} allowed",
                pem.len()
            ));
        }
        let mut certificates = 0;
        for (index, section) in <(SectionKind, Vec<u8>)>::pem_slice_iter(pem.as_bytes()).enumerate()
        {
            let (kind, der) = section.map_err(|error| InvalidTls {
                problem: format!("the CA PEM cannot be read: {}", describe(&error)),
            })?;
            let number = index + 1;
            match kind {
                SectionKind::Certificate => {
                    let der = CertificateDer::from(der);
                    webpki::anchor_from_trusted_cert(&der).map_err(|error| InvalidTls {
                        problem: format!(
                            "section {number} of the CA PEM is not an X.509 certificate ({error})"
                        ),
                    })?;
                    certificates += 1;
                }
                SectionKind::RsaPrivateKey
                | SectionKind::PrivateKey
                | SectionKind::EcPrivateKey => {
                    return invalid(format!(
                        "section {number} of the CA PEM is a private key: give the CA's certificate only, and keep its key private"
                    ));
                }
                _ => {
                    return invalid(format!(
                        "section {number} of the CA PEM is not a certificate (only `BEGIN CERTIFICATE` sections are trusted)"
                    ));
                }
            }
        }
        if certificates == 0 {
            return invalid(
                "the CA PEM holds no certificate (expected `-----BEGIN CERTIFICATE-----`)"
                    .to_owned(),
            );
        }
        Ok(())
    }
}

/// A PEM error, without echoing the input.
fn describe(error: &pem::Error) -> &'static str {
    match error {
        pem::Error::MissingSectionEnd { .. } => "a section has no `-----END ...-----` line",
        pem::Error::IllegalSectionStart { .. } => "a `-----BEGIN ...-----` line is malformed",
        pem::Error::Base64Decode(_) => "a section is not valid base64",
        pem::Error::SectionTooLarge => "a section is too large",
        _ => "it is not PEM",
    }
}

impl fmt::Debug for WebhookTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Pem(usize);
        impl fmt::Debug for Pem {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "<{} bytes>", self.0)
            }
        }
        f.debug_struct("WebhookTls")
            .field("ca_pem", &self.ca_pem.as_deref().map(|pem| Pem(pem.len())))
            .field("verify", &self.verify)
            .finish()
    }
}

/// TLS settings a webhook cannot be saved with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid webhook TLS settings: {problem}")]
pub struct InvalidTls {
    /// What is wrong.
    pub problem: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_verify_with_the_system_roots() {
        let tls = WebhookTls::default();
        assert!(tls.verifies() && tls.is_default() && tls.ca_pem().is_none());
        assert!(tls.check().is_ok());
        let insecure = WebhookTls::insecure_no_verify();
        assert!(!insecure.verifies() && !insecure.is_default());
    }

    #[test]
    fn bad_pems_are_refused_with_the_problem_named() {
        let cases = [
            ("", "holds no certificate"),
            ("not a pem at all", "holds no certificate"),
            ("-----BEGIN CERTIFICATE-----\nAAAA\n", "has no `-----END"),
            (
                "-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n",
                "not valid base64",
            ),
            (
                "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
                "section 1 of the CA PEM is not an X.509 certificate",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
                "is a private key",
            ),
        ];
        for (pem, expected) in cases {
            let error = WebhookTls::with_ca_pem(pem).check().expect_err("a bad PEM");
            assert!(error.to_string().contains(expected), "{pem:?}: {error}");
        }
        let huge = "A".repeat(MAX_CA_PEM_BYTES + 1);
        let error = WebhookTls::with_ca_pem(huge).check().expect_err("too long");
        assert!(error.to_string().contains("more than"), "{error}");
    }

    #[test]
    fn debug_shows_the_size_not_the_pem() {
        let shown = format!(
            "{:?}",
            WebhookTls::with_ca_pem("-----BEGIN CERTIFICATE-----")
        );
        assert_eq!(
            shown,
            "WebhookTls { ca_pem: Some(<27 bytes>), verify: true }"
        );
    }
}
