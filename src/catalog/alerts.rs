//! The catalog's side of e-mail alerts: subscriptions (unconfirmed until their link is
//! followed), which matches each has been told about, and the messages waiting for their
//! `mail` job. Every message and its job are written in the transaction that decides to
//! send it, and the matches it lists are marked there too, so a match is never in two
//! messages however many servers compose digests. Leaving deletes the subscription and,
//! through the foreign keys, everything that hangs on it.

use sqlx::AnyConnection;

use super::{now, Catalog, Result};
use crate::domain::{Frequency, JobKind};

/// Unconfirmed subscriptions one address may have at once: past it, no more
/// confirmation mail goes to it (a form cannot be used to flood someone's inbox).
pub const MAX_UNCONFIRMED: i64 = 5;

/// A subscription as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub email: String,
    /// What it follows, as JSON (see `crate::alerts::Follows`).
    pub follows: String,
    /// What its messages call it: the words searched, or the body's name.
    pub label: String,
    pub frequency: Frequency,
    /// The language its messages are written in (`it`, `en`).
    pub lang: String,
    /// The archive's address the subscriber used, for the links of its messages.
    pub origin: String,
    pub token: String,
    pub confirmed_at: Option<i64>,
    pub next_digest_at: Option<i64>,
}

/// What is asked to be followed.
#[derive(Debug, Clone)]
pub struct NewSubscription<'a> {
    pub email: &'a str,
    pub follows: &'a str,
    pub label: &'a str,
    pub frequency: Frequency,
    pub lang: &'a str,
    pub origin: &'a str,
    pub token: &'a str,
}

/// A message to write, for one subscription.
#[derive(Debug, Clone)]
pub struct NewMail<'a> {
    pub subject: &'a str,
    pub body: &'a str,
}

/// What came of a subscription request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subscribed {
    /// A confirmation message is queued (its `mail` job).
    Queued { job_id: i64 },
    /// The address already waits to confirm the same thing, or has too many unconfirmed
    /// subscriptions: nothing more is sent.
    NotSent,
}

/// A message ready for its `mail` job.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OutgoingMail {
    pub email: String,
    pub subject: String,
    pub body: String,
    pub token: String,
    pub origin: String,
}

const COLUMNS: &str = "id, email, follows, label, frequency, lang, origin, token, \
                       confirmed_at, next_digest_at";

impl Catalog {
    /// Records an unconfirmed subscription and queues its confirmation message, made by
    /// `mail` from the subscription's token, in one transaction.
    pub async fn subscribe(
        &self,
        new: &NewSubscription<'_>,
        mail: &NewMail<'_>,
    ) -> Result<Subscribed> {
        let mut tx = self.write().await?;
        let waiting: Vec<String> = sqlx::query_scalar(
            "SELECT follows FROM alert_subscriptions WHERE email = $1 AND confirmed_at IS NULL",
        )
        .bind(new.email)
        .fetch_all(&mut *tx)
        .await?;
        if waiting.len() as i64 >= MAX_UNCONFIRMED || waiting.iter().any(|f| f == new.follows) {
            return Ok(Subscribed::NotSent);
        }
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO alert_subscriptions (email, follows, label, frequency, lang, origin, \
             token, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        )
        .bind(new.email)
        .bind(new.follows)
        .bind(new.label)
        .bind(new.frequency)
        .bind(new.lang)
        .bind(new.origin)
        .bind(new.token)
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        let job_id = queue_mail(&mut tx, id, mail).await?;
        tx.commit().await?;
        Ok(Subscribed::Queued { job_id })
    }

    /// The subscription whose links carry `token`.
    pub async fn subscription(&self, token: &str) -> Result<Option<Subscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM alert_subscriptions WHERE token = $1"
        ))
        .bind(token)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Confirms the subscription of `token` (once: a second confirmation changes nothing),
    /// its first digest due at `first_digest_at`, with the sessions that already match
    /// (`matching`) counted as told, so its first digest brings only what is new.
    pub async fn confirm_subscription(
        &self,
        token: &str,
        first_digest_at: i64,
        matching: &[i64],
    ) -> Result<Option<Subscription>> {
        let mut tx = self.write().await?;
        let confirmed = sqlx::query(
            "UPDATE alert_subscriptions SET confirmed_at = $1, next_digest_at = $2 \
             WHERE token = $3 AND confirmed_at IS NULL",
        )
        .bind(now())
        .bind(first_digest_at)
        .bind(token)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        let found: Option<Subscription> = sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM alert_subscriptions WHERE token = $1"
        ))
        .bind(token)
        .fetch_optional(&mut *tx)
        .await?;
        if let (true, Some(subscription)) = (confirmed, &found) {
            mark_told(&mut tx, subscription.id, matching).await?;
        }
        tx.commit().await?;
        Ok(found)
    }

    /// Deletes the subscription of `token` with everything kept for it (matches told,
    /// messages not yet sent); false when there was none.
    pub async fn unsubscribe(&self, token: &str) -> Result<bool> {
        let mut tx = self.write().await?;
        let gone = sqlx::query("DELETE FROM alert_subscriptions WHERE token = $1")
            .bind(token)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        tx.commit().await?;
        Ok(gone > 0)
    }

    /// Confirmed subscriptions whose digest is due at `now` (every confirmed one, with
    /// `all`).
    pub async fn due_subscriptions(&self, now: i64, all: bool) -> Result<Vec<Subscription>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLUMNS} FROM alert_subscriptions WHERE confirmed_at IS NOT NULL \
             AND ($1 OR next_digest_at <= $2) ORDER BY id"
        ))
        .bind(all)
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Of `sessions`, those `subscription_id` has not been told about, in the order given.
    pub async fn untold(&self, subscription_id: i64, sessions: &[i64]) -> Result<Vec<i64>> {
        let mut conn = self.pool.acquire().await?;
        untold_in(&mut conn, subscription_id, sessions).await
    }

    /// Moves the subscription's next digest from `was` to `next` and, when `sessions` is
    /// not empty, queues `mail` telling them and marks them told, all in one transaction.
    /// None (and nothing written) when another process moved the digest first; otherwise
    /// the mail job, if a message was queued.
    pub async fn queue_digest(
        &self,
        subscription: &Subscription,
        next: i64,
        sessions: &[i64],
        mail: &NewMail<'_>,
    ) -> Result<Option<Option<i64>>> {
        let mut tx = self.write().await?;
        let moved = sqlx::query(
            "UPDATE alert_subscriptions SET next_digest_at = $1 WHERE id = $2 \
             AND confirmed_at IS NOT NULL AND next_digest_at = $3",
        )
        .bind(next)
        .bind(subscription.id)
        .bind(subscription.next_digest_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if moved != 1 {
            return Ok(None);
        }
        // Read and marked in the same transaction: another composer finds them told.
        let sessions = untold_in(&mut tx, subscription.id, sessions).await?;
        let job = if sessions.is_empty() {
            None
        } else {
            mark_told(&mut tx, subscription.id, &sessions).await?;
            Some(queue_mail(&mut tx, subscription.id, mail).await?)
        };
        tx.commit().await?;
        Ok(Some(job))
    }

    /// The message a `mail` job sends, with its recipient; None when it is gone (sent, or
    /// its subscriber left meanwhile).
    pub async fn mail_to_send(&self, message_id: i64) -> Result<Option<OutgoingMail>> {
        Ok(sqlx::query_as(
            "SELECT s.email, m.subject, m.body, s.token, s.origin FROM mail_messages m \
             JOIN alert_subscriptions s ON s.id = m.subscription_id WHERE m.id = $1",
        )
        .bind(message_id)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Forgets a sent message: its words are in the subscriber's inbox now.
    pub async fn mail_sent(&self, message_id: i64) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM mail_messages WHERE id = $1")
            .bind(message_id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes subscriptions never confirmed since before `before` (Unix seconds).
    pub async fn forget_unconfirmed(&self, before: i64) -> Result<u64> {
        let mut tx = self.write().await?;
        let gone = sqlx::query(
            "DELETE FROM alert_subscriptions WHERE confirmed_at IS NULL AND created_at < $1",
        )
        .bind(before)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        tx.commit().await?;
        Ok(gone)
    }
}

/// Of `sessions`, those `subscription_id` has not been told about, in the order given.
async fn untold_in(
    conn: &mut AnyConnection,
    subscription_id: i64,
    sessions: &[i64],
) -> Result<Vec<i64>> {
    let told: std::collections::HashSet<i64> =
        sqlx::query_scalar("SELECT session_id FROM alert_matches_sent WHERE subscription_id = $1")
            .bind(subscription_id)
            .fetch_all(&mut *conn)
            .await?
            .into_iter()
            .collect();
    Ok(sessions
        .iter()
        .copied()
        .filter(|s| !told.contains(s))
        .collect())
}

/// Records that `subscription_id` was told about `sessions`.
async fn mark_told(tx: &mut AnyConnection, subscription_id: i64, sessions: &[i64]) -> Result<()> {
    let now = now();
    for session in sessions {
        sqlx::query(
            "INSERT INTO alert_matches_sent (subscription_id, session_id, sent_at) \
             VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        )
        .bind(subscription_id)
        .bind(*session)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// Stores `mail` for `subscription_id` and queues the job that sends it.
async fn queue_mail(
    tx: &mut AnyConnection,
    subscription_id: i64,
    mail: &NewMail<'_>,
) -> Result<i64> {
    let message_id: i64 = sqlx::query_scalar(
        "INSERT INTO mail_messages (subscription_id, subject, body, created_at) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(subscription_id)
    .bind(mail.subject)
    .bind(mail.body)
    .bind(now())
    .fetch_one(&mut *tx)
    .await?;
    let payload = serde_json::json!({ "message": message_id }).to_string();
    super::jobs::insert_job_without_session(tx, JobKind::Mail, &payload).await
}
