//! A real HTTP receiver on 127.0.0.1: it records every request, verifies Standard
//! Webhooks signatures with the published `standardwebhooks` crate for the paths it
//! knows a secret of, and answers each path as told (by default 200).

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use tokio::net::TcpListener;

/// How the receiver answers a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// 200 `ok`.
    Ok,
    /// This status, every time.
    Status(u16),
    /// This status for the next `times` requests, then 200.
    FailTimes { status: u16, times: u32 },
    /// No answer for an hour.
    Hang,
    /// 302 to `/redirected`.
    Redirect,
}

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The signature check, for paths with a known secret: `Err` says why it failed.
    pub verified: Option<Result<(), String>>,
    /// The status it answered (0 while hanging).
    pub status: u16,
}

impl Received {
    /// The body as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Shared {
    requests: Mutex<Vec<Received>>,
    answers: Mutex<HashMap<String, Answer>>,
    secrets: Mutex<HashMap<String, String>>,
}

/// The receiver; it serves until the runtime it was started on ends.
#[derive(Clone)]
pub(crate) struct Receiver {
    pub address: SocketAddr,
    shared: Arc<Shared>,
}

impl Receiver {
    pub(crate) async fn start() -> Receiver {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind a local port");
        let address = listener.local_addr().expect("an address");
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&shared));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { address, shared }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub(crate) fn port(&self) -> u16 {
        self.address.port()
    }

    /// Answers `path` with `answer` from now on.
    pub(crate) fn answer(&self, path: &str, answer: Answer) {
        let mut answers = self.shared.answers.lock().expect("not poisoned");
        answers.insert(path.to_owned(), answer);
    }

    /// Verifies the signatures of requests to `path` with `secret` (`whsec_...`).
    pub(crate) fn verify(&self, path: &str, secret: &str) {
        let mut secrets = self.shared.secrets.lock().expect("not poisoned");
        secrets.insert(path.to_owned(), secret.to_owned());
    }

    /// Every request so far, in order of arrival.
    pub(crate) fn received(&self) -> Vec<Received> {
        self.shared.requests.lock().expect("not poisoned").clone()
    }

    /// The requests to `path`.
    pub(crate) fn received_at(&self, path: &str) -> Vec<Received> {
        let requests = self.shared.requests.lock().expect("not poisoned");
        requests
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// How many requests arrived.
    pub(crate) fn count(&self) -> usize {
        self.shared.requests.lock().expect("not poisoned").len()
    }

    /// Forgets the requests so far.
    pub(crate) fn clear(&self) {
        self.shared.requests.lock().expect("not poisoned").clear();
    }
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_owned();
    let verified = shared
        .secrets
        .lock()
        .expect("not poisoned")
        .get(&path)
        .map(|secret| verify(secret, &headers, &body));
    let answer = {
        let mut answers = shared.answers.lock().expect("not poisoned");
        let answer = answers.get(&path).copied().unwrap_or(Answer::Ok);
        if let Answer::FailTimes { status, times } = answer {
            let next = match times {
                0 | 1 => Answer::Ok,
                n => Answer::FailTimes {
                    status,
                    times: n - 1,
                },
            };
            answers.insert(path.clone(), next);
            if times == 0 {
                Answer::Ok
            } else {
                Answer::Status(status)
            }
        } else {
            answer
        }
    };
    let status = match answer {
        Answer::Ok | Answer::FailTimes { .. } => 200,
        Answer::Status(code) => code,
        Answer::Redirect => 302,
        Answer::Hang => 0,
    };
    shared
        .requests
        .lock()
        .expect("not poisoned")
        .push(Received {
            path,
            headers,
            body,
            verified,
            status,
        });
    let response = Response::builder();
    match answer {
        Answer::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            response.body(Body::empty())
        }
        Answer::Redirect => response
            .status(StatusCode::FOUND)
            .header(header::LOCATION, "/redirected")
            .body(Body::empty()),
        _ => response.status(status).body(Body::from("ok")),
    }
    .expect("a response")
}

/// What the published verifier says of a request (it also rejects timestamps more than
/// five minutes off).
fn verify(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), String> {
    let webhook = standardwebhooks::Webhook::new(secret).map_err(|e| e.to_string())?;
    webhook.verify(body, headers).map_err(|e| e.to_string())
}
