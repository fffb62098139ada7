//! Admin API tokens, stored by hash. It must never see or store a token in clear.

use super::{now, Catalog, Result};

impl Catalog {
    /// Stores an admin token's hash under a name.
    pub async fn add_token(&self, name: &str, token_hash: &str) -> Result<i64> {
        Ok(sqlx::query_scalar(
            "INSERT INTO api_tokens (name, token_hash, created_at) VALUES ($1, $2, $3) RETURNING id",
        )
        .bind(name)
        .bind(token_hash)
        .bind(now())
        .fetch_one(&self.pool)
        .await?)
    }

    /// The name of the token with this hash, noting that it was used.
    pub async fn use_token(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(sqlx::query_scalar(
            "UPDATE api_tokens SET last_used_at = $1 WHERE token_hash = $2 RETURNING name",
        )
        .bind(now())
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?)
    }
}
