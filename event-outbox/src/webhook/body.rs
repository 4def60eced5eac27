//! The bytes a webhook request carries.

use super::chat::{self, ChatMessages};
use crate::delivery::ContentType;

/// The body for `payload` (JSON text) under `content_type`, and its `content-type` value.
///
/// A form body is one field, `payload`, holding the JSON text, form-urlencoded (the
/// convention of GitHub's form webhooks): receivers read the field and parse it as JSON.
/// The chat formats are JSON bodies of their own, built from the payload and its event
/// type's message in `messages` (see [`chat`]). The signature covers these exact bytes.
pub(crate) fn encode(
    payload: &str,
    content_type: ContentType,
    messages: &ChatMessages,
) -> (Vec<u8>, &'static str) {
    match content_type {
        ContentType::Json => (payload.as_bytes().to_vec(), "application/json"),
        ContentType::Form => {
            let body = form_urlencoded::Serializer::new(String::new())
                .append_pair("payload", payload)
                .finish();
            (body.into_bytes(), "application/x-www-form-urlencoded")
        }
        ContentType::Slack | ContentType::Discord | ContentType::Teams => {
            chat::encode(payload, content_type, messages)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_sent_as_is() {
        let (body, content_type) =
            encode(r#"{"a": "é"}"#, ContentType::Json, &ChatMessages::default());
        assert_eq!(body, r#"{"a": "é"}"#.as_bytes());
        assert_eq!(content_type, "application/json");
    }

    #[test]
    fn form_is_one_urlencoded_payload_field() {
        let payload = r#"{"a":"b c&d=e+é"}"#;
        let (body, content_type) = encode(payload, ContentType::Form, &ChatMessages::default());
        assert_eq!(content_type, "application/x-www-form-urlencoded");
        assert_eq!(
            String::from_utf8(body.clone()).unwrap(),
            "payload=%7B%22a%22%3A%22b+c%26d%3De%2B%C3%A9%22%7D"
        );
        let fields: Vec<_> = form_urlencoded::parse(&body).collect();
        assert_eq!(fields.len(), 1);
        assert_eq!(fields[0].0, "payload");
        assert_eq!(fields[0].1, payload);
    }
}
