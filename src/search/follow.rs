//! Keeps a process's search index in step with the catalog, whoever wrote to it (an
//! `aula ingest` in another process, another replica, an editor through this server). It
//! only reads the catalog and writes this index; it never serves anything.

use std::sync::Arc;
use std::time::Duration;

use super::SearchIndex;
use crate::catalog::Catalog;

/// Starts following the catalog on the current Tokio runtime, looking every `every`.
pub fn spawn_follower(catalog: Catalog, search: Arc<SearchIndex>, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // Windows that opened or closed before this process started were applied when
        // their sessions were last indexed, unless that was before the boundary: take
        // every past boundary once.
        let mut windows_checked = 0;
        loop {
            tick.tick().await;
            if let Err(e) = search.catch_up(&catalog).await {
                tracing::warn!(error = %e, "search index could not catch up; will retry");
                continue;
            }
            let now = crate::catalog::now();
            match search.apply_windows(&catalog, windows_checked, now).await {
                Ok(_) => windows_checked = now,
                Err(e) => tracing::warn!(error = %e, "publication windows not applied; will retry"),
            }
        }
    });
}
