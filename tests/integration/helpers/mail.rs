//! A real SMTP server for the alert tests: aiosmtpd (PyPI, in .venv/ from the README's
//! test command) on 127.0.0.1, storing what it receives in a Maildir that the tests read
//! back with mail-parser.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::MANIFEST_DIR;

/// The running server; stopped when dropped.
pub struct SmtpServer {
    child: Child,
    maildir: PathBuf,
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One message as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Every header, as `Name: value` lines, for checks of their presence.
    pub headers: String,
}

impl Received {
    /// The first line of the body that starts with `prefix` (a link).
    pub fn link(&self, prefix: &str) -> String {
        self.body
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix}… in {}", self.body))
            .to_string()
    }
}

/// Starts aiosmtpd on `port`, its Maildir in `maildir`, and waits until it accepts.
pub fn smtp_server(port: u16, maildir: &Path) -> SmtpServer {
    // A Maildir: aiosmtpd writes into tmp/ and moves into new/.
    for sub in ["tmp", "new", "cur"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    let binary = Path::new(MANIFEST_DIR).join(".venv/bin/aiosmtpd");
    let child = Command::new(&binary)
        .args(["-n", "-l", &format!("127.0.0.1:{port}")])
        .args(["-c", "aiosmtpd.handlers.Mailbox"])
        .arg(maildir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{} must be installed (the README's test command installs it): {e}",
                binary.display()
            )
        });
    let server = SmtpServer {
        child,
        maildir: maildir.to_owned(),
    };
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "aiosmtpd did not start on {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

impl SmtpServer {
    /// Every message received so far, oldest first.
    pub fn received(&self) -> Vec<Received> {
        let mut files: Vec<(std::time::SystemTime, PathBuf)> = ["new", "cur"]
            .iter()
            .flat_map(|d| {
                std::fs::read_dir(self.maildir.join(d))
                    .into_iter()
                    .flatten()
                    .flatten()
            })
            .map(|e| (e.metadata().and_then(|m| m.modified()).unwrap(), e.path()))
            .collect();
        files.sort();
        files
            .into_iter()
            .map(|(_, path)| {
                let raw = std::fs::read(&path).unwrap();
                let parsed = mail_parser::MessageParser::default()
                    .parse(&raw)
                    .unwrap_or_else(|| panic!("unreadable message {}", path.display()));
                let head_end = raw
                    .windows(4)
                    .position(|w| w == b"\r\n\r\n" || w.starts_with(b"\n\n"))
                    .unwrap_or(raw.len());
                Received {
                    to: parsed
                        .to()
                        .and_then(|a| a.first())
                        .and_then(|a| a.address())
                        .unwrap_or_default()
                        .to_string(),
                    subject: parsed.subject().unwrap_or_default().to_string(),
                    body: parsed.body_text(0).unwrap_or_default().into_owned(),
                    headers: String::from_utf8_lossy(&raw[..head_end]).into_owned(),
                }
            })
            .collect()
    }
}
