//! String columns of a notice's tables as the buffers of an Arrow `string` array (offsets as
//! little-endian i32, then the UTF-8 data): pipeline/run.py wraps them without a copy. A
//! notice has hundreds of clauses, and making each one's text, original text and id a
//! Python string, then converting the list, cost more than the rest of its clauses table.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;

use crate::chars::Offsets;

/// Offsets and data of a string column being built.
#[derive(Default)]
struct Column {
    offsets: Vec<u8>,
    data: Vec<u8>,
}

impl Column {
    fn with_capacity(rows: usize, bytes: usize) -> Column {
        let mut offsets = Vec::with_capacity(4 * (rows + 1));
        offsets.extend(0i32.to_le_bytes());
        Column { offsets, data: Vec::with_capacity(bytes) }
    }

    fn push(&mut self, value: &str) -> PyResult<()> {
        self.data.extend_from_slice(value.as_bytes());
        let end = i32::try_from(self.data.len()).map_err(|_| PyValueError::new_err("a column of 2 GB or more"))?;
        self.offsets.extend(end.to_le_bytes());
        Ok(())
    }

    fn into_py<'py>(self, py: Python<'py>) -> (Bound<'py, PyBytes>, Bound<'py, PyBytes>) {
        (PyBytes::new(py, &self.offsets), PyBytes::new(py, &self.data))
    }
}

/// text[starts[i]:ends[i]] (in characters, clamped as Python slices) for each i.
#[pyfunction]
pub fn slices<'py>(
    py: Python<'py>,
    text: &str,
    starts: Vec<usize>,
    ends: Vec<usize>,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    if starts.len() != ends.len() {
        return Err(PyValueError::new_err("starts and ends of different lengths"));
    }
    let column = py.allow_threads(|| {
        let offsets = Offsets::of(text).ok_or_else(|| PyValueError::new_err("a text of 4 GB or more"))?;
        let mut column = Column::with_capacity(starts.len(), text.len());
        for (&a, &b) in starts.iter().zip(&ends) {
            column.push(offsets.slice(text, a, b))?;
        }
        Ok::<Column, PyErr>(column)
    })?;
    Ok(column.into_py(py))
}

/// f"{prefix}{i:0{width}d}" for i in range(n): a notice's clause ids.
#[pyfunction]
pub fn numbered<'py>(
    py: Python<'py>,
    prefix: &str,
    n: usize,
    width: usize,
) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>)> {
    let column = py.allow_threads(|| {
        let mut column = Column::with_capacity(n, n * (prefix.len() + width));
        let mut value = String::with_capacity(prefix.len() + width + 4);
        for i in 0..n {
            value.clear();
            value.push_str(prefix);
            value.push_str(&format!("{i:0width$}"));
            column.push(&value)?;
        }
        Ok::<Column, PyErr>(column)
    })?;
    Ok(column.into_py(py))
}
