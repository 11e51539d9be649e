"""numkeras.applications has Keras's layout: the same constructors at the top and in each
module, with Keras's signatures and defaults."""

import inspect

import pytest

import numkeras


def _public(module):
    return {n for n in dir(module) if not n.startswith("_")}


def test_every_keras_application_name_is_here(keras):
    missing = {}
    for name in _public(keras.applications):
        ours = getattr(numkeras.applications, name, None)
        theirs = getattr(keras.applications, name)
        if ours is None:
            missing[name] = "absent"
        elif inspect.ismodule(theirs):
            lacking = _public(theirs) - _public(ours)
            if lacking:
                missing[name] = sorted(lacking)
    assert missing == {}


def _constructors(keras):
    for name in sorted(_public(keras.applications)):
        theirs = getattr(keras.applications, name)
        if callable(theirs) and not inspect.ismodule(theirs):
            ours = getattr(numkeras.applications, name, None)
            if ours is not None:
                yield name, ours, theirs


def test_constructors_have_keras_s_signatures(keras):
    checked = 0
    for name, ours, theirs in _constructors(keras):
        assert inspect.signature(ours) == inspect.signature(theirs), name
        checked += 1
    assert checked >= 30


@pytest.mark.parametrize(
    "module",
    ["vgg16", "resnet", "resnet_v2", "mobilenet_v2", "densenet", "efficientnet", "convnext"],
)
def test_module_constructors_are_the_top_level_ones(module):
    package = numkeras.applications
    for name in getattr(package, module).__all__:
        if name[0].isupper():
            assert getattr(getattr(package, module), name) is getattr(package, name)
