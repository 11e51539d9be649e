"""`numkeras.dtype_policies`: Keras's `DTypePolicy` for single-dtype policies (kept in
`numkeras.backend.dtype_policies`, below the layers that use it)."""

from numkeras.backend.dtype_policies import (
    DTypePolicy,
    FloatDTypePolicy,
    deserialize,
    get,
    serialize,
)

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
