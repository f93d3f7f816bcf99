"""The program that tests/test_saving_fresh_process.py runs in a child process to write its
files: one functional model with every registered layer, activation, initializer, regularizer
and constraint (found by walking the registry, so a new class needs a recipe here), the
preprocessing layers in Sequentials of their own, one small model per loss, optimizer and
schedule, and the files the callbacks write; then the predictions to expect and a manifest."""

import textwrap

SAVE = textwrap.dedent('''
    import inspect, json, os, sys
    import numpy as np
    import ember as em
    from ember import serialization

    out = sys.argv[1]
    L = em.layers
    reg = serialization.registered()
    em.utils.set_random_seed(0)

    def kind(obj):
        bases = [("model", em.Model), ("layer", L.Layer),
                 ("initializer", em.initializers.Initializer),
                 ("regularizer", em.regularizers.Regularizer), ("loss", em.losses.Loss),
                 ("metric", em.metrics.Metric), ("optimizer", em.optimizers.Optimizer),
                 ("optimizer_map", em.optimizers.OptimizerMap),
                 ("schedule", em.optimizers.schedules.LearningRateSchedule),
                 ("callback", em.callbacks.Callback),
                 ("constraint", em.constraints.Constraint)]
        if inspect.isclass(obj):
            return next(k for k, base in bases if issubclass(obj, base))
        module = obj.__module__
        return ("activation" if module == "ember.activations" else
                "loss_function" if module.startswith("ember.losses") else "metric_function")

    kinds = {name: kind(obj) for name, obj in reg.items()}
    names = lambda k: sorted(n for n, v in kinds.items() if v == k)

    # ---- one functional model with every layer, activation, initializer, regularizer
    inputs = {"vec": em.Input((4,)), "img": em.Input((8, 8, 3)), "seq": em.Input((6, 4)),
              "tok": em.Input((6,), dtype="int64")}
    vec = inputs["vec"]
    pair = lambda: [L.Dense(3)(vec), L.Dense(3)(vec)]
    LAYERS = {
        "Dense": ("vec", lambda: L.Dense(3)), "Activation": ("vec", lambda: L.Activation("tanh")),
        "Flatten": ("img", L.Flatten), "Reshape": ("vec", lambda: L.Reshape((2, 2))),
        "Permute": ("seq", lambda: L.Permute((2, 1))), "Dropout": ("vec", lambda: L.Dropout(0.5)),
        "Embedding": ("tok", lambda: L.Embedding(10, 3)),
        "BatchNormalization": ("vec", L.BatchNormalization),
        "SyncBatchNormalization": ("vec", em.distributed.SyncBatchNormalization),
        "LayerNormalization": ("vec", L.LayerNormalization),
        "Conv1D": ("seq", lambda: L.Conv1D(2, 3)), "Conv2D": ("img", lambda: L.Conv2D(2, 3)),
        "DepthwiseConv2D": ("img", lambda: L.DepthwiseConv2D(3, depth_multiplier=2)),
        "ReLU": ("vec", lambda: L.ReLU(6.0, negative_slope=0.1)),
        "Conv2DTranspose": ("img", lambda: L.Conv2DTranspose(2, 3)),
        "Normalization": ("vec", lambda: L.Normalization(mean=0.5, variance=2.0)),
        "Rescaling": ("img", lambda: L.Rescaling(1 / 255)),
        "RandomRotation": ("img", lambda: L.RandomRotation(0.1)),
        "RandomTranslation": ("img", lambda: L.RandomTranslation(0.1, 0.1)),
        "RandomZoom": ("img", lambda: L.RandomZoom(0.1)),
        "RandomContrast": ("img", lambda: L.RandomContrast(0.1)),
        "RandomBrightness": ("img", lambda: L.RandomBrightness(0.1)),
        "AutoContrast": ("img", lambda: L.AutoContrast(value_range=(0, 1))),
        "RandomGrayscale": ("img", lambda: L.RandomGrayscale(0.5, seed=1)),
        "RandomInvert": ("img", lambda: L.RandomInvert(0.5, value_range=(0, 1), seed=1)),
        "Solarization": ("img", lambda: L.Solarization(0.1, 0.5, value_range=(0, 1))),
        "RandomPosterization": ("img", lambda: L.RandomPosterization(4, value_range=(0, 1))),
        "RandomColorDegeneration": ("img", lambda: L.RandomColorDegeneration(0.5,
                                                                             value_range=(0, 1))),
        "GaussianNoise": ("vec", lambda: L.GaussianNoise(0.1)),
        "SimpleRNN": ("seq", lambda: L.SimpleRNN(3)), "LSTM": ("seq", lambda: L.LSTM(3)),
        "GRU": ("seq", lambda: L.GRU(3)),
        "Bidirectional": ("seq", lambda: L.Bidirectional(L.LSTM(2))),
    }
    seq = inputs["seq"]
    ZOO = {  # layers called on more than one tensor, or in their own way
        "ConvLSTM1D": lambda: L.ConvLSTM1D(2, 3)(inputs["img"]),  # (time 8, steps 8, 3)
        "ConvLSTM2D": lambda: L.ConvLSTM2D(2, 3, padding="same")(
            L.Reshape((2, 4, 8, 3))(inputs["img"])),
        "Attention": lambda: L.Attention()([seq, seq]),
        "AdditiveAttention": lambda: L.AdditiveAttention()([seq, seq]),
        "MultiHeadAttention": lambda: L.MultiHeadAttention(2, 3)(seq, seq),
        "Dot": lambda: L.Dot(axes=2, normalize=True)([seq, seq]),
        "Cropping3D": lambda: L.Cropping3D(((1, 1), (1, 2), (0, 1)))(
            L.Reshape((8, 8, 3, 1))(inputs["img"])),
        "ZeroPadding3D": lambda: L.ZeroPadding3D(1, data_format="channels_first")(
            L.Reshape((1, 8, 8, 3))(inputs["img"])),
        "Conv3D": lambda: L.Conv3D(2, 2, padding="same")(L.Reshape((2, 4, 8, 3))(inputs["img"])),
        "SpatialDropout3D": lambda: L.SpatialDropout3D(0.2)(
            L.Reshape((2, 4, 8, 3))(inputs["img"])),
        "RNN": lambda: L.RNN(L.StackedRNNCells([L.SimpleRNNCell(2), L.LSTMCell(2),
                                                L.GRUCell(2)]))(seq),
    }
    NESTED = {"SimpleRNNCell", "LSTMCell", "GRUCell", "StackedRNNCells"}  # inside RNN above
    LAYERS.update({
        "LeakyReLU": ("vec", L.LeakyReLU), "ELU": ("vec", L.ELU),
        "PReLU": ("seq", lambda: L.PReLU(shared_axes=[1])),
        "Softmax": ("seq", lambda: L.Softmax(axis=1)),
        "TimeDistributed": ("seq", lambda: L.TimeDistributed(L.Dense(2))),
        "RepeatVector": ("vec", lambda: L.RepeatVector(3)),
        "layers.Identity": ("vec", L.Identity), "Masking": ("seq", L.Masking),
        "ActivityRegularization": ("vec", lambda: L.ActivityRegularization(0.01, 0.01)),
        "Resizing": ("img", lambda: L.Resizing(4, 5, crop_to_aspect_ratio=True)),
        "CenterCrop": ("img", lambda: L.CenterCrop(6, 5)),
        "RandomCrop": ("img", lambda: L.RandomCrop(6, 5, seed=1)),
        "Cropping1D": ("seq", lambda: L.Cropping1D((1, 2))),
        "Cropping2D": ("img", lambda: L.Cropping2D(((1, 0), (2, 1)))),
        "GroupNormalization": ("img", lambda: L.GroupNormalization(3)),
        "SpatialDropout1D": ("seq", lambda: L.SpatialDropout1D(0.2)),
        "SpatialDropout2D": ("img", lambda: L.SpatialDropout2D(0.2)),
        "GaussianDropout": ("vec", lambda: L.GaussianDropout(0.2)),
        "AlphaDropout": ("vec", lambda: L.AlphaDropout(0.2)),
        "UnitNormalization": ("seq", lambda: L.UnitNormalization(axis=[1, 2])),
        "SeparableConv2D": ("img", lambda: L.SeparableConv2D(2, 3, depth_multiplier=2)),
        "SeparableConv1D": ("seq", lambda: L.SeparableConv1D(2, 3, padding="same")),
        "DepthwiseConv1D": ("seq", lambda: L.DepthwiseConv1D(2, depth_multiplier=2)),
        "Conv1DTranspose": ("seq", lambda: L.Conv1DTranspose(2, 3, strides=2)),
        "AdaptiveAveragePooling1D": ("seq", lambda: L.AdaptiveAveragePooling1D(4)),
        "AdaptiveMaxPooling1D": ("seq", lambda: L.AdaptiveMaxPooling1D(4)),
        "AdaptiveAveragePooling2D": ("img", lambda: L.AdaptiveAveragePooling2D((3, 5))),
        "AdaptiveMaxPooling2D": ("img", lambda: L.AdaptiveMaxPooling2D(
            3, data_format="channels_first")),
        "RMSNormalization": ("seq", lambda: L.RMSNormalization(axis=[1, 2])),
        "EinsumDense": ("seq", lambda: L.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d")),
        "Pipeline": ("vec", lambda: L.Pipeline([L.Dense(3), L.Dense(2)])),
        "SpectralNormalization": ("vec", lambda: L.SpectralNormalization(L.Dense(3))),
    })
    VOLUME = lambda: L.Reshape((2, 4, 8, 3))(inputs["img"])  # noqa: E731
    ZOO.update({
        "MaxPooling3D": lambda: L.MaxPooling3D((1, 2, 2), padding="same")(VOLUME()),
        "AveragePooling3D": lambda: L.AveragePooling3D(2, data_format="channels_first")(
            VOLUME()),
        "GlobalMaxPooling3D": lambda: L.GlobalMaxPooling3D()(VOLUME()),
        "GlobalAveragePooling3D": lambda: L.GlobalAveragePooling3D(keepdims=True)(VOLUME()),
        "UpSampling3D": lambda: L.UpSampling3D((2, 1, 1))(VOLUME()),
        "AdaptiveAveragePooling3D": lambda: L.AdaptiveAveragePooling3D((1, 3, 5))(VOLUME()),
        "AdaptiveMaxPooling3D": lambda: L.AdaptiveMaxPooling3D(2)(VOLUME()),
        "Conv3DTranspose": lambda: L.Conv3DTranspose(2, 2, strides=2)(VOLUME()),
    })
    # the preprocessing layers (not callable on symbolic tensors yet) get a Sequential of their
    # own, fed text or integer tokens
    TEXT = {"TextVectorization": ("text", lambda: L.TextVectorization(
                max_tokens=6, output_mode="multi_hot", vocabulary=["cat", "dog", "sat"])),
            "StringLookup": ("text", lambda: L.StringLookup(vocabulary=["cat", "dog"],
                                                            output_mode="one_hot")),
            "CategoryEncoding": ("ids", lambda: L.CategoryEncoding(10, output_mode="count")),
            "Discretization": ("floats", lambda: L.Discretization(bin_boundaries=[0.3, 0.6])),
            "Hashing": ("ids", lambda: L.Hashing(num_bins=5, output_mode="multi_hot")),
            "IntegerLookup": ("ids", lambda: L.IntegerLookup(vocabulary=[1, 2, 3],
                                                             output_mode="multi_hot"))}
    MERGES = {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate"}
    NEVER_SAVED = {"Layer", "Lambda", "InputLayer"}  # abstract; holds code; made by Input
    heads = []

    def head(t):
        return L.Dense(2)(L.Flatten()(t) if len(t.shape) > 2 else t)

    for name in names("layer"):
        if name in MERGES:
            heads.append(head(getattr(L, name)()(pair())))
        elif name in NEVER_SAVED or name in TEXT:
            continue
        elif name in ZOO:
            heads.append(head(ZOO[name]()))
        elif name in NESTED:
            continue
        elif name in LAYERS:
            where, make = LAYERS[name]
            heads.append(head(make()(inputs[where])))
        elif name.endswith(("Pooling1D", "Sampling1D", "Padding1D")):
            heads.append(head(getattr(L, name)()(inputs["seq"])))
        elif name.endswith(("Pooling2D", "Sampling2D", "Padding2D")) or name.startswith(
                "Random"):
            heads.append(head(getattr(L, name)()(inputs["img"])))
        else:
            raise SystemExit(f"no recipe for the layer {name}: add one to LAYERS")
    for name in names("activation"):
        if name == "threshold":  # no defaults for its threshold and value (as Keras)
            continue
        heads.append(L.Dense(2, activation=name)(vec))
    INIT_ARGS = {"Constant": {"value": 0.25}}
    for name in names("initializer"):
        heads.append(L.Dense(2, kernel_initializer=reg[name](**INIT_ARGS.get(name, {})))(vec))
    for name in names("regularizer"):
        heads.append(L.Dense(2, kernel_regularizer=reg[name]())(vec))
    for name in names("constraint"):
        heads.append(L.Dense(2, kernel_constraint=reg[name]())(vec))
    heads.append(em.Sequential([L.Dense(3), L.Dense(2)])(vec))
    main = em.Model(list(inputs.values()),
                    L.Dense(2, activation="softmax")(L.Concatenate()(heads)))
    METRIC_ARGS = {"metrics.MeanMetricWrapper": {"fn": em.metrics.accuracy.__wrapped__
                   if hasattr(em.metrics.accuracy, "__wrapped__") else reg["metrics.accuracy"]},
                   "metrics.IoU": {"num_classes": 2, "target_class_ids": [1]},
                   "metrics.OneHotIoU": {"num_classes": 2, "target_class_ids": [1]},
                   "metrics.MeanIoU": {"num_classes": 2},
                   "metrics.OneHotMeanIoU": {"num_classes": 2},
                   "metrics.PrecisionAtRecall": {"recall": 0.5},
                   "metrics.RecallAtPrecision": {"precision": 0.5},
                   "metrics.SensitivityAtSpecificity": {"specificity": 0.5},
                   "metrics.SpecificityAtSensitivity": {"sensitivity": 0.5}}
    metrics = [reg[n](**METRIC_ARGS.get(n, {})) for n in names("metric")]
    metrics += [reg[n] for n in names("metric_function") + names("loss_function")]
    main.compile(optimizer="adam", loss="categorical_crossentropy", metrics=metrics)
    rng = np.random.default_rng(0)
    main_x = [rng.random((2, 4)).astype("float32"), rng.random((2, 8, 8, 3)).astype("float32"),
              rng.random((2, 6, 4)).astype("float32"), rng.integers(0, 10, (2, 6))]
    expected = {"main": main.predict(main_x, verbose=0)}
    main.save(os.path.join(out, "main.ember"))
    manifest = {"main.ember": {"x": "main", "optimizer": "Adam", "iterations": 0}}
    text_x = np.array(["the cat sat", "a dog", "cat", "sat dog cat"])
    ids_x = rng.integers(0, 10, (4, 6))
    floats_x = rng.random((4, 3)).astype("float32")
    own_x = {"text": text_x, "ids": ids_x, "floats": floats_x}
    for name, (where, make) in TEXT.items():
        model = em.Sequential([make(), L.Flatten(), L.Dense(2)])
        model.compile(optimizer="sgd", loss="mse")
        expected[f"pre_{name}.ember"] = model.predict(own_x[where], verbose=0)
        model.save(os.path.join(out, f"pre_{name}.ember"))
        manifest[f"pre_{name}.ember"] = {"x": where, "optimizer": "SGD", "iterations": 0}

    # ---- small trained models: one per loss, optimizer and schedule
    x = rng.random((8, 3)).astype("float32")
    y = (rng.random((8, 2)) > 0.5).astype("float32")

    def small(optimizer, loss, file, **fit):
        model = em.Sequential([L.Dense(4, activation="relu", input_shape=(3,)),
                               L.Dense(2, activation="sigmoid")])
        model.compile(optimizer=optimizer, loss=loss)
        if fit.pop("train", True):  # (a loss's own targets differ: its files are not trained)
            model.fit(x, y, epochs=fit.pop("epochs", 1), batch_size=4, verbose=0, **fit)
        if file:
            model.save(os.path.join(out, file))
            expected[file] = model.predict(x, verbose=0)
            manifest[file] = {"x": "small", "optimizer": type(model.optimizer).__name__,
                              "iterations": model.optimizer.iterations}
        return model

    for name in names("loss"):
        loss = reg[name](em.losses.mean_squared_error) if name == "LossFunctionWrapper" \\
            else reg[name]()
        small("sgd", loss, f"loss_{name}.ember", train=False)
    OPT = em.optimizers
    OPTIMIZER_ARGS = {  # the wrappers take other optimizers (MultiOptimizer's map: OptimizerMap)
        "LossScaleOptimizer": lambda: OPT.LossScaleOptimizer(OPT.Adam()),
        "MultiOptimizer": lambda: OPT.MultiOptimizer(OPT.OptimizerMap(
            OPT.SGD(), {".*bias": OPT.Adam()}))}
    for name in names("optimizer"):
        small(OPTIMIZER_ARGS.get(name, reg[name])(), "mse", f"optimizer_{name}.ember")
    SCHEDULE_ARGS = {"ExponentialDecay": (0.1, 10, 0.9), "InverseTimeDecay": (0.1, 10, 0.5),
                     "PiecewiseConstantDecay": ([5], [0.1, 0.01]),
                     "PolynomialDecay": (0.1, 10), "CosineDecay": (0.1, 10),
                     "CosineDecayRestarts": (0.1, 10)}
    for name in names("schedule"):
        small(em.optimizers.SGD(learning_rate=reg[name](*SCHEDULE_ARGS[name])), "mse",
              f"schedule_{name}.ember")

    # ---- files written by the callbacks
    ckpt = os.path.join(out, "ckpt", "model.ember")
    wckpt = os.path.join(out, "ckpt", "w.weights.safetensors")
    backup = os.path.join(out, "backup")
    trained = small("adam", "binary_crossentropy", None, epochs=2, callbacks=[
        em.callbacks.ModelCheckpoint(ckpt, monitor="loss"),
        em.callbacks.ModelCheckpoint(wckpt, monitor="loss", save_weights_only=True),
        em.callbacks.BackupAndRestore(backup, delete_checkpoint=False)])
    expected["callbacks"] = trained.predict(x, verbose=0)
    np.savez(os.path.join(out, "expected.npz"), small_x=x, text_x=text_x, ids_x=ids_x,
             floats_x=floats_x, **{f"x{i}": a for i, a in
             enumerate(main_x)}, **expected)
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"files": manifest, "kinds": kinds, "iterations": trained.optimizer.iterations,
                   "never_saved": sorted(NEVER_SAVED)}, f)
''')
