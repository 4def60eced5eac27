//! Secrets at rest: XChaCha20-Poly1305 (as Svix does) under keys from the configuration.
//!
//! A stored secret is `enc1:<key id>:<base64 of nonce and ciphertext>`; the subscriber's
//! id is the associated data, so a ciphertext copied to another row does not decrypt.
//! The first configured key encrypts, every configured key decrypts (rotation: put the
//! new key first, re-encrypt, then drop the old one). Without keys secrets are stored
//! as their text, as before; such rows are read as they are.

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use uuid::Uuid;
use zeroize::Zeroizing;

use super::Secret;

/// The prefix of an encrypted secret.
pub(crate) const ENCRYPTED: &str = "enc1:";
const NONCE_LEN: usize = 24;
const KEY_LEN: usize = 32;
const MAX_ID_LEN: usize = 64;

/// A key that encrypts webhook secrets at rest: 32 random bytes and a short id stored
/// beside each ciphertext. The bytes are wiped when dropped and never printed.
#[derive(Clone)]
pub struct SecretKey {
    id: String,
    key: Zeroizing<[u8; KEY_LEN]>,
}

/// A key id or key that cannot encrypt secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSecretKey {
    /// The id is empty, too long, or has characters other than ASCII letters, digits,
    /// `-`, `_` and `.`.
    #[error("a secret key's id has 1 to 64 ASCII letters, digits, `-`, `_` or `.`")]
    Id,
    /// The key is not the standard base64 (padded) of 32 bytes.
    #[error("a secret key is the standard base64 (with padding) of 32 random bytes")]
    Encoding,
}

impl SecretKey {
    /// A key named `id` (e.g. `2026-12`) with the 32 bytes `key`.
    pub fn new(id: &str, key: [u8; KEY_LEN]) -> Result<Self, InvalidSecretKey> {
        let key = Zeroizing::new(key);
        let valid = (1..=MAX_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
        if !valid {
            return Err(InvalidSecretKey::Id);
        }
        Ok(Self {
            id: id.to_owned(),
            key,
        })
    }

    /// A key named `id` from the standard base64 (padded) of 32 bytes, as kept in a
    /// configuration file or an environment variable (`openssl rand -base64 32`).
    pub fn from_base64(id: &str, key: &str) -> Result<Self, InvalidSecretKey> {
        let bytes = Zeroizing::new(
            STANDARD
                .decode(key.trim())
                .map_err(|_| InvalidSecretKey::Encoding)?,
        );
        let key: [u8; KEY_LEN] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| InvalidSecretKey::Encoding)?;
        Self::new(id, key)
    }

    /// Its id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        // Borrowed, not copied: the cipher holds the only other copy, and wipes it.
        XChaCha20Poly1305::new((&*self.key).into())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

/// What a subscriber's secret is bound to: its row.
fn associated_data(subscriber: Uuid) -> [u8; 16] {
    *subscriber.as_bytes()
}

/// The text to store for `secret` of `subscriber`: encrypted under the first of `keys`,
/// or the secret's own text when there is no key. Fails only when the system's random
/// generator does.
pub(crate) fn seal(
    keys: &[SecretKey],
    subscriber: Uuid,
    secret: &Secret,
) -> Result<String, String> {
    let Some(key) = keys.first() else {
        return Ok(secret.as_str().to_owned());
    };
    let mut nonce = [0; NONCE_LEN];
    getrandom::fill(&mut nonce).map_err(|e| format!("no random nonce: {e}"))?;
    let payload = Payload {
        msg: secret.as_str().as_bytes(),
        aad: &associated_data(subscriber),
    };
    let sealed = key
        .cipher()
        .encrypt(&XNonce::from(nonce), payload)
        .map_err(|_| "the secret could not be encrypted".to_owned())?;
    let mut bytes = nonce.to_vec();
    bytes.extend_from_slice(&sealed);
    Ok(format!("{ENCRYPTED}{}:{}", key.id, STANDARD.encode(bytes)))
}

/// The secret stored as `stored` for `subscriber`: decrypted with the key of its id, or
/// parsed when stored as text. The error says why, without the stored value.
pub(crate) fn open(keys: &[SecretKey], subscriber: Uuid, stored: &str) -> Result<Secret, String> {
    let Some(rest) = stored.strip_prefix(ENCRYPTED) else {
        return Secret::parse(stored).map_err(|e| format!("the stored secret is invalid: {e}"));
    };
    let (id, encoded) = rest
        .split_once(':')
        .ok_or("the stored secret is not in the encrypted format")?;
    let key = keys.iter().find(|key| key.id == id).ok_or_else(|| {
        format!("the stored secret is encrypted with key `{id}`, which is not configured")
    })?;
    let bytes = STANDARD
        .decode(encoded)
        .map_err(|_| "the stored secret is not in the encrypted format")?;
    if bytes.len() < NONCE_LEN {
        return Err("the stored secret is not in the encrypted format".to_owned());
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| "a nonce of 24 bytes")?;
    let payload = Payload {
        msg: sealed,
        aad: &associated_data(subscriber),
    };
    let text = Zeroizing::new(
        key.cipher()
            .decrypt(&XNonce::from(nonce), payload)
            .map_err(|_| format!("the stored secret does not decrypt with key `{id}` (another key under that id, or altered)"))?,
    );
    let text = std::str::from_utf8(&text).map_err(|_| "the decrypted secret is not text")?;
    Secret::parse(text).map_err(|e| format!("the decrypted secret is invalid: {e}"))
}

/// Whether `stored` is encrypted under `key`.
pub(crate) fn sealed_with(stored: &str, key: &SecretKey) -> bool {
    stored
        .strip_prefix(ENCRYPTED)
        .and_then(|rest| rest.split_once(':'))
        .is_some_and(|(id, _)| id == key.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_secrets_open_only_with_their_key_and_row() {
        let keys = [SecretKey::new("a", [7; 32]).unwrap()];
        let secret = Secret::generate();
        let row = Uuid::now_v7();
        let stored = seal(&keys, row, &secret).unwrap();
        assert!(stored.starts_with("enc1:a:") && sealed_with(&stored, &keys[0]));
        assert_eq!(open(&keys, row, &stored).unwrap(), secret);
        // Another row, another key under the same id, an altered byte: refused.
        assert!(open(&keys, Uuid::now_v7(), &stored).is_err());
        let impostor = [SecretKey::new("a", [8; 32]).unwrap()];
        assert!(open(&impostor, row, &stored).is_err());
        let mut altered = stored.clone().into_bytes();
        let last = altered.len() - 3;
        altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
        assert!(open(&keys, row, std::str::from_utf8(&altered).unwrap()).is_err());
        // Two seals of one secret differ (a fresh nonce each).
        assert_ne!(seal(&keys, row, &secret).unwrap(), stored);
        // Without keys: the text, read back as it is.
        let plain = seal(&[], row, &secret).unwrap();
        assert_eq!(plain, secret.as_str());
        assert_eq!(open(&[], row, &plain).unwrap(), secret);
        for broken in ["enc1:", "enc1:a", "enc1:a:!!", "enc1:a:AAAA"] {
            assert!(open(&keys, row, broken).is_err(), "{broken}");
        }
    }
}
