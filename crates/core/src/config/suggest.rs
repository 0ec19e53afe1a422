//! "Did you mean": the known keys of the table an unknown key sits in, read from the
//! config's own types rather than from a second list that could drift from them, and
//! the closest one to what was written.
//!
//! The keys are found by deserializing [`RawConfig`] from a probe that follows the
//! unknown key's path: at each table it hands serde a map with only the next key of the
//! path, and where the path ends the struct's `deserialize_struct` call names every
//! field it accepts. serde has no other way to list a derived struct's fields.

use std::cell::RefCell;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::raw::RawConfig;

/// The known key closest to the last part of `path` (`race.timout` → `timeout`), when
/// one is close enough to be a typo of it.
pub fn suggestion(path: &str) -> Option<String> {
    let parts: Vec<String> = path.split('.').map(str::to_string).collect();
    let (wrong, _) = parts.split_last()?;
    let fields = known_keys(&parts)?;
    fields
        .iter()
        .map(|f| (strsim::damerau_levenshtein(wrong, f), *f))
        .filter(|(d, f)| *d <= (f.len() / 3).max(1))
        .min()
        .map(|(_, f)| f.to_string())
}

/// The keys of the table the last part of `path` was written in.
fn known_keys(path: &[String]) -> Option<&'static [&'static str]> {
    let found = RefCell::new(None);
    let _ = RawConfig::deserialize(Probe {
        rest: path,
        found: &found,
    });
    found.into_inner()
}

/// Follows `rest` into the config's types; records the fields of the struct where only
/// the unknown key is left.
struct Probe<'a> {
    rest: &'a [String],
    found: &'a RefCell<Option<&'static [&'static str]>>,
}

#[derive(Debug)]
struct Stop;

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("probe stops here")
    }
}

impl std::error::Error for Stop {}

impl de::Error for Stop {
    fn custom<T: std::fmt::Display>(_: T) -> Stop {
        Stop
    }
}

impl<'de, 'a> Deserializer<'de> for Probe<'a> {
    type Error = Stop;

    fn deserialize_any<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Stop> {
        Err(Stop)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        visitor: V,
    ) -> Result<V::Value, Stop> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Stop> {
        if self.rest.len() <= 1 {
            *self.found.borrow_mut() = Some(fields);
            return Err(Stop);
        }
        visitor.visit_map(OneEntry { probe: Some(self) })
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Stop> {
        if self.rest.len() <= 1 {
            return Err(Stop);
        }
        visitor.visit_map(OneEntry { probe: Some(self) })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct enum identifier ignored_any
    }
}

/// A table with one key, the path's next, whose value is the probe one step further.
struct OneEntry<'a> {
    probe: Option<Probe<'a>>,
}

impl<'de, 'a> MapAccess<'de> for OneEntry<'a> {
    type Error = Stop;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Stop> {
        match &self.probe {
            Some(p) => seed
                .deserialize(de::value::StrDeserializer::<Stop>::new(&p.rest[0]))
                .map(Some),
            None => Ok(None),
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Stop> {
        let p = self.probe.take().ok_or(Stop)?;
        seed.deserialize(Probe {
            rest: &p.rest[1..],
            found: p.found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typos_get_the_key_they_meant_from_the_config_types() {
        let cases = [
            ("race.timout", Some("timeout")),
            ("race.log-byte", Some("log-bytes")),
            ("review.reviewer", Some("reviewers")),
            ("worktree.setupjobs", Some("setup-jobs")),
            ("agents.fast.modle", Some("model")),
            ("agents.fast.base_url", Some("base-url")),
            ("rcae", Some("race")),
            ("race.colour-of-the-sky", None),
            ("nothing.like.this", None),
        ];
        for (path, want) in cases {
            assert_eq!(suggestion(path).as_deref(), want, "{path}");
        }
    }
}
