//! Bodies (councils, committees): listing, finding, creating and renaming them.
//! It must not touch sessions beyond counting them and noting renames for search.

use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use sqlx::Row;

use super::{now, Body, BodyName, Catalog, Result, PUBLIC};
use crate::domain::BodyKind;

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

/// How long `bodies_recent` answers from memory. Bodies change a few times a year; a
/// rename by another process (the CLI) shows within this time, one by this process at once.
const BODIES_TTL: Duration = Duration::from_secs(2);

/// The bodies as last read, and when.
pub(super) type Seen = Arc<RwLock<Option<(Instant, Arc<Vec<Body>>)>>>;

impl Catalog {
    /// Every body, by name, as read within the last `BODIES_TTL`: for the search, which
    /// needs the list on every query (a catalog round trip of 0.2-0.7 ms). A caller that
    /// does not find a body it needs in it asks `bodies` for the current list.
    pub async fn bodies_recent(&self) -> Result<Arc<Vec<Body>>> {
        let fresh = self.bodies_seen.read().ok().and_then(|seen| {
            seen.as_ref()
                .filter(|(at, _)| at.elapsed() < BODIES_TTL)
                .map(|(_, list)| Arc::clone(list))
        });
        match fresh {
            Some(list) => Ok(list),
            None => Ok(Arc::new(self.bodies().await?)),
        }
    }

    /// After a change to the bodies: the next `bodies_recent` reads them again.
    fn forget_bodies(&self) {
        if let Ok(mut seen) = self.bodies_seen.write() {
            *seen = None;
        }
    }

    /// Every body, by name, from the catalog now (and kept for `bodies_recent`).
    pub async fn bodies(&self) -> Result<Vec<Body>> {
        let list: Vec<Body> =
            sqlx::query_as("SELECT id, slug, name, kind FROM bodies ORDER BY name")
                .fetch_all(&self.pool)
                .await?;
        if let Ok(mut seen) = self.bodies_seen.write() {
            *seen = Some((Instant::now(), Arc::new(list.clone())));
        }
        Ok(list)
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
    pub async fn create_body(&self, name: &BodyName, kind: Option<BodyKind>) -> Result<BodyChange> {
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
        self.forget_bodies();
        Ok(BodyChange::Done(body))
    }

    /// Renames a body (its slug follows the name) or changes its kind. Its sessions are
    /// indexed again, since search shows the body's name.
    pub async fn update_body(
        &self,
        id: i64,
        name: Option<&BodyName>,
        kind: Option<BodyKind>,
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
        self.forget_bodies();
        Ok(BodyChange::Done(body))
    }
}
