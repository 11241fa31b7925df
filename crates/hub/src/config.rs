//! The `huggingface:` section of a generation config, with DeepFabric's
//! keys (`repository`, `tags`) and one of weft's (`private`).
//!
//! ```yaml
//! huggingface:
//!   repository: alice/weft-demo   # required: user/name or org/name
//!   tags: [python, agents]        # added to the card's tags
//!   private: true                 # weft only: a new repo is private
//! ```

use serde::{Deserialize, Serialize};

use crate::{HubError, RepoId};

/// `huggingface:`: where `weft generate` publishes the dataset when it is done.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HuggingFaceSection {
    /// `user/name` or `org/name`.
    pub repository: String,
    /// Tags for the dataset card, after weft's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Make the repo private when it is created (DeepFabric has no such
    /// key; its uploads take the Hub's default).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub private: bool,
}

impl HuggingFaceSection {
    /// `repository`, checked.
    pub fn repo(&self) -> Result<RepoId, HubError> {
        RepoId::parse(&self.repository)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deepfabrics_keys_parse() {
        let yaml = "repository: org/dataset-name\ntags: [python, agents]\n";
        let section: HuggingFaceSection = serde_saphyr::from_str(yaml).unwrap();
        assert_eq!(section.repository, "org/dataset-name");
        assert_eq!(section.tags, ["python", "agents"]);
        assert!(!section.private);
        assert_eq!(section.repo().unwrap().to_string(), "org/dataset-name");
    }

    #[test]
    fn unknown_keys_and_bad_repos_are_refused() {
        assert!(serde_saphyr::from_str::<HuggingFaceSection>("repository: a/b\nrepo: x\n").is_err());
        let section: HuggingFaceSection = serde_saphyr::from_str("repository: just-a-name\n").unwrap();
        assert!(section.repo().is_err());
    }
}
