//! A real HTTP receiver on 127.0.0.1 that records what it gets and answers by path.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response, StatusCode, Uri, header};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One request as the receiver got it.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub path: String,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Answers by path:
/// - `/status/<code>[/...][?retry_after=<value>]`: that status (and `Retry-After`);
/// - `/redirect`: 302 to `/ok`;
/// - `/hang`: never answers;
/// - anything else: 200 `ok`.
pub(crate) struct Receiver {
    pub address: SocketAddr,
    requests: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start() -> Self {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
        let address = listener.local_addr().unwrap();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let app = Router::new()
            .fallback(answer)
            .with_state(Arc::clone(&requests));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { address, requests }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub(crate) fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub(crate) fn port(&self) -> u16 {
        self.address.port()
    }

    pub(crate) fn received(&self) -> Vec<Received> {
        self.requests.lock().unwrap().clone()
    }
}

async fn answer(
    State(requests): State<Arc<Mutex<Vec<Received>>>>,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response<Body> {
    let path = uri.path().to_owned();
    requests.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
    });
    let response = Response::builder();
    if let Some(code) = path.strip_prefix("/status/") {
        let code = code.split('/').next().unwrap_or_default();
        let mut response = response.status(code.parse::<u16>().unwrap());
        if let Some(value) = uri.query().and_then(|q| q.strip_prefix("retry_after=")) {
            let value = value.replace("%20", " ");
            response = response.header(header::RETRY_AFTER, value);
        }
        return response.body(Body::from("status")).unwrap();
    }
    match path.as_str() {
        "/redirect" => response
            .status(StatusCode::FOUND)
            .header(header::LOCATION, "/ok")
            .body(Body::empty())
            .unwrap(),
        "/hang" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            response.body(Body::empty()).unwrap()
        }
        _ => response.body(Body::from("ok")).unwrap(),
    }
}

/// A raw server that answers every request with 200 and an (announced) 1 GiB body, and
/// counts the bytes it managed to write before the client went away.
pub(crate) async fn huge_body_server() -> (SocketAddr, Arc<AtomicU64>) {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let written = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&written);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = Arc::clone(&counter);
            tokio::spawn(async move {
                // Read the request head (and whatever body came with it) before answering.
                let mut request = [0; 16 * 1024];
                let _ = socket.read(&mut request).await;
                const TOTAL: u64 = 1 << 30;
                let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {TOTAL}\r\n\r\n");
                if socket.write_all(head.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = vec![b'x'; 64 * 1024];
                let mut sent = 0;
                while sent < TOTAL {
                    if socket.write_all(&chunk).await.is_err() {
                        break;
                    }
                    sent += chunk.len() as u64;
                    counter.store(sent, Ordering::SeqCst);
                }
            });
        }
    });
    (address, written)
}
