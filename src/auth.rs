//! Admin tokens: made from the system's randomness, shown once, stored only as their
//! SHA-256. Checking a token is a lookup of its hash, so no stored secret is ever compared
//! byte by byte with what a client sent.

use std::io::Read;

use sha2::{Digest, Sha256};

/// A new token: "aula_" and 64 hex digits (256 random bits).
pub fn new_token() -> std::io::Result<String> {
    Ok(format!("aula_{}", random_hex(32)?))
}

/// `bytes` bytes of the system's randomness, as hex digits.
pub fn random_hex(bytes: usize) -> std::io::Result<String> {
    let mut buf = vec![0u8; bytes];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(hex::encode(buf))
}

/// What the catalog stores for a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.trim().as_bytes()))
}

/// The token in an `Authorization: Bearer …` header value.
pub fn bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty() && t.len() <= 200)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let a = new_token().unwrap();
        let b = new_token().unwrap();
        assert_ne!(a, b);
        assert!(a.starts_with("aula_") && a.len() == 69);
        assert_eq!(token_hash(&a), token_hash(&format!(" {a} ")));
        assert_ne!(token_hash(&a), token_hash(&b));
    }

    #[test]
    fn bearer_headers() {
        assert_eq!(bearer("Bearer abc"), Some("abc"));
        assert_eq!(bearer("bearer  abc "), Some("abc"));
        assert_eq!(bearer("Basic abc"), None);
        assert_eq!(bearer("Bearer "), None);
        assert_eq!(bearer("abc"), None);
    }
}
