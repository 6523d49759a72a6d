//! A scripted webhook receiver on loopback, and the official Standard Webhooks
//! verifier, for the webhook tests.

use crate::workspace_root;
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What a receiver does with each request, in order; the last repeats.
#[derive(Clone, Copy, Debug)]
pub enum Reply {
    Status(u16),
    /// 503 with `Retry-After: 1`.
    RetryAfter,
    /// Closes the connection without answering.
    Drop,
    /// Answers 200, but only after this long (longer than the delivery timeout).
    Hang(Duration),
}

#[derive(Debug, Clone)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_default()
    }
}

pub struct Receiver {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Received>>>,
}

pub async fn receiver(script: Vec<Reply>) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let script = Arc::new(Mutex::new(VecDeque::from(script)));
    let log = Arc::clone(&received);
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let (log, script) = (Arc::clone(&log), Arc::clone(&script));
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 8192];
                // Read the head, then the body by Content-Length.
                let (head_end, length) = loop {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        return;
                    }
                    data.extend_from_slice(&buf[..n]);
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = String::from_utf8_lossy(&data[..end]).to_string();
                        let length = head
                            .lines()
                            .find_map(|l| {
                                let (k, v) = l.split_once(':')?;
                                k.eq_ignore_ascii_case("content-length")
                                    .then(|| v.trim().parse().ok())?
                            })
                            .unwrap_or(0usize);
                        break (end + 4, length);
                    }
                };
                while data.len() < head_end + length {
                    let Ok(n) = socket.read(&mut buf).await else {
                        return;
                    };
                    if n == 0 {
                        break;
                    }
                    data.extend_from_slice(&buf[..n]);
                }
                let head = String::from_utf8_lossy(&data[..head_end]).to_string();
                let headers = head
                    .lines()
                    .skip(1)
                    .filter_map(|l| l.split_once(':'))
                    .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
                    .collect();
                let body = String::from_utf8_lossy(&data[head_end..]).to_string();
                log.lock().unwrap().push(Received { headers, body });
                let reply = {
                    let mut script = script.lock().unwrap();
                    if script.len() > 1 {
                        script.pop_front().unwrap()
                    } else {
                        *script.front().unwrap()
                    }
                };
                if let Reply::Hang(delay) = reply {
                    tokio::time::sleep(delay).await;
                }
                let answer = match reply {
                    Reply::Drop => return,
                    Reply::Hang(_) => "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                    Reply::Status(code) => format!("HTTP/1.1 {code} X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"),
                    Reply::RetryAfter => "HTTP/1.1 503 X\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".to_owned(),
                };
                let _ = socket.write_all(answer.as_bytes()).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    Receiver { port, received }
}

/// Checks a received request with the official `standardwebhooks` library.
pub fn official_verify(secret: &str, received: &Received) -> Result<(), String> {
    let script = r#"
import sys
from standardwebhooks.webhooks import Webhook
secret, msg_id, ts, sig = sys.argv[1:5]
Webhook(secret).verify(sys.stdin.buffer.read(), {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig})
"#;
    let mut child = std::process::Command::new(workspace_root().join(".venv/bin/python"))
        .args([
            "-c",
            script,
            secret,
            received.header("webhook-id"),
            received.header("webhook-timestamp"),
            received.header("webhook-signature"),
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(received.body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// Registers an endpoint; returns (webhook id, secret).
pub async fn register(
    stack: &crate::TestStack,
    admin: &str,
    receiver: &Receiver,
    types: serde_json::Value,
) -> (String, String) {
    let created = stack
        .send(
            "POST",
            "/v2/webhooks",
            admin,
            Some(serde_json::json!({"url": format!("http://127.0.0.1:{}/hooks", receiver.port), "event_types": types})),
        )
        .await;
    created.assert_status(201);
    let body = created.json();
    (
        body["webhook_id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}
