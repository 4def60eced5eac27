//! Webhook signing secrets, as Standard Webhooks writes them: `whsec_` followed by the
//! base64 of 24 to 64 random bytes; the signing key is the decoded bytes.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD};

/// The prefix of every secret.
const PREFIX: &str = "whsec_";
/// The shortest key accepted, in bytes.
const MIN_KEY_LEN: usize = 24;
/// The longest key accepted, in bytes.
const MAX_KEY_LEN: usize = 64;
/// The length of generated keys, in bytes.
const GENERATED_KEY_LEN: usize = 32;

/// A webhook signing secret. Its text is shown once, when it is created; `Debug` never
/// prints it.
#[derive(Clone)]
pub struct Secret {
    text: String,
    key: Vec<u8>,
}

/// A text that is not a valid secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSecret {
    /// It does not start with `whsec_`.
    #[error("a webhook secret starts with `whsec_`")]
    Prefix,
    /// What follows the prefix is not base64.
    #[error("a webhook secret is `whsec_` followed by base64")]
    Base64,
    /// The key is too short or too long.
    #[error("a webhook secret holds 24 to 64 bytes, not {0}")]
    Length(usize),
}

impl Secret {
    /// A new secret of 32 random bytes from the operating system's generator.
    ///
    /// # Panics
    ///
    /// When the operating system has no random number generator to offer (there is no
    /// safe secret to fall back to).
    pub fn generate() -> Secret {
        let mut key = vec![0u8; GENERATED_KEY_LEN];
        getrandom::fill(&mut key).expect("the operating system provides random bytes");
        let text = format!("{PREFIX}{}", STANDARD.encode(&key));
        Secret { text, key }
    }

    /// Reads a secret (`whsec_` + base64 of 24 to 64 bytes).
    pub fn parse(text: &str) -> Result<Secret, InvalidSecret> {
        let encoded = text.strip_prefix(PREFIX).ok_or(InvalidSecret::Prefix)?;
        let key = STANDARD
            .decode(encoded)
            .or_else(|_| STANDARD_NO_PAD.decode(encoded))
            .map_err(|_| InvalidSecret::Base64)?;
        if !(MIN_KEY_LEN..=MAX_KEY_LEN).contains(&key.len()) {
            return Err(InvalidSecret::Length(key.len()));
        }
        Ok(Secret {
            text: text.to_owned(),
            key,
        })
    }

    /// The secret as text (`whsec_...`), to show once or to store.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The signing key: the decoded bytes.
    pub fn key_bytes(&self) -> &[u8] {
        &self.key
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(whsec_…redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_standard_webhooks_test_secret() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").expect("valid");
        assert_eq!(secret.key_bytes().len(), 24);
        assert_eq!(secret.as_str(), "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    }

    #[test]
    fn generated_secrets_parse_and_differ() {
        let a = Secret::generate();
        let b = Secret::generate();
        assert_ne!(a.as_str(), b.as_str());
        let parsed = Secret::parse(a.as_str()).expect("a generated secret parses");
        assert_eq!(parsed.key_bytes(), a.key_bytes());
        assert_eq!(a.key_bytes().len(), GENERATED_KEY_LEN);
    }

    #[test]
    fn rejects_what_is_not_a_secret() {
        assert_eq!(
            Secret::parse("C2FVsBQI").unwrap_err(),
            InvalidSecret::Prefix
        );
        assert_eq!(
            Secret::parse("whsec_!!!").unwrap_err(),
            InvalidSecret::Base64
        );
        assert_eq!(
            Secret::parse("whsec_c2hvcnQ=").unwrap_err(),
            InvalidSecret::Length(5)
        );
        let long = format!("whsec_{}", STANDARD.encode([7u8; 65]));
        assert_eq!(Secret::parse(&long).unwrap_err(), InvalidSecret::Length(65));
    }

    #[test]
    fn debug_redacts() {
        let secret = Secret::generate();
        let printed = format!("{secret:?}");
        assert_eq!(printed, "Secret(whsec_…redacted)");
        assert!(!printed.contains(&secret.as_str()[6..]));
    }
}
