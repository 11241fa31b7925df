//! The component's policy, read from its variables on every call.

use crate::Failure;
use crate::weft::tool::config;
use crate::weft::tool::types::ErrorType;

pub(crate) const DEFAULT_API_URL: &str = "https://api.github.com";

pub(crate) struct Settings {
    pub(crate) token: Option<String>,
    /// Lower-case `owner/repo`; empty allows every repository.
    pub(crate) allowed_repos: Vec<String>,
    pub(crate) allow_writes: bool,
    /// Without a trailing slash.
    pub(crate) api_url: String,
}

impl Settings {
    pub(crate) fn load() -> Self {
        let var =
            |name: &str| config::get(name).map(|value| value.trim().to_owned()).filter(|v| !v.is_empty());
        Self {
            token: var("github_token"),
            allowed_repos: var("allowed_repos")
                .map(|list| {
                    list.split(',')
                        .map(|repo| repo.trim().to_ascii_lowercase())
                        .filter(|repo| !repo.is_empty())
                        .collect()
                })
                .unwrap_or_default(),
            allow_writes: var("allow_writes").is_some_and(|value| {
                matches!(value.to_ascii_lowercase().as_str(), "true" | "1" | "yes" | "on")
            }),
            api_url: var("github_api_url")
                .unwrap_or_else(|| DEFAULT_API_URL.to_owned())
                .trim_end_matches('/')
                .to_owned(),
        }
    }

    pub(crate) fn repo_allowed(&self, full_name: &str) -> bool {
        self.allowed_repos.is_empty()
            || self.allowed_repos.iter().any(|repo| repo.eq_ignore_ascii_case(full_name))
    }

    pub(crate) fn check_repo(&self, owner: &str, repo: &str) -> Result<(), Failure> {
        let full_name = format!("{owner}/{repo}");
        if self.repo_allowed(&full_name) {
            return Ok(());
        }
        Err(Failure::new(
            ErrorType::NotAllowed,
            format!(
                "Repository '{full_name}' is not in the allowed list. Allowed repositories: {}",
                self.allowed_repos.join(", ")
            ),
        ))
    }

    pub(crate) fn check_writes(&self) -> Result<(), Failure> {
        if self.allow_writes {
            return Ok(());
        }
        Err(Failure::new(
            ErrorType::NotAllowed,
            "Write operations are disabled. To enable them, set the variable allow_writes to true \
             (SPIN_VARIABLE_ALLOW_WRITES=true or WEFT_VAR_ALLOW_WRITES=true)",
        ))
    }
}
