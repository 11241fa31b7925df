//! Git LFS uploads through the Hub's batch API: `basic` (one PUT of the
//! whole object) or `multipart` (the server's choice: parts of
//! `chunk_size`, then a completion call), then `verify` when offered.
//! weft offers only these two transfers; it never asks for Xet.
//!
//! Storage URLs are pre-signed: the token is never sent to them.

use std::collections::{BTreeMap, HashMap};
use std::io::{Seek, SeekFrom};

use reqwest::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use reqwest::{Body, Method};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use crate::HubError;
use crate::client::{HubClient, Retry};
use crate::files::{FileSource, Hashed};
use crate::repo::RepoId;

const LFS_JSON: &str = "application/vnd.git-lfs+json";
/// Objects per batch request, as the official client sends them.
const CHUNK: usize = 256;
/// Bytes read from disk per piece of a streamed body.
const READ_BYTES: usize = 256 << 10;

#[derive(Deserialize)]
struct BatchAnswer {
    objects: Vec<BatchObject>,
}

#[derive(Deserialize)]
struct BatchObject {
    oid: String,
    #[serde(default)]
    actions: Option<Actions>,
    #[serde(default)]
    error: Option<ObjectError>,
}

#[derive(Deserialize)]
struct Actions {
    #[serde(default)]
    upload: Option<Action>,
    #[serde(default)]
    verify: Option<Action>,
}

#[derive(Deserialize)]
struct Action {
    href: String,
    #[serde(default)]
    header: HashMap<String, Value>,
}

#[derive(Deserialize)]
struct ObjectError {
    #[serde(default)]
    code: i64,
    #[serde(default)]
    message: String,
}

/// Sends every object of `files` the Hub does not have yet; the bytes sent.
pub(crate) async fn upload_objects(
    client: &HubClient,
    repo: &RepoId,
    files: &[&Hashed],
) -> Result<u64, HubError> {
    // One object per content, however many paths share it.
    let mut by_oid: BTreeMap<&str, &Hashed> = BTreeMap::new();
    for file in files {
        by_oid.entry(file.sha256.as_str()).or_insert(file);
    }
    let objects: Vec<&Hashed> = by_oid.into_values().collect();
    let mut sent = 0;
    for chunk in objects.chunks(CHUNK) {
        let answer = batch(client, repo, chunk).await?;
        let mut answered: HashMap<String, BatchObject> =
            answer.objects.into_iter().map(|object| (object.oid.clone(), object)).collect();
        for file in chunk {
            let action = format!("LFS upload of {}", file.path_in_repo);
            let object = answered.remove(&file.sha256).ok_or_else(|| {
                HubError::protocol(&action, format!("the batch answer has no object {}", file.sha256))
            })?;
            if let Some(error) = object.error {
                let path = file.path_in_repo.clone();
                return Err(HubError::LfsObject {
                    path,
                    code: error.code,
                    message: client.mask(&error.message),
                });
            }
            // No actions: the Hub has this object already.
            let Some(actions) = object.actions else { continue };
            if let Some(upload) = &actions.upload {
                tracing::info!(path = %file.path_in_repo, bytes = file.size, "uploading through LFS");
                sent += transfer(client, &action, file, upload).await?;
            }
            if let Some(verify) = &actions.verify {
                let body = json!({"oid": file.sha256, "size": file.size});
                client
                    .send_ok(&action, Retry::Always, || {
                        Ok(with_headers(client.request(Method::POST, &verify.href), &verify.header)
                            .header(ACCEPT, LFS_JSON)
                            .header(CONTENT_TYPE, LFS_JSON)
                            .body(body.to_string()))
                    })
                    .await?;
            }
        }
    }
    Ok(sent)
}

async fn batch(client: &HubClient, repo: &RepoId, objects: &[&Hashed]) -> Result<BatchAnswer, HubError> {
    let action = format!("LFS batch for {repo}");
    let url = client.url(&format!("/datasets/{repo}.git/info/lfs/objects/batch"));
    let body = json!({
        "operation": "upload",
        "transfers": ["basic", "multipart"],
        "objects": objects.iter().map(|f| json!({"oid": f.sha256, "size": f.size})).collect::<Vec<_>>(),
        "hash_algo": "sha256",
        "ref": {"name": "main"},
    });
    let response = client
        .send_ok(&action, Retry::Always, || {
            Ok(client
                .request(Method::POST, &url)
                .header(ACCEPT, LFS_JSON)
                .header(CONTENT_TYPE, LFS_JSON)
                .body(body.to_string()))
        })
        .await?;
    client.json(&action, response).await
}

/// One object: multipart when the action's header carries `chunk_size`,
/// else one PUT. The bytes sent.
async fn transfer(client: &HubClient, action: &str, file: &Hashed, upload: &Action) -> Result<u64, HubError> {
    let Some(chunk_size) = upload.header.get("chunk_size") else {
        let href = &upload.href;
        client
            .send_ok(action, Retry::Always, || {
                Ok(client
                    .anonymous(Method::PUT, href)
                    .header(CONTENT_LENGTH, file.size)
                    .body(body(file, 0, file.size)?))
            })
            .await?;
        return Ok(file.size);
    };
    let chunk_size = number(chunk_size).filter(|&n| n > 0).ok_or_else(|| {
        HubError::protocol(action, format!("chunk_size {chunk_size} is not a positive number"))
    })?;
    multipart(client, action, file, upload, chunk_size).await?;
    Ok(file.size)
}

/// Parts `00001`, `00002`, … of `chunk_size` bytes (the last one shorter),
/// each PUT to its URL; their ETags, in order, complete the upload.
async fn multipart(
    client: &HubClient,
    action: &str,
    file: &Hashed,
    upload: &Action,
    chunk_size: u64,
) -> Result<(), HubError> {
    let mut parts: Vec<(u64, &str)> = upload
        .header
        .iter()
        .filter(|(key, _)| !key.is_empty() && key.bytes().all(|b| b.is_ascii_digit()))
        .filter_map(|(key, url)| Some((key.parse().ok()?, url.as_str()?)))
        .collect();
    parts.sort_unstable();
    let expected = file.size.div_ceil(chunk_size);
    if parts.len() as u64 != expected || parts.iter().enumerate().any(|(i, (n, _))| *n != i as u64 + 1) {
        let reason = format!("{} part URLs for {} parts of {chunk_size} bytes", parts.len(), expected);
        return Err(HubError::protocol(action, reason));
    }
    let mut etags = Vec::with_capacity(parts.len());
    for (number, url) in parts {
        let offset = (number - 1) * chunk_size;
        let len = chunk_size.min(file.size - offset);
        let response = client
            .send_ok(action, Retry::Always, || {
                Ok(client
                    .anonymous(Method::PUT, url)
                    .header(CONTENT_LENGTH, len)
                    .body(body(file, offset, len)?))
            })
            .await?;
        let etag = response.headers().get(ETAG).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let etag = etag
            .ok_or_else(|| HubError::protocol(action, format!("part {number} was stored without an ETag")))?;
        etags.push(json!({"partNumber": number, "etag": etag}));
    }
    let completion = json!({"oid": file.sha256, "parts": etags}).to_string();
    client
        .send_ok(action, Retry::Always, || {
            Ok(client
                .anonymous(Method::POST, &upload.href)
                .header(ACCEPT, LFS_JSON)
                .header(CONTENT_TYPE, LFS_JSON)
                .body(completion.clone()))
        })
        .await?;
    Ok(())
}

fn with_headers(
    mut builder: reqwest::RequestBuilder,
    headers: &HashMap<String, Value>,
) -> reqwest::RequestBuilder {
    for (name, value) in headers {
        if let Some(value) = value.as_str() {
            builder = builder.header(name, value);
        }
    }
    builder
}

/// A number the Hub may send as one or as a string.
fn number(value: &Value) -> Option<u64> {
    value.as_u64().or_else(|| value.as_str()?.trim().parse().ok())
}

/// `len` bytes of `file` from `offset`, streamed from disk.
fn body(file: &Hashed, offset: u64, len: u64) -> Result<Body, HubError> {
    match &file.source {
        FileSource::Bytes(bytes) => {
            let range = usize::try_from(offset).unwrap_or(usize::MAX)
                ..usize::try_from(offset + len).unwrap_or(usize::MAX);
            Ok(Body::from(bytes.get(range).unwrap_or_default().to_vec()))
        }
        FileSource::Path(path) => {
            let mut opened = std::fs::File::open(path).map_err(|err| HubError::io(path, err))?;
            opened.seek(SeekFrom::Start(offset)).map_err(|err| HubError::io(path, err))?;
            let reader = tokio::fs::File::from_std(opened).take(len);
            let stream = futures::stream::try_unfold(reader, |mut reader| async move {
                let mut piece = vec![0; READ_BYTES];
                let n = reader.read(&mut piece).await?;
                piece.truncate(n);
                Ok::<_, std::io::Error>((n > 0).then_some((piece, reader)))
            });
            Ok(Body::wrap_stream(stream))
        }
    }
}
