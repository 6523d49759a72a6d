//! Query string parameters: only the ones a route declares, each at most once.

use super::problem::Problem;
use lambda_http::{Request, RequestExt};
use std::collections::HashMap;
use std::ops::RangeInclusive;

#[derive(Debug, Default)]
pub struct Query {
    values: HashMap<String, String>,
}

impl Query {
    pub fn from_request(req: &Request, allowed: &[&str]) -> Result<Self, Problem> {
        let mut values = HashMap::new();
        let Some(params) = req.query_string_parameters_ref() else {
            return Ok(Self { values });
        };
        if let Some((unknown, _)) = params.iter().find(|(name, _)| !allowed.contains(name)) {
            return Err(Problem::invalid_parameter(format!(
                "unknown query parameter `{}`; this route accepts: {}",
                unknown.chars().take(40).collect::<String>(),
                allowed.join(", ")
            )));
        }
        for name in allowed {
            match params.all(name).as_deref() {
                None | Some([]) => {}
                Some([one]) => {
                    values.insert((*name).to_owned(), (*one).to_owned());
                }
                Some(_) => {
                    return Err(Problem::invalid_parameter(format!(
                        "query parameter `{name}` is given more than once"
                    )));
                }
            }
        }
        Ok(Self { values })
    }

    pub fn text(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// An RFC 3339 timestamp parameter.
    pub fn time(&self, name: &str) -> Result<Option<time::OffsetDateTime>, Problem> {
        self.text(name)
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        Problem::invalid_parameter(format!(
                            "`{name}` must be an RFC 3339 timestamp"
                        ))
                    })
            })
            .transpose()
    }

    pub fn flag(&self, name: &str, default: bool) -> Result<bool, Problem> {
        match self.text(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(Problem::invalid_parameter(format!(
                "query parameter `{name}` must be `true` or `false`"
            ))),
        }
    }

    pub fn number_in(
        &self,
        name: &str,
        default: usize,
        range: RangeInclusive<usize>,
    ) -> Result<usize, Problem> {
        let Some(text) = self.text(name) else {
            return Ok(default);
        };
        text.parse::<usize>()
            .ok()
            .filter(|n| range.contains(n))
            .ok_or_else(|| {
                Problem::invalid_parameter(format!(
                    "query parameter `{name}` must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ))
            })
    }
}
