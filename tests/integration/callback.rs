//! The one-shot loopback callback server, through the library API.

use std::time::Duration;

use mcp_accounts::oauth::Error;
use mcp_accounts::oauth::callback::{Verdict, start_callback_server};

async fn get(url: impl AsRef<str>) -> (u16, String) {
    let response = reqwest::get(url.as_ref()).await.unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn delivers_exactly_one_result_and_answers_the_browser() {
    let (server, redirect_uri, mut results) = start_callback_server(0).await.unwrap();
    let addr = server.local_addr();
    assert!(
        addr.ip().is_loopback() && addr.ip().to_string() == "127.0.0.1",
        "{addr}"
    );
    assert_eq!(redirect_uri, format!("http://127.0.0.1:{}/callback", addr.port()));

    // Requests without code or error do not count.
    let base = format!("http://127.0.0.1:{}", addr.port());
    assert_eq!(get(&format!("{base}/favicon.ico")).await.0, 404);
    assert_eq!(get(&format!("{base}/callback?foo=bar")).await.0, 404);
    assert!(results.try_recv().is_err(), "nothing delivered yet");

    server.expect_state("the-state");
    let browser = tokio::spawn(get(format!(
        "{redirect_uri}?code=the-code&state=the-state&iss=https%3A%2F%2Fas"
    )));
    let mut result = tokio::time::timeout(Duration::from_secs(5), &mut results)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.code.as_ref().unwrap().expose(), "the-code");
    assert_eq!(result.state.as_ref().unwrap().expose(), "the-state");
    assert_eq!(result.iss.as_deref(), Some("https://as"));
    assert!(
        !format!("{result:?}").contains("the-code"),
        "Debug never shows the code"
    );
    result.answer(Verdict::Success("Logged in to demo.".into()));
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(
        page.contains("Signed in") && page.contains("Logged in to demo."),
        "{page}"
    );

    // A second client after the first result: told it is over, nothing delivered.
    let (status, page) = get(&format!("{redirect_uri}?code=other&state=the-state")).await;
    assert_eq!(status, 409);
    assert!(page.contains("already"), "{page}");

    server.shutdown().await;
    assert!(std::net::TcpListener::bind(addr).is_ok(), "the port is free again");
}

#[tokio::test]
async fn error_text_is_escaped_on_the_page() {
    let (server, redirect_uri, results) = start_callback_server(0).await.unwrap();
    server.expect_state("s");
    let browser = tokio::spawn(get(format!(
        "{redirect_uri}?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state=s"
    )));
    let mut result = results.await.unwrap();
    assert_eq!(result.error.as_deref(), Some("access_denied"));
    let description = result.error_description.clone().unwrap();
    assert_eq!(description, "<script>alert(1)</script>");
    result.answer(Verdict::Failure(format!("The server said: {description}")));
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 400);
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    server.shutdown().await;
}

#[tokio::test]
async fn a_busy_port_is_reported_and_dropping_frees_the_port() {
    let (server, _, _results) = start_callback_server(0).await.unwrap();
    let port = server.local_addr().port();
    match start_callback_server(port).await {
        Err(Error::PortBusy(p)) => assert_eq!(p, port),
        other => panic!("expected PortBusy, got {other:?}"),
    }
    drop(server);
    // Dropping aborts the server task; the port is released as the runtime drops the listener.
    let mut free = false;
    for _ in 0..50 {
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            free = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(free, "port {port} is free after drop");
}

#[tokio::test]
async fn without_a_verdict_the_browser_gets_a_neutral_page() {
    let (server, redirect_uri, results) = start_callback_server(0).await.unwrap();
    server.expect_state("s");
    let browser = tokio::spawn(get(format!("{redirect_uri}?code=c&state=s")));
    drop(results.await.unwrap());
    let (status, page) = browser.await.unwrap();
    assert_eq!(status, 200);
    assert!(page.contains("see the terminal"), "{page}");
    server.shutdown().await;
}

#[tokio::test]
async fn an_answer_with_another_state_is_refused_and_does_not_count() {
    let (server, redirect_uri, mut results) = start_callback_server(0).await.unwrap();
    server.expect_state("right");
    for query in ["code=c&state=wrong", "code=c", "error=access_denied&state=old"] {
        let (status, page) = get(format!("{redirect_uri}?{query}")).await;
        assert_eq!(status, 400, "{query}");
        assert!(page.contains("another sign-in attempt"), "{page}");
    }
    assert_eq!(server.refused(), 3);
    assert!(results.try_recv().is_err(), "none of them reached the flow");
    let browser = tokio::spawn(get(format!("{redirect_uri}?code=good&state=right")));
    let mut result = results.await.unwrap();
    assert_eq!(result.code.as_ref().unwrap().expose(), "good");
    result.answer(Verdict::Success("ok".into()));
    assert_eq!(browser.await.unwrap().0, 200);
    server.shutdown().await;
}

#[tokio::test]
async fn no_answer_is_accepted_before_the_state_exists_and_each_refusal_is_reported() {
    let (server, redirect_uri, mut results) = start_callback_server(0).await.unwrap();
    let mut refusals = server.refusals();
    // The login is still registering its client: whatever arrives now cannot be its answer.
    let (status, _) = get(format!("{redirect_uri}?code=early&state=guess")).await;
    assert_eq!(status, 400);
    tokio::time::timeout(Duration::from_secs(2), refusals.changed())
        .await
        .expect("the refusal is reported at once")
        .unwrap();
    assert_eq!(*refusals.borrow_and_update(), 1);
    assert!(results.try_recv().is_err(), "the early answer did not reach the flow");
    server.expect_state("real");
    let browser = tokio::spawn(get(format!("{redirect_uri}?code=good&state=real")));
    let mut result = results.await.unwrap();
    assert_eq!(result.code.as_ref().unwrap().expose(), "good");
    result.answer(Verdict::Success("ok".into()));
    assert_eq!(browser.await.unwrap().0, 200);
    server.shutdown().await;
}

/// How many of `streams` are still open: a read would wait (closed ones read the end, or a reset).
fn still_open(streams: &[tokio::net::TcpStream]) -> usize {
    let mut buf = [0u8; 256];
    streams
        .iter()
        .filter(|s| matches!(s.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock))
        .count()
}

/// Wait (up to `within`) until exactly `expected` of `streams` are open; how long that took.
async fn settle_at(streams: &[tokio::net::TcpStream], expected: usize, within: Duration, what: &str) -> Duration {
    let started = std::time::Instant::now();
    loop {
        let open = still_open(streams);
        if open == expected {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "{what}: {open} open, not {expected}, after {within:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// `n` connections that start a request and never finish its head.
async fn half_open(addr: std::net::SocketAddr, n: usize) -> Vec<tokio::net::TcpStream> {
    use tokio::io::AsyncWriteExt;
    let mut streams = Vec::new();
    for _ in 0..n {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        // A closed connection may refuse the write; what counts is whether it stays open.
        let _ = stream
            .write_all(b"GET /callback?code=c&state=s HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            .await;
        streams.push(stream);
    }
    streams
}

#[tokio::test]
async fn half_open_connections_are_capped_timed_out_and_closed_when_the_login_ends() {
    use mcp_accounts::oauth::callback::{HEADER_READ_TIMEOUT, MAX_CONNECTIONS};
    let (server, redirect_uri, mut results) = start_callback_server(0).await.unwrap();
    server.expect_state("s1");
    let addr = server.local_addr();

    // Every connection's head timer starts after this.
    let capped = std::time::Instant::now();
    let flood = half_open(addr, 50).await;
    settle_at(&flood, MAX_CONNECTIONS, Duration::from_secs(3), "over the cap").await;
    // Stays so: the cap is not a moment of the accept loop.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        still_open(&flood),
        MAX_CONNECTIONS,
        "the connections over the cap were closed"
    );

    // Slow heads are cut off; then the browser gets through.
    let left = HEADER_READ_TIMEOUT.saturating_sub(capped.elapsed());
    tokio::time::sleep(left.saturating_sub(Duration::from_millis(500))).await;
    assert_eq!(
        still_open(&flood),
        MAX_CONNECTIONS,
        "not cut off before {HEADER_READ_TIMEOUT:?}"
    );
    settle_at(&flood, 0, Duration::from_secs(3), "after the header timeout").await;
    let browser = tokio::spawn(get(format!("{redirect_uri}?code=real&state=s1")));
    let mut result = tokio::time::timeout(Duration::from_secs(5), &mut results)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(result.code.as_ref().unwrap().expose(), "real");
    result.answer(Verdict::Success("ok".into()));
    assert_eq!(browser.await.unwrap().0, 200);

    // The login ends: every connection goes with it, at once.
    let late = half_open(addr, 10).await;
    settle_at(&late, 10, Duration::from_secs(3), "before the end").await;
    let started = std::time::Instant::now();
    server.shutdown().await;
    settle_at(&late, 0, Duration::from_secs(1), "a connection outlived the login").await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "took {:?}",
        started.elapsed()
    );
}
