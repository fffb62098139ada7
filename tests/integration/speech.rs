//! Speech to text with the real engine (faster-whisper with Whisper base, installed by the
//! README's commands) on Italian speech that Festival says from known sentences: what it
//! hears, the captions, search landing in the sentence, a worker killed mid-way, a human
//! transcript taking over, a silent recording, and the engine missing.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use aula::speech::score::word_error_rate;
use serde_json::json;

use crate::helpers::{
    admin_token, aula, eventually, open_catalog, run_ok, run_refused, scratch, spawn_app, speak,
    synthesize, Ingest,
};

/// What the spoken session says, one sentence each.
const SAID: &[&str] = &[
    "Buongiorno a tutti, apriamo la seduta del consiglio comunale.",
    "Il primo punto all'ordine del giorno riguarda la variante al piano regolatore generale.",
    "La parola al consigliere Bianchi.",
    "Grazie presidente, la rete fognaria del quartiere nord deve essere rifatta entro l'anno prossimo.",
    "Passiamo alla votazione. La proposta è approvata all'unanimità.",
];

/// The word error rate the transcript must stay under. Measured here: 0.11 on these
/// sentences (Whisper base, int8, beam 5, Festival's pc_diphone voice; the mistakes are
/// names run together and "entro l'anno" misheard); the issue measured 0.16 on Festival's
/// voices at large. 0.25 leaves room for that spread and still fails a transcript that
/// lost a sentence (one of five is about 0.2) or heard garbage.
const WER_BOUND: f64 = 0.25;

struct SpokenArchive {
    data_dir: PathBuf,
    /// Where each sentence starts and ends in the recording, in seconds.
    times: Vec<(f64, f64)>,
    /// What `aula transcribe` said.
    said: String,
}

/// A spoken session with its agenda (whose words the engine is given), ingested with
/// transcription after publication on, then transcribed by `aula transcribe --all-missing`
/// (which follows the job the publication queued).
fn spoken_archive() -> &'static SpokenArchive {
    static ARCHIVE: OnceLock<SpokenArchive> = OnceLock::new();
    ARCHIVE.get_or_init(|| {
        let root = scratch("spoken-archive");
        let source = root.join("seduta 2009-03-12.mpg");
        let times = speak(&source, SAID, 1.0);
        let data_dir = root.join("data");
        let agenda = root.join("odg.txt");
        std::fs::write(
            &agenda,
            "ORDINE DEL GIORNO\n\n1. Variante al piano regolatore generale\n\
             2. Rifacimento della rete fognaria del quartiere nord\n",
        )
        .unwrap();
        Ingest::new(&data_dir)
            .file(&source)
            .agenda(&agenda)
            .body("Consiglio comunale")
            .date("2009-03-12")
            .title("Consiglio comunale del 12 marzo 2009")
            .envs([("AULA_TRANSCRIBE", "auto")])
            .assert_success();
        let jobs = run_ok(aula(&data_dir).arg("jobs"));
        let listed = String::from_utf8_lossy(&jobs.stdout);
        assert!(
            listed.contains("transcribe queued"),
            "publication queues the transcription: {listed}"
        );
        let out = run_ok(aula(&data_dir).args(["transcribe", "--all-missing"]));
        SpokenArchive {
            data_dir,
            times,
            said: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    })
}

/// `source` ingested and published as session 1, with no transcription queued.
fn publish(data_dir: &Path, source: &Path) {
    Ingest::new(data_dir)
        .file(source)
        .body("Consiglio comunale")
        .date("2009-03-12")
        .title("Seduta")
        .assert_success();
}

/// `sentences` spoken (see `speak`, `pause` seconds apart) and published as session 1:
/// its data directory, and where each sentence is in the recording.
fn spoken_session(name: &str, sentences: &[&str], pause: f64) -> (PathBuf, Vec<(f64, f64)>) {
    let root = scratch(name);
    let source = root.join("seduta.mpg");
    let times = speak(&source, sentences, pause);
    let data_dir = root.join("data");
    publish(&data_dir, &source);
    (data_dir, times)
}

/// `aula transcribe 1`, which must succeed; what it said.
fn transcribe(data_dir: &Path) -> String {
    let out = run_ok(aula(data_dir).args(["transcribe", "1"]));
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A published session whose sound is a steady tone (sound, but nobody speaking) over a
/// test picture, `seconds` long; its data directory.
fn toned_session(name: &str, seconds: u32) -> PathBuf {
    let root = scratch(name);
    let source = root.join("seduta.mpg");
    let encode = "-c:v mpeg2video -c:a mp2 -f vob";
    synthesize(
        &source,
        Some("320x240"),
        Some((440, 48000)),
        seconds,
        encode,
    );
    let data_dir = root.join("data");
    publish(&data_dir, &source);
    data_dir
}

/// The session's stored cues: (start ms, end ms, text, source).
async fn stored_cues(data_dir: &Path) -> Vec<aula::catalog::CueRow> {
    open_catalog(data_dir).await.cues(1).await.unwrap()
}

#[tokio::test]
async fn what_was_said_is_heard_within_the_bound() {
    let archive = spoken_archive();
    assert!(archive.said.contains("words heard"), "{}", archive.said);
    let cues = stored_cues(&archive.data_dir).await;
    assert!(!cues.is_empty());
    assert!(cues
        .iter()
        .all(|c| c.source == aula::domain::CueSource::Automatic));
    let heard: Vec<String> = cues.iter().map(|c| c.text.replace('\n', " ")).collect();
    let heard = heard.join(" ");
    let wer = word_error_rate(&SAID.join(" "), &heard);
    println!("word error rate {wer:.3}; heard: {heard}");
    assert!(
        wer <= WER_BOUND,
        "word error rate {wer:.3} over {WER_BOUND}: {heard}"
    );
    // The elision the engine splits ("all" + "'ordine") comes out whole.
    assert!(heard.contains("all'ordine"), "{heard}");
    let catalog = open_catalog(&archive.data_dir).await;
    let made = catalog.transcription(1).await.unwrap().unwrap();
    assert_eq!(made.state, aula::domain::TranscriptionState::Done);
    assert!(made.engine.starts_with("faster-whisper"), "{made:?}");
    assert_eq!(made.model, "whisper-base");
}

#[tokio::test]
async fn captions_follow_subtitle_practice() {
    let archive = spoken_archive();
    let app = spawn_app(&archive.data_dir).await;
    let response = app.get("/sedute/1/sottotitoli.vtt").await;
    assert_eq!(response.status(), 200);
    let vtt = response.text().await.unwrap();
    assert!(vtt.starts_with("WEBVTT"), "{vtt}");
    let mut cues = 0;
    for block in vtt.split("\n\n").skip(1).filter(|b| !b.trim().is_empty()) {
        let mut lines = block.lines();
        let timing = lines
            .find(|l| l.contains(" --> "))
            .unwrap_or_else(|| panic!("a cue without timing: {block:?}"));
        let (from, to) = timing.split_once(" --> ").unwrap();
        let length = seconds(to) - seconds(from);
        assert!((0.999..=7.001).contains(&length), "{length} s: {block}");
        let text: Vec<&str> = lines.collect();
        assert!((1..=2).contains(&text.len()), "{block}");
        assert!(text.iter().all(|l| l.chars().count() <= 42), "{block}");
        cues += 1;
    }
    assert!(cues >= SAID.len(), "{vtt}");
}

/// The session's page, as a citizen's browser gets it.
async fn session_page(app: &crate::helpers::TestApp) -> String {
    let response = app.get("/sedute/1").await;
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// `00:00:12.345` (or `00:12.345`) in seconds.
fn seconds(clock: &str) -> f64 {
    clock
        .trim()
        .split(':')
        .fold(0.0, |acc, part| acc * 60.0 + part.parse::<f64>().unwrap())
}

#[tokio::test]
async fn a_spoken_phrase_is_found_and_opens_in_its_sentence() {
    let archive = spoken_archive();
    let app = spawn_app(&archive.data_dir).await;
    // The agenda says "rete fognaria" too: only what was said is asked for.
    let found = app
        .search_finds("%22rete%20fognaria%22&kind=automatic_transcript", 1)
        .await;
    let hit = &found["results"][0]["passages"][0];
    assert_eq!(hit["kind"], "automatic_transcript", "{found}");
    let start = hit["start_seconds"]
        .as_f64()
        .expect("a hit with its second");
    let (from, to) = archive.times[3];
    assert!(
        start >= from - 1.0 && start <= to,
        "the hit opens at {start} s; the sentence is {from:.1}-{to:.1} s: {found}"
    );
    // As a human transcript's, it is not found.
    let human = app.search("fognaria&kind=transcript").await;
    assert_eq!(human["total"], 0, "{human}");
}

#[tokio::test]
async fn a_human_transcript_replaces_the_automatic_one() {
    let (data_dir, _) = spoken_session("speech-human", &SAID[..2], 0.8);
    let app = spawn_app(&data_dir).await;
    // Queued by an editor: the session is public already, and its page says the text is
    // coming.
    let token = admin_token(&data_dir);
    let admin = app.admin(&token);
    let (status, queued) = admin
        .post("/api/v1/admin/sessions/1/transcribe", json!({}))
        .await;
    assert_eq!(status, 202, "{queued}");
    let (status, again) = admin
        .post("/api/v1/admin/sessions/1/transcribe", json!({}))
        .await;
    assert_eq!(
        (status, &again["job_id"]),
        (202, &queued["job_id"]),
        "a queued job is reused"
    );
    let page = session_page(&app).await;
    assert!(page.contains("Trascrizione automatica in corso"), "{page}");
    assert!(!page.contains("<track kind=\"captions\""), "{page}");
    assert_eq!(app.json("/api/v1/sessions/1").await["transcribing"], true);
    transcribe(&data_dir);
    let cues = stored_cues(&data_dir).await;
    assert!(cues
        .iter()
        .all(|c| c.source == aula::domain::CueSource::Automatic));
    // Heard: captions labelled automatic, and the pane says it may be wrong.
    let page = session_page(&app).await;
    assert!(page.contains("label=\"Italiano (automatici)\""), "{page}");
    assert!(
        page.contains("Trascrizione automatica: può contenere errori."),
        "{page}"
    );
    let json = app.json("/api/v1/sessions/1").await;
    assert_eq!(json["transcript"]["automatic"], true, "{json}");
    assert_eq!(json["transcribing"], false, "{json}");
    let srt = "1\n00:00:00,500 --> 00:00:04,000\nBuongiorno a tutti, si apre la seduta.\n";
    let (status, doc) = admin
        .upload(
            "/api/v1/admin/sessions/1/documents?kind=transcript&name=trascrizione.srt",
            srt.into(),
        )
        .await;
    assert_eq!(status, 201, "{doc}");
    let cues = stored_cues(&data_dir).await;
    assert_eq!(cues.len(), 1, "{cues:?}");
    assert_eq!(cues[0].source, aula::domain::CueSource::Human);
    let catalog = open_catalog(&data_dir).await;
    assert_eq!(catalog.transcription(1).await.unwrap(), None);
    let page = session_page(&app).await;
    assert!(page.contains("label=\"Italiano\""), "{page}");
    assert!(!page.contains("Trascrizione automatica"), "{page}");
    // Asking again changes nothing: the human transcript is kept.
    let said = transcribe(&data_dir);
    assert!(said.contains("human transcript"), "{said}");
    let (status, refused) = admin
        .post("/api/v1/admin/sessions/1/transcribe", json!({}))
        .await;
    assert_eq!(
        (status, &refused["title"]),
        (409, &json!("Human transcript")),
        "{refused}"
    );
    let (status, _) = admin
        .post("/api/v1/admin/sessions/99/transcribe", json!({}))
        .await;
    assert_eq!(status, 404);
    assert_eq!(stored_cues(&data_dir).await.len(), 1);
}

#[tokio::test]
async fn a_recording_without_speech_gets_an_empty_transcript() {
    let data_dir = toned_session("speech-silent", 8);
    let said = transcribe(&data_dir);
    assert!(said.contains("no speech found"), "{said}");
    assert!(stored_cues(&data_dir).await.is_empty());
    let made = open_catalog(&data_dir)
        .await
        .transcription(1)
        .await
        .unwrap();
    assert_eq!(
        made.map(|t| t.state),
        Some(aula::domain::TranscriptionState::Empty)
    );
}

#[tokio::test]
async fn a_killed_worker_resumes_from_its_last_finished_chunk() {
    let (data_dir, times) = spoken_session("speech-resume", SAID, 2.0);
    // Chunks of about 10 s: the recording makes three or four, each heard by a fresh
    // engine (so the resumed run, with two or more left, changes engines too).
    let chunked = [
        ("AULA_ASR_CHUNK_SECONDS", "10"),
        ("AULA_ASR_CHUNKS_PER_ENGINE", "1"),
        ("AULA_JOB_LEASE_SECONDS", "2"),
    ];
    let mut first = aula(&data_dir)
        .args(["transcribe", "1"])
        .envs(chunked)
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let catalog = open_catalog(&data_dir).await;
    let media_dir = catalog
        .session(1)
        .await
        .unwrap()
        .unwrap()
        .media_dir
        .unwrap();
    let kept = || catalog.transcription_chunks(1, &media_dir);
    eventually(
        "a first chunk is kept",
        Duration::from_secs(120),
        || async {
            match kept().await.unwrap().len() {
                0 => Err(0),
                n => Ok(n),
            }
        },
    )
    .await;
    first.kill().unwrap();
    first.wait().unwrap();
    // Once the dead worker's lease has expired, the next run takes the job over.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let out = run_ok(aula(&data_dir).args(["transcribe", "1"]).envs(chunked));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("resumed from an earlier run"), "{said}");
    let cues = stored_cues(&data_dir).await;
    let heard: Vec<String> = cues.iter().map(|c| c.text.replace('\n', " ")).collect();
    let wer = word_error_rate(&SAID.join(" "), &heard.join(" "));
    assert!(wer <= WER_BOUND, "after resuming, {wer:.3}: {heard:?}");
    // Every sentence is covered by a cue near where it was said.
    for (from, to) in times {
        assert!(
            cues.iter()
                .any(|c| (c.start_ms as f64) < to * 1000.0 && (c.end_ms as f64) > from * 1000.0),
            "nothing heard in {from:.1}-{to:.1} s: {cues:?}"
        );
    }
    assert!(
        kept().await.unwrap().is_empty(),
        "kept chunks are removed once the transcript is stored"
    );
}

#[test]
fn without_the_engine_transcription_fails_clearly_and_nothing_else_does() {
    let data_dir = toned_session("speech-missing", 3);
    let missing = [("AULA_ASR_PYTHON", "/nonexistent/python3")];
    let err = run_refused(aula(&data_dir).args(["transcribe", "1"]).envs(missing));
    assert!(
        err.contains("speech engine is not available") && err.contains("AULA_ASR_PYTHON"),
        "{err}"
    );
    // The session is still published; doctor warns and still passes.
    let doctor = aula(&data_dir)
        .arg("doctor")
        .envs(missing)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&doctor.stdout);
    assert!(doctor.status.success(), "{report}");
    assert!(report.contains("WARN speech to text"), "{report}");
    let out = run_ok(aula(&data_dir).args(["jobs", "--state", "failed"]));
    let listed = String::from_utf8_lossy(&out.stdout);
    assert!(listed.contains("transcribe"), "{listed}");
    let sessions = run_ok(aula(&data_dir).args(["jobs", "--state", "done"]));
    assert!(String::from_utf8_lossy(&sessions.stdout).contains("transcode"));
}

/// Everything a citizen can read of session 1: captions, transcript downloads, the API's
/// JSON, the page, and what search finds for `word`.
async fn public_text(app: &crate::helpers::TestApp, word: &str) -> Vec<String> {
    let mut seen = Vec::new();
    for path in [
        "/sedute/1/sottotitoli.vtt",
        "/sedute/1/trascrizione.vtt",
        "/sedute/1/trascrizione.srt",
        "/sedute/1",
        "/api/v1/sessions/1",
    ] {
        seen.push(app.text(path).await);
    }
    seen.push(app.search(word).await["results"].to_string());
    seen
}

#[tokio::test]
async fn a_withheld_range_leaves_no_word_of_it_anywhere_public() {
    let (data_dir, times) = spoken_session("speech-withheld", SAID, 1.0);
    transcribe(&data_dir);
    let app = spawn_app(&data_dir).await;
    app.search_finds("quartiere", 1).await;
    // The fourth sentence (the sewers of the northern quarter) is withheld after it was heard: its captions go
    // at once, before the cut version is even made.
    let (from, to) = times[3];
    let token = admin_token(&data_dir);
    let (status, cut) = app
        .admin(&token)
        .put(
            "/api/v1/admin/sessions/1/withheld-ranges",
            json!({"ranges": [{"from_seconds": from - 0.3, "to_seconds": to + 0.3,
                               "reason": "dati personali"}]}),
        )
        .await;
    assert_eq!(status, 202, "{cut}");
    app.search_finds("quartiere", 0).await;
    for text in public_text(&app, "quartiere").await {
        assert!(
            !text.contains("quartiere") && !text.contains("rifatta"),
            "{text}"
        );
    }
    // Heard again from the version without it: the engine never hears those words.
    crate::helpers::run_job(&data_dir, cut["job_id"].as_i64().unwrap()).await;
    transcribe(&data_dir);
    let stored = stored_cues(&data_dir).await;
    let all: Vec<String> = stored.iter().map(|c| c.text.replace('\n', " ")).collect();
    let all = all.join(" ");
    assert!(
        !all.contains("quartiere") && !all.contains("rifatta"),
        "{all}"
    );
    // What follows the cut is still heard, where the cut media play it (the original's
    // time less the cut).
    let cut_ms = (to - from + 0.6) * 1000.0;
    let (last_from, last_to) = times[4];
    assert!(
        stored.iter().any(|c| c.text.contains("proposta")
            && (c.start_ms as f64) >= last_from * 1000.0 - cut_ms - 1000.0
            && (c.start_ms as f64) <= last_to * 1000.0 - cut_ms),
        "{stored:?}"
    );
    app.search_finds("proposta", 1).await;
    for text in public_text(&app, "quartiere").await {
        assert!(!text.contains("quartiere"), "{text}");
    }
}

#[tokio::test]
async fn an_editors_corrections_reach_captions_and_search_and_survive_a_rerun() {
    let (data_dir, _) = spoken_session("speech-corrections", &SAID[..3], 1.0);
    transcribe(&data_dir);
    let app = spawn_app(&data_dir).await;
    let token = admin_token(&data_dir);
    let admin = app.admin(&token);
    let (status, heard) = admin.get("/api/v1/admin/sessions/1/transcript").await;
    assert_eq!(status, 200, "{heard}");
    let mut cues = heard["cues"].as_array().unwrap().clone();
    assert!(cues.len() >= 3, "{heard}");
    assert!(cues.iter().all(|c| c["source"] == "automatic"), "{heard}");
    // The editor retypes the first cue and merges the last two.
    cues[0]["text"] = json!("Buongiorno consiglieri e cittadinanza, apriamo la seduta.");
    let last = cues.pop().unwrap();
    let merged = cues.last_mut().unwrap();
    merged["end_seconds"] = last["end_seconds"].clone();
    let joined = format!(
        "{} {}",
        merged["text"].as_str().unwrap(),
        last["text"].as_str().unwrap()
    );
    merged["text"] = json!(joined);
    let (status, saved) = admin
        .put(
            "/api/v1/admin/sessions/1/transcript",
            json!({ "cues": cues }),
        )
        .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["corrected"], 2, "{saved}");
    let vtt = app.text("/sedute/1/sottotitoli.vtt").await;
    assert!(vtt.contains("consiglieri e cittadinanza"), "{vtt}");
    app.search_finds("cittadinanza", 1).await;
    // Heard again: what the editor set is kept, the rest is the engine's.
    transcribe(&data_dir);
    let (_, after) = admin.get("/api/v1/admin/sessions/1/transcript").await;
    let texts: Vec<&str> = after["cues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["text"].as_str().unwrap())
        .collect();
    assert!(
        texts.contains(&"Buongiorno consiglieri e cittadinanza, apriamo la seduta."),
        "{after}"
    );
    assert!(texts.contains(&joined.as_str()), "{after}");
    assert_eq!(
        texts.len(),
        cues.len(),
        "nothing heard again over a correction: {after}"
    );
    // Bad corrections change nothing.
    for bad in [
        json!({"cues": [{"start_seconds": 5, "end_seconds": 2, "text": "a rovescio"}]}),
        json!({"cues": [{"start_seconds": 1, "end_seconds": 2, "text": "  "}]}),
        json!({"cues": [{"start_seconds": 1, "end_seconds": 2}]}),
        json!({"cue": []}),
    ] {
        let (status, refused) = admin.put("/api/v1/admin/sessions/1/transcript", bad).await;
        assert!(status == 400 || status == 422, "{status} {refused}");
    }
    let (_, unchanged) = admin.get("/api/v1/admin/sessions/1/transcript").await;
    assert_eq!(unchanged, after);
}

/// The editor's form for `cues` as shown, with row 1's text replaced by `first`.
fn editor_form(cues: &[aula::catalog::CueRow], first: &str) -> Vec<(String, String)> {
    let mut form = Vec::new();
    for (i, c) in cues.iter().enumerate() {
        let n = i + 1;
        let text = if n == 1 {
            first.to_string()
        } else {
            c.text.replace('\n', " ")
        };
        form.push((
            format!("start-{n}"),
            aula::speech::editing::form_time(c.start_ms),
        ));
        form.push((
            format!("end-{n}"),
            aula::speech::editing::form_time(c.end_ms),
        ));
        form.push((format!("text-{n}"), text));
    }
    form
}

/// The admin pages' cookie for `token`, as a browser gets it by signing in.
async fn signed_in(app: &crate::helpers::TestApp, token: &str) -> String {
    let r = app
        .client
        .post(app.url("/admin/accedi"))
        .form(&[("token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie.split(';').next().unwrap().to_string()
}

#[tokio::test]
async fn the_editor_page_retypes_merges_and_splits_cues_beside_the_video() {
    let (data_dir, _) = spoken_session("speech-editor-page", &SAID[..2], 1.0);
    transcribe(&data_dir);
    let app = spawn_app(&data_dir).await;
    let cookie = signed_in(&app, &admin_token(&data_dir)).await;
    let path = "/admin/sedute/1/trascrizione";
    let get = || {
        app.client
            .get(app.url(path))
            .header("Cookie", cookie.clone())
            .send()
    };
    assert_eq!(
        app.get(path).await.status(),
        401,
        "signed out: the sign-in form"
    );
    let page = get().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("<video controls") && page.contains("download.mp4"),
        "{page}"
    );
    assert!(
        page.contains("name=\"text-1\"") && page.contains("name=\"merge-1\""),
        "{page}"
    );
    let heard = stored_cues(&data_dir).await;
    assert!(heard.len() >= 2, "{heard:?}");
    // Row 1 retyped and split in two, merged with row 2; the rest as shown.
    let mut form = editor_form(&heard, "Buongiorno || a tutti i presenti");
    form.push(("merge-1".into(), "1".into()));
    let post = |f: Vec<(String, String)>| {
        app.client
            .post(app.url(path))
            .header("Cookie", cookie.clone())
            .form(&f)
            .send()
    };
    let saved = post(form.clone()).await.unwrap();
    assert_eq!(saved.status(), 303);
    let after = saved.headers()["location"].to_str().unwrap().to_string();
    assert!(after.starts_with(path), "{after}");
    let cues = stored_cues(&data_dir).await;
    assert_eq!(cues[0].text, "Buongiorno", "{cues:?}");
    assert!(cues[1].text.starts_with("a tutti i presenti "), "{cues:?}");
    assert_eq!(cues.len(), heard.len(), "one split, one merge: {cues:?}");
    let shown = app
        .client
        .get(app.url(&after))
        .header("Cookie", cookie.clone());
    let page = shown.send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("(corretta)") && page.contains("Trascrizione salvata"),
        "{page}"
    );
    // A row ending before it starts: named, and nothing changes.
    form[1].1 = "0:00:00.001".into();
    let refused = post(form).await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("riga 1"));
    assert_eq!(stored_cues(&data_dir).await, cues);
    // A long session's form (a thousand rows, about 90 KiB) is taken whole.
    let long: Vec<(String, String)> = (1..=1000)
        .flat_map(|n| {
            let at = |s: i64| aula::speech::editing::form_time(s * 1000);
            [
                (format!("start-{n}"), at(n)),
                (format!("end-{n}"), at(n + 1)),
                (format!("text-{n}"), format!("riga numero {n} della seduta")),
            ]
        })
        .collect();
    assert_eq!(post(long).await.unwrap().status(), 303);
    assert_eq!(stored_cues(&data_dir).await.len(), 1000);
}
