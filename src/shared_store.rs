//! The shared store of built extensions: a copy of the local store's layout (see
//! `maturin_hook_core::store`) on storage a team or CI shares, named by the URL in
//! `MATURIN_IMPORT_HOOK_STORE`, through Apache OpenDAL:
//!
//! - `s3://bucket/prefix`: S3 and compatible servers, with the standard `AWS_*` variables
//!   (`AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, …);
//! - `gs://bucket/prefix`: Google Cloud Storage (`GOOGLE_APPLICATION_CREDENTIALS`);
//! - `az://container/prefix`: Azure Blob Storage (`AZURE_STORAGE_ACCOUNT`, `AZURE_STORAGE_KEY`);
//! - `webdav://host:port/path` (`webdavs://` for TLS): a WebDAV server;
//! - `http://…`, `https://…`: a read-only store served by any web server;
//! - `file:///srv/store`: a directory (a shared disk).
//!
//! Before cargo runs, a build that the local store does not have is looked for here and, when
//! found, copied into the local store (every file verified against its hash), where the
//! decision finds it. After a build, what the local store keeps is copied here, unless the
//! store is read-only (`MATURIN_IMPORT_HOOK_STORE_READ_ONLY=1`, or an `http` URL). Writes put
//! the entry last, so a reader never sees an entry whose files are not all there. The store
//! only ever provides files: nothing read from it is run. It never makes a build fail: a store
//! that cannot be reached within the timeout (`MATURIN_IMPORT_HOOK_STORE_TIMEOUT`, 2 s) is
//! not asked again by this process, and the build runs as without it.

use anyhow::{anyhow, bail, Context, Result};
use maturin_hook_core::store::{self as local, EntryKey, Store};
use opendal::{services, Operator};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// `MATURIN_IMPORT_HOOK_STORE_READ_ONLY=1`: use the shared store, never write to it.
pub const READ_ONLY_ENV: &str = "MATURIN_IMPORT_HOOK_STORE_READ_ONLY";

/// Set once the shared store could not be reached: this process does not wait for it again.
static UNREACHABLE: AtomicBool = AtomicBool::new(false);

/// The shared store of `MATURIN_IMPORT_HOOK_STORE`.
pub struct SharedStore {
    url: String,
    operator: Operator,
    writable: bool,
    timeout: Duration,
}

impl SharedStore {
    /// The configured shared store; `None` when there is none, or when it was found
    /// unreachable earlier in this process. A URL that cannot be used is an error that says
    /// what is wrong with it.
    pub fn configured() -> Result<Option<SharedStore>> {
        let Some(url) = local::shared_store_url() else {
            return Ok(None);
        };
        if UNREACHABLE.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let (operator, writable) = operator_for(&url).with_context(|| {
            format!(
                "the shared store `{url}` ({}) cannot be used",
                local::STORE_ENV
            )
        })?;
        let read_only = std::env::var(READ_ONLY_ENV).is_ok_and(|value| value == "1");
        Ok(Some(SharedStore {
            url,
            operator,
            writable: writable && !read_only,
            timeout: local::shared_store_timeout(),
        }))
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Runs `work` with the store's timeout; a store that does not answer in time is
    /// remembered as unreachable for the rest of the process.
    fn with_timeout<T>(&self, work: impl std::future::Future<Output = Result<T>>) -> Result<T> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the shared store's client")?;
        let result = runtime.block_on(async {
            match tokio::time::timeout(self.timeout, work).await {
                Ok(result) => result,
                Err(_) => Err(anyhow!(
                    "no answer within {:.1} s ({} sets the timeout)",
                    self.timeout.as_secs_f64(),
                    "MATURIN_IMPORT_HOOK_STORE_TIMEOUT"
                )),
            }
        });
        if result.is_err() {
            UNREACHABLE.store(true, Ordering::Relaxed);
        }
        result
    }

    /// Copies into `local_store` the shared store's build of the project at `project_dir`,
    /// on `shelf`, whose inputs have the content they have now. True when there was one.
    pub fn fetch(&self, shelf: &str, project_dir: &Path, local_store: &Store) -> Result<bool> {
        self.with_timeout(async {
            let index = format!("v1/shelves/{shelf}/index.json");
            let sets: Vec<String> = match self.operator.read(&index).await {
                Ok(bytes) => serde_json::from_slice(&bytes.to_vec()).unwrap_or_default(),
                Err(error) if error.kind() == opendal::ErrorKind::NotFound => return Ok(false),
                Err(error) => return Err(error.into()),
            };
            for set_name in sets {
                let set = match self.operator.read(&format!("v1/{set_name}")).await {
                    Ok(bytes) => bytes.to_vec(),
                    Err(error) if error.kind() == opendal::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error.into()),
                };
                let Some(digest) = Store::digest_for(&set, project_dir) else {
                    continue;
                };
                let entry_name = format!("shelves/{shelf}/entries/{digest}.json");
                let entry = match self.operator.read(&format!("v1/{entry_name}")).await {
                    Ok(bytes) => bytes.to_vec(),
                    Err(error) if error.kind() == opendal::ErrorKind::NotFound => continue,
                    Err(error) => return Err(error.into()),
                };
                let parsed: local::Entry = serde_json::from_slice(&entry)
                    .with_context(|| format!("the shared store's {entry_name} is not an entry"))?;
                for artifact in parsed.stored_files() {
                    let blob = format!("blobs/{}", artifact.sha256);
                    if local_store.blob_path(&artifact.sha256).is_file() {
                        continue;
                    }
                    let content = self.operator.read(&format!("v1/{blob}")).await?.to_vec();
                    local_store.receive(&blob, &content)?;
                }
                local_store.receive(&set_name, &set)?;
                local_store.receive(&entry_name, &entry)?;
                return Ok(true);
            }
            Ok(false)
        })
    }

    /// Copies the local store's entry `key` here, unless this store has it or is read-only;
    /// true when it was copied.
    pub fn publish(&self, key: &EntryKey, local_store: &Store) -> Result<bool> {
        if !self.writable {
            return Ok(false);
        }
        let files = local_store.files_of(key)?;
        self.with_timeout(async {
            let (entry_name, _) = files.last().expect("an entry has its own file");
            if self.exists(&format!("v1/{entry_name}")).await? {
                return Ok(false);
            }
            for (name, path) in &files {
                let remote = format!("v1/{name}");
                if name.starts_with("blobs/") && self.exists(&remote).await? {
                    continue;
                }
                let content = tokio::fs::read(path)
                    .await
                    .with_context(|| format!("cannot read {}", path.display()))?;
                self.operator.write(&remote, content).await?;
            }
            // the index of the shelf's path sets: a lost race only costs a lookup that set
            let (set_name, _) = &files[0];
            let index = format!("v1/shelves/{}/index.json", key.shelf);
            let mut sets: Vec<String> = match self.operator.read(&index).await {
                Ok(bytes) => serde_json::from_slice(&bytes.to_vec()).unwrap_or_default(),
                Err(error) if error.kind() == opendal::ErrorKind::NotFound => Vec::new(),
                Err(error) => return Err(error.into()),
            };
            if !sets.contains(set_name) {
                sets.push(set_name.clone());
                self.operator
                    .write(&index, serde_json::to_vec(&sets)?)
                    .await?;
            }
            Ok(true)
        })
    }

    async fn exists(&self, path: &str) -> Result<bool> {
        match self.operator.stat(path).await {
            Ok(_) => Ok(true),
            Err(error) if error.kind() == opendal::ErrorKind::NotFound => Ok(false),
            Err(error) => Err(error.into()),
        }
    }
}

/// The operator for a store URL, and whether the store can be written.
fn operator_for(url: &str) -> Result<(Operator, bool)> {
    install_http_transport();
    let parsed = url::Url::parse(url).map_err(|error| {
        anyhow!("not a URL ({error}): use s3://, gs://, az://, webdav://, https:// or file://")
    })?;
    let root = match parsed.path() {
        "" => "/".to_string(),
        path => path.to_string(),
    };
    let host = parsed.host_str().unwrap_or_default();
    let with_port = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    };
    let variable = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
    let operator = match parsed.scheme() {
        "s3" => {
            let mut builder = services::S3::default().bucket(host).root(&root);
            if let Some(endpoint) =
                variable("AWS_ENDPOINT_URL_S3").or_else(|| variable("AWS_ENDPOINT_URL"))
            {
                builder = builder.endpoint(&endpoint);
            }
            let region = variable("AWS_REGION")
                .or_else(|| variable("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| "us-east-1".to_string());
            builder = builder.region(&region);
            if variable("AWS_ACCESS_KEY_ID").is_none() && variable("AWS_PROFILE").is_none() {
                builder = builder.skip_signature();
            }
            Operator::new(builder)?
        }
        "gs" | "gcs" => Operator::new(services::Gcs::default().bucket(host).root(&root))?,
        "az" | "azblob" => {
            let mut builder = services::Azblob::default().container(host).root(&root);
            if let Some(account) = variable("AZURE_STORAGE_ACCOUNT") {
                builder = builder
                    .account_name(&account)
                    .endpoint(&format!("https://{account}.blob.core.windows.net"));
            }
            if let Some(key) = variable("AZURE_STORAGE_KEY") {
                builder = builder.account_key(&key);
            }
            Operator::new(builder)?
        }
        scheme @ ("webdav" | "webdavs") => {
            let protocol = if scheme == "webdavs" { "https" } else { "http" };
            let mut builder = services::Webdav::default()
                .endpoint(&format!("{protocol}://{with_port}"))
                .root(&root);
            if !parsed.username().is_empty() {
                builder = builder.username(parsed.username());
            }
            if let Some(password) = parsed.password() {
                builder = builder.password(password);
            }
            Operator::new(builder)?
        }
        scheme @ ("http" | "https") => {
            let builder = services::Http::default()
                .endpoint(&format!("{scheme}://{with_port}"))
                .root(&root);
            return Ok((Operator::new(builder)?, false));
        }
        "file" => {
            let path = parsed
                .to_file_path()
                .map_err(|()| anyhow!("a file:// URL names an absolute directory"))?;
            Operator::new(services::Fs::default().root(&path.to_string_lossy()))?
        }
        other => bail!(
            "the scheme `{other}` is not one of s3, gs, az, webdav, webdavs, http, https, file"
        ),
    };
    Ok((operator, true))
}

/// OpenDAL's HTTP services need a process-wide HTTP transport, and rustls a process-wide crypto
/// provider (the tree's is ring).
fn install_http_transport() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    opendal_http_transport_reqwest::install_default();
}
