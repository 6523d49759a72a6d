//! Route matching as HTTP APIs do it: `{name}` matches one path segment, `{name+}` the
//! rest of the path, and the most specific route (most literal segments) wins.

use crate::template::Route;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    Param(String),
    Greedy(String),
}

#[derive(Debug, Clone)]
pub struct RouteTable {
    routes: Vec<(Route, Vec<Segment>)>,
}

#[derive(Debug, Clone)]
pub struct RouteMatch {
    pub route: Route,
    pub path_parameters: HashMap<String, String>,
}

fn segments(path: &str) -> Vec<Segment> {
    path.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(name) => match name.strip_suffix('+') {
                    Some(greedy) => Segment::Greedy(greedy.to_owned()),
                    None => Segment::Param(name.to_owned()),
                },
                None => Segment::Literal(s.to_owned()),
            },
        )
        .collect()
}

impl RouteTable {
    pub fn new(routes: &[Route]) -> Self {
        let mut routes: Vec<_> = routes
            .iter()
            .map(|r| (r.clone(), segments(&r.path)))
            .collect();
        let literal_count = |segs: &[Segment]| {
            segs.iter()
                .filter(|s| matches!(s, Segment::Literal(_)))
                .count()
        };
        routes.sort_by_key(|(_, segs)| std::cmp::Reverse((literal_count(segs), segs.len())));
        Self { routes }
    }

    pub fn routes(&self) -> impl Iterator<Item = &Route> {
        self.routes.iter().map(|(r, _)| r)
    }

    pub fn find(&self, method: &str, path: &str) -> Option<RouteMatch> {
        let parts: Vec<&str> = path
            .trim_matches('/')
            .split('/')
            .filter(|s| !s.is_empty())
            .collect();
        self.routes.iter().find_map(|(route, segs)| {
            if route.method != method && route.method != "ANY" {
                return None;
            }
            let params = match_segments(segs, &parts)?;
            Some(RouteMatch {
                route: route.clone(),
                path_parameters: params,
            })
        })
    }
}

fn match_segments(segs: &[Segment], parts: &[&str]) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    for (i, seg) in segs.iter().enumerate() {
        match seg {
            Segment::Greedy(name) => {
                let rest = parts.get(i..).filter(|r| !r.is_empty())?;
                params.insert(name.clone(), decode(&rest.join("/")));
                return Some(params);
            }
            Segment::Literal(lit) => {
                if parts.get(i) != Some(&lit.as_str()) {
                    return None;
                }
            }
            Segment::Param(name) => {
                params.insert(name.clone(), decode(parts.get(i)?));
            }
        }
    }
    (segs.len() == parts.len()).then_some(params)
}

fn decode(segment: &str) -> String {
    percent_encoding::percent_decode_str(segment)
        .decode_utf8_lossy()
        .into_owned()
}

#[cfg(test)]
#[path = "tests/routes.rs"]
mod tests;
