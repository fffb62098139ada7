//! Attaching documents to a session: each original is stored under its SHA-256, its text
//! extracted, agenda points, transcript cues and agenda times read out of it, and all of it
//! recorded in the catalog. A document that cannot be read is still kept, with the reason;
//! it never stops the rest of an ingest.

use std::path::{Path, PathBuf};

use crate::archive::Archive;
use crate::catalog::{CatalogError, NewCue, NewDocument};
use crate::documents::extract::{self, Tools};
use crate::documents::{self, timed_agenda, transcript};
use crate::domain::ExtractionState;

use super::store;

pub use crate::domain::DocumentKind;

/// How attaching one document went, for the clerk's summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attached {
    pub file: PathBuf,
    pub kind: DocumentKind,
    /// None when all went well; otherwise what was wrong (the original is kept anyway).
    pub problem: Option<String>,
    /// e.g. "5 agenda items", "312 cues", "text recognised by OCR"
    pub summary: String,
}

#[derive(Debug, thiserror::Error)]
pub enum AttachError {
    #[error("{file}: cannot store the document: {source}")]
    Store {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Catalog(#[from] CatalogError),
}

/// Stores `file` as a document of `session_id` and reads what it can out of it.
pub async fn attach(
    archive: &Archive,
    session_id: i64,
    kind: DocumentKind,
    file: &Path,
) -> Result<Attached, AttachError> {
    let store_err = |source| AttachError::Store {
        file: file.to_owned(),
        source,
    };
    let bytes = tokio::fs::read(file).await.map_err(store_err)?;
    let stored = store::store_original_async(file, archive.data_dir())
        .await
        .map_err(store_err)?;
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();

    let read = match kind {
        DocumentKind::Transcript | DocumentKind::TimedAgenda => read_timed_text(kind, &bytes),
        _ => read_with_extractor(kind, &bytes, &name).await,
    };
    let document_id = archive
        .catalog
        .add_document(
            session_id,
            &NewDocument {
                kind,
                original_name: &name,
                sha256: &stored.sha256,
                size_bytes: bytes.len() as i64,
                stored_path: &stored.relative_path,
                media_type: read.media_type,
                text: read.text.as_deref(),
                extraction_state: read.state,
                extraction_note: read.note.as_deref(),
            },
            &read.agenda,
        )
        .await?;
    record_cues(archive, session_id, document_id, &read.cues).await?;
    record_timed_agenda(archive, session_id, &read.timed).await?;
    if matches!(
        kind,
        DocumentKind::Transcript | DocumentKind::Minutes | DocumentKind::Agenda
    ) {
        // Speakers, the roll call and the votes are read from these.
        crate::people::reading::read_session(&archive.catalog, session_id).await?;
    }
    let problem = match read.state {
        ExtractionState::Ok => None,
        ExtractionState::Empty | ExtractionState::Failed => read.note,
    };
    Ok(Attached {
        file: file.to_owned(),
        kind,
        problem,
        summary: read.summary,
    })
}

/// What was read out of one document, before anything is recorded.
#[derive(Debug, Default)]
struct Reading {
    text: Option<String>,
    media_type: &'static str,
    state: ExtractionState,
    note: Option<String>,
    summary: String,
    agenda: Vec<(Option<String>, String)>,
    cues: Vec<transcript::Cue>,
    timed: Vec<timed_agenda::TimedItem>,
}

/// Nothing read yet counts as failed until a reader says otherwise.
impl Default for ExtractionState {
    fn default() -> Self {
        ExtractionState::Failed
    }
}

/// A transcript or a timed agenda: plain text, parsed into cues or timed items.
fn read_timed_text(kind: DocumentKind, bytes: &[u8]) -> Reading {
    let mut read = Reading::default();
    let parsed = documents::decode_text(bytes)
        .map_err(|e| e.to_string())
        .and_then(|text| {
            if kind == DocumentKind::Transcript {
                read.cues = transcript::parse(&text).map_err(|e| e.to_string())?;
            } else {
                read.timed = timed_agenda::parse(&text).map_err(|e| e.to_string())?;
            }
            Ok(text)
        });
    match parsed {
        Ok(text) => {
            read.summary = if kind == DocumentKind::Transcript {
                format!("{} cues", read.cues.len())
            } else {
                format!("{} timed agenda items", read.timed.len())
            };
            read.text = Some(text);
            read.media_type = "text/plain; charset=utf-8";
            read.state = ExtractionState::Ok;
        }
        Err(reason) => {
            read.media_type = "text/plain";
            read.state = ExtractionState::Failed;
            read.note = Some(reason);
        }
    }
    read
}

/// Any other document: its text extracted (by OCR if need be); an agenda's items too.
async fn read_with_extractor(kind: DocumentKind, bytes: &[u8], name: &str) -> Reading {
    match extract::extract(bytes, name, &Tools::default()).await {
        Ok(found) => {
            let agenda = if kind == DocumentKind::Agenda {
                documents::agenda_items(&found.text)
            } else {
                Vec::new()
            };
            let mut summary = if kind == DocumentKind::Agenda {
                format!("{} agenda items", agenda.len())
            } else {
                format!("{} characters of text", found.text.chars().count())
            };
            if let Some(note) = &found.note {
                summary.push_str(&format!(" ({note})"));
            }
            Reading {
                text: Some(found.text),
                media_type: found.media_type,
                state: ExtractionState::Ok,
                note: found.note,
                summary,
                agenda,
                ..Reading::default()
            }
        }
        Err(e) => Reading {
            text: None,
            media_type: extract::detect(bytes, name)
                .map(|f| f.media_type())
                .unwrap_or("application/octet-stream"),
            state: extraction_failure_state(&e),
            note: Some(e.to_string()),
            ..Reading::default()
        },
    }
}

/// A document with no text in it is "empty", not "failed": nothing is wrong with the file.
fn extraction_failure_state(e: &extract::ExtractError) -> ExtractionState {
    if matches!(
        e,
        extract::ExtractError::NoText(_) | extract::ExtractError::Empty
    ) {
        ExtractionState::Empty
    } else {
        ExtractionState::Failed
    }
}

async fn record_cues(
    archive: &Archive,
    session_id: i64,
    document_id: i64,
    cues: &[transcript::Cue],
) -> Result<(), CatalogError> {
    if cues.is_empty() {
        return Ok(());
    }
    let rows: Vec<NewCue> = cues
        .iter()
        .map(|c| NewCue {
            start_ms: c.start_ms as i64,
            end_ms: c.end_ms as i64,
            speaker: c.speaker.as_deref(),
            text: &c.text,
        })
        .collect();
    archive
        .catalog
        .add_cues(session_id, document_id, &rows)
        .await
}

async fn record_timed_agenda(
    archive: &Archive,
    session_id: i64,
    timed: &[timed_agenda::TimedItem],
) -> Result<(), CatalogError> {
    if timed.is_empty() {
        return Ok(());
    }
    let items: Vec<(Option<String>, String, i64)> = timed
        .iter()
        .map(|t| (t.number.clone(), t.title.clone(), t.start_ms as i64))
        .collect();
    archive.catalog.set_timed_agenda(session_id, &items).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_timed_agenda_is_parsed_and_counted() {
        let read = read_timed_text(
            DocumentKind::TimedAgenda,
            b"0:00:00,Appello\n1:05:00,Bilancio di previsione 2009",
        );
        assert_eq!(
            (read.state, read.note.as_deref()),
            (ExtractionState::Ok, None)
        );
        assert_eq!(read.media_type, "text/plain; charset=utf-8");
        assert_eq!(read.summary, "2 timed agenda items");
        assert_eq!(read.timed.len(), 2);
        assert!(read.cues.is_empty());
    }

    #[test]
    fn a_transcript_that_does_not_parse_is_kept_as_failed_with_the_reason() {
        let read = read_timed_text(DocumentKind::Transcript, b"not a transcript at all");
        assert_eq!(read.state, ExtractionState::Failed);
        assert_eq!(read.media_type, "text/plain");
        assert!(read.note.is_some());
        assert_eq!((read.text, read.summary.as_str()), (None, ""));
    }

    #[test]
    fn no_text_is_empty_not_failed() {
        use extract::ExtractError;
        assert_eq!(
            extraction_failure_state(&ExtractError::Empty),
            ExtractionState::Empty
        );
        assert_eq!(
            extraction_failure_state(&ExtractError::NoText("scan".into())),
            ExtractionState::Empty
        );
        assert_eq!(
            extraction_failure_state(&ExtractError::PasswordProtected),
            ExtractionState::Failed
        );
    }
}
