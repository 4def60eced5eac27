//! The bodies of the chat formats: what Slack, Discord and Microsoft Teams incoming
//! webhooks read, built from the webhook body (`{"delivered_for", "event"}`) and the
//! event type's message.
//!
//! Each body has the message as its text and the payload's values as facts (`project.name:
//! Demo`): every value of the notification payload but its `uuid`, `type`, `version` and
//! `timestamp` at the top, objects flattened into dotted names, lists and maps as JSON,
//! nulls left out, in name order. What would pass an app's documented limits is truncated with an
//! ellipsis (or, facts past a count, left out): a chat delivery never fails on its size.

mod messages;

use serde_json::{Map, Value, json};

pub use messages::{ChatMessages, InvalidMessageTemplate};

use crate::delivery::ContentType;

/// Slack: the top-level `text` (the notification's and the fallback's), kept to the
/// length Slack recommends.
pub(crate) const SLACK_TEXT: usize = 4000;
/// Slack: the text of a section block (and of a context element).
pub(crate) const SLACK_SECTION_TEXT: usize = 3000;
/// Slack: the fields of a section block, and the length of each.
pub(crate) const SLACK_FIELDS: usize = 10;
pub(crate) const SLACK_FIELD_TEXT: usize = 2000;
/// Discord: `content`.
pub(crate) const DISCORD_CONTENT: usize = 2000;
/// Discord: an embed's title, description, fields, field name and value, and all of
/// their characters together.
pub(crate) const DISCORD_TITLE: usize = 256;
pub(crate) const DISCORD_FIELDS: usize = 25;
pub(crate) const DISCORD_FIELD_NAME: usize = 256;
pub(crate) const DISCORD_FIELD_VALUE: usize = 1024;
pub(crate) const DISCORD_EMBED_TOTAL: usize = 6000;
/// Teams: the whole body, in bytes (Teams refuses messages over about 28 KB).
pub(crate) const TEAMS_BODY_BYTES: usize = 28_000;
/// Teams: the message's text block, before the body's size limit applies.
pub(crate) const TEAMS_TEXT: usize = 10_000;
/// Teams: a fact's value.
pub(crate) const TEAMS_FACT_VALUE: usize = 1000;

/// The payload's top-level names that every event has: shown as the title and the time,
/// not as facts.
const BASE: [&str; 4] = ["uuid", "type", "version", "timestamp"];

/// The body `content_type` (a chat format) sends for the webhook body `payload`, and its
/// `content-type` value. `payload` is the worker's `{"delivered_for", "event"}` or, for a
/// ping, the event itself.
pub(crate) fn encode(
    payload: &str,
    content_type: ContentType,
    messages: &ChatMessages,
) -> (Vec<u8>, &'static str) {
    let message = Message::read(payload, messages);
    let body = match content_type {
        ContentType::Slack => slack(&message),
        ContentType::Discord => discord(&message),
        ContentType::Teams => teams(&message),
        ContentType::Json | ContentType::Form => {
            return (payload.as_bytes().to_vec(), "application/json");
        }
    };
    (body.into_bytes(), "application/json")
}

/// What a chat body shows of one event.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Message {
    /// The event type (empty when the payload has none).
    pub event_type: String,
    /// The rendered message.
    pub text: String,
    /// The event's time, RFC 3339, when it has one.
    pub timestamp: Option<String>,
    /// The payload's values, as `(dotted name, text)`, in name order.
    pub facts: Vec<(String, String)>,
}

impl Message {
    pub(crate) fn read(payload: &str, messages: &ChatMessages) -> Message {
        let body: Value = serde_json::from_str(payload).unwrap_or(Value::Null);
        let event = match body.get("event") {
            Some(event) if body.get("delivered_for").is_some() => event,
            _ => &body,
        };
        let event_type = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        let text = if event_type == "ping" && event.get("version").is_none() {
            "Test delivery: this webhook is set up to receive events.".to_owned()
        } else {
            messages.render(&event_type, event)
        };
        let timestamp = event
            .get("timestamp")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let mut facts = Vec::new();
        if let Value::Object(object) = event {
            collect_facts(object, "", true, &mut facts);
        }
        Message {
            event_type,
            text,
            timestamp,
            facts,
        }
    }

    /// `type · timestamp`, what the bodies show below the message.
    fn context(&self) -> String {
        match &self.timestamp {
            Some(time) if !self.event_type.is_empty() => format!("{} · {time}", self.event_type),
            Some(time) => time.clone(),
            None => self.event_type.clone(),
        }
    }
}

/// Adds the values of `object` under `prefix`, leaving out the base fields at the top.
fn collect_facts(
    object: &Map<String, Value>,
    prefix: &str,
    top: bool,
    facts: &mut Vec<(String, String)>,
) {
    for (key, value) in object {
        if top && BASE.contains(&key.as_str()) {
            continue;
        }
        let name = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Null => {}
            Value::Object(inner) if top || !prefix.is_empty() => {
                collect_facts(inner, &name, false, facts)
            }
            Value::String(text) => facts.push((name, text.clone())),
            other => facts.push((name, other.to_string())),
        }
    }
}

/// `text` cut to at most `max` characters, the last of them an ellipsis when it was cut.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    if max > 0 {
        cut.push('…');
    }
    cut
}

/// Slack's mrkdwn: `&`, `<` and `>` escaped (so a value cannot mention or link), then cut
/// to `max` characters without splitting an escape.
fn slack_text(text: &str, max: usize) -> String {
    let escaped = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    let mut cut = truncate(&escaped, max);
    if cut.len() != escaped.len()
        && let Some(amp) = cut.rfind('&')
        && !cut[amp..].contains(';')
    {
        cut.truncate(amp);
        cut.push('…');
    }
    cut
}

/// Slack incoming webhook: `text` for notifications, and blocks: the message as a mrkdwn
/// section, up to ten facts as the fields of a second one, and the type and time as
/// context.
pub(crate) fn slack(message: &Message) -> String {
    let mut blocks = vec![json!({
        "type": "section",
        "text": {"type": "mrkdwn", "text": slack_text(&message.text, SLACK_SECTION_TEXT)},
    })];
    let fields: Vec<Value> = message
        .facts
        .iter()
        .take(SLACK_FIELDS)
        .map(|(name, value)| {
            let text = format!(
                "*{}*\n{}",
                slack_text(name, 200),
                slack_text(value, SLACK_FIELD_TEXT - 210)
            );
            json!({"type": "mrkdwn", "text": text})
        })
        .collect();
    if !fields.is_empty() {
        blocks.push(json!({"type": "section", "fields": fields}));
    }
    let context = message.context();
    if !context.is_empty() {
        blocks.push(json!({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": slack_text(&context, SLACK_SECTION_TEXT)}],
        }));
    }
    json!({
        "text": slack_text(&message.text, SLACK_TEXT),
        "blocks": blocks,
    })
    .to_string()
}

/// Discord webhook: the message as `content`, and one embed titled with the event type,
/// holding up to 25 facts as inline fields and the event's time; no mentions are allowed,
/// whatever the text holds.
pub(crate) fn discord(message: &Message) -> String {
    let title = truncate(
        if message.event_type.is_empty() {
            "Event"
        } else {
            &message.event_type
        },
        DISCORD_TITLE,
    );
    let mut total = title.chars().count();
    let mut fields = Vec::new();
    for (name, value) in message.facts.iter().take(DISCORD_FIELDS) {
        // Discord refuses an empty name or value.
        let name = truncate(non_empty(name), DISCORD_FIELD_NAME);
        let value = truncate(non_empty(value), DISCORD_FIELD_VALUE);
        let size = name.chars().count() + value.chars().count();
        if total + size > DISCORD_EMBED_TOTAL {
            break;
        }
        total += size;
        fields.push(json!({"name": name, "value": value, "inline": true}));
    }
    let mut embed = json!({"title": title, "fields": fields});
    if let Some(time) = &message.timestamp {
        embed["timestamp"] = json!(time);
    }
    json!({
        "content": truncate(&message.text, DISCORD_CONTENT),
        "embeds": [embed],
        "allowed_mentions": {"parse": []},
    })
    .to_string()
}

/// `text`, or a dash when it is empty.
fn non_empty(text: &str) -> &str {
    if text.is_empty() { "—" } else { text }
}

/// Microsoft Teams incoming webhook (a Workflows flow posting a card): a message with one
/// Adaptive Card 1.4 attachment: the message as a text block, the facts as a fact set, and
/// the type and time in a small subtle text block. Facts are left out from the last, and
/// then the text cut, until the body fits Teams' size limit.
pub(crate) fn teams(message: &Message) -> String {
    let mut text = truncate(&message.text, TEAMS_TEXT);
    let mut facts: Vec<(String, String)> = message
        .facts
        .iter()
        .map(|(name, value)| (truncate(name, 200), truncate(value, TEAMS_FACT_VALUE)))
        .collect();
    // Facts that could not fit whatever the rest are left out at once (a fact takes at
    // least its text's bytes), so that the loop below serializes the body a few times.
    let mut budget = TEAMS_BODY_BYTES.saturating_sub(text.len().min(TEAMS_BODY_BYTES / 2));
    facts.retain(|(name, value)| {
        let size = name.len() + value.len() + 24;
        let keep = size <= budget;
        budget = budget.saturating_sub(size);
        keep && budget > 0
    });
    loop {
        let body = teams_body(&text, &facts, &message.context());
        if body.len() <= TEAMS_BODY_BYTES {
            return body;
        }
        if facts.pop().is_none() {
            let over = body.len() - TEAMS_BODY_BYTES;
            let chars = text.chars().count();
            // Escaping can make a character take up to six bytes of JSON.
            let keep = chars.saturating_sub(over.div_ceil(6).max(1) + 1);
            if keep == 0 {
                text = truncate(&text, 1);
                return teams_body(&text, &facts, "");
            }
            text = truncate(&text, keep);
        }
    }
}

fn teams_body(text: &str, facts: &[(String, String)], context: &str) -> String {
    let mut body = vec![json!({"type": "TextBlock", "text": text, "wrap": true})];
    if !facts.is_empty() {
        let facts: Vec<Value> = facts
            .iter()
            .map(|(title, value)| json!({"title": title, "value": value}))
            .collect();
        body.push(json!({"type": "FactSet", "facts": facts}));
    }
    if !context.is_empty() {
        body.push(json!({
            "type": "TextBlock",
            "text": context,
            "wrap": true,
            "isSubtle": true,
            "size": "Small",
        }));
    }
    json!({
        "type": "message",
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": null,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": body,
            },
        }],
    })
    .to_string()
}

#[cfg(test)]
mod tests;
