//! The operator commands: `sequencer classify` prints the documented JSON line per file, and
//! `sequencer ingest` processes an .eml file or a whole Maildir, once.

use anyhow::Result;
use sequencer_server::cli_inbound;
use sequencer_tests::inbound::*;
use sequencer_tests::*;
use shared::*;

both_backends! {
    ingesting_a_maildir_applies_each_message_once => ingest_maildir;
}

#[test]
fn classify_prints_one_json_object_per_file_with_the_documented_fields() -> Result<()> {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../server/classify/tests/fixtures");
    let line = cli_inbound::classify_json(&root.join("gmail-ooo-into-exchange.eml"));
    let v: serde_json::Value = serde_json::from_str(&line)?;
    let keys: Vec<&str> = line
        .trim_start_matches('{')
        .split(",\"")
        .map(|k| k.trim_matches('"').split('"').next().unwrap_or(""))
        .collect();
    assert_eq!(keys[..2], ["file", "class"]);
    assert_eq!(v["class"], "ooo");
    assert_eq!(v["return_date"], "2025-01-27");
    assert!(v["failed_recipients"]
        .as_array()
        .is_some_and(|a| a.is_empty()));
    assert!(v["signals"].as_array().is_some_and(|a| !a.is_empty()));
    let missing: serde_json::Value =
        serde_json::from_str(&cli_inbound::classify_json(&root.join("no-such-file.eml")))?;
    assert_eq!(
        (missing["class"].as_str(), missing["return_date"].is_null()),
        (Some("unknown"), true)
    );
    Ok(())
}

async fn ingest_maildir(db: Db) -> Result<()> {
    let t = spawn_app(db).await?;
    let seq = t.email_sequence("Intro", &[1]).await?;
    let (_, ana) = t.enrolled("ana@globex.example", &[], None, seq.id).await?;
    let (_, bob) = t.enrolled("bob@initech.example", &[], None, seq.id).await?;
    let dir = tempfile::tempdir()?;
    for sub in ["new", "cur", "tmp"] {
        std::fs::create_dir_all(dir.path().join(sub))?;
    }
    let reply = |from: &str, parent: &str| {
        template(
            "reply.eml",
            &[
                ("FROM", from),
                ("FROM_NAME", "P"),
                ("SUBJECT", "Re: Intro"),
                ("ID", &new_id("cli")),
                ("PARENT", parent),
            ],
        )
    };
    std::fs::write(
        dir.path().join("new/1.ana"),
        reply("ana@globex.example", &t.last_sent_id(ana.id).await?)?,
    )?;
    std::fs::write(
        dir.path().join("cur/2.bob:2,S"),
        reply("bob@initech.example", &t.last_sent_id(bob.id).await?)?,
    )?;
    std::fs::write(dir.path().join("tmp/3.partial"), b"half a message")?;
    let out = cli_inbound::ingest(&t.app, t.account.id, None, dir.path()).await?;
    assert_eq!(out.len(), 2, "tmp/ is skipped");
    assert!(out
        .iter()
        .all(|(_, o)| !o.duplicate && o.class == "human_reply"));
    assert_eq!(
        t.enrollment(ana.id).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    assert_eq!(
        t.enrollment(bob.id).await?.unenroll_reason,
        Some(UnenrollReason::Replied)
    );
    let again = cli_inbound::ingest(&t.app, t.account.id, None, dir.path()).await?;
    assert!(again.iter().all(|(_, o)| o.duplicate));
    let one =
        cli_inbound::ingest(&t.app, t.account.id, None, &dir.path().join("new/1.ana")).await?;
    assert!(one[0].1.duplicate);
    assert!(
        cli_inbound::describe(&one[0].0, &one[0].1).ends_with("human_reply (duplicate, skipped)")
    );
    Ok(())
}
