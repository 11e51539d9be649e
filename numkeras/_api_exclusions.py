"""Public Keras names numkeras will not have, each with the reason (reviewed; see issue 14).

The API census (tests/test_api_census.py) counts these as accounted for. A reason says why the
name has no meaning on a single NumPy backend, never that it is simply not done yet.
"""

_TORCH = "torch-backend only (nn.Module entry point)"
_JIT = "jit_compile machinery; numkeras runs eagerly"
_QUANT = "quantization, not supported"
_LORA = "LoRA fine-tuning, tied to quantization"
_REMAT = "rematerialization of compiled graphs"
_EXPORT = "SavedModel/ONNX/OpenVINO export, TF-only"


def _members(objects, reasons):
    return {f"{o}.{n}": why for o in objects for n, why in reasons.items()}


EXCLUDED = {
    # backend-specific layers and switches
    "layers.FlaxLayer": "wraps a JAX/Flax module, JAX-only",
    "layers.JaxLayer": "wraps a JAX function, JAX-only",
    "layers.TorchModuleWrapper": "wraps a torch.nn.Module, torch-only",
    "layers.TFSMLayer": "loads a TF SavedModel, TF-only",
    "config.is_nnx_enabled": "Flax NNX switch, JAX-only",
    "config.set_backend": "numkeras is one backend (NumPy)",
    "callbacks.OrbaxCheckpoint": "Orbax checkpoints, JAX-only",
    "keras.legacy": "tf.keras 2 compatibility, TF-only",
    "optimizers.legacy": "tf.keras 2 optimizers, TF-only",
    "utils.legacy": "tf.keras 2 utilities, TF-only",
    "keras.export": _EXPORT,
    "keras.quantizers": _QUANT,
    "keras.Quantizer": _QUANT,
    "keras.remat": _REMAT,
    "keras.RematScope": _REMAT,
    "KerasTensor.ragged_rank": "TF ragged tensors, TF-only",
    "KerasTensor.row_splits_dtype": "TF ragged tensors, TF-only",
    **_members(
        ("Model", "Sequential"), {"export": _EXPORT, "get_quantization_layer_structure": _QUANT}
    ),
    **_members(
        ("Model", "Sequential", "Dense"),
        {
            "forward": _TORCH,
            "named_parameters": _TORCH,
            "torch_params": _TORCH,
            "supports_jit": _JIT,
            "quantize": _QUANT,
            "quantized_build": _QUANT,
            "quantized_call": _QUANT,
            "quantization_mode": _QUANT,
            "rematerialized_call": _REMAT,
        },
    ),
    "Model.jit_compile": _JIT,
    "Sequential.jit_compile": _JIT,
    "Dense.quantization_config": _QUANT,
    "Dense.variable_serialization_spec": "variable layout per quantization mode",
    "Dense.enable_lora": _LORA,
    "Dense.lora_alpha": _LORA,
    "Dense.lora_enabled": _LORA,
    "Dense.lora_rank": _LORA,
}
