use serde_json::{Value, json};

use super::*;
use event_runtime::MessageTemplate;

const TEMPLATES: &[MessageTemplate] = &[MessageTemplate {
    event_type: "job:run:failed",
    template: "Run {{ job.run.number }} of job {{ job.name }} failed",
}];

fn body(event: Value) -> String {
    json!({
        "delivered_for": {"uuid": "00000000-0000-0000-0000-000000000001", "name": "ops"},
        "event": event,
    })
    .to_string()
}

fn failed(name: &str) -> String {
    body(json!({
        "uuid": "0190c2a4-0000-7000-8000-000000000000",
        "type": "job:run:failed",
        "version": 1,
        "timestamp": "2026-01-02T03:04:05Z",
        "job": {"uuid": "0190c2a4-0000-7000-8000-000000000001", "name": name, "run": {"number": 7, "tags": ["a"], "note": null}},
    }))
}

fn encoded(content_type: ContentType, payload: &str) -> Value {
    let messages = ChatMessages::new(TEMPLATES).unwrap();
    let (bytes, header) = encode(payload, content_type, &messages);
    assert_eq!(header, "application/json");
    serde_json::from_slice(&bytes).expect("a JSON body")
}

#[test]
fn the_message_and_the_facts_are_read_from_the_delivery() {
    let messages = ChatMessages::new(TEMPLATES).unwrap();
    let message = Message::read(&failed("Nightly"), &messages);
    assert_eq!(message.event_type, "job:run:failed");
    assert_eq!(message.text, "Run 7 of job Nightly failed");
    assert_eq!(message.timestamp.as_deref(), Some("2026-01-02T03:04:05Z"));
    let facts: Vec<(&str, &str)> = message
        .facts
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        facts,
        [
            ("job.name", "Nightly"),
            ("job.run.number", "7"),
            ("job.run.tags", r#"["a"]"#),
            ("job.uuid", "0190c2a4-0000-7000-8000-000000000001"),
        ]
    );
}

#[test]
fn a_ping_is_a_test_message() {
    let ping = json!({"type": "ping", "timestamp": "2026-01-02T03:04:05Z"}).to_string();
    let message = Message::read(&ping, &ChatMessages::default());
    assert!(
        message.text.starts_with("Test delivery"),
        "{}",
        message.text
    );
    assert!(message.facts.is_empty());
}

#[test]
fn slack_has_text_and_blocks() {
    let value = encoded(ContentType::Slack, &failed("<!channel> & co"));
    let escaped = "Run 7 of job &lt;!channel&gt; &amp; co failed";
    assert_eq!(value["text"], escaped);
    assert_eq!(value["blocks"][0]["type"], "section");
    assert_eq!(value["blocks"][0]["text"]["type"], "mrkdwn");
    assert_eq!(value["blocks"][0]["text"]["text"], escaped);
    assert_eq!(
        value["blocks"][1]["fields"][0]["text"],
        "*job.name*\n&lt;!channel&gt; &amp; co"
    );
    assert_eq!(value["blocks"][2]["type"], "context");
    assert_eq!(
        value["blocks"][2]["elements"][0]["text"],
        "job:run:failed · 2026-01-02T03:04:05Z"
    );
}

#[test]
fn slack_truncates_without_splitting_an_escape() {
    let value = encoded(ContentType::Slack, &failed(&"&".repeat(5000)));
    let section = value["blocks"][0]["text"]["text"].as_str().unwrap();
    assert!(section.chars().count() <= SLACK_SECTION_TEXT);
    assert!(section.chars().count() > SLACK_SECTION_TEXT - 6);
    assert!(
        section.ends_with("&amp;…"),
        "{}",
        &section[section.len() - 20..]
    );
    let text = value["text"].as_str().unwrap();
    assert!(text.chars().count() <= SLACK_TEXT);
    assert!(text.ends_with('…'));
    let field = value["blocks"][1]["fields"][0]["text"].as_str().unwrap();
    assert!(field.chars().count() <= SLACK_FIELD_TEXT);
}

#[test]
fn slack_shows_ten_fields_at_most() {
    let fields: serde_json::Map<String, Value> =
        (0..30).map(|i| (format!("f{i:02}"), json!(i))).collect();
    let value = encoded(ContentType::Slack, &body(Value::Object(fields)));
    assert_eq!(
        value["blocks"][1]["fields"].as_array().unwrap().len(),
        SLACK_FIELDS
    );
}

#[test]
fn discord_has_content_and_an_embed() {
    let value = encoded(ContentType::Discord, &failed("Nightly"));
    assert_eq!(value["content"], "Run 7 of job Nightly failed");
    assert_eq!(value["allowed_mentions"], json!({"parse": []}));
    let embed = &value["embeds"][0];
    assert_eq!(embed["title"], "job:run:failed");
    assert_eq!(embed["timestamp"], "2026-01-02T03:04:05Z");
    assert_eq!(
        embed["fields"][0],
        json!({"name": "job.name", "value": "Nightly", "inline": true})
    );
}

#[test]
fn discord_keeps_within_its_limits() {
    let long = "x".repeat(3000);
    let mut fields: serde_json::Map<String, Value> = (0..40)
        .map(|i| (format!("{i:02}{}", "n".repeat(300)), json!(long)))
        .collect();
    fields.insert("type".to_owned(), json!("t".repeat(400)));
    let value = encoded(ContentType::Discord, &body(Value::Object(fields)));
    let embed = &value["embeds"][0];
    assert_eq!(
        embed["title"].as_str().unwrap().chars().count(),
        DISCORD_TITLE
    );
    let fields = embed["fields"].as_array().unwrap();
    assert!(!fields.is_empty() && fields.len() <= DISCORD_FIELDS);
    let mut total = embed["title"].as_str().unwrap().chars().count();
    for field in fields {
        let name = field["name"].as_str().unwrap().chars().count();
        let value = field["value"].as_str().unwrap().chars().count();
        assert!(name <= DISCORD_FIELD_NAME && value <= DISCORD_FIELD_VALUE);
        total += name + value;
    }
    assert!(total <= DISCORD_EMBED_TOTAL, "{total}");
}

#[test]
fn teams_is_a_message_with_an_adaptive_card() {
    let value = encoded(ContentType::Teams, &failed("Nightly"));
    assert_eq!(value["type"], "message");
    let attachment = &value["attachments"][0];
    assert_eq!(
        attachment["contentType"],
        "application/vnd.microsoft.card.adaptive"
    );
    let card = &attachment["content"];
    assert_eq!(card["type"], "AdaptiveCard");
    assert_eq!(card["version"], "1.4");
    assert_eq!(
        card["$schema"],
        "http://adaptivecards.io/schemas/adaptive-card.json"
    );
    assert_eq!(
        card["body"][0],
        json!({"type": "TextBlock", "text": "Run 7 of job Nightly failed", "wrap": true})
    );
    assert_eq!(card["body"][1]["type"], "FactSet");
    assert_eq!(
        card["body"][1]["facts"][0],
        json!({"title": "job.name", "value": "Nightly"})
    );
}

#[test]
fn teams_fits_its_size_limit() {
    // Quotes double in JSON: the text alone would be twice the limit.
    let fields: serde_json::Map<String, Value> = (0..200)
        .map(|i| (format!("f{i}"), json!("\"".repeat(900))))
        .collect();
    let payload = body(Value::Object(fields));
    let messages = ChatMessages::new(&[MessageTemplate {
        event_type: "",
        template: "{{ f1 }}{{ f2 }}{{ f3 }}{{ f4 }}{{ f5 }}{{ f6 }}{{ f7 }}{{ f8 }}{{ f9 }}{{ f10 }}{{ f11 }}{{ f12 }}{{ f13 }}{{ f14 }}{{ f15 }}{{ f16 }}",
    }])
    .unwrap();
    let (bytes, _) = encode(&payload, ContentType::Teams, &messages);
    assert!(bytes.len() <= TEAMS_BODY_BYTES, "{}", bytes.len());
    let value: Value = serde_json::from_slice(&bytes).unwrap();
    let text = value["attachments"][0]["content"]["body"][0]["text"]
        .as_str()
        .unwrap();
    assert!(text.ends_with('…'));
    assert!(text.chars().count() > 1000, "cut no more than needed");
}

#[test]
fn truncation_counts_characters() {
    assert_eq!(truncate("abc", 3), "abc");
    assert_eq!(truncate("abcd", 3), "ab…");
    assert_eq!(truncate("ééééé", 4), "ééé…");
    assert_eq!(truncate("abc", 0), "");
}

#[test]
fn a_body_that_is_not_json_still_makes_a_message() {
    let value = encoded(ContentType::Discord, "not json");
    assert_eq!(value["content"], "Event");
    assert_eq!(value["embeds"][0]["title"], "Event");
}

#[test]
fn discord_fields_are_never_empty() {
    let value = encoded(ContentType::Discord, &body(json!({"": "x", "empty": ""})));
    let fields = value["embeds"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    for field in fields {
        assert!(!field["name"].as_str().unwrap().is_empty());
        assert!(!field["value"].as_str().unwrap().is_empty());
    }
}
