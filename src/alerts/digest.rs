//! Composing alert digests: for each confirmed subscription whose digest is due, what it
//! follows is looked up now (the search, through the process's own index; a body, in the
//! catalog), the sessions it has not been told about yet make its message, and the
//! catalog queues that message with the matches marked told (`Catalog::queue_digest`).
//! Run by every server every `AULA_ALERTS_POLL_SECONDS` (a digest moved by one server is
//! not composed again by another), and at once through the admin API.

use super::messages::{self, DigestItem, Links};
use super::{next_digest, Follows};
use crate::catalog::{Catalog, CatalogError, NewMail, Subscription};
use crate::search::{SearchError, SearchIndex, SearchRequest, SessionHit, Sort};
use crate::urls::page_url;

/// The newest matches looked at for one subscription: far more than a digest lists, and
/// what the first digest after a long silence can catch up with.
const LOOKED_AT: usize = 500;
/// Sessions one digest lists at most (the rest are counted as told: the message links the
/// search for them all).
const LISTED: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum DigestError {
    #[error(transparent)]
    Catalog(#[from] CatalogError),
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// What one pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Composed {
    /// Subscriptions looked at.
    pub due: usize,
    /// Digests queued to be sent, and the sessions they list.
    pub queued: usize,
    pub sessions: usize,
}

/// The sessions `follows` matches now, newest first, with the passage that matched.
pub async fn matching(
    catalog: &Catalog,
    index: &SearchIndex,
    follows: &Follows,
) -> Result<Vec<SessionHit>, DigestError> {
    let bodies = catalog.bodies().await?;
    let body_id = |slug: &str| bodies.iter().find(|b| b.slug == slug).map(|b| b.id);
    match follows {
        Follows::Search {
            q,
            body,
            kind,
            speaker,
        } => {
            let body_id = match body {
                // A body since removed: it matches nothing any more.
                Some(slug) => match body_id(slug) {
                    Some(id) => Some(id),
                    None => return Ok(Vec::new()),
                },
                None => None,
            };
            let mut hits = Vec::new();
            for page in 1..=LOOKED_AT / 100 {
                let found = index.search(&SearchRequest {
                    text: q.clone(),
                    body_id,
                    kind: kind.clone(),
                    speaker: speaker.clone(),
                    sort: Sort::Newest,
                    page,
                    per_page: 100,
                    ..SearchRequest::default()
                })?;
                let last = found.hits.len() < 100;
                hits.extend(found.hits);
                if last {
                    break;
                }
            }
            Ok(hits)
        }
        Follows::Body { slug } => {
            let Some(id) = body_id(slug) else {
                return Ok(Vec::new());
            };
            let rows = catalog.list_body_sessions(id, LOOKED_AT as i64).await?;
            Ok(session_hits(rows))
        }
        Follows::Person { slug } => {
            // Someone since removed from the roster matches nothing any more.
            let Some(person) = catalog.person(slug).await? else {
                return Ok(Vec::new());
            };
            let rows = catalog
                .sessions_of_person(person.id, LOOKED_AT as i64)
                .await?;
            Ok(session_hits(rows))
        }
    }
}

/// Sessions as hits without a passage: what a body or a person followed matches.
fn session_hits(rows: Vec<crate::catalog::SessionRow>) -> Vec<SessionHit> {
    rows.into_iter()
        .filter(|r| r.is_public())
        .map(|r| SessionHit {
            session_id: r.id as u64,
            title: r.title,
            body: r.body_name,
            body_id: r.body_id as u64,
            date: r.date,
            score: 0.0,
            passages: Vec::new(),
        })
        .collect()
}

/// Composes the digests due at `now` (every confirmed subscription's, with `all`).
pub async fn compose_due(
    catalog: &Catalog,
    index: &SearchIndex,
    now: i64,
    all: bool,
) -> Result<Composed, DigestError> {
    let mut done = Composed::default();
    for subscription in catalog.due_subscriptions(now, all).await? {
        done.due += 1;
        let listed = compose(catalog, index, &subscription, now).await?;
        if listed > 0 {
            done.queued += 1;
            done.sessions += listed;
        }
    }
    Ok(done)
}

/// How long an unconfirmed subscription is kept.
pub const UNCONFIRMED_KEPT_S: i64 = 7 * 24 * 3600;

/// Every `every`, composes the digests that are due and deletes the subscriptions never
/// confirmed within a week: the server's background task while alerts are on.
pub fn spawn_composer(
    catalog: Catalog,
    index: std::sync::Arc<SearchIndex>,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            let now = crate::catalog::now();
            match compose_due(&catalog, &index, now, false).await {
                Ok(done) if done.due > 0 => tracing::info!(?done, "alert digests composed"),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "cannot compose alert digests now"),
            }
            match catalog.forget_unconfirmed(now - UNCONFIRMED_KEPT_S).await {
                Ok(0) => {}
                Ok(gone) => tracing::info!(gone, "unconfirmed alert subscriptions deleted"),
                Err(e) => tracing::warn!(error = %e, "cannot delete unconfirmed subscriptions"),
            }
        }
    })
}

/// One subscription's digest: how many sessions it lists (0: nothing new, no message).
async fn compose(
    catalog: &Catalog,
    index: &SearchIndex,
    subscription: &Subscription,
    now: i64,
) -> Result<usize, DigestError> {
    let hits = match Follows::from_json(&subscription.follows) {
        Some(follows) => matching(catalog, index, &follows).await?,
        None => Vec::new(),
    };
    let ids: Vec<i64> = hits.iter().map(|h| h.session_id as i64).collect();
    let untold = catalog.untold(subscription.id, &ids).await?;
    let origin = &subscription.origin;
    let items: Vec<DigestItem> = hits
        .iter()
        .filter(|h| untold.contains(&(h.session_id as i64)))
        .take(LISTED)
        .map(|h| item(origin, h))
        .collect();
    let links = Links::new(origin, &subscription.token);
    let (subject, body) = messages::digest(&subscription.lang, &links, &subscription.label, &items);
    let next = next_digest(now, subscription.frequency);
    let mail = NewMail {
        subject: &subject,
        body: &body,
    };
    // Nothing new: only the next digest's time moves. Past `LISTED`, the rest are told
    // too (the message says how many there are in all).
    let told: &[i64] = if items.is_empty() { &[] } else { &untold };
    match catalog
        .queue_digest(subscription, next, told, &mail)
        .await?
    {
        Some(Some(_job)) => Ok(items.len()),
        // Nothing new, or another server composed it first.
        _ => Ok(0),
    }
}

/// A session of a digest: its page at the second of its passage, and the passage's words.
fn item(origin: &str, hit: &SessionHit) -> DigestItem {
    let page = format!("{origin}{}", page_url(hit.session_id as i64));
    let best = hit.best_passage();
    DigestItem {
        title: hit.title.clone(),
        body: hit.body.clone(),
        date: hit.date.clone(),
        url: match best.and_then(|p| p.start_seconds) {
            Some(t) => format!("{page}?t={t}"),
            None => page,
        },
        passage: best.map(|p| plain(&p.snippet_html)).unwrap_or_default(),
    }
}

/// A snippet's words without its markup (`<mark>`) or entities.
fn plain(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_loses_its_marks_and_entities() {
        assert_eq!(
            plain("la <mark>variante</mark> &quot;Fornace&quot; &amp; l&#39;area &lt;nord&gt;"),
            "la variante \"Fornace\" & l'area <nord>"
        );
    }
}
