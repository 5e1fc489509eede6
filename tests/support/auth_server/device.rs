//! The device authorization grant of the test server (RFC 8628): `/device` hands out a code, the token
//! endpoint answers `authorization_pending` (or `slow_down` on the first poll, when asked) until the test
//! approves ([`super::TestServer::approve_devices`]) or the code expires. Also the unsigned ID tokens the
//! server issues for a signed-in user (their claims are what a client shows; nobody verifies them here).

use base64::Engine;

use super::handlers::json_response;
use super::*;

/// The grant type.
pub const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[derive(Debug, Default)]
pub struct DeviceLog {
    pub codes: HashMap<String, DeviceCode>,
    /// Token requests with a device code so far.
    pub polls: usize,
}

#[derive(Debug, Clone)]
pub struct DeviceCode {
    client_id: String,
    scope: String,
    expires_at: i64,
    polled: u32,
    /// Who approved it (the user signed in at the verification page).
    pub approved_by: Option<String>,
}

pub(super) async fn authorize(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if !inner.opts.device {
        return StatusCode::NOT_FOUND.into_response();
    }
    if get("resource") != inner.resource() {
        return json_response(StatusCode::BAD_REQUEST, json!({"error": "invalid_target"}));
    }
    let device_code = inner.next("device");
    let user_code = format!("WDJB-{:04}", inner.counter.fetch_add(1, Ordering::Relaxed) % 10_000);
    let mut d = inner.data();
    d.device.codes.insert(
        device_code.clone(),
        DeviceCode {
            client_id: get("client_id"),
            scope: get("scope"),
            expires_at: now() + inner.opts.device_code_ttl_secs as i64,
            polled: 0,
            approved_by: None,
        },
    );
    let page = format!("{}/device/verify", inner.public_base());
    json_response(
        StatusCode::OK,
        json!({
            "device_code": device_code,
            "user_code": user_code,
            "verification_uri": page,
            "verification_uri_complete": format!("{page}?user_code={user_code}"),
            "expires_in": inner.opts.device_code_ttl_secs,
            "interval": 1,
        }),
    )
}

/// The verification page: visiting it approves every pending code (as the signed-in browser user).
pub(super) async fn verify(State(inner): State<Arc<Inner>>, headers: HeaderMap) -> Response {
    let user = headers
        .get("x-test-user")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("browser-user")
        .to_owned();
    for code in inner.data().device.codes.values_mut() {
        code.approved_by = Some(user.clone());
    }
    (StatusCode::OK, "approved").into_response()
}

/// A token request with a device code: the scope granted and who approved, or the OAuth error code to
/// answer with.
pub(super) fn redeem(
    inner: &Inner,
    d: &mut Data,
    device_code: &str,
    client_id: &str,
) -> Result<(String, Option<String>), &'static str> {
    d.device.polls += 1;
    let Some(code) = d.device.codes.get_mut(device_code) else {
        return Err("invalid_grant");
    };
    if code.client_id != client_id {
        return Err("invalid_grant");
    }
    if now() >= code.expires_at {
        return Err("expired_token");
    }
    code.polled += 1;
    if code.polled == 1 && inner.opts.device_slow_down {
        return Err("slow_down");
    }
    let Some(user) = code.approved_by.clone() else {
        return Err("authorization_pending");
    };
    let scope = code.scope.clone();
    d.device.codes.remove(device_code);
    Ok((scope, Some(user)))
}

/// An ID token for `user` (`alg: none`: the client only reads its claims to show who the account is).
pub fn unsigned_id_token(user: &str, issuer: &str) -> String {
    let e = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let claims = json!({"iss": issuer, "sub": format!("sub-{user}"), "email": format!("{user}@example.com")});
    format!(
        "{}.{}.",
        e.encode(r#"{"alg":"none","typ":"JWT"}"#),
        e.encode(claims.to_string())
    )
}
