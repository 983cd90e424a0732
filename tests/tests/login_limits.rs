//! Issue 19, finding 7: the password sign-in limiter is atomic, and an unknown address costs as
//! much as a known one. Both failed before the fix: the limiter counted failures, then checked
//! the password, then recorded the failure, so 50 parallel wrong passwords all got 401; and only
//! existing users' passwords were hashed (39 ms against 2 ms).

use std::time::{Duration, Instant};

use anyhow::Result;
use sequencer_server::domain::Role;
use sequencer_tests::*;
use shared::*;

both_backends! {
    concurrency_on_the_login_limiter_parallel_wrong_passwords_pass_at_most_the_limit => parallel;
    an_unknown_email_takes_as_long_to_refuse_as_a_known_one => timing;
}

const PASSWORD: &str = "correct horse battery";
/// `LOGIN_MAX_FAILURES`: attempts per (email, client address) within 15 minutes.
const LIMIT: usize = 5;

async fn with_user(db: Db, email: &str) -> Result<TestApp> {
    let t = spawn_app(db).await?;
    let req = CreateUserRequest {
        email: email.into(),
        name: "Pat".into(),
        role: Role::User,
        seat: None,
        password: Some(PASSWORD.into()),
    };
    let created = t.post("/users", &req).await?;
    assert_eq!(created.status, 201, "{}", created.body);
    Ok(t)
}

/// `(status, code)` of one sign-in.
async fn login(t: &TestApp, email: &str, password: &str) -> Result<(u16, String)> {
    let a = t.login(email, password).await?;
    Ok((a.status, a.code()))
}

/// A burst of parallel attempts per key: at most the limit get a password check (401), every
/// other one is 429, whichever key; keys do not share a budget.
async fn parallel(db: Db) -> Result<()> {
    let t = with_user(db, "pat@seller.example").await?;
    let limit = LIMIT;
    // (key's email, parallel wrong attempts, at most this many 401)
    let bursts: [(&str, usize, usize); 3] = [
        ("pat@seller.example", 50, limit),
        ("nobody@seller.example", 20, limit),
        ("rep@seller.example", 3, 3),
    ];
    let t = &t;
    let attempts = bursts.iter().flat_map(|&(email, n, _)| {
        (0..n).map(move |_| async move {
            Ok::<_, anyhow::Error>((email, login(t, email, "wrong").await?))
        })
    });
    let answers = futures_util::future::try_join_all(attempts).await?;
    for (email, n, max_401) in bursts {
        let mine: Vec<&(u16, String)> = answers
            .iter()
            .filter(|(e, _)| *e == email)
            .map(|(_, a)| a)
            .collect();
        let refused = mine.iter().filter(|(s, _)| *s == 401).count();
        let limited = mine
            .iter()
            .filter(|(s, c)| *s == 429 && c == "rate_limited")
            .count();
        assert!(refused <= max_401, "{email}: {refused} got 401: {mine:?}");
        assert_eq!(refused + limited, n, "{email}: only 401 or 429: {mine:?}");
        if n > limit {
            assert_eq!(refused, limit, "{email}: the first {limit} are checked");
        }
    }
    assert_eq!(
        login(t, "pat@seller.example", PASSWORD).await?,
        (429, "rate_limited".to_string()),
        "after the burst even the right password waits"
    );
    assert_eq!(
        login(t, "rep@seller.example", "wrong").await?.0,
        401,
        "a key below its limit is still checked"
    );
    t.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(
        login(t, "pat@seller.example", PASSWORD).await?.0,
        200,
        "the window passed (app clock)"
    );
    Ok(())
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Medians of interleaved tries, so load on the machine hits both sides alike. A known address
/// signs in with its right password (its hash is checked, and success resets its limit); each
/// unknown try uses a fresh address, so no limit is ever reached. Before the fix an unknown
/// address was refused without hashing, in a small fraction of the time.
async fn timing(db: Db) -> Result<()> {
    let t = with_user(db, "pat@seller.example").await?;
    // Warm up both paths (connections, the dummy hash).
    login(&t, "pat@seller.example", PASSWORD).await?;
    login(&t, "warmup@nowhere.example", PASSWORD).await?;
    let (mut known, mut unknown) = (Vec::new(), Vec::new());
    for i in 0..11 {
        let start = Instant::now();
        assert_eq!(login(&t, "pat@seller.example", PASSWORD).await?.0, 200);
        known.push(start.elapsed());
        let start = Instant::now();
        let email = format!("nobody{i}@nowhere.example");
        assert_eq!(login(&t, &email, PASSWORD).await?.0, 401);
        unknown.push(start.elapsed());
    }
    let (known, unknown) = (median(known), median(unknown));
    assert!(
        unknown * 2 >= known,
        "an unknown address is refused in {unknown:?}, a known one signs in in {known:?}"
    );
    Ok(())
}
