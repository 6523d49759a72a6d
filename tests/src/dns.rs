//! A real DNS server for a test: Debian's `dnsmasq` (package `dnsmasq-base`, which
//! `make test` installs if missing) on a loopback port, answering the TXT records the
//! test publishes and nothing else. Publishing again restarts it on the same port with
//! the new records, as a zone change would; it stops when dropped.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Dns {
    pub port: u16,
    child: Option<Child>,
}

fn binary() -> &'static str {
    if std::path::Path::new("/usr/sbin/dnsmasq").exists() {
        "/usr/sbin/dnsmasq"
    } else {
        "dnsmasq"
    }
}

/// A port free for both UDP and TCP on loopback.
fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        let port = tcp.local_addr().expect("an address").port();
        if UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A TXT query for `name`, in DNS wire format (RFC 1035 section 4).
fn txt_query(name: &str) -> Vec<u8> {
    let mut query = vec![0x47, 0x48, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in name.split('.') {
        query.push(label.len() as u8);
        query.extend_from_slice(label.as_bytes());
    }
    query.extend_from_slice(&[0, 0, 16, 0, 1]);
    query
}

impl Dns {
    /// A server not yet started: its port is fixed, so a stack can be pointed at it.
    pub fn reserve() -> Self {
        Self {
            port: free_port(),
            child: None,
        }
    }

    /// `127.0.0.1:<port>`, for `DNS_NAMESERVERS`.
    pub fn address(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Serves exactly `records` (`(name, text)`, several texts per name allowed).
    pub fn publish(&mut self, records: &[(&str, &str)]) {
        self.stop();
        let mut command = Command::new(binary());
        command.args([
            "--keep-in-foreground",
            "--listen-address=127.0.0.1",
            "--bind-interfaces",
            "--no-resolv",
            "--no-hosts",
            "--conf-file=/dev/null",
            "--pid-file=",
            "--cache-size=0",
            // Authoritative for every name: what it does not hold is NXDOMAIN, as a
            // zone's own server answers (not REFUSED, as a forwarder without upstream).
            "--local=/#/",
        ]);
        command.arg(format!("--port={}", self.port));
        if running_as_root() {
            command.arg("--user=root");
        }
        for (name, text) in records {
            command.arg(format!("--txt-record={name},{text}"));
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dnsmasq runs (infra/scripts/ensure-tools.sh installs it)");
        self.child = Some(child);
        self.wait_ready();
    }

    fn wait_ready(&self) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("a socket");
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .expect("a timeout");
        let deadline = Instant::now() + Duration::from_secs(10);
        let query = txt_query("ready.test");
        while Instant::now() < deadline {
            let mut answer = [0u8; 512];
            if socket.send_to(&query, ("127.0.0.1", self.port)).is_ok()
                && socket.recv(&mut answer).is_ok()
            {
                return;
            }
        }
        panic!("dnsmasq did not answer on port {}", self.port);
    }

    /// Stops answering: lookups time out, as in a DNS outage.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Whether this process runs as root (dnsmasq then needs to be told to stay root,
/// rather than switch to a `nobody` user a container may lack).
fn running_as_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

impl Drop for Dns {
    fn drop(&mut self) {
        self.stop();
    }
}
