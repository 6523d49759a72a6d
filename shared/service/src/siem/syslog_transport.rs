//! Syslog transports: UDP (RFC 5426, one message per datagram), TCP (RFC 6587) and
//! TLS (RFC 5425), both with octet-counting framing. The `syslog` crates frame by
//! newline only, which a message with a newline in it would break.
//!
//! TCP and TLS acknowledge nothing at the application level, so a batch is one
//! connection: the messages are written, the sending side is closed, and the batch
//! counts as delivered only when the receiver closes its side in turn (it has then
//! read everything before our close). A receiver that dies mid-batch resets the
//! connection instead, the batch fails and is sent again: at least once. UDP has no
//! such signal and is best effort.

use crate::outbound::checked_addresses;
use crate::tls::{ClientIdentity, client_config};
use gatehouse_domain::siem::syslog::octet_counted;
use gatehouse_domain::webhooks::ssrf::AllowList;
use rustls_pki_types::ServerName;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Protocol {
    Udp,
    Tcp,
    Tls,
}

/// Where and how to send.
pub struct Target<'a> {
    pub host: &'a str,
    pub port: u16,
    pub protocol: Protocol,
    /// The CA to trust for TLS (PEM); `None`: the system's roots.
    pub ca_pem: Option<&'a str>,
    /// A client certificate for mTLS.
    pub identity: Option<ClientIdentity<'a>>,
    pub timeout: Duration,
}

/// Why a batch was not delivered: every one of these is worth retrying.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{step}: {detail}")]
pub struct SendError {
    /// `DNS`, `address`, `connect`, `TLS`, `write`, `close`.
    pub step: &'static str,
    pub detail: String,
}

impl SendError {
    /// Refused by the address check: retrying will not help until the destination
    /// changes.
    pub fn is_refused(&self) -> bool {
        self.step == "address"
    }
}

fn failed(step: &'static str, detail: impl std::fmt::Display) -> SendError {
    SendError {
        step,
        detail: detail.to_string(),
    }
}

/// Sends `messages` (RFC 5424 texts) as one batch; how long it took.
pub async fn send_batch(
    target: &Target<'_>,
    allow: &AllowList,
    messages: &[String],
) -> Result<Duration, SendError> {
    let started = Instant::now();
    let addresses = checked_addresses(target.host, target.port, allow, target.timeout)
        .await
        .map_err(|(step, e)| failed(if step == "DNS" { "DNS" } else { "address" }, e))?;
    let within = |step: &'static str| move |_| failed(step, "timed out");
    match target.protocol {
        Protocol::Udp => {
            let local = if addresses[0].is_ipv4() {
                "0.0.0.0:0"
            } else {
                "[::]:0"
            };
            let socket = UdpSocket::bind(local)
                .await
                .map_err(|e| failed("connect", e))?;
            socket
                .connect(addresses[0])
                .await
                .map_err(|e| failed("connect", e))?;
            for message in messages {
                tokio::time::timeout(target.timeout, socket.send(message.as_bytes()))
                    .await
                    .map_err(within("write"))?
                    .map_err(|e| failed("write", e))?;
            }
        }
        Protocol::Tcp | Protocol::Tls => {
            let tcp = tokio::time::timeout(target.timeout, TcpStream::connect(&addresses[..]))
                .await
                .map_err(within("connect"))?
                .map_err(|e| failed("connect", e))?;
            tcp.set_nodelay(true).ok();
            if target.protocol == Protocol::Tcp {
                write_and_close(tcp, messages, target.timeout).await?;
            } else {
                let config =
                    client_config("ca_certificate", target.ca_pem, target.identity.as_ref())
                        .map_err(|e| failed("TLS", e))?;
                let name =
                    ServerName::try_from(target.host.to_owned()).map_err(|e| failed("TLS", e))?;
                let tls = tokio::time::timeout(
                    target.timeout,
                    tokio_rustls::TlsConnector::from(config).connect(name, tcp),
                )
                .await
                .map_err(within("TLS"))?
                .map_err(|e| failed("TLS", e))?;
                write_and_close(tls, messages, target.timeout).await?;
            }
        }
    }
    Ok(started.elapsed())
}

/// Writes the framed messages, closes our side and waits for the receiver to close
/// its own (anything it sends meanwhile is read and dropped).
async fn write_and_close<S: AsyncRead + AsyncWrite + Unpin>(
    mut stream: S,
    messages: &[String],
    timeout: Duration,
) -> Result<(), SendError> {
    let mut buffer = Vec::new();
    for message in messages {
        buffer.extend_from_slice(&octet_counted(message));
    }
    tokio::time::timeout(timeout, stream.write_all(&buffer))
        .await
        .map_err(|_| failed("write", "timed out"))?
        .map_err(|e| failed("write", e))?;
    tokio::time::timeout(timeout, stream.shutdown())
        .await
        .map_err(|_| failed("close", "timed out"))?
        .map_err(|e| failed("close", e))?;
    let mut sink = [0u8; 512];
    loop {
        match tokio::time::timeout(timeout, stream.read(&mut sink)).await {
            Err(_) => return Err(failed("close", "the receiver did not close the connection")),
            Ok(Ok(0)) => return Ok(()),
            Ok(Ok(_)) => continue,
            // A TLS receiver may close without close_notify after our close: it read
            // everything by then.
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(()),
            Ok(Err(e)) => return Err(failed("close", e)),
        }
    }
}
