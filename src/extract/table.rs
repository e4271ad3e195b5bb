//! The one table of HTML attributes that carry URLs, shared by link extraction and the mirror's rewriter.

/// What a link is for; the crawler decides what to follow from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LinkKind {
    /// A link a visitor may follow to another page (`a@href`, `link rel=next`, `q@cite`).
    Navigation,
    /// Something the page needs to display (`img@src`, stylesheets, scripts, fonts).
    Requisite,
    /// A document shown inside the page (`iframe@src`, `frame@src`): a requisite that is a page.
    Embedded,
    /// A timed redirect (`<meta http-equiv=refresh>`, the `Refresh` header).
    Refresh,
    /// A form target: recorded (the mirror rewrites it) but not followed, since submitting a
    /// form is an action, not a visit.
    Form,
    /// The document's `<base href>`: changes how the other links resolve.
    Base,
    /// An HTTP redirect target (`Location`).
    Redirect,
}

/// How an attribute's value holds its URLs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueSyntax {
    /// The whole value is one URL.
    Url,
    /// A `srcset` list of image candidates (HTML "parse a srcset attribute").
    Srcset,
    /// `<meta http-equiv=refresh content="5; url=…">`.
    MetaRefresh,
    /// A CSS declaration list (`style` attributes).
    Css,
}

/// When a rule applies, beyond the element and attribute names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    /// Always.
    Always,
    /// The kind comes from the element's `rel` (see [`link_rel_kind`]).
    LinkRel,
    /// Only on `<input type=image>`.
    InputTypeImage,
    /// Only on `<meta http-equiv=refresh>`.
    HttpEquivRefresh,
}

/// The namespace an element must be in for a rule to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Namespace {
    Html,
    Svg,
}

/// One row of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrRule {
    pub namespace: Namespace,
    /// Lower-case local name, or `"*"` for every element.
    pub element: &'static str,
    /// Lower-case attribute name as written (`"xlink:href"`).
    pub attribute: &'static str,
    pub kind: LinkKind,
    pub syntax: ValueSyntax,
    pub condition: Condition,
    /// `element@attribute`, reported as [`crate::extract::FoundUrl::context`].
    pub context: &'static str,
}

const fn rule(
    namespace: Namespace,
    element: &'static str,
    attribute: &'static str,
    kind: LinkKind,
    syntax: ValueSyntax,
    context: &'static str,
) -> AttrRule {
    AttrRule {
        namespace,
        element,
        attribute,
        kind,
        syntax,
        condition: Condition::Always,
        context,
    }
}

const fn when(mut r: AttrRule, condition: Condition) -> AttrRule {
    r.condition = condition;
    r
}

use LinkKind::{Base, Embedded, Form, Navigation, Refresh, Requisite};
use Namespace::{Html, Svg};
use ValueSyntax::{Css, MetaRefresh, Srcset, Url};

/// Every HTML and SVG attribute that carries URLs.
pub static ATTRIBUTES: &[AttrRule] = &[
    rule(Html, "a", "href", Navigation, Url, "a@href"),
    rule(Html, "area", "href", Navigation, Url, "area@href"),
    when(
        rule(Html, "link", "href", Navigation, Url, "link@href"),
        Condition::LinkRel,
    ),
    when(
        rule(
            Html,
            "link",
            "imagesrcset",
            Requisite,
            Srcset,
            "link@imagesrcset",
        ),
        Condition::LinkRel,
    ),
    rule(Html, "img", "src", Requisite, Url, "img@src"),
    rule(Html, "img", "srcset", Requisite, Srcset, "img@srcset"),
    rule(Html, "img", "lowsrc", Requisite, Url, "img@lowsrc"),
    // Lazy loading (lazysizes and kin): the real image waits in data-* until a script moves
    // it into src/srcset. Archived and rewritten, the script then finds the local copy offline.
    rule(Html, "img", "data-src", Requisite, Url, "img@data-src"),
    rule(
        Html,
        "img",
        "data-srcset",
        Requisite,
        Srcset,
        "img@data-srcset",
    ),
    rule(
        Html,
        "source",
        "data-srcset",
        Requisite,
        Srcset,
        "source@data-srcset",
    ),
    rule(Html, "iframe", "data-src", Embedded, Url, "iframe@data-src"),
    rule(Html, "source", "src", Requisite, Url, "source@src"),
    rule(Html, "source", "srcset", Requisite, Srcset, "source@srcset"),
    rule(Html, "script", "src", Requisite, Url, "script@src"),
    rule(Html, "iframe", "src", Embedded, Url, "iframe@src"),
    rule(Html, "frame", "src", Embedded, Url, "frame@src"),
    rule(Html, "embed", "src", Requisite, Url, "embed@src"),
    rule(Html, "object", "data", Requisite, Url, "object@data"),
    rule(Html, "video", "src", Requisite, Url, "video@src"),
    rule(Html, "video", "poster", Requisite, Url, "video@poster"),
    rule(Html, "audio", "src", Requisite, Url, "audio@src"),
    rule(Html, "track", "src", Requisite, Url, "track@src"),
    when(
        rule(Html, "input", "src", Requisite, Url, "input@src"),
        Condition::InputTypeImage,
    ),
    rule(
        Html,
        "body",
        "background",
        Requisite,
        Url,
        "body@background",
    ),
    rule(
        Html,
        "table",
        "background",
        Requisite,
        Url,
        "table@background",
    ),
    rule(Html, "td", "background", Requisite, Url, "td@background"),
    rule(Html, "th", "background", Requisite, Url, "th@background"),
    rule(
        Html,
        "blockquote",
        "cite",
        Navigation,
        Url,
        "blockquote@cite",
    ),
    rule(Html, "q", "cite", Navigation, Url, "q@cite"),
    rule(Html, "del", "cite", Navigation, Url, "del@cite"),
    rule(Html, "ins", "cite", Navigation, Url, "ins@cite"),
    rule(Html, "form", "action", Form, Url, "form@action"),
    rule(Html, "button", "formaction", Form, Url, "button@formaction"),
    rule(Html, "input", "formaction", Form, Url, "input@formaction"),
    when(
        rule(
            Html,
            "meta",
            "content",
            Refresh,
            MetaRefresh,
            "meta@content",
        ),
        Condition::HttpEquivRefresh,
    ),
    rule(Html, "base", "href", Base, Url, "base@href"),
    rule(Html, "html", "manifest", Requisite, Url, "html@manifest"),
    rule(Html, "*", "style", Requisite, Css, "*@style"),
    rule(Svg, "a", "href", Navigation, Url, "svg:a@href"),
    rule(Svg, "a", "xlink:href", Navigation, Url, "svg:a@xlink:href"),
    rule(Svg, "image", "href", Requisite, Url, "svg:image@href"),
    rule(
        Svg,
        "image",
        "xlink:href",
        Requisite,
        Url,
        "svg:image@xlink:href",
    ),
    rule(Svg, "use", "href", Requisite, Url, "svg:use@href"),
    rule(
        Svg,
        "use",
        "xlink:href",
        Requisite,
        Url,
        "svg:use@xlink:href",
    ),
    rule(Svg, "script", "href", Requisite, Url, "svg:script@href"),
    rule(
        Svg,
        "script",
        "xlink:href",
        Requisite,
        Url,
        "svg:script@xlink:href",
    ),
    rule(Svg, "feimage", "href", Requisite, Url, "svg:feImage@href"),
    rule(
        Svg,
        "feimage",
        "xlink:href",
        Requisite,
        Url,
        "svg:feImage@xlink:href",
    ),
    rule(Svg, "*", "style", Requisite, Css, "svg:*@style"),
];

/// The rules for one element (`element` lower-case).
pub fn rules_for(namespace: Namespace, element: &str) -> impl Iterator<Item = &'static AttrRule> {
    let element = element.to_ascii_lowercase();
    ATTRIBUTES
        .iter()
        .filter(move |r| r.namespace == namespace && (r.element == "*" || r.element == element))
}

/// `rel` keywords that make a `<link>` (or a `Link` header) part of the page.
const REQUISITE_RELS: &[&str] = &[
    "stylesheet",
    "icon",
    "shortcut",
    "apple-touch-icon",
    "apple-touch-icon-precomposed",
    "mask-icon",
    "preload",
    "prefetch",
    "modulepreload",
    "manifest",
];

/// The kind of a `<link>` or `Link:` header from its `rel` (a space-separated keyword list):
/// any requisite keyword wins (`rel="alternate stylesheet"` is still a stylesheet), everything
/// else (`alternate`, `canonical`, `next`, `prev`, unknown) is navigation.
pub fn link_rel_kind(rel: &str) -> LinkKind {
    let requisite = rel
        .split(|c: char| c.is_ascii_whitespace())
        .any(|word| REQUISITE_RELS.iter().any(|r| r.eq_ignore_ascii_case(word)));
    if requisite { Requisite } else { Navigation }
}
