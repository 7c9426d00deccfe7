//! The `server` module: per namespace a params struct, a typed emitter, a handler trait and a `register`
//! function; for the whole API the embedded spec, the event registry and `run`.
//!
//! Everything socket-related happens in the runtime (`fastsocket::server`); this module only says, in types, what
//! the document says.

use fastsocket_ir::{Api, SecurityRequirement, SecurityScheme, TypeBody, TypeId};
use proc_macro2::{Ident, TokenStream};
use quote::{format_ident, quote};

use crate::docs::doc_attrs;
use crate::kinds::TypeMap;
use crate::models::type_ident;
use fastsocket_ir::socketio::{Event, Namespace};

/// The server module for the given namespaces.
pub fn server(api: &Api, map: &TypeMap<'_>, namespaces: &[Namespace]) -> TokenStream {
    let modules = namespaces.iter().map(|ns| namespace_module(api, map, ns));
    let bounds: Vec<TokenStream> = namespaces
        .iter()
        .map(|ns| {
            let module = format_ident!("{}", ns.snake);
            let handlers = format_ident!("{}Handlers", ns.pascal);
            quote!(#module::#handlers)
        })
        .collect();
    let registrations = namespaces.iter().map(|ns| {
        let module = format_ident!("{}", ns.snake);
        quote!(#module::register(app, handlers.clone());)
    });
    let starts = namespaces.iter().map(|ns| {
        let module = format_ident!("{}", ns.snake);
        let handlers = format_ident!("{}Handlers", ns.pascal);
        quote!(#module::#handlers::on_start(&handlers, &streams);)
    });
    let stream_accessors = namespaces.iter().map(|ns| {
        let module = format_ident!("{}", ns.snake);
        let streams = format_ident!("{}Streams", ns.pascal);
        let doc = format!(" The streams of the inbound events of `{}`.", ns.path);
        quote! {
            #[doc = #doc]
            pub fn #module(&self) -> #module::#streams {
                #module::#streams(self.0.clone())
            }
        }
    });
    let events = namespaces.iter().flat_map(|ns| {
        let inbound = ns.inbound.iter().map(move |e| event_info(map, ns, e, true));
        let outbound = ns
            .outbound
            .iter()
            .map(move |e| event_info(map, ns, e, false));
        inbound.chain(outbound)
    });
    let title = &api.info.title;
    let version = &api.info.version;
    let register_body = if namespaces.is_empty() {
        quote!(let _ = (app, handlers);)
    } else {
        quote! {
            #(#registrations)*
            // Once every namespace exists: the hooks may subscribe to any stream and emit to any namespace.
            let streams = Streams::new(app);
            #(#starts)*
        }
    };
    quote! {
        //! The Socket.IO server: one module per namespace, with the handler trait you implement, the typed emitter
        //! you send with, and the registration that ties them to the runtime.

        #(#modules)*

        /// Everything the server needs from you: one handler trait per namespace.
        pub trait Handlers: #(#bounds +)* Clone + Send + Sync + 'static {}

        impl<T: #(#bounds +)* Clone + Send + Sync + 'static> Handlers for T {}

        /// The API as the runtime sees it: the embedded document and the event registry (`events` command).
        pub static SPEC: ::fastsocket::server::ServerSpec = ::fastsocket::server::ServerSpec {
            title: #title,
            version: #version,
            asyncapi_json: include_str!("asyncapi.json"),
            events: &[#(#events),*],
        };

        /// The typed streams of every inbound event, by namespace (`streams.<namespace>().<event>()`): each event
        /// that passed its checks, as its handler gets it, for pipelines over live traffic (see
        /// `fastsocket::server::streams`). The handlers' `on_start` hooks get it; `Streams::new(app)` makes one.
        #[derive(Clone, Debug)]
        pub struct Streams(::fastsocket::server::Streams);

        impl Streams {
            /// The streams of `app`'s events.
            pub fn new(app: &::fastsocket::server::App) -> Self {
                Self(app.streams())
            }

            /// The server (an emitter to a namespace: `streams.app().emitter("/admin")`).
            pub fn app(&self) -> &::fastsocket::server::App {
                self.0.app()
            }

            #(#stream_accessors)*
        }

        /// Installs every namespace on `app`, then runs every namespace's `on_start` hook.
        pub fn register<H: Handlers>(app: &::fastsocket::server::App, handlers: H) {
            #register_body
        }

        /// Runs the command line (`serve`, `events`, `spec`) with the default authenticator: credentials listed in
        /// `FASTSOCKET_AUTH_TOKENS`, nothing accepted when it is empty.
        pub async fn run<H: Handlers>(handlers: H) -> ::std::process::ExitCode {
            run_with(handlers, ::fastsocket::server::TokenList::from_env()).await
        }

        /// Runs the command line with your own authenticator.
        pub async fn run_with<H: Handlers, A: ::fastsocket::server::Authenticator>(
            handlers: H,
            authenticator: A,
        ) -> ::std::process::ExitCode {
            ::fastsocket::server::run(&SPEC, authenticator, move |app| register(app, handlers)).await
        }
    }
}

fn event_info(map: &TypeMap<'_>, ns: &Namespace, event: &Event, inbound: bool) -> TokenStream {
    let path = &ns.path;
    let name = &event.name;
    let direction = if inbound {
        quote!(::fastsocket::server::Direction::Inbound)
    } else {
        quote!(::fastsocket::server::Direction::Outbound)
    };
    let payload = event
        .payload
        .map_or("any JSON".to_string(), |t| map.types.get(t).name.clone());
    let ack = match event.ack.filter(|_| inbound) {
        Some(t) => {
            let n = &map.types.get(t).name;
            quote!(::std::option::Option::Some(#n))
        }
        None => quote!(::std::option::Option::None),
    };
    quote! {
        ::fastsocket::server::EventInfo {
            namespace: #path,
            event: #name,
            direction: #direction,
            payload: #payload,
            ack: #ack,
        }
    }
}

/// The Rust type of a payload or ack: its model, or any JSON.
fn model_type(map: &TypeMap<'_>, ty: Option<TypeId>) -> TokenStream {
    match ty {
        Some(t) if map.is_named(t) => {
            let name = type_ident(map, t);
            quote!(super::super::models::#name)
        }
        _ => quote!(::serde_json::Value),
    }
}

fn namespace_module(api: &Api, map: &TypeMap<'_>, ns: &Namespace) -> TokenStream {
    let module = format_ident!("{}", ns.snake);
    let params = format_ident!("{}Params", ns.pascal);
    let emitter = format_ident!("{}Emitter", ns.pascal);
    let context = format_ident!("{}Context", ns.pascal);
    let handlers = format_ident!("{}Handlers", ns.pascal);
    let path = &ns.path;
    let module_doc = format!(
        " The namespace `{}` (channel{} {}).",
        ns.path,
        if ns.channels.len() > 1 { "s" } else { "" },
        ns.channels
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let params_item = params_item(map, ns, &params);
    let emit_methods = ns.outbound.iter().map(|event| {
        let method = format_ident!("{}", event.method);
        let name = &event.name;
        let payload = model_type(map, event.payload);
        let doc = doc_attrs([Some(format!("Emits `{name}`.").as_str()), event.doc.as_deref()]);
        quote! {
            #doc
            pub async fn #method(&self, payload: &#payload) -> ::std::result::Result<(), ::fastsocket::server::EmitError> {
                self.0.emit(#name, payload).await
            }
        }
    });
    let trait_methods = ns.inbound.iter().map(|event| {
        let method = format_ident!("{}", event.method);
        let name = &event.name;
        let payload = model_type(map, event.payload);
        let answer = match event.ack {
            Some(_) => model_type(map, event.ack),
            None => quote!(()),
        };
        let doc = doc_attrs([Some(format!("Handles `{name}`.").as_str()), event.doc.as_deref()]);
        quote! {
            #doc
            fn #method(
                &self,
                ctx: #context,
                payload: #payload,
            ) -> impl ::std::future::Future<Output = ::std::result::Result<#answer, ::fastsocket::server::HandlerError>> + Send {
                let _ = (ctx, payload);
                async { ::std::result::Result::Err(::fastsocket::server::HandlerError::not_implemented(#name)) }
            }
        }
    });
    // Without any secured operation every event is open, as the namespace is: no per-event security to state.
    let secured = ns
        .inbound
        .iter()
        .chain(&ns.outbound)
        .any(|e| !e.security.is_empty());
    let streams = format_ident!("{}Streams", ns.pascal);
    let stream_methods = ns.inbound.iter().map(|event| {
        let method = format_ident!("{}", event.method);
        let name = &event.name;
        let payload = model_type(map, event.payload);
        let doc = format!(
            " Every `{name}` that passes its checks from now on, as its handler gets it (dropping the stream \
             unsubscribes)."
        );
        quote! {
            #[doc = #doc]
            pub fn #method(&self) -> ::fastsocket::server::streams::EventStream<#payload, #params> {
                self.0.subscribe(#path, #name)
            }
        }
    });
    let registrations = ns.inbound.iter().map(|event| {
        let method = format_ident!("{}", event.method);
        let name = &event.name;
        let requires = if secured {
            let security = requirements(api, &event.security);
            quote!(let namespace = namespace.requires(#name, #security);)
        } else {
            quote!()
        };
        let payload = model_type(map, event.payload);
        let on = if event.ack.is_some() {
            quote!(on_with_ack)
        } else {
            quote!(on)
        };
        quote! {
            let namespace = namespace.#on(#name, {
                let handlers = handlers.clone();
                move |ctx: #context, payload: #payload| {
                    let handlers = handlers.clone();
                    async move { handlers.#method(ctx, payload).await }
                }
            });
            #requires
        }
    });
    let volatile = ns.outbound.iter().filter(|e| e.volatile).map(|event| {
        let name = &event.name;
        quote!(let namespace = namespace.volatile(#name);)
    });
    let security = security(api, ns);
    let handlers_doc = format!(
        " What the server does with the events of `{}`. Every method has a default that answers `not_implemented`: implement the ones your API serves.",
        ns.path
    );
    quote! {
        #[doc = #module_doc]
        pub mod #module {
            #params_item

            /// Sends the events of this namespace, each checked against its schema before it leaves.
            #[derive(Clone, Debug)]
            pub struct #emitter(::fastsocket::server::Emitter);

            impl ::std::convert::From<::fastsocket::server::Emitter> for #emitter {
                fn from(inner: ::fastsocket::server::Emitter) -> Self {
                    Self(inner)
                }
            }

            impl #emitter {
                /// The same events, to the sockets in `room` only.
                pub fn to(&self, room: impl ::std::convert::Into<::std::string::String>) -> Self {
                    Self(self.0.to(room))
                }

                /// The untyped emitter underneath (for events the document does not describe).
                pub fn inner(&self) -> &::fastsocket::server::Emitter {
                    &self.0
                }

                #(#emit_methods)*
            }

            /// What a handler of this namespace gets besides the payload.
            pub type #context = ::fastsocket::server::Context<#emitter, #params>;

            /// The typed streams of this namespace's inbound events (from `Streams`).
            #[derive(Clone, Debug)]
            pub struct #streams(pub(super) ::fastsocket::server::Streams);

            impl #streams {
                /// The streams of every namespace (a namespace without inbound events has only these).
                pub fn inner(&self) -> &::fastsocket::server::Streams {
                    &self.0
                }

                #(#stream_methods)*
            }

            #[doc = #handlers_doc]
            pub trait #handlers: Send + Sync + 'static {
                /// Runs when a client has connected (after authentication), before its first event is handled.
                fn on_connect(&self, ctx: #context) -> impl ::std::future::Future<Output = ()> + Send {
                    let _ = ctx;
                    async {}
                }

                /// Runs when a client has gone.
                fn on_disconnect(&self, ctx: #context) -> impl ::std::future::Future<Output = ()> + Send {
                    let _ = ctx;
                    async {}
                }

                /// Runs once when the server starts, after every namespace was registered: subscribe to the
                /// typed streams of inbound events here (`streams.<namespace>().<event>()`) and spawn the tasks
                /// that consume them.
                fn on_start(&self, streams: &super::Streams) {
                    let _ = streams;
                }

                #(#trait_methods)*
            }

            /// Who may connect: alternatives (any one suffices) of schemes that must all pass, the union of what
            /// the namespace's events accept (an empty alternative: anyone). Each inbound event is then checked
            /// against its own operation's security, scopes included.
            pub const SECURITY: ::fastsocket::server::Security = #security;

            /// Installs the namespace on `app`.
            pub fn register<H: #handlers + Clone>(app: &::fastsocket::server::App, handlers: H) {
                // One statement per event: a builder chain hundreds of calls long (event-mapped MQTT documents)
                // is slow to format and hard to read.
                let namespace = app.namespace::<#params>(#path, SECURITY);
                let namespace = namespace.on_connect({
                    let handlers = handlers.clone();
                    move |ctx: #context| {
                        let handlers = handlers.clone();
                        async move { handlers.on_connect(ctx).await }
                    }
                });
                let namespace = namespace.on_disconnect({
                    let handlers = handlers.clone();
                    move |ctx: #context| {
                        let handlers = handlers.clone();
                        async move { handlers.on_disconnect(ctx).await }
                    }
                });
                #(#registrations)*
                #(#volatile)*
                namespace.register();
            }
        }
    }
}

fn params_item(map: &TypeMap<'_>, ns: &Namespace, params: &Ident) -> TokenStream {
    if ns.params.is_empty() {
        return quote! {
            /// This namespace has no parameters.
            pub type #params = ();
        };
    }
    let fields = ns.params.iter().map(|p| {
        let field = format_ident!("{}", p.field);
        let doc = doc_attrs([p.description.as_deref()]);
        quote! {
            #doc
            pub #field: ::std::string::String,
        }
    });
    let reads = ns.params.iter().map(|p| {
        let field = format_ident!("{}", p.field);
        let name = &p.name;
        let check = match p.schema {
            Some(schema) if !matches!(map.types.get(schema).body, TypeBody::Opaque { .. }) => {
                let validator = format_ident!("{}", map.validator(schema));
                quote! {
                    let mut checker = ::fastsocket::Checker::new();
                    checker.enter(#name);
                    super::super::validators::#validator(&::serde_json::Value::String(value.clone()), &mut checker);
                    checker.leave();
                    violations.extend(checker.violations().iter().cloned());
                }
            }
            _ if !p.enum_values.is_empty() => {
                let allowed = &p.enum_values;
                let message = format!("must be one of {}", allowed.iter().map(|v| format!("\"{v}\"")).collect::<Vec<_>>().join(", "));
                quote! {
                    if ![#(#allowed),*].contains(&value.as_str()) {
                        violations.push(::fastsocket::Violation::new(::std::format!("/{}", #name), #message));
                    }
                }
            }
            _ => quote!(),
        };
        quote! {
            let #field = match params.get(#name) {
                ::std::option::Option::Some(value) => {
                    #check
                    value.clone()
                }
                ::std::option::Option::None => {
                    violations.push(::fastsocket::Violation::new(::std::format!("/{}", #name), "is required"));
                    ::std::string::String::new()
                }
            };
        }
    });
    let names = ns.params.iter().map(|p| format_ident!("{}", p.field));
    let doc = format!(
        " The parameters of `{}`, checked against their schemas at connect.",
        ns.path
    );
    quote! {
        #[doc = #doc]
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct #params {
            #(#fields)*
        }

        impl ::fastsocket::server::NamespaceParams for #params {
            fn from_params(
                params: &::std::collections::HashMap<::std::string::String, ::std::string::String>,
            ) -> ::std::result::Result<Self, ::std::vec::Vec<::fastsocket::Violation>> {
                let mut violations = ::std::vec::Vec::new();
                #(#reads)*
                if violations.is_empty() {
                    ::std::result::Result::Ok(Self { #(#names),* })
                } else {
                    ::std::result::Result::Err(violations)
                }
            }
        }
    }
}

/// The connect-time security of a namespace: every alternative of its events (inbound and outbound, so that a
/// client that only listens can join), plus an empty one (anyone) when some event needs no credentials.
fn security(api: &Api, ns: &Namespace) -> TokenStream {
    let events: Vec<&Event> = ns.inbound.iter().chain(&ns.outbound).collect();
    if events.is_empty() {
        // No operations: the servers' security, by scheme key.
        let alternatives: Vec<SecurityRequirement> = ns
            .security
            .iter()
            .map(|keys| SecurityRequirement {
                schemes: keys
                    .iter()
                    .map(|k| fastsocket_ir::SecurityUse {
                        scheme: k.clone(),
                        scopes: Vec::new(),
                    })
                    .collect(),
            })
            .collect();
        return requirements(api, &alternatives);
    }
    let mut union: Vec<SecurityRequirement> = Vec::new();
    for event in &events {
        for r in &event.security {
            if !union.contains(r) {
                union.push(r.clone());
            }
        }
    }
    let open = events.iter().any(|e| e.security.is_empty());
    let alternatives = requirements(api, &union);
    if open && !union.is_empty() {
        // The alternatives, then the empty one: credentials sent are still checked for the secured events.
        let list = union.iter().map(|r| requirement(api, r));
        quote!(&[#(#list,)* &[]])
    } else {
        alternatives
    }
}

/// A [`Security`](fastsocket::server::Security) literal: alternatives of schemes with their scopes.
fn requirements(api: &Api, list: &[SecurityRequirement]) -> TokenStream {
    let alternatives = list.iter().map(|r| requirement(api, r));
    quote!(&[#(#alternatives),*])
}

fn requirement(api: &Api, r: &SecurityRequirement) -> TokenStream {
    let uses = r.schemes.iter().map(|u| {
        // A key the document does not define is refused by the validator; here it is a scheme nothing
        // is read for, so no client passes it (fail closed).
        let scheme = match api.security_schemes.iter().find(|s| s.key == u.scheme) {
            Some(s) => scheme(s),
            None => {
                let key = &u.scheme;
                quote!(::fastsocket::server::Scheme { key: #key, kind: ::fastsocket::server::SchemeKind::Other })
            }
        };
        let scopes = &u.scopes;
        quote!(::fastsocket::server::SchemeUse { scheme: #scheme, scopes: &[#(#scopes),*] })
    });
    quote!(&[#(#uses),*])
}

fn scheme(s: &SecurityScheme) -> TokenStream {
    let key = &s.key;
    let kind = match (
        s.scheme_type.as_str(),
        s.scheme.as_deref().map(str::to_ascii_lowercase).as_deref(),
    ) {
        ("http", Some("bearer")) => quote!(::fastsocket::server::SchemeKind::HttpBearer),
        ("http", Some("basic")) => quote!(::fastsocket::server::SchemeKind::HttpBasic),
        ("httpApiKey", _) => {
            let name = s.name.clone().unwrap_or_default();
            let location = match s.location.as_deref() {
                Some("header") => quote!(::fastsocket::server::KeyLocation::Header),
                Some("cookie") => quote!(::fastsocket::server::KeyLocation::Cookie),
                _ => quote!(::fastsocket::server::KeyLocation::Query),
            };
            quote!(::fastsocket::server::SchemeKind::HttpApiKey { name: #name, location: #location })
        }
        ("apiKey", _) => quote!(::fastsocket::server::SchemeKind::ApiKey),
        ("userPassword", _) => quote!(::fastsocket::server::SchemeKind::UserPassword),
        ("oauth2", _) => quote!(::fastsocket::server::SchemeKind::OAuth2),
        ("openIdConnect", _) => quote!(::fastsocket::server::SchemeKind::OpenIdConnect),
        _ => quote!(::fastsocket::server::SchemeKind::Other),
    };
    quote!(::fastsocket::server::Scheme { key: #key, kind: #kind })
}
