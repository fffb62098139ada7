//! Old portal addresses: a redirect list imported with `aula legacy import` makes every old
//! URL answer 301 to its new page (or 410 when withdrawn), whatever its spelling; unknown
//! addresses answer 404 and are counted for `aula legacy report`.

use crate::helpers::{assert_success, aula, published_files, spawn_app};

#[tokio::test]
async fn old_urls_answer_301_410_or_are_counted() {
    let data_dir = published_files("legacy", &[("master.m3u8", b"#EXTM3U\n")]).await;
    let list = data_dir.parent().unwrap().join("vecchi-indirizzi.txt");
    std::fs::write(
        &list,
        "# vecchio portale del comune\n\
         /archivio/sedute.asp?id=123&anno=2009\t/sedute/1\n\
         /video/2009/commissione_urbanistica.wmv -> /sedute/1\n\
         /archivio/sedute.asp?id=99;410\n",
    )
    .unwrap();
    let import = |extra: &[&str]| {
        aula(&data_dir)
            .args(["legacy", "import"])
            .arg(&list)
            .args(extra)
            .output()
            .unwrap()
    };
    let dry = import(&["--dry-run"]);
    assert_success(&dry);
    assert!(String::from_utf8_lossy(&dry.stdout).contains("3 would be added"));
    let first = import(&[]);
    assert_success(&first);
    assert!(String::from_utf8_lossy(&first.stdout).contains("3 mappings added"));
    let again = import(&[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 mappings added, 3 already there"));

    let app = spawn_app(&data_dir).await;
    // Every spelling of the old address: case, parameter order, host, escapes.
    for old in [
        "/archivio/sedute.asp?id=123&anno=2009",
        "/Archivio/Sedute.asp?anno=2009&ID=123",
        "/archivio/sedute%2Easp?id=123&anno=2009",
        "/video/2009/commissione_urbanistica.wmv",
    ] {
        let r = app.get(old).await;
        assert_eq!(r.status(), 301, "{old}");
        assert_eq!(r.headers()["location"], "/sedute/1", "{old}");
    }
    let gone = app.get("/archivio/sedute.asp?id=99").await;
    assert_eq!(gone.status(), 410);
    assert!(gone.text().await.unwrap().contains("ritirato"));

    // Unknown old addresses: 404, counted, reported most requested first.
    for _ in 0..3 {
        assert_eq!(app.get("/archivio/sedute.asp?id=7").await.status(), 404);
    }
    assert_eq!(app.get("/Vecchio/Indice.htm").await.status(), 404);
    let report = aula(&data_dir).args(["legacy", "report"]).output().unwrap();
    let report = String::from_utf8_lossy(&report.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].trim_start().starts_with("3 ") && lines[0].ends_with("/archivio/sedute.asp?id=7"),
        "{report}"
    );
    assert!(lines[1].ends_with("/vecchio/indice.htm"), "{report}");

    // Mapping a reported address takes it off the report.
    std::fs::write(&list, "/archivio/sedute.asp?id=7 /sedute/1\n").unwrap();
    assert_success(&import(&[]));
    assert_eq!(app.get("/archivio/sedute.asp?id=7").await.status(), 301);
    let report = aula(&data_dir).args(["legacy", "report"]).output().unwrap();
    assert!(!String::from_utf8_lossy(&report.stdout).contains("id=7"));
}

#[tokio::test]
async fn a_bad_redirect_list_imports_nothing() {
    let data_dir = published_files("legacy-bad", &[("master.m3u8", b"#EXTM3U\n")]).await;
    let list = data_dir.parent().unwrap().join("lista.csv");
    let import_list = || {
        aula(&data_dir)
            .args(["legacy", "import"])
            .arg(&list)
            .output()
            .unwrap()
    };
    std::fs::write(&list, "/a,/sedute/1\n/b\n/A,/sedute/2\n").unwrap();
    let out = import_list();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("line 2: expected two columns"), "{stderr}");
    assert!(
        stderr.contains("line 3: /A is already mapped on line 1"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing imported"), "{stderr}");
    let app = spawn_app(&data_dir).await;
    assert_eq!(
        app.get("/a").await.status(),
        404,
        "the good line was not imported either"
    );
    // A conflicting second list is refused whole too.
    std::fs::write(&list, "/a,/sedute/1\n").unwrap();
    assert!(import_list().status.success());
    std::fs::write(&list, "/c,/sedute/1\n/a,/sedute/9\n").unwrap();
    let out = import_list();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("/a already leads to /sedute/1"));
    assert_eq!(app.get("/c").await.status(), 404);
}
