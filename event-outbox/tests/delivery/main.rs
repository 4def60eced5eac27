//! The senders against real HTTP receivers on 127.0.0.1.

mod analytics;
mod chat;
mod receiver;
mod relay_http;
mod webhook;
