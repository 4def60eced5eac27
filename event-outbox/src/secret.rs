//! Webhook signing secrets, in the Standard Webhooks format, and (with a store backend)
//! the keys that encrypt them at rest.

#[cfg(feature = "_store")]
mod at_rest;

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

#[cfg(feature = "_store")]
pub use at_rest::{InvalidSecretKey, SecretKey};
#[cfg(feature = "_store")]
pub(crate) use at_rest::{open, seal, sealed_with};

/// The prefix of a secret's text.
const PREFIX: &str = "whsec_";
/// How many random bytes a generated secret has.
const GENERATED_LEN: usize = 32;
/// The key lengths the specification allows, in bytes.
const KEY_LEN: std::ops::RangeInclusive<usize> = 24..=64;

/// A webhook's signing secret: `whsec_` followed by the standard base64 (padded) of 24 to
/// 64 random bytes, which are the HMAC key. Never printed: `Debug` shows `Secret(..)`.
/// Equality compares the keys in constant time; both copies are wiped when dropped.
#[derive(Clone)]
pub struct Secret {
    text: Zeroizing<String>,
    key: Zeroizing<Vec<u8>>,
}

/// A text that is not a valid secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSecret {
    /// It does not start with `whsec_`.
    #[error("a webhook secret starts with `whsec_`")]
    MissingPrefix,
    /// What follows the prefix is not standard base64.
    #[error("a webhook secret is `whsec_` followed by standard base64 (with padding)")]
    NotBase64,
    /// The key is too short or too long.
    #[error("a webhook secret's key has 24 to 64 bytes, not {0}")]
    KeyLength(usize),
}

impl Secret {
    /// A new random secret (32 bytes from the operating system's generator).
    ///
    /// # Panics
    ///
    /// When the operating system has no random generator to offer, which leaves nothing
    /// safe to sign with.
    pub fn generate() -> Self {
        let mut key = Zeroizing::new(vec![0; GENERATED_LEN]);
        getrandom::fill(key.as_mut_slice())
            .expect("the operating system's random generator failed");
        Self::from_key(std::mem::take(&mut *key))
    }

    /// Parses a secret's text (`whsec_...`).
    pub fn parse(text: &str) -> Result<Self, InvalidSecret> {
        let encoded = text
            .strip_prefix(PREFIX)
            .ok_or(InvalidSecret::MissingPrefix)?;
        let key = Zeroizing::new(
            STANDARD
                .decode(encoded)
                .map_err(|_| InvalidSecret::NotBase64)?,
        );
        if !KEY_LEN.contains(&key.len()) {
            return Err(InvalidSecret::KeyLength(key.len()));
        }
        Ok(Self {
            text: Zeroizing::new(text.to_owned()),
            key,
        })
    }

    /// The secret's text, `whsec_...`, to store it or show it to its owner once.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The HMAC key: the decoded bytes.
    pub fn key_bytes(&self) -> &[u8] {
        &self.key
    }

    fn from_key(key: Vec<u8>) -> Self {
        // Reserved whole, so that no reallocation leaves a copy behind.
        let mut text = String::with_capacity(PREFIX.len() + key.len().div_ceil(3) * 4);
        text.push_str(PREFIX);
        STANDARD.encode_string(&key, &mut text);
        Self {
            text: Zeroizing::new(text),
            key: Zeroizing::new(key),
        }
    }
}

impl PartialEq for Secret {
    /// In constant time for keys of the same length (a length differs in public: the
    /// specification allows several).
    fn eq(&self, other: &Self) -> bool {
        self.key.as_slice().ct_eq(other.key.as_slice()).into()
    }
}

impl Eq for Secret {}

impl std::str::FromStr for Secret {
    type Err = InvalidSecret;

    fn from_str(text: &str) -> Result<Self, InvalidSecret> {
        Self::parse(text)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_parse_back_and_differ() {
        let secret = Secret::generate();
        assert!(secret.as_str().starts_with("whsec_"));
        assert_eq!(secret.key_bytes().len(), 32);
        assert_eq!(Secret::parse(secret.as_str()), Ok(secret.clone()));
        assert_ne!(Secret::generate(), secret);
    }

    #[test]
    fn parses_the_specification_example() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(secret.key_bytes().len(), 24);
        assert_eq!(secret.as_str(), "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD");
    }

    #[test]
    fn refuses_malformed_secrets() {
        let cases = [
            (
                "C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                InvalidSecret::MissingPrefix,
            ),
            (
                "WHSEC_C2FVsBQIhrscChlQIMV+b5sSYspob7oD",
                InvalidSecret::MissingPrefix,
            ),
            ("whsec_not base64!", InvalidSecret::NotBase64),
            ("whsec_", InvalidSecret::KeyLength(0)),
            // 23 bytes, then 65.
            (
                &format!("whsec_{}", STANDARD.encode([7; 23])),
                InvalidSecret::KeyLength(23),
            ),
            (
                &format!("whsec_{}", STANDARD.encode([7; 65])),
                InvalidSecret::KeyLength(65),
            ),
        ];
        for (text, error) in cases {
            assert_eq!(Secret::parse(text), Err(error), "{text}");
        }
        for len in [24, 64] {
            assert!(Secret::parse(&format!("whsec_{}", STANDARD.encode(vec![1; len]))).is_ok());
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let secret = Secret::generate();
        let shown = format!("{secret:?} {:?}", Some(&secret));
        assert!(!shown.contains("whsec_"), "{shown}");
        assert!(!shown.contains(&secret.as_str()[6..]), "{shown}");
    }
}
