//! The little of XML that SAML needs, over `uppsala`: a parser that refuses DTDs, and
//! readers that look only at what they are pointed to (an element's own children and
//! unqualified attributes), never search the document.

use uppsala::{Document, NodeId, NodeKind};

pub const SAMLP: &str = "urn:oasis:names:tc:SAML:2.0:protocol";
pub const SAML: &str = "urn:oasis:names:tc:SAML:2.0:assertion";
pub const DSIG: &str = "http://www.w3.org/2000/09/xmldsig#";
pub const MD: &str = "urn:oasis:names:tc:SAML:2.0:metadata";

/// Why a text could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextError {
    /// The element holds a comment or processing instruction: exclusive
    /// canonicalization drops it, so the signed value and the read one would differ.
    Comment,
    /// The element holds other elements.
    NotText,
}

/// Parses `xml`, refusing any DOCTYPE (so no entity expansion, external or internal).
pub fn parse(xml: &str) -> Result<Document<'_>, String> {
    // Checked on the text too: the refusal should not depend on the parser's options.
    if xml.contains("<!DOCTYPE") || xml.contains("<!ENTITY") {
        return Err("a DOCTYPE or entity declaration".into());
    }
    uppsala::Parser::new()
        .with_forbid_dtd(true)
        .with_forbid_entities(true)
        .with_max_depth(64)
        .parse(xml)
        .map_err(|e| format!("not well-formed XML: {e}"))
}

/// Whether `node` is the element `{namespace}local`.
pub fn is(doc: &Document<'_>, node: NodeId, namespace: &str, local: &str) -> bool {
    doc.element(node)
        .is_some_and(|e| e.name.matches(Some(namespace), local))
}

/// The element's local name, whatever its namespace.
fn local_name<'d>(doc: &'d Document<'_>, node: NodeId) -> Option<&'d str> {
    doc.element(node).map(|e| e.name.local_name.as_ref())
}

/// The element children of `node` named `{namespace}local`, in order.
pub fn children(doc: &Document<'_>, node: NodeId, namespace: &str, local: &str) -> Vec<NodeId> {
    doc.children_iter(node)
        .filter(|&c| is(doc, c, namespace, local))
        .collect()
}

/// The one child `{namespace}local` of `node`: `None` when there is none or several.
pub fn only_child(
    doc: &Document<'_>,
    node: NodeId,
    namespace: &str,
    local: &str,
) -> Option<NodeId> {
    match children(doc, node, namespace, local).as_slice() {
        [one] => Some(*one),
        _ => None,
    }
}

/// An unqualified attribute of `node` (SAML's own attributes have no namespace, so a
/// prefixed look-alike is never read in their place).
pub fn attr<'d>(doc: &'d Document<'_>, node: NodeId, name: &str) -> Option<&'d str> {
    doc.element(node)?
        .attributes
        .iter()
        .find(|a| a.name.namespace_uri.is_none() && a.name.local_name == name)
        .map(|a| a.value.as_ref())
}

/// The text of an element that holds only text (and CDATA); an element holding a
/// comment is refused, not read around.
pub fn text(doc: &Document<'_>, node: NodeId) -> Result<String, TextError> {
    let mut out = String::new();
    for child in doc.children_iter(node) {
        match doc.node_kind(child) {
            Some(NodeKind::Text(t) | NodeKind::CData(t)) => out.push_str(t),
            Some(NodeKind::Comment(_) | NodeKind::ProcessingInstruction(_)) => {
                return Err(TextError::Comment);
            }
            _ => return Err(TextError::NotText),
        }
    }
    Ok(out.trim().to_owned())
}

/// Every element under `node` (itself included) whose local name is `local`, in any
/// namespace: a count of assertions must not miss one hidden under another prefix.
pub fn all_named(doc: &Document<'_>, node: NodeId, local: &str) -> Vec<NodeId> {
    let mut found: Vec<NodeId> = doc
        .descendants(node)
        .into_iter()
        .filter(|&n| local_name(doc, n) == Some(local))
        .collect();
    if local_name(doc, node) == Some(local) {
        found.insert(0, node);
    }
    found
}

/// Escapes text for an attribute value or element content.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
