//! Standard Webhooks signatures: HMAC-SHA256 of `"{id}.{timestamp}.{body}"`.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::Secret;

/// The header with the delivery's id, stable across retries.
pub const HEADER_ID: &str = "webhook-id";
/// The header with the attempt's time, in unix seconds.
pub const HEADER_TIMESTAMP: &str = "webhook-timestamp";
/// The header with the signatures.
pub const HEADER_SIGNATURE: &str = "webhook-signature";

/// One signature, `v1,<base64 of HMAC-SHA256>`, of the exact body bytes sent.
pub fn sign(secret: &Secret, message_id: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(secret.key_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(message_id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
}

/// The `webhook-signature` value: one signature per secret, space-separated, so that a
/// receiver holding either the old or the new secret verifies during a rotation.
pub fn signature_header(
    secrets: &[Secret],
    message_id: &str,
    timestamp: i64,
    body: &[u8],
) -> String {
    secrets
        .iter()
        .map(|secret| sign(secret, message_id, timestamp, body))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
    const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;

    #[test]
    fn reproduces_the_specification_test_vector() {
        let secret = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        assert_eq!(
            sign(&secret, ID, 1649367553, BODY.as_bytes()),
            "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="
        );
    }

    #[test]
    fn one_signature_per_secret_in_order() {
        let old = Secret::parse("whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD").unwrap();
        let new = Secret::generate();
        let header = signature_header(&[old.clone(), new.clone()], ID, 1649367553, BODY.as_bytes());
        let parts: Vec<&str> = header.split(' ').collect();
        assert_eq!(
            parts,
            [
                sign(&old, ID, 1649367553, BODY.as_bytes()),
                sign(&new, ID, 1649367553, BODY.as_bytes())
            ]
        );
        assert_eq!(signature_header(&[], ID, 0, b""), "");
    }

    #[test]
    fn the_published_verifier_accepts_our_signatures_across_rotation() {
        let now = chrono::Utc::now().timestamp();
        let old = Secret::generate();
        let new = Secret::generate();
        let header = signature_header(&[old.clone(), new.clone()], ID, now, BODY.as_bytes());
        let mut headers = http_headers(now, &header);
        for secret in [&old, &new] {
            let verifier = standardwebhooks::Webhook::new(secret.as_str()).unwrap();
            verifier.verify(BODY.as_bytes(), &headers).unwrap();
            // Any change to the body breaks it.
            assert!(verifier.verify(b"{}", &headers).is_err());
        }
        let stranger = standardwebhooks::Webhook::new(Secret::generate().as_str()).unwrap();
        assert!(stranger.verify(BODY.as_bytes(), &headers).is_err());
        // A signature for another id does not verify either.
        headers.insert(HEADER_ID, "msg_other".parse().unwrap());
        let verifier = standardwebhooks::Webhook::new(old.as_str()).unwrap();
        assert!(verifier.verify(BODY.as_bytes(), &headers).is_err());
    }

    fn http_headers(timestamp: i64, signature: &str) -> reqwest::header::HeaderMap {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(HEADER_ID, ID.parse().unwrap());
        headers.insert(HEADER_TIMESTAMP, timestamp.to_string().parse().unwrap());
        headers.insert(HEADER_SIGNATURE, signature.parse().unwrap());
        headers
    }
}
