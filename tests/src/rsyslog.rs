//! A real syslog receiver for a test: Debian's `rsyslog` (with `rsyslog-openssl`, which
//! `make test` installs if missing) on loopback, listening on TCP and TLS (`imtcp`,
//! octet counting) and UDP (`imudp`), parsing structured data with `mmpstrucdata`
//! and writing every message it received as one JSON line (`jsonmesg`) to a file
//! the test reads back. `stop` and `start` take it down and up on the same ports, for
//! outages mid-run. Stopped and removed when dropped.

use crate::harness::{binary, free_port, test_certificates};
use serde_json::Value;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Rsyslog {
    dir: PathBuf,
    child: Option<Child>,
    pub tcp_port: u16,
    pub tls_port: u16,
    pub udp_port: u16,
    /// The CA that signed the TLS listener's certificate (PEM).
    pub ca_pem: String,
}

impl Rsyslog {
    pub fn start() -> Self {
        let (tcp_port, tls_port) = (free_port(), free_port());
        let udp_port = std::net::UdpSocket::bind("127.0.0.1:0")
            .and_then(|s| s.local_addr())
            .expect("a free UDP port")
            .port();
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-rsyslog-{tcp_port}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("a directory");
        test_certificates(&dir);
        let d = dir.display();
        let config = format!(
            r#"global(workDirectory="{d}" maxMessageSize="64k"
  DefaultNetstreamDriverCAFile="{d}/ca.pem"
  DefaultNetstreamDriverCertFile="{d}/server.pem"
  DefaultNetstreamDriverKeyFile="{d}/server.key")
module(load="imtcp")
module(load="imudp")
module(load="mmpstrucdata")
template(name="received" type="list") {{ property(name="jsonmesg") constant(value="\n") }}
ruleset(name="siem") {{
  action(type="mmpstrucdata" sd_name.lowercase="off")
  action(type="omfile" file="{d}/received.jsonl" template="received" flushOnTXEnd="on" asyncWriting="off")
}}
input(type="imtcp" port="{tcp_port}" address="127.0.0.1" ruleset="siem")
input(type="imtcp" port="{tls_port}" address="127.0.0.1" ruleset="siem"
  streamDriver.name="ossl" streamDriver.mode="1" streamDriver.authMode="anon")
input(type="imudp" port="{udp_port}" address="127.0.0.1" ruleset="siem")
"#
        );
        std::fs::write(dir.join("rsyslog.conf"), config).expect("rsyslog.conf");
        let mut server = Self {
            ca_pem: std::fs::read_to_string(dir.join("ca.pem")).expect("the CA"),
            dir,
            child: None,
            tcp_port,
            tls_port,
            udp_port,
        };
        server.up();
        server
    }

    fn up(&mut self) {
        let child = Command::new(binary("rsyslogd"))
            .arg("-n")
            .arg("-f")
            .arg(self.dir.join("rsyslog.conf"))
            .arg("-i")
            .arg(self.dir.join("rsyslogd.pid"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("rsyslogd runs (infra/scripts/ensure-tools.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        for port in [self.tcp_port, self.tls_port] {
            while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
                assert!(Instant::now() < deadline, "rsyslogd did not start");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Kills the server: connections are refused until [`Rsyslog::restart`].
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("rsyslogd.pid"));
    }

    pub fn restart(&mut self) {
        self.stop();
        self.up();
    }

    /// Every message received so far, as rsyslog parsed it.
    pub fn received(&self) -> Vec<Value> {
        std::fs::read_to_string(self.dir.join("received.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|line| serde_json::from_str(line).expect("a jsonmesg line"))
            .collect()
    }

    /// Waits until at least `count` messages arrived (or panics after 10 s).
    pub fn wait_for(&self, count: usize) -> Vec<Value> {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let received = self.received();
            if received.len() >= count {
                return received;
            }
            assert!(
                Instant::now() < deadline,
                "rsyslog received {} of {count} messages",
                received.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A message text as rsyslog stores it: control characters received are written as
/// `#` and three octal digits (`escapeControlCharactersOnReceive`); this undoes it.
pub fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find('#') {
        out.push_str(&rest[..at]);
        let code = rest.get(at + 1..at + 4);
        match code.and_then(|c| u8::from_str_radix(c, 8).ok()) {
            Some(byte)
                if code.is_some_and(|c| c.bytes().all(|b| b.is_ascii_digit())) && byte < 0x20 =>
            {
                out.push(char::from(byte));
                rest = &rest[at + 4..];
            }
            _ => {
                out.push('#');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

impl Drop for Rsyslog {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
