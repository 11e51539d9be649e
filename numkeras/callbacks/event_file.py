"""TensorBoard event files without TensorFlow: TFRecord framing, CRC32C and the few protobuf
messages (`Event`, `Summary.Value`, `TensorProto`) the TensorBoard callback writes.

The field numbers are those of tensorflow/core/util/event.proto, summary.proto, tensor.proto
and tensor_shape.proto; a record is `len (uint64) | masked crc32c(len) | data | masked
crc32c(data)`, all little-endian.
"""

import itertools
import os
import socket
import struct
import time

import numpy as np


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):  # reflected Castagnoli polynomial 0x1EDC6F41
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    """CRC-32C (Castagnoli) of `data`, as TFRecord files use.

    >>> hex(crc32c(b"123456789"))
    '0xe3069283'
    """
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data):
    """The CRC TFRecord stores: rotated right by 15 bits plus a constant, so that the CRC of
    data which itself holds CRCs stays well distributed."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def tfrecord(data):
    """`data` framed as one TFRecord."""
    length = struct.pack("<Q", len(data))
    return (
        length
        + struct.pack("<I", masked_crc32c(length))
        + data
        + struct.pack("<I", masked_crc32c(data))
    )


# --- protobuf wire format ----------------------------------------------------------------------
def _varint(n):
    n &= 0xFFFFFFFFFFFFFFFF  # int64: a negative number takes ten bytes, as protobuf writes it
    out = bytearray()
    while n > 0x7F:
        out.append(n & 0x7F | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _int_field(field, n):
    return _varint(field << 3) + _varint(n)


def _bytes_field(field, data):
    data = data.encode("utf-8") if isinstance(data, str) else data
    return _varint(field << 3 | 2) + _varint(len(data)) + data


_DTYPES = {np.dtype("float32"): 1, np.dtype("float64"): 2}  # tensorflow DataType enum
_DT_STRING = 7


def scalar_value(tag, value):
    """`Summary.Value` with `simple_value` (float32), which TensorBoard shows as a scalar."""
    return _bytes_field(1, tag) + _varint(2 << 3 | 5) + np.float32(value).astype("<f4").tobytes()


def tensor_value(tag, tensor, plugin_name, data_class, content=b""):
    """`Summary.Value` holding a `TensorProto` (a float array, or a list of byte strings) with
    the `SummaryMetadata` naming the TensorBoard plugin that reads it."""
    plugin_data = _bytes_field(1, plugin_name) + (_bytes_field(2, content) if content else b"")
    metadata = _bytes_field(1, plugin_data) + _int_field(4, data_class)
    if isinstance(tensor, list):
        shape, body = (len(tensor),), b"".join(_bytes_field(8, s) for s in tensor)
        dtype = _DT_STRING
    else:
        shape, dtype = tensor.shape, _DTYPES[tensor.dtype]
        body = _bytes_field(4, tensor.astype(tensor.dtype.newbyteorder("<")).tobytes())
    shape_proto = b"".join(_bytes_field(2, _int_field(1, size)) for size in shape)
    proto = _int_field(1, dtype) + _bytes_field(2, shape_proto) + body
    return _bytes_field(1, tag) + _bytes_field(9, metadata) + _bytes_field(8, proto)


def event(wall_time, step=0, values=(), file_version=None):
    """A serialized `Event`: `file_version` for a file's first record, else a `Summary`."""
    out = struct.pack("<Bd", 1 << 3 | 1, wall_time) + (_int_field(2, step) if step else b"")
    if file_version is not None:
        out += _bytes_field(3, file_version)
    if values:
        out += _bytes_field(5, b"".join(_bytes_field(1, value) for value in values))
    return out


# --- writer ------------------------------------------------------------------------------------
_file_counter = itertools.count()  # per process, as TensorFlow's writers number their files


class EventFileWriter:
    """Appends events to a new `events.out.tfevents.<time>.<host>.<pid>.<n>.v2` file in
    `logdir` (TensorFlow's name). Events are buffered until `flush`, which opens the file,
    appends and closes it again: no file stays open between flushes."""

    def __init__(self, logdir):
        os.makedirs(logdir, exist_ok=True)
        now = time.time()
        name = (
            f"events.out.tfevents.{int(now):010d}.{socket.gethostname()}.{os.getpid()}."
            f"{next(_file_counter)}.v2"
        )
        self.path = os.path.join(logdir, name)
        self._pending = []
        with open(self.path, "wb") as f:
            f.write(tfrecord(event(float(int(now)), file_version="brain.Event:2")))

    def add(self, step, *values):
        """Buffer one `Event` at `step` holding the `Summary.Value`s `values`."""
        self._pending.append(tfrecord(event(time.time(), int(step), values)))

    def flush(self):
        if self._pending:
            with open(self.path, "ab") as f:
                f.write(b"".join(self._pending))
            self._pending = []
