//! Keyed hashing of telemetry values (the `hash` policy).

use std::fmt;
use std::fmt::Write as _;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// The secret key of the `hash` telemetry policy: values are sent to analytics as
/// HMAC-SHA256 of their text under this key, so they can be correlated but not read or
/// guessed without it. Comes from the runtime's configuration; never printed.
#[derive(Clone)]
pub struct TelemetryKey {
    key: Vec<u8>,
}

impl TelemetryKey {
    /// A key from secret bytes (at least 32 recommended).
    pub fn new(key: impl Into<Vec<u8>>) -> Self {
        Self { key: key.into() }
    }

    /// Lowercase hex HMAC-SHA256 of `value` (64 characters).
    pub fn hash(&self, value: impl AsRef<[u8]>) -> String {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.key)
            .expect("HMAC takes keys of any length");
        mac.update(value.as_ref());
        let digest = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(64);
        for byte in digest {
            let _ = write!(hex, "{byte:02x}");
        }
        hex
    }
}

impl fmt::Debug for TelemetryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TelemetryKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_keyed_hex_hmac_sha256() {
        // RFC 4231 test case 2.
        let key = TelemetryKey::new(b"Jefe".to_vec());
        assert_eq!(
            key.hash("what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_ne!(
            TelemetryKey::new(b"other".to_vec()).hash("x"),
            key.hash("x")
        );
        assert_eq!(format!("{key:?}"), "TelemetryKey(..)");
    }
}
