//! `aula import`: the old catalog checked whole before anything is written, Italian
//! dates, bodies matched without regard to case or accents, old URLs redirecting to the
//! new sessions, and a second run that changes nothing.

use std::path::Path;

use aula::catalog::Catalog;

use crate::helpers::{assert_success, aula, make_flv, scratch, spawn_app};

/// The old catalog's header and two good rows: several old URLs, Italian dates, one body
/// spelt two ways.
const GOOD_ROWS: &str = "old_url;date;body;title;kind;number;recordings;agenda\n\
        /archivio/sedute.asp?id=1 | /video/2009/seduta_1.flv;12 marzo 2009;Consiglio Comunale;Bilancio 2009;ordinaria;n. 4;vecchio/seduta_1.flv;vecchio/odg_1.txt\n\
        /archivio/sedute.asp?id=2;12/03/2010;consiglio comunale;Seduta del 2010;;;vecchio/seduta_2.flv;\n";
/// Two bad ones: an impossible date and a missing file; an old URL given twice.
const BAD_ROWS: &str = "/archivio/sedute.asp?id=3;31/02/2011;Giunta;Seduta;;;vecchio/manca.flv;\n\
        /archivio/sedute.asp?ID=1;2011-01-01;Giunta;Doppione;;;vecchio/seduta_1.flv;\n";

#[tokio::test]
async fn the_old_catalog_is_checked_whole_then_imported_once() {
    let root = scratch("import");
    old_recordings(&root);
    let csv = root.join("catalogo.csv");
    std::fs::write(&csv, format!("{GOOD_ROWS}{BAD_ROWS}")).unwrap();
    let data_dir = root.join("data");
    let run = |extra: &[&str]| {
        aula(&data_dir)
            .arg("import")
            .arg(&csv)
            .args(extra)
            .output()
            .unwrap()
    };
    let succeeds = |extra: &[&str]| {
        let out = run(extra);
        assert_success(&out);
        String::from_utf8_lossy(&out.stdout).into_owned()
    };

    // Bad rows: every problem reported with its line, nothing written.
    let out = run(&[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("line 4: unknown date format \"31/02/2011\""),
        "{stderr}"
    );
    assert!(stderr.contains("line 4: missing file"), "{stderr}");
    assert!(
        stderr.contains("line 5: duplicate old URL /archivio/sedute.asp?ID=1 (also on line 2)"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing imported"), "{stderr}");
    let catalog = crate::helpers::open_catalog(&data_dir).await;
    assert!(catalog.all_session_ids().await.unwrap().is_empty());

    // A dry run says what would happen and changes nothing.
    std::fs::write(&csv, GOOD_ROWS).unwrap();
    let stdout = succeeds(&["--dry-run"]);
    assert!(
        stdout.contains("line 2: 2009-03-12 Consiglio Comunale \"Bilancio 2009\""),
        "{stdout}"
    );
    assert!(stdout.contains("2 of 2 rows would be imported"), "{stdout}");
    assert!(catalog.all_session_ids().await.unwrap().is_empty());

    // The import: two sessions of one body, queued for transcoding, old URLs redirected.
    let stdout = succeeds(&[]);
    assert!(stdout.contains("2 sessions created"), "{stdout}");
    imported_and_redirected(&catalog, &data_dir).await;

    // The same file again: nothing new.
    let stdout = succeeds(&[]);
    assert!(stdout.contains("0 sessions created"), "{stdout}");
    assert_eq!(catalog.all_session_ids().await.unwrap(), vec![1, 2]);
    assert_eq!(catalog.jobs(None, 10).await.unwrap().len(), 2);

    // --skip-bad imports the good rows of a file that has bad ones.
    std::fs::write(
        &csv,
        format!("{GOOD_ROWS}/archivio/sedute.asp?id=5;5 maggio 2011;Giunta comunale;Giunta;;;vecchio/seduta_3.flv;\n{BAD_ROWS}"),
    )
    .unwrap();
    let stdout = succeeds(&["--skip-bad"]);
    assert!(stdout.contains("1 sessions created"), "{stdout}");
    assert_eq!(catalog.all_session_ids().await.unwrap(), vec![1, 2, 3]);
}

/// The old portal's files under `root/vecchio`: three recordings of different content (the
/// same content would be one session; the third is named only by the `--skip-bad` rows)
/// and an agenda.
fn old_recordings(root: &Path) {
    let files = root.join("vecchio");
    std::fs::create_dir_all(&files).unwrap();
    make_flv(&files.join("seduta_1.flv"));
    for (name, size) in [("seduta_2.flv", "176x144"), ("seduta_3.flv", "160x120")] {
        crate::helpers::synthesize(&files.join(name), Some(size), None, 2, "-c:v flv");
    }
    std::fs::write(
        files.join("odg_1.txt"),
        "ORDINE DEL GIORNO\n1. Bilancio\n2. Varie\n",
    )
    .unwrap();
}

/// Two sessions of one body (whatever the case), with their agenda and dates, and the
/// old URLs answering 301 to their pages.
async fn imported_and_redirected(catalog: &Catalog, data_dir: &Path) {
    assert_eq!(catalog.all_session_ids().await.unwrap(), vec![1, 2]);
    assert_eq!(
        catalog.bodies().await.unwrap().len(),
        1,
        "one body, whatever the case"
    );
    assert_eq!(catalog.agenda(1).await.unwrap().len(), 2);
    assert_eq!(
        catalog.session(2).await.unwrap().unwrap().date,
        "2010-03-12"
    );
    let app = spawn_app(data_dir).await;
    for (old, new) in [
        ("/archivio/sedute.asp?id=1", "/sedute/1"),
        ("/video/2009/seduta_1.flv", "/sedute/1"),
        ("/archivio/sedute.asp?id=2", "/sedute/2"),
    ] {
        let r = app.get(old).await;
        assert_eq!(r.status(), 301, "{old}");
        assert_eq!(r.headers()["location"], new);
    }
}
