//! The files of an upload, and what the Hub needs to know of each before
//! any byte is sent: size, sha256 (the LFS oid), git blob id (to see a
//! regular file is unchanged) and the first 512 bytes (the preupload sample).

use std::io::Read;
use std::path::PathBuf;

use sha1::Digest as _;

use crate::HubError;

/// Bytes of a file the preupload call shows the Hub.
const SAMPLE_BYTES: usize = 512;

/// One file to put in the repo.
#[derive(Debug, Clone)]
pub struct RepoFile {
    /// Where it goes, e.g. `data/train.jsonl`: `/`-separated, relative.
    pub path_in_repo: String,
    /// Where its bytes come from.
    pub source: FileSource,
}

/// A file's bytes: on disk (read when hashed, and again when sent), or in
/// memory (the dataset card).
#[derive(Debug, Clone)]
pub enum FileSource {
    /// A local file.
    Path(PathBuf),
    /// Bytes made by the caller.
    Bytes(Vec<u8>),
}

impl RepoFile {
    /// A local file at `path_in_repo`.
    pub fn from_path(path_in_repo: impl Into<String>, path: impl Into<PathBuf>) -> Self {
        Self { path_in_repo: path_in_repo.into(), source: FileSource::Path(path.into()) }
    }

    /// Bytes at `path_in_repo`.
    pub fn from_bytes(path_in_repo: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Self {
        Self { path_in_repo: path_in_repo.into(), source: FileSource::Bytes(bytes.into()) }
    }
}

/// A file, hashed.
#[derive(Debug, Clone)]
pub(crate) struct Hashed {
    pub path_in_repo: String,
    pub source: FileSource,
    pub size: u64,
    pub sha256: String,
    pub git_oid: String,
    pub sample: Vec<u8>,
}

impl Hashed {
    /// The whole content (for a file committed inline).
    pub async fn read_all(&self) -> Result<Vec<u8>, HubError> {
        match &self.source {
            FileSource::Bytes(bytes) => Ok(bytes.clone()),
            FileSource::Path(path) => {
                let bytes = tokio::fs::read(path).await.map_err(|err| HubError::io(path, err))?;
                if bytes.len() as u64 != self.size {
                    return Err(changed(path));
                }
                Ok(bytes)
            }
        }
    }
}

fn changed(path: &std::path::Path) -> HubError {
    HubError::io(path, std::io::Error::other("the file changed while it was being uploaded"))
}

/// Hashes `file` (on a blocking thread: a dataset may be gigabytes).
pub(crate) async fn hash(file: &RepoFile) -> Result<Hashed, HubError> {
    let file = file.clone();
    tokio::task::spawn_blocking(move || hash_blocking(file))
        .await
        .map_err(|err| HubError::Invalid(format!("hashing stopped: {err}")))?
}

fn hash_blocking(file: RepoFile) -> Result<Hashed, HubError> {
    let RepoFile { path_in_repo, source } = file;
    let mut sha256 = sha2::Sha256::new();
    let mut sha1 = sha1::Sha1::new();
    let mut sample = Vec::new();
    let size = match &source {
        FileSource::Bytes(bytes) => {
            sha1.update(format!("blob {}\0", bytes.len()));
            sha1.update(bytes);
            sha256.update(bytes);
            sample.extend_from_slice(&bytes[..bytes.len().min(SAMPLE_BYTES)]);
            bytes.len() as u64
        }
        FileSource::Path(path) => {
            let mut reader = std::fs::File::open(path).map_err(|err| HubError::io(path, err))?;
            let size = reader.metadata().map_err(|err| HubError::io(path, err))?.len();
            // Git's blob id hashes the length first.
            sha1.update(format!("blob {size}\0"));
            let mut buffer = vec![0; 1 << 20];
            let mut seen = 0u64;
            loop {
                let n = reader.read(&mut buffer).map_err(|err| HubError::io(path, err))?;
                if n == 0 {
                    break;
                }
                if sample.len() < SAMPLE_BYTES {
                    let take = (SAMPLE_BYTES - sample.len()).min(n);
                    sample.extend_from_slice(&buffer[..take]);
                }
                sha1.update(&buffer[..n]);
                sha256.update(&buffer[..n]);
                seen += n as u64;
            }
            if seen != size {
                return Err(changed(path));
            }
            size
        }
    };
    Ok(Hashed {
        path_in_repo,
        source,
        size,
        sha256: hex(&sha256.finalize()),
        git_oid: hex(&sha1.finalize()),
        sample,
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A path in the repo as the Hub takes it: relative, `/`-separated, no
/// empty, `.` or `..` segment, and not inside `.git/`.
pub(crate) fn check_path(path: &str) -> Result<(), HubError> {
    let bad = path.is_empty()
        || path.starts_with('/')
        || path.contains('\\')
        || path.split('/').any(|s| s.is_empty() || s == "." || s == "..")
        || path == ".git"
        || path.starts_with(".git/");
    if bad {
        return Err(HubError::Invalid(format!("{path:?} is not a valid path in a repo")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn files_and_bytes_hash_alike() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.txt");
        std::fs::write(&path, b"hello\n").unwrap();
        let from_disk = hash(&RepoFile::from_path("a.txt", &path)).await.unwrap();
        let from_memory = hash(&RepoFile::from_bytes("a.txt", b"hello\n".to_vec())).await.unwrap();
        // `printf 'hello\n' | git hash-object --stdin`, `sha256sum`
        assert_eq!(from_disk.git_oid, "ce013625030ba8dba906f756967f9e9ca394464a");
        assert_eq!(from_disk.sha256, "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03");
        assert_eq!((from_memory.git_oid, from_memory.sha256), (from_disk.git_oid, from_disk.sha256));
        assert_eq!(from_disk.sample, b"hello\n");
    }

    #[tokio::test]
    async fn a_missing_file_names_its_path() {
        let err = hash(&RepoFile::from_path("x", "/nonexistent/x.jsonl")).await.unwrap_err().to_string();
        assert!(err.starts_with("/nonexistent/x.jsonl:"), "{err}");
    }

    #[test]
    fn repo_paths_are_checked() {
        assert!(check_path("data/train.jsonl").is_ok());
        for bad in ["", "/abs", "a//b", "a/../b", "./a", ".git/config", "a\\b"] {
            assert!(check_path(bad).is_err(), "{bad}");
        }
    }
}
