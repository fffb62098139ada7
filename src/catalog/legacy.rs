//! Redirects from the old portal's addresses, and the count of requests for unmapped
//! ones. It must not parse old addresses (that is `crate::legacy`).

use serde::Serialize;

use super::{now, Catalog, Result};

/// What an old portal address leads to now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyTarget {
    Moved(String),
    Gone,
}

/// The most requested addresses nobody has mapped yet.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, Serialize)]
pub struct UnmappedRow {
    pub path: String,
    pub hits: i64,
    pub first_seen: i64,
    pub last_seen: i64,
}

/// At most this many distinct unknown addresses are remembered, so a crawler trying
/// random URLs cannot grow the table without bound (known ones keep being counted).
const UNMAPPED_LIMIT: i64 = 50_000;

/// How storing a batch of redirects went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyImport {
    /// All stored: `added` new ones, `unchanged` already mapped to the same target.
    Added { added: usize, unchanged: usize },
    /// Nothing stored: these addresses already lead elsewhere (one message each).
    Conflicts(Vec<String>),
}

impl Catalog {
    /// Stores redirects (`key` → `target`, None = 410 Gone). A key already mapped to the
    /// same target is left alone; one mapped elsewhere is reported as a conflict and
    /// nothing is written.
    pub async fn add_legacy_links(
        &self,
        links: &[(String, Option<String>)],
    ) -> Result<LegacyImport> {
        let mut tx = self.write().await?;
        let (mut added, mut unchanged, mut conflicts) = (0, 0, Vec::new());
        for (key, target) in links {
            let existing: Option<(Option<String>, i64)> =
                sqlx::query_as("SELECT target, status FROM legacy_links WHERE old_url = $1")
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
            match existing {
                Some((t, _)) if t == *target => unchanged += 1,
                Some((t, _)) => conflicts.push(format!(
                    "{key} already leads to {}",
                    t.as_deref().unwrap_or("410 Gone")
                )),
                None => {
                    sqlx::query(
                        "INSERT INTO legacy_links (old_url, target, status, created_at) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(key)
                    .bind(target)
                    .bind(if target.is_some() { 301 } else { 410 })
                    .bind(now())
                    .execute(&mut *tx)
                    .await?;
                    sqlx::query("DELETE FROM unmapped_requests WHERE path = $1")
                        .bind(key)
                        .execute(&mut *tx)
                        .await?;
                    added += 1;
                }
            }
        }
        if !conflicts.is_empty() {
            return Ok(LegacyImport::Conflicts(conflicts));
        }
        tx.commit().await?;
        Ok(LegacyImport::Added { added, unchanged })
    }

    /// Where an old address (its `legacy::key`) leads, if it is mapped.
    pub async fn legacy_target(&self, key: &str) -> Result<Option<LegacyTarget>> {
        let row: Option<(Option<String>, i64)> =
            sqlx::query_as("SELECT target, status FROM legacy_links WHERE old_url = $1")
                .bind(key)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.map(|(target, status)| match target {
            Some(t) if status == 301 => LegacyTarget::Moved(t),
            _ => LegacyTarget::Gone,
        }))
    }

    /// Counts a request for an address that leads nowhere.
    pub async fn count_unmapped(&self, key: &str) -> Result<()> {
        let now = now();
        let known = sqlx::query(
            "UPDATE unmapped_requests SET hits = hits + 1, last_seen = $1 WHERE path = $2",
        )
        .bind(now)
        .bind(key)
        .execute(&self.pool)
        .await?;
        if known.rows_affected() == 0 {
            sqlx::query(
                "INSERT INTO unmapped_requests (path, hits, first_seen, last_seen) \
                 SELECT $1, 1, $2, $3 WHERE (SELECT COUNT(*) FROM unmapped_requests) < $4 \
                 ON CONFLICT (path) DO UPDATE SET hits = unmapped_requests.hits + 1, last_seen = excluded.last_seen",
            )
            .bind(key)
            .bind(now)
            .bind(now)
            .bind(UNMAPPED_LIMIT)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    pub async fn unmapped_report(&self, limit: i64) -> Result<Vec<UnmappedRow>> {
        Ok(sqlx::query_as(
            "SELECT path, hits, first_seen, last_seen FROM unmapped_requests \
             ORDER BY hits DESC, path LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?)
    }
}
