//! The public addresses of the archive's own pages, decided once so the HTTP layer, the
//! feeds and the import of old URLs agree. Only paths: the host is the deployment's
//! business (`public_url` or the request's Host), never this file's.

/// The page of one session, where its video plays.
pub fn page_url(session_id: i64) -> String {
    format!("/sedute/{session_id}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_session_page_is_under_sedute() {
        assert_eq!(super::page_url(42), "/sedute/42");
    }
}
