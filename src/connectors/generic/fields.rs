//! Field types shared by the generic formats: timestamps, ids, the format version, and
//! "absent" spelled as null or as an empty string.
//!
//! Each validates while deserializing so that serde attaches the line and column of the
//! offending value to the error.

use crate::model::time::{parse_duration, parse_timestamp, DURATION_SHAPES, TIMESTAMP_SHAPES};
use crate::model::{SignedDuration, Timestamp};
use compact_str::CompactString;
use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserializer, MapAccess, Unexpected, Visitor};
use serde::Deserialize;
use std::fmt;
use std::marker::PhantomData;

/// What a record type is, in the words of "invalid type: …, expected <this>".
pub(crate) trait Expecting {
    const EXPECTING: &'static str;
}

/// A record that must be written as a mapping.
///
/// Derived `Deserialize` also accepts a sequence of field values in declaration order
/// (`["alice", null, "human"]` in JSON); that is no documented shape, so it is refused
/// here with an error that says a mapping was expected.
#[derive(Debug)]
pub(crate) struct MapOnly<T>(pub T);

impl<'de, T: Deserialize<'de> + Expecting> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(MapOnlyVisitor(PhantomData))
    }
}

struct MapOnlyVisitor<T>(PhantomData<T>);

impl<'de, T: Deserialize<'de> + Expecting> Visitor<'de> for MapOnlyVisitor<T> {
    type Value = MapOnly<T>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(T::EXPECTING)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<MapOnly<T>, A::Error> {
        T::deserialize(MapAccessDeserializer::new(map)).map(MapOnly)
    }
}

/// A timestamp written in any shape [`parse_timestamp`] accepts: a string, or epoch
/// seconds/milliseconds as a number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp(pub Timestamp);

impl<'de> Deserialize<'de> for Stamp {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StampVisitor)
    }
}

struct StampVisitor;

impl<'de> Visitor<'de> for StampVisitor {
    type Value = Stamp;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a timestamp: {TIMESTAMP_SHAPES}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Stamp, E> {
        parse_timestamp(v).map(Stamp).map_err(E::custom)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Stamp, E> {
        self.visit_str(&v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Stamp, E> {
        self.visit_str(&v.to_string())
    }
}

/// A duration written as text in any shape [`parse_duration`] accepts (`8h`, `1d12h`,
/// `PT4H`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Duration(pub SignedDuration);

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(DurationVisitor)
    }
}

struct DurationVisitor;

impl<'de> Visitor<'de> for DurationVisitor {
    type Value = Duration;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{DURATION_SHAPES}")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
        parse_duration(v).map(Duration).map_err(E::custom)
    }
}

/// A required identifier or name: a string with something other than whitespace in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Id(pub CompactString);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(IdVisitor)
    }
}

/// A visitor rather than a check after `String::deserialize`, so that the error is raised
/// inside the deserializer and carries the field's own path and position.
struct IdVisitor;

impl<'de> Visitor<'de> for IdVisitor {
    type Value = Id;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-empty string")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
        if v.trim().is_empty() {
            return Err(E::invalid_value(Unexpected::Str(v), &self));
        }
        Ok(Id(v.into()))
    }
}

/// The format version: only `1` exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Version;

impl<'de> Deserialize<'de> for Version {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(VersionVisitor)
    }
}

struct VersionVisitor;

impl<'de> Visitor<'de> for VersionVisitor {
    type Value = Version;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("version 1")
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Version, E> {
        if v == 1 {
            Ok(Version)
        } else {
            Err(E::custom(format!(
                "unsupported version {v}; expected version 1 (or leave `version` out)"
            )))
        }
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Version, E> {
        match u64::try_from(v) {
            Ok(v) => self.visit_u64(v),
            Err(_) => Err(E::invalid_value(Unexpected::Signed(v), &self)),
        }
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Version, E> {
        match v.trim().parse::<u64>() {
            Ok(n) => self.visit_u64(n),
            Err(_) => Err(E::invalid_value(Unexpected::Str(v), &self)),
        }
    }
}

/// For list and map fields: `null` (YAML `section:` with nothing after it) means empty.
pub(crate) fn null_as_empty<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

/// An optional text field: blank means absent (an empty `owner` is no owner).
pub(crate) fn present<T: AsRef<str>>(value: Option<T>) -> Option<T> {
    value.filter(|v| !v.as_ref().trim().is_empty())
}

pub(crate) fn stamp(value: Option<Stamp>) -> Option<Timestamp> {
    value.map(|s| s.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_accept_strings_and_epoch_numbers() {
        let expected: Timestamp = "2026-03-01T09:30:00Z".parse().unwrap();
        let s: Stamp = serde_json::from_str("\"2026-03-01T09:30:00Z\"").unwrap();
        assert_eq!(s.0, expected);
        let s: Stamp = serde_json::from_str("1772357400").unwrap();
        assert_eq!(s.0, expected);
        let s: Stamp = serde_yaml::from_str("2026-03-01T10:30:00+01:00").unwrap();
        assert_eq!(s.0, expected);
        let err = serde_json::from_str::<Stamp>("\"yesterday\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`yesterday` is not a timestamp: expected an RFC 3339"),
            "{err}"
        );
        let err = serde_json::from_str::<Stamp>("true")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a timestamp"), "{err}");
    }

    #[test]
    fn durations_are_text_in_the_documented_shapes() {
        let d: Duration = serde_yaml::from_str("8h").unwrap();
        assert_eq!(d.0, SignedDuration::from_hours(8));
        let d: Duration = serde_json::from_str("\"PT4H\"").unwrap();
        assert_eq!(d.0, SignedDuration::from_hours(4));
        let err = serde_json::from_str::<Duration>("\"soon\"")
            .unwrap_err()
            .to_string();
        assert!(err.contains("`soon` is not a duration"), "{err}");
        let err = serde_json::from_str::<Duration>("8")
            .unwrap_err()
            .to_string();
        assert!(err.contains("expected a duration such as"), "{err}");
    }

    #[test]
    fn ids_must_not_be_blank_and_version_must_be_one() {
        assert!(serde_json::from_str::<Id>("\"  \"").is_err());
        assert_eq!(serde_json::from_str::<Id>("\"a\"").unwrap(), Id("a".into()));
        assert!(serde_json::from_str::<Version>("1").is_ok());
        let err = serde_json::from_str::<Version>("2")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("unsupported version 2; expected version 1"),
            "{err}"
        );
    }
}
