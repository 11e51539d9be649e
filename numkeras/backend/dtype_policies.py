"""`numkeras.dtype_policies`: a layer's computation and variable dtype, as Keras's
`DTypePolicy`, for single-dtype policies ("float32", "float64", ...).

Mixed precision ("mixed_float16", "mixed_bfloat16") is not offered: numkeras layers compute
in their variables' dtype (there is no autocasting), and NumPy has neither bfloat16 nor fast
float16 kernels. Quantized policies (int8, float8, GPTQ, AWQ) are not offered either.
"""

from numkeras.backend.config import floatx
from numkeras.backend.dtypes import is_float_dtype, standardize_dtype

__all__ = ["DTypePolicy", "FloatDTypePolicy", "deserialize", "get", "serialize"]
_global = {"policy": None}


class DTypePolicy:
    """The dtype a layer computes in and keeps its variables in (the same, in numkeras).

    Args:
        name: a float dtype name such as "float32" or "float64"; defaults to the global
            policy (`numkeras.config.dtype_policy()`).

    >>> policy = DTypePolicy("float64")
    >>> policy.compute_dtype, policy.variable_dtype, policy.get_config()
    ('float64', 'float64', {'name': 'float64'})
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        if not isinstance(name, str):
            raise TypeError(
                f"'name' must be a string, such as 'mixed_float16'. Received: "
                f"name={name} (of type {type(name)})"
            )
        if name.startswith("mixed_"):
            raise ValueError(
                f"numkeras doesn't support the mixed precision policy {name!r}: its layers "
                "compute in their variables' dtype. Use 'float32' or 'float64'."
            )
        try:
            valid = is_float_dtype(name) and name != "bfloat16"
        except ValueError:
            valid = False
        if not valid:
            raise ValueError(
                f"Cannot convert '{name}' to a DTypePolicy. Valid policies are the name of a "
                "float dtype such as 'float32' or 'float64'."
            )
        self._name = standardize_dtype(name)

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        return self._name

    @property
    def variable_dtype(self):
        return self._name

    @property
    def quantization_mode(self):
        return None

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash((type(self), self._name))

    def __repr__(self):
        return f'<{type(self).__name__} "{self._name}">'


class FloatDTypePolicy(DTypePolicy):
    """Keras's older name for a float `DTypePolicy`."""


def set_dtype_policy(policy):
    """Make `policy` (a DTypePolicy or its name) the default of every new layer."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    if not isinstance(policy, DTypePolicy):
        raise ValueError(
            "Invalid `policy` argument. Expected the string name of a policy (such as "
            f"'float64') or a `DTypePolicy` instance. Received: policy={policy} "
            f"(of type {type(policy)})"
        )
    _global["policy"] = policy


def dtype_policy():
    """The default policy of new layers: the one set, else `floatx()`'s."""
    return _global["policy"] or DTypePolicy(floatx())


def serialize(policy):
    return {
        "module": "keras",
        "class_name": "DTypePolicy",
        "config": policy.get_config(),
        "registered_name": None,
    }


def deserialize(config, custom_objects=None):
    """A policy from `serialize`'s dict (FloatDTypePolicy and Keras 2's Policy too)."""
    if config.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy", "Policy"):
        raise ValueError(f"Unknown dtype policy {config.get('class_name')!r}.")
    return DTypePolicy.from_config(config.get("config") or {})


def get(identifier):
    """A policy from None (the global one), a name, a config dict or a policy."""
    if identifier is None:
        return dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return DTypePolicy(identifier)
    raise ValueError(
        f"Cannot interpret `dtype` argument. Expected a string or an instance of "
        f"DTypePolicy. Received: dtype={identifier}"
    )


def policy_for(name):
    """The policy of a layer of dtype `name` (a non-float dtype, as some preprocessing layers
    have, gets a policy too, as Keras gives them)."""
    try:
        return DTypePolicy(name)
    except ValueError:
        policy = DTypePolicy.__new__(DTypePolicy)
        policy._name = standardize_dtype(name)
        return policy
