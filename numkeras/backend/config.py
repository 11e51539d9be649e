"""Global Keras settings: default float type, fuzz factor and image data format."""

__all__ = [
    "epsilon",
    "floatx",
    "image_data_format",
    "set_epsilon",
    "set_floatx",
    "set_image_data_format",
]

_FLOATX_VALUES = ("bfloat16", "float16", "float32", "float64")
_DATA_FORMATS = ("channels_first", "channels_last")
_config = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}


def floatx():
    """The default float type as a string, `"float32"` unless changed with `set_floatx`."""
    return _config["floatx"]


def set_floatx(value):
    """Set the default float type: one of `"bfloat16"`, `"float16"`, `"float32"`, `"float64"`."""
    value = str(value)
    if value not in _FLOATX_VALUES:
        raise ValueError(f"Unknown `floatx` value: {value!r}. Expected one of {_FLOATX_VALUES}.")
    _config["floatx"] = value


def epsilon():
    """The fuzz factor used in numeric expressions, `1e-07` by default."""
    return _config["epsilon"]


def set_epsilon(value):
    """Set the fuzz factor used in numeric expressions."""
    _config["epsilon"] = float(value)


def image_data_format():
    """`"channels_last"` (the default, NHWC) or `"channels_first"` (NCHW)."""
    return _config["image_data_format"]


def set_image_data_format(data_format):
    """Set the default layout of image tensors: `"channels_last"` or `"channels_first"`."""
    data_format = str(data_format).lower()
    if data_format not in _DATA_FORMATS:
        raise ValueError(
            f"The `data_format` argument must be one of {_DATA_FORMATS}. "
            f"Received: data_format={data_format!r}"
        )
    _config["image_data_format"] = data_format
