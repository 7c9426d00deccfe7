//! What an emitter returns: files with their owner, written by `fastsocket-gen` (which adds ownership headers and
//! never overwrites user files). Shared so every emitter goes through the same writer.

/// Who owns a generated file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// Rewritten on every generation: never edit by hand.
    Generator,
    /// Written once, then the user's: never overwritten.
    User,
}

/// One file of a generated project.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputFile {
    /// The path inside the crate, `/`-separated.
    pub path: String,
    /// The contents (without the ownership header, which the writer adds).
    pub contents: String,
    /// Who owns it.
    pub owner: Owner,
}

/// Everything one generation produces.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The files, in a fixed order.
    pub files: Vec<OutputFile>,
    /// What could not be expressed exactly in the target language (validators still enforce it) and similar notes.
    pub warnings: Vec<String>,
}
