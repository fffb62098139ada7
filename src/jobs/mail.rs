//! The `mail` job: sends one alert message (a confirmation or a digest) stored by the
//! catalog, then forgets it. A message whose subscriber left meanwhile is gone and the job
//! ends with nothing sent; an SMTP server that cannot be reached now is tried again with
//! the queue's backoff; one that refuses the message for good fails the job.

use crate::alerts::mail::{self, Outgoing};
use crate::alerts::messages::Links;
use crate::archive::Archive;
use crate::catalog::JobRow;

use super::JobError;

/// What a mail job did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailed {
    /// False when the message was gone (its subscriber left before it went).
    pub sent: bool,
}

/// Sends the message the job's payload names (`{"message": id}`).
pub async fn run(archive: &Archive, job: &JobRow) -> Result<Mailed, JobError> {
    let message_id = serde_json::from_str::<serde_json::Value>(&job.payload)
        .ok()
        .and_then(|p| p["message"].as_i64())
        .ok_or_else(|| JobError::Unsalvageable(format!("mail job {} names no message", job.id)))?;
    let Some(message) = archive.catalog.mail_to_send(message_id).await? else {
        return Ok(Mailed { sent: false });
    };
    let leave = Links::new(&message.origin, &message.token).leave;
    mail::send(
        &archive.config,
        &Outgoing {
            to: &message.email,
            subject: &message.subject,
            body: &message.body,
            leave: &leave,
        },
    )
    .await?;
    archive.catalog.mail_sent(message_id).await?;
    tracing::info!(job = job.id, message = message_id, "alert message sent");
    Ok(Mailed { sent: true })
}
