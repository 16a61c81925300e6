//! Where a canonical record came from: the evidence trail every finding carries.
//!
//! Every record, graph edge, grant event summary and finding's evidence carries one, so it is
//! kept small: `source` and `file` are shared strings (all the records of one file point at one
//! allocation, see [`Provenance::new`]), and the record label is stored inline when it is short.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::borrow::Borrow;
use std::cell::RefCell;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;
use std::sync::Arc;

/// The source and record a canonical item was read from.
///
/// `file` is the path as the user named it (relative paths stay relative so reports are
/// portable and deterministic); `line` is 1-based where the format has lines; `record`
/// locates the item inside the file (a JSON pointer such as `/identities/3`, or `record 12`).
///
/// Compares, orders and hashes by source, file, line, record; serialises as
/// `{source, file, line?, record?}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Provenance {
    /// Source and file together behind one thin pointer: every record, edge, grant event
    /// and finding carries a provenance, and most share the same few origins.
    origin: Arc<Origin>,
    pub line: Option<u32>,
    pub record: Option<RecordLabel>,
}

/// The source name from residue.yaml (or the connector name when none was given) and the
/// file, as the user named it.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Origin {
    source: Box<str>,
    file: Box<str>,
}

impl Provenance {
    /// A provenance without line or record. The source and file are interned through a
    /// small per-thread cache of recently used origins, so the records a connector reads
    /// from one file share one allocation without any lock.
    pub fn new(source: impl AsRef<str>, file: impl AsRef<str>) -> Self {
        Provenance {
            origin: intern(source.as_ref(), file.as_ref()),
            line: None,
            record: None,
        }
    }

    /// The source name from residue.yaml, or the connector name when none was given.
    pub fn source(&self) -> &str {
        &self.origin.source
    }

    /// The file as the user named it.
    pub fn file(&self) -> &str {
        &self.origin.file
    }

    /// The same record, attributed to another source.
    pub fn with_source(mut self, source: &str) -> Self {
        self.origin = intern(source, &self.origin.file);
        self
    }

    pub fn at_line(mut self, line: u32) -> Self {
        self.line = Some(line);
        self
    }

    pub fn with_record(mut self, record: impl Into<RecordLabel>) -> Self {
        self.record = Some(record.into());
        self
    }

    /// A provenance for items a rule example or a test builds in memory.
    pub fn synthetic(what: &str) -> Self {
        Provenance::new("synthetic", what)
    }
}

/// How a provenance is written and read: the fields as they always were.
#[derive(Serialize, Deserialize)]
struct ProvenanceFields<S, R> {
    source: S,
    file: S,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    record: Option<R>,
}

impl Serialize for Provenance {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        ProvenanceFields {
            source: self.source(),
            file: self.file(),
            line: self.line,
            record: self.record.as_ref(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Provenance {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let fields = ProvenanceFields::<String, RecordLabel>::deserialize(deserializer)?;
        Ok(Provenance {
            origin: intern(&fields.source, &fields.file),
            line: fields.line,
            record: fields.record,
        })
    }
}

impl fmt::Display for Provenance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(record) = &self.record {
            write!(f, " ({record})")?;
        }
        Ok(())
    }
}

/// How many recently used origins each thread keeps for interning. A connector alternates
/// between one source and one file (sometimes a few files), so a handful of slots catches
/// almost every call; a miss only costs a fresh allocation.
const RECENT_SLOTS: usize = 8;

struct Recent {
    slots: [Option<Arc<Origin>>; RECENT_SLOTS],
    next: usize,
}

thread_local! {
    static RECENT: RefCell<Recent> = const {
        RefCell::new(Recent { slots: [const { None }; RECENT_SLOTS], next: 0 })
    };
}

/// `source` and `file` as a shared origin, reusing the thread's recent allocation of the
/// same pair.
fn intern(source: &str, file: &str) -> Arc<Origin> {
    let fresh = || {
        Arc::new(Origin {
            source: source.into(),
            file: file.into(),
        })
    };
    RECENT
        .try_with(|recent| {
            let mut recent = recent.borrow_mut();
            if let Some(hit) = recent
                .slots
                .iter()
                .flatten()
                .find(|o| &*o.source == source && &*o.file == file)
            {
                return Arc::clone(hit);
            }
            let made = fresh();
            let next = recent.next;
            recent.slots[next] = Some(Arc::clone(&made));
            recent.next = (next + 1) % RECENT_SLOTS;
            made
        })
        .unwrap_or_else(|_| fresh())
}

/// Longest label stored without a heap allocation (`record 322560`, `/identities/3`).
const INLINE: usize = 22;

/// Where an item sits inside its file: a JSON pointer, `record 12`, `access key 1`, ….
///
/// Behaves as the `str` it holds: it displays, serialises, compares, orders and hashes
/// exactly as the same text in a `String` would; short labels (almost all) need no heap
/// allocation, and a long one is shared by its clones (a role's trust policy labels every
/// trust edge of the role: one allocation for them all).
#[derive(Clone)]
pub struct RecordLabel(Label);

#[derive(Clone)]
enum Label {
    Inline { len: u8, bytes: [u8; INLINE] },
    Shared(Arc<str>),
}

impl RecordLabel {
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Label::Inline { len, bytes } => {
                // Only ever filled from a whole `&str` (see `From<&str>`), so this holds.
                std::str::from_utf8(&bytes[..usize::from(*len)]).unwrap_or_default()
            }
            Label::Shared(text) => text,
        }
    }
}

impl From<&str> for RecordLabel {
    fn from(text: &str) -> Self {
        if text.len() <= INLINE {
            let mut bytes = [0; INLINE];
            bytes[..text.len()].copy_from_slice(text.as_bytes());
            RecordLabel(Label::Inline {
                len: text.len() as u8,
                bytes,
            })
        } else {
            RecordLabel(Label::Shared(text.into()))
        }
    }
}

impl From<String> for RecordLabel {
    fn from(text: String) -> Self {
        if text.len() <= INLINE {
            RecordLabel::from(text.as_str())
        } else {
            RecordLabel(Label::Shared(text.into()))
        }
    }
}

impl From<&String> for RecordLabel {
    fn from(text: &String) -> Self {
        RecordLabel::from(text.as_str())
    }
}

impl Default for RecordLabel {
    fn default() -> Self {
        RecordLabel::from("")
    }
}

impl Deref for RecordLabel {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for RecordLabel {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for RecordLabel {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for RecordLabel {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RecordLabel {}

impl PartialEq<str> for RecordLabel {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for RecordLabel {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for RecordLabel {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialOrd for RecordLabel {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for RecordLabel {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for RecordLabel {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl fmt::Display for RecordLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, not `write_str`: width and alignment flags apply as they do to a `str`.
        f.pad(self.as_str())
    }
}

impl fmt::Debug for RecordLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl Serialize for RecordLabel {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for RecordLabel {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(RecordLabel::from)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provenances_of_one_file_share_their_strings() {
        let a = Provenance::new("okta", String::from("okta/groups.json")).with_record("/0");
        let b = Provenance::new(String::from("okta"), "okta/groups.json").with_record("/1");
        assert!(Arc::ptr_eq(&a.origin, &b.origin));
        assert_eq!(a.file(), "okta/groups.json");
        assert_eq!(a.source(), "okta");
        let moved = b.clone().with_source("broker");
        assert_eq!(
            (moved.source(), moved.file()),
            ("broker", "okta/groups.json")
        );
        assert_eq!(moved.record, b.record);
    }

    #[test]
    fn provenances_serialise_order_and_read_back_field_by_field() {
        let full = Provenance::new("okta", "groups.json")
            .at_line(3)
            .with_record("/1");
        let bare = Provenance::new("okta", "groups.json");
        assert_eq!(
            serde_json::to_string(&full).unwrap(),
            r#"{"source":"okta","file":"groups.json","line":3,"record":"/1"}"#
        );
        assert_eq!(
            serde_json::to_string(&bare).unwrap(),
            r#"{"source":"okta","file":"groups.json"}"#
        );
        for p in [&full, &bare] {
            let back: Provenance =
                serde_json::from_str(&serde_json::to_string(p).unwrap()).unwrap();
            assert_eq!(&back, p);
        }
        // Source first, then file, line and record.
        let mut all = [
            Provenance::new("b", "a.json"),
            Provenance::new("a", "z.json").at_line(2),
            Provenance::new("a", "z.json").at_line(1),
            Provenance::new("a", "b.json"),
        ];
        all.sort();
        let keys: Vec<(&str, &str, Option<u32>)> =
            all.iter().map(|p| (p.source(), p.file(), p.line)).collect();
        assert_eq!(
            keys,
            vec![
                ("a", "b.json", None),
                ("a", "z.json", Some(1)),
                ("a", "z.json", Some(2)),
                ("b", "a.json", None)
            ]
        );
    }

    #[test]
    fn record_labels_behave_as_their_text() {
        let short = "record 322560";
        let long = "/identities/12/member_of/platform-admins";
        for text in [short, long, ""] {
            let label = RecordLabel::from(text);
            assert_eq!(label.as_str(), text);
            assert_eq!(format!("{label}"), text);
            assert_eq!(format!("{label:?}"), format!("{text:?}"));
            assert_eq!(
                serde_json::to_string(&label).unwrap(),
                serde_json::to_string(text).unwrap()
            );
            let back: RecordLabel =
                serde_json::from_str(&serde_json::to_string(text).unwrap()).unwrap();
            assert_eq!(back, label);
        }
        // Ordered as text ("record 10" before "record 9"), whichever form each is stored in.
        let mut labels: Vec<RecordLabel> = ["record 9", long, "record 10", short]
            .into_iter()
            .map(RecordLabel::from)
            .collect();
        labels.sort();
        let texts: Vec<&str> = labels.iter().map(|l| l.as_str()).collect();
        let mut expected = vec!["record 9", long, "record 10", short];
        expected.sort();
        assert_eq!(texts, expected);
        let hash = |t: &dyn Fn(&mut std::collections::hash_map::DefaultHasher)| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            t(&mut h);
            h.finish()
        };
        assert_eq!(
            hash(&|h| RecordLabel::from(long).hash(h)),
            hash(&|h| String::from(long).hash(h))
        );
    }

    #[test]
    fn the_struct_stays_small() {
        assert_eq!(std::mem::size_of::<Option<RecordLabel>>(), 24);
        assert!(std::mem::size_of::<Provenance>() <= 40);
    }
}
