//! The old portal's addresses: how an old URL is matched (the key), and the plain list
//! "old URL → new URL" a clerk can import. Serving the redirects is in `http`; storing
//! them in `catalog`.

/// The form an old address is stored and looked up in, so the spellings a browser, a
/// search engine or an IIS server treated as the same address match: the scheme and host
/// dropped, percent-escapes decoded, the path in lower case (the old portals ran on
/// case-insensitive servers), query parameters sorted with lower-case names, a trailing
/// `/` and the fragment ignored.
pub fn key(url: &str) -> Option<String> {
    let url = url.trim();
    let url = url.split('#').next().unwrap_or("");
    // Absolute URLs: keep from the path on.
    let url = match url.find("://") {
        Some(i) => {
            let rest = &url[i + 3..];
            &rest[rest.find('/').unwrap_or(rest.len())..]
        }
        None => url,
    };
    let (path, query) = url.split_once('?').unwrap_or((url, ""));
    if !path.starts_with('/') {
        return None;
    }
    let path = decode(path).to_lowercase();
    let path = match path.trim_end_matches('/') {
        "" => "/".to_string(),
        trimmed => trimmed.to_string(),
    };
    let mut params: Vec<(String, String)> = query
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (name, value) = p.split_once('=').unwrap_or((p, ""));
            let plus = |s: &str| s.replace('+', " ");
            (decode(&plus(name)).to_lowercase(), decode(&plus(value)))
        })
        .collect();
    params.sort();
    if params.is_empty() {
        return Some(path);
    }
    let query: Vec<String> = params
        .iter()
        .map(|(n, v)| {
            if v.is_empty() {
                n.clone()
            } else {
                format!("{n}={v}")
            }
        })
        .collect();
    Some(format!("{path}?{}", query.join("&")))
}

fn decode(text: &str) -> String {
    // Invalid UTF-8 after decoding (Latin-1 escapes from old servers) is read as Latin-1.
    let bytes = urlencoding::decode_binary(text.as_bytes()).into_owned();
    String::from_utf8(bytes).unwrap_or_else(|e| e.into_bytes().iter().map(|&b| b as char).collect())
}

/// One line of a redirect list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mapping {
    /// 301 to a new address (a path on this server, or an absolute URL).
    Moved { old: String, new: String },
    /// 410: the item was withdrawn on purpose.
    Gone { old: String },
}

impl Mapping {
    pub fn old(&self) -> &str {
        match self {
            Mapping::Moved { old, .. } | Mapping::Gone { old } => old,
        }
    }
}

/// The rows a list adds to the catalog: each old address's key, and where it leads
/// (`None`: gone).
pub fn links(mappings: &[Mapping]) -> Vec<(String, Option<String>)> {
    mappings
        .iter()
        .filter_map(|m| {
            let key = key(m.old())?;
            Some(match m {
                Mapping::Moved { new, .. } => (key, Some(new.clone())),
                Mapping::Gone { .. } => (key, None),
            })
        })
        .collect()
}

/// How many of `links` the catalog does not hold yet: what a dry run would add.
pub async fn count_new(
    catalog: &crate::catalog::Catalog,
    links: &[(String, Option<String>)],
) -> Result<usize, crate::catalog::CatalogError> {
    let mut new = 0;
    for (key, _) in links {
        if catalog.legacy_target(key).await?.is_none() {
            new += 1;
        }
    }
    Ok(new)
}

/// Reads a plain list, one mapping per line: the old URL, then the new URL or `410`,
/// separated by a tab, `;`, `,`, `->` or spaces. Blank lines and `#` comments are skipped.
/// Every bad line is reported with its number; nothing is returned unless all are good.
pub fn parse_list(text: &str) -> Result<Vec<Mapping>, Vec<String>> {
    let mut out = Vec::new();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for (n, line) in text.lines().enumerate() {
        let n = n + 1;
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let parts: Vec<&str> = line
            .split(['\t', ';', ','])
            .flat_map(|p| p.split("->"))
            .flat_map(|p| p.split_whitespace())
            .filter(|p| !p.is_empty())
            .collect();
        let [old, new] = parts[..] else {
            errors.push(format!(
                "line {n}: expected two columns (old URL, new URL or 410), found {}",
                parts.len()
            ));
            continue;
        };
        let Some(old_key) = key(old) else {
            errors.push(format!(
                "line {n}: {old:?} is not a URL or a path starting with /"
            ));
            continue;
        };
        if let Some(first) = seen.insert(old_key, n) {
            errors.push(format!("line {n}: {old} is already mapped on line {first}"));
            continue;
        }
        if new == "410" {
            out.push(Mapping::Gone {
                old: old.to_string(),
            });
        } else if new.starts_with('/') || new.starts_with("https://") || new.starts_with("http://")
        {
            out.push(Mapping::Moved {
                old: old.to_string(),
                new: new.to_string(),
            });
        } else {
            errors.push(format!("line {n}: the new address {new:?} must be a path starting with /, an http(s) URL or 410"));
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_old_address_share_a_key() {
        let want = Some("/archivio/sedute.asp?anno=2009&id=123".to_string());
        for spelling in [
            "/archivio/sedute.asp?id=123&anno=2009",
            "/Archivio/Sedute.asp?ID=123&Anno=2009",
            "http://www.comune.example.it/archivio/sedute.asp?anno=2009&id=123#video",
            "/archivio/sedute%2Easp?id=123&anno=2009",
        ] {
            assert_eq!(key(spelling), want, "{spelling}");
        }
        assert_eq!(
            key("/video/2009/commissione%20urbanistica.wmv").as_deref(),
            Some("/video/2009/commissione urbanistica.wmv")
        );
        assert_eq!(key("/sedute/").as_deref(), Some("/sedute"));
        assert_eq!(key("/").as_deref(), Some("/"));
        assert_eq!(key("relative/path"), None);
        // A Latin-1 escape from an old server still gives a key.
        assert_eq!(key("/citt%E0").as_deref(), Some("/città"));
    }

    #[test]
    fn redirect_lists_are_read_whole_or_refused_with_line_numbers() {
        let list = "# vecchio portale\n\
            /archivio/sedute.asp?id=123\t/sedute/4\n\
            /video/2009/commissione_urbanistica.wmv -> /sedute/4\n\
            /archivio/sedute.asp?id=99;410\n\n";
        let got = parse_list(list).unwrap();
        assert_eq!(got.len(), 3);
        assert_eq!(
            got[0],
            Mapping::Moved {
                old: "/archivio/sedute.asp?id=123".into(),
                new: "/sedute/4".into()
            }
        );
        assert_eq!(
            got[2],
            Mapping::Gone {
                old: "/archivio/sedute.asp?id=99".into()
            }
        );

        let bad = "/a /sedute/1\n/b\n/A /sedute/2\n/c sedute/3\n";
        let errors = parse_list(bad).unwrap_err();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("line 2: expected two columns"));
        assert!(errors[1].contains("already mapped on line 1"));
        assert!(errors[2].starts_with("line 4: the new address"));
    }
}
