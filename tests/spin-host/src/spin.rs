//! Spin's `fermyon:spin/key-value@2.0.0` and `fermyon:spin/variables@2.0.0`, implemented over
//! the host's shared state, with the behaviour Spin documents: a store opens only if its label
//! is in the component's `key_value_stores` (else `access-denied`), only labels Spin knows
//! (here `default`) exist (else `no-such-store`); a variable is readable only when the
//! component declares it, names are `[a-z][a-z0-9_]*`.
//!
//! Key-value data is kept in memory for the life of the host, shared by every instance: each
//! request runs in a fresh instance, so anything a request leaves for the next goes through
//! here, as on Spin.

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;

use wasmtime::component::Resource;

use crate::State;
use crate::fermyon::spin::{key_value, variables};

/// Largest value Spin's default store accepts (1 MiB).
pub const MAX_VALUE: usize = 1024 * 1024;
/// Longest key Spin accepts.
pub const MAX_KEY: usize = 255;
/// The store labels the stand-in has (Spin's default; others need a runtime config).
pub const KNOWN_STORES: [&str; 1] = ["default"];

/// The key-value data of every store.
#[derive(Debug, Default)]
pub struct KvData {
    stores: Mutex<HashMap<String, BTreeMap<String, Vec<u8>>>>,
}

impl KvData {
    fn with<R>(&self, label: &str, f: impl FnOnce(&mut BTreeMap<String, Vec<u8>>) -> R) -> R {
        // A panic mid-operation cannot leave a half-written entry (each is one insert).
        let mut stores = self.stores.lock().unwrap_or_else(|e| e.into_inner());
        f(stores.entry(label.to_owned()).or_default())
    }

    /// Number of keys in a store (for the host's own report).
    pub fn len(&self, label: &str) -> usize {
        self.with(label, |m| m.len())
    }

    /// Keys per prefix (up to the first `:`) in a store.
    pub fn count_by_prefix(&self, label: &str) -> BTreeMap<String, usize> {
        self.with(label, |m| {
            let mut counts = BTreeMap::new();
            for key in m.keys() {
                let prefix = key.split_once(':').map_or(key.as_str(), |(p, _)| p);
                *counts.entry(format!("{prefix}:")).or_default() += 1;
            }
            counts
        })
    }
}

/// An open store: its label.
#[derive(Debug)]
pub struct OpenStore(String);

impl State {
    fn label(&self, store: &Resource<OpenStore>) -> Result<String, key_value::Error> {
        self.table
            .get(store)
            .map(|s| s.0.clone())
            .map_err(|e| key_value::Error::Other(e.to_string()))
    }
}

impl key_value::Host for State {}

impl key_value::HostStore for State {
    fn open(&mut self, label: String) -> Result<Resource<OpenStore>, key_value::Error> {
        if !self.shared.app.key_value_stores.contains(&label) {
            return Err(key_value::Error::AccessDenied);
        }
        if !KNOWN_STORES.contains(&label.as_str()) {
            return Err(key_value::Error::NoSuchStore);
        }
        self.table
            .push(OpenStore(label))
            .map_err(|_| key_value::Error::StoreTableFull)
    }

    fn get(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> Result<Option<Vec<u8>>, key_value::Error> {
        let label = self.label(&store)?;
        Ok(self.shared.kv.with(&label, |m| m.get(&key).cloned()))
    }

    fn set(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
        value: Vec<u8>,
    ) -> Result<(), key_value::Error> {
        let label = self.label(&store)?;
        if key.len() > MAX_KEY {
            return Err(key_value::Error::Other(format!(
                "key longer than {MAX_KEY} bytes"
            )));
        }
        if value.len() > MAX_VALUE {
            return Err(key_value::Error::Other(format!(
                "value larger than {MAX_VALUE} bytes"
            )));
        }
        self.shared.kv.with(&label, |m| m.insert(key, value));
        Ok(())
    }

    fn delete(&mut self, store: Resource<OpenStore>, key: String) -> Result<(), key_value::Error> {
        let label = self.label(&store)?;
        self.shared.kv.with(&label, |m| m.remove(&key));
        Ok(())
    }

    fn exists(
        &mut self,
        store: Resource<OpenStore>,
        key: String,
    ) -> Result<bool, key_value::Error> {
        let label = self.label(&store)?;
        Ok(self.shared.kv.with(&label, |m| m.contains_key(&key)))
    }

    fn get_keys(&mut self, store: Resource<OpenStore>) -> Result<Vec<String>, key_value::Error> {
        let label = self.label(&store)?;
        Ok(self.shared.kv.with(&label, |m| m.keys().cloned().collect()))
    }

    fn drop(&mut self, store: Resource<OpenStore>) -> wasmtime::Result<()> {
        self.table.delete(store)?;
        Ok(())
    }
}

impl variables::Host for State {
    fn get(&mut self, name: String) -> Result<String, variables::Error> {
        let valid = name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !valid {
            return Err(variables::Error::InvalidName(name));
        }
        self.shared
            .app
            .variables
            .get(&name)
            .cloned()
            .ok_or(variables::Error::Undefined(name))
    }
}
