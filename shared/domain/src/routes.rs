//! What a route is: method, path, who may call it and the function that serves it.
//!
//! The routes themselves are declared once, beside their handlers, in the functions
//! crate (`gatehouse_functions::ROUTES`); the authorizer, the HTTP framework, the local
//! gateway and the tests all read that one table. This module only gives it a type,
//! so that the domain (a tenant's access policy, the authorizer's decision) can be
//! handed the table without knowing the handlers.

/// Who may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No credential: the API gateway does not run the authorizer.
    Public,
    /// Any verified key of the tenant.
    AnyKey,
    /// A verified key holding this scope (or one that implies it).
    Scope(&'static str),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    /// The API Gateway path template, `{name}` for one segment, `{name+}` (last) for
    /// the rest of the path.
    pub path: &'static str,
    pub access: Access,
    /// The function (template `Handler`) that serves the route.
    pub function: &'static str,
}

impl Route {
    /// API Gateway's route key, e.g. `POST /v2/api-keys`.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Whether `route_key` (`METHOD /path`) names this route; no allocation, since the
    /// authorizer asks on every request.
    pub fn is(&self, route_key: &str) -> bool {
        route_key
            .split_once(' ')
            .is_some_and(|(method, path)| method == self.method && path == self.path)
    }

    /// The scope a caller needs; `None` for public routes and any-key routes.
    pub fn scope(&self) -> Option<&'static str> {
        match self.access {
            Access::Scope(scope) => Some(scope),
            Access::Public | Access::AnyKey => None,
        }
    }
}

/// A path template as OpenAPI writes it: API Gateway's greedy `{name+}` is `{name}`
/// (whose value may then hold `/`).
pub fn openapi_path(template: &str) -> String {
    template.replace("+}", "}")
}

/// Gatehouse's own routes, as declared by the functions crate.
#[derive(Debug, Clone, Copy)]
pub struct Routes(pub &'static [Route]);

impl Routes {
    /// The route with this route key, if it is one of Gatehouse's own.
    pub fn find(&self, route_key: &str) -> Option<&'static Route> {
        // Split once: the authorizer asks on every request.
        let (method, path) = route_key.split_once(' ')?;
        self.0
            .iter()
            .find(|route| route.method == method && route.path == path)
    }

    /// The route a function serves, if it serves one.
    pub fn of_function(&self, function: &str) -> Option<&'static Route> {
        self.0.iter().find(|route| route.function == function)
    }

    pub fn iter(&self) -> impl Iterator<Item = &'static Route> {
        self.0.iter()
    }
}
