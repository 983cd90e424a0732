//! The panel as Outlook opens it (`/addin/?host=outlook`, the manifests' SourceLocation), in real
//! headless Chromium against the real server, under a faithful Office.js stub
//! (`tests/data/hosts/office-stub.js`, injected before the page's scripts). The real Office.js
//! script tag the server adds cannot load (no network; the resolver fails it at once).
//! Screenshots: `target/artifacts/screenshots/outlook-*.png`.

use anyhow::Result;
use sequencer_tests::browser::{
    card, frontend_dist, spawn_app_with_frontend, testid, Browser, BrowserOptions,
};
use sequencer_tests::idp::{self, ms_claims, LocalIdp};
use sequencer_tests::*;
use serde_json::{json, Value};
use shared::*;

const OFFICE_STUB: &str = include_str!("../data/hosts/office-stub.js");

fn person(email: &str, name: &str) -> Value {
    json!({ "emailAddress": email, "displayName": name })
}

/// Chromium with the Office.js stub configured by `config` (`mailbox` version, initial `item`),
/// at the add-in page with a session token.
async fn outlook(t: &TestApp, label: &str, config: Value) -> Result<Browser> {
    let mut options = BrowserOptions::new(label);
    options.window = (360, 760); // a task pane
    options
        .extra_args
        .push("--host-resolver-rules=MAP appsforoffice.microsoft.com ~NOTFOUND".into());
    let b = Browser::launch_with(options).await?;
    let source = format!("window.__officeStubConfig = {config};\n{OFFICE_STUB}");
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": source }),
    )
    .await?;
    b.goto(&format!(
        "{}/addin/?host=outlook&code={}",
        t.base,
        t.sign_in_code().await?
    ))
    .await?;
    b.wait_for(&testid("panel")).await?;
    Ok(b)
}

async fn stub(b: &Browser, script: &str, args: Vec<Value>) -> Result<Value> {
    b.execute(
        &format!("return (function() {{ {script} }}).apply(null, arguments);"),
        args,
    )
    .await
}

async fn enrolled(t: &TestApp, email: &str, first: &str, sequence: &str) -> Result<EnrollmentView> {
    let c = t.contact(email, first, None).await?;
    let seq = t.email_sequence(sequence, &[2, 3]).await?;
    Ok(t.enroll(seq.id, &[c.id]).await?.results[0]
        .enrollment
        .clone()
        .expect("enrolled"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recipient_typed_in_outlook_shows_the_banner_and_unenroll_is_recorded_from_the_outlook_panel(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    let e = enrolled(&t, "ana@globex.example", "Ana", "Q4 outbound").await?;
    let b = outlook(
        &t,
        "outlook-unenroll",
        json!({ "mailbox": "1.10", "item": { "mode": "compose" } }),
    )
    .await?;
    b.wait_for(&testid("panel-empty")).await?;
    // Mailbox 1.10 >= 1.7 (not as floats): RecipientsChanged, not polling.
    b.wait_for_attr("html", "data-office-changes", "events")
        .await?;
    assert_eq!(
        b.attr("html", "data-office-mailbox").await?.as_deref(),
        Some("1.10")
    );
    assert_eq!(
        stub(
            &b,
            "return window.__officeStub.calls.recipientsChangedHandlers;",
            vec![]
        )
        .await?,
        json!(1)
    );

    stub(
        &b,
        "window.__officeStub.setRecipients('to', arguments[0]);",
        vec![json!([person("ana@globex.example", "Ana Tester")])],
    )
    .await?;
    let banner = b
        .wait_for(&card("ana@globex.example", "enrollment-banner"))
        .await?;
    assert_eq!(
        banner.attr("data-enrollment-id").await?,
        Some(e.id.to_string())
    );
    b.screenshot("outlook-1-compose-enrolled-banner").await?;

    b.unenroll_from_card("ana@globex.example").await?;
    b.wait_for_text(&testid("announcer"), "was unenrolled from Q4 outbound.")
        .await?;
    b.screenshot("outlook-2-compose-unenrolled").await?;

    let v = t.enrollment(e.id).await?;
    assert_eq!(v.state, EnrollmentState::Unenrolled);
    assert_eq!(v.unenroll_reason, Some(UnenrollReason::Manual));
    assert_eq!(
        v.evidence.and_then(|x| x.surface),
        Some(UnenrollSurface::OutlookPanel)
    );
    b.close().await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_panel_follows_recipient_changes_with_events_and_by_polling_before_mailbox_1_7(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    enrolled(&t, "ana@globex.example", "Ana", "Q4 outbound").await?;
    t.contact("bo@initech.example", "Bo", None).await?;
    for (mailbox, changes) in [("1.10", "events"), ("1.5", "poll")] {
        let start =
            json!({ "mode": "compose", "to": [person("ana@globex.example", "Ana Tester")] });
        let b = outlook(
            &t,
            &format!("outlook-follow-{changes}"),
            json!({ "mailbox": mailbox, "item": start }),
        )
        .await?;
        b.wait_for_attr("html", "data-office-changes", changes)
            .await?;
        b.wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;

        stub(
            &b,
            "window.__officeStub.setRecipients('to', arguments[0]);",
            vec![json!([person("bo@initech.example", "Bo")])],
        )
        .await?;
        b.wait_for_attr(
            &card("bo@initech.example", ""),
            "data-status",
            "not_enrolled",
        )
        .await?;
        b.wait_for_absent(&card("ana@globex.example", "")).await?;

        stub(
            &b,
            "window.__officeStub.setRecipients('cc', arguments[0]);",
            vec![json!([person("ana@globex.example", "Ana Tester")])],
        )
        .await?;
        b.wait_for(&card("ana@globex.example", "enrollment-banner"))
            .await?;
        b.wait_for(&testid("panel-summary")).await?;
        if changes == "poll" {
            assert_eq!(
                stub(
                    &b,
                    "return window.__officeStub.calls.recipientsChangedHandlers;",
                    vec![]
                )
                .await?,
                json!(0)
            );
            b.screenshot("outlook-3-two-recipients").await?;
        }
        b.close().await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_read_item_shows_the_senders_profile_and_a_pinned_pane_follows_the_selected_item(
) -> Result<()> {
    let t = spawn_app_with_frontend(Db::Sqlite).await?;
    enrolled(&t, "ana@globex.example", "Ana", "Q4 outbound").await?;
    t.contact("bo@initech.example", "Bo", None).await?;
    let read = json!({ "mode": "read", "from": person("ana@globex.example", "Ana Tester"), "to": [person("rep@seller.example", "Rita Rep")] });
    let b = outlook(
        &t,
        "outlook-read",
        json!({ "mailbox": "1.10", "item": read }),
    )
    .await?;
    b.wait_for(&card("ana@globex.example", "enrollment-banner"))
        .await?;
    assert!(
        b.find_now(&card("rep@seller.example", "")).await?.is_none(),
        "read mode shows the sender only"
    );
    b.screenshot("outlook-4-read-sender-profile").await?;

    assert_eq!(
        stub(
            &b,
            "return window.__officeStub.calls.itemChangedHandlers;",
            vec![]
        )
        .await?,
        json!(1)
    );
    let next = json!({ "mode": "read", "from": person("bo@initech.example", "Bo") });
    stub(
        &b,
        "window.__officeStub.selectItem(arguments[0]);",
        vec![next],
    )
    .await?;
    b.wait_for_attr(
        &card("bo@initech.example", ""),
        "data-status",
        "not_enrolled",
    )
    .await?;
    b.wait_for_absent(&card("ana@globex.example", "")).await?;

    // Pinned, then the user starts a reply: the pane now follows the new compose item's recipients.
    let compose = json!({ "mode": "compose", "to": [person("ana@globex.example", "Ana Tester")] });
    stub(
        &b,
        "window.__officeStub.selectItem(arguments[0]);",
        vec![compose],
    )
    .await?;
    b.wait_for(&card("ana@globex.example", "enrollment-banner"))
        .await?;
    stub(
        &b,
        "window.__officeStub.setRecipients('to', arguments[0]);",
        vec![json!([person("bo@initech.example", "Bo")])],
    )
    .await?;
    b.wait_for_attr(
        &card("bo@initech.example", ""),
        "data-status",
        "not_enrolled",
    )
    .await?;
    b.close().await
}

/// MSAL's nested app authentication as the add-in sees it: `msal.createNestablePublicClientApplication`
/// and `acquireTokenSilent`, answering with a token the local IdP signed (the server validates it
/// against the IdP's JWKS exactly as against Microsoft's).
fn msal_stub(token: &str) -> String {
    format!(
        "window.__msal = {{ configs: [], requests: [] }};\n\
         window.msal = {{ createNestablePublicClientApplication: async (config) => {{\n\
           window.__msal.configs.push(config);\n\
           return {{ acquireTokenSilent: async (request) => {{ window.__msal.requests.push(request); return {{ accessToken: {token:?} }}; }},\n\
                     acquireTokenPopup: async () => {{ throw new Error('no popup in tests'); }} }};\n\
         }} }};\n"
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_session_the_panel_signs_in_through_nested_app_authentication() -> Result<()> {
    const TENANT: &str = "aaaaaaaa-1111-4111-8111-aaaaaaaaaaaa";
    std::env::set_var("SEQUENCER_FRONTEND_DIST", frontend_dist()?);
    let idp = LocalIdp::start().await?;
    let config = idp.config();
    let t = spawn_app_configured(
        Db::Sqlite,
        sequencer_server::domain::Tier::Professional,
        move |app| app.with_identity(config),
    )
    .await?;
    // Proven with a Global Administrator's token (issue 19: trust is proven, not listed).
    let proven = idp.prove_tenant(&t, &t.token(), TENANT).await?;
    anyhow::ensure!(proven.status == 201, "{}", proven.body);
    let e = enrolled(&t, "ana@globex.example", "Ana", "Q4 outbound").await?;
    let ms_token = idp.sign(
        idp::KID,
        &ms_claims(TENANT, "oid-rita", "rep@seller.example", t.app.now()),
    )?;

    let mut options = BrowserOptions::new("outlook-naa");
    options
        .extra_args
        .push("--host-resolver-rules=MAP appsforoffice.microsoft.com ~NOTFOUND".into());
    let b = Browser::launch_with(options).await?;
    let office = format!(
        "window.__officeStubConfig = {};\n{OFFICE_STUB}",
        json!({ "mailbox": "1.10", "item": { "mode": "compose" } })
    );
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": format!("{}{office}", msal_stub(&ms_token)) }),
    )
    .await?;
    // The manifests' panel URL when SEQUENCER_MS_CLIENT_ID is set; no session token anywhere.
    b.goto(&format!(
        "{}/addin/?host=outlook&ms_client_id={}&ms_scope={}",
        t.base,
        idp::MS_CLIENT_ID,
        idp::MS_SCOPE
    ))
    .await?;
    b.wait_for(&testid("panel-empty")).await?;
    stub(
        &b,
        "window.__officeStub.setRecipients('to', arguments[0]);",
        vec![json!([person("ana@globex.example", "Ana Tester")])],
    )
    .await?;
    b.wait_for(&card("ana@globex.example", "enrollment-banner"))
        .await?;

    let msal = stub(&b, "return window.__msal;", vec![]).await?;
    assert_eq!(
        msal["configs"][0]["auth"]["clientId"],
        json!(idp::MS_CLIENT_ID)
    );
    assert_eq!(
        msal["requests"][0]["scopes"],
        json!([format!("api://{}/{}", idp::MS_CLIENT_ID, idp::MS_SCOPE)])
    );
    b.unenroll_from_card("ana@globex.example").await?;
    let v = t.enrollment(e.id).await?;
    let by = v.ended_by.expect("actor");
    assert_eq!(
        by.user.map(|u| u.email).as_deref(),
        Some("rep@seller.example"),
        "the Outlook user, signed in through the exchange"
    );
    b.close().await
}
