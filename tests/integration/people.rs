//! People: a roster imported from CSV (and refused whole when a row is wrong), speaker
//! labels of a human transcript resolved to the people of that day, the roll call and the
//! votes read from the minutes' text (with a vote whose numbers do not add up flagged),
//! personal votes imported from a file (refused whole when it names what does not exist),
//! an editor's speaker turn and record, and all of it on the session page, the person's
//! page (checked with axe in Chromium), the API, the captions, the open data and search.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{json, Value};

use crate::helpers::{
    admin_token, aula, make_flv_with_tone, node_script, open_catalog, run_ok, run_refused, scratch,
    spawn_app, speak, Ingest, TestApp,
};

/// Two terms of the council: 2009-2014 and from 2014. Sara Rossi sits only in the second,
/// so "CONS. ROSSI" in 2012 is Mario Rossi alone; Luisa Romano is secretary in both.
const ROSTER: &str = "nome;cognome;ruolo;organo;gruppo;delega;dal;al\n\
    Anna;Verdi;presidente;Consiglio comunale;;;01/06/2009;31/05/2014\n\
    Anna;Verdi;consigliere;Consiglio comunale;Lista civica;;01/06/2009;31/05/2014\n\
    Mario;Rossi;consigliere;Consiglio comunale;Lista civica;;01/06/2009;31/05/2014\n\
    Mario;Rossi;consigliere;Consiglio comunale;Nuovo gruppo;;01/06/2014;\n\
    Luca;Rossi;assessore;;;Bilancio;01/06/2009;31/05/2014\n\
    Anna;De Luca;consigliere;Consiglio comunale;Centro;;01/06/2009;31/05/2014\n\
    Paolo;Neri;consigliere;Consiglio comunale;Centro;;01/06/2009;31/05/2014\n\
    Carla;Bruni;sindaco;;;;01/06/2009;31/05/2014\n\
    Luisa;Romano;segretario;;;;01/06/2009;\n\
    Sara;Rossi;consigliere;Consiglio comunale;Centro;;01/06/2014;\n\
    Giorgio;Esposito;presidente;Consiglio comunale;;;01/06/2014;\n\
    Giorgio;Esposito;consigliere;Consiglio comunale;Centro;;01/06/2014;\n\
    Elena;Ricci;sindaco;;;;01/06/2014;\n\
    Franco;Marino;assessore;;;Urbanistica;01/06/2014;\n\
    Chiara;Greco;consigliere;Consiglio comunale;Nuovo gruppo;;01/06/2014;\n\
    Davide;Conti;consigliere;Consiglio comunale;Nuovo gruppo;;01/06/2014;\n";

const AGENDA: &str = "1. Comunicazioni del Presidente\n2. Bilancio di previsione 2012\n\
                      3. Variante al piano regolatore\n4. Mozione sul verde pubblico\n";

/// Labels in the styles clerks use; BIANCHI is nobody of the roster.
const SRT: &str = "1\n00:00:00,500 --> 00:00:02,000\nIL PRESIDENTE: apriamo la seduta\n\n\
    2\n00:00:02,500 --> 00:00:04,000\nCONS. ROSSI: la variante della fornace\n\n\
    3\n00:00:04,500 --> 00:00:06,000\nASS. ROSSI: il bilancio è in ordine\n\n\
    4\n00:00:06,500 --> 00:00:08,000\nBIANCHI: chiedo la parola\n\n\
    5\n00:00:08,500 --> 00:00:10,000\nDE LUCA: voteremo contro la mozione\n";

const MINUTES: &str = "VERBALE DELLA SEDUTA DEL CONSIGLIO COMUNALE\n\n\
    Risultano presenti i consiglieri: Rossi Mario, De Luca Anna, Verdi Anna.\n\
    Risultano assenti i consiglieri: Neri Paolo.\n\n\
    Punto n. 2 all'ordine del giorno: Bilancio di previsione 2012\n\
    Presenti n. 3, votanti n. 3, favorevoli n. 2, contrari n. 1, astenuti n. 0.\n\
    La proposta è approvata.\n\n\
    Punto n. 3 all'ordine del giorno: Variante al piano regolatore\n\
    Il Consiglio approva con voti unanimi.\n\n\
    Punto n. 4 all'ordine del giorno: Mozione sul verde pubblico\n\
    Presenti n. 3, votanti n. 3, favorevoli n. 2, contrari n. 2, astenuti n. 0.\n";

/// A published session of 2012 with agenda, transcript and minutes, and the roster
/// imported after it (which reads the session again); in a fresh directory `name`.
fn council_session(name: &str, hz: u32) -> PathBuf {
    let root = scratch(name);
    let source = root.join("seduta.flv");
    make_flv_with_tone(&source, 12, hz);
    let files = [
        ("odg.txt", AGENDA),
        ("seduta.srt", SRT),
        ("verbale.txt", MINUTES),
        ("persone.csv", ROSTER),
    ];
    for (file, text) in files {
        std::fs::write(root.join(file), text).unwrap();
    }
    let data_dir = root.join("data");
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2012-03-14")
        .title("Bilancio e variante")
        .agenda(&root.join("odg.txt"))
        .option("--transcript", root.join("seduta.srt"))
        .option("--minutes", root.join("verbale.txt"))
        .assert_success();
    let out = run_ok(
        aula(&data_dir)
            .args(["people", "import"])
            .arg(root.join("persone.csv")),
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("imported 13 people (13 new), 16 roles"),
        "{stdout}"
    );
    assert!(stdout.contains("session 1: 5 speaker turns (4 named), 3 present, 1 absent, 3 votes; nobody or several fit: Bianchi"), "{stdout}");
    data_dir
}

fn shared_archive() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| council_session("people-archive", 440))
}

#[tokio::test]
async fn labels_resolve_to_the_people_of_the_day_and_the_minutes_give_the_votes() {
    let app = spawn_app(shared_archive()).await;
    let session = app.json("/api/v1/sessions/1").await;
    let present: Vec<&str> = session["attendance"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["present"] == true)
        .map(|a| a["person"].as_str().unwrap())
        .collect();
    assert_eq!(
        present,
        ["anna-de-luca", "mario-rossi", "anna-verdi"],
        "{session}"
    );
    let agenda = session["agenda"].as_array().unwrap();
    assert_eq!(agenda[0]["vote"], Value::Null);
    let budget = &agenda[1]["vote"];
    assert_eq!(budget["outcome"], "approved", "{budget}");
    assert_eq!(
        (budget["in_favour"].as_i64(), budget["against"].as_i64()),
        (Some(2), Some(1))
    );
    assert_eq!(budget["source"], "minutes");
    assert_eq!(agenda[2]["vote"]["unanimous"], true);
    let motion = &agenda[3]["vote"];
    assert!(
        motion["problem"].as_str().is_some_and(|p| !p.is_empty()),
        "{motion}"
    );

    // Captions name the person; the unknown label stays as written.
    let vtt = app.text("/sedute/1/sottotitoli.vtt").await;
    for who in [
        "<v Anna Verdi>",
        "<v Mario Rossi>",
        "<v Luca Rossi>",
        "<v Bianchi>",
        "<v Anna De Luca>",
    ] {
        assert!(vtt.contains(who), "{who} in {vtt}");
    }
    let page = app.text("/sedute/1").await;
    assert!(
        page.contains(r#"<a href="/persone/mario-rossi">Mario Rossi</a>"#),
        "{page}"
    );
    assert!(page.contains("Approvata"), "{page}");
    assert!(page.contains("I numeri non tornano"), "{page}");
    assert!(
        page.contains("Presenti (3)") && page.contains("Assenti (1)"),
        "{page}"
    );
}

#[tokio::test]
async fn a_person_has_a_page_an_api_resource_and_a_search_filter() {
    let app = spawn_app(shared_archive()).await;
    let people = app.json("/api/v1/people").await;
    assert_eq!(people["people"].as_array().unwrap().len(), 13, "{people}");
    let rossi = app.json("/api/v1/people/mario-rossi").await;
    assert_eq!(rossi["roles"][1]["role"], "councillor", "{rossi}");
    assert_eq!(rossi["roles"][1]["party"], "Lista civica");
    assert_eq!(
        rossi["roles"][0]["party"], "Nuovo gruppo",
        "the latest first"
    );
    assert_eq!(rossi["attended"][0]["id"], 1);
    let spoken = &rossi["spoken"][0];
    assert_eq!(spoken["snippet"], "la variante della fornace", "{rossi}");
    assert_eq!(spoken["url"], "/sedute/1?t=2");
    let missing = app.get("/api/v1/people/nessuno").await;
    assert_eq!(missing.status(), 404);
    assert_eq!(app.get("/persone/nessuno").await.status(), 404);

    let page = app.text("/persone/mario-rossi").await;
    assert!(page.contains(r#""@type":"Person""#), "{page}");
    assert!(page.contains("la variante della fornace"), "{page}");
    assert!(page.contains("/sedute/1?t=2"), "{page}");
    let sitemap = app.text("/sitemap.xml").await;
    assert!(sitemap.contains("/persone/mario-rossi</loc>"), "{sitemap}");
    let list = app.text("/persone").await;
    assert!(list.contains(r#"href="/persone/luca-rossi""#), "{list}");

    // Search by speaker: the words are said by Mario Rossi, not by Luca Rossi.
    let found = app
        .json("/api/v1/search?q=variante&speaker=mario-rossi")
        .await;
    assert_eq!(found["total"], 1, "{found}");
    let facet = &found["facets"]["speakers"];
    assert_eq!(facet[0]["slug"], "mario-rossi", "{found}");
    let none = app
        .json("/api/v1/search?q=variante&speaker=luca-rossi")
        .await;
    assert_eq!(none["total"], 0, "{none}");
    let unknown = app.get("/api/v1/search?q=variante&speaker=nessuno").await;
    assert_eq!(unknown.status(), 404);
    let page = app.text("/cerca?q=variante").await;
    assert!(
        page.contains("/cerca?q=variante&#38;speaker=mario-rossi"),
        "{page}"
    );
    let only = app.text("/cerca?q=variante&speaker=mario-rossi").await;
    assert!(only.contains("Solo le parole di Mario Rossi."), "{only}");

    let urls = vec![
        app.url("/persone"),
        app.url("/persone/mario-rossi"),
        app.url("/sedute/1"),
    ];
    node_script("axe.mjs", urls, Vec::new()).await;
}

/// Lighthouse's mobile profile on the people pages: accessibility 100 (the other scores
/// depend on the machine's load and are printed only).
#[tokio::test]
async fn the_people_pages_pass_lighthouse_on_a_phone() {
    if std::env::var_os("AULA_TEST_POSTGRES").is_some() {
        eprintln!("Lighthouse runs with the SQLite suite only");
        return;
    }
    let app = spawn_app(shared_archive()).await;
    let urls = vec![app.url("/persone"), app.url("/persone/mario-rossi")];
    let stdout = node_script("lighthouse.mjs", urls, Vec::new()).await;
    println!("{stdout}");
    let pages: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("lighthouse "))
        .collect();
    assert_eq!(pages.len(), 2, "{stdout}");
    assert!(pages.iter().all(|p| p.contains(" a11y=100 ")), "{stdout}");
}

#[tokio::test]
async fn a_roster_with_a_bad_row_is_refused_whole() {
    let data_dir = shared_archive();
    let root = scratch("people-bad-roster");
    let file = root.join("persone.csv");
    std::fs::write(
        &file,
        "nome;cognome;ruolo;organo;gruppo;dal;al\n\
         Pia;Blu;consigliere;Giunta regionale;;2010-01-01;\n\
         Ugo;Gialli;sindaco;;;2010-01-01;\n\
         Pia;Rosa;consigliere;Consiglio comunale;A;2010-01-01;\n\
         Pia;Rosa;consigliere;Consiglio comunale;B;2012-01-01;\n\
         Eva;Viola;usciere;;;2010-01-01;2009-01-01\n",
    )
    .unwrap();
    let stderr = run_refused(aula(data_dir).args(["people", "import"]).arg(&file));
    for expected in [
        "line 2: no body is named \"Giunta regionale\"",
        "line 3: Ugo Gialli and Carla Bruni (already in the roster) cannot both be mayor",
        "line 5: Pia Rosa cannot sit in two groups at once",
        "line 6: role \"usciere\" is not one of",
        "line 6: the role ends (2009-01-01) before it starts (2010-01-01)",
        "nothing imported",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    let app = spawn_app(data_dir).await;
    assert_eq!(app.get("/api/v1/people/pia-blu").await.status(), 404);
}

/// A vote file's refusals name their lines and change nothing; a good one replaces the
/// minutes' votes with personal votes, shown on the person's page and in the open data.
#[tokio::test]
async fn personal_votes_are_imported_whole_or_not_at_all() {
    let data_dir = council_session("people-votes", 523);
    let root = scratch("people-votes-files");
    let bad = root.join("voti-errati.csv");
    std::fs::write(
        &bad,
        "seduta;punto;persona;voto;presenti;votanti;favorevoli;contrari;astenuti\n\
         1;9;mario-rossi;favorevole;;;;;\n\
         1;2;Bianchi;favorevole;;;;;\n\
         7;2;mario-rossi;favorevole;;;;;\n\
         1;2;;;3;3;2;2;0\n",
    )
    .unwrap();
    let stderr = run_refused(aula(&data_dir).args(["votes", "import"]).arg(&bad));
    for expected in [
        "line 2: session 1 has no agenda item numbered \"9\"",
        "line 3: \"Bianchi\" is nobody in the roster",
        "line 4: there is no session 7",
        "line 5: session 1, item 2:",
    ] {
        assert!(stderr.contains(expected), "{expected} in {stderr}");
    }
    let good = root.join("voti.csv");
    std::fs::write(
        &good,
        "seduta;punto;persona;voto;esito\n\
         1;;Neri Paolo;assente;\n\
         1;;mario-rossi;presente;\n\
         1;2;mario-rossi;favorevole;approvata\n\
         1;2;Anna De Luca;contrario;\n\
         1;2;anna-verdi;favorevole;\n",
    )
    .unwrap();
    let out = run_ok(aula(&data_dir).args(["votes", "import"]).arg(&good));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout
            .contains("imported 1 votes (3 personal votes) and 2 roll-call entries in 1 sessions"),
        "{stdout}"
    );

    let app = spawn_app(&data_dir).await;
    let session = app.json("/api/v1/sessions/1").await;
    let budget = &session["agenda"][1]["vote"];
    assert_eq!(budget["source"], "import", "{session}");
    assert_eq!(
        (
            budget["in_favour"].as_i64(),
            budget["against"].as_i64(),
            budget["voting"].as_i64()
        ),
        (Some(2), Some(1), Some(3))
    );
    assert_eq!(
        session["agenda"][2]["vote"],
        Value::Null,
        "the minutes' votes are replaced"
    );
    let rossi = app.json("/api/v1/people/mario-rossi").await;
    assert_eq!(rossi["votes"][0]["vote"], "in_favour", "{rossi}");
    let csv_text = app.text("/api/v1/votes.csv").await;
    assert!(csv_text.contains(",anna-de-luca,against"), "{csv_text}");
    editor_sets_speaker_and_record(&app, &data_dir).await;
    editor_changes_the_roster(&app, &data_dir).await;
}

/// The roster changed through the admin API and the admin page; refusals change nothing.
async fn editor_changes_the_roster(app: &TestApp, data_dir: &Path) {
    let token = admin_token(data_dir);
    let admin = app.admin(&token);
    let role = |role: &str| {
        json!({"roles": [{"given_name": "Giulia", "family_name": "Gallo", "role": role,
                          "body": "Consiglio comunale", "from": "2013-01-01"}]})
    };
    let (status, answer) = admin.put("/api/v1/admin/people", role("usciere")).await;
    assert_eq!(status, 422, "{answer}");
    assert!(
        answer["detail"]
            .as_str()
            .unwrap()
            .contains("role 1: role \"usciere\""),
        "{answer}"
    );
    assert_eq!(app.get("/api/v1/people/giulia-gallo").await.status(), 404);
    let (status, answer) = admin
        .put("/api/v1/admin/people", role("vicepresidente"))
        .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(
        app.json("/api/v1/people/giulia-gallo").await["roles"][0]["role"],
        "vice_president"
    );

    let cookie = format!("aula_admin={token}");
    let post = |rows: &'static str| {
        app.client
            .post(app.url("/admin/persone"))
            .header("Cookie", cookie.clone())
            .form(&[("righe", rows)])
            .send()
    };
    let refused =
        post("nome;cognome;ruolo;organo;dal\nUgo;Blu;consigliere;Giunta regionale;2013-01-01\n");
    let refused = refused.await.unwrap();
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(page.contains("riga 2: no body is named"), "{page}");
    let saved =
        post("nome;cognome;ruolo;organo;dal\nUgo;Blu;consigliere;Consiglio comunale;2013-01-01\n");
    assert_eq!(saved.await.unwrap().status(), 303);
    let listed = admin_page(app, &cookie, "/admin/persone").await;
    assert!(
        listed.contains("Ugo Blu") && listed.contains("Giulia Gallo"),
        "{listed}"
    );
    let csv_text = app.text("/api/v1/people.csv").await;
    assert!(
        csv_text.contains("ugo-blu,Ugo,Blu,councillor,Consiglio comunale,,,2013-01-01,"),
        "{csv_text}"
    );
}

/// An admin page's text, signed in with `cookie`.
async fn admin_page(app: &TestApp, cookie: &str, path: &str) -> String {
    let response = app
        .client
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

/// An editor names the unknown speaker and fixes the record; refusals change nothing.
async fn editor_sets_speaker_and_record(app: &TestApp, data_dir: &Path) {
    let admin = app.admin(&admin_token(data_dir));
    let body = json!({"from_seconds": 6.0, "to_seconds": 8.2, "person": "paolo-neri"});
    let (status, answer) = admin.post("/api/v1/admin/sessions/1/speakers", body).await;
    assert_eq!(status, 200, "{answer}");
    let vtt = app.text("/sedute/1/sottotitoli.vtt").await;
    assert!(vtt.contains("<v Paolo Neri>"), "{vtt}");
    assert!(!vtt.contains("<v Bianchi>"), "{vtt}");
    let nobody = json!({"from_seconds": 1, "to_seconds": 2, "person": "nessuno"});
    assert_eq!(
        admin
            .post("/api/v1/admin/sessions/1/speakers", nobody)
            .await
            .0,
        422
    );
    let backwards = json!({"from_seconds": 5, "to_seconds": 2, "person": null});
    assert_eq!(
        admin
            .post("/api/v1/admin/sessions/1/speakers", backwards)
            .await
            .0,
        422
    );
    // The same in the admin transcript editor: a turn confirmed, and bad times refused.
    let cookie = format!("aula_admin={}", admin_token(data_dir));
    let form = |fields: [(&'static str, &'static str); 3]| {
        app.client
            .post(app.url("/admin/sedute/1/oratori"))
            .header("Cookie", cookie.clone())
            .form(&fields)
            .send()
    };
    let bad = form([("da", "0:00:05"), ("a", "ieri"), ("persona", "anna-verdi")]);
    assert_eq!(bad.await.unwrap().status(), 422);
    let good = form([
        ("da", "0:00:00.5"),
        ("a", "0:00:02"),
        ("persona", "anna-verdi"),
    ]);
    assert_eq!(good.await.unwrap().status(), 303);
    let editor = admin_page(app, &cookie, "/admin/sedute/1/trascrizione").await;
    assert!(
        editor.contains("Chi parla") && editor.contains("redazione"),
        "{editor}"
    );

    let wrong = json!({"votes": [{"item_number": "3", "voting": 3, "in_favour": 1, "against": 1}]});
    let (status, answer) = admin.put("/api/v1/admin/sessions/1/record", wrong).await;
    assert_eq!(status, 422, "{answer}");
    let record = json!({
        "attendance": [{"person": "paolo-neri", "present": true}],
        "votes": [{"item_number": "3", "outcome": "postponed"}]
    });
    let (status, answer) = admin.put("/api/v1/admin/sessions/1/record", record).await;
    assert_eq!(status, 200, "{answer}");
    let session = app.json("/api/v1/sessions/1").await;
    assert_eq!(
        session["agenda"][2]["vote"]["outcome"], "postponed",
        "{session}"
    );
    assert_eq!(session["agenda"][2]["vote"]["source"], "editor");
    let people = session["attendance"].as_array().unwrap();
    assert_eq!(people.len(), 1, "{session}");
}

/// A sitting where the chair (Anna Verdi, the council's president) gives the floor by name
/// in three phrasings, and a speaker hands it back.
const CHAIRED: &[&str] = &[
    "Buongiorno a tutti, apriamo la seduta del consiglio comunale.",
    "Ha la parola il consigliere Rossi.",
    "Grazie presidente, il bilancio del comune è in ordine.",
    "Grazie consigliere. Prego, assessore Rossi.",
    "Le tariffe non aumenteranno il prossimo anno.",
    "Ha la parola la consigliera De Luca.",
    "Voteremo contro questa proposta. Grazie presidente.",
    "Passiamo alla votazione della proposta.",
];

/// Who says each sentence of `CHAIRED`.
const CHAIRED_BY: &[&str] = &[
    "anna-verdi",
    "anna-verdi",
    "mario-rossi",
    "anna-verdi",
    "luca-rossi",
    "anna-verdi",
    "anna-de-luca",
    "anna-verdi",
];

/// A second sitting in other phrasings, written after the rules were set from the first.
/// Its first reading named 4 sentences right and 4 wrong. Since then the rules have been
/// changed knowing it (general fixes: "dola parola", surnames that start with a particle,
/// "grazie presidente" opening a turn just given), and it names 7 right and 1 wrong: it is
/// a second example now, not a held-out measure. The one left: "Grazie a voi" closing the
/// sitting is not a cue the rules know.
const HELD_OUT: &[&str] = &[
    "Buonasera, dichiaro aperta la seduta.",
    "Do la parola al sindaco.",
    "Grazie presidente. La giunta ha approvato il progetto della nuova scuola.",
    "Grazie sindaco. Interviene il consigliere Neri.",
    "Chiedo che il progetto torni in commissione.",
    "Prego consigliera De Luca, ne ha facoltà.",
    "Sono d'accordo con il collega, grazie.",
    "Grazie a voi. La seduta è tolta.",
];

const HELD_OUT_BY: &[&str] = &[
    "anna-verdi",
    "anna-verdi",
    "carla-bruni",
    "anna-verdi",
    "paolo-neri",
    "anna-verdi",
    "anna-de-luca",
    "anna-verdi",
];

/// `sentences` said, ingested, the roster imported and the speech heard: for each
/// sentence, the person of the last caption starting before its middle (who the
/// transcript says is speaking then), scored against `said_by` as (named correctly,
/// named wrongly, left unnamed), each sentence printed for the record.
async fn speaker_naming(
    name: &str,
    sentences: &[&str],
    said_by: &[&str],
) -> ((usize, usize, usize), PathBuf) {
    let root = scratch(name);
    let source = root.join("seduta.mpg");
    let times = speak(&source, sentences, 1.0);
    let data_dir = root.join("data");
    Ingest::new(&data_dir)
        .file(&source)
        .body("Consiglio comunale")
        .date("2012-03-14")
        .title("Seduta parlata")
        .assert_success();
    std::fs::write(root.join("persone.csv"), ROSTER).unwrap();
    run_ok(
        aula(&data_dir)
            .args(["people", "import"])
            .arg(root.join("persone.csv")),
    );
    run_ok(aula(&data_dir).args(["transcribe", "1"]));
    let cues = open_catalog(&data_dir).await.cues(1).await.unwrap();
    let mut score = (0, 0, 0);
    for ((start, end), expected) in times.iter().zip(said_by) {
        let middle = ((start + end) / 2.0 * 1000.0) as i64;
        let cue = cues.iter().rfind(|c| c.start_ms <= middle);
        let named = cue.and_then(|c| c.person.as_ref()).map(|p| p.slug.as_str());
        match named {
            Some(slug) if slug == *expected => score.0 += 1,
            Some(_) => score.1 += 1,
            None => score.2 += 1,
        }
        println!("{name} {start:.1}-{end:.1} s: said by {expected}, named {named:?}");
    }
    for c in &cues {
        println!(
            "{name} heard: {} [{:?}]",
            c.text.replace('\n', " "),
            c.person.as_ref().map(|p| &p.slug)
        );
    }
    println!(
        "{name}: {} sentences, {} named correctly, {} named wrongly, {} left unnamed",
        times.len(),
        score.0,
        score.1,
        score.2
    );
    (score, data_dir)
}

/// The speech engine hears the sessions; the turns are inferred from the chair's words.
#[tokio::test]
async fn turns_are_inferred_from_the_chair_giving_the_floor() {
    let ((right, wrong, _), data_dir) = speaker_naming("people-spoken", CHAIRED, CHAIRED_BY).await;
    assert_eq!((right, wrong), (8, 0), "see the sentences printed above");
    // The page names them, saying the names were inferred.
    let app = spawn_app(&data_dir).await;
    let page = app.text("/sedute/1").await;
    assert!(page.contains(r#"<a href="/persone/mario-rossi">Mario Rossi</a> <span class="cue-inferred">(riconosciuto automaticamente)</span>"#), "{page}");
    let rossi = app.json("/api/v1/people/mario-rossi").await;
    assert_eq!(rossi["spoken"][0]["inferred"], true, "{rossi}");
    let ((right, wrong, _), _) = speaker_naming("people-held-out", HELD_OUT, HELD_OUT_BY).await;
    assert!(right >= 5 && wrong <= 2, "{right} right, {wrong} wrong");
}
