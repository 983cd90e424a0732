//! Renders what an admin installs, for one deployment (a base URL): the Outlook add-in-only XML
//! manifest, the unified JSON app manifest (and its app package), the icons, and the Gmail Chrome
//! extension (with the built Yew bundle and an external loader, since MV3 forbids inline scripts).
//!
//! The templates live in `manifests/` at the repo root and are compiled in, so the server can serve
//! them at `/manifests/...` for its own public URL. Rendering is pure (`render_*`); reading the
//! frontend bundle and writing files are the two small IO functions at the bottom. Must not depend
//! on `http/`, `store/` or `service/`.

mod zip;

use std::path::{Path, PathBuf};

pub use zip::zip;

const OUTLOOK_XML: &str = include_str!("../../../manifests/outlook/manifest.xml");
const OUTLOOK_JSON: &str = include_str!("../../../manifests/outlook/manifest.json");
const EXT_MANIFEST: &str = include_str!("../../../manifests/gmail-extension/manifest.json");
const EXT_SELECTORS: &str = include_str!("../../../manifests/gmail-extension/selectors.js");
const EXT_CONTENT: &str = include_str!("../../../manifests/gmail-extension/content.js");
const EXT_PANEL: &str = include_str!("../../../manifests/gmail-extension/addin/panel.html");

/// The icons served at `/manifests/icons/NAME` (and packed into the app package and extension).
pub const ICONS: &[(&str, &[u8])] = &[
    (
        "icon-16.png",
        include_bytes!("../../../manifests/icons/icon-16.png"),
    ),
    (
        "icon-32.png",
        include_bytes!("../../../manifests/icons/icon-32.png"),
    ),
    (
        "icon-48.png",
        include_bytes!("../../../manifests/icons/icon-48.png"),
    ),
    (
        "icon-64.png",
        include_bytes!("../../../manifests/icons/icon-64.png"),
    ),
    (
        "icon-80.png",
        include_bytes!("../../../manifests/icons/icon-80.png"),
    ),
    (
        "icon-128.png",
        include_bytes!("../../../manifests/icons/icon-128.png"),
    ),
    (
        "icon-192.png",
        include_bytes!("../../../manifests/icons/icon-192.png"),
    ),
    (
        "outline-32.png",
        include_bytes!("../../../manifests/icons/outline-32.png"),
    ),
];

/// The Gmail web origin the extension runs on and trusts messages from.
pub const GMAIL_ORIGIN: &str = "https://mail.google.com";

#[derive(Debug, thiserror::Error)]
pub enum ManifestError {
    #[error("base URL {0:?}: {1}")]
    BaseUrl(String, &'static str),
    #[error("Google authorization URL {0:?}: {1}")]
    GoogleAuthUrl(String, &'static str),
    #[error("test origin {0:?} must be http://127.0.0.1[:port] or http://localhost[:port]")]
    TestOrigin(String),
    #[error("the frontend bundle in {0} is missing or incomplete ({1}); build it with `trunk build --release`")]
    Bundle(PathBuf, &'static str),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

/// A deployment's base URL: `https://host[:port][/prefix]`, without a trailing slash. Plain `http`
/// is accepted for loopback only (local trials and tests); Outlook itself requires https.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl {
    url: String,
    scheme_len: usize,
    host_end: usize,
}

impl BaseUrl {
    pub fn parse(raw: &str) -> Result<BaseUrl, ManifestError> {
        let err = |why| ManifestError::BaseUrl(raw.to_string(), why);
        let url = raw.trim().trim_end_matches('/');
        let scheme_len = if url.starts_with("https://") {
            "https://".len()
        } else if url.starts_with("http://") {
            "http://".len()
        } else {
            return Err(err("must start with https://"));
        };
        if url
            .chars()
            .any(|c| c.is_whitespace() || "\"'<>&?#\\{}`".contains(c))
        {
            return Err(err("must be a plain URL without query, fragment or quotes"));
        }
        let host_end = url[scheme_len..]
            .find('/')
            .map_or(url.len(), |i| i + scheme_len);
        let host = &url[scheme_len..host_end];
        let name =
            host.rsplit_once(':').map_or(
                host,
                |(h, port)| if port.parse::<u16>().is_ok() { h } else { host },
            );
        if name.is_empty()
            || name.contains('@')
            || !name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".-".contains(c))
        {
            return Err(err("has no valid host name"));
        }
        if scheme_len == "http://".len() && !matches!(name, "127.0.0.1" | "localhost") {
            return Err(err(
                "must use https (plain http only for 127.0.0.1 and localhost)",
            ));
        }
        Ok(BaseUrl {
            url: url.to_string(),
            scheme_len,
            host_end,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// `host[:port]`, as Teams `validDomains` wants it.
    pub fn host(&self) -> &str {
        &self.url[self.scheme_len..self.host_end]
    }

    /// `scheme://host[:port]`.
    pub fn origin(&self) -> &str {
        &self.url[..self.host_end]
    }
}

/// What a rendering depends on.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub base_url: BaseUrl,
    /// Entra app (client) id for Outlook's nested app authentication; none: the panel asks to sign in.
    pub ms_client_id: Option<String>,
    /// Delegated scope of Sequencer's API (`api://{client id}/{scope}`).
    pub ms_scope: String,
    /// Google OAuth client id for the extension's ID token.
    pub google_client_id: Option<String>,
    /// Where the extension asks for that ID token: Google's authorization endpoint unless the
    /// deployment says otherwise (checked by [`auth_url`] when the extension is rendered).
    pub google_auth_url: String,
    /// Test only: extra loopback origins the extension's content script runs on and trusts, for a
    /// Gmail-like page in browser tests. Empty in every production rendering.
    pub test_origins: Vec<String>,
}

impl Deployment {
    pub fn new(base_url: BaseUrl) -> Deployment {
        Deployment {
            base_url,
            ms_client_id: None,
            ms_scope: "access_as_user".into(),
            google_client_id: None,
            google_auth_url: crate::identity::GOOGLE_AUTH_URL.into(),
            test_origins: Vec::new(),
        }
    }

    /// Takes the sign-in settings the renderings carry from the server's identity configuration.
    pub fn with_identity(mut self, identity: &crate::identity::IdentityConfig) -> Deployment {
        self.ms_client_id = identity.ms_client_id.clone();
        self.ms_scope = identity.ms_scope.clone();
        self.google_client_id = identity.google_client_id.clone();
        self.google_auth_url = identity.google_auth_url.clone();
        self
    }

    /// Adds a loopback origin for tests (`http://127.0.0.1:PORT`).
    pub fn with_test_origin(mut self, origin: &str) -> Result<Deployment, ManifestError> {
        let parsed =
            BaseUrl::parse(origin).map_err(|_| ManifestError::TestOrigin(origin.into()))?;
        if !parsed.url.starts_with("http://") || parsed.origin() != parsed.as_str() {
            return Err(ManifestError::TestOrigin(origin.into()));
        }
        self.test_origins.push(parsed.url);
        Ok(self)
    }

    /// The panel's address inside Outlook (`SourceLocation`, the unified manifest's page).
    pub fn outlook_panel_url(&self) -> String {
        let mut url = format!("{}/addin/?host=outlook", self.base_url.as_str());
        if let Some(id) = &self.ms_client_id {
            url.push_str(&format!(
                "&ms_client_id={}&ms_scope={}",
                query_value(id),
                query_value(&self.ms_scope)
            ));
        }
        url
    }
}

/// An authorization endpoint as the extension may use it: https (plain http on loopback only, for
/// tests against a local identity provider), without query or fragment (the extension adds its own).
pub fn auth_url(raw: &str) -> Result<String, ManifestError> {
    match BaseUrl::parse(raw) {
        Ok(url) => Ok(url.url),
        Err(ManifestError::BaseUrl(_, why)) => Err(ManifestError::GoogleAuthUrl(raw.into(), why)),
        Err(e) => Err(e),
    }
}

/// Keeps only URL-safe characters of a configured id (client ids are GUIDs; scopes are words).
fn query_value(v: &str) -> String {
    v.chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-._~".contains(*c))
        .collect()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_string()).to_string()
}

/// The Outlook add-in-only manifest (XML).
pub fn render_outlook_xml(dep: &Deployment) -> String {
    OUTLOOK_XML
        .replace("{{PANEL_URL}}", &xml_escape(&dep.outlook_panel_url()))
        .replace("{{BASE_URL}}", &xml_escape(dep.base_url.as_str()))
}

/// The unified app manifest (JSON) for the Microsoft 365 admin center.
pub fn render_outlook_json(dep: &Deployment) -> String {
    let unquoted = |s: &str| json_string(s).trim_matches('"').to_string();
    OUTLOOK_JSON
        .replace("{{PANEL_URL}}", &unquoted(&dep.outlook_panel_url()))
        .replace("{{BASE_URL}}", &unquoted(dep.base_url.as_str()))
        .replace("{{BASE_HOST}}", &unquoted(dep.base_url.host()))
}

fn icon(name: &str) -> Vec<u8> {
    ICONS
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| b.to_vec())
        .unwrap_or_default()
}

/// The app package an admin uploads: `manifest.json` with its color (192 px) and outline (32 px) icons.
pub fn render_outlook_package(dep: &Deployment) -> Result<Vec<u8>, ManifestError> {
    Ok(zip(&[
        (
            "manifest.json".into(),
            render_outlook_json(dep).into_bytes(),
        ),
        ("color.png".into(), icon("icon-192.png")),
        ("outline.png".into(), icon("outline-32.png")),
    ])?)
}

/// A rendered file, its path relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedFile {
    pub path: String,
    pub bytes: Vec<u8>,
}

impl RenderedFile {
    fn new(path: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        RenderedFile {
            path: path.into(),
            bytes: bytes.into(),
        }
    }
}

/// Trunk's output (`frontend/dist`): its files and the names of the entry points in `index.html`.
#[derive(Debug, Clone)]
pub struct Bundle {
    /// Paths relative to the dist folder, `/`-separated.
    pub files: Vec<(String, Vec<u8>)>,
    pub js: String,
    pub wasm: String,
    pub css: Vec<String>,
}

impl Bundle {
    /// Finds the entry points in Trunk's `index.html` (served under `/static/`).
    pub fn from_files(dir: &Path, files: Vec<(String, Vec<u8>)>) -> Result<Bundle, ManifestError> {
        let index = files
            .iter()
            .find(|(p, _)| p == "index.html")
            .ok_or(ManifestError::Bundle(dir.into(), "no index.html"))?;
        let html = String::from_utf8_lossy(&index.1);
        let refs: Vec<&str> = html
            .split("/static/")
            .skip(1)
            .filter_map(|s| s.split(['\'', '"']).next())
            .collect();
        let find = |ext: &str| {
            refs.iter()
                .find(|r| r.ends_with(ext))
                .map(|r| r.to_string())
        };
        let js = find(".js").ok_or(ManifestError::Bundle(dir.into(), "no script in index.html"))?;
        let wasm =
            find(".wasm").ok_or(ManifestError::Bundle(dir.into(), "no wasm in index.html"))?;
        let mut css: Vec<String> = refs
            .iter()
            .filter(|r| r.ends_with(".css"))
            .map(|r| r.to_string())
            .collect();
        css.dedup();
        for f in [&js, &wasm] {
            if !files.iter().any(|(p, _)| p == f) {
                return Err(ManifestError::Bundle(
                    dir.into(),
                    "index.html names a file that is missing",
                ));
            }
        }
        Ok(Bundle {
            files,
            js,
            wasm,
            css,
        })
    }
}

/// `scheme://host/*` for an origin: Chrome match patterns ignore the port when none is given.
fn match_pattern(origin: &str) -> String {
    let (scheme, rest) = origin.split_once("://").unwrap_or(("https", origin));
    let host = rest.split(['/', ':']).next().unwrap_or(rest);
    format!("{scheme}://{host}/*")
}

/// The unpacked Chrome extension, paths relative to its folder.
pub fn render_gmail_extension(
    dep: &Deployment,
    bundle: &Bundle,
) -> Result<Vec<RenderedFile>, ManifestError> {
    let mut manifest: serde_json::Value =
        serde_json::from_str(&EXT_MANIFEST.replace("{{BASE_URL}}", dep.base_url.as_str()))
            .map_err(|e| std::io::Error::other(format!("extension manifest template: {e}")))?;
    let matches: Vec<String> = dep.test_origins.iter().map(|o| match_pattern(o)).collect();
    for pointer in [
        "/content_scripts/0/matches",
        "/web_accessible_resources/0/matches",
    ] {
        if let Some(list) = manifest.pointer_mut(pointer).and_then(|v| v.as_array_mut()) {
            list.extend(matches.iter().cloned().map(serde_json::Value::String));
        }
    }
    if let Some(list) = manifest
        .pointer_mut("/host_permissions")
        .and_then(|v| v.as_array_mut())
    {
        *list = vec![serde_json::Value::String(match_pattern(
            dep.base_url.origin(),
        ))];
    }
    let mut allowed = vec![GMAIL_ORIGIN.to_string()];
    allowed.extend(dep.test_origins.iter().cloned());
    let config = serde_json::json!({
        "apiBase": dep.base_url.as_str(),
        "allowedOrigins": allowed,
        "googleClientId": dep.google_client_id,
        "googleAuthUrl": auth_url(&dep.google_auth_url)?,
    });
    let mut files = vec![
        RenderedFile::new("manifest.json", serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n"),
        RenderedFile::new("selectors.js", EXT_SELECTORS),
        RenderedFile::new("content.js", EXT_CONTENT),
        RenderedFile::new(
            "config.js",
            format!("// Generated by `sequencer manifests` for {}.\nglobalThis.SEQUENCER_EXTENSION = {config};\n", dep.base_url.as_str()),
        ),
        RenderedFile::new("addin/panel.html", render_panel_page(bundle)),
        RenderedFile::new(
            "addin/loader.js",
            format!(
                "// Starts the Yew panel; an external module because MV3 forbids inline scripts.\n\
                 import init from \"../static/{}\";\n\
                 await init({{ module_or_path: new URL(\"../static/{}\", import.meta.url) }});\n",
                bundle.js, bundle.wasm
            ),
        ),
    ];
    for size in [16, 32, 48, 128] {
        files.push(RenderedFile::new(
            format!("icons/icon-{size}.png"),
            icon(&format!("icon-{size}.png")),
        ));
    }
    for (path, bytes) in &bundle.files {
        // The page is addin/panel.html; MSAL is for Outlook only.
        if path != "index.html" && !path.ends_with("msal-browser.min.js") {
            files.push(RenderedFile::new(format!("static/{path}"), bytes.clone()));
        }
    }
    Ok(files)
}

fn render_panel_page(bundle: &Bundle) -> String {
    let links: Vec<String> = bundle
        .css
        .iter()
        .map(|c| format!("<link rel=\"stylesheet\" href=\"../static/{c}\">"))
        .collect();
    EXT_PANEL.replace("{{STYLESHEETS}}", &links.join("\n  "))
}

/// Everything `sequencer manifests` writes, paths relative to the output folder.
pub fn render_all(dep: &Deployment, bundle: &Bundle) -> Result<Vec<RenderedFile>, ManifestError> {
    let mut files = vec![
        RenderedFile::new("outlook/manifest.xml", render_outlook_xml(dep)),
        RenderedFile::new("outlook/manifest.json", render_outlook_json(dep)),
        RenderedFile::new(
            "outlook/sequencer-outlook.zip",
            render_outlook_package(dep)?,
        ),
    ];
    files.extend(
        ICONS
            .iter()
            .map(|(name, bytes)| RenderedFile::new(format!("icons/{name}"), *bytes)),
    );
    let extension = render_gmail_extension(dep, bundle)?;
    let entries: Vec<(String, Vec<u8>)> = extension
        .iter()
        .map(|f| (f.path.clone(), f.bytes.clone()))
        .collect();
    files.push(RenderedFile::new("sequencer-gmail.zip", zip(&entries)?));
    files.extend(extension.into_iter().map(|f| RenderedFile {
        path: format!("gmail-extension/{}", f.path),
        bytes: f.bytes,
    }));
    Ok(files)
}

/// Reads Trunk's dist folder (IO).
pub fn read_bundle(dir: &Path) -> Result<Bundle, ManifestError> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let entries = std::fs::read_dir(&d)
            .map_err(|_| ManifestError::Bundle(dir.into(), "cannot read the folder"))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(rel) = path.strip_prefix(dir) {
                let rel = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/");
                files.push((rel, std::fs::read(&path)?));
            }
        }
    }
    files.sort();
    Bundle::from_files(dir, files)
}

/// Writes rendered files under `out` (IO), creating folders.
pub fn write_all(out: &Path, files: &[RenderedFile]) -> Result<(), ManifestError> {
    for f in files {
        let path = out.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &f.bytes)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_https_or_loopback_http() {
        let check = |raw: &str, ok: Option<(&str, &str)>| {
            let got = BaseUrl::parse(raw)
                .ok()
                .map(|b| (b.as_str().to_string(), b.host().to_string()));
            assert_eq!(
                got,
                ok.map(|(u, h)| (u.to_string(), h.to_string())),
                "{raw}"
            );
        };
        check(
            "https://sales.example.com/",
            Some(("https://sales.example.com", "sales.example.com")),
        );
        check(
            "https://sales.example.com:8443/seq",
            Some((
                "https://sales.example.com:8443/seq",
                "sales.example.com:8443",
            )),
        );
        check(
            "http://127.0.0.1:8080",
            Some(("http://127.0.0.1:8080", "127.0.0.1:8080")),
        );
        check("http://sales.example.com", None);
        check("https://sales.example.com/?x=1", None);
        check("https://a\"b.com", None);
        check("ftp://x.com", None);
        check("https://", None);
    }

    #[test]
    fn match_patterns_drop_the_port() {
        assert_eq!(match_pattern("http://127.0.0.1:4000"), "http://127.0.0.1/*");
        assert_eq!(
            match_pattern("https://sales.example.com/seq"),
            "https://sales.example.com/*"
        );
    }

    #[test]
    fn test_origins_must_be_loopback_origins() {
        let dep = || Deployment::new(BaseUrl::parse("https://sales.example.com").unwrap());
        assert!(dep().with_test_origin("http://127.0.0.1:4000").is_ok());
        assert!(dep().with_test_origin("https://evil.example").is_err());
        assert!(dep()
            .with_test_origin("http://127.0.0.1:4000/path")
            .is_err());
    }

    #[test]
    fn google_auth_urls_are_https_or_loopback_http_without_a_query() {
        let check = |raw: &str, ok: Option<&str>| {
            assert_eq!(auth_url(raw).ok().as_deref(), ok, "{raw}");
        };
        check(
            crate::identity::GOOGLE_AUTH_URL,
            Some(crate::identity::GOOGLE_AUTH_URL),
        );
        check(
            "http://127.0.0.1:4000/o/oauth2/v2/auth",
            Some("http://127.0.0.1:4000/o/oauth2/v2/auth"),
        );
        check("http://accounts.example.com/auth", None);
        check(
            "https://accounts.google.com/o/oauth2/v2/auth?prompt=none",
            None,
        );
        check("https://accounts.google.com/auth#x", None);
        assert!(matches!(
            auth_url("ftp://x.com"),
            Err(ManifestError::GoogleAuthUrl(..))
        ));
    }
}
