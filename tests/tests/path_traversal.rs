//! Path traversal (issue 19, finding 1): no route serves a file outside its directory, whatever
//! the encoding. Every route that serves files or reads a path from the request is in
//! [`ROUTES`] (a test reads the server's route registrations and fails on a route the table
//! misses); each is probed with every encoding in [`encodings`] against every target in the
//! test's data directory (`/etc/passwd`, the SQLite database, the secret file, a canary beside
//! the static directory). Requests are written by hand over TCP so the exact bytes reach the
//! server (HTTP clients normalise `..` and `//`).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use sequencer_server::clock::ManualClock;
use sequencer_server::http::StaticDir;
use sequencer_tests::T0;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// What a route may answer to a traversal attempt (it must never carry a target's bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// A file-serving route: 400 or 404 only.
    Refused,
    /// A single-page-app route: serves `index.html` for any tail (200 with the index), or 400/404.
    Index,
    /// Pages and the API: any 3xx/4xx, never a 5xx.
    NoLeak,
}

/// Every route that serves files or takes a path from the request, outside `/api/v1`'s JSON
/// routes (one entry covers the whole scope).
const ROUTES: &[(&str, Expect)] = &[
    ("/static/", Expect::Refused),
    ("/app/", Expect::Index),
    ("/addin/", Expect::Index),
    ("/manifests/", Expect::NoLeak),
    ("/manifests/icons/", Expect::Refused),
    ("/manifests/outlook/", Expect::NoLeak),
    ("/u/", Expect::NoLeak),
    ("/book/", Expect::NoLeak),
    ("/book/confirm/", Expect::NoLeak),
    ("/api/v1/", Expect::NoLeak),
    ("/", Expect::NoLeak),
];

const INDEX: &str =
    "<!doctype html><html><head><title>legit index</title></head><body>LEGIT-INDEX</body></html>";
const ASSET: &str = "console.log('LEGIT-ASSET');";
const CANARY: &str = "CANARY-OUTSIDE-STATIC-7f3a";
const SECRET: &str = "SECRET-FILE-CONTENT-91c2-not-for-anyone";

/// A server whose static directory, database and secret sit where a deployment puts them:
/// `<tmp>/static` (the built frontend), `<tmp>/data/sequencer.db`, `<tmp>/data/secret`, plus a
/// canary at `<tmp>/canary.txt` and symlinks inside `static/` pointing out of it.
struct Fixture {
    base: String,
    addr: std::net::SocketAddr,
    static_dir: PathBuf,
    /// `(absolute path, bytes that must never appear in an answer)`.
    targets: Vec<(PathBuf, String)>,
    _tmp: tempfile::TempDir,
    _server: actix_web::dev::ServerHandle,
}

async fn fixture() -> Result<Fixture> {
    // No leading dot in the directory names, so no check refusing hidden segments hides a leak.
    let tmp = tempfile::Builder::new().prefix("traversal-").tempdir()?;
    let root = tmp.path().canonicalize()?;
    let static_dir = root.join("static");
    let data = root.join("data");
    std::fs::create_dir_all(static_dir.join("assets"))?;
    std::fs::create_dir_all(&data)?;
    std::fs::write(static_dir.join("index.html"), INDEX)?;
    std::fs::write(static_dir.join("assets/app-1234.js"), ASSET)?;
    std::fs::write(root.join("canary.txt"), CANARY)?;
    std::fs::write(data.join("secret"), SECRET)?;
    // Symlinks that escape: a file and a directory.
    std::os::unix::fs::symlink(root.join("canary.txt"), static_dir.join("escape.txt"))?;
    std::os::unix::fs::symlink(&root, static_dir.join("up"))?;
    let db = data.join("sequencer.db");
    let app = sequencer_server::build_app(
        &format!("sqlite://{}", db.display()),
        &format!("outbox:{}", root.join("outbox").display()),
        "http://127.0.0.1",
        SECRET.as_bytes().to_vec(),
        Arc::new(ManualClock::new(T0)),
    )
    .await?;
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = sequencer_server::http::serve(app, listener, StaticDir(Some(static_dir.clone())))?;
    let handle = server.handle();
    tokio::spawn(server);
    let targets = vec![
        (PathBuf::from("/etc/passwd"), "root:".to_string()),
        (db.clone(), "SQLite format 3".to_string()),
        (data.join("secret"), SECRET.to_string()),
        (root.join("canary.txt"), CANARY.to_string()),
    ];
    Ok(Fixture {
        base: format!("http://{addr}"),
        addr,
        static_dir,
        targets,
        _tmp: tmp,
        _server: handle,
    })
}

/// `GET <target>` written byte for byte; the status and the whole answer (headers and body).
async fn raw_get(addr: std::net::SocketAddr, target: &[u8]) -> Result<(u16, String)> {
    let mut s = tokio::net::TcpStream::connect(addr).await?;
    let mut req = b"GET ".to_vec();
    req.extend_from_slice(target);
    req.extend_from_slice(b" HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    s.write_all(&req).await?;
    let mut out = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut out))
        .await
        .context("the server did not answer within 10 s")??;
    let text = String::from_utf8_lossy(&out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no status line in {text:?}"))?;
    Ok((status, text))
}

/// `path` (with `/` separators) spelled every way a traversal has been smuggled past a check.
/// `abs`: the target's absolute path; `rel`: the same file relative to the static directory.
fn encodings(abs: &str, rel: &str) -> Vec<(&'static str, Vec<u8>)> {
    let abs_tail = abs.trim_start_matches('/');
    let s = |v: String| v.into_bytes();
    let mut out = vec![
        ("absolute after //", s(format!("/{abs_tail}"))),
        ("absolute after ///", s(format!("//{abs_tail}"))),
        (
            "%2f absolute",
            s(format!("%2f{}", abs_tail.replace('/', "%2f"))),
        ),
        (
            "%2F absolute",
            s(format!("%2F{}", abs_tail.replace('/', "%2F"))),
        ),
        (
            "%5c absolute",
            s(format!("%5c{}", abs_tail.replace('/', "%5c"))),
        ),
        (
            "%5C absolute",
            s(format!("%5C{}", abs_tail.replace('/', "%5C"))),
        ),
        (
            "double-encoded %252f absolute",
            s(format!("%252f{}", abs_tail.replace('/', "%252f"))),
        ),
        ("raw ../", s(rel.to_string())),
        ("..%2f", s(rel.replace('/', "%2f"))),
        ("..%2F", s(rel.replace('/', "%2F"))),
        ("%2e%2e/", s(rel.replace("..", "%2e%2e"))),
        (
            "%2e%2e%2f",
            s(rel.replace("..", "%2e%2e").replace('/', "%2f")),
        ),
        (
            "double-encoded %252e%252e%252f",
            s(rel.replace("..", "%252e%252e").replace('/', "%252f")),
        ),
        ("..%5c", s(rel.replace('/', "%5c"))),
        ("..%5C", s(rel.replace('/', "%5C"))),
        ("raw backslashes", s(rel.replace('/', "\\"))),
        ("NUL suffix", s(format!("{rel}%00.js"))),
        ("NUL before absolute", s(format!("%00/{abs_tail}"))),
        ("%00 in a segment", s(rel.replacen("..", "..%00", 1))),
        ("overlong %c0%af", s(rel.replace('/', "%c0%af"))),
        ("overlong %e0%80%af", s(rel.replace('/', "%e0%80%af"))),
        ("overlong %c0%ae dots", s(rel.replace("..", "%c0%ae%c0%ae"))),
        ("..;/", s(rel.replace("../", "..;/"))),
        ("....//", s(rel.replace("../", "....//"))),
        ("./../", s(rel.replace("../", "./../"))),
    ];
    // Overlong UTF-8 as raw bytes, not percent-encoded.
    let mut raw = Vec::new();
    for part in rel.split('/') {
        if !raw.is_empty() {
            raw.extend_from_slice(&[0xc0, 0xaf]);
        }
        raw.extend_from_slice(part.as_bytes());
    }
    out.push(("raw overlong bytes", raw));
    out
}

/// `target` relative to `from` (both absolute): `../` up to the root, then down.
fn relative(from: &Path, target: &Path) -> String {
    let ups = from.components().count().saturating_sub(1);
    format!(
        "{}{}",
        "../".repeat(ups),
        target.to_string_lossy().trim_start_matches('/')
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_route_serves_a_file_outside_its_directory_in_any_encoding() -> Result<()> {
    let f = fixture().await?;
    let mut failures = Vec::new();
    let mut probes = 0;
    for (route, expect) in ROUTES {
        for (target, secret) in &f.targets {
            let abs = target.to_string_lossy().into_owned();
            let rel = relative(&f.static_dir, target);
            for (name, tail) in encodings(&abs, &rel) {
                let mut path = route.as_bytes().to_vec();
                path.extend_from_slice(&tail);
                let (status, answer) = raw_get(f.addr, &path).await?;
                probes += 1;
                let shown = String::from_utf8_lossy(&path).into_owned();
                let mut leaked: Vec<&str> = f
                    .targets
                    .iter()
                    .map(|(_, m)| m.as_str())
                    .filter(|m| answer.contains(m))
                    .collect();
                if answer.contains(secret.as_str()) && !leaked.contains(&secret.as_str()) {
                    leaked.push(secret);
                }
                if !leaked.is_empty() {
                    failures.push(format!("{shown} ({name}): {status} leaked {leaked:?}"));
                    continue;
                }
                let ok = match expect {
                    Expect::Refused => matches!(status, 400 | 404),
                    Expect::Index => {
                        matches!(status, 400 | 404)
                            || (status == 200 && answer.contains("LEGIT-INDEX"))
                    }
                    Expect::NoLeak => (300..500).contains(&status) || status == 200,
                };
                if !ok {
                    failures.push(format!("{shown} ({name}): status {status}"));
                }
            }
        }
    }
    assert!(probes > 500, "only {probes} probes");
    assert!(
        failures.is_empty(),
        "{} of {probes} probes failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_static_directory_still_serves_its_own_files_and_no_escaping_symlink() -> Result<()> {
    let f = fixture().await?;
    let cases: &[(&str, u16, Option<&str>)] = &[
        ("/static/index.html", 200, Some("LEGIT-INDEX")),
        ("/static/assets/app-1234.js", 200, Some("LEGIT-ASSET")),
        ("/static/assets/../index.html", 200, Some("LEGIT-INDEX")),
        ("/static/missing.js", 404, None),
        ("/static/assets", 404, None),
        ("/static/escape.txt", 404, None),
        ("/static/up/canary.txt", 404, None),
        ("/static/up/data/secret", 404, None),
        ("/static/.hidden", 400, None),
    ];
    for (path, status, body) in cases {
        let (got, answer) = raw_get(f.addr, path.as_bytes()).await?;
        assert_eq!(got, *status, "{path}: {answer}");
        if let Some(b) = body {
            assert!(answer.contains(b), "{path}: {answer}");
        }
        assert!(
            !answer.contains(CANARY) && !answer.contains(SECRET),
            "{path} leaked: {answer}"
        );
    }
    // The same through an ordinary client, as a browser loads the app.
    let r = reqwest::get(format!("{}/static/assets/app-1234.js", f.base)).await?;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.text().await?, ASSET);
    let r = reqwest::get(format!("{}/app/", f.base)).await?;
    assert!(r.text().await?.contains("LEGIT-INDEX"));
    Ok(())
}

/// Route patterns registered by the server's HTTP module outside the `/api/v1` scope: string
/// literals passed to `.route(`, `Files::new(` and `web::scope(`.
fn registered_routes() -> Result<Vec<String>> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../server/src/http");
    let mut found = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.extension().and_then(|e| e.to_str()) != Some("rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path)?;
        for marker in [".route(", "Files::new(", "scope("] {
            for (at, _) in text.match_indices(marker) {
                let rest = text[at + marker.len()..].trim_start();
                let Some(rest) = rest.strip_prefix('"') else {
                    continue;
                };
                if let Some(end) = rest.find('"') {
                    found.push(rest[..end].to_string());
                }
            }
        }
    }
    Ok(found)
}

#[test]
fn the_route_table_covers_every_route_outside_the_api() -> Result<()> {
    let found = registered_routes()?;
    assert!(
        found.iter().any(|r| r.starts_with("/static")),
        "the scan found the static route: {found:?}"
    );
    let missing: Vec<&String> = found
        .iter()
        .filter(|r| {
            let key = r.split('{').next().unwrap_or(r);
            !ROUTES.iter().any(|(prefix, _)| {
                if *prefix == "/" {
                    key == "/"
                } else {
                    key == prefix.trim_end_matches('/') || key.starts_with(prefix)
                }
            })
        })
        .collect();
    assert!(
        missing.is_empty(),
        "routes missing from ROUTES in tests/tests/path_traversal.rs: {missing:?}"
    );
    Ok(())
}
