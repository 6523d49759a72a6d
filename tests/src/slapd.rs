//! A real LDAP directory for a test: Debian's `slapd` (packages `slapd` and
//! `ldap-utils`, which `make test` installs if missing), with TLS from a CA the harness
//! generates with `openssl`, LDAPS and StartTLS listeners on loopback, the memberof
//! overlay, and entries loaded with `ldapadd` over the unix socket (so the overlay
//! maintains `memberOf`). Stopped and removed when dropped; `pause` and `resume` send
//! SIGSTOP and SIGCONT, for a directory that stops answering mid-login.

use crate::harness::{binary, free_port, run, test_certificates as certificates};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub const SUFFIX: &str = "dc=acme,dc=example";
pub const ROOT_DN: &str = "cn=admin,dc=acme,dc=example";
pub const ROOT_PASSWORD: &str = "root-secret";
/// The service account Gatehouse searches with.
pub const SERVICE_DN: &str = "cn=gatehouse,ou=services,dc=acme,dc=example";
pub const SERVICE_PASSWORD: &str = "service-secret";

pub struct Slapd {
    dir: PathBuf,
    child: std::process::Child,
    pid: u32,
    /// LDAPS.
    pub ldaps_port: u16,
    /// Plain LDAP, for StartTLS.
    pub ldap_port: u16,
    /// The CA that signed the server's certificate (PEM).
    pub ca_pem: String,
    /// The local socket, where the root account administers the directory.
    ldapi: String,
}

/// The directory's entries: people, two of them sharing a `cn` (for an ambiguous
/// search), groups, and the service account.
fn entries() -> String {
    format!(
        "dn: {SUFFIX}
objectClass: dcObject
objectClass: organization
o: Acme
dc: acme

dn: ou=people,{SUFFIX}
objectClass: organizationalUnit
ou: people

dn: ou=groups,{SUFFIX}
objectClass: organizationalUnit
ou: groups

dn: ou=services,{SUFFIX}
objectClass: organizationalUnit
ou: services

dn: {SERVICE_DN}
objectClass: person
objectClass: simpleSecurityObject
cn: gatehouse
sn: service
userPassword: {SERVICE_PASSWORD}

dn: uid=alice,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: alice
cn: Alice Archer
sn: Archer
mail: Alice@acme.example
userPassword: alice-password

dn: uid=bob,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: bob
cn: Bob Baker
sn: Baker
mail: bob@acme.example
userPassword: bob-password

dn: uid=twin1,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: twin1
cn: Twin
sn: One
mail: twin1@acme.example
userPassword: twin-password

dn: uid=twin2,ou=people,{SUFFIX}
objectClass: inetOrgPerson
uid: twin2
cn: Twin
sn: Two
mail: twin2@acme.example
userPassword: twin-password

dn: cn=gatehouse-admins,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: gatehouse-admins
member: uid=alice,ou=people,{SUFFIX}

dn: cn=staff,ou=groups,{SUFFIX}
objectClass: groupOfNames
cn: staff
member: uid=alice,ou=people,{SUFFIX}
member: uid=bob,ou=people,{SUFFIX}
"
    )
}

impl Slapd {
    pub fn start() -> Self {
        let ldaps_port = free_port();
        let ldap_port = free_port();
        let dir = std::env::temp_dir().join(format!(
            "gatehouse-slapd-{ldaps_port}-{}",
            std::process::id()
        ));
        std::fs::create_dir_all(dir.join("db")).expect("a directory");
        certificates(&dir);
        let d = dir.display();
        let config = format!(
            "include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
modulepath /usr/lib/ldap
moduleload back_mdb
moduleload memberof
pidfile {d}/slapd.pid
TLSCACertificateFile {d}/ca.pem
TLSCertificateFile {d}/server.pem
TLSCertificateKeyFile {d}/server.key
# The service account reads; people may bind; nobody else reads anything.
access to attrs=userPassword
  by anonymous auth
  by * none
access to *
  by dn.exact=\"{SERVICE_DN}\" read
  by self read
  by * none
database mdb
suffix \"{SUFFIX}\"
rootdn \"{ROOT_DN}\"
rootpw {ROOT_PASSWORD}
directory {d}/db
overlay memberof
"
        );
        std::fs::write(dir.join("slapd.conf"), config).expect("slapd.conf");
        let socket = dir.join("ldapi");
        let ldapi = format!(
            "ldapi://{}",
            socket.display().to_string().replace('/', "%2F")
        );
        let urls = format!("ldaps://127.0.0.1:{ldaps_port}/ ldap://127.0.0.1:{ldap_port}/ {ldapi}");
        let mut slapd = Command::new(binary("slapd"));
        slapd
            .arg("-f")
            .arg(dir.join("slapd.conf"))
            .args(["-h", &urls, "-d", "0"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = slapd
            .spawn()
            .expect("slapd runs (infra/scripts/ensure-tools.sh installs it)");
        let pid = child.id();
        let server = Self {
            dir: dir.clone(),
            child,
            pid,
            ldaps_port,
            ldap_port,
            ca_pem: std::fs::read_to_string(dir.join("ca.pem")).expect("the CA"),
            ldapi: ldapi.clone(),
        };
        // Ready when it accepts on the socket; then the entries.
        let deadline = Instant::now() + Duration::from_secs(20);
        while !socket.exists() {
            assert!(Instant::now() < deadline, "slapd did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        std::fs::write(dir.join("entries.ldif"), entries()).expect("entries");
        loop {
            let out = Command::new(binary("ldapadd"))
                .args(["-x", "-H", &ldapi, "-D", ROOT_DN, "-w", ROOT_PASSWORD, "-f"])
                .arg(dir.join("entries.ldif"))
                .output()
                .expect("ldapadd runs");
            if out.status.success() {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "ldapadd: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    fn signal(&self, signal: &str) {
        run(
            Command::new("kill").args([signal, &self.pid.to_string()]),
            "kill",
        );
    }

    /// Changes the directory as its administrator would (`ldapmodify` with an LDIF).
    pub fn modify(&self, ldif: &str) {
        let file = self.dir.join("change.ldif");
        std::fs::write(&file, ldif).expect("the change");
        let out = Command::new(binary("ldapmodify"))
            .args([
                "-x",
                "-H",
                &self.ldapi,
                "-D",
                ROOT_DN,
                "-w",
                ROOT_PASSWORD,
                "-f",
            ])
            .arg(&file)
            .output()
            .expect("ldapmodify runs");
        assert!(
            out.status.success(),
            "ldapmodify: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Stops the server answering (SIGSTOP): connections hang, as behind a dead link.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    pub fn resume(&self) {
        self.signal("-CONT");
    }
}

impl Drop for Slapd {
    fn drop(&mut self) {
        self.resume();
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
