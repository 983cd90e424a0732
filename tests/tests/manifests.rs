//! The manifests admins install, rendered for `https://sales.example.com`: validated offline
//! (`xmllint --nonet` against the Office XSDs in `manifests/schemas/`, the unified JSON against the
//! schema in the npm package `@microsoft/app-manifest` with ajv), checked for the invariants no
//! schema sees, served by the server at `/manifests/...`, and written by `sequencer manifests`.
//!
//! Tools: Debian's `libxml2-utils` and npm packages in `target/tools` (`cargo xtask test` installs
//! both). A missing tool fails the test with what to install; nothing is skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{ensure, Context, Result};
use sequencer_server::manifests::{self, BaseUrl, Bundle, Deployment, ICONS};
use sequencer_tests::*;

const BASE: &str = "https://sales.example.com";
/// The unified manifest's schema version (`manifestVersion`), bundled in @microsoft/app-manifest.
const JSON_SCHEMA_VERSION: &str = "1.17";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn deployment() -> Deployment {
    let mut dep = Deployment::new(BaseUrl::parse(BASE).expect("base"));
    dep.ms_client_id = Some("0d4f0a52-6c1e-4d2b-9d39-8f0c2a3b4c5d".into());
    dep
}

/// A bundle shaped like Trunk's output, so these tests do not need the wasm build.
fn fake_bundle() -> Bundle {
    let index = "<link rel=\"stylesheet\" href=\"/static/style-1.css\"/><script type=\"module\">\
                 import init from '/static/frontend-1.js'; await init({ module_or_path: '/static/frontend-1_bg.wasm' });</script>";
    let files = [
        "index.html",
        "frontend-1.js",
        "frontend-1_bg.wasm",
        "style-1.css",
        "snippets/frontend-x/office-shim.js",
        "msal-browser.min.js",
    ]
    .iter()
    .map(|p| {
        (
            p.to_string(),
            if *p == "index.html" {
                index.as_bytes().to_vec()
            } else {
                b"x".to_vec()
            },
        )
    })
    .collect();
    Bundle::from_files(Path::new("dist"), files).expect("bundle")
}

fn tool_missing(what: &str) -> String {
    format!("{what} is missing: run `cargo xtask test` (it installs libxml2-utils and the npm validators into target/tools)")
}

/// `xmllint --nonet --noout --schema` with the Office XSDs; the exit code and stderr.
fn xmllint(xml: &str) -> Result<(i32, String)> {
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("manifest.xml");
    std::fs::write(&file, xml)?;
    let schema = workspace().join("manifests/schemas/office-addin-xml/OfficeAppManifestV1_1.xsd");
    let out = Command::new("xmllint")
        .args(["--nonet", "--noout", "--schema"])
        .arg(&schema)
        .arg(&file)
        .output()
        .with_context(|| tool_missing("xmllint"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// The ajv validation script with the schema from `@microsoft/app-manifest`.
fn validate_json(json: &str) -> Result<(i32, String)> {
    let modules = workspace().join("target/tools/node_modules");
    ensure!(
        modules
            .join("@microsoft/app-manifest/package.json")
            .exists()
            && modules.join("ajv-draft-04").exists(),
        tool_missing("@microsoft/app-manifest or ajv-draft-04")
    );
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("manifest.json");
    std::fs::write(&file, json)?;
    let script = workspace().join("manifests/schemas/validate-json.js");
    let out = Command::new("node")
        .arg(script)
        .arg(&modules)
        .arg(JSON_SCHEMA_VERSION)
        .arg(&file)
        .output()
        .with_context(|| tool_missing("node"))?;
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn the_xml_manifest_is_valid_against_the_office_schemas_offline() -> Result<()> {
    let xml = manifests::render_outlook_xml(&deployment());
    let (code, err) = xmllint(&xml)?;
    assert_eq!(code, 0, "{err}");
    // The validator does reject: pinning in the 1.0 block (only the 1.1 schema allows it).
    let pinned_v1_0 = xml.replacen(
        "<SourceLocation resid=\"Panel.Url\"/>",
        "<SourceLocation resid=\"Panel.Url\"/><SupportsPinning>true</SupportsPinning>",
        1,
    );
    assert_eq!(
        xmllint(&pinned_v1_0)?.0,
        3,
        "SupportsPinning in VersionOverrides 1.0 must be rejected"
    );
    Ok(())
}

#[test]
fn the_unified_json_manifest_is_valid_against_the_bundled_schema_offline() -> Result<()> {
    let json = manifests::render_outlook_json(&deployment());
    let (code, err) = validate_json(&json)?;
    assert_eq!(code, 0, "{err}");
    let mut broken: serde_json::Value = serde_json::from_str(&json)?;
    broken["extensions"][0]["ribbons"][0]["contexts"] = serde_json::json!(["mailSomewhere"]);
    let (code, err) = validate_json(&broken.to_string())?;
    assert_eq!(code, 1, "an unknown ribbon context must be rejected");
    assert!(err.contains("contexts"), "{err}");
    Ok(())
}

/// One XML start tag: its name and attributes, in document order.
#[derive(Debug, Clone, PartialEq)]
struct Tag {
    name: String,
    attrs: BTreeMap<String, String>,
}

/// The start tags of a (simple, own) XML document; enough for the invariants below.
fn tags(xml: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    for chunk in xml.split('<').skip(1) {
        if chunk.starts_with('/') || chunk.starts_with('?') || chunk.starts_with('!') {
            continue;
        }
        let body = chunk.split('>').next().unwrap_or("").trim_end_matches('/');
        let name = body.split_whitespace().next().unwrap_or("").to_string();
        let mut attrs = BTreeMap::new();
        for part in body[name.len()..].split('"').collect::<Vec<_>>().chunks(2) {
            if let [k, v] = part {
                attrs.insert(k.trim().trim_end_matches('=').to_string(), v.to_string());
            }
        }
        out.push(Tag { name, attrs });
    }
    out
}

/// Splits the document into the 1.0 block (without the nested one) and the nested 1.1 block.
fn version_blocks(xml: &str) -> (String, String) {
    let outer = xml.find("<VersionOverrides ").expect("1.0 block");
    let inner = xml[outer + 1..]
        .find("<VersionOverrides ")
        .expect("1.1 block")
        + outer
        + 1;
    let inner_end = xml[inner..].find("</VersionOverrides>").expect("1.1 end")
        + inner
        + "</VersionOverrides>".len();
    let outer_end = xml.rfind("</VersionOverrides>").expect("1.0 end");
    (
        format!("{}{}", &xml[outer..inner], &xml[inner_end..outer_end]),
        xml[inner..inner_end].to_string(),
    )
}

fn png_width(bytes: &[u8]) -> u32 {
    u32::from_be_bytes([bytes[16], bytes[17], bytes[18], bytes[19]])
}

fn icon_width(url: &str) -> Option<u32> {
    let name = url.strip_prefix(&format!("{BASE}/manifests/icons/"))?;
    ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| png_width(b))
}

#[test]
fn the_xml_manifest_keeps_the_invariants_no_schema_sees() {
    let xml = manifests::render_outlook_xml(&deployment());
    let (v1_0, v1_1) = version_blocks(&xml);
    for (label, block) in [("1.0", &v1_0), ("1.1", &v1_1)] {
        let tags = tags(block);
        let ids: BTreeSet<&str> = tags
            .iter()
            .filter_map(|t| t.attrs.get("id"))
            .filter(|id| {
                tags.iter()
                    .any(|t| t.attrs.get("id") == Some(id) && t.name.starts_with("bt:"))
            })
            .map(String::as_str)
            .collect();
        let resids: BTreeSet<&str> = tags
            .iter()
            .filter_map(|t| t.attrs.get("resid"))
            .map(String::as_str)
            .collect();
        assert_eq!(
            resids, ids,
            "block {label}: every resid resolves to a resource, and every resource is used"
        );
        for t in tags
            .iter()
            .filter(|t| t.name == "bt:Image" && t.attrs.contains_key("id"))
        {
            let size: u32 = t.attrs["id"]
                .trim_start_matches("Icon.")
                .split('x')
                .next()
                .and_then(|s| s.parse().ok())
                .expect("Icon.NxN");
            assert_eq!(
                icon_width(&t.attrs["DefaultValue"]),
                Some(size),
                "block {label}: {} points at a served {size} px icon",
                t.attrs["id"]
            );
        }
        let surfaces: Vec<&str> = tags
            .iter()
            .filter(|t| t.name == "ExtensionPoint")
            .map(|t| t.attrs["xsi:type"].as_str())
            .collect();
        assert_eq!(
            surfaces,
            ["MessageComposeCommandSurface", "MessageReadCommandSurface"],
            "block {label}"
        );
    }
    // The two blocks agree, except for what 1.1 adds: pinning, and its own minimum version.
    let normalize = |block: &str| -> Vec<Tag> {
        tags(block)
            .into_iter()
            .filter(|t| t.name != "SupportsPinning")
            .map(|mut t| {
                if t.name == "VersionOverrides" || t.name == "bt:Sets" {
                    t.attrs.clear();
                }
                t
            })
            .collect()
    };
    assert_eq!(
        normalize(&v1_0),
        normalize(&v1_1),
        "the 1.0 and 1.1 blocks must declare the same commands and resources"
    );
    assert!(
        !v1_0.contains("SupportsPinning")
            && v1_1
                .matches("<SupportsPinning>true</SupportsPinning>")
                .count()
                == 2
    );
    // Requirement sets rise: base 1.1 <= commands 1.3 <= pinning 1.5, compared component by component.
    let mins: Vec<Vec<u32>> = [
        "MinVersion=\"",
        "DefaultMinVersion=\"1.3",
        "DefaultMinVersion=\"1.5",
    ]
    .iter()
    .map(|needle| {
        let at = xml.find(needle).expect(needle) + needle.find('"').map_or(0, |i| i + 1);
        xml[at..]
            .split('"')
            .next()
            .unwrap_or("")
            .split('.')
            .map(|p| p.parse().expect("number"))
            .collect()
    })
    .collect();
    assert_eq!(mins, [vec![1, 1], vec![1, 3], vec![1, 5]]);
    assert!(mins.windows(2).all(|w| w[0] <= w[1]));
    // Every URL is https on the configured base URL.
    let all = tags(&xml);
    let urls: Vec<&str> = all
        .iter()
        .filter_map(|t| t.attrs.get("DefaultValue"))
        .filter(|v| v.contains("://"))
        .map(String::as_str)
        .collect();
    assert!(urls.len() >= 10, "{urls:?}");
    for url in &urls {
        assert!(
            url.starts_with(&format!("{BASE}/")),
            "{url} is not https on {BASE}"
        );
    }
    assert!(xml.contains(&format!("<AppDomain>{BASE}</AppDomain>")));
    for t in all
        .iter()
        .filter(|t| ["IconUrl", "HighResolutionIconUrl"].contains(&t.name.as_str()))
    {
        let want = if t.name == "IconUrl" { 64 } else { 128 };
        assert_eq!(
            icon_width(&t.attrs["DefaultValue"]),
            Some(want),
            "{}",
            t.name
        );
    }
    assert!(
        xml.contains("<Permissions>ReadItem</Permissions>")
            && xml.contains("<Set Name=\"Mailbox\" MinVersion=\"1.1\"/>")
    );
    assert!(
        xml.contains("/addin/?host=outlook&amp;ms_client_id=0d4f0a52-6c1e-4d2b-9d39-8f0c2a3b4c5d&amp;ms_scope=access_as_user"),
        "the panel URL carries the nested app authentication settings, escaped"
    );
}

#[test]
fn the_json_manifest_agrees_with_the_xml_one_and_points_only_at_the_base_url() -> Result<()> {
    let dep = deployment();
    let json: serde_json::Value = serde_json::from_str(&manifests::render_outlook_json(&dep))?;
    let xml = manifests::render_outlook_xml(&dep);
    let id = json["id"].as_str().expect("id");
    assert!(
        xml.contains(&format!("<Id>{id}</Id>")),
        "one add-in id in both manifests"
    );
    assert_eq!(
        json["validDomains"],
        serde_json::json!(["sales.example.com"])
    );
    let ext = &json["extensions"][0];
    let actions: BTreeSet<&str> = ext["runtimes"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["actions"].as_array().into_iter().flatten())
        .filter_map(|a| a["id"].as_str())
        .collect();
    let mut contexts = Vec::new();
    for ribbon in ext["ribbons"].as_array().expect("ribbons") {
        contexts.extend(
            ribbon["contexts"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str()),
        );
        for group in ribbon["tabs"][0]["groups"].as_array().expect("groups") {
            assert_eq!(group["label"], "Sequencer");
            for control in group["controls"].as_array().expect("controls") {
                assert!(
                    actions.contains(control["actionId"].as_str().unwrap_or("")),
                    "{control}"
                );
            }
        }
    }
    assert_eq!(contexts, ["mailCompose", "mailRead"]);
    assert_eq!(
        ext["runtimes"][0]["code"]["page"].as_str(),
        Some(dep.outlook_panel_url().as_str())
    );
    let mut urls = Vec::new();
    collect_urls(&json, &mut urls);
    urls.retain(|u| !u.starts_with("https://developer.microsoft.com/json-schemas/"));
    assert!(urls.len() >= 8, "{urls:?}");
    for url in &urls {
        assert!(
            url.starts_with(&format!("{BASE}/")),
            "{url} is not https on {BASE}"
        );
        if url.contains("/manifests/icons/") {
            assert!(icon_width(url).is_some(), "{url} is not a served icon");
        }
    }
    Ok(())
}

fn collect_urls(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::String(s) if s.contains("://") => out.push(s.clone()),
        serde_json::Value::Array(a) => a.iter().for_each(|x| collect_urls(x, out)),
        serde_json::Value::Object(o) => o.values().for_each(|x| collect_urls(x, out)),
        _ => {}
    }
}

#[test]
fn the_production_extension_runs_only_on_gmail_with_a_strict_csp_and_no_inline_script() -> Result<()>
{
    let files = manifests::render_gmail_extension(&deployment(), &fake_bundle())?;
    let file = |p: &str| {
        files
            .iter()
            .find(|f| f.path == p)
            .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
    };
    let manifest: serde_json::Value =
        serde_json::from_str(&file("manifest.json").context("manifest.json")?)?;
    assert_eq!(manifest["manifest_version"], 3);
    assert_eq!(
        manifest["permissions"],
        serde_json::json!(["identity", "storage"]),
        "least privilege"
    );
    assert_eq!(
        manifest["content_scripts"][0]["matches"],
        serde_json::json!(["https://mail.google.com/*"])
    );
    assert_eq!(
        manifest["web_accessible_resources"][0]["matches"],
        serde_json::json!(["https://mail.google.com/*"])
    );
    assert_eq!(
        manifest["host_permissions"],
        serde_json::json!(["https://sales.example.com/*"])
    );
    let csp = manifest["content_security_policy"]["extension_pages"]
        .as_str()
        .unwrap_or("");
    assert!(
        csp.contains("script-src 'self' 'wasm-unsafe-eval'"),
        "{csp}"
    );
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("'unsafe-eval'") && !csp.contains("http"),
        "{csp}"
    );
    // Every file the manifest and the page name exists; the page has no inline script.
    let paths: BTreeSet<&str> = files.iter().map(|f| f.path.as_str()).collect();
    let mut named: Vec<String> = manifest["content_scripts"][0]["js"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(String::from))
        .collect();
    named.extend(
        manifest["icons"]
            .as_object()
            .into_iter()
            .flatten()
            .filter_map(|(_, v)| v.as_str().map(String::from)),
    );
    named.extend(
        manifest["web_accessible_resources"][0]["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(String::from)),
    );
    let page = file("addin/panel.html").context("panel page")?;
    for tag in page.split("<script").skip(1) {
        let head = tag.split('>').next().unwrap_or("");
        let src = head
            .split("src=\"")
            .nth(1)
            .and_then(|s| s.split('"').next())
            .context("a <script> without src (MV3 forbids inline scripts)")?;
        named.push(format!("addin/{src}").replace("addin/../", ""));
    }
    let loader = file("addin/loader.js").context("loader")?;
    named.extend(
        loader
            .split("\"../")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .map(String::from),
    );
    for name in &named {
        assert!(
            paths.contains(name.as_str()),
            "{name} is named but not rendered; files: {paths:?}"
        );
    }
    assert!(
        named.iter().any(|n| n == "static/frontend-1_bg.wasm")
            && named.iter().any(|n| n == "config.js")
    );
    assert!(
        !paths.contains("static/msal-browser.min.js") && !paths.contains("static/index.html"),
        "Outlook-only files stay out"
    );
    let config = file("config.js").context("config")?;
    assert!(
        config.contains(r#""allowedOrigins":["https://mail.google.com"]"#)
            && config.contains(r#""apiBase":"https://sales.example.com""#)
            && config.contains(r#""googleAuthUrl":"https://accounts.google.com/o/oauth2/v2/auth""#),
        "{config}"
    );
    // The server's Google settings travel with the extension; a plain-http endpoint does not.
    let google = |auth_url: &str| {
        let identity = sequencer_server::identity::IdentityConfig {
            google_client_id: Some("123-abc.apps.googleusercontent.com".into()),
            google_auth_url: auth_url.into(),
            ..Default::default()
        };
        manifests::render_gmail_extension(&deployment().with_identity(&identity), &fake_bundle())
    };
    let local = google("http://127.0.0.1:4321/o/oauth2/v2/auth")?;
    let config = local
        .iter()
        .find(|f| f.path == "config.js")
        .map(|f| String::from_utf8_lossy(&f.bytes).into_owned())
        .context("config")?;
    assert!(
        config.contains(r#""googleClientId":"123-abc.apps.googleusercontent.com""#)
            && config.contains(r#""googleAuthUrl":"http://127.0.0.1:4321/o/oauth2/v2/auth""#),
        "{config}"
    );
    assert!(matches!(
        google("http://accounts.example.com/auth"),
        Err(manifests::ManifestError::GoogleAuthUrl(..))
    ));
    // The test-only rendering adds exactly the loopback origin.
    let test = manifests::render_gmail_extension(
        &deployment().with_test_origin("http://127.0.0.1:4321")?,
        &fake_bundle(),
    )?;
    let test_manifest: serde_json::Value = serde_json::from_slice(
        &test
            .iter()
            .find(|f| f.path == "manifest.json")
            .context("manifest")?
            .bytes,
    )?;
    assert_eq!(
        test_manifest["content_scripts"][0]["matches"],
        serde_json::json!(["https://mail.google.com/*", "http://127.0.0.1/*"])
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_serves_the_manifests_and_icons_for_its_public_url() -> Result<()> {
    let t = spawn_app(Db::Sqlite).await?;
    let get = |path: &str| t.http.get(format!("{}{path}", t.base)).send();
    let xml = get("/manifests/outlook/manifest.xml").await?;
    assert_eq!(xml.status(), 200);
    let served = xml.text().await?;
    // The test app's public URL is http://127.0.0.1 (loopback: http accepted for trials).
    let expected =
        manifests::render_outlook_xml(&Deployment::new(BaseUrl::parse("http://127.0.0.1")?));
    assert_eq!(served, expected);
    let json = get("/manifests/outlook/manifest.json").await?;
    assert_eq!(json.status(), 200);
    let package = get("/manifests/outlook/sequencer-outlook.zip").await?;
    assert_eq!(
        package
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/zip")
    );
    assert_eq!(&package.bytes().await?[..4], b"PK\x03\x04");
    for (name, bytes) in ICONS {
        let icon = get(&format!("/manifests/icons/{name}")).await?;
        assert_eq!(
            icon.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("image/png"),
            "{name}"
        );
        assert_eq!(&icon.bytes().await?[..], *bytes, "{name}");
    }
    assert_eq!(get("/manifests/icons/nope.png").await?.status(), 404);
    // The extension packs the built frontend: served when this app has it (SEQUENCER_FRONTEND_DIST).
    let ext = get("/manifests/sequencer-gmail.zip").await?;
    let built = std::env::var_os("SEQUENCER_FRONTEND_DIST")
        .is_some_and(|d| Path::new(&d).join("index.html").exists());
    if built {
        assert_eq!(ext.status(), 200);
        let names = zip_names(&ext.bytes().await?);
        assert!(
            names.contains("manifest.json") && names.contains("addin/loader.js"),
            "{names:?}"
        );
    } else {
        assert_eq!(ext.status(), 503, "no frontend built in this app");
    }
    assert!(get("/manifests/")
        .await?
        .text()
        .await?
        .contains("outlook/manifest.xml"));
    // The add-in page Outlook opens loads Office.js and may be framed by Outlook on the web only.
    let page = get("/addin/?host=outlook").await?;
    assert!(page.headers().get("x-frame-options").is_none());
    let csp = page
        .headers()
        .get("content-security-policy")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    for origin in [
        "https://outlook.office.com",
        "https://outlook.office365.com",
        "https://outlook.cloud.microsoft",
        "https://outlook.live.com",
    ] {
        assert!(csp.contains(origin), "{csp}");
    }
    assert!(page
        .text()
        .await?
        .contains("https://appsforoffice.microsoft.com/lib/1/hosted/office.js"));
    assert!(
        !get("/addin/").await?.text().await?.contains("office.js"),
        "only the Outlook page loads Office.js"
    );
    Ok(())
}

/// The `sequencer` binary, built by cargo if needed.
fn sequencer_bin() -> Result<PathBuf> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "build",
            "-q",
            "-p",
            "sequencer-server",
            "--bin",
            "sequencer",
        ])
        .status()?;
    ensure!(status.success(), "cannot build the sequencer binary");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    Ok(target.join("debug/sequencer"))
}

fn zip_names(bytes: &[u8]) -> BTreeSet<String> {
    // Central directory entries: signature, 42 fixed bytes, then the name.
    let mut names = BTreeSet::new();
    let mut i = 0;
    while i + 46 <= bytes.len() {
        if bytes[i..i + 4] == [0x50, 0x4b, 0x01, 0x02] {
            let len = u16::from_le_bytes([bytes[i + 28], bytes[i + 29]]) as usize;
            names.insert(String::from_utf8_lossy(&bytes[i + 46..i + 46 + len]).into_owned());
            i += 46 + len;
        } else {
            i += 1;
        }
    }
    names
}

#[test]
fn sequencer_manifests_renders_everything_for_a_base_url() -> Result<()> {
    let dist = tempfile::tempdir()?;
    for (path, bytes) in &fake_bundle().files {
        let p = dist.path().join(path);
        std::fs::create_dir_all(p.parent().context("parent")?)?;
        std::fs::write(p, bytes)?;
    }
    let out = tempfile::tempdir()?;
    let run = Command::new(sequencer_bin()?)
        .args([
            "manifests",
            "--base-url",
            "https://sales.example.com/",
            "--out",
        ])
        .arg(out.path())
        .arg("--static-dir")
        .arg(dist.path())
        .env_remove("SEQUENCER_MS_CLIENT_ID")
        .env_remove("SEQUENCER_GOOGLE_CLIENT_ID")
        .env_remove("SEQUENCER_GOOGLE_AUTH_URL")
        .output()?;
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(
        run.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(
        stdout.starts_with("Rendered for https://sales.example.com:"),
        "{stdout}"
    );
    let mut written = BTreeSet::new();
    let mut stack = vec![out.path().to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                written.insert(p.strip_prefix(out.path())?.to_string_lossy().into_owned());
            }
        }
    }
    let expected: BTreeSet<String> = include_str!("../data/manifests-output.txt")
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(
        written, expected,
        "the rendered files (tests/data/manifests-output.txt)"
    );
    let xml = std::fs::read_to_string(out.path().join("outlook/manifest.xml"))?;
    assert_eq!(xmllint(&xml)?.0, 0);
    assert!(
        !xml.contains("{{") && !xml.contains("ms_client_id"),
        "placeholders filled; no client id configured"
    );
    assert_eq!(
        validate_json(&std::fs::read_to_string(
            out.path().join("outlook/manifest.json")
        )?)?
        .0,
        0
    );
    let ext_zip = zip_names(&std::fs::read(out.path().join("sequencer-gmail.zip"))?);
    let ext_dir: BTreeSet<String> = written
        .iter()
        .filter_map(|p| p.strip_prefix("gmail-extension/"))
        .map(String::from)
        .collect();
    assert_eq!(ext_zip, ext_dir, "the zip holds the extension folder");
    let package = zip_names(&std::fs::read(
        out.path().join("outlook/sequencer-outlook.zip"),
    )?);
    assert_eq!(
        package,
        ["color.png", "manifest.json", "outline.png"]
            .map(String::from)
            .into()
    );
    // `unzip -t` agrees the archives are sound (CRCs, offsets).
    for zip in ["sequencer-gmail.zip", "outlook/sequencer-outlook.zip"] {
        if let Ok(o) = Command::new("unzip")
            .arg("-tq")
            .arg(out.path().join(zip))
            .output()
        {
            assert!(
                o.status.success(),
                "{zip}: {}",
                String::from_utf8_lossy(&o.stdout)
            );
        }
    }
    let config = std::fs::read_to_string(out.path().join("gmail-extension/config.js"))?;
    assert!(
        config.contains(r#""googleAuthUrl":"https://accounts.google.com/o/oauth2/v2/auth""#),
        "Google's endpoint by default: {config}"
    );
    let elsewhere = Command::new(sequencer_bin()?)
        .args([
            "manifests",
            "--base-url",
            "https://sales.example.com",
            "--google-auth-url",
            "http://accounts.example.com/auth",
            "--out",
        ])
        .arg(out.path())
        .arg("--static-dir")
        .arg(dist.path())
        .output()?;
    let stderr = String::from_utf8_lossy(&elsewhere.stderr);
    assert!(
        !elsewhere.status.success() && stderr.contains("--google-auth-url"),
        "plain http is refused for the authorization endpoint too: {stderr}"
    );
    let refused = Command::new(sequencer_bin()?)
        .args([
            "manifests",
            "--base-url",
            "http://sales.example.com",
            "--out",
        ])
        .arg(out.path())
        .arg("--static-dir")
        .arg(dist.path())
        .output()?;
    assert!(
        !refused.status.success(),
        "plain http is refused for a non-loopback host"
    );
    Ok(())
}
