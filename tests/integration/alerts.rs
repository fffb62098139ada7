//! E-mail alerts end to end, against a real SMTP server (aiosmtpd on 127.0.0.1): the form
//! under a search, the confirmation message and its link (double opt-in), a digest that
//! tells each new match once, leaving with the messages' one-click `List-Unsubscribe`,
//! a body followed, an SMTP server that is down and then back, the refusals, and the
//! same in Chromium where a person clicks.

use std::path::{Path, PathBuf};
use std::time::Duration;

use aula::config::SmtpTls;
use aula::domain::{JobKind, JobState};
use aula::jobs::Outcome;
use aula::{Archive, Config};
use serde_json::Value;

use crate::helpers::{
    admin_token, aula as aula_cli, eventually, free_port, make_flv_with_tone, node_script, scratch,
    smtp_server, spawn_app_with, test_config, Ingest, TestApp,
};

const ADDRESS: &str = "mario.rossi@example.it";
/// The archive's public address: the links in messages name it, never a request's Host.
const PUBLIC: &str = "https://video.comune.example.it";

/// The settings that send alerts through the test SMTP server on `port`.
fn with_mail(config: &mut Config, port: u16) {
    config.smtp_host = Some("127.0.0.1".into());
    config.public_url = Some(PUBLIC.into());
    config.smtp_port = port;
    config.smtp_tls = SmtpTls::None;
    config.mail_from = Some("Archivio delle sedute <archivio@comune.example.it>".into());
    config.job_retry_seconds = 0;
}

/// Ingests a 6 s session of `date` whose transcript says `words` (its tone differs by
/// date: the same recording twice would be one session).
fn session_saying(data_dir: &Path, root: &Path, date: &str, title: &str, words: &str) {
    let source = root.join(format!("{date}.flv"));
    let hz = 300 + date.bytes().map(u32::from).sum::<u32>() % 500;
    make_flv_with_tone(&source, 6, hz);
    let srt = root.join(format!("{date}.srt"));
    std::fs::write(&srt, format!("1\n00:00:04,000 --> 00:00:05,500\n{words}\n")).unwrap();
    Ingest::new(data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date(date)
        .title(title)
        .option("--transcript", &srt)
        .assert_success();
}

/// An archive with one session about the Fornace, and a server sending alerts to `port`.
async fn archive_with_alerts(name: &str, port: u16) -> (PathBuf, PathBuf, TestApp) {
    let root = scratch(name);
    let data_dir = root.join("data");
    session_saying(
        &data_dir,
        &root,
        "2011-05-19",
        "Seduta di maggio",
        "la variante della Fornace",
    );
    let app = spawn_app_with(&data_dir, |c| with_mail(c, port)).await;
    app.search_finds("fornace", 1).await;
    (root, data_dir, app)
}

/// Runs every queued mail job as a worker would; what became of each.
async fn send_queued_mail(data_dir: &Path, port: u16) -> Vec<Outcome> {
    let mut config = test_config(data_dir);
    with_mail(&mut config, port);
    let archive = Archive::open(config).await.unwrap();
    let jobs = archive
        .catalog
        .jobs(Some(JobState::Queued), 200)
        .await
        .unwrap();
    let mut outcomes = Vec::new();
    for job in jobs.iter().rev().filter(|j| j.kind == JobKind::Mail) {
        outcomes.push(
            aula::jobs::run_or_follow(&archive, job.id, |_| {})
                .await
                .unwrap(),
        );
    }
    outcomes
}

/// Posts the subscription form as the search page sends it.
async fn subscribe(app: &TestApp, fields: &[(&str, &str)]) -> (u16, String) {
    let response = app
        .client
        .post(app.url("/avvisi"))
        .form(fields)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Posts to `url` (a link of a message, on the archive's public address) as a browser's
/// button or a mail program would.
async fn post(app: &TestApp, url: &str, body: &str) -> (u16, String) {
    let response = app
        .client
        .post(app.url(url.trim_start_matches(PUBLIC)))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.text().await.unwrap())
}

/// Composes every confirmed subscription's digest now, through the admin API.
async fn compose(app: &TestApp, token: &str) -> Value {
    let (status, composed) = app
        .admin(token)
        .post("/api/v1/admin/alerts/digests?all=true", Value::Null)
        .await;
    assert_eq!(status, 200, "{composed}");
    composed
}

#[tokio::test]
async fn an_alert_is_confirmed_tells_each_new_match_once_and_is_left_in_one_click() {
    let port = free_port();
    let (root, data_dir, app) = archive_with_alerts("alerts-flow", port).await;
    let smtp = smtp_server(port, &root.join("maildir"));
    let token = admin_token(&data_dir);

    // The search offers the alert; asked twice, one confirmation goes.
    let search = app.text("/cerca?q=fornace").await;
    assert!(
        search.contains("action=\"/avvisi\"") && search.contains("name=\"q\" value=\"fornace\"")
    );
    let form = [("email", ADDRESS), ("q", "fornace"), ("frequency", "daily")];
    for _ in 0..2 {
        let (status, page) = subscribe(&app, &form).await;
        assert_eq!(status, 200);
        assert!(page.contains("Controlla la posta"), "{page}");
        assert!(!page.contains(ADDRESS), "the page never shows the address");
    }
    assert_eq!(send_queued_mail(&data_dir, port).await.len(), 1);
    let confirmation = &smtp.received()[0];
    assert_eq!(confirmation.to, ADDRESS);
    assert_eq!(confirmation.subject, "Conferma il tuo avviso: «fornace»");
    let confirm = confirmation.link(&format!("{}/avvisi/conferma/", PUBLIC));
    let leave = confirmation.link(&format!("{}/avvisi/annulla/", PUBLIC));
    let path = |url: &str| url.trim_start_matches(PUBLIC).to_string();
    for header in [
        format!("List-Unsubscribe: <{leave}>"),
        "List-Unsubscribe-Post: List-Unsubscribe=One-Click".to_string(),
    ] {
        assert!(
            confirmation.headers.contains(&header),
            "{header} in {}",
            confirmation.headers
        );
    }

    // Nothing is sent before the link is followed; opening it only shows the button.
    assert_eq!(compose(&app, &token).await["due"], 0);
    let shown = app.text(&path(&confirm)).await;
    assert!(shown.contains("method=\"post\"") && shown.contains("Conferma"));
    assert_eq!(compose(&app, &token).await["due"], 0);
    let (status, page) = post(&app, &confirm, "").await;
    assert_eq!(status, 200);
    assert!(page.contains("Avviso confermato"), "{page}");

    // What matched already is not news; a new session is, once.
    assert_eq!(compose(&app, &token).await["queued"], 0);
    session_saying(
        &data_dir,
        &root,
        "2012-10-02",
        "Seduta di ottobre",
        "torniamo alla Fornace",
    );
    app.search_finds("fornace", 2).await;
    let composed = compose(&app, &token).await;
    assert_eq!(
        (composed["queued"].as_u64(), composed["sessions"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(compose(&app, &token).await["queued"], 0, "never twice");
    send_queued_mail(&data_dir, port).await;
    let received = smtp.received();
    assert_eq!(received.len(), 2);
    let digest = &received[1];
    assert_eq!(digest.subject, "«fornace»: 1 nuova seduta");
    assert!(
        digest
            .body
            .contains("Seduta di ottobre (Consiglio comunale, 2012-10-02)"),
        "{}",
        digest.body
    );
    assert!(
        digest.body.contains(&format!("{}/sedute/2?t=4\n", PUBLIC)),
        "{}",
        digest.body
    );
    assert!(!digest.body.contains("Seduta di maggio"));
    assert!(digest
        .headers
        .contains(&format!("List-Unsubscribe: <{leave}>")));

    // The mail program's one-click unsubscribe (RFC 8058): gone, with all kept for it.
    let (status, page) = post(&app, &leave, "List-Unsubscribe=One-Click").await;
    assert_eq!(status, 200);
    assert!(page.contains("Avviso cancellato"), "{page}");
    assert_eq!(app.get(&path(&confirm)).await.status(), 404);
    assert_eq!(app.get(&path(&leave)).await.status(), 404);
    assert_eq!(compose(&app, &token).await["due"], 0);
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    assert!(catalog
        .subscription(confirm.rsplit('/').next().unwrap())
        .await
        .unwrap()
        .is_none());
}

#[tokio::test]
async fn a_body_is_followed_and_a_message_waits_for_an_smtp_server_that_is_down() {
    let port = free_port();
    let (root, data_dir, app) = archive_with_alerts("alerts-retry", port).await;
    let body_page = app.text("/organi/consiglio-comunale").await;
    assert!(body_page.contains("name=\"organo\" value=\"consiglio-comunale\""));
    let form = [
        ("email", ADDRESS),
        ("organo", "consiglio-comunale"),
        ("frequency", "weekly"),
    ];
    assert_eq!(subscribe(&app, &form).await.0, 200);

    // No server yet: the message waits, its job queued again.
    let outcomes = send_queued_mail(&data_dir, port).await;
    assert!(
        matches!(&outcomes[..], [Outcome::Retrying { reason, .. }] if reason.contains("SMTP")),
        "{outcomes:?}"
    );
    // Back: it goes, once.
    let smtp = smtp_server(port, &root.join("maildir"));
    let outcomes = send_queued_mail(&data_dir, port).await;
    assert!(
        matches!(&outcomes[..], [Outcome::Mailed(m)] if m.sent),
        "{outcomes:?}"
    );
    assert!(send_queued_mail(&data_dir, port).await.is_empty());
    let received = smtp.received();
    assert_eq!(received.len(), 1);
    assert_eq!(
        received[0].subject,
        "Conferma il tuo avviso: Consiglio comunale"
    );
    assert!(received[0].body.contains("una volta alla settimana"));
    let confirm = received[0].link(&format!("{}/avvisi/conferma/", PUBLIC));
    assert_eq!(post(&app, &confirm, "").await.0, 200);

    // The body's next session is news.
    session_saying(
        &data_dir,
        &root,
        "2013-01-15",
        "Seduta di gennaio",
        "bilancio",
    );
    let token = admin_token(&data_dir);
    let composed = compose(&app, &token).await;
    assert_eq!(composed["sessions"], 1, "{composed}");
    send_queued_mail(&data_dir, port).await;
    let digest = &smtp.received()[1];
    assert_eq!(digest.subject, "Consiglio comunale: 1 nuova seduta");
    assert!(digest.body.contains("Seduta di gennaio"));
}

/// A councillor followed from their page: the next session where they speak is news; one
/// where only others speak is not.
#[tokio::test]
async fn a_person_is_followed_from_their_page() {
    let port = free_port();
    let (root, data_dir, app) = archive_with_alerts("alerts-person", port).await;
    let roster = root.join("persone.csv");
    std::fs::write(
        &roster,
        "nome;cognome;ruolo;organo;dal\nMario;Rossi;consigliere;Consiglio comunale;2009-06-01\n",
    )
    .unwrap();
    crate::helpers::run_ok(aula_cli(&data_dir).args(["people", "import"]).arg(&roster));
    let page = app.text("/persone/mario-rossi").await;
    assert!(
        page.contains("name=\"persona\" value=\"mario-rossi\""),
        "{page}"
    );
    let smtp = smtp_server(port, &root.join("maildir"));
    let form = [("email", ADDRESS), ("persona", "mario-rossi")];
    assert_eq!(subscribe(&app, &form).await.0, 200);
    let unknown = [("email", ADDRESS), ("persona", "nessuno")];
    assert_eq!(subscribe(&app, &unknown).await.0, 400);
    send_queued_mail(&data_dir, port).await;
    let received = smtp.received();
    assert_eq!(received[0].subject, "Conferma il tuo avviso: Mario Rossi");
    let confirm = received[0].link(&format!("{}/avvisi/conferma/", PUBLIC));
    assert_eq!(post(&app, &confirm, "").await.0, 200);

    session_saying(
        &data_dir,
        &root,
        "2013-02-11",
        "Seduta senza Rossi",
        "PRESIDENTE: apriamo",
    );
    session_saying(
        &data_dir,
        &root,
        "2013-03-11",
        "Seduta con Rossi",
        "CONS. ROSSI: chiedo la parola",
    );
    let composed = compose(&app, &admin_token(&data_dir)).await;
    assert_eq!(composed["sessions"], 1, "{composed}");
    send_queued_mail(&data_dir, port).await;
    let digest = &smtp.received()[1];
    assert_eq!(digest.subject, "Mario Rossi: 1 nuova seduta");
    // A search narrowed to what he said is followed as such.
    let form = [
        ("email", ADDRESS),
        ("q", "parola"),
        ("persona", "mario-rossi"),
    ];
    assert_eq!(subscribe(&app, &form).await.0, 200);
    send_queued_mail(&data_dir, port).await;
    let asked = &smtp.received()[2];
    assert_eq!(
        asked.subject,
        "Conferma il tuo avviso: «parola» (Mario Rossi)"
    );
    let search = app.text("/cerca?q=parola&speaker=mario-rossi").await;
    assert!(
        search.contains("name=\"persona\" value=\"mario-rossi\""),
        "{search}"
    );
    assert!(
        digest.body.contains("Seduta con Rossi") && !digest.body.contains("senza"),
        "{}",
        digest.body
    );
}

#[tokio::test]
async fn a_server_composes_a_due_digest_on_its_own() {
    let port = free_port();
    let root = scratch("alerts-poll");
    let data_dir = root.join("data");
    session_saying(
        &data_dir,
        &root,
        "2014-04-01",
        "Seduta di aprile",
        "la rete fognaria",
    );
    // Looking for due digests every second.
    let app = spawn_app_with(&data_dir, |c| {
        with_mail(c, port);
        c.alerts_poll_seconds = 1;
    })
    .await;
    app.search_finds("fognaria", 1).await;
    let form = [
        ("email", ADDRESS),
        ("q", "fognaria"),
        ("frequency", "daily"),
    ];
    assert_eq!(subscribe(&app, &form).await.0, 200);
    let smtp = smtp_server(port, &root.join("maildir"));
    send_queued_mail(&data_dir, port).await;
    let confirm = smtp.received()[0].link(&format!("{PUBLIC}/avvisi/conferma/"));
    // Confirmed with its first digest due now and nothing counted as told.
    let token = confirm.rsplit('/').next().unwrap();
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    let now = aula::catalog::now();
    catalog.confirm_subscription(token, now, &[]).await.unwrap();
    // The server's own pass queues it: a mail job appears, and its message lists the match.
    let queued = eventually(
        "the server composes the digest",
        Duration::from_secs(30),
        || async {
            let jobs = catalog.jobs(Some(JobState::Queued), 50).await.unwrap();
            match jobs.iter().filter(|j| j.kind == JobKind::Mail).count() {
                0 => Err(0),
                n => Ok(n),
            }
        },
    )
    .await;
    assert_eq!(queued, 1);
    send_queued_mail(&data_dir, port).await;
    let digest = &smtp.received()[1];
    assert_eq!(digest.subject, "«fognaria»: 1 nuova seduta");
    assert!(digest.body.contains("Seduta di aprile"), "{}", digest.body);
    // And moved the next one to tomorrow morning: nothing more now.
    let next = catalog
        .subscription(token)
        .await
        .unwrap()
        .unwrap()
        .next_digest_at
        .unwrap();
    assert!(next > now && next <= now + 24 * 3600, "{next} after {now}");
}

#[tokio::test]
async fn a_bad_subscription_is_refused_saying_why_and_nothing_is_kept() {
    let port = free_port();
    let (_root, data_dir, app) = archive_with_alerts("alerts-refused", port).await;
    for (fields, says) in [
        (
            vec![("email", "mario"), ("q", "fornace")],
            "non è un indirizzo e-mail",
        ),
        (
            vec![("email", "a@b.it\r\nBcc: c@d.it"), ("q", "x")],
            "non è un indirizzo e-mail",
        ),
        (vec![("email", ""), ("q", "fornace")], "Serve un indirizzo"),
        (vec![("email", ADDRESS)], "non dice che cosa seguire"),
        (
            vec![("email", ADDRESS), ("organo", "nessuno")],
            "non dice che cosa seguire",
        ),
        (
            vec![("email", ADDRESS), ("q", "x"), ("frequency", "hourly")],
            "giornaliera o settimanale",
        ),
    ] {
        let (status, page) = subscribe(&app, &fields).await;
        assert_eq!(status, 400, "{fields:?}");
        assert!(page.contains(says), "{fields:?}: {says} not in the page");
    }
    assert!(
        send_queued_mail(&data_dir, port).await.is_empty(),
        "nothing queued"
    );
    for unknown in ["/avvisi/conferma/nessuno", "/avvisi/annulla/nessuno"] {
        assert_eq!(app.get(unknown).await.status(), 404, "{unknown}");
    }
    // The privacy statement says what is kept, and every page links it.
    let privacy = app.text("/privacy").await;
    assert!(privacy.contains("Conserviamo soltanto il tuo indirizzo"));
    assert!(app.text("/").await.contains("href=\"/privacy\""));

    // Without an SMTP server there are no alerts: no form, no address.
    let quiet = crate::helpers::spawn_app(&data_dir).await;
    assert!(!quiet
        .text("/cerca?q=fornace")
        .await
        .contains("action=\"/avvisi\""));
    assert_eq!(
        subscribe(&quiet, &[("email", ADDRESS), ("q", "x")]).await.0,
        404
    );
}

#[tokio::test]
async fn an_alert_is_asked_confirmed_and_left_by_clicking_in_chromium() {
    let port = free_port();
    let (root, data_dir, app) = archive_with_alerts("alerts-browser", port).await;
    let smtp = smtp_server(port, &root.join("maildir"));
    let asked = node_script(
        "alert.mjs",
        vec![
            "subscribe".into(),
            app.url("/cerca?q=fornace"),
            ADDRESS.into(),
        ],
        Vec::new(),
    )
    .await;
    assert!(asked.contains("heading=Controlla la posta"), "{asked}");
    send_queued_mail(&data_dir, port).await;
    let message = &smtp.received()[0];
    let confirm = message.link(&format!("{}/avvisi/conferma/", PUBLIC));
    let on_server = |url: String| app.url(url.trim_start_matches(PUBLIC));
    let confirmed = node_script(
        "alert.mjs",
        vec!["button".into(), on_server(confirm)],
        Vec::new(),
    )
    .await;
    assert!(
        confirmed.contains("heading=Avviso confermato"),
        "{confirmed}"
    );
    let leave = message.link(&format!("{}/avvisi/annulla/", PUBLIC));
    let left = node_script(
        "alert.mjs",
        vec!["button".into(), on_server(leave)],
        Vec::new(),
    )
    .await;
    assert!(left.contains("heading=Avviso cancellato"), "{left}");
}
