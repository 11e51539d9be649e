"""`image_dataset_from_directory`, `text_dataset_from_directory` and
`audio_dataset_from_directory`: one class per folder,
as batches of NumPy arrays (a PyDataset `fit` takes) in Keras's file order."""

import os
import wave

import numpy as np

from numkeras.utils.image_utils import img_to_array, load_img
from numkeras.utils.timeseries_dataset import ArrayBatches

IMAGE_FORMATS = (".bmp", ".gif", ".jpeg", ".jpg", ".png")


def index_directory(
    directory,
    labels,
    formats,
    class_names=None,
    shuffle=True,
    seed=None,
    follow_links=False,
    verbose=True,
):
    """Keras's `(file_paths, labels, class_names)`: subfolders sorted, files sorted within
    each, shuffled (paths and labels alike) with `np.random.RandomState(seed)`."""
    if labels == "inferred":
        subdirs = [
            d
            for d in sorted(os.listdir(directory))
            if os.path.isdir(os.path.join(directory, d)) and not d.startswith(".")
        ]
        if class_names is not None:
            if not set(class_names).issubset(subdirs):
                raise ValueError(
                    "The `class_names` passed did not match the names of the subdirectories "
                    f"of the target directory. Expected: {subdirs} (or a subset of it), but "
                    f"received: class_names={class_names}"
                )
            subdirs = list(class_names)
    else:
        if class_names is not None:
            raise ValueError(
                "When `labels=None` (no labels), argument `class_names` cannot be specified."
                if labels is None
                else "When argument `labels` is specified, argument `class_names` cannot be "
                "specified (the `class_names` will be the sorted list of labels)."
            )
        subdirs = [""]
    filenames, found = [], []
    for index, subdir in enumerate(subdirs):
        root = os.path.join(directory, subdir)
        for dirpath, dirnames, files in sorted(os.walk(root, followlinks=follow_links)):
            dirnames.sort()
            for name in sorted(files):
                if name.lower().endswith(formats):
                    filenames.append(os.path.relpath(os.path.join(dirpath, name), directory))
                    found.append(index)
    if labels == "inferred":
        labels = np.array(found, dtype="int32")
        class_names = subdirs
    elif labels is None:
        class_names = None
    else:
        if len(labels) != len(filenames):
            raise ValueError(
                "Expected the lengths of `labels` to match the number of files in the target "
                f"directory. len(labels) is {len(labels)} while we found {len(filenames)} files "
                f"in directory {directory}."
            )
        class_names = [str(label) for label in sorted(set(labels))]
        labels = np.asarray(labels)
    if verbose:
        print(
            f"Found {len(filenames)} files."
            if labels is None
            else f"Found {len(filenames)} files belonging to {len(class_names)} classes."
        )
    paths = [os.path.join(directory, name) for name in filenames]
    if shuffle:
        seed = np.random.randint(1e6) if seed is None else seed
        np.random.RandomState(seed).shuffle(paths)
        if labels is not None:
            np.random.RandomState(seed).shuffle(labels)
    return paths, labels, class_names


def _split(paths, labels, validation_split, subset, shuffle, seed):
    """Keras's split: the last `int(validation_split * n)` files validate."""
    if validation_split is None:
        if subset is not None:
            raise ValueError("If `subset` is set, `validation_split` must be set as well.")
        return {None: (paths, labels)}
    if not 0 < validation_split < 1:
        raise ValueError(
            f"`validation_split` must be between 0 and 1, received: {validation_split}"
        )
    if subset not in ("training", "validation", "both"):
        raise ValueError(
            f'`subset` must be either "training", "validation" or "both", received: {subset}'
        )
    if shuffle and seed is None:
        raise ValueError(
            "If using `validation_split` and shuffling the data, you must provide a `seed` "
            "argument, to make sure that there is no overlap between the training and "
            "validation subset."
        )
    cut = len(paths) - int(validation_split * len(paths))
    parts = {
        "training": (paths[:cut], None if labels is None else labels[:cut]),
        "validation": (paths[cut:], None if labels is None else labels[cut:]),
    }
    return parts if subset == "both" else {subset: parts[subset]}


def _encode(labels, label_mode, num_classes):
    if label_mode == "binary":
        return labels.astype("float32")[:, None]
    if label_mode == "categorical":
        return np.eye(num_classes, dtype="float32")[labels]
    return labels


def _check_label_mode(label_mode, labels, class_names):
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if labels is None or label_mode is None:
        return None
    if label_mode == "binary" and len(class_names) != 2:
        raise ValueError(
            'When passing `label_mode="binary"`, there must be exactly 2 class_names. '
            f"Received: class_names={class_names}"
        )
    return label_mode


def _datasets(parts, label_mode, class_names, batch_size, load):
    out = []
    for paths, labels in parts.values():

        def make(chosen, single, paths=paths, labels=labels):
            x = np.stack([load(paths[i]) for i in chosen])
            x = x[0] if single else x
            if label_mode is None or labels is None:
                return x
            y = _encode(np.asarray(labels)[chosen], label_mode, len(class_names))
            return x, (y[0] if single else y)

        dataset = ArrayBatches(np.arange(len(paths)), batch_size, make)
        dataset.class_names, dataset.file_paths = class_names, list(paths)
        out.append(dataset)
    return out if len(out) > 1 else out[0]


def image_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    color_mode="rgb",
    batch_size=32,
    image_size=(256, 256),
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    interpolation="bilinear",
    follow_links=False,
    crop_to_aspect_ratio=False,
    pad_to_aspect_ratio=False,
    data_format=None,
    verbose=True,
):
    """Batches `(images, labels)` of the images under `directory` (one subfolder per class),
    float32 `(batch, height, width, channels)`, resized with Pillow to `image_size`.

    Keras returns a `tf.data.Dataset` and resizes with TensorFlow; images already at
    `image_size` give Keras's values exactly. `.class_names` and `.file_paths` are set.
    """
    if color_mode not in ("rgb", "rgba", "grayscale"):
        raise ValueError(
            '`color_mode` must be one of {"rgb", "rgba", "grayscale"}. '
            f"Received: color_mode={color_mode}"
        )
    if pad_to_aspect_ratio:
        raise ValueError(
            "numkeras's image_dataset_from_directory doesn't pad "
            "(pad_to_aspect_ratio=True); use crop_to_aspect_ratio instead."
        )
    paths, labels, class_names = index_directory(
        directory, labels, IMAGE_FORMATS, class_names, shuffle, seed, follow_links, verbose
    )
    label_mode = _check_label_mode(label_mode, labels, class_names)
    parts = _split(paths, labels, validation_split, subset, shuffle, seed)

    def load(path):
        img = load_img(
            path,
            color_mode,
            tuple(image_size),
            interpolation,
            keep_aspect_ratio=crop_to_aspect_ratio,
        )
        return img_to_array(img, data_format=data_format)

    return _datasets(parts, label_mode, class_names, batch_size, load)


def text_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    max_length=None,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """Batches `(texts, labels)` of the `.txt` files under `directory` (one subfolder per
    class); texts are a NumPy array of str, cut to `max_length` characters if given."""
    paths, labels, class_names = index_directory(
        directory, labels, (".txt",), class_names, shuffle, seed, follow_links, verbose
    )
    label_mode = _check_label_mode(label_mode, labels, class_names)
    parts = _split(paths, labels, validation_split, subset, shuffle, seed)

    def load(path):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        return np.array(text[:max_length] if max_length is not None else text, dtype=object)

    return _datasets(parts, label_mode, class_names, batch_size, load)


def read_wav(path, desired_samples=-1):
    """A 16-bit PCM WAV file as float32 `(samples, channels)` in [-1, 1), as
    `tf.audio.decode_wav` reads it: cut or zero-padded to `desired_samples` if not -1."""
    with wave.open(str(path), "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(
                f"Can only read 16-bit WAV files, but received {8 * f.getsampwidth()} "
                f"(file {path})."
            )
        channels = f.getnchannels()
        frames = f.readframes(f.getnframes())
    audio = np.frombuffer(frames, "<i2").reshape(-1, channels).astype("float32") / 32768.0
    if desired_samples == -1:
        return audio
    audio = audio[:desired_samples]
    return np.pad(audio, [(0, desired_samples - len(audio)), (0, 0)])


def _pad_batch(clips):
    """Clips of different lengths zero-padded to the longest, as `padded_batch`."""
    longest = max(len(c) for c in clips)
    return np.stack([np.pad(c, [(0, longest - len(c)), (0, 0)]) for c in clips])


def audio_dataset_from_directory(
    directory,
    labels="inferred",
    label_mode="int",
    class_names=None,
    batch_size=32,
    sampling_rate=None,
    output_sequence_length=None,
    ragged=False,
    shuffle=True,
    seed=None,
    validation_split=None,
    subset=None,
    follow_links=False,
    verbose=True,
):
    """Batches `(audio, labels)` of the `.wav` files under `directory` (one subfolder per
    class): float32 `(batch, samples, channels)`, each batch zero-padded to its longest clip,
    or every clip cut/padded to `output_sequence_length`. With `ragged=True` a batch's audio
    is a list of `(samples, channels)` arrays.

    Keras returns a `tf.data.Dataset` (and reshuffles it through a buffer); this returns a
    PyDataset of NumPy batches in Keras's file order. `.class_names` and `.file_paths` are
    set. Resampling (`sampling_rate`, which needs tensorflow-io in Keras) is not supported.
    """
    if labels not in ("inferred", None):
        if not isinstance(labels, (list, tuple)):
            raise ValueError(
                "The `labels` argument should be a list/tuple of integer labels, of the same "
                "size as the number of audio files in the target directory. If you wish to "
                "infer the labels from the subdirectory names in the target directory, pass "
                '`labels="inferred"`. If you wish to get a dataset that only contains audio '
                f"samples (no labels), pass `labels=None`. Received: labels={labels}"
            )
        if class_names:
            raise ValueError(
                'You can only pass `class_names` if `labels="inferred"`. Received: '
                f"labels={labels}, and class_names={class_names}"
            )
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(
            '`label_mode` argument must be one of "int", "categorical", "binary", or None. '
            f"Received: label_mode={label_mode}"
        )
    if ragged and output_sequence_length is not None:
        raise ValueError("Cannot set both `ragged` and `output_sequence_length`")
    if sampling_rate is not None:
        if not isinstance(sampling_rate, int):
            raise ValueError(
                f"`sampling_rate` should have an integer value. Received: "
                f"sampling_rate={sampling_rate}"
            )
        if sampling_rate <= 0:
            raise ValueError(
                f"`sampling_rate` should be higher than 0. Received: sampling_rate={sampling_rate}"
            )
        raise NotImplementedError(
            "audio_dataset_from_directory: numkeras does not resample audio "
            f"(sampling_rate={sampling_rate}); pass sampling_rate=None."
        )
    if labels is None or label_mode is None:
        labels = label_mode = None
    _split([], None, validation_split, subset, shuffle, seed)  # argument errors first
    if seed is None:
        seed = np.random.randint(1e6)
    paths, labels, class_names = index_directory(
        directory, labels, (".wav",), class_names, shuffle, seed, follow_links, verbose
    )
    label_mode = _check_label_mode(label_mode, labels, class_names)
    parts = _split(paths, labels, validation_split, subset, shuffle, seed)
    for which, (chosen, _) in parts.items():
        if not chosen:
            kind = {"training": "training ", "validation": "validation "}.get(which, "")
            raise ValueError(
                f"No {kind}audio files found in directory {directory}. Allowed format(s): ('.wav',)"
            )
    desired = -1 if output_sequence_length is None else output_sequence_length
    out = []
    for paths, labels in parts.values():

        def make(chosen, single, paths=paths, labels=labels):
            clips = [read_wav(paths[i], desired) for i in chosen]
            x = clips[0] if single else (clips if ragged else _pad_batch(clips))
            if label_mode is None:
                return x
            y = _encode(np.asarray(labels)[chosen], label_mode, len(class_names))
            return x, (y[0] if single else y)

        dataset = ArrayBatches(np.arange(len(paths)), batch_size, make)
        dataset.class_names, dataset.file_paths = class_names, list(paths)
        out.append(dataset)
    return out if len(out) > 1 else out[0]
