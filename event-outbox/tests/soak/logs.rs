//! What the outbox logged during the soak, at `warn` and `error`: the faults it recovered
//! from on its own (a deadlock retried, deliveries given back unsent, ...), which the
//! figures show, and errors, which fail the soak.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Metadata, Subscriber, span};

/// `LEVEL message` → how many times.
static LOGGED: Mutex<BTreeMap<String, usize>> = Mutex::new(BTreeMap::new());

struct Capture;

impl Subscriber for Capture {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        *metadata.level() <= Level::WARN
    }
    fn new_span(&self, _: &span::Attributes<'_>) -> span::Id {
        span::Id::from_u64(1)
    }
    fn record(&self, _: &span::Id, _: &span::Record<'_>) {}
    fn record_follows_from(&self, _: &span::Id, _: &span::Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut line = event.metadata().level().to_string();
        event.record(&mut Message(&mut line));
        *LOGGED
            .lock()
            .expect("not poisoned")
            .entry(line)
            .or_default() += 1;
    }
    fn enter(&self, _: &span::Id) {}
    fn exit(&self, _: &span::Id) {}
}

/// Keeps the message and the error, not the ids and counts that make each event unique.
struct Message<'a>(&'a mut String);

impl Visit for Message<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if matches!(field.name(), "message" | "error") {
            let _ = write!(self.0, " {value:?}");
        }
    }
}

/// Records the process's `warn` and `error` events from now on.
pub(crate) fn capture() {
    tracing::subscriber::set_global_default(Capture).expect("the only global subscriber");
}

/// Every distinct event so far, with its count.
pub(crate) fn logged() -> BTreeMap<String, usize> {
    LOGGED.lock().expect("not poisoned").clone()
}
