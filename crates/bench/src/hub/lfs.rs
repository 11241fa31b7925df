//! Git LFS on the fake Hub: the batch API, and the storage it hands out
//! (pre-signed-style URLs on another origin, single PUT or multipart).
//!
//! Like S3 behind the real Hub, the storage refuses a request that carries
//! an `Authorization` header: the URL is the credential, and a client that
//! sends its Hub token there leaks it.

use std::sync::atomic::Ordering;

use axum::body::Bytes;
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::routes::{Call, Shared, user, writable};
use super::wire::{Fault, sha1_hex, sha256_hex};

const LFS_JSON: &str = "application/vnd.git-lfs+json";

/// `POST …/{repo}.git/info/lfs/objects/batch`.
pub fn batch(shared: &Shared, call: &Call<'_>, key: &str) -> Result<Response, Fault> {
    let body = call.json()?;
    {
        let store = shared.store();
        writable(shared, &store, call, key)?;
    }
    if body["operation"] != "upload" {
        return Err(Fault::bad_request("this fake Hub answers LFS uploads only"));
    }
    let transfers: Vec<&str> =
        body["transfers"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
    let multipart = shared.options.multipart_chunk.filter(|_| transfers.contains(&"multipart"));
    let mut chosen = "basic";
    let mut objects = Vec::new();
    for object in body["objects"].as_array().into_iter().flatten() {
        let oid = object["oid"].as_str().unwrap_or_default();
        let size = object["size"].as_u64().unwrap_or_default();
        let mut answer = json!({"oid": oid, "size": size, "authenticated": true});
        if oid.len() != 64 || !oid.bytes().all(|b| b.is_ascii_hexdigit()) {
            answer["error"] = json!({"code": 422, "message": format!("{oid:?} is not a sha256")});
        } else if shared.store().blobs.get(oid).is_some_and(|blob| blob.len() as u64 == size) {
            // Already stored: no actions, nothing to send.
        } else {
            let verify = json!({"href": format!("{}/_lfs/verify/{oid}", shared.base), "header": {}});
            let upload = match multipart {
                Some(chunk) if size > chunk => {
                    chosen = "multipart";
                    multipart_action(shared, oid, size, chunk)
                }
                _ => json!({"href": format!("{}/_lfs/upload/{oid}/{size}", shared.storage_base)}),
            };
            answer["actions"] = json!({"upload": upload, "verify": verify});
        }
        objects.push(answer);
    }
    let answer = json!({"transfer": chosen, "objects": objects, "hash_algo": "sha256"});
    Ok(([(header::CONTENT_TYPE, LFS_JSON)], answer.to_string()).into_response())
}

/// `header` holds `chunk_size` and one URL per part, `"00001"`, `"00002"`…;
/// `href` is where the client completes the upload.
fn multipart_action(shared: &Shared, oid: &str, size: u64, chunk: u64) -> Value {
    let mut header = serde_json::Map::new();
    header.insert("chunk_size".into(), json!(chunk.to_string()));
    for part in 1..=size.div_ceil(chunk) {
        header.insert(format!("{part:05}"), json!(format!("{}/_lfs/part/{oid}/{part}", shared.storage_base)));
    }
    json!({"href": format!("{}/_lfs/complete/{oid}/{size}", shared.base), "header": header})
}

/// The storage side: `PUT upload/{oid}/{size}`, `PUT part/{oid}/{n}`,
/// `POST complete/{oid}/{size}`, `POST verify/{oid}`.
pub fn transfer(shared: &Shared, call: &Call<'_>) -> Result<Response, Fault> {
    let method = call.method.clone();
    match (method, &call.segments[1..]) {
        (Method::PUT, ["upload", oid, size]) => {
            refuse_credentials(shared, call)?;
            let size: u64 = size.parse().map_err(|_| Fault::bad_request("bad size"))?;
            check_object(call.body, oid, size)?;
            shared.store().put_blob(call.body.clone());
            Ok(axum::http::StatusCode::OK.into_response())
        }
        (Method::PUT, ["part", oid, number]) => {
            refuse_credentials(shared, call)?;
            let number: u32 = number.parse().map_err(|_| Fault::bad_request("bad part number"))?;
            let etag = format!("\"{}\"", sha1_hex(&sha256_hex(call.body)));
            shared.store().parts.insert(((*oid).to_owned(), number), call.body.clone());
            Ok(([(header::ETAG, etag)], "").into_response())
        }
        (Method::POST, ["complete", oid, size]) => complete(shared, call, oid, size),
        (Method::POST, ["verify", oid]) => {
            user(shared, call.headers)?.ok_or_else(|| Fault::new(401, "verify needs the Hub token"))?;
            let body = call.json()?;
            let stored = shared.store().blobs.get(*oid).map(|blob| blob.len() as u64);
            if body["oid"] != *oid || stored.is_none() || stored != body["size"].as_u64() {
                return Err(Fault::new(404, format!("LFS object {oid} not found")));
            }
            Ok(axum::Json(json!({"success": true})).into_response())
        }
        _ => Err(Fault::not_found()),
    }
}

/// Refuses a storage PUT that carries the token, or that is one of the
/// failures the options ask for.
fn refuse_credentials(shared: &Shared, call: &Call<'_>) -> Result<(), Fault> {
    let fail = shared.storage_failures.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1));
    if fail.is_ok() {
        return Err(Fault::new(503, "Service Unavailable"));
    }
    if call.headers.contains_key(header::AUTHORIZATION) {
        return Err(Fault::bad_request(
            "Only one auth mechanism allowed; the URL is pre-signed, send no Authorization header",
        ));
    }
    Ok(())
}

fn check_object(data: &[u8], oid: &str, size: u64) -> Result<(), Fault> {
    if data.len() as u64 != size || sha256_hex(data) != oid {
        return Err(Fault::bad_request(format!(
            "the content ({} bytes, sha256 {}) is not object {oid} of {size} bytes",
            data.len(),
            sha256_hex(data)
        )));
    }
    Ok(())
}

/// `{"oid", "parts": [{"partNumber", "etag"}]}`: every part, in order, with
/// the ETag its PUT answered.
fn complete(shared: &Shared, call: &Call<'_>, oid: &str, size: &str) -> Result<Response, Fault> {
    let size: u64 = size.parse().map_err(|_| Fault::bad_request("bad size"))?;
    let body = call.json()?;
    let parts = body["parts"].as_array().cloned().unwrap_or_default();
    let mut store = shared.store();
    let mut data = Vec::with_capacity(size as usize);
    for (index, part) in parts.iter().enumerate() {
        let number = part["partNumber"].as_u64().unwrap_or_default() as u32;
        if number as usize != index + 1 {
            return Err(Fault::bad_request(format!("part {} is listed as part {number}", index + 1)));
        }
        let bytes = store
            .parts
            .get(&(oid.to_owned(), number))
            .ok_or_else(|| Fault::bad_request(format!("part {number} was never uploaded")))?;
        if part["etag"].as_str() != Some(&format!("\"{}\"", sha1_hex(&sha256_hex(bytes)))) {
            return Err(Fault::bad_request(format!("part {number}: wrong ETag {}", part["etag"])));
        }
        data.extend_from_slice(bytes);
    }
    check_object(&data, oid, size)?;
    store.parts.retain(|(part_oid, _), _| part_oid != oid);
    store.put_blob(Bytes::from(data));
    Ok(axum::Json(json!({"success": true})).into_response())
}
