//! Who an account is, for showing: the claims of an OpenID `id_token` (decoded, never verified, so never
//! used to decide anything) or of a userinfo answer — `email`, else `preferred_username`, else `sub`.

use base64::Engine;
use serde_json::Value;

use crate::text::sanitize;

/// The identity in an ID token's payload; `None` when it is not a JWT with one of the claims.
pub fn from_id_token(id_token: &str) -> Option<String> {
    let payload = id_token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload.trim_end_matches('='))
        .ok()?;
    from_claims(&serde_json::from_slice(&bytes).ok()?)
}

/// The identity in a set of claims (an ID token's payload, a userinfo answer).
pub fn from_claims(claims: &Value) -> Option<String> {
    ["email", "preferred_username", "sub"]
        .iter()
        .find_map(|claim| claims.get(claim)?.as_str().filter(|v| !v.trim().is_empty()))
        .map(|v| crate::text::shorten(&sanitize(v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(claims: &str) -> String {
        let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!("{}.{}.sig", e.encode(r#"{"alg":"none"}"#), e.encode(claims))
    }

    #[test]
    fn email_then_username_then_subject() {
        assert_eq!(
            from_id_token(&jwt(r#"{"sub":"1","email":"a@example.com"}"#)).as_deref(),
            Some("a@example.com")
        );
        assert_eq!(
            from_id_token(&jwt(r#"{"sub":"1","preferred_username":"ann"}"#)).as_deref(),
            Some("ann")
        );
        assert_eq!(from_id_token(&jwt(r#"{"sub":"1"}"#)).as_deref(), Some("1"));
        assert_eq!(
            from_id_token(&jwt(r#"{"email":"\u001b]52;c;x\u0007@x"}"#))
                .as_deref()
                .map(|v| v.contains('\u{1b}')),
            Some(false)
        );
        assert_eq!(from_id_token("not a jwt"), None);
        assert_eq!(from_id_token(&jwt("[]")), None);
    }
}
