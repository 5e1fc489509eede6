//! The routes of the test server: the MCP endpoint, the metadata documents, registration, authorization,
//! token and revocation, each with its switches.

use super::*;

pub(super) fn router(inner: Arc<Inner>) -> Router {
    let mut app = Router::new()
        .route("/mcp", any(super::mcp::mcp))
        .route("/mcp/messages", post(super::mcp::legacy_message))
        .route("/device", post(super::device::authorize))
        .route("/device/verify", get(super::device::verify))
        .route("/meta/prm.json", get(prm_doc))
        .route("/.well-known/oauth-protected-resource/mcp", get(prm_doc))
        .route("/.well-known/oauth-protected-resource", get(prm_doc));
    // The configured issuer path, and `/as2` where the authorization server moves to.
    let mut paths = HashSet::new();
    for ip in [inner.opts.issuer_path, "/as2"] {
        paths.extend([
            format!("/.well-known/oauth-authorization-server{ip}"),
            format!("/.well-known/openid-configuration{ip}"),
            format!("{ip}/.well-known/openid-configuration"),
        ]);
        app = app
            .route(&format!("{ip}/authorize"), get(authorize))
            .route(&format!("{ip}/token"), post(token))
            .route(&format!("{ip}/register"), post(register))
            .route(&format!("{ip}/revoke"), post(revoke));
    }
    for path in &paths {
        app = app.route(path, get(as_metadata));
    }
    app.layer(middleware::from_fn_with_state(inner.clone(), super::poison::poison))
        .layer(middleware::from_fn_with_state(inner.clone(), record))
        .with_state(inner)
}

async fn record(State(inner): State<Arc<Inner>>, request: Request, next: Next) -> Response {
    inner
        .data()
        .requests
        .push(format!("{} {}", request.method(), request.uri().path()));
    if !inner.opts.latency.is_zero() {
        tokio::time::sleep(inner.opts.latency).await;
    }
    next.run(request).await
}

pub(super) fn json_response(status: StatusCode, body: Value) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(status, json!({"error": error, "error_description": description}))
}

async fn prm_doc(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let path = request.uri().path();
    let served = match inner.opts.prm {
        Prm::HeaderAndPath => path == "/.well-known/oauth-protected-resource/mcp",
        Prm::HeaderOnly => path == "/meta/prm.json",
        Prm::PathOnly => path == "/.well-known/oauth-protected-resource/mcp",
        Prm::RootOnly => path == "/.well-known/oauth-protected-resource",
        Prm::None => false,
    };
    if !served {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let resource = match inner.hostile() {
        Some(Hostile::PrmResource(template)) => template
            .replace("{BASE}", &inner.public_base().to_uppercase())
            .replace("{base}", &inner.public_base()),
        _ => inner.resource(),
    };
    json_response(
        StatusCode::OK,
        json!({
            "resource": resource,
            "authorization_servers": [inner.issuer()],
            "scopes_supported": inner.opts.scopes_supported,
            "bearer_methods_supported": ["header"],
        }),
    )
}

async fn as_metadata(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let ip = inner.issuer_path();
    let path = request.uri().path();
    let served = match (inner.opts.prm, inner.opts.metadata) {
        (_, Metadata::None) => false,
        (Prm::None, Metadata::OAuth) => path == "/.well-known/oauth-authorization-server",
        (Prm::None, Metadata::OidcOnly) => false,
        (_, Metadata::OAuth) => path == format!("/.well-known/oauth-authorization-server{ip}"),
        (_, Metadata::OidcOnly) if ip.is_empty() => path == "/.well-known/openid-configuration",
        (_, Metadata::OidcOnly) => path == format!("{ip}/.well-known/openid-configuration"),
    };
    if !served {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match inner.hostile() {
        Some(Hostile::MetadataBody(body)) => return json_response_raw(StatusCode::OK, body),
        Some(Hostile::HugeMetadata { bytes, with_length }) => return huge_body(bytes, with_length),
        Some(Hostile::TrickleMetadata) => return trickle_body(),
        _ => {}
    }
    let o = &inner.opts;
    let mut doc = json!({
        "issuer": if o.wrong_issuer { "https://evil.example".to_owned() } else { inner.issuer() },
        "authorization_endpoint": inner.endpoint("authorize"),
        "token_endpoint": if o.insecure_token_endpoint { "http://evil.example/token".to_owned() } else { inner.endpoint("token") },
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": o.auth_methods,
        "scopes_supported": o.as_scopes_supported.as_ref().unwrap_or(&o.scopes_supported),
    });
    if !o.pkce_methods.is_empty() {
        doc["code_challenge_methods_supported"] = json!(o.pkce_methods);
    }
    if o.dcr {
        doc["registration_endpoint"] = json!(inner.endpoint("register"));
    }
    if o.revocation {
        doc["revocation_endpoint"] = json!(inner.endpoint("revoke"));
    }
    if o.send_iss {
        doc["authorization_response_iss_parameter_supported"] = json!(true);
    }
    if o.cimd {
        doc["client_id_metadata_document_supported"] = json!(true);
    }
    if o.device {
        doc["device_authorization_endpoint"] = json!(format!("{}/device", inner.public_base()));
        doc["grant_types_supported"] = json!(["authorization_code", "refresh_token", super::device::GRANT]);
    }
    if let Some(values) = &o.prompt_values {
        doc["prompt_values_supported"] = json!(values);
    }
    if let Some(size) = o.oversized_metadata {
        doc["padding"] = json!("x".repeat(size));
    }
    if let Some(Hostile::AuthorizationEndpoint(url)) = inner.hostile() {
        doc["authorization_endpoint"] = json!(url);
    }
    json_response(StatusCode::OK, doc)
}

fn json_response_raw(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn redirect_elsewhere() -> Response {
    (
        StatusCode::TEMPORARY_REDIRECT,
        [(header::LOCATION, "http://127.0.0.1:9/elsewhere")],
    )
        .into_response()
}

/// A valid-looking JSON document of `bytes` bytes, streamed in 64 KiB chunks.
fn huge_body(bytes: usize, with_length: bool) -> Response {
    const CHUNK: usize = 64 * 1024;
    let chunks = bytes.div_ceil(CHUNK);
    let stream = futures::stream::iter((0..chunks).map(move |i| {
        let len = if i + 1 == chunks { bytes - i * CHUNK } else { CHUNK };
        Ok::<_, std::io::Error>(Bytes::from(vec![b' '; len]))
    }));
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    if with_length {
        response
            .headers_mut()
            .insert(header::CONTENT_LENGTH, bytes.to_string().parse().unwrap());
    }
    response
}

/// A body that never ends: one byte every 200 ms.
fn trickle_body() -> Response {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(Duration::from_millis(200)).await;
        Some((Ok::<_, std::io::Error>(Bytes::from_static(b" ")), ()))
    });
    let mut response = (StatusCode::OK, axum::body::Body::from_stream(stream)).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
    response
}

async fn register(State(inner): State<Arc<Inner>>, body: Bytes) -> Response {
    if !inner.opts.dcr {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    match inner.hostile() {
        Some(Hostile::RegistrationRedirect) => return redirect_elsewhere(),
        Some(Hostile::RegistrationBody(body)) => return json_response_raw(StatusCode::CREATED, body),
        _ => {}
    }
    let Ok(request) = serde_json::from_slice::<Value>(&body) else {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata", "body is not JSON");
    };
    let uris: Vec<String> = request["redirect_uris"]
        .as_array()
        .map(|a| a.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    if uris.is_empty() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "redirect_uris is required",
        );
    }
    if let Some(host) = inner.opts.refuse_redirect_host
        && uris
            .iter()
            .any(|u| url::Url::parse(u).is_ok_and(|u| host == "*" || u.host_str() == Some(host)))
    {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_redirect_uri",
            "this redirect URI host is not allowed for native clients",
        );
    }
    let client_id = inner.next("client");
    let secret = format!("CLIENT-SECRET-{client_id}");
    let mut d = inner.data();
    if inner
        .opts
        .registration_limit
        .is_some_and(|limit| d.registrations.len() >= limit)
    {
        return oauth_error(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            "registration rate limit",
        );
    }
    d.registrations.push(request.clone());
    d.clients.insert(client_id.clone(), uris.clone());
    let asked = request["token_endpoint_auth_method"]
        .as_str()
        .unwrap_or("client_secret_basic");
    let method = if inner.opts.issue_client_secret {
        "client_secret_post"
    } else if matches!(asked, "client_secret_post" | "client_secret_basic") {
        asked
    } else {
        "none"
    };
    let mut response = json!({
        "client_id": client_id,
        "client_id_issued_at": now(),
        "client_name": request["client_name"],
        "redirect_uris": uris,
        "grant_types": request["grant_types"],
        "response_types": ["code"],
        "token_endpoint_auth_method": method,
    });
    let issued_secret = (method != "none").then(|| {
        response["client_secret"] = json!(secret);
        response["client_secret_expires_at"] = json!(0);
        d.other_secrets.push(secret.clone());
        secret
    });
    d.client_auth.insert(client_id, (method.to_owned(), issued_secret));
    json_response(StatusCode::CREATED, response)
}

async fn authorize(State(inner): State<Arc<Inner>>, request: Request) -> Response {
    let query: HashMap<String, String> = url::form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| query.get(k).cloned().unwrap_or_default();
    let client_id = get("client_id");
    let redirect_uri = get("redirect_uri");
    inner.data().authorize_scopes.push(get("scope"));
    inner.data().authorize_prompts.push(query.get("prompt").cloned());
    // Who is signed in to this "browser session" (the scripted browser says, as a cookie would).
    let user = request
        .headers()
        .get("x-test-user")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let known = inner.data().clients.get(&client_id).cloned().or_else(|| {
        // A client ID metadata document: this server trusts any https URL and its redirect URI.
        (inner.opts.cimd && client_id.starts_with("https://")).then(|| vec![redirect_uri.clone()])
    });
    // Problems with the client or redirect URI must not redirect (RFC 6749 §4.1.2.1): show a page.
    let Some(uris) = known else {
        return (StatusCode::BAD_REQUEST, "unknown client_id").into_response();
    };
    if !uris.contains(&redirect_uri) {
        return (StatusCode::BAD_REQUEST, "redirect_uri is not registered").into_response();
    }
    let mut target = url::Url::parse(&redirect_uri).unwrap();
    if let Some(Hostile::AuthorizeError(description)) = inner.hostile() {
        let mut pairs = target.query_pairs_mut();
        pairs
            .append_pair("error", "access_denied")
            .append_pair("error_description", description)
            .append_pair("state", &get("state"));
        if inner.opts.wrong_iss {
            pairs.append_pair("iss", "https://evil.example");
        }
        drop(pairs);
        return (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response();
    }
    let problem = if get("response_type") != "code" {
        Some("response_type must be code")
    } else if get("code_challenge_method") != "S256" || get("code_challenge").len() != 43 {
        Some("PKCE S256 is required")
    } else if get("resource") != inner.resource() {
        Some("resource does not name this server")
    } else {
        None
    };
    // prompt=none with no one signed in to this browser: the user would have to sign in (OpenID).
    let silent_refusal = get("prompt") == "none" && user.is_none();
    {
        let mut pairs = target.query_pairs_mut();
        if silent_refusal {
            pairs.append_pair("error", "login_required");
            pairs.append_pair("error_description", "no one is signed in");
        } else if let Some(problem) = problem {
            pairs.append_pair("error", "invalid_request");
            pairs.append_pair("error_description", problem);
        } else {
            let code = inner.next("code");
            inner.data().other_secrets.push(code.clone());
            inner.data().codes.insert(
                code.clone(),
                Code {
                    client_id,
                    redirect_uri: redirect_uri.clone(),
                    challenge: get("code_challenge"),
                    scope: get("scope"),
                    resource: get("resource"),
                    user,
                },
            );
            pairs.append_pair("code", &code);
        }
        if query.contains_key("state") {
            pairs.append_pair("state", &get("state"));
        }
        if inner.opts.send_iss || inner.opts.wrong_iss {
            let iss = if inner.opts.wrong_iss {
                "https://evil.example".to_owned()
            } else {
                inner.issuer()
            };
            pairs.append_pair("iss", &iss);
        }
    }
    (StatusCode::FOUND, [(header::LOCATION, target.to_string())]).into_response()
}

/// Check a request's client authentication against the method the client registered with.
fn authenticate(
    d: &Data,
    client_id: &str,
    headers: &HeaderMap,
    body_secret: Option<&String>,
) -> Result<(), &'static str> {
    let Some((method, Some(secret))) = d.client_auth.get(client_id) else {
        return Ok(());
    };
    match method.as_str() {
        "client_secret_basic" => {
            if body_secret.is_some() {
                return Err("client_secret_basic clients authenticate with HTTP Basic only");
            }
            if basic_secret(headers).as_ref() != Some(secret) {
                return Err("missing or wrong HTTP Basic credentials");
            }
        }
        _ => {
            if headers.contains_key(header::AUTHORIZATION) {
                return Err("client_secret_post clients authenticate in the body only");
            }
            if body_secret != Some(secret) {
                return Err("missing or wrong client_secret");
            }
        }
    }
    Ok(())
}

/// The client id and secret of an HTTP Basic `Authorization` header (client_secret_basic: each
/// form-urlencoded, RFC 6749 §2.3.1), if any.
fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine;
    let value = headers
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?
        .strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(value).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    let decode = |part: &str| {
        url::form_urlencoded::parse(format!("x={part}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

fn basic_secret(headers: &HeaderMap) -> Option<String> {
    basic_credentials(headers).map(|(_, secret)| secret)
}

fn basic_client_id(headers: &HeaderMap) -> Option<String> {
    basic_credentials(headers).map(|(id, _)| id)
}

async fn token(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    match inner.hostile() {
        Some(Hostile::TokenRedirect) => return redirect_elsewhere(),
        Some(Hostile::TokenBody(body)) => return json_response_raw(StatusCode::OK, body),
        _ => {}
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let mut d = inner.data();
    if d.token_failures_left > 0 {
        d.token_failures_left -= 1;
        return (StatusCode::INTERNAL_SERVER_ERROR, "temporarily broken").into_response();
    }
    let client_id = basic_client_id(&headers).unwrap_or_else(|| get("client_id"));
    if let Err(refusal) = authenticate(&d, &client_id, &headers, form.get("client_secret")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", refusal);
    }
    if d.invalid_client_pending {
        d.invalid_client_pending = false;
        d.clients.remove(&client_id);
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client not found");
    }
    let metadata_document = inner.opts.cimd && client_id.starts_with("https://");
    if !d.clients.contains_key(&client_id) && !metadata_document {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "client not found");
    }
    if get("resource") != inner.resource() {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_target",
            "resource does not name this server",
        );
    }
    let mut user = None;
    let (scope, family) = match get("grant_type").as_str() {
        super::device::GRANT => match super::device::redeem(&inner, &mut d, &get("device_code"), &client_id) {
            Ok((scope, who)) => {
                user = who;
                (scope, inner.counter.fetch_add(1, Ordering::Relaxed))
            }
            Err(error) => return json_response(StatusCode::BAD_REQUEST, json!({"error": error})),
        },
        "authorization_code" => {
            let Some(code) = d.codes.remove(&get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown or used code");
            };
            d.other_secrets.push(get("code_verifier"));
            let verifier = PkceCodeVerifier::new(get("code_verifier"));
            let expected = PkceCodeChallenge::from_code_verifier_sha256(&verifier);
            if code.client_id != client_id
                || code.redirect_uri != get("redirect_uri")
                || code.resource != get("resource")
                || expected.as_str() != code.challenge
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "code binding mismatch");
            }
            user = code.user;
            (code.scope, inner.counter.fetch_add(1, Ordering::Relaxed))
        }
        "refresh_token" => {
            let presented = get("refresh_token");
            if let Some(family) = d.used_refresh.get(&presented).copied() {
                if inner.opts.reuse_detection {
                    d.dead_families.insert(family);
                }
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "refresh token reused");
            }
            let Some(grant) = d.refresh.get(&presented).cloned() else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "unknown refresh token");
            };
            if d.dead_families.contains(&grant.family) || grant.client_id != client_id {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", "grant revoked");
            }
            if inner.opts.rotate_refresh_token {
                d.refresh.remove(&presented);
                d.used_refresh.insert(presented, grant.family);
            }
            d.refreshes += 1;
            (grant.scope, grant.family)
        }
        _ => return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type", "no"),
    };
    let is_refresh = get("grant_type") == "refresh_token";
    let access = match d.family_access.get(&family) {
        Some(same) if is_refresh && inner.opts.same_access_token_on_refresh => same.clone(),
        _ => inner.next("at"),
    };
    d.family_access.insert(family, access.clone());
    d.access
        .insert(access.clone(), (now() + inner.opts.token_ttl_secs as i64, family));
    d.access_scopes.insert(access.clone(), scope.clone());
    let mut response = json!({
        "access_token": access,
        "token_type": if inner.opts.lowercase_bearer { "bearer" } else { "Bearer" },
        "expires_in": inner.opts.token_ttl_secs,
    });
    if !scope.is_empty() {
        response["scope"] = json!(scope);
    }
    if let Some(user) = &user {
        response["id_token"] = json!(super::device::unsigned_id_token(user, &inner.issuer()));
    }
    if inner.opts.issue_refresh_token && (!is_refresh || inner.opts.rotate_refresh_token) {
        let refresh = inner.next("rt");
        d.refresh.insert(
            refresh.clone(),
            Grant {
                client_id,
                scope,
                family,
            },
        );
        response["refresh_token"] = json!(refresh);
    }
    json_response(StatusCode::OK, response)
}

async fn revoke(State(inner): State<Arc<Inner>>, headers: HeaderMap, body: Bytes) -> Response {
    if !inner.opts.revocation {
        return (StatusCode::NOT_FOUND, "not found").into_response();
    }
    let form: HashMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = form.get("token").cloned().unwrap_or_default();
    let mut d = inner.data();
    if inner.opts.revocation_requires_secret && !form.contains_key("client_secret") {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "client_secret: Field required",
        );
    }
    let client_id = basic_client_id(&headers)
        .or_else(|| form.get("client_id").cloned())
        .unwrap_or_default();
    if let Err(refusal) = authenticate(&d, &client_id, &headers, form.get("client_secret")) {
        return oauth_error(StatusCode::UNAUTHORIZED, "unauthorized_client", refusal);
    }
    d.revocations
        .push(form.get("token_type_hint").cloned().unwrap_or_default());
    let family = d
        .refresh
        .get(&token)
        .map(|g| g.family)
        .or_else(|| d.access.get(&token).map(|(_, f)| *f));
    if let Some(family) = family {
        d.dead_families.insert(family);
    }
    StatusCode::OK.into_response()
}
