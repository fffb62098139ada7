//! `aula people import FILE`: the roster, as CSV or JSON, one row per role a person held.
//! Every row is checked, and the whole roster for contradictions, before anything is
//! written: a role that is not one, a body that does not exist, dates that do not parse or
//! run backwards, a person holding the same seat twice at once or sitting in two groups at
//! once, two people holding the one mayor's (president's, secretary's) chair at once. Then
//! the people in the file are written with exactly the roles the file gives them, so the
//! same file imported again changes nothing.

use std::collections::HashMap;

use serde::Deserialize;

use crate::catalog::{fold, slug, Body, Catalog, CatalogError, SessionDate};
use crate::domain::RoleKind;
use crate::import::{parse_date, Problem};

/// The longest name part accepted: longer is a column mix-up, not a name.
const MAX_NAME_CHARS: usize = 100;

/// One row as read. CSV columns have these names (Italian ones are accepted too); any
/// other column is refused, naming the ones there may be.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct RawRole {
    /// Only needed to tell apart two people with the same name.
    pub slug: String,
    #[serde(alias = "nome")]
    pub given_name: String,
    #[serde(alias = "cognome")]
    pub family_name: String,
    #[serde(alias = "ruolo")]
    pub role: String,
    #[serde(alias = "organo")]
    pub body: String,
    #[serde(alias = "gruppo", alias = "party")]
    pub group: String,
    #[serde(alias = "delega")]
    pub portfolio: String,
    #[serde(alias = "dal")]
    pub from: String,
    #[serde(alias = "al")]
    pub to: String,
}

/// A checked role of a person.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleEntry {
    /// Line in a CSV file (header = 1), position in a JSON array; 0 for a role already in
    /// the roster.
    pub line: usize,
    pub slug: String,
    pub given_name: String,
    pub family_name: String,
    pub role: RoleKind,
    /// Empty for the comune-wide roles.
    pub body: Option<Body>,
    pub party: Option<String>,
    pub portfolio: Option<String>,
    pub from: SessionDate,
    pub to: Option<SessionDate>,
}

impl RoleEntry {
    fn name(&self) -> String {
        format!("{} {}", self.given_name, self.family_name)
    }

    fn overlaps(&self, other: &RoleEntry) -> bool {
        let ends_before = |a: &RoleEntry, b: &RoleEntry| a.to.is_some_and(|to| to < b.from);
        !ends_before(self, other) && !ends_before(other, self)
    }

    fn same_body(&self, other: &RoleEntry) -> bool {
        self.body.as_ref().map(|b| b.id) == other.body.as_ref().map(|b| b.id)
    }

    fn place(&self) -> String {
        match &self.body {
            Some(b) => format!("{} of {}", self.role, b.name),
            None => self.role.to_string(),
        }
    }

    fn whence(&self) -> String {
        match self.line {
            0 => "already in the roster".into(),
            n => format!("line {n}"),
        }
    }
}

/// The role named in Italian or English, as clerks write it.
pub fn parse_role(text: &str) -> Option<RoleKind> {
    let t = fold(text.trim()).replace(['-', ' '], "_");
    let role = match t.as_str() {
        "consigliere" | "consigliera" | "consigliere_comunale" => RoleKind::Councillor,
        "sindaco" | "sindaca" => RoleKind::Mayor,
        "vicesindaco" | "vicesindaca" | "vice_sindaco" => RoleKind::DeputyMayor,
        "assessora" => RoleKind::Assessore,
        "presidente" => RoleKind::President,
        "vicepresidente" | "vice_presidente" => RoleKind::VicePresident,
        "segretario" | "segretaria" | "segretario_generale" => RoleKind::Secretary,
        other => other.parse().ok()?,
    };
    Some(role)
}

/// Roles held by one person at a time in one place, and by one person only.
fn needs_body(role: RoleKind) -> bool {
    matches!(
        role,
        RoleKind::Councillor | RoleKind::President | RoleKind::VicePresident
    )
}

fn single_holder(role: RoleKind) -> bool {
    matches!(
        role,
        RoleKind::Mayor
            | RoleKind::DeputyMayor
            | RoleKind::President
            | RoleKind::VicePresident
            | RoleKind::Secretary
    )
}

fn optional(text: &str) -> Option<String> {
    let t = crate::text::collapse_spaces(text.trim());
    (!t.is_empty()).then_some(t)
}

/// One row checked on its own (its body looked up in `bodies`, by slug and folded name).
fn check_row(line: usize, raw: RawRole, bodies: &[Body]) -> Result<RoleEntry, Vec<Problem>> {
    let mut problems = Vec::new();
    let mut problem = |reason: String| problems.push(Problem::on_line(line, reason));
    let given = crate::text::collapse_spaces(raw.given_name.trim());
    let family = crate::text::collapse_spaces(raw.family_name.trim());
    for (what, value) in [("given_name", &given), ("family_name", &family)] {
        if value.is_empty() {
            problem(format!("{what} is empty"));
        } else if value.chars().count() > MAX_NAME_CHARS {
            problem(format!("{what} is longer than {MAX_NAME_CHARS} characters"));
        }
    }
    let role = parse_role(&raw.role);
    if role.is_none() {
        problem(format!(
            "role {:?} is not one of: {}",
            raw.role,
            RoleKind::ALL
                .iter()
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let body = match optional(&raw.body) {
        None => None,
        Some(name) => {
            let key = fold(&name);
            let found = bodies
                .iter()
                .find(|b| b.slug == name || fold(&b.name) == key);
            if found.is_none() {
                problem(format!(
                    "no body is named {name:?}: use the name or address of an existing one"
                ));
            }
            found.cloned()
        }
    };
    if let Some(r) = role {
        if needs_body(r) && optional(&raw.body).is_none() {
            problem(format!("a {r} needs the body they sit in"));
        }
    }
    let from = parse_date(&raw.from);
    if from.is_none() {
        problem(format!("from {:?} is not a date", raw.from));
    }
    let to = match optional(&raw.to) {
        None => None,
        Some(t) => {
            let to = parse_date(&t);
            if to.is_none() {
                problem(format!("to {t:?} is not a date"));
            }
            to
        }
    };
    if let (Some(f), Some(t)) = (from, to) {
        if t < f {
            problem(format!(
                "the role ends ({}) before it starts ({})",
                t.iso(),
                f.iso()
            ));
        }
    }
    let (Some(role), Some(from), true) = (role, from, problems.is_empty()) else {
        return Err(problems);
    };
    let slug = optional(&raw.slug)
        .map(|s| slug(&s))
        .unwrap_or_else(|| slug(&format!("{given} {family}")));
    Ok(RoleEntry {
        line,
        slug,
        given_name: given,
        family_name: family,
        role,
        body,
        party: optional(&raw.group),
        portfolio: optional(&raw.portfolio),
        from,
        to,
    })
}

/// Roles that cannot all be true: the same person twice in one seat or in two groups at
/// once, a slug naming two different people, two people in a one-person chair at once.
/// `existing` are the roster's roles of people the file does not name.
pub fn contradictions(entries: &[RoleEntry], existing: &[RoleEntry]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut names: HashMap<&str, &RoleEntry> = HashMap::new();
    for e in entries {
        let first = *names.entry(e.slug.as_str()).or_insert(e);
        if fold(&first.name()) != fold(&e.name()) {
            problems.push(Problem::on_line(
                e.line,
                format!(
                    "{} has the address {:?} that {} (line {}) has; give one of them another slug",
                    e.name(),
                    e.slug,
                    first.name(),
                    first.line
                ),
            ));
        }
    }
    let all: Vec<&RoleEntry> = entries.iter().chain(existing).collect();
    for (i, a) in entries.iter().enumerate() {
        for b in all.iter().skip(i + 1) {
            if let Some(reason) = contradiction(a, b) {
                problems.push(Problem::on_line(a.line.max(b.line), reason));
            }
        }
    }
    problems
}

fn contradiction(a: &RoleEntry, b: &RoleEntry) -> Option<String> {
    if !a.overlaps(b) || !a.same_body(b) {
        return None;
    }
    let same_person = a.slug == b.slug;
    if same_person && a.role == b.role {
        if a.role == RoleKind::Councillor && a.party != b.party {
            return Some(format!(
                "{} cannot sit in two groups at once: {:?} and {:?} ({})",
                a.name(),
                a.party.as_deref().unwrap_or("none"),
                b.party.as_deref().unwrap_or("none"),
                b.whence()
            ));
        }
        if a.role != RoleKind::Assessore {
            return Some(format!(
                "{} is {} twice over the same dates ({})",
                a.name(),
                a.place(),
                b.whence()
            ));
        }
    }
    if !same_person && a.role == b.role && single_holder(a.role) {
        return Some(format!(
            "{} and {} ({}) cannot both be {} on the same dates",
            a.name(),
            b.name(),
            b.whence(),
            a.place()
        ));
    }
    None
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RosterImported {
    pub people: usize,
    pub new_people: usize,
    pub roles: usize,
}

/// Checks the rows (against the bodies and the rest of the roster) and, when every one is
/// right, writes them in one transaction; otherwise writes nothing and returns every
/// problem, by line.
pub async fn import(
    catalog: &Catalog,
    rows: Vec<(usize, RawRole)>,
    dry_run: bool,
) -> Result<Result<RosterImported, Vec<Problem>>, CatalogError> {
    if rows.is_empty() {
        return Ok(Err(vec![Problem {
            line: None,
            reason: "the file has no rows".into(),
        }]));
    }
    let bodies = catalog.bodies().await?;
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (line, raw) in rows {
        match check_row(line, raw, &bodies) {
            Ok(e) => entries.push(e),
            Err(p) => problems.extend(p),
        }
    }
    let existing: Vec<RoleEntry> = catalog
        .roster_roles()
        .await?
        .into_iter()
        .filter(|r| !entries.iter().any(|e| e.slug == r.slug))
        .collect();
    problems.extend(contradictions(&entries, &existing));
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.line);
        return Ok(Err(problems));
    }
    if dry_run {
        let people = entries
            .iter()
            .map(|e| &e.slug)
            .collect::<std::collections::HashSet<_>>();
        return Ok(Ok(RosterImported {
            people: people.len(),
            new_people: 0,
            roles: entries.len(),
        }));
    }
    Ok(Ok(catalog.replace_roles(&entries).await?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::BodyKind;

    fn council() -> Body {
        Body {
            id: 1,
            slug: "consiglio-comunale".into(),
            name: "Consiglio comunale".into(),
            kind: BodyKind::Council,
        }
    }

    fn raw(
        given: &str,
        family: &str,
        role: &str,
        body: &str,
        group: &str,
        from: &str,
        to: &str,
    ) -> RawRole {
        RawRole {
            given_name: given.into(),
            family_name: family.into(),
            role: role.into(),
            body: body.into(),
            group: group.into(),
            from: from.into(),
            to: to.into(),
            ..RawRole::default()
        }
    }

    fn entry(line: usize, r: RawRole) -> RoleEntry {
        check_row(line, r, &[council()]).unwrap()
    }

    #[test]
    fn rows_in_italian_are_read() {
        let e = entry(
            2,
            raw(
                "Mario",
                "Rossi",
                "Consigliere",
                "consiglio comunale",
                "Lista civica",
                "12/06/2009",
                "2014-05-25",
            ),
        );
        assert_eq!(e.role, RoleKind::Councillor);
        assert_eq!(e.slug, "mario-rossi");
        assert_eq!(e.body.unwrap().id, 1);
        assert_eq!(e.from.iso(), "2009-06-12");
        assert_eq!(e.to.unwrap().iso(), "2014-05-25");
        assert_eq!(parse_role("Segretario generale"), Some(RoleKind::Secretary));
        assert_eq!(parse_role("vice_president"), Some(RoleKind::VicePresident));
        assert_eq!(parse_role("usciere"), None);
        let json = r#"[{"given_name": "Mario", "family_name": "Rossi", "role": "sindaco", "from": "2009-06-12"}]"#;
        let rows = crate::import::read_rows::<RawRole>(json).unwrap();
        assert_eq!(entry(rows[0].0, rows[0].1.clone()).role, RoleKind::Mayor);
        let extra = crate::import::read_rows::<RawRole>("nome;cognome;note\nA;B;x\n").unwrap_err();
        assert!(extra.contains("unknown field `note`"), "{extra}");
    }

    #[test]
    fn bad_rows_say_what_is_wrong() {
        let problems = check_row(
            3,
            raw(
                "",
                "Rossi",
                "usciere",
                "Giunta regionale",
                "",
                "ieri",
                "2001-01-01",
            ),
            &[council()],
        )
        .unwrap_err();
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(text.iter().all(|t| t.starts_with("line 3: ")), "{text:?}");
        assert!(text.iter().any(|t| t.contains("given_name is empty")));
        assert!(text.iter().any(|t| t.contains("\"usciere\" is not one of")));
        assert!(text
            .iter()
            .any(|t| t.contains("no body is named \"Giunta regionale\"")));
        assert!(text.iter().any(|t| t.contains("\"ieri\" is not a date")));
        let backwards = check_row(
            4,
            raw("A", "B", "sindaco", "", "", "2010-01-01", "2009-01-01"),
            &[],
        )
        .unwrap_err();
        assert!(backwards[0]
            .reason
            .contains("ends (2009-01-01) before it starts"));
        let no_body = check_row(
            5,
            raw("A", "B", "consigliere", "", "", "2010-01-01", ""),
            &[],
        )
        .unwrap_err();
        assert!(no_body[0].reason.contains("needs the body"));
    }

    #[test]
    fn contradicting_roles_are_refused() {
        let c = "Consiglio comunale";
        let rossi_a = entry(
            2,
            raw(
                "Mario",
                "Rossi",
                "consigliere",
                c,
                "A",
                "2009-06-12",
                "2014-05-25",
            ),
        );
        let rossi_b = entry(
            3,
            raw("Mario", "Rossi", "consigliere", c, "B", "2013-01-01", ""),
        );
        let p = contradictions(&[rossi_a.clone(), rossi_b], &[]);
        assert_eq!(p.len(), 1);
        assert!(p[0]
            .to_string()
            .starts_with("line 3: Mario Rossi cannot sit in two groups"));
        // Changing group after the first term ends is no contradiction.
        let later = entry(
            3,
            raw("Mario", "Rossi", "consigliere", c, "B", "2014-05-26", ""),
        );
        assert!(contradictions(&[rossi_a, later], &[]).is_empty());
        let mayor1 = entry(
            2,
            raw(
                "Anna",
                "Verdi",
                "sindaca",
                "",
                "",
                "2009-06-12",
                "2014-05-25",
            ),
        );
        let mut mayor2 = entry(0, raw("Luca", "Neri", "sindaco", "", "", "2014-05-01", ""));
        mayor2.line = 0;
        let p = contradictions(&[mayor1], &[mayor2]);
        assert_eq!(p.len(), 1);
        assert!(p[0].reason.contains("already in the roster"), "{p:?}");
        // Two people with the same name need their own slugs.
        let twin = entry(
            4,
            RawRole {
                slug: "mario-rossi".into(),
                ..raw("Maria", "Rossi", "assessore", "", "", "2010-01-01", "")
            },
        );
        let rossi = entry(
            2,
            raw("Mario", "Rossi", "consigliere", c, "A", "2009-06-12", ""),
        );
        let p = contradictions(&[rossi, twin], &[]);
        assert!(
            p[0].reason.contains("has the address \"mario-rossi\""),
            "{p:?}"
        );
    }
}
