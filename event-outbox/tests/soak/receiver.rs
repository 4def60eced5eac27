//! Receivers for the soak test: real HTTP servers on 127.0.0.1 sharing one idempotency
//! log keyed by `webhook-id`. Each request's answer is drawn from a seeded hash of its
//! `webhook-id` and of how many requests that id got before, so a run with the same seed
//! answers the same way whatever the timing.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, Response};
use tokio::net::TcpListener;

/// How the receiver answers one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Answer {
    /// 200 `ok` (60%).
    Ok,
    /// 500 (10%).
    ServerError,
    /// 429 with `Retry-After: 1` (10%).
    Throttled,
    /// 200, but only after the slow delay, longer than the worker's send bound (10%);
    /// the message is accepted then even if the sender hung up.
    Slow,
    /// 200 with a body holding NUL bytes (about 3%).
    NulBody,
    /// 200 with a body that is not UTF-8 (about 3%).
    InvalidUtf8Body,
    /// 200 with a 1 MiB body of every byte value (about 3%).
    LargeBody,
}

impl Answer {
    /// The answer to the `nth` request (0 for the first) of `id`.
    fn draw(seed: u64, id: &str, nth: usize) -> Answer {
        match roll(seed, id, nth) % 100 {
            0..60 => Answer::Ok,
            60..70 => Answer::ServerError,
            70..80 => Answer::Throttled,
            80..90 => Answer::Slow,
            90..93 => Answer::NulBody,
            93..96 => Answer::InvalidUtf8Body,
            _ => Answer::LargeBody,
        }
    }

    /// A 2xx given at once, well within the worker's send bound (so within the lease):
    /// the worker sees it, and must never send that delivery again.
    pub(crate) fn is_timely_2xx(self) -> bool {
        !matches!(self, Answer::ServerError | Answer::Throttled | Answer::Slow)
    }
}

/// A deterministic 64-bit draw from the seed, the id and the request's rank (FNV-1a,
/// then the SplitMix64 finalizer to spread the bits).
fn roll(seed: u64, id: &str, nth: usize) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325_u64 ^ seed;
    for byte in id.bytes().chain((nth as u64).to_le_bytes()) {
        hash = (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3);
    }
    hash = (hash ^ (hash >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    hash = (hash ^ (hash >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    hash ^ (hash >> 31)
}

/// One request in the log.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub answer: Answer,
    pub received: Instant,
    /// When the answer was given (the message accepted); `None` while a slow answer
    /// waits.
    pub answered: Option<Instant>,
}

/// The log: every request, by `webhook-id`, in arrival order.
pub(crate) type Log = HashMap<String, Vec<Request>>;

struct Shared {
    seed: u64,
    slow: Duration,
    large: Bytes,
    log: Mutex<Log>,
}

impl Shared {
    /// Logs a request's arrival and draws its answer; its rank among the id's requests.
    fn arrived(&self, id: &str) -> (Answer, usize) {
        let mut log = self.log.lock().expect("not poisoned");
        let requests = log.entry(id.to_owned()).or_default();
        let answer = Answer::draw(self.seed, id, requests.len());
        let now = Instant::now();
        let answered = (answer != Answer::Slow).then_some(now);
        requests.push(Request {
            answer,
            received: now,
            answered,
        });
        (answer, requests.len() - 1)
    }

    fn answered_late(&self, id: &str, rank: usize) {
        let mut log = self.log.lock().expect("not poisoned");
        if let Some(request) = log.get_mut(id).and_then(|r| r.get_mut(rank)) {
            request.answered = Some(Instant::now());
        }
    }
}

/// Several servers on 127.0.0.1 sharing one log; they serve until the runtime ends.
pub(crate) struct Receivers {
    addresses: Vec<SocketAddr>,
    shared: Arc<Shared>,
}

impl Receivers {
    /// `count` servers answering by `seed`, the slow answers after `slow`.
    pub(crate) async fn start(count: usize, seed: u64, slow: Duration) -> Receivers {
        let large: Vec<u8> = (0..=255u8).cycle().take(1 << 20).collect();
        let shared = Arc::new(Shared {
            seed,
            slow,
            large: Bytes::from(large),
            log: Mutex::new(HashMap::new()),
        });
        let mut addresses = Vec::with_capacity(count);
        for _ in 0..count {
            addresses.push(serve(Arc::clone(&shared)).await);
        }
        Receivers { addresses, shared }
    }

    /// `http://127.0.0.1:<port of server n><path>`.
    pub(crate) fn url(&self, n: usize, path: &str) -> String {
        format!("http://{}{path}", self.addresses[n % self.addresses.len()])
    }

    /// How many distinct `webhook-id`s arrived.
    pub(crate) fn distinct(&self) -> usize {
        self.shared.log.lock().expect("not poisoned").len()
    }

    /// A copy of the log.
    pub(crate) fn log(&self) -> Log {
        self.shared.log.lock().expect("not poisoned").clone()
    }
}

async fn serve(shared: Arc<Shared>) -> SocketAddr {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .expect("bind a local port");
    let address = listener.local_addr().expect("an address");
    let app = Router::new().fallback(answer).with_state(shared);
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

async fn answer(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    _body: Bytes,
) -> Response<Body> {
    let id = headers
        .get("webhook-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (answer, rank) = shared.arrived(&id);
    let response = Response::builder();
    let response = match answer {
        Answer::Ok => response.status(200).body(Body::from("ok")),
        Answer::ServerError => response.status(500).body(Body::from("server error")),
        Answer::Throttled => response
            .status(429)
            .header("retry-after", "1")
            .body(Body::from("slow down")),
        Answer::Slow => {
            // The receiver accepts the message even when the sender hangs up first, as a
            // real one that processes before answering would: an at-least-once duplicate
            // when the outbox sends it again.
            let accepting = Arc::clone(&shared);
            let accepted = tokio::spawn(async move {
                tokio::time::sleep(accepting.slow).await;
                accepting.answered_late(&id, rank);
            });
            let _ = accepted.await;
            response.status(200).body(Body::from("late ok"))
        }
        Answer::NulBody => response.status(200).body(Body::from(&b"ok\0\0nul\0"[..])),
        Answer::InvalidUtf8Body => response
            .status(200)
            .body(Body::from(&[b'o', b'k', 0xff, 0xfe, 0xc3, 0x28, 0][..])),
        Answer::LargeBody => response.status(200).body(Body::from(shared.large.clone())),
    };
    response.expect("a response")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_draw_is_deterministic_and_near_the_mix() {
        let ids: Vec<String> = (0..10_000).map(|n| format!("id-{n}")).collect();
        let mut counts: HashMap<Answer, usize> = HashMap::new();
        for id in &ids {
            assert_eq!(Answer::draw(7, id, 0), Answer::draw(7, id, 0));
            *counts.entry(Answer::draw(7, id, 0)).or_default() += 1;
        }
        let ok = counts[&Answer::Ok];
        assert!((5_600..6_400).contains(&ok), "{counts:?}");
        assert!((800..1_200).contains(&counts[&Answer::Slow]), "{counts:?}");
    }
}
