//! Query string parameters: only the ones a route declares, each at most once. A
//! route declares its parameters once, as [`Param`] consts; the same declaration
//! parses the request and describes the parameter in the OpenAPI document.

use super::problem::Problem;
use super::schema::SchemaFn;
use lambda_http::{Request, RequestExt};
use schemars::{Schema, SchemaGenerator, json_schema};
use std::collections::HashMap;

/// One query parameter a route accepts.
#[derive(Clone, Copy)]
pub struct Param {
    pub name: &'static str,
    /// For the document: what the parameter does.
    pub description: &'static str,
    pub kind: ParamKind,
}

#[derive(Clone, Copy)]
pub enum ParamKind {
    /// `true` or `false`.
    Flag { default: bool },
    /// A whole number within `min..=max`.
    Number {
        min: usize,
        max: usize,
        default: Option<usize>,
    },
    /// An RFC 3339 timestamp.
    Time,
    /// Text the route parses itself; `schema` states its rules for the document.
    Text(SchemaFn),
}

impl Param {
    pub const fn flag(name: &'static str, description: &'static str, default: bool) -> Self {
        Self {
            name,
            description,
            kind: ParamKind::Flag { default },
        }
    }

    pub const fn number(
        name: &'static str,
        description: &'static str,
        min: usize,
        max: usize,
        default: Option<usize>,
    ) -> Self {
        Self {
            name,
            description,
            kind: ParamKind::Number { min, max, default },
        }
    }

    pub const fn time(name: &'static str, description: &'static str) -> Self {
        Self {
            name,
            description,
            kind: ParamKind::Time,
        }
    }

    pub const fn text(name: &'static str, description: &'static str, schema: SchemaFn) -> Self {
        Self {
            name,
            description,
            kind: ParamKind::Text(schema),
        }
    }

    /// The parameter's schema, for the document.
    pub fn schema(&self, generator: &mut SchemaGenerator) -> Schema {
        match self.kind {
            ParamKind::Flag { default } => json_schema!({"type": "boolean", "default": default}),
            ParamKind::Number { min, max, default } => {
                let mut schema = json_schema!({"type": "integer", "minimum": min, "maximum": max});
                if let Some(default) = default {
                    schema.insert("default".into(), default.into());
                }
                schema
            }
            ParamKind::Time => json_schema!({"type": "string", "format": "date-time"}),
            ParamKind::Text(schema) => schema(generator),
        }
    }
}

#[derive(Debug, Default)]
pub struct Query {
    values: HashMap<String, String>,
}

impl Query {
    /// The request's query parameters; any the route does not declare is refused.
    pub fn from_request(req: &Request, declared: &[Param]) -> Result<Self, Problem> {
        let mut values = HashMap::new();
        let Some(params) = req.query_string_parameters_ref() else {
            return Ok(Self { values });
        };
        if let Some((unknown, _)) = params
            .iter()
            .find(|(name, _)| !declared.iter().any(|p| p.name == *name))
        {
            let names: Vec<&str> = declared.iter().map(|p| p.name).collect();
            return Err(Problem::invalid_parameter(format!(
                "unknown query parameter `{}`; this route accepts: {}",
                unknown.chars().take(40).collect::<String>(),
                names.join(", ")
            )));
        }
        for param in declared {
            let name = param.name;
            match params.all(name).as_deref() {
                None | Some([]) => {}
                Some([one]) => {
                    values.insert(name.to_owned(), (*one).to_owned());
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

    pub fn text(&self, param: &Param) -> Option<&str> {
        self.values.get(param.name).map(String::as_str)
    }

    /// A [`ParamKind::Time`] parameter.
    pub fn time(&self, param: &Param) -> Result<Option<time::OffsetDateTime>, Problem> {
        self.text(param)
            .map(|t| {
                time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339)
                    .map_err(|_| {
                        Problem::invalid_parameter(format!(
                            "`{}` must be an RFC 3339 timestamp",
                            param.name
                        ))
                    })
            })
            .transpose()
    }

    /// A [`ParamKind::Flag`] parameter, or its default.
    pub fn flag(&self, param: &Param) -> Result<bool, Problem> {
        let default = match param.kind {
            ParamKind::Flag { default } => default,
            _ => false,
        };
        match self.text(param) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(_) => Err(Problem::invalid_parameter(format!(
                "query parameter `{}` must be `true` or `false`",
                param.name
            ))),
        }
    }

    /// A [`ParamKind::Number`] parameter, or its default (`None` without one).
    pub fn number(&self, param: &Param) -> Result<Option<usize>, Problem> {
        let ParamKind::Number { min, max, default } = param.kind else {
            return Ok(None);
        };
        let Some(text) = self.text(param) else {
            return Ok(default);
        };
        text.parse::<usize>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .map(Some)
            .ok_or_else(|| {
                Problem::invalid_parameter(format!(
                    "query parameter `{}` must be a whole number from {min} to {max}",
                    param.name
                ))
            })
    }
}
