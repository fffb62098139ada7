//! What editors change through the admin API: bodies, sessions, agendas, publication,
//! ranges withheld from the public media, more recording parts, and the import reports.

use sqlx::Row;

use super::{
    insert_recording, note_change, now, Body, BodyName, Catalog, Cuts, NewRecording, Result, PUBLIC,
};

/// A body with how many public sessions it holds.
#[derive(Debug, Clone, serde::Serialize)]
pub struct BodyCount {
    #[serde(flatten)]
    pub body: Body,
    pub sessions: i64,
}

/// How a change to a body went.
#[derive(Debug)]
pub enum BodyChange {
    Done(Body),
    NotFound,
    /// Another body already has that name (case and accents aside).
    NameTaken,
}

/// The fields of a session an editor may change; `None` leaves one as it is.
#[derive(Debug, Default)]
pub struct SessionPatch {
    pub body_id: Option<i64>,
    pub date: Option<String>,
    pub title: Option<String>,
    pub kind: Option<String>,
    pub number: Option<Option<i64>>,
    pub publish_from: Option<Option<i64>>,
    pub publish_until: Option<Option<i64>>,
}

/// A range withheld from the public media, in the original recording's timeline.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WithheldRange {
    pub start_ms: i64,
    pub end_ms: i64,
    pub reason: Option<String>,
}

/// A stored `aula import` report.
#[derive(Debug, Clone)]
pub struct ImportReport {
    pub created_at: i64,
    pub file: String,
    pub dry_run: bool,
    /// JSON, as `aula import` wrote it.
    pub report: String,
}

impl Catalog {
    /// Whether the database answers.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Every body with its number of public sessions, by name.
    pub async fn bodies_with_counts(&self) -> Result<Vec<BodyCount>> {
        let sql = format!(
            "SELECT b.id, b.slug, b.name, b.kind, \
             (SELECT COUNT(*) FROM sessions s WHERE s.body_id = b.id AND {PUBLIC}) AS n \
             FROM bodies b ORDER BY b.name"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|r| BodyCount {
                body: Body {
                    id: r.get(0),
                    slug: r.get(1),
                    name: r.get(2),
                    kind: r.get(3),
                },
                sessions: r.get(4),
            })
            .collect())
    }

    /// The body with this slug, or whose name folds to the same as `name_or_slug`.
    pub async fn find_body(&self, name_or_slug: &str) -> Result<Option<Body>> {
        let key = BodyName::parse(name_or_slug)
            .map(|n| n.match_key())
            .unwrap_or_default();
        Ok(sqlx::query_as(
            "SELECT id, slug, name, kind FROM bodies WHERE slug = $1 OR match_key = $2 LIMIT 1",
        )
        .bind(name_or_slug.trim())
        .bind(key)
        .fetch_optional(&self.pool)
        .await?)
    }

    pub async fn body(&self, id: i64) -> Result<Option<Body>> {
        Ok(
            sqlx::query_as("SELECT id, slug, name, kind FROM bodies WHERE id = $1")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// A new body; `kind` defaults to what its name suggests.
    pub async fn create_body(&self, name: &BodyName, kind: Option<&str>) -> Result<BodyChange> {
        let mut tx = self.write().await?;
        let taken: Option<i64> =
            sqlx::query_scalar("SELECT id FROM bodies WHERE match_key = $1 OR slug = $2")
                .bind(name.match_key())
                .bind(name.slug())
                .fetch_optional(&mut *tx)
                .await?;
        if taken.is_some() {
            return Ok(BodyChange::NameTaken);
        }
        let body: Body = sqlx::query_as(
            "INSERT INTO bodies (slug, name, match_key, kind, created_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING id, slug, name, kind",
        )
        .bind(name.slug())
        .bind(name.as_str())
        .bind(name.match_key())
        .bind(kind.unwrap_or(name.kind()))
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BodyChange::Done(body))
    }

    /// Renames a body (its slug follows the name) or changes its kind. Its sessions are
    /// indexed again, since search shows the body's name.
    pub async fn update_body(
        &self,
        id: i64,
        name: Option<&BodyName>,
        kind: Option<&str>,
    ) -> Result<BodyChange> {
        let mut tx = self.write().await?;
        if let Some(name) = name {
            let taken: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM bodies WHERE (match_key = $1 OR slug = $2) AND id != $3",
            )
            .bind(name.match_key())
            .bind(name.slug())
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            if taken.is_some() {
                return Ok(BodyChange::NameTaken);
            }
        }
        let body: Option<Body> = sqlx::query_as(
            "UPDATE bodies SET name = COALESCE($1, name), slug = COALESCE($2, slug), \
             match_key = COALESCE($3, match_key), kind = COALESCE($4, kind) WHERE id = $5 \
             RETURNING id, slug, name, kind",
        )
        .bind(name.map(BodyName::as_str))
        .bind(name.map(BodyName::slug))
        .bind(name.map(BodyName::match_key))
        .bind(kind)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let Some(body) = body else {
            return Ok(BodyChange::NotFound);
        };
        sqlx::query(
            "INSERT INTO search_changes (session_id, changed_at) \
             SELECT id, $1 FROM sessions WHERE body_id = $2",
        )
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(BodyChange::Done(body))
    }

    /// A session announced before its recording arrives: `pending` until one is uploaded.
    pub async fn create_pending_session(
        &self,
        body_id: i64,
        date: &str,
        title: &str,
        kind: &str,
        number: Option<i64>,
        window: (Option<i64>, Option<i64>),
    ) -> Result<i64> {
        let mut tx = self.write().await?;
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO sessions (body_id, date, title, kind, number, publish_from, publish_until, \
             state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING id",
        )
        .bind(body_id)
        .bind(date)
        .bind(title)
        .bind(kind)
        .bind(number)
        .bind(window.0)
        .bind(window.1)
        .bind(now())
        .bind(now())
        .fetch_one(&mut *tx)
        .await?;
        note_change(&mut tx, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Applies an editor's changes; false if there is no such session.
    pub async fn update_session(&self, id: i64, patch: &SessionPatch) -> Result<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE sessions SET body_id = COALESCE($1, body_id), date = COALESCE($2, date), \
             title = COALESCE($3, title), kind = COALESCE($4, kind), \
             number = CASE WHEN $5 THEN $6 ELSE number END, \
             publish_from = CASE WHEN $7 THEN $8 ELSE publish_from END, \
             publish_until = CASE WHEN $9 THEN $10 ELSE publish_until END, \
             updated_at = $11 WHERE id = $12",
        )
        .bind(patch.body_id)
        .bind(&patch.date)
        .bind(&patch.title)
        .bind(&patch.kind)
        .bind(patch.number.is_some())
        .bind(patch.number.flatten())
        .bind(patch.publish_from.is_some())
        .bind(patch.publish_from.flatten())
        .bind(patch.publish_until.is_some())
        .bind(patch.publish_until.flatten())
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Ok(false);
        }
        note_change(&mut tx, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// Replaces a session's agenda: (number, title, start in the original, ms).
    pub async fn replace_agenda(
        &self,
        session_id: i64,
        items: &[(Option<String>, String, Option<i64>)],
    ) -> Result<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM agenda_items WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        for (i, (number, title, start_ms)) in items.iter().enumerate() {
            sqlx::query(
                "INSERT INTO agenda_items (session_id, position, number, title, start_ms) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(session_id)
            .bind(i as i64 + 1)
            .bind(number)
            .bind(title)
            .bind(start_ms)
            .execute(&mut *tx)
            .await?;
        }
        note_change(&mut tx, session_id).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Withholds a session from the public (`reason` given) or publishes it again (`None`):
    /// then it shows its media if it has some, and otherwise waits for them. False if
    /// there is no such session.
    pub async fn set_withheld(&self, id: i64, reason: Option<&str>) -> Result<bool> {
        let mut tx = self.write().await?;
        let stored: Option<String> = sqlx::query_scalar("SELECT state FROM sessions WHERE id = $1")
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
        let Some(stored) = stored else {
            return Ok(false);
        };
        let (state, why) = match reason {
            Some(reason) => ("withheld", Some(reason.to_string())),
            None if stored != "withheld" => return Ok(true),
            None => self.state_when_published(&mut tx, id).await?,
        };
        sqlx::query(
            "UPDATE sessions SET state = $1, state_reason = $2, updated_at = $3 WHERE id = $4",
        )
        .bind(state)
        .bind(why)
        .bind(now())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        note_change(&mut tx, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// What a withheld session becomes when it is published again: its media only if
    /// they were made without every range withheld now.
    async fn state_when_published(
        &self,
        tx: &mut sqlx::AnyConnection,
        id: i64,
    ) -> Result<(&'static str, Option<String>)> {
        let active: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM jobs WHERE session_id = $1 AND state IN ('queued', 'running') LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if active.is_some() {
            return Ok(("processing", None));
        }
        let latest: Option<Option<String>> = sqlx::query_scalar(
            "SELECT cuts FROM media_versions WHERE session_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        let wanted = Cuts::new(
            withheld_rows(&mut *tx, id)
                .await?
                .iter()
                .map(|r| (r.start_ms, r.end_ms))
                .collect(),
        );
        match latest {
            Some(cuts) if Cuts::from_json(cuts.as_deref()) == wanted => Ok(("published", None)),
            Some(_) => Ok((
                "failed",
                Some(
                    "no version without the withheld ranges has been made yet: reprocess it".into(),
                ),
            )),
            None => {
                let failed: Option<Option<String>> = sqlx::query_scalar(
                    "SELECT error FROM jobs WHERE session_id = $1 AND state = 'failed' \
                     ORDER BY id DESC LIMIT 1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                Ok(match failed {
                    Some(error) => ("failed", error),
                    None => ("pending", None),
                })
            }
        }
    }

    /// Adds a recording as the session's next part and makes sure a transcode is queued.
    /// Returns (part number, job id).
    pub async fn add_recording_part(
        &self,
        session_id: i64,
        recording: &NewRecording<'_>,
    ) -> Result<(i64, i64)> {
        let mut tx = self.write().await?;
        let part: i64 = sqlx::query_scalar(
            "SELECT COALESCE(MAX(part), 0) + 1 FROM recordings WHERE session_id = $1",
        )
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        insert_recording(&mut tx, session_id, part, recording).await?;
        let job_id = queue_transcode(&mut tx, session_id, false).await?;
        tx.commit().await?;
        Ok((part, job_id))
    }

    /// Queues a new transcode of the session's recording (a new media version); None if
    /// it has no recording yet.
    pub async fn queue_reprocess(&self, session_id: i64) -> Result<Option<i64>> {
        let mut tx = self.write().await?;
        if !has_recording(&mut tx, session_id).await? {
            return Ok(None);
        }
        let job_id = queue_transcode(&mut tx, session_id, false).await?;
        tx.commit().await?;
        Ok(Some(job_id))
    }

    /// The ranges an editor withheld from the public media, in time order.
    pub async fn withheld_ranges(&self, session_id: i64) -> Result<Vec<WithheldRange>> {
        let mut conn = self.pool.acquire().await?;
        withheld_rows(&mut conn, session_id).await
    }

    /// Replaces the withheld ranges and queues the version made without them. Until it is
    /// published the current media are not served (they still hold what is withheld now).
    /// None if the session has no recording.
    pub async fn set_withheld_ranges(
        &self,
        session_id: i64,
        ranges: &[WithheldRange],
    ) -> Result<Option<i64>> {
        let mut tx = self.write().await?;
        if !has_recording(&mut tx, session_id).await? {
            return Ok(None);
        }
        sqlx::query("DELETE FROM withheld_ranges WHERE session_id = $1")
            .bind(session_id)
            .execute(&mut *tx)
            .await?;
        for r in ranges {
            sqlx::query(
                "INSERT INTO withheld_ranges (session_id, start_ms, end_ms, reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(session_id)
            .bind(r.start_ms)
            .bind(r.end_ms)
            .bind(&r.reason)
            .bind(now())
            .execute(&mut *tx)
            .await?;
        }
        let job_id = queue_transcode(&mut tx, session_id, true).await?;
        tx.commit().await?;
        Ok(Some(job_id))
    }

    /// Sessions whose publication window opens or closes in `(after, until]`.
    pub async fn window_boundaries_between(&self, after: i64, until: i64) -> Result<Vec<i64>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM sessions WHERE (publish_from > $1 AND publish_from <= $2) \
             OR (publish_until > $3 AND publish_until <= $4) ORDER BY id",
        )
        .bind(after)
        .bind(until)
        .bind(after)
        .bind(until)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Whether the session has a document with this content already.
    pub async fn has_document(&self, session_id: i64, sha256: &str) -> Result<bool> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM documents WHERE session_id = $1 AND sha256 = $2")
                .bind(session_id)
                .bind(sha256)
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Whether a recording or document points at this stored original.
    pub async fn is_stored_path_used(&self, path: &str) -> Result<bool> {
        let used: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM recordings WHERE stored_path = $1 \
             UNION ALL SELECT 1 FROM documents WHERE stored_path = $1 LIMIT 1",
        )
        .bind(path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(used.is_some())
    }

    /// The cuts of the session's current media version.
    pub async fn current_cuts(&self, session_id: i64) -> Result<Cuts> {
        let cuts: Option<Option<String>> = sqlx::query_scalar(
            "SELECT cuts FROM media_versions WHERE session_id = $1 ORDER BY version DESC LIMIT 1",
        )
        .bind(session_id)
        .fetch_optional(&self.pool)
        .await?;
        Ok(Cuts::from_json(cuts.flatten().as_deref()))
    }

    pub async fn add_import_report(&self, file: &str, dry_run: bool, report: &str) -> Result<()> {
        sqlx::query(
            "INSERT INTO import_reports (created_at, file, dry_run, report) VALUES ($1, $2, $3, $4)",
        )
        .bind(now())
        .bind(file)
        .bind(i64::from(dry_run))
        .bind(report)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn last_import_report(&self) -> Result<Option<ImportReport>> {
        let row = sqlx::query(
            "SELECT created_at, file, dry_run, report FROM import_reports ORDER BY id DESC LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| ImportReport {
            created_at: r.get(0),
            file: r.get(1),
            dry_run: r.get::<i64, _>(2) != 0,
            report: r.get(3),
        }))
    }
}

pub(super) async fn withheld_rows(
    conn: &mut sqlx::AnyConnection,
    session_id: i64,
) -> Result<Vec<WithheldRange>> {
    let rows = sqlx::query(
        "SELECT start_ms, end_ms, reason FROM withheld_ranges WHERE session_id = $1 \
         ORDER BY start_ms, id",
    )
    .bind(session_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| WithheldRange {
            start_ms: r.get(0),
            end_ms: r.get(1),
            reason: r.get(2),
        })
        .collect())
}

async fn has_recording(tx: &mut sqlx::AnyConnection, session_id: i64) -> Result<bool> {
    let found: Option<i64> =
        sqlx::query_scalar("SELECT 1 FROM recordings WHERE session_id = $1 LIMIT 1")
            .bind(session_id)
            .fetch_optional(tx)
            .await?;
    Ok(found.is_some())
}

/// The session's queued transcode job, or a new one. A job already queued reads the
/// recording and the withheld ranges when it starts, so it serves for this change too;
/// a running one does not. `hide_current` stops serving the current media meanwhile.
async fn queue_transcode(
    tx: &mut sqlx::AnyConnection,
    session_id: i64,
    hide_current: bool,
) -> Result<i64> {
    let now = now();
    let queued: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM jobs WHERE session_id = $1 AND kind = 'transcode' AND state = 'queued' \
         ORDER BY id LIMIT 1",
    )
    .bind(session_id)
    .fetch_optional(&mut *tx)
    .await?;
    // Whatever it waited for before, this change is new work: run it now, afresh. Only
    // while it is still queued: a worker may claim it meanwhile (on PostgreSQL claims do
    // not wait for writers), and then a new job is needed.
    let reset = match queued {
        Some(id) => {
            sqlx::query(
                "UPDATE jobs SET attempts = 0, run_after = $1, error = NULL, updated_at = $2 \
             WHERE id = $3 AND state = 'queued'",
            )
            .bind(now)
            .bind(now)
            .bind(id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1
        }
        None => false,
    };
    let job_id = match queued {
        Some(id) if reset => id,
        _ => {
            sqlx::query_scalar(
                "INSERT INTO jobs (kind, session_id, payload, state, run_after, created_at, updated_at) \
                 VALUES ('transcode', $1, '{}', 'queued', $2, $3, $4) RETURNING id",
            )
            .bind(session_id)
            .bind(now)
            .bind(now)
            .bind(now)
            .fetch_one(&mut *tx)
            .await?
        }
    };
    let states = if hide_current {
        "('pending', 'failed', 'published')"
    } else {
        "('pending', 'failed')"
    };
    sqlx::query(&format!(
        "UPDATE sessions SET state = 'processing', state_reason = NULL, updated_at = $1 \
         WHERE id = $2 AND state IN {states}"
    ))
    .bind(now)
    .bind(session_id)
    .execute(&mut *tx)
    .await?;
    note_change(&mut *tx, session_id).await?;
    Ok(job_id)
}

/// A file the archive keeps under its own checksum: an original recording or a document.
#[derive(Debug, Clone)]
pub struct StoredFile {
    /// "recording" or "document"
    pub kind: &'static str,
    pub id: i64,
    pub session_id: i64,
    pub sha256: String,
    pub size_bytes: i64,
    /// relative to the data directory
    pub stored_path: String,
}

impl Catalog {
    /// Every original recording and document, with the checksum it was stored under.
    pub async fn stored_files(&self) -> Result<Vec<StoredFile>> {
        let rows = sqlx::query(
            "SELECT 'recording', id, session_id, sha256, size_bytes, stored_path FROM recordings \
             UNION ALL \
             SELECT 'document', id, session_id, sha256, size_bytes, stored_path FROM documents \
             ORDER BY 6",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| StoredFile {
                kind: if r.get::<String, _>(0) == "recording" {
                    "recording"
                } else {
                    "document"
                },
                id: r.get(1),
                session_id: r.get(2),
                sha256: r.get(3),
                size_bytes: r.get(4),
                stored_path: r.get(5),
            })
            .collect())
    }

    /// SQLite: folds the write-ahead log into the file, then closes every connection, so
    /// the file alone is the whole catalog (for restore). PostgreSQL: closes the pool.
    pub async fn checkpoint_and_close(&self) -> Result<()> {
        if self.backend() == super::Backend::Sqlite {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&self.pool)
                .await?;
        }
        self.pool.close().await;
        Ok(())
    }

    /// SQLite only: a consistent copy of the whole catalog at `path` (a new file), taken
    /// while servers and workers go on (`VACUUM INTO`).
    pub async fn snapshot_sqlite(&self, path: &std::path::Path) -> Result<()> {
        sqlx::query("VACUUM INTO $1")
            .bind(path.display().to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
