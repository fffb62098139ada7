//! The catalog's own tests, each on a fresh SQLite catalog in a temporary directory:
//! sessions, jobs, legacy links, tokens and the domain types' way through the database.
//! They must not start a server or touch media: the integration tests do that.

use super::*;
use crate::domain::{DocumentKind, JobKind, JobState, SessionState};

/// A fresh catalog; the directory lives as long as the returned guard.
async fn fresh() -> (Catalog, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("aula.db").display());
    (Catalog::open(&url).await.unwrap(), dir)
}

/// The next transcode job `owner` claims for 60 s, if any.
async fn next_transcode(catalog: &Catalog, owner: &str) -> Option<JobRow> {
    catalog
        .claim_next_job(owner, 60, JobKind::Transcode)
        .await
        .unwrap()
}

/// A session with a one-part recording; returns its id and its transcode job's.
async fn new_session(catalog: &Catalog, title: &str) -> CreatedSession {
    let body = BodyName::parse("Consiglio comunale").unwrap();
    let title = SessionTitle::parse(title).unwrap();
    let sha = format!("{:0>64}", title.as_str().len());
    catalog
        .create_session(
            &NewSession {
                body: &body,
                date: SessionDate::parse("2010-01-01").unwrap(),
                title: &title,
                kind: "ordinary",
                number: None,
            },
            &[NewRecording {
                sha256: &sha,
                original_name: "seduta.mp4",
                size_bytes: 1,
                stored_path: "originals/x",
                duration_ms: Some(60_000),
                probe_json: "{}",
            }],
            "{}",
        )
        .await
        .unwrap()
}

fn media_version(job: (i64, &str)) -> NewMediaVersion<'_> {
    NewMediaVersion {
        version: 1,
        dir: "1/1",
        profile: "test",
        master_playlist: "master.m3u8",
        mp4_file: None,
        audio_playlist: None,
        audio_file: None,
        poster_file: None,
        thumbnails_vtt: None,
        duration_ms: 60_000,
        warnings: None,
        cuts: None,
        job: Some(job),
        transcribe: false,
    }
}

fn document(kind: DocumentKind, sha: &str) -> NewDocument<'_> {
    NewDocument {
        kind,
        original_name: "doc.txt",
        sha256: sha,
        size_bytes: 1,
        stored_path: "originals/doc",
        media_type: "text/plain",
        text: Some("testo"),
        extraction_state: crate::domain::ExtractionState::Ok,
        extraction_note: None,
    }
}

/// A human transcript of one-second cues (start ms, text), attached to session `id`.
async fn add_transcript(catalog: &Catalog, id: i64, cues: &[(i64, &str)]) {
    let transcript = catalog
        .add_document(id, &document(DocumentKind::Transcript, "t"), &[])
        .await
        .unwrap();
    let cues: Vec<NewCue> = cues
        .iter()
        .map(|&(start_ms, text)| NewCue {
            start_ms,
            end_ms: start_ms + 1_000,
            speaker: None,
            text,
        })
        .collect();
    catalog.add_cues(id, transcript, &cues).await.unwrap();
}

async fn state(catalog: &Catalog, id: i64) -> SessionState {
    catalog.session(id).await.unwrap().unwrap().state
}

#[tokio::test]
async fn a_session_is_created_published_withheld_and_published_again() {
    let (catalog, _dir) = fresh().await;
    let created = new_session(&catalog, "Seduta ordinaria").await;
    let id = created.session_id;
    let row = catalog.session(id).await.unwrap().unwrap();
    assert_eq!(row.state, SessionState::Processing);
    assert_eq!(row.title, "Seduta ordinaria");
    assert_eq!(row.body_slug, "consiglio-comunale");
    assert_eq!(catalog.count_sessions().await.unwrap(), 1);

    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert_eq!(job.id, created.job_id);
    catalog
        .publish_media(id, &media_version((job.id, "w1")), &[])
        .await
        .unwrap();
    assert!(catalog.finish_job(job.id, "w1", None).await.unwrap());
    let row = catalog.session(id).await.unwrap().unwrap();
    assert_eq!(row.state, SessionState::Published);
    assert_eq!(row.media_dir.as_deref(), Some("1/1"));
    assert!(catalog.is_public_media_dir("1/1").await.unwrap());

    assert!(catalog.set_withheld(id, Some("privacy")).await.unwrap());
    let row = catalog.session(id).await.unwrap().unwrap();
    assert_eq!(row.state, SessionState::Withheld);
    assert_eq!(row.state_reason.as_deref(), Some("privacy"));
    assert!(!row.is_public());
    assert!(catalog.list_sessions(10, 0).await.unwrap().is_empty());
    assert!(!catalog.is_public_media_dir("1/1").await.unwrap());

    // Its media were made without any withheld range: they show again at once.
    assert!(catalog.set_withheld(id, None).await.unwrap());
    assert_eq!(state(&catalog, id).await, SessionState::Published);
    assert!(!catalog.set_withheld(id + 1, None).await.unwrap());
}

#[tokio::test]
async fn a_lease_lost_refuses_the_publication() {
    let (catalog, _dir) = fresh().await;
    let id = new_session(&catalog, "Seduta").await.session_id;
    let job = next_transcode(&catalog, "w1").await.unwrap();
    let refused = catalog
        .publish_media(id, &media_version((job.id, "w2")), &[])
        .await;
    assert!(
        matches!(refused, Err(CatalogError::LeaseLost)),
        "{refused:?}"
    );
    assert_eq!(state(&catalog, id).await, SessionState::Processing);
}

#[tokio::test]
async fn a_job_is_claimed_renewed_retried_failed_and_queued_again() {
    let (catalog, _dir) = fresh().await;
    let created = new_session(&catalog, "Seduta").await;
    let queued = catalog.job(created.job_id).await.unwrap().unwrap();
    assert_eq!(
        (queued.kind, queued.state),
        (JobKind::Transcode, JobState::Queued)
    );

    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert_eq!((job.state, job.attempts), (JobState::Running, 1));
    assert_eq!(job.lease_owner.as_deref(), Some("w1"));
    assert!(next_transcode(&catalog, "w2").await.is_none());

    let progress = JobProgress {
        percent: 40.0,
        speed: Some(2.0),
        eta_seconds: Some(30),
    };
    assert!(catalog
        .job_progress(job.id, "w1", Some(&progress), 60)
        .await
        .unwrap());
    assert!(!catalog
        .job_progress(job.id, "w2", Some(&progress), 60)
        .await
        .unwrap());
    assert_eq!(
        catalog.job(job.id).await.unwrap().unwrap().progress,
        Some(40.0)
    );

    // Retried at once: queued again with the reason kept, and claimable.
    assert_eq!(
        catalog.retry_job(job.id, "w1", "flaky", 0).await.unwrap(),
        Some(true)
    );
    let retried = catalog.job(job.id).await.unwrap().unwrap();
    assert_eq!(retried.state, JobState::Queued);
    assert_eq!(retried.error.as_deref(), Some("flaky"));
    let job = next_transcode(&catalog, "w2").await.unwrap();
    assert_eq!(job.attempts, 2);

    // Only the lease holder finishes it.
    assert!(!catalog.finish_job(job.id, "w1", None).await.unwrap());
    assert!(catalog
        .finish_job(job.id, "w2", Some("broken"))
        .await
        .unwrap());
    let failed = catalog.job(job.id).await.unwrap().unwrap();
    assert_eq!(failed.state, JobState::Failed);
    assert!(next_transcode(&catalog, "w1").await.is_none());

    // A clerk's retry starts afresh.
    assert!(catalog.requeue_job(job.id).await.unwrap());
    assert!(!catalog.requeue_job(job.id).await.unwrap());
    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert_eq!(job.attempts, 1);
    assert!(catalog.finish_job(job.id, "w1", None).await.unwrap());
    let done = catalog.job(job.id).await.unwrap().unwrap();
    assert_eq!((done.state, done.progress), (JobState::Done, Some(100.0)));
    assert_eq!(
        catalog.job_counts().await.unwrap(),
        vec![JobCount {
            state: JobState::Done,
            jobs: 1
        }]
    );
    assert_eq!(
        catalog.jobs(Some(JobState::Done), 10).await.unwrap().len(),
        1
    );
    assert!(catalog
        .jobs(Some(JobState::Queued), 10)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn a_released_job_keeps_its_attempt_and_a_delayed_retry_waits() {
    let (catalog, _dir) = fresh().await;
    new_session(&catalog, "Seduta").await;
    let job = next_transcode(&catalog, "w1").await.unwrap();
    catalog.release_job(job.id, "w1").await.unwrap();
    let released = catalog.job(job.id).await.unwrap().unwrap();
    assert_eq!((released.state, released.attempts), (JobState::Queued, 0));

    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert_eq!(
        catalog
            .retry_job(job.id, "w1", "later", 3600)
            .await
            .unwrap(),
        Some(true)
    );
    assert!(next_transcode(&catalog, "w1").await.is_none());
    assert_eq!(catalog.retry_job(job.id, "w9", "x", 0).await.unwrap(), None);
}

#[tokio::test]
async fn a_failed_job_fails_its_session_and_retrying_it_resumes_it() {
    let (catalog, _dir) = fresh().await;
    let id = new_session(&catalog, "Seduta").await.session_id;
    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert!(catalog.finish_job(job.id, "w1", Some("bad")).await.unwrap());
    catalog.set_session_failed(id, "bad").await.unwrap();
    assert_eq!(state(&catalog, id).await, SessionState::Failed);
    assert!(catalog.requeue_job(job.id).await.unwrap());
    assert_eq!(state(&catalog, id).await, SessionState::Processing);
}

#[tokio::test]
async fn legacy_links_are_added_once_and_conflicts_write_nothing() {
    let (catalog, _dir) = fresh().await;
    let links = vec![
        ("/old/a".to_string(), Some("/sedute/1".to_string())),
        ("/old/b".to_string(), None),
    ];
    assert_eq!(
        catalog.add_legacy_links(&links).await.unwrap(),
        LegacyImport::Added {
            added: 2,
            unchanged: 0
        }
    );
    assert_eq!(
        catalog.add_legacy_links(&links).await.unwrap(),
        LegacyImport::Added {
            added: 0,
            unchanged: 2
        }
    );
    let clash = vec![
        ("/old/c".to_string(), None),
        ("/old/a".to_string(), Some("/sedute/2".to_string())),
    ];
    let LegacyImport::Conflicts(conflicts) = catalog.add_legacy_links(&clash).await.unwrap() else {
        panic!("a conflict was accepted");
    };
    assert_eq!(conflicts, vec!["/old/a already leads to /sedute/1"]);
    assert_eq!(
        catalog.legacy_target("/old/a").await.unwrap(),
        Some(LegacyTarget::Moved("/sedute/1".into()))
    );
    assert_eq!(
        catalog.legacy_target("/old/b").await.unwrap(),
        Some(LegacyTarget::Gone)
    );
    assert_eq!(catalog.legacy_target("/old/c").await.unwrap(), None);
}

#[tokio::test]
async fn unmapped_requests_are_counted_until_mapped() {
    let (catalog, _dir) = fresh().await;
    catalog.count_unmapped("/old/x").await.unwrap();
    catalog.count_unmapped("/old/x").await.unwrap();
    let report = catalog.unmapped_report(10).await.unwrap();
    assert_eq!(report.len(), 1);
    assert_eq!((report[0].path.as_str(), report[0].hits), ("/old/x", 2));
    catalog
        .add_legacy_links(&[("/old/x".to_string(), None)])
        .await
        .unwrap();
    assert!(catalog.unmapped_report(10).await.unwrap().is_empty());
}

#[tokio::test]
async fn tokens_are_found_by_hash_only() {
    let (catalog, _dir) = fresh().await;
    let id = catalog.add_token("ci", "hash-1").await.unwrap();
    assert!(id > 0);
    assert_eq!(
        catalog.use_token("hash-1").await.unwrap().as_deref(),
        Some("ci")
    );
    assert_eq!(catalog.use_token("ci").await.unwrap(), None);
    assert_eq!(catalog.use_token("").await.unwrap(), None);
}

#[tokio::test]
async fn kinds_go_through_the_database_as_the_catalog_spells_them() {
    let (catalog, _dir) = fresh().await;
    let id = new_session(&catalog, "Seduta").await.session_id;
    for (kind, sha) in [
        (DocumentKind::Minutes, "m"),
        (DocumentKind::TimedAgenda, "t"),
    ] {
        catalog
            .add_document(id, &document(kind, sha), &[])
            .await
            .unwrap();
    }
    let kinds: Vec<DocumentKind> = catalog
        .documents(id)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, [DocumentKind::Minutes, DocumentKind::Attachment]);
    let stored: Vec<String> = sqlx::query_scalar("SELECT kind FROM documents ORDER BY id")
        .fetch_all(catalog.pool())
        .await
        .unwrap();
    assert_eq!(stored, ["minutes", "attachment"]);
    let stored: String = sqlx::query_scalar("SELECT state FROM sessions WHERE id = $1")
        .bind(id)
        .fetch_one(catalog.pool())
        .await
        .unwrap();
    assert_eq!(stored.parse::<SessionState>(), Ok(SessionState::Processing));
}

#[tokio::test]
async fn a_public_session_comes_with_its_agenda_documents_and_cues() {
    let (catalog, _dir) = fresh().await;
    let id = new_session(&catalog, "Seduta").await.session_id;
    let items = [(Some("1".to_string()), "Bilancio".to_string())];
    catalog
        .add_document(id, &document(DocumentKind::Agenda, "a"), &items)
        .await
        .unwrap();
    add_transcript(&catalog, id, &[(1_000, "buongiorno"), (20_000, "segreto")]).await;

    let public = catalog.public_session(id).await.unwrap().unwrap();
    assert_eq!(public.session.id, id);
    assert_eq!(public.agenda.len(), 1);
    assert_eq!(public.agenda[0].title, "Bilancio");
    assert_eq!(public.documents.len(), 2);
    assert_eq!(public.cues.len(), 2);

    // A withheld range hides what was said in it, and the transcript's original.
    let range = WithheldRange {
        start_ms: 15_000,
        end_ms: 30_000,
        reason: None,
    };
    catalog.set_withheld_ranges(id, &[range]).await.unwrap();
    let public = catalog.public_session(id).await.unwrap().unwrap();
    let texts: Vec<&str> = public.cues.iter().map(|c| c.text.as_str()).collect();
    assert_eq!(texts, ["buongiorno"]);
    assert_eq!(public.documents.len(), 1);
    assert_eq!(public.documents[0].kind, DocumentKind::Agenda);

    catalog.set_withheld(id, Some("privacy")).await.unwrap();
    assert!(catalog.public_session(id).await.unwrap().is_none());
    assert!(catalog.public_session(id + 1).await.unwrap().is_none());
}

/// An unconfirmed subscription of `email` to `follows`, as the form makes it.
async fn subscribe(catalog: &Catalog, email: &str, follows: &str, token: &str) -> Subscribed {
    let new = NewSubscription {
        email,
        follows,
        label: "«fornace»",
        frequency: crate::domain::Frequency::Daily,
        lang: "it",
        origin: "https://video.example.it",
        token,
    };
    let mail = NewMail {
        subject: "Conferma",
        body: "…",
    };
    catalog.subscribe(&new, &mail).await.unwrap()
}

#[tokio::test]
async fn a_subscription_is_due_when_its_time_comes_and_a_match_is_told_once() {
    let (catalog, _dir) = fresh().await;
    let (a, b) = (
        new_session(&catalog, "A").await,
        new_session(&catalog, "Bb").await,
    );
    // One confirmation per address and follow while unconfirmed; at most five in all.
    assert!(matches!(
        subscribe(&catalog, "m@x.it", "f1", "t1").await,
        Subscribed::Queued { .. }
    ));
    assert_eq!(
        subscribe(&catalog, "m@x.it", "f1", "t1b").await,
        Subscribed::NotSent
    );
    for n in 2..=5 {
        let queued = subscribe(&catalog, "m@x.it", &format!("f{n}"), &format!("t{n}")).await;
        assert!(matches!(queued, Subscribed::Queued { .. }));
    }
    assert_eq!(
        subscribe(&catalog, "m@x.it", "f6", "t6").await,
        Subscribed::NotSent
    );

    // Confirmed with A already matching, its first digest at 1000.
    let confirmed = catalog
        .confirm_subscription("t1", 1000, &[a.session_id])
        .await
        .unwrap();
    let confirmed = confirmed.unwrap();
    assert!(catalog
        .due_subscriptions(999, false)
        .await
        .unwrap()
        .is_empty());
    let due = catalog.due_subscriptions(1000, false).await.unwrap();
    assert_eq!(
        due,
        vec![Subscription {
            next_digest_at: Some(1000),
            ..confirmed
        }]
    );
    let sessions = [a.session_id, b.session_id];
    assert_eq!(
        catalog.untold(due[0].id, &sessions).await.unwrap(),
        [b.session_id]
    );

    // Two servers compose the same digest: one queues it, the other finds it moved.
    let mail = NewMail {
        subject: "Digest",
        body: "B",
    };
    let first = catalog
        .queue_digest(&due[0], 2000, &sessions, &mail)
        .await
        .unwrap();
    assert!(matches!(first, Some(Some(_))), "{first:?}");
    let second = catalog
        .queue_digest(&due[0], 2000, &sessions, &mail)
        .await
        .unwrap();
    assert_eq!(second, None);
    let again = catalog.due_subscriptions(2000, false).await.unwrap();
    assert!(catalog
        .untold(again[0].id, &sessions)
        .await
        .unwrap()
        .is_empty());
    // Nothing new: the time moves, no message.
    assert_eq!(
        catalog
            .queue_digest(&again[0], 3000, &sessions, &mail)
            .await
            .unwrap(),
        Some(None)
    );

    // Leaving deletes it; unconfirmed ones go after their time.
    assert!(catalog.unsubscribe("t1").await.unwrap());
    assert!(!catalog.unsubscribe("t1").await.unwrap());
    assert!(catalog.subscription("t1").await.unwrap().is_none());
    assert_eq!(catalog.forget_unconfirmed(now() + 1).await.unwrap(), 4);
}

/// A roster of three: two councillors of different terms and the council's president.
const ROSTER: &str = "nome;cognome;ruolo;organo;gruppo;dal;al\n\
    Mario;Rossi;consigliere;Consiglio comunale;A;2009-06-01;\n\
    Anna;Verdi;presidente;Consiglio comunale;;2009-06-01;\n\
    Luca;Neri;consigliere;Consiglio comunale;B;2015-01-01;\n";

async fn import_roster(
    catalog: &Catalog,
    text: &str,
) -> std::result::Result<crate::people::roster::RosterImported, Vec<crate::import::Problem>> {
    let rows = crate::import::read_rows(text).unwrap();
    crate::people::roster::import(catalog, rows, false)
        .await
        .unwrap()
}

#[tokio::test]
async fn the_roster_is_imported_whole_or_not_at_all() {
    let (catalog, _dir) = fresh().await;
    let id = new_session(&catalog, "Seduta").await.session_id;
    let done = import_roster(&catalog, ROSTER).await.unwrap();
    assert_eq!((done.people, done.new_people, done.roles), (3, 3, 3));
    let again = import_roster(&catalog, ROSTER).await.unwrap();
    assert_eq!((again.people, again.new_people, again.roles), (3, 0, 3));
    // On 2010-01-01 Neri was not yet a councillor; Verdi chaired the council.
    let members = catalog.members_on(id).await.unwrap();
    let names: Vec<&str> = members.iter().map(|m| m.family_name.as_str()).collect();
    assert_eq!(names, ["Rossi", "Verdi"]);
    assert!(members[1].has(crate::domain::RoleKind::President));
    // A second president over the same dates contradicts the roster: nothing is written.
    let problems = import_roster(
        &catalog,
        "nome;cognome;ruolo;organo;dal\nLuca;Neri;presidente;Consiglio comunale;2012-01-01\nPia;Blu;consigliere;Consiglio comunale;2012-01-01\n",
    )
    .await
    .unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0]
            .to_string()
            .starts_with("line 2: Luca Neri and Anna Verdi (already in the roster)"),
        "{problems:?}"
    );
    assert!(catalog.person("pia-blu").await.unwrap().is_none());
}

/// A session with the test roster and a three-cue transcript: its id, Rossi's and Verdi's.
async fn session_with_people(catalog: &Catalog) -> (i64, i64, i64) {
    let id = new_session(catalog, "Seduta").await.session_id;
    import_roster(catalog, ROSTER).await.unwrap();
    let rossi = catalog.person("mario-rossi").await.unwrap().unwrap().id;
    let verdi = catalog.person("anna-verdi").await.unwrap().unwrap().id;
    let cues = [(1_000, "uno"), (12_000, "due"), (20_000, "tre")];
    add_transcript(catalog, id, &cues).await;
    (id, rossi, verdi)
}

/// Who speaks each public cue, by family name.
async fn speakers(catalog: &Catalog, id: i64) -> Vec<Option<String>> {
    let cues = catalog.cues(id).await.unwrap();
    cues.into_iter()
        .map(|c| c.person.map(|p| p.family_name))
        .collect()
}

#[tokio::test]
async fn an_editors_turn_outlasts_the_readings() {
    use crate::catalog::NewTurn;
    use crate::domain::Provenance;
    let (catalog, _dir) = fresh().await;
    let (id, rossi, verdi) = session_with_people(&catalog).await;
    let turn = |start_ms, person_id| NewTurn {
        start_ms,
        person_id,
        label: None,
        confidence: None,
    };
    let read = [turn(0, Some(rossi)), turn(10_000, Some(verdi))];
    let reread = || catalog.replace_read_turns(id, Provenance::Label, &read);
    assert!(reread().await.unwrap());
    // The same reading again is no change for search to follow.
    let noted = catalog.last_change().await.unwrap();
    assert!(!reread().await.unwrap());
    assert_eq!(catalog.last_change().await.unwrap(), noted);
    let (rossi_s, verdi_s) = (Some("Rossi".to_string()), Some("Verdi".to_string()));
    let all = [rossi_s.clone(), verdi_s.clone(), verdi_s.clone()];
    assert_eq!(speakers(&catalog, id).await, all);
    // The editor says Rossi went on until 15 s, and the reading is done again.
    catalog
        .set_editor_turn(id, 11_000, 15_000, Some(rossi))
        .await
        .unwrap();
    reread().await.unwrap();
    let all = [rossi_s.clone(), rossi_s, verdi_s];
    assert_eq!(speakers(&catalog, id).await, all);
    // A second editor's turn inside the first cuts it; both ends keep their person.
    catalog
        .set_editor_turn(id, 12_000, 13_000, None)
        .await
        .unwrap();
    let editor: Vec<(i64, Option<i64>, Option<i64>)> = catalog
        .turns(id)
        .await
        .unwrap()
        .iter()
        .filter(|t| t.source == Provenance::Editor)
        .map(|t| (t.start_ms, t.end_ms, t.person.as_ref().map(|p| p.id)))
        .collect();
    let expected = [
        (11_000, Some(12_000), Some(rossi)),
        (12_000, Some(13_000), None),
        (13_000, Some(15_000), Some(rossi)),
    ];
    assert_eq!(editor, expected);
}

#[tokio::test]
async fn the_most_trusted_record_stands() {
    use crate::catalog::NewRecord;
    use crate::domain::Provenance;
    let (catalog, _dir) = fresh().await;
    let (id, rossi, _) = session_with_people(&catalog).await;
    let catalog = &catalog;
    let replace = |source, present| async move {
        let record = NewRecord {
            attendance: vec![(rossi, present)],
            votes: Vec::new(),
        };
        catalog.replace_record(id, source, &record).await.unwrap()
    };
    assert!(replace(Provenance::Minutes, true).await);
    assert!(replace(Provenance::Import, false).await);
    // The minutes read again do not undo the import, nor an import the editor's record.
    assert!(!replace(Provenance::Minutes, true).await);
    assert!(replace(Provenance::Editor, true).await);
    assert!(!replace(Provenance::Import, false).await);
    let attendance = catalog.attendance(id).await.unwrap();
    assert_eq!(attendance.len(), 1);
    assert!(attendance[0].present);
    assert_eq!(attendance[0].source, Provenance::Editor);
    assert_eq!(attendance[0].party.as_deref(), Some("A"));
}

#[tokio::test]
async fn every_public_vote_is_read_at_once_with_who_voted_how() {
    use crate::catalog::{Counts, NewRecord, NewVote};
    use crate::domain::{Provenance, VoteChoice};
    let (catalog, _dir) = fresh().await;
    let (first, rossi, verdi) = session_with_people(&catalog).await;
    let second = new_session(&catalog, "Seduta seconda").await.session_id;
    let closed = new_session(&catalog, "Seduta a porte chiuse")
        .await
        .session_id;
    let vote = |title: &str, people: Vec<(i64, VoteChoice)>| NewVote {
        item_number: None,
        item_title: title.to_string(),
        outcome: None,
        counts: Counts::default(),
        unanimous: false,
        problem: None,
        excerpt: None,
        people,
    };
    let record = |votes| NewRecord {
        attendance: Vec::new(),
        votes,
    };
    let votes = vec![
        vote(
            "Bilancio",
            vec![(rossi, VoteChoice::InFavour), (verdi, VoteChoice::Against)],
        ),
        vote("Mozione", Vec::new()),
    ];
    for (id, votes) in [
        (second, votes),
        (
            first,
            vec![vote("Verbali", vec![(verdi, VoteChoice::Abstained)])],
        ),
        (
            closed,
            vec![vote("Segreto", vec![(rossi, VoteChoice::Against)])],
        ),
    ] {
        assert!(catalog
            .replace_record(id, Provenance::Import, &record(votes))
            .await
            .unwrap());
    }
    assert!(catalog
        .set_withheld(closed, Some("riservata"))
        .await
        .unwrap());
    let all = catalog.public_votes().await.unwrap();
    type Seen<'a> = (i64, &'a str, Vec<(&'a str, VoteChoice)>);
    let seen: Vec<Seen> = all
        .iter()
        .map(|v| {
            let people = v
                .people
                .iter()
                .map(|p| (p.person.slug.as_str(), p.choice))
                .collect();
            (v.session_id, v.item_title.as_str(), people)
        })
        .collect();
    let expected = vec![
        (
            first,
            "Verbali",
            vec![("anna-verdi", VoteChoice::Abstained)],
        ),
        (
            second,
            "Bilancio",
            vec![
                ("mario-rossi", VoteChoice::InFavour),
                ("anna-verdi", VoteChoice::Against),
            ],
        ),
        (second, "Mozione", vec![]),
    ];
    assert_eq!(
        seen, expected,
        "one date: by session, then as taken; none withheld"
    );
    for id in [first, second] {
        let one: Vec<_> = all.iter().filter(|v| v.session_id == id).cloned().collect();
        assert_eq!(one, catalog.votes(id).await.unwrap());
    }
}

#[tokio::test]
async fn a_live_stream_is_archived_once_a_version_after_its_end_is_published() {
    let (catalog, _dir) = fresh().await;
    let created = new_session(&catalog, "Seduta in diretta").await;
    let id = created.session_id;
    let armed = new_session(&catalog, "Seduta armata e mai iniziata").await;
    catalog.arm_live(id, &"a".repeat(64), None).await.unwrap();
    catalog
        .arm_live(armed.session_id, &"b".repeat(64), None)
        .await
        .unwrap();
    catalog.live_started(id).await.unwrap();
    let later = now() + 10;
    assert!(catalog
        .live_streams_archived(later)
        .await
        .unwrap()
        .is_empty());
    catalog.live_ended(id).await.unwrap();
    // Ended, its recording not yet published: the live files are all there is.
    assert!(catalog
        .live_streams_archived(later)
        .await
        .unwrap()
        .is_empty());

    let job = next_transcode(&catalog, "w1").await.unwrap();
    assert_eq!(job.session_id, Some(id));
    catalog
        .publish_media(id, &media_version((job.id, "w1")), &[])
        .await
        .unwrap();
    assert_eq!(catalog.live_streams_archived(later).await.unwrap(), [id]);
    // Published now: not yet by an hour ago.
    let hour_ago = now() - 3600;
    assert!(catalog
        .live_streams_archived(hour_ago)
        .await
        .unwrap()
        .is_empty());
}
