//! The text of a chat message: the event type's `message` template, rendered over the
//! notification payload.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use event_runtime::MessageTemplate;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

/// The message templates of a catalog, by event type, compiled once: what chat deliveries
/// render their text with.
///
/// Generated code declares them as `CHAT_MESSAGES` (every stored event, with its
/// `message` or the generated default); hand them to the sender with
/// [`WebhookSender::with_messages`](super::super::WebhookSender::with_messages). An event
/// type without a template (or a template that fails at delivery time) gets the fallback
/// text, `` Event `<type>` ``, rather than a failed delivery.
///
/// Templates are [minijinja](https://docs.rs/minijinja) over the notification payload:
/// `{{ project.name }}`, `{{ timestamp }}`. An absent or null value renders as nothing.
#[derive(Clone, Default)]
pub struct ChatMessages {
    env: Arc<Environment<'static>>,
    types: Arc<BTreeSet<&'static str>>,
}

/// A message template that does not compile.
#[derive(Debug, Clone, thiserror::Error)]
#[error("the message template of `{event_type}` is invalid: {reason}")]
pub struct InvalidMessageTemplate {
    /// The event type.
    pub event_type: String,
    /// What the template engine said.
    pub reason: String,
}

impl ChatMessages {
    /// The templates of `templates` (a later one of the same type replaces an earlier one),
    /// compiled; the first that does not compile is the error.
    pub fn new(templates: &[MessageTemplate]) -> Result<Self, InvalidMessageTemplate> {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| AutoEscape::None);
        // The checker has matched every variable to the payload's shape; what is absent
        // at delivery time is an optional field, which renders as nothing.
        env.set_undefined_behavior(UndefinedBehavior::Chainable);
        env.set_formatter(|out, state, value| {
            if value.is_none() || value.is_undefined() {
                Ok(())
            } else {
                minijinja::escape_formatter(out, state, value)
            }
        });
        let mut types = BTreeSet::new();
        for template in templates {
            env.add_template(template.event_type, template.template)
                .map_err(|error| InvalidMessageTemplate {
                    event_type: template.event_type.to_owned(),
                    reason: error.to_string(),
                })?;
            types.insert(template.event_type);
        }
        Ok(ChatMessages {
            env: Arc::new(env),
            types: Arc::new(types),
        })
    }

    /// The message for `event` (a notification payload) of type `event_type`: its
    /// template rendered, trimmed, or the fallback text when there is no template, it
    /// fails, or it renders to nothing.
    pub fn render(&self, event_type: &str, event: &serde_json::Value) -> String {
        let rendered = self
            .types
            .contains(event_type)
            .then(|| self.env.get_template(event_type).ok())
            .flatten()
            .and_then(|template| {
                match template.render(Value::from(minijinja::value::Serde(event))) {
                    Ok(text) => Some(text),
                    Err(error) => {
                        tracing::warn!(
                            event_type,
                            %error,
                            "rendering a chat message failed; sending the fallback text"
                        );
                        None
                    }
                }
            });
        match rendered {
            Some(text) if !text.trim().is_empty() => text.trim().to_owned(),
            _ => fallback(event_type),
        }
    }
}

/// The text of an event without a (usable) template.
pub(crate) fn fallback(event_type: &str) -> String {
    if event_type.is_empty() {
        "Event".to_owned()
    } else {
        format!("Event `{event_type}`")
    }
}

impl fmt::Debug for ChatMessages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ChatMessages")
            .field("event_types", &self.types)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const TEMPLATES: &[MessageTemplate] = &[
        MessageTemplate {
            event_type: "job:failed",
            template: "Job {{ job.name }} failed{% if job.reason %}: {{ job.reason }}{% endif %}",
        },
        MessageTemplate {
            event_type: "job:broken",
            template: "{{ job.name | nosuchfilter }}",
        },
    ];

    #[test]
    fn renders_over_the_payload() {
        let messages = ChatMessages::new(&TEMPLATES[..1]).unwrap();
        let event = json!({"type": "job:failed", "job": {"name": "Nightly", "reason": null}});
        assert_eq!(messages.render("job:failed", &event), "Job Nightly failed");
        let event = json!({"job": {"name": "Nightly", "reason": "OOM"}});
        assert_eq!(
            messages.render("job:failed", &event),
            "Job Nightly failed: OOM"
        );
    }

    #[test]
    fn absent_and_null_values_render_as_nothing() {
        let templates = [MessageTemplate {
            event_type: "a",
            template: "[{{ x }}|{{ y.z }}|{{ n }}|{{ n.m }}]",
        }];
        let messages = ChatMessages::new(&templates).unwrap();
        assert_eq!(messages.render("a", &json!({"n": null})), "[|||]");
    }

    #[test]
    fn without_a_template_or_when_it_fails_the_fallback() {
        let messages = ChatMessages::new(TEMPLATES).unwrap();
        assert_eq!(messages.render("other", &json!({})), "Event `other`");
        // An unknown filter is an error when rendering.
        assert_eq!(
            messages.render("job:broken", &json!({"job": {"name": "x"}})),
            "Event `job:broken`"
        );
        assert_eq!(
            ChatMessages::default().render("job:failed", &json!({})),
            "Event `job:failed`"
        );
    }

    #[test]
    fn a_template_that_does_not_compile_is_an_error() {
        let templates = [MessageTemplate {
            event_type: "a",
            template: "{{ unclosed",
        }];
        let error = ChatMessages::new(&templates).unwrap_err();
        assert_eq!(error.event_type, "a");
        assert!(
            error.to_string().contains("message template of `a`"),
            "{error}"
        );
    }
}
