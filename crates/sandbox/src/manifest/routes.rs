//! HTTP routes to components, with Spin's matching rules: an exact route
//! (`/api/x`) matches that path only; a wildcard route (`/api/...`) matches
//! `/api`, `/api/` and everything under it; `/...` matches everything. An
//! exact route wins over any wildcard, and among wildcards the longest
//! prefix wins. Of two equal routes the last one declared serves (Spin says
//! the same and warns).

/// One route of the manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    /// As written (`/notes/...`), with the application's base applied.
    pub raw: String,
    /// The component it reaches.
    pub component: String,
    /// The path without the wildcard (`/notes`; empty for `/...`).
    prefix: String,
    /// Whether it ends with `/...`.
    wildcard: bool,
}

/// The route a request took and what Spin tells the component about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteMatch<'a> {
    /// The route.
    pub route: &'a HttpRoute,
    /// The part of the path after a wildcard route's prefix (`spin-path-info`:
    /// `""` for `/notes` against `/notes/...`, `/execute` for `/notes/execute`);
    /// always empty for an exact route.
    pub path_info: String,
}

impl HttpRoute {
    /// Parses `route` (under the application's `base`) for `component`.
    pub fn parse(base: &str, route: &str, component: &str) -> Result<Self, String> {
        if !route.starts_with('/') {
            return Err(format!("route '{route}' of component '{component}' must start with '/'"));
        }
        if route.split('/').any(|segment| segment.starts_with(':')) {
            return Err(format!(
                "route '{route}' of component '{component}': named segments (`:name`) are not supported; \
                 use a wildcard route (`/prefix/...`) and read `spin-path-info`"
            ));
        }
        let base = base.trim_end_matches('/');
        let (prefix, wildcard) = match route.strip_suffix("/...").or_else(|| route.strip_suffix("/*")) {
            Some(prefix) => (prefix, true),
            None => (route.trim_end_matches('/'), false),
        };
        if prefix.contains("...") || prefix.contains('*') {
            return Err(format!(
                "route '{route}' of component '{component}': a wildcard may only end a route"
            ));
        }
        Ok(Self {
            raw: format!("{base}{route}"),
            component: component.to_owned(),
            prefix: format!("{base}{prefix}"),
            wildcard,
        })
    }

    /// The route a component gets when the manifest names none: `/{name}/...`.
    pub fn default_for(component: &str) -> Self {
        Self {
            raw: format!("/{component}/..."),
            component: component.to_owned(),
            prefix: format!("/{component}"),
            wildcard: true,
        }
    }

    /// The route as the component sees it in `spin-component-route`: without `/...`.
    pub fn component_route(&self) -> &str {
        &self.prefix
    }

    /// The path of this route's `rest` (`/execute` → `/notes/execute`).
    pub fn path_of(&self, rest: &str) -> String {
        format!("{}{rest}", self.prefix)
    }

    fn path_info(&self, path: &str) -> Option<String> {
        if !self.wildcard {
            let exact = path == self.prefix || (self.prefix.is_empty() && path == "/");
            return exact.then(String::new);
        }
        let rest = path.strip_prefix(self.prefix.as_str())?;
        (rest.is_empty() || rest.starts_with('/')).then(|| rest.to_owned())
    }
}

/// The route `path` takes among `routes`.
pub(crate) fn route<'a>(routes: &'a [HttpRoute], path: &str) -> Option<RouteMatch<'a>> {
    let exact = routes
        .iter()
        .rev()
        .filter(|route| !route.wildcard)
        .find_map(|route| route.path_info(path).map(|path_info| RouteMatch { route, path_info }));
    exact.or_else(|| {
        routes
            .iter()
            .enumerate()
            .filter(|(_, route)| route.wildcard)
            .filter_map(|(order, route)| route.path_info(path).map(|info| (order, route, info)))
            // Longest prefix first; of equal ones, the last declared.
            .max_by_key(|(order, route, _)| (route.prefix.len(), *order))
            .map(|(_, route, path_info)| RouteMatch { route, path_info })
    })
}

/// Routes declared twice: the earlier one never serves.
pub(super) fn shadowed(routes: &[HttpRoute]) -> Vec<&HttpRoute> {
    routes
        .iter()
        .enumerate()
        .filter(|(index, route)| {
            routes[index + 1..]
                .iter()
                .any(|later| later.prefix == route.prefix && later.wildcard == route.wildcard)
        })
        .map(|(_, route)| route)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes() -> Vec<HttpRoute> {
        [
            ("/notes/...", "notes"),
            ("/notes/special", "special"),
            ("/notes/deep/...", "deep"),
            ("/...", "fallback"),
        ]
        .iter()
        .map(|(route, component)| HttpRoute::parse("/", route, component).expect("valid"))
        .collect()
    }

    fn served(path: &str) -> Option<(String, String)> {
        let routes = routes();
        route(&routes, path).map(|m| (m.route.component.clone(), m.path_info))
    }

    #[test]
    fn exact_beats_wildcard_and_the_longest_prefix_wins() {
        let s = |component: &str, info: &str| Some((component.to_owned(), info.to_owned()));
        assert_eq!(served("/notes/special"), s("special", ""));
        assert_eq!(served("/notes/special/x"), s("notes", "/special/x"));
        assert_eq!(served("/notes/execute"), s("notes", "/execute"));
        assert_eq!(served("/notes"), s("notes", ""));
        assert_eq!(served("/notes/"), s("notes", "/"));
        assert_eq!(served("/notes/deep/a"), s("deep", "/a"));
        assert_eq!(served("/notesx"), s("fallback", "/notesx"));
        assert_eq!(served("/"), s("fallback", "/"));
    }

    #[test]
    fn without_a_catch_all_unrouted_paths_match_nothing() {
        let routes = vec![HttpRoute::parse("/", "/api/...", "api").expect("valid")];
        assert!(route(&routes, "/other").is_none());
        assert!(route(&routes, "/apix").is_none());
    }

    #[test]
    fn the_last_of_two_equal_routes_serves_and_the_base_prefixes_routes() {
        let routes = vec![
            HttpRoute::parse("/app", "/x/...", "first").expect("valid"),
            HttpRoute::parse("/app/", "/x/...", "second").expect("valid"),
        ];
        assert_eq!(route(&routes, "/app/x/y").map(|m| m.route.component.as_str()), Some("second"));
        assert!(route(&routes, "/x/y").is_none());
        assert_eq!(shadowed(&routes).len(), 1);
        assert_eq!(routes[1].raw, "/app/x/...");
    }

    #[test]
    fn malformed_routes_say_why() {
        assert!(HttpRoute::parse("/", "notes", "n").unwrap_err().contains("must start with '/'"));
        assert!(HttpRoute::parse("/", "/a/:id", "n").unwrap_err().contains("named segments"));
        assert!(HttpRoute::parse("/", "/a/.../b", "n").unwrap_err().contains("only end"));
    }
}
