//! The embedded templates and the engine that renders them.

use minijinja::syntax::SyntaxConfig;
use minijinja::value::Serde;
use minijinja::{AutoEscape, Environment, UndefinedBehavior, Value};

use crate::EmitError;
use crate::context::EventCtx;
use fastsocket_ir::output::Owner;

/// Declares the templates by name, embedding each from `templates/vue/` (through this crate's `templates` link, so `cargo package` ships them) at compile time.
macro_rules! embedded {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = embedded![
    "generated/runtime.ts.j2",
    "generated/delivery.ts.j2",
    "generated/types.ts.j2",
    "generated/schemas.ts.j2",
    "generated/validators.ts.j2",
    "generated/client.ts.j2",
    "generated/composables.ts.j2",
    "generated/forms.ts.j2",
    "generated/index.ts.j2",
    "generated/theme.css.j2",
    "generated/theme.ts.j2",
    "generated/toasts.ts.j2",
    "generated/components/SchemaField.vue.j2",
    "generated/components/ValueView.vue.j2",
    "generated/components/MessageFeed.vue.j2",
    "generated/components/ThemeToggle.vue.j2",
    "generated/components/Toasts.vue.j2",
    "generated/components/Form.vue.j2",
    "generated/components/Feed.vue.j2",
    "generated/components/Panel.vue.j2",
    "generated/components/Dashboard.vue.j2",
    "generated/monitor.ts.j2",
    "generated/components/MonitorChart.vue.j2",
    "generated/components/MonitorPage.vue.j2",
    "generated/tests/validators.test.ts.j2",
    "generated/tests/components.test.ts.j2",
    "generated/tests/delivery.test.ts.j2",
    "project/package.json.j2",
    "project/index.html.j2",
    "project/vite.config.ts.j2",
    "project/tsconfig.json.j2",
    "project/main.ts.j2",
    "project/App.vue.j2",
    "project/env.d.ts.j2",
    "project/README.md.j2",
    "project/gitignore.j2",
];

/// Files rendered once per project: (path, template, owner).
pub const PROJECT_FILES: &[(&str, &str, Owner)] = &[
    (
        "src/generated/runtime.ts",
        "generated/runtime.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/delivery.ts",
        "generated/delivery.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/types.ts",
        "generated/types.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/schemas.ts",
        "generated/schemas.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/validators.ts",
        "generated/validators.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/client.ts",
        "generated/client.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/composables.ts",
        "generated/composables.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/forms.ts",
        "generated/forms.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/index.ts",
        "generated/index.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/theme.css",
        "generated/theme.css.j2",
        Owner::Generator,
    ),
    (
        "src/generated/theme.ts",
        "generated/theme.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/toasts.ts",
        "generated/toasts.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/ValueView.vue",
        "generated/components/ValueView.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/MessageFeed.vue",
        "generated/components/MessageFeed.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/ThemeToggle.vue",
        "generated/components/ThemeToggle.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/Toasts.vue",
        "generated/components/Toasts.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/SchemaField.vue",
        "generated/components/SchemaField.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/Dashboard.vue",
        "generated/components/Dashboard.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/monitor.ts",
        "generated/monitor.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/MonitorChart.vue",
        "generated/components/MonitorChart.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/components/MonitorPage.vue",
        "generated/components/MonitorPage.vue.j2",
        Owner::Generator,
    ),
    (
        "src/generated/tests/validators.test.ts",
        "generated/tests/validators.test.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/tests/components.test.ts",
        "generated/tests/components.test.ts.j2",
        Owner::Generator,
    ),
    (
        "src/generated/tests/delivery.test.ts",
        "generated/tests/delivery.test.ts.j2",
        Owner::Generator,
    ),
    ("package.json", "project/package.json.j2", Owner::User),
    ("index.html", "project/index.html.j2", Owner::User),
    ("vite.config.ts", "project/vite.config.ts.j2", Owner::User),
    ("tsconfig.json", "project/tsconfig.json.j2", Owner::User),
    ("src/main.ts", "project/main.ts.j2", Owner::User),
    ("src/App.vue", "project/App.vue.j2", Owner::User),
    ("src/env.d.ts", "project/env.d.ts.j2", Owner::User),
    ("README.md", "project/README.md.j2", Owner::User),
    (".gitignore", "project/gitignore.j2", Owner::User),
];

/// The template engine with every template loaded.
pub struct Renderer {
    env: Environment<'static>,
}

impl Renderer {
    /// Loads the embedded templates.
    pub fn new() -> Result<Self, EmitError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        let syntax = SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .keep_trailing_newline(true)
            .build()
            .map_err(|e| EmitError {
                template: "(syntax)".to_string(),
                reason: format!("{e:#}"),
            })?;
        env.set_syntax(syntax);
        // Values arrive escaped for their destination (see `escape`); HTML pages are the one place where the
        // engine's own escaping is the right one.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| EmitError {
                template: (*name).to_string(),
                reason: format!("{e:#}"),
            })?;
        }
        Ok(Renderer { env })
    }

    /// Renders one template for the document and a namespace (both converted once with [`to_value`]) and an event.
    pub fn render(
        &self,
        name: &str,
        document: &Value,
        namespace: Option<&Value>,
        event: Option<&EventCtx>,
    ) -> Result<String, EmitError> {
        let failed = |e: minijinja::Error| EmitError {
            template: name.to_string(),
            reason: format!("{e:#}"),
        };
        let template = self.env.get_template(name).map_err(failed)?;
        let context = minijinja::context! {
            doc => document.clone(),
            ns => namespace.cloned().unwrap_or(Value::from(())),
            event => Value::from(Serde(event)),
        };
        template.render(context).map_err(failed)
    }
}

/// The document or a namespace as a template value, made once per generation: converting is the costly part of
/// rendering (the document holds the schema bundle, a namespace every event), and values are shared by reference
/// when cloned.
pub fn to_value(data: &impl serde::Serialize) -> Value {
    Value::from(Serde(data))
}
