"""The `numkeras` command: `numkeras tutorial` runs the Keras MNIST tutorial end to end;
`numkeras demo` serves a page to draw digits for a trained model."""

import argparse
import os
import sys

_SHADES = " .:-=+*#%@"


def digit_as_text(image):
    """A 28x28 digit as terminal art, two characters per pixel so it keeps its proportions."""
    rows = []
    for row in image:
        rows.append("".join(_SHADES[min(int(v) * len(_SHADES) // 256, 9)] * 2 for v in row))
    return "\n".join(rows)


def _show_digit(image, label, output):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"Training digit 1 (label {label}):")
        print(digit_as_text(image))
        return
    path = os.path.join(output, "digit.png")
    plt.figure(figsize=(3, 3))
    plt.imshow(image, cmap="gray")
    plt.title(f"label {label}")
    plt.axis("off")
    plt.savefig(path)
    plt.close()
    print(f"Training digit 1 (label {label}) saved to {path}")


def _plot_history(history, output):
    try:
        from numkeras.utils.plotting import plot_history
    except ImportError:
        return
    try:
        path = os.path.join(output, "history.png")
        plot_history(history, path)
        print(f"Training curves saved to {path}")
    except ImportError:
        pass


def build_tutorial_model():
    """The tutorial CNN: 34,826 parameters."""
    from numkeras.layers import Convolution2D, Dense, Dropout, Flatten, MaxPooling2D
    from numkeras.models import Sequential

    model = Sequential()
    model.add(Convolution2D(32, kernel_size=(3, 3), activation="relu", input_shape=(28, 28, 1)))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Convolution2D(64, kernel_size=(3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dropout(0.5))
    model.add(Dense(10, activation="softmax"))
    return model


def tutorial(args):
    import numpy as np

    from numkeras.datasets import mnist
    from numkeras.utils import set_random_seed, to_categorical

    if args.seed is not None:
        set_random_seed(args.seed)
    os.makedirs(args.output, exist_ok=True)
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    if args.train_samples:
        x_train, y_train = x_train[: args.train_samples], y_train[: args.train_samples]
    print(f"x_train: {x_train.shape}, y_train: {y_train.shape}")
    print(f"x_test: {x_test.shape}, y_test: {y_test.shape}")
    _show_digit(x_train[1], y_train[1], args.output)

    x_train = np.expand_dims(x_train.astype("float32") / 255, axis=3)
    x_test = np.expand_dims(x_test.astype("float32") / 255, axis=3)
    y_train_cat, y_test_cat = to_categorical(y_train), to_categorical(y_test)

    model = build_tutorial_model()
    model.summary()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(
        x_train, y_train_cat, batch_size=args.batch_size, epochs=args.epochs, validation_split=0.1
    )
    loss, accuracy = model.evaluate(x_test, y_test_cat, verbose=0)
    print(f"Test loss: {loss:.4f}")
    print(f"Test accuracy: {accuracy:.4f}")
    predicted = np.argmax(model.predict(x_test[:20], verbose=0), axis=1)
    print(f"Predicted: {predicted}")
    print(f"Labels:    {y_test[:20]}")
    _save(model, args.output)
    _plot_history(history, args.output)
    return 0


def _save(model, output):
    try:
        path = os.path.join(output, "mnist_cnn.keras")
        model.save(path)
    except AttributeError:
        path = os.path.join(output, "mnist_cnn.weights.h5")
        model.save_weights(path) if hasattr(model, "save_weights") else _save_npz(model, output)
        return
    print(f"Model saved to {path}")


def _save_npz(model, output):
    import numpy as np

    path = os.path.join(output, "mnist_cnn.weights.npz")
    np.savez(path, *model.get_weights())
    print(f"Weights saved to {path}")


def demo(args):
    """Serve the demo page for a saved model (default ./mnist_cnn.keras, trained if missing)."""
    from numkeras.models import load_model
    from numkeras.web import serve

    path = args.model or "mnist_cnn.keras"
    if args.model is None and not os.path.exists(path):
        print(f"No model given and no {path} here: training the tutorial CNN for one epoch.")
        model = _train_demo_model(path)
    else:
        try:
            model = load_model(path)
        except (OSError, ValueError) as e:
            print(f"numkeras demo: cannot load {path}: {e}", file=sys.stderr)
            return 1
    try:
        serve(model, args.host, args.port, open_browser=args.open)
    except OSError as e:
        print(
            f"numkeras demo: cannot serve on {args.host}:{args.port}: {e.strerror or e}",
            file=sys.stderr,
        )
        return 1
    return 0


def _train_demo_model(path):
    import numpy as np

    from numkeras.datasets import mnist
    from numkeras.utils import to_categorical

    (x_train, y_train), _ = mnist.load_data()
    x_train = np.expand_dims(x_train.astype("float32") / 255, axis=3)
    model = build_tutorial_model()
    model.compile("adam", loss="categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, to_categorical(y_train), batch_size=128, epochs=1)
    model.save(path)
    print(f"Model saved to {path}")
    return model


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="numkeras",
        description="numkeras: the Keras API on a NumPy engine.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    tut = sub.add_parser(
        "tutorial",
        help="train the Keras MNIST tutorial CNN and report test accuracy",
        description="Run the classic Keras MNIST tutorial: load MNIST, build the CNN "
        "(34,826 parameters), train with a progress bar, evaluate, predict, save the model.",
    )
    tut.add_argument("--epochs", type=int, default=10, help="training epochs (default 10)")
    tut.add_argument("--batch-size", type=int, default=128, help="batch size (default 128)")
    tut.add_argument("--output", default=".", help="directory for the model and plots (default .)")
    tut.add_argument(
        "--train-samples",
        type=int,
        default=None,
        help="train on only the first N training images (for a quick look)",
    )
    tut.add_argument("--seed", type=int, default=None, help="random seed for a repeatable run")
    dem = sub.add_parser(
        "demo",
        help="serve a local page: draw a digit, see the prediction and feature maps",
        description="Serve a page where you draw a digit and see the model's input, its "
        "prediction, the probabilities, every convolution and pooling layer's feature maps and "
        "the model summary. Ctrl-C stops it.",
    )
    dem.add_argument(
        "model",
        nargs="?",
        default=None,
        metavar="MODEL.keras",
        help="a saved model (default: mnist_cnn.keras here, or train the tutorial "
        "CNN for one epoch and save it there)",
    )
    dem.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    dem.add_argument(
        "--port", type=int, default=8000, help="port (default 8000; 0 picks a free one)"
    )
    dem.add_argument("--open", action="store_true", help="open the page in a web browser")
    args = parser.parse_args(argv)
    if args.command == "demo":
        if not 0 <= args.port <= 65535:
            parser.error(f"--port must be in 0..65535, got {args.port}")
        return demo(args)
    if args.command == "tutorial":
        if args.epochs < 1 or args.batch_size < 1:
            parser.error("--epochs and --batch-size must be positive")
        return tutorial(args)
    parser.print_help()
    return 0


if __name__ == "__main__":
    sys.exit(main())
