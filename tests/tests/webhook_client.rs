//! The outbound webhook client against real local receivers: allow-listed delivery,
//! capped response reads, no redirects, timeouts, dropped connections, and refusal of
//! internal destinations by URL and at connect time.

use bytes::Bytes;
use gatehouse::webhooks::client::{ErrorClass, OutboundClient, RESPONSE_EXCERPT};
use gatehouse::webhooks::ssrf::AllowList;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A receiver answering every connection with `reply` after `delay` (raw HTTP/1.1).
async fn receiver(reply: &'static [u8], delay: Duration) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = socket.read(&mut buf).await;
                tokio::time::sleep(delay).await;
                let _ = socket.write_all(reply).await;
                let _ = socket.shutdown().await;
            });
        }
    });
    port
}

fn client(port: u16, timeout: Duration) -> OutboundClient {
    OutboundClient::new(AllowList::parse(&format!("127.0.0.1:{port}")), timeout).unwrap()
}

#[tokio::test]
async fn an_allow_listed_receiver_gets_the_post_and_its_answer_is_kept_short() {
    let big: &'static [u8] = Box::leak(
        format!(
            "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 120\r\nContent-Length: 100000\r\n\r\n{}",
            "x".repeat(100_000)
        )
        .into_bytes()
        .into_boxed_slice(),
    );
    let port = receiver(big, Duration::ZERO).await;
    let outcome = client(port, Duration::from_secs(5))
        .post(
            &format!("http://127.0.0.1:{port}/hook"),
            &[("webhook-id", "msg_1".to_owned())],
            Bytes::from_static(b"{}"),
        )
        .await;
    assert_eq!(outcome.status, Some(503), "{outcome:?}");
    assert_eq!(outcome.retry_after.as_deref(), Some("120"));
    assert_eq!(outcome.response_excerpt.len(), RESPONSE_EXCERPT);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let port = receiver(
        b"HTTP/1.1 302 Found\r\nLocation: http://169.254.169.254/latest/meta-data/\r\nContent-Length: 0\r\n\r\n",
        Duration::ZERO,
    )
    .await;
    let outcome = client(port, Duration::from_secs(5))
        .post(&format!("http://127.0.0.1:{port}/"), &[], Bytes::new())
        .await;
    assert_eq!(outcome.status, Some(302));
    assert_eq!(outcome.error, None);
}

#[tokio::test]
async fn slow_and_broken_receivers_are_classified() {
    let slow = receiver(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        Duration::from_secs(3),
    )
    .await;
    let outcome = client(slow, Duration::from_millis(500))
        .post(&format!("http://127.0.0.1:{slow}/"), &[], Bytes::new())
        .await;
    assert_eq!(outcome.error, Some(ErrorClass::Timeout), "{outcome:?}");
    assert!(outcome.latency < Duration::from_secs(2));

    let rude = receiver(b"", Duration::ZERO).await;
    let outcome = client(rude, Duration::from_secs(5))
        .post(&format!("http://127.0.0.1:{rude}/"), &[], Bytes::new())
        .await;
    assert_eq!(outcome.status, None, "{outcome:?}");
    assert!(
        matches!(outcome.error, Some(ErrorClass::Connect | ErrorClass::Other)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn internal_destinations_are_refused_before_any_connection() {
    let port = receiver(
        b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
        Duration::ZERO,
    )
    .await;
    let closed = OutboundClient::new(AllowList::default(), Duration::from_secs(5)).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("https://localhost:{port}/"),
        "https://169.254.169.254/latest/meta-data/".to_owned(),
        "https://[::ffff:127.0.0.1]/".to_owned(),
    ] {
        let outcome = closed.post(&url, &[], Bytes::new()).await;
        assert_eq!(
            outcome.error,
            Some(ErrorClass::Refused),
            "{url}: {outcome:?}"
        );
        assert_eq!(outcome.status, None);
    }
}

#[tokio::test]
async fn the_resolver_refuses_names_that_resolve_inside() {
    use reqwest::dns::Resolve;
    // `localhost` resolves to loopback: what a rebinding name would do after
    // registration. The URL check refuses the name too; this is the second line.
    let resolver = gatehouse::webhooks::client::guarded_resolver(AllowList::default());
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    assert!(resolver.resolve(name).await.is_err());
    let allowed = gatehouse::webhooks::client::guarded_resolver(AllowList::parse("localhost:9000"));
    let name: reqwest::dns::Name = "localhost".parse().unwrap();
    assert!(allowed.resolve(name).await.is_ok());
}
