//! A real HTTP receiver on 127.0.0.1 for the fault tests: it answers by path and counts
//! what it got by `webhook-id`, so duplicates show.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, Uri};
use tokio::net::TcpListener;

/// Answers by path:
/// - `/nul`: 500 with a body holding a NUL byte;
/// - `/nul-ok`: 200 with a body holding a NUL byte;
/// - `/invalid-utf8`: 500 with bytes that are not UTF-8;
/// - `/huge`: 500 with a 4 MiB body;
/// - `/slow/<ms>`: 200 after `<ms>` milliseconds;
/// - anything else: 200 `ok`.
pub(crate) struct Receiver {
    address: SocketAddr,
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .await
            .expect("bind");
        let address = listener.local_addr().expect("an address");
        let counts = Arc::new(Mutex::new(HashMap::new()));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&counts));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { address, counts }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// Requests received, by `webhook-id`.
    pub(crate) fn counts(&self) -> HashMap<String, usize> {
        self.counts.lock().expect("not poisoned").clone()
    }

    /// Requests received in all.
    pub(crate) fn total(&self) -> usize {
        self.counts().values().sum()
    }

    /// The most requests one `webhook-id` got.
    pub(crate) fn most_per_id(&self) -> usize {
        self.counts().values().copied().max().unwrap_or(0)
    }
}

async fn answer(
    State(counts): State<Arc<Mutex<HashMap<String, usize>>>>,
    uri: Uri,
    headers: HeaderMap,
    _body: Bytes,
) -> Response<Body> {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    *counts.lock().expect("not poisoned").entry(id).or_default() += 1;
    let path = uri.path();
    let (status, body): (u16, Vec<u8>) = match path {
        "/nul" => (500, b"bad\0body".to_vec()),
        "/nul-ok" => (200, b"ok\0".to_vec()),
        "/invalid-utf8" => (500, vec![b'a', 0xff, 0xfe, 0xc3, 0x28, 0]),
        "/huge" => (500, vec![b'x'; 4 << 20]),
        _ => {
            if let Some(ms) = path.strip_prefix("/slow/") {
                let ms = ms.parse().unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(ms)).await;
            }
            (200, b"ok".to_vec())
        }
    };
    Response::builder()
        .status(status)
        .body(Body::from(body))
        .expect("a response")
}
