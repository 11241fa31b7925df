//! The fake Hub's repositories, commits and LFS objects, all in memory.

use std::collections::{BTreeMap, HashMap};

use axum::body::Bytes;

use super::wire::{Fault, git_blob_oid, lfs_pointer, now_iso, sha1_hex, sha256_hex};

/// What a new repo's first commit holds, as on the Hub: LFS rules for the
/// usual binary formats.
const INITIAL_GITATTRIBUTES: &str = "*.arrow filter=lfs diff=lfs merge=lfs -text\n\
*.bin filter=lfs diff=lfs merge=lfs -text\n\
*.gz filter=lfs diff=lfs merge=lfs -text\n\
*.parquet filter=lfs diff=lfs merge=lfs -text\n\
*.zip filter=lfs diff=lfs merge=lfs -text\n\
*.zst filter=lfs diff=lfs merge=lfs -text\n";

/// A file in a commit's tree.
#[derive(Debug, Clone)]
pub struct Entry {
    pub size: u64,
    /// The content's sha256 (the blob store's key, the LFS oid).
    pub sha256: String,
    /// Git's blob id: of the content, or of the pointer for an LFS file.
    pub git_oid: String,
    pub lfs: bool,
}

impl Entry {
    pub fn pointer_size(&self) -> usize {
        lfs_pointer(&self.sha256, self.size).len()
    }
}

#[derive(Debug, Clone)]
pub struct Commit {
    pub parent: Option<String>,
    pub tree: BTreeMap<String, Entry>,
    pub title: String,
    pub date: String,
}

#[derive(Debug)]
pub struct Repo {
    pub private: bool,
    pub owner: String,
    pub created_at: String,
    pub branches: BTreeMap<String, String>,
    pub tags: BTreeMap<String, String>,
    pub commits: HashMap<String, Commit>,
}

impl Repo {
    /// A branch, a tag, `refs/heads/…`, `refs/tags/…`, or a (7+ character
    /// prefix of a) commit id → the commit id.
    pub fn resolve(&self, rev: &str) -> Result<String, Fault> {
        let named = self
            .branches
            .get(rev)
            .or_else(|| self.tags.get(rev))
            .or_else(|| rev.strip_prefix("refs/heads/").and_then(|b| self.branches.get(b)))
            .or_else(|| rev.strip_prefix("refs/tags/").and_then(|t| self.tags.get(t)));
        if let Some(oid) = named {
            return Ok(oid.clone());
        }
        if rev.len() >= 7 && rev.len() <= 40 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let hits: Vec<&String> = self.commits.keys().filter(|oid| oid.starts_with(rev)).collect();
            if let [oid] = hits.as_slice() {
                return Ok((*oid).clone());
            }
        }
        Err(Fault::coded(404, "RevisionNotFound", format!("Invalid rev id: {rev}")))
    }

    pub fn commit(&self, oid: &str) -> &Commit {
        &self.commits[oid]
    }
}

/// One change of a commit, as the NDJSON lines name them.
#[derive(Debug)]
pub enum Change {
    /// `file`: inline content.
    File { path: String, content: Vec<u8> },
    /// `lfsFile`: an object already in LFS storage.
    LfsFile { path: String, oid: String, size: Option<u64> },
    /// `deletedFile`.
    DeletedFile { path: String },
    /// `deletedFolder`.
    DeletedFolder { path: String },
}

#[derive(Debug, Default)]
pub struct Store {
    /// `datasets/alice/demo` → repo.
    pub repos: HashMap<String, Repo>,
    /// sha256 → content.
    pub blobs: HashMap<String, Bytes>,
    /// (sha256, part number) → the part's bytes, until the upload completes.
    pub parts: HashMap<(String, u32), Bytes>,
    commits_made: u64,
}

impl Store {
    pub fn put_blob(&mut self, data: Bytes) -> String {
        let sha = sha256_hex(&data);
        self.blobs.entry(sha.clone()).or_insert(data);
        sha
    }

    fn regular_entry(&mut self, data: Bytes) -> Entry {
        let git_oid = git_blob_oid(&data);
        let size = data.len() as u64;
        Entry { size, sha256: self.put_blob(data), git_oid, lfs: false }
    }

    /// Creates `key`; `false` when it exists.
    pub fn create_repo(&mut self, key: &str, private: bool, owner: &str) -> bool {
        if self.repos.contains_key(key) {
            return false;
        }
        let gitattributes = self.regular_entry(Bytes::from_static(INITIAL_GITATTRIBUTES.as_bytes()));
        let tree = BTreeMap::from([(".gitattributes".to_owned(), gitattributes)]);
        let oid = self.new_commit_id(key, None, "initial commit");
        let date = now_iso();
        let commit = Commit { parent: None, tree, title: "initial commit".into(), date: date.clone() };
        let repo = Repo {
            private,
            owner: owner.to_owned(),
            created_at: date,
            branches: BTreeMap::from([("main".to_owned(), oid.clone())]),
            tags: BTreeMap::new(),
            commits: HashMap::from([(oid, commit)]),
        };
        self.repos.insert(key.to_owned(), repo);
        true
    }

    fn new_commit_id(&mut self, key: &str, parent: Option<&str>, title: &str) -> String {
        self.commits_made += 1;
        sha1_hex(&format!("{key}\n{parent:?}\n{title}\n{}\n{}", self.commits_made, now_iso()))
    }

    /// Applies `changes` on top of `branch`; the new commit's id.
    pub fn commit(
        &mut self,
        key: &str,
        branch: &str,
        parent_commit: Option<&str>,
        title: &str,
        changes: Vec<Change>,
    ) -> Result<String, Fault> {
        let branch = branch.strip_prefix("refs/heads/").unwrap_or(branch);
        let repo = self.repos.get(key).ok_or_else(|| Fault::repo_not_found(404))?;
        let head = repo
            .branches
            .get(branch)
            .cloned()
            .ok_or_else(|| Fault::coded(404, "RevisionNotFound", format!("Invalid rev id: {branch}")))?;
        if parent_commit.is_some_and(|parent| !head.starts_with(parent)) {
            return Err(Fault::new(412, "A commit has happened since. Please refresh and try again."));
        }
        let mut tree = repo.commit(&head).tree.clone();
        for change in changes {
            self.apply(&mut tree, change)?;
        }
        let oid = self.new_commit_id(key, Some(&head), title);
        let commit = Commit { parent: Some(head), tree, title: title.to_owned(), date: now_iso() };
        let repo = self.repos.get_mut(key).ok_or_else(|| Fault::repo_not_found(404))?;
        repo.commits.insert(oid.clone(), commit);
        repo.branches.insert(branch.to_owned(), oid.clone());
        Ok(oid)
    }

    fn apply(&mut self, tree: &mut BTreeMap<String, Entry>, change: Change) -> Result<(), Fault> {
        match change {
            Change::File { path, content } => {
                let entry = self.regular_entry(Bytes::from(content));
                tree.insert(path, entry);
            }
            Change::LfsFile { path, oid, size } => {
                let stored = self.blobs.get(&oid).map(|blob| blob.len() as u64).ok_or_else(|| {
                    Fault::new(422, format!("LFS object {oid} for {path} was never uploaded"))
                })?;
                if size.is_some_and(|size| size != stored) {
                    return Err(Fault::new(
                        422,
                        format!("{path}: size {size:?} differs from the object's {stored}"),
                    ));
                }
                let git_oid = git_blob_oid(lfs_pointer(&oid, stored).as_bytes());
                tree.insert(path, Entry { size: stored, sha256: oid, git_oid, lfs: true });
            }
            Change::DeletedFile { path } => {
                if tree.remove(&path).is_none() {
                    return Err(Fault::coded(404, "EntryNotFound", format!("{path} does not exist")));
                }
            }
            Change::DeletedFolder { path } => {
                let prefix = format!("{}/", path.trim_end_matches('/'));
                tree.retain(|file, _| !file.starts_with(&prefix));
            }
        }
        Ok(())
    }

    /// The patterns `.gitattributes` sends to LFS (`*.bin filter=lfs ...`).
    pub fn lfs_patterns(&self, tree: &BTreeMap<String, Entry>) -> Vec<String> {
        let Some(blob) = tree.get(".gitattributes").and_then(|entry| self.blobs.get(&entry.sha256)) else {
            return Vec::new();
        };
        String::from_utf8_lossy(blob)
            .lines()
            .filter_map(|line| {
                let mut words = line.split_whitespace();
                let pattern = words.next()?;
                words.any(|w| w == "filter=lfs").then(|| pattern.to_owned())
            })
            .collect()
    }
}

/// A `.gitattributes`-style pattern: `*` matches within a path segment,
/// and a pattern without `/` is matched against the file name.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    let subject = if pattern.contains('/') { path } else { path.rsplit('/').next().unwrap_or(path) };
    glob(pattern.trim_start_matches('/').as_bytes(), subject.as_bytes())
}

fn glob(pattern: &[u8], text: &[u8]) -> bool {
    match (pattern.first(), text.first()) {
        (None, None) => true,
        (Some(b'*'), _) => {
            glob(&pattern[1..], text) || (!text.is_empty() && text[0] != b'/' && glob(pattern, &text[1..]))
        }
        (Some(b'?'), Some(&c)) if c != b'/' => glob(&pattern[1..], &text[1..]),
        (Some(&p), Some(&c)) if p == c => glob(&pattern[1..], &text[1..]),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitattributes_patterns_match_file_names() {
        assert!(pattern_matches("*.bin", "extra/big.bin"));
        assert!(pattern_matches("*.bin", "big.bin"));
        assert!(!pattern_matches("*.bin", "big.bin.txt"));
        assert!(pattern_matches("data/*.jsonl", "data/train.jsonl"));
        assert!(!pattern_matches("data/*.jsonl", "data/x/train.jsonl"));
    }

    #[test]
    fn revisions_resolve_by_name_and_prefix() {
        let mut store = Store::default();
        assert!(store.create_repo("datasets/a/b", false, "a"));
        assert!(!store.create_repo("datasets/a/b", false, "a"));
        let change = Change::File { path: "x.txt".into(), content: b"x".to_vec() };
        let oid = store.commit("datasets/a/b", "main", None, "add x", vec![change]).unwrap();
        let repo = &store.repos["datasets/a/b"];
        assert_eq!(repo.resolve("main").unwrap(), oid);
        assert_eq!(repo.resolve("refs/heads/main").unwrap(), oid);
        assert_eq!(repo.resolve(&oid[..7]).unwrap(), oid);
        assert_eq!(repo.resolve("nope").unwrap_err().code, Some("RevisionNotFound"));
        assert_eq!(repo.commit(&oid).tree.len(), 2);
    }

    #[test]
    fn lfs_files_need_their_object() {
        let mut store = Store::default();
        store.create_repo("datasets/a/b", false, "a");
        let missing = Change::LfsFile { path: "big".into(), oid: "00".repeat(32), size: Some(3) };
        let err = store.commit("datasets/a/b", "main", None, "big", vec![missing]).unwrap_err();
        assert_eq!(err.status, 422);
        let oid = store.put_blob(Bytes::from_static(b"abc"));
        let present = Change::LfsFile { path: "big".into(), oid, size: Some(3) };
        store.commit("datasets/a/b", "main", None, "big", vec![present]).unwrap();
    }
}
