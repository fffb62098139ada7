//! The public addresses of the archive's own pages, decided once so the HTTP layer, the
//! feeds and the import of old URLs agree. Only paths: the host is the deployment's
//! business (`public_url` or the request's Host), never this file's.

/// The page of one session, where its video plays.
pub fn page_url(session_id: i64) -> String {
    format!("/sedute/{session_id}")
}

/// The public address of one of a session's media files: only once the session is
/// published (a withheld or failed session's files have no public address).
pub fn published_media_url(
    session: &crate::catalog::SessionRow,
    file: &Option<String>,
) -> Option<String> {
    match (&session.media_dir, file) {
        (Some(dir), Some(f)) if session.state == crate::domain::SessionState::Published => {
            Some(crate::storage::media_url(dir, f))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_page_is_under_sedute() {
        assert_eq!(super::page_url(42), "/sedute/42");
    }
}
