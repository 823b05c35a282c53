//! Values across the boundary. Python objects become the JSON text every other language sends
//! the core (so Python is parsed by exactly the same code), and the core's values become Python
//! objects directly through serde, with every decimal a `decimal.Decimal`: the core serializes
//! decimals under [`DECIMAL_NEWTYPE_NAME`], so no amount is guessed from a string's shape.

use std::cell::RefCell;
use std::fmt;

use commerce_core::{DECIMAL_NEWTYPE_NAME, Error, ErrorKind};
use pyo3::IntoPyObjectExt;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyMapping, PyString, PyTuple, PyType};
use rustc_hash::FxHashMap;
use serde::Serialize;
use serde::ser;

use crate::errors::to_py_err;
use crate::money::PyMoney;

/// How deep a request may nest; the core's types nest less than a dozen levels.
const MAX_DEPTH: usize = 64;

static DECIMAL: PyOnceLock<Py<PyType>> = PyOnceLock::new();

/// `decimal.Decimal`.
pub fn decimal_type(py: Python<'_>) -> PyResult<&Bound<'_, PyType>> {
    DECIMAL.import(py, "decimal", "Decimal")
}

/// A new `decimal.Decimal` from its exact text.
pub fn new_decimal<'py>(py: Python<'py>, text: &str) -> PyResult<Bound<'py, PyAny>> {
    decimal_type(py)?.call1((text,))
}

/// The exact text of a decimal given as `decimal.Decimal`, `str` or `int`. A float is a
/// `TypeError`: binary floats cannot hold most cent amounts exactly.
pub fn decimal_text(value: &Bound<'_, PyAny>, what: &str) -> PyResult<String> {
    if let Ok(text) = value.cast::<PyString>() {
        return Ok(text.to_str()?.to_owned());
    }
    if value.is_instance(decimal_type(value.py())?)? {
        return fixed_point(value);
    }
    if value.is_instance_of::<PyInt>() && !value.is_instance_of::<PyBool>() {
        return Ok(value.str()?.to_str()?.to_owned());
    }
    Err(type_error(value, what))
}

/// A finite `Decimal` in fixed-point notation (`str()` would write `1E+2`).
fn fixed_point(value: &Bound<'_, PyAny>) -> PyResult<String> {
    if !value.call_method0("is_finite")?.is_truthy()? {
        return Err(to_py_err(
            value.py(),
            &Error::new(ErrorKind::InvalidAmount {
                input: value.str()?.to_string(),
            }),
        ));
    }
    value
        .call_method1("__format__", ("f",))?
        .extract::<String>()
}

fn type_error(value: &Bound<'_, PyAny>, what: &str) -> PyErr {
    let type_name = value
        .get_type()
        .name()
        .map_or_else(|_| "?".to_string(), |n| n.to_string());
    if value.is_instance_of::<PyFloat>() {
        PyTypeError::new_err(format!(
            "{what} is the float {}: amounts and rates must be decimal.Decimal or str (\"19.99\"), never float, which cannot hold most cent amounts exactly",
            value
                .repr()
                .map_or_else(|_| "?".to_string(), |r| r.to_string())
        ))
    } else {
        PyTypeError::new_err(format!(
            "{what} must be decimal.Decimal, str or int, not {type_name}"
        ))
    }
}

/// Writes a Python value as JSON text: dicts (and other mappings) with string keys, lists and
/// tuples, `str`, `int`, `bool`, `None`, `decimal.Decimal` and `Money`. Floats are refused.
pub fn to_json(value: &Bound<'_, PyAny>) -> PyResult<String> {
    let mut out = String::with_capacity(256);
    let mut path = Vec::new();
    write_json(value, &mut out, &mut path)?;
    Ok(out)
}

enum Segment {
    Key(String),
    Index(usize),
}

fn describe(path: &[Segment]) -> String {
    if path.is_empty() {
        return "the value".to_string();
    }
    let mut text = String::new();
    for segment in path {
        match segment {
            Segment::Key(key) if text.is_empty() => text.push_str(key),
            Segment::Key(key) => {
                text.push('.');
                text.push_str(key);
            }
            Segment::Index(i) => text.push_str(&format!("[{i}]")),
        }
    }
    text
}

fn write_json(value: &Bound<'_, PyAny>, out: &mut String, path: &mut Vec<Segment>) -> PyResult<()> {
    if path.len() > MAX_DEPTH {
        return Err(PyValueError::new_err(format!(
            "{} nests deeper than {MAX_DEPTH} levels",
            describe(path)
        )));
    }
    if value.is_none() {
        out.push_str("null");
    } else if let Ok(text) = value.cast::<PyString>() {
        write_string(text.to_str()?, out);
    } else if let Ok(flag) = value.cast::<PyBool>() {
        out.push_str(if flag.is_true() { "true" } else { "false" });
    } else if value.is_instance_of::<PyInt>() {
        // Beyond 64 bits, as every other surface reads such a number: a request that cannot
        // be read (`invalid_request`), here naming the field.
        let number: i64 = value.extract().map_err(|_| {
            let error = Error::new(ErrorKind::InvalidRequest {
                message: format!("the integer {value} is beyond 64 bits"),
            });
            let error = if path.is_empty() {
                error
            } else {
                error.at(describe(path))
            };
            to_py_err(value.py(), &error)
        })?;
        out.push_str(&number.to_string());
    } else if let Ok(dict) = value.cast::<PyDict>() {
        write_object(dict.iter(), out, path)?;
    } else if let Ok(list) = value.cast::<PyList>() {
        write_array(list.iter(), out, path)?;
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        write_array(tuple.iter(), out, path)?;
    } else if value.is_instance(decimal_type(value.py())?)? {
        write_string(&fixed_point(value)?, out);
    } else if let Ok(money) = value.cast::<PyMoney>() {
        out.push_str(
            &serde_json::to_string(&money.get().inner)
                .map_err(|e| PyValueError::new_err(e.to_string()))?,
        );
    } else if let Ok(mapping) = value.cast::<PyMapping>() {
        let items = mapping.items()?;
        let pairs: Vec<(Bound<'_, PyAny>, Bound<'_, PyAny>)> = items
            .iter()
            .map(|item| item.extract())
            .collect::<PyResult<_>>()?;
        write_object(pairs.into_iter(), out, path)?;
    } else {
        return Err(type_error(value, &describe(path)));
    }
    Ok(())
}

fn write_object<'py>(
    entries: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    out: &mut String,
    path: &mut Vec<Segment>,
) -> PyResult<()> {
    out.push('{');
    for (n, (key, item)) in entries.enumerate() {
        let key = key.cast_into::<PyString>().map_err(|e| {
            PyTypeError::new_err(format!(
                "{} has a key that is not a str: {}",
                describe(path),
                e.into_inner()
            ))
        })?;
        let key = key.to_str()?;
        if n > 0 {
            out.push(',');
        }
        write_string(key, out);
        out.push(':');
        path.push(Segment::Key(key.to_owned()));
        write_json(&item, out, path)?;
        path.pop();
    }
    out.push('}');
    Ok(())
}

fn write_array<'py>(
    items: impl Iterator<Item = Bound<'py, PyAny>>,
    out: &mut String,
    path: &mut Vec<Segment>,
) -> PyResult<()> {
    out.push('[');
    for (n, item) in items.enumerate() {
        if n > 0 {
            out.push(',');
        }
        path.push(Segment::Index(n));
        write_json(&item, out, path)?;
        path.pop();
    }
    out.push(']');
    Ok(())
}

fn write_string(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A core value as Python objects: structs and maps become `dict`, sequences `list`, decimals
/// `decimal.Decimal`.
pub fn to_py<'py, T: Serialize + ?Sized>(
    py: Python<'py>,
    value: &T,
) -> PyResult<Bound<'py, PyAny>> {
    let ctx = Context {
        py,
        decimal: decimal_type(py)?.clone(),
        decimals: RefCell::new(FxHashMap::with_capacity_and_hasher(64, Default::default())),
    };
    value.serialize(PySerializer { ctx: &ctx }).map_err(|e| e.0)
}

/// A failed conversion, carrying the Python exception.
pub struct ConvertError(PyErr);

impl fmt::Debug for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}

impl fmt::Display for ConvertError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl std::error::Error for ConvertError {}

impl ser::Error for ConvertError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        ConvertError(PyValueError::new_err(message.to_string()))
    }
}

impl From<PyErr> for ConvertError {
    fn from(error: PyErr) -> Self {
        ConvertError(error)
    }
}

type Out<'py> = Result<Bound<'py, PyAny>, ConvertError>;

#[derive(Clone, Copy)]
struct PySerializer<'a, 'py> {
    ctx: &'a Context<'py>,
}

thread_local! {
    /// Dict keys, made once per field name (interned, their hash cached) and kept.
    static KEYS: RefCell<FxHashMap<(usize, usize), Py<PyString>>> =
        RefCell::new(FxHashMap::default());
}

/// What one conversion shares: decimals made once per distinct text (a quote repeats `0.00` and its rates many times;
/// `Decimal` is immutable, so sharing one object is safe).
struct Context<'py> {
    py: Python<'py>,
    decimal: Bound<'py, PyType>,
    decimals: RefCell<FxHashMap<String, Bound<'py, PyAny>>>,
}

impl<'py> Context<'py> {
    fn key(&self, name: &'static str) -> Bound<'py, PyString> {
        KEYS.with_borrow_mut(|keys| {
            keys.entry((name.as_ptr() as usize, name.len()))
                .or_insert_with(|| PyString::intern(self.py, name).unbind())
                .bind(self.py)
                .clone()
        })
    }

    fn decimal(&self, text: String) -> PyResult<Bound<'py, PyAny>> {
        if let Some(found) = self.decimals.borrow().get(&text) {
            return Ok(found.clone());
        }
        let made = self.decimal.call1((text.as_str(),))?;
        self.decimals.borrow_mut().insert(text, made.clone());
        Ok(made)
    }
}

impl<'a, 'py> PySerializer<'a, 'py> {
    fn int<T>(self, value: T) -> Out<'py>
    where
        T: pyo3::IntoPyObject<'py>,
    {
        Ok(value.into_bound_py_any(self.ctx.py)?)
    }

    fn wrap(self, variant: &str, value: Bound<'py, PyAny>) -> Out<'py> {
        let dict = PyDict::new(self.ctx.py);
        dict.set_item(variant, value)?;
        Ok(dict.into_any())
    }
}

/// Collects the items of a sequence (and, with `variant`, wraps them as `{variant: [...]}`).
struct SeqBuilder<'a, 'py> {
    ctx: &'a Context<'py>,
    items: Vec<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'a, 'py> SeqBuilder<'a, 'py> {
    fn push<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.items
            .push(value.serialize(PySerializer { ctx: self.ctx })?);
        Ok(())
    }

    fn finish(self) -> Out<'py> {
        let list = PyList::new(self.ctx.py, self.items)?.into_any();
        match self.variant {
            Some(variant) => PySerializer { ctx: self.ctx }.wrap(variant, list),
            None => Ok(list),
        }
    }
}

/// Builds a dict (and, with `variant`, wraps it as `{variant: {...}}`).
struct DictBuilder<'a, 'py> {
    ctx: &'a Context<'py>,
    dict: Bound<'py, PyDict>,
    key: Option<Bound<'py, PyAny>>,
    variant: Option<&'static str>,
}

impl<'a, 'py> DictBuilder<'a, 'py> {
    fn finish(self) -> Out<'py> {
        let dict = self.dict.into_any();
        match self.variant {
            Some(variant) => PySerializer { ctx: self.ctx }.wrap(variant, dict),
            None => Ok(dict),
        }
    }
}

impl<'a, 'py> ser::Serializer for PySerializer<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    type SerializeSeq = SeqBuilder<'a, 'py>;
    type SerializeTuple = SeqBuilder<'a, 'py>;
    type SerializeTupleStruct = SeqBuilder<'a, 'py>;
    type SerializeTupleVariant = SeqBuilder<'a, 'py>;
    type SerializeMap = DictBuilder<'a, 'py>;
    type SerializeStruct = DictBuilder<'a, 'py>;
    type SerializeStructVariant = DictBuilder<'a, 'py>;

    fn serialize_bool(self, v: bool) -> Out<'py> {
        Ok(PyBool::new(self.ctx.py, v).to_owned().into_any())
    }
    fn serialize_i8(self, v: i8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i16(self, v: i16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i32(self, v: i32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i64(self, v: i64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_i128(self, v: i128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u8(self, v: u8) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u16(self, v: u16) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u32(self, v: u32) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u64(self, v: u64) -> Out<'py> {
        self.int(v)
    }
    fn serialize_u128(self, v: u128) -> Out<'py> {
        self.int(v)
    }
    fn serialize_f32(self, v: f32) -> Out<'py> {
        Ok(PyFloat::new(self.ctx.py, f64::from(v)).into_any())
    }
    fn serialize_f64(self, v: f64) -> Out<'py> {
        Ok(PyFloat::new(self.ctx.py, v).into_any())
    }
    fn serialize_char(self, v: char) -> Out<'py> {
        let mut buffer = [0u8; 4];
        self.serialize_str(v.encode_utf8(&mut buffer))
    }
    fn serialize_str(self, v: &str) -> Out<'py> {
        Ok(PyString::new(self.ctx.py, v).into_any())
    }
    fn serialize_bytes(self, v: &[u8]) -> Out<'py> {
        Ok(pyo3::types::PyBytes::new(self.ctx.py, v).into_any())
    }
    fn serialize_none(self) -> Out<'py> {
        Ok(self.ctx.py.None().into_bound(self.ctx.py))
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Out<'py> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Out<'py> {
        self.serialize_none()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Out<'py> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Out<'py> {
        if name == DECIMAL_NEWTYPE_NAME
            && let Ok(serde_json::Value::String(text)) =
                value.serialize(serde_json::value::Serializer)
        {
            return Ok(self.ctx.decimal(text)?);
        }
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Out<'py> {
        let inner = value.serialize(self)?;
        self.wrap(variant, inner)
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<SeqBuilder<'a, 'py>, ConvertError> {
        Ok(SeqBuilder {
            ctx: self.ctx,
            items: Vec::with_capacity(len.unwrap_or(0)),
            variant: None,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<SeqBuilder<'a, 'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'a, 'py>, ConvertError> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<SeqBuilder<'a, 'py>, ConvertError> {
        let mut builder = self.serialize_seq(Some(len))?;
        builder.variant = Some(variant);
        Ok(builder)
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<DictBuilder<'a, 'py>, ConvertError> {
        Ok(DictBuilder {
            ctx: self.ctx,
            dict: PyDict::new(self.ctx.py),
            key: None,
            variant: None,
        })
    }
    fn serialize_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<DictBuilder<'a, 'py>, ConvertError> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<DictBuilder<'a, 'py>, ConvertError> {
        let mut builder = self.serialize_map(Some(len))?;
        builder.variant = Some(variant);
        Ok(builder)
    }
}

impl<'a, 'py> ser::SerializeSeq for SeqBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTuple for SeqBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTupleStruct for SeqBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeTupleVariant for SeqBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        self.push(value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeMap for DictBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), ConvertError> {
        self.key = Some(key.serialize(PySerializer { ctx: self.ctx })?);
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), ConvertError> {
        let key = self
            .key
            .take()
            .ok_or_else(|| <ConvertError as ser::Error>::custom("a map value without a key"))?;
        let value = value.serialize(PySerializer { ctx: self.ctx })?;
        self.dict.set_item(key, value)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeStruct for DictBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ConvertError> {
        let value = value.serialize(PySerializer { ctx: self.ctx })?;
        self.dict.set_item(self.ctx.key(key), value)?;
        Ok(())
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

impl<'a, 'py> ser::SerializeStructVariant for DictBuilder<'a, 'py> {
    type Ok = Bound<'py, PyAny>;
    type Error = ConvertError;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), ConvertError> {
        ser::SerializeStruct::serialize_field(self, key, value)
    }
    fn end(self) -> Out<'py> {
        self.finish()
    }
}

/// Reads a core type from a Python value (through the same JSON the other languages send).
pub fn from_py<T: serde::de::DeserializeOwned>(value: &Bound<'_, PyAny>) -> PyResult<T> {
    let json = to_json(value)?;
    read_json(&json).map_err(|e| to_py_err(value.py(), &e))
}

/// Reads JSON this module made from a Python value. A mistake is told as the Python caller
/// wrote it: the path of the field (`variants[0].prices`), and no line or column of a JSON
/// text they never saw.
fn read_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, Error> {
    commerce_core::json::from_json(json.as_bytes())
}

/// As [`from_py`], with an unreadable value's error naming `field`.
pub fn from_py_at<T: serde::de::DeserializeOwned>(
    value: &Bound<'_, PyAny>,
    field: &str,
) -> PyResult<T> {
    let json = to_json(value)?;
    read_json(&json).map_err(|e| to_py_err(value.py(), &e.at(field)))
}

/// A core enum from its snake-case name (`"manual"`, `"half_up"`), as JSON writes it; an
/// unknown name is `invalid_request` naming `field` and the names there are.
pub fn from_name<T: serde::de::DeserializeOwned>(
    py: Python<'_>,
    name: &str,
    field: &str,
) -> PyResult<T> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|e| to_py_err(py, &Error::unreadable(&e).at(field)))
}
