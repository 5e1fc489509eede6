//! Scopes (RFC 6749 §3.3): what a scope token may contain.

/// A string that is not a scope token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid scope {scope:?}: a scope is printable ASCII without spaces or quotes")]
pub struct ScopeError {
    /// The string, shortened.
    pub scope: String,
}

/// Whether `scope` is a scope token per RFC 6749 §3.3: one or more of `%x21 / %x23-5B / %x5D-7E`
/// (printable ASCII except space, `"` and `\`).
pub fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b))
}

/// [`is_scope_token`], as a `Result` that names the offending string.
pub fn validate_scope(scope: &str) -> Result<(), ScopeError> {
    if is_scope_token(scope) {
        Ok(())
    } else {
        Err(ScopeError {
            scope: crate::text::shorten(scope),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_tokens() {
        assert!(validate_scope("mcp:tools").is_ok());
        assert!(validate_scope("read write").is_err());
        assert!(validate_scope("").is_err());
        assert!(validate_scope("a\"b").is_err());
        assert!(validate_scope("a\\b").is_err());
        assert!(validate_scope("\u{1b}[31m").is_err());
    }
}
