//! People of the comune and what the archive knows about them in its sessions: the roster
//! (who held which role in which body, when), the speaker of each stretch of a transcript,
//! who was present and how each vote went.
//!
//! The pure readers live here and take text in and give verdicts out: `names` resolves a
//! speaker label or a name in the minutes to one person of the roster valid on the
//! session's date (or to nobody, never a guess); `turns` infers speaker turns from what an
//! automatic transcript heard the chair say; `minutes` reads the roll call and the votes
//! from the minutes' text. Storing what they find is the catalog's job.

pub mod minutes;
pub mod names;
pub mod profile;
pub mod reading;
pub mod roster;
pub mod turns;
pub mod votes;

use crate::domain::RoleKind;

/// A person as the readers see them: someone of the roster valid on one session's date,
/// with the roles they held that day.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub given_name: String,
    pub family_name: String,
    /// The roles held on the session's date: in the session's body, and the comune-wide
    /// ones (mayor, deputy mayor, assessore, secretary).
    pub roles: Vec<RoleKind>,
}

impl Member {
    pub fn has(&self, role: RoleKind) -> bool {
        self.roles.contains(&role)
    }
}

/// The turn in force at `ms` (original timeline): an editor's turn that covers it, else
/// the last reading that started at or before it. `turns` are sorted by start.
pub fn speaker_at(turns: &[crate::catalog::TurnRow], ms: i64) -> Option<&crate::catalog::TurnRow> {
    use crate::domain::Provenance;
    let covering = turns.iter().rfind(|t| {
        t.source == Provenance::Editor && t.start_ms <= ms && t.end_ms.is_some_and(|end| ms < end)
    });
    covering.or_else(|| {
        turns
            .iter()
            .rfind(|t| t.source != Provenance::Editor && t.start_ms <= ms)
    })
}

/// A member of a test roster.
#[cfg(test)]
pub(crate) fn member(id: i64, given: &str, family: &str, roles: &[RoleKind]) -> Member {
    Member {
        id,
        given_name: given.into(),
        family_name: family.into(),
        roles: roles.to_vec(),
    }
}
