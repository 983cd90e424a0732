//! The inbound webhook's limits (issue 19, finding 11): the mailbox and signature headers are
//! judged before any body byte is read, an unknown mailbox and a bad signature get the same
//! answer, client-supplied numbers never overflow, an oversized body is refused with 413 without
//! being buffered, and a flood of unauthenticated uploads leaves the server's memory alone.
//! Requests that must reach the server exactly as written go over raw TCP.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sequencer_server::service::mailboxes::webhook_signature;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

both_backends! {
    an_unknown_mailbox_and_every_bad_signature_get_the_same_answer => same_answer;
    extreme_timestamps_are_refused_and_never_crash_the_server => extreme_timestamps;
    an_oversized_body_is_refused_with_413_before_it_is_read => oversized;
}

/// The server's socket address.
fn addr(t: &TestApp) -> Result<std::net::SocketAddr> {
    Ok(t.base.trim_start_matches("http://").parse()?)
}

fn message(tag: &str) -> Result<Vec<u8>> {
    template(
        "email.eml",
        &[
            ("FROM", "x@globex.example"),
            ("FROM_NAME", "X"),
            ("SUBJECT", "Hi"),
            ("ID", &new_id(tag)),
        ],
    )
}

/// A webhook request's head, written by hand; `body_len` is the declared Content-Length, or
/// chunked transfer when `None`.
fn head(mailbox: &str, ts: &str, sig: &str, body_len: Option<usize>) -> Vec<u8> {
    let length = match body_len {
        Some(n) => format!("Content-Length: {n}\r\n"),
        None => "Transfer-Encoding: chunked\r\n".to_string(),
    };
    format!(
        "POST /api/v1/inbound HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: message/rfc822\r\n\
         X-Sequencer-Mailbox: {mailbox}\r\nX-Sequencer-Timestamp: {ts}\r\nX-Sequencer-Signature: {sig}\r\n\
         {length}Connection: close\r\n\r\n"
    )
    .into_bytes()
}

/// Sends `head`, then `body` (repeated to `body_len` bytes) in the background (its write may fail once the server answers),
/// and returns the status and the answer's body as soon as the answer is complete.
async fn exchange(
    addr: std::net::SocketAddr,
    head: Vec<u8>,
    body: Arc<Vec<u8>>,
    body_len: usize,
) -> Result<(u16, String)> {
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut rd, mut wr) = stream.into_split();
    let writer = tokio::spawn(async move {
        wr.write_all(&head).await?;
        let mut sent = 0;
        // `body` repeated up to `body_len` bytes, 64 KiB at a time.
        while sent < body_len {
            let at = sent % body.len();
            let n = (body_len - sent).min(64 * 1024).min(body.len() - at);
            wr.write_all(&body[at..at + n]).await?;
            sent += n;
        }
        wr.flush().await?;
        Ok::<_, std::io::Error>(wr)
    });
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16 * 1024];
    let answer = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let n = rd.read(&mut buf).await?;
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
            if complete(&out) {
                break;
            }
        }
        Ok::<_, std::io::Error>(())
    })
    .await;
    writer.abort();
    answer.context("no answer within 30 s")??;
    parse(&out)
}

/// Whether `out` holds a whole HTTP answer with a Content-Length body.
fn complete(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .is_some_and(|n| body.len() >= n)
}

fn parse(out: &[u8]) -> Result<(u16, String)> {
    let text = String::from_utf8_lossy(out).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .with_context(|| format!("no status line in {text:?}"))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

async fn same_answer(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let a = addr(&t)?;
    let raw = Arc::new(message("same")?);
    let ts = (t.app.now() / 1000).to_string();
    let good = webhook_signature(&mb.secret, &ts, &raw);
    let wrong = webhook_signature("not-the-secret", &ts, &raw);
    let known = mb.id.to_string();
    let unknown = (mb.id + 1000).to_string();
    let cases: Vec<(&str, String, String)> = vec![
        (
            "unknown mailbox, well-formed signature",
            unknown.clone(),
            good.clone(),
        ),
        (
            "unknown mailbox, no signature",
            unknown.clone(),
            String::new(),
        ),
        ("negative mailbox id", "-1".into(), good.clone()),
        (
            "mailbox id past i64",
            "99999999999999999999999".into(),
            good.clone(),
        ),
        ("non-numeric mailbox id", "abc".into(), good.clone()),
        ("no mailbox header value", String::new(), good.clone()),
        ("known mailbox, no signature", known.clone(), String::new()),
        (
            "known mailbox, short signature",
            known.clone(),
            "sha256=00".into(),
        ),
        (
            "known mailbox, other algorithm",
            known.clone(),
            wrong.replace("sha256=", "sha1="),
        ),
        (
            "known mailbox, non-hex signature",
            known.clone(),
            format!("sha256={}", "zz".repeat(32)),
        ),
        ("known mailbox, wrong secret", known.clone(), wrong.clone()),
    ];
    let mut answers = Vec::new();
    for (name, mailbox, sig) in &cases {
        let got = exchange(
            a,
            head(mailbox, &ts, sig, Some(raw.len())),
            raw.clone(),
            raw.len(),
        )
        .await
        .with_context(|| name.to_string())?;
        answers.push((name, got));
    }
    let (_, first) = &answers[0];
    assert_eq!(first.0, 401, "{first:?}");
    assert!(first.1.contains("\"invalid_signature\""), "{first:?}");
    for (name, got) in &answers {
        assert_eq!(
            got, first,
            "{name} answers differently from an unknown mailbox"
        );
    }

    // Similar time: the unknown mailbox and the malformed signature do the same work (one
    // lookup, no body read), measured on 1 MB bodies, interleaved, by their medians.
    let big = Arc::new(vec![b'a'; 1024 * 1024]);
    let mut unknown_ms = Vec::new();
    let mut malformed_ms = Vec::new();
    for _ in 0..9 {
        for (mailbox, sig, into) in [
            (&unknown, good.as_str(), &mut unknown_ms),
            (&known, "sha256=00", &mut malformed_ms),
        ] {
            let start = Instant::now();
            let got = exchange(
                a,
                head(mailbox, &ts, sig, Some(big.len())),
                big.clone(),
                big.len(),
            )
            .await?;
            into.push(start.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(&got, first);
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(|x, y| x.total_cmp(y));
        v[v.len() / 2]
    };
    let (u, m) = (median(&mut unknown_ms), median(&mut malformed_ms));
    assert!(
        (u - m).abs() < 50.0,
        "unknown mailbox {u:.1} ms vs malformed signature {m:.1} ms"
    );

    // A valid delivery still goes through.
    let ok = t.deliver_signed(mb.id, &ts, &good, &raw).await?;
    assert_eq!(ok.status, 200, "{}", ok.body);
    Ok(())
}

async fn extreme_timestamps(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let raw = message("ts")?;
    let now = t.app.now() / 1000;
    let cases: Vec<String> = vec![
        i64::MAX.to_string(),
        i64::MIN.to_string(),
        (i64::MAX / 1000).to_string(),
        (i64::MIN / 1000).to_string(),
        (i64::MAX / 1000 + 1).to_string(),
        (i64::MIN / 1000 - 1).to_string(),
        "-1".into(),
        "0".into(),
        "99999999999999999999999999".into(),
        "-99999999999999999999999999".into(),
        "1e9".into(),
        "0x10".into(),
        "".into(),
        "now".into(),
        (now - 301).to_string(),
        (now + 301).to_string(),
    ];
    for ts in &cases {
        // Correctly signed with the real secret, so only the timestamp is wrong.
        let a = t
            .deliver_signed(mb.id, ts, &webhook_signature(&mb.secret, ts, &raw), &raw)
            .await
            .with_context(|| format!("timestamp {ts:?}: the connection failed"))?;
        assert_eq!(
            (a.status, a.code().as_str()),
            (401, "stale_timestamp"),
            "timestamp {ts:?}: {}",
            a.body
        );
    }
    // The server is alive and still accepts a fresh delivery.
    let ok = t.deliver(&mb, &raw).await?;
    assert!(!ok.duplicate);
    Ok(())
}

async fn oversized(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let mb = t.mailbox().await?;
    let a = addr(&t)?;
    let ts = (t.app.now() / 1000).to_string();
    let sig = webhook_signature(&mb.secret, &ts, b"whatever");
    let limit = 10 * 1024 * 1024;
    // Declared too large: refused from the headers, without sending a byte of body.
    let (status, body) = exchange(
        a,
        head(&mb.id.to_string(), &ts, &sig, Some(limit + 1)),
        Arc::new(vec![]),
        0,
    )
    .await?;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("payload_too_large"), "{body}");
    // Chunked past the limit: the read stops at the limit.
    let chunk = {
        let data = vec![b'a'; 1024 * 1024];
        let mut c = format!("{:x}\r\n", data.len()).into_bytes();
        c.extend_from_slice(&data);
        c.extend_from_slice(b"\r\n");
        Arc::new(c)
    };
    let (status, body) = exchange(
        a,
        head(&mb.id.to_string(), &ts, &sig, None),
        chunk.clone(),
        chunk.len() * 12,
    )
    .await?;
    assert_eq!(status, 413, "{body}");
    // Exactly at the limit is read (and then judged by its signature).
    let at_limit = vec![b'a'; limit];
    let r = t
        .deliver_signed(
            mb.id,
            &ts,
            &webhook_signature(&mb.secret, &ts, &at_limit),
            &at_limit,
        )
        .await?;
    assert_ne!(r.status, 413, "{}", r.body);
    Ok(())
}

/// The test process's resident memory (the server runs in it), in bytes.
fn rss() -> Result<u64> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("VmRSS in /proc/self/status")?;
    Ok(kb * 1024)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_unauthenticated_ten_megabyte_uploads_are_refused_without_being_read() -> Result<()> {
    let t = spawn_app(Db::Sqlite).await?;
    let mb = t.mailbox().await?;
    let a = addr(&t)?;
    let ts = (t.app.now() / 1000).to_string();
    let len = 10 * 1024 * 1024;
    let body = Arc::new(vec![b'a'; 1024 * 1024]);
    let good = webhook_signature(&mb.secret, &ts, b"x");
    // Warm up both refusals, so their one-time allocations are in the baseline.
    for (m, s) in [(mb.id + 1000, good.as_str()), (mb.id, "sha256=00")] {
        exchange(
            a,
            head(&m.to_string(), &ts, s, Some(1024)),
            body.clone(),
            1024,
        )
        .await?;
    }
    let before = rss()?;
    let peak = Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(now) = rss() {
                    peak.fetch_max(now, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
    };
    let mut uploads = Vec::new();
    for i in 0..40 {
        // Half for an unknown mailbox, half for a real one with a malformed signature.
        let (m, s) = if i % 2 == 0 {
            (mb.id + 1000 + i, good.clone())
        } else {
            (mb.id, "sha256=00".to_string())
        };
        let h = head(&m.to_string(), &ts, &s, Some(len));
        let body = body.clone();
        uploads.push(tokio::spawn(async move {
            let start = Instant::now();
            let r = exchange(a, h, body, len).await;
            (r, start.elapsed())
        }));
    }
    let mut statuses = Vec::new();
    for u in uploads {
        let (r, took) = u.await?;
        let (status, answer) = r?;
        assert!(
            took < Duration::from_secs(10),
            "refused only after {took:?}"
        );
        assert!(answer.contains("invalid_signature"), "{answer}");
        statuses.push(status);
    }
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    let grew = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before);
    assert!(
        grew < 100 * 1024 * 1024,
        "40 refused uploads of 10 MB grew the process by {} MB",
        grew / (1024 * 1024)
    );
    // And a real delivery still works.
    let raw = message("after-flood")?;
    t.deliver(&mb, &raw).await?;
    Ok(())
}
