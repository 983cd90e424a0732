//! `sequencer bench`: seeds a fresh database with 100,000 contacts and enrollments, serves it on a
//! loopback port and measures, in one run: recipient lookups against a trivial endpoint of the same
//! server (throughput, p50/p99, ratio), bulk unenroll of 10,000 enrollments, scheduler
//! throughput into a real SMTP server (aiosmtpd's Sink handler), and the time from webhook
//! receipt to committed unenroll. Prints figures and ratios.
//!
//! The webhook figure: 1,000 more contacts (`--replies`) are enrolled in a second sequence and
//! sent step 1 by the scheduler (`App::tick`, into the same SMTP sink), which stores their
//! Message-IDs. A mailbox is connected through the admin API, and each contact's human reply (a
//! raw RFC 5322 message, `In-Reply-To` the stored Message-ID) is posted to `POST /api/v1/inbound`,
//! signed with the mailbox's secret exactly as a provider signs it, open loop at 100/s
//! (`--reply-rate`). The handler commits the unenroll before it answers, so each request's round
//! trip is receipt -> committed unenroll; afterwards the store must show every one of those
//! enrollments `unenrolled` with reason `replied`, or the bench fails.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use sequencer_server::clock::{Clock, SystemClock};
use sequencer_server::domain::{EmailAddress, EnrollmentId, Role, Seat, SequenceId, Tier};
use sequencer_server::http::StaticDir;
use sequencer_server::service::mailboxes::webhook_signature;
use sequencer_server::service::{App, Caller};
use shared::*;

pub struct BenchOptions {
    pub database_url: String,
    pub contacts: usize,
    pub rate: u32,
    pub seconds: u64,
    pub bulk: usize,
    pub emails: i64,
    pub replies: usize,
    pub reply_rate: u32,
}

/// The webhook latency target (issue: p99 under 1 s).
const WEBHOOK_TARGET_MS: f64 = 1000.0;

pub async fn run(o: BenchOptions) -> Result<()> {
    let smtp = SmtpSink::start()?;
    let app = sequencer_server::build_app(
        &o.database_url,
        &smtp.url(),
        "http://127.0.0.1",
        b"bench-secret-bench-secret-bench-secret".to_vec(),
        Arc::new(SystemClock),
    )
    .await?;
    let backend = format!("{:?}", app.store.backend());
    println!(
        "== sequencer bench on {backend} ({})",
        o.database_url.split('@').next_back().unwrap_or("")
    );
    let (caller, seq) = seed(&app, o.contacts).await?;
    let token = app.session_token(&caller.user).token;
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let server = sequencer_server::http::serve(app.clone(), listener, StaticDir(None))?;
    let handle = server.handle();
    tokio::spawn(server);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .build()?;

    let n = o.contacts.max(1);
    let lookup = move |i: u64| {
        format!(
            "/api/v1/recipients?email=bench{}@bench.example",
            (i.wrapping_mul(7919)) as usize % n
        )
    };
    let health = |_: u64| "/api/v1/health".to_string();
    // Warm up connections and caches.
    load(&client, &base, &token, &lookup, o.rate, 1).await?;
    let h = load(&client, &base, &token, &health, o.rate, o.seconds).await?;
    let r = load(&client, &base, &token, &lookup, o.rate, o.seconds).await?;
    println!("health    @{}/s: {}", o.rate, h.line());
    println!("recipients@{}/s: {}", o.rate, r.line());
    println!(
        "ratio recipients/health: p50 {:.2}x, p99 {:.2}x (target: recipients p99 < 5 ms at 2000/s)",
        r.p50 / h.p50.max(1e-9),
        r.p99 / h.p99.max(1e-9)
    );

    let ids = app
        .store
        .live_enrollment_ids(caller.account.id, Some(seq), None, None)
        .await?;
    let bulk: Vec<i64> = ids.iter().take(o.bulk).map(|i| i.0).collect();
    let started = Instant::now();
    let resp = client
        .post(format!("{base}/api/v1/enrollments/unenroll"))
        .bearer_auth(&token)
        .json(&BulkUnenrollRequest {
            enrollment_ids: bulk.clone(),
            surface: None,
        })
        .send()
        .await?;
    let out: BulkUnenrollResponse = resp.json().await?;
    let took = started.elapsed();
    anyhow::ensure!(
        out.unenrolled as usize == bulk.len(),
        "bulk unenrolled {} of {}",
        out.unenrolled,
        bulk.len()
    );
    println!(
        "bulk unenroll of {} over HTTP: {:.0} ms (target: < 1000 ms SQLite, < 2000 ms PostgreSQL)",
        bulk.len(),
        took.as_secs_f64() * 1000.0
    );

    let now = SystemClock.now();
    let due = app.store.bench_make_due(seq, o.emails, now).await?;
    let started = Instant::now();
    let report = app.tick(now, 500).await?;
    let took = started.elapsed().as_secs_f64();
    println!(
        "scheduler: {} emails in {:.2} s = {:.0} emails/s into SMTP ({} due; target >= 500/s)",
        report.emails_sent,
        took,
        f64::from(report.emails_sent) / took.max(1e-9),
        due
    );

    if o.replies > 0 {
        webhook_replies(
            &app,
            &caller,
            &client,
            &base,
            &token,
            o.replies,
            o.reply_rate,
        )
        .await?;
    }
    handle.stop(true).await;
    Ok(())
}

/// One enrollment that was sent step 1, and what its contact's reply refers to.
struct ReplyTarget {
    enrollment: EnrollmentId,
    from: String,
    parent: String,
}

/// Webhook receipt -> committed unenroll, for `n` replies at `rate`/s (see the module docs).
async fn webhook_replies(
    app: &App,
    caller: &Caller,
    client: &reqwest::Client,
    base: &str,
    token: &str,
    n: usize,
    rate: u32,
) -> Result<()> {
    const DOMAIN: &str = "replies.example";
    let account = caller.account.id;
    let now = app.now();
    let seq = bench_sequence(app, caller, "Bench replies").await?;
    app.store
        .bench_seed(account, &caller.user, seq, 1, 3, n, now, DOMAIN)
        .await?;
    let sent = app.tick(now, 500).await?;
    let mut targets = Vec::with_capacity(n);
    for id in app
        .store
        .live_enrollment_ids(account, Some(seq), None, None)
        .await?
    {
        let row = app
            .store
            .enrollment(account, id)
            .await?
            .context("enrollment")?;
        let parent = app
            .store
            .sent_messages(id)
            .await?
            .into_iter()
            .find(|m| m.0 == 1 && m.2 == "sent")
            .map(|m| m.1)
            .with_context(|| format!("enrollment {} was not sent step 1", id.0))?;
        targets.push(ReplyTarget {
            enrollment: id,
            from: row.contact_email,
            parent,
        });
    }
    anyhow::ensure!(
        targets.len() == n,
        "{} of {n} reply contacts were sent step 1 ({} emails sent)",
        targets.len(),
        sent.emails_sent
    );

    // A connected mailbox, through the admin API; its secret is shown once.
    let resp = client
        .post(format!("{base}/api/v1/mailboxes"))
        .bearer_auth(token)
        .json(&MailboxRequest {
            address: caller.user.email.to_string(),
            user_id: Some(caller.user.id.0),
            imap: None,
        })
        .send()
        .await?;
    anyhow::ensure!(
        resp.status().as_u16() == 201,
        "connecting the mailbox: {}",
        resp.status()
    );
    let mailbox: MailboxView = resp.json().await?;
    let secret = mailbox
        .webhook_secret
        .context("the webhook secret is shown on create")?;

    // Open loop: reply i is posted at start + i/rate, whatever came before.
    let period = Duration::from_secs_f64(1.0 / f64::from(rate.max(1)));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(targets.len());
    for (i, t) in targets.iter().enumerate() {
        tokio::time::sleep_until(start + period * i as u32).await;
        let raw = human_reply(t, &caller.user.email.to_string());
        let ts = (app.now() / 1000).to_string();
        let req = client
            .post(format!("{base}/api/v1/inbound"))
            .header("content-type", "message/rfc822")
            .header("x-sequencer-mailbox", mailbox.id.to_string())
            .header("x-sequencer-timestamp", &ts)
            .header(
                "x-sequencer-signature",
                webhook_signature(&secret, &ts, &raw),
            )
            .body(raw);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let answer = match req.send().await {
                Ok(r) if r.status().is_success() => r.json::<InboundResponse>().await.ok(),
                _ => None,
            };
            (t.elapsed().as_secs_f64() * 1000.0, answer)
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for t in tasks {
        let (ms, answer) = t.await.context("webhook task")?;
        if answer.is_none() {
            errors += 1;
        }
        lat.push(ms);
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);

    // Synchronous handler: check the store that each reply's unenroll was committed.
    let mut missed = Vec::new();
    for t in &targets {
        let e = app
            .store
            .enrollment(account, t.enrollment)
            .await?
            .context("enrollment")?
            .enrollment;
        if e.state != EnrollmentState::Unenrolled
            || e.unenroll_reason != Some(UnenrollReason::Replied)
        {
            missed.push(format!(
                "{}: {} {:?}",
                t.enrollment.0,
                e.state.as_str(),
                e.unenroll_reason
            ));
        }
    }
    let p99 = percentile(&lat, 0.99);
    println!(
        "webhook -> committed unenroll @{rate}/s: n={} in {secs:.1} s = {:.0}/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms (target p99 < {WEBHOOK_TARGET_MS:.0} ms; ratio p99/target {:.3}x)",
        lat.len(),
        lat.len() as f64 / secs.max(1e-9),
        percentile(&lat, 0.50),
        p99,
        lat.last().copied().unwrap_or(0.0),
        p99 / WEBHOOK_TARGET_MS
    );
    anyhow::ensure!(
        errors == 0 && missed.is_empty(),
        "{errors} webhook requests failed; {} of {} replies did not unenroll with reason replied (first: {:?})",
        missed.len(),
        targets.len(),
        missed.iter().take(5).collect::<Vec<_>>()
    );
    Ok(())
}

/// A contact's plain human reply to the step-1 email, as their mail server would deliver it.
fn human_reply(t: &ReplyTarget, rep: &str) -> Vec<u8> {
    let parent = &t.parent;
    format!(
        "From: Bench Contact <{from}>\r\n\
         To: Bench Rep <{rep}>\r\n\
         Subject: Re: Hello\r\n\
         Date: {date}\r\n\
         Message-ID: <reply.{id}@{domain}>\r\n\
         In-Reply-To: <{parent}>\r\n\
         References: <{parent}>\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Thanks, this sounds interesting. Could we talk next Tuesday afternoon?\r\n\
         \r\n\
         Best,\r\n\
         Bench\r\n\
         \r\n\
         On {date}, Bench Rep <{rep}> wrote:\r\n\
         > Hi Bench, Bench Rep here.\r\n",
        from = t.from,
        id = t.enrollment.0,
        domain = t
            .from
            .rsplit_once('@')
            .map_or("replies.example", |(_, d)| d),
        date = chrono::Utc::now().to_rfc2822(),
    )
    .into_bytes()
}

async fn seed(app: &App, n: usize) -> Result<(Caller, SequenceId)> {
    let started = Instant::now();
    let now = app.now();
    let account = app
        .store
        .create_account("Bench", Tier::Enterprise, now)
        .await?;
    let user = app
        .store
        .create_user(
            account.id,
            &EmailAddress::parse("bench@seller.example")?,
            "Bench Rep",
            Role::Admin,
            Some(Seat::SalesEnterprise),
            None,
            now,
        )
        .await?;
    let caller = Caller { user, account };
    let seq = bench_sequence(app, &caller, "Bench").await?;
    app.store
        .bench_seed(
            caller.account.id,
            &caller.user,
            seq,
            2,
            3,
            n,
            now + 30 * 24 * 3600 * 1000,
            "bench.example",
        )
        .await?;
    app.store.analyze().await?;
    println!(
        "seeded {n} contacts and {n} active enrollments in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok((caller, seq))
}

/// A three-step email sequence (step 1 "Hello", then two replies in the thread), sent any time.
async fn bench_sequence(app: &App, caller: &Caller, name: &str) -> Result<SequenceId> {
    let step = |s: &str| StepRequest {
        kind: StepKind::AutomatedEmail,
        delay_days: 1,
        business_days: false,
        subject: s.into(),
        body: "Hi {{contact.first_name}}, {{sender.name}} here.".into(),
    };
    let seq = app
        .create_sequence(
            caller,
            &SequenceRequest {
                name: name.into(),
                steps: vec![step("Hello"), step(""), step("")],
                send_window: SendWindow::default(),
                unenroll_same_company: false,
                ooo_policy: None,
            },
        )
        .await?;
    Ok(SequenceId(seq.id))
}

struct Stats {
    sent: usize,
    errors: usize,
    secs: f64,
    p50: f64,
    p99: f64,
}

impl Stats {
    fn line(&self) -> String {
        format!(
            "{} requests ({} errors) in {:.1} s = {:.0}/s, p50 {:.2} ms, p99 {:.2} ms",
            self.sent,
            self.errors,
            self.secs,
            self.sent as f64 / self.secs,
            self.p50,
            self.p99
        )
    }
}

/// Open-loop load at a fixed rate: request i starts at start + i/rate, whatever came before.
async fn load(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    path: &dyn Fn(u64) -> String,
    rate: u32,
    seconds: u64,
) -> Result<Stats> {
    let total = u64::from(rate) * seconds;
    let period = Duration::from_secs_f64(1.0 / f64::from(rate));
    let start = tokio::time::Instant::now();
    let mut tasks = Vec::with_capacity(total as usize);
    for i in 0..total {
        tokio::time::sleep_until(start + period * i as u32).await;
        let req = client.get(format!("{base}{}", path(i))).bearer_auth(token);
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let ok = match req.send().await {
                Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                Err(_) => false,
            };
            (t.elapsed().as_secs_f64() * 1000.0, ok)
        }));
    }
    let mut lat = Vec::with_capacity(tasks.len());
    let mut errors = 0;
    for t in tasks {
        let (ms, ok) = t.await.context("request task")?;
        if !ok {
            errors += 1;
        }
        lat.push(ms);
    }
    let secs = start.elapsed().as_secs_f64();
    lat.sort_by(f64::total_cmp);
    Ok(Stats {
        sent: lat.len(),
        errors,
        secs,
        p50: percentile(&lat, 0.50),
        p99: percentile(&lat, 0.99),
    })
}

/// The `p` quantile of sorted latencies (0 when there are none).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted
        .get(((sorted.len() as f64 * p) as usize).min(sorted.len().saturating_sub(1)))
        .copied()
        .unwrap_or(0.0)
}

/// aiosmtpd with the Sink handler (accepts and discards) on a free loopback port.
struct SmtpSink {
    port: u16,
    child: std::process::Child,
}

impl SmtpSink {
    fn start() -> Result<SmtpSink> {
        let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let child = std::process::Command::new("python3")
            .args([
                "-m",
                "aiosmtpd",
                "-n",
                "-l",
                &format!("127.0.0.1:{port}"),
                "-c",
                "aiosmtpd.handlers.Sink",
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .context("starting aiosmtpd (pip install aiosmtpd)")?;
        for _ in 0..200 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(SmtpSink { port, child });
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        anyhow::bail!("aiosmtpd did not start")
    }
    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
