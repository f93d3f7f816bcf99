"""Callbacks: observers of the training loop (one file each)."""

from ember.callbacks.base import Callback, CallbackList
from ember.callbacks.csv_logger import CSVLogger
from ember.callbacks.early_stopping import EarlyStopping
from ember.callbacks.history import History
from ember.callbacks.lambda_callback import LambdaCallback
from ember.callbacks.lr_scheduler import LearningRateScheduler
from ember.callbacks.progbar import ProgbarLogger
from ember.callbacks.reduce_lr import ReduceLROnPlateau
from ember.callbacks.tensorboard import TensorBoard
from ember.callbacks.terminate_on_nan import TerminateOnNaN


def __getattr__(name: str):
    # ModelCheckpoint and BackupAndRestore need the saving module: load them on first use
    if name == "ModelCheckpoint":
        from ember.callbacks.model_checkpoint import ModelCheckpoint

        return ModelCheckpoint
    if name == "BackupAndRestore":
        from ember.callbacks.backup_and_restore import BackupAndRestore

        return BackupAndRestore
    if name == "Doctor":  # it reads its rules from ember.explain: load on first use
        from ember.callbacks.doctor import Doctor

        return Doctor
    raise AttributeError(f"module 'ember.callbacks' has no attribute {name!r}")


__all__ = [
    "Callback", "CallbackList", "CSVLogger", "EarlyStopping", "History", "LambdaCallback",
    "LearningRateScheduler", "ProgbarLogger", "ReduceLROnPlateau", "TensorBoard",
    "TerminateOnNaN", "ModelCheckpoint", "BackupAndRestore", "Doctor",
]
