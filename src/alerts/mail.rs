//! Sending one alert message over SMTP (lettre), as the settings say: the server, its port,
//! STARTTLS, TLS or a plain connection, credentials, the sender. Every message carries
//! `List-Unsubscribe` with its leaving address and `List-Unsubscribe-Post` (RFC 8058), so
//! mail programs offer their own one-click "unsubscribe". An error says whether trying
//! again may help (the server unreachable, or a 4xx answer) or not (a 5xx answer, an
//! address the server refuses, no server set).

use std::time::Duration;

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::{Config, SmtpTls};

/// How long one conversation with the SMTP server may take.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("no SMTP server is set (AULA_SMTP_HOST): alerts cannot be sent")]
    NotConfigured,
    #[error("{0:?} is not an address mail can be sent to")]
    Address(String),
    #[error("cannot write the message: {0}")]
    Build(String),
    #[error("the SMTP server refused the message for good: {0}")]
    Refused(String),
    #[error("cannot send through the SMTP server now: {0}")]
    Unavailable(String),
}

impl MailError {
    /// Whether sending again later cannot help.
    pub fn is_permanent(&self) -> bool {
        !matches!(self, MailError::Unavailable(_))
    }
}

/// One message to one subscriber.
#[derive(Debug, Clone)]
pub struct Outgoing<'a> {
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    /// The subscription's leaving address.
    pub leave: &'a str,
}

/// The message as it goes on the wire.
fn message(config: &Config, mail: &Outgoing<'_>) -> Result<Message, MailError> {
    let from_text = config
        .mail_from
        .as_deref()
        .ok_or(MailError::NotConfigured)?;
    let from: Mailbox = from_text
        .parse()
        .map_err(|_| MailError::Address(from_text.to_string()))?;
    let to: Mailbox = mail
        .to
        .parse()
        .map_err(|_| MailError::Address(mail.to.to_string()))?;
    let header = |name: &'static str, value: String| {
        HeaderValue::new(HeaderName::new_from_ascii_str(name), value)
    };
    Message::builder()
        .from(from)
        .to(to)
        .subject(mail.subject)
        .header(ContentType::TEXT_PLAIN)
        .raw_header(header("List-Unsubscribe", format!("<{}>", mail.leave)))
        .raw_header(header(
            "List-Unsubscribe-Post",
            "List-Unsubscribe=One-Click".into(),
        ))
        .raw_header(header("Auto-Submitted", "auto-generated".into()))
        .body(mail.body.to_string())
        .map_err(|e| MailError::Build(e.to_string()))
}

/// Sends `mail` through the configured SMTP server.
pub async fn send(config: &Config, mail: &Outgoing<'_>) -> Result<(), MailError> {
    let host = config
        .smtp_host
        .as_deref()
        .ok_or(MailError::NotConfigured)?;
    let message = message(config, mail)?;
    let unavailable = |e: lettre::transport::smtp::Error| MailError::Unavailable(e.to_string());
    let mut builder = match config.smtp_tls {
        SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpTls::Starttls => {
            AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host).map_err(unavailable)?
        }
        SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host).map_err(unavailable)?,
    }
    .port(config.smtp_port)
    .timeout(Some(SMTP_TIMEOUT));
    if let (Some(user), Some(password)) = (&config.smtp_user, &config.smtp_password) {
        builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
    }
    match builder.build().send(message).await {
        Ok(_) => Ok(()),
        Err(e) if e.is_permanent() => Err(MailError::Refused(e.to_string())),
        Err(e) => Err(MailError::Unavailable(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_message_says_how_to_leave_in_its_headers() {
        let config = Config {
            mail_from: Some("Archivio <archivio@comune.example.it>".into()),
            ..Config::default()
        };
        let mail = Outgoing {
            to: "mario@example.it",
            subject: "Conferma il tuo avviso: «fornace»",
            body: "Per confermare…",
            leave: "https://video.example.it/avvisi/annulla/abc",
        };
        let text = String::from_utf8(message(&config, &mail).unwrap().formatted()).unwrap();
        assert!(
            text.contains("List-Unsubscribe: <https://video.example.it/avvisi/annulla/abc>\r\n")
        );
        assert!(text.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n"));
        assert!(text.contains("From: Archivio <archivio@comune.example.it>\r\n"));
        assert!(text.contains("Content-Type: text/plain; charset=utf-8\r\n"));
        let refused = message(
            &config,
            &Outgoing {
                to: "not an address",
                ..mail.clone()
            },
        );
        assert!(matches!(refused, Err(MailError::Address(_))));
        assert!(refused.unwrap_err().is_permanent());
        let unset = message(&Config::default(), &mail);
        assert!(matches!(unset, Err(MailError::NotConfigured)));
    }
}
