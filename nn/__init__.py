"""netgrad's neural-network package, built only on the `autograd` engine.

>>> import nn
>>> model = nn.MLP(784, [15, 10], activation="sigmoid")   # 11,935 parameters
>>> optimizer = nn.Adam(model.parameters(), lr=1e-3)
>>> history = nn.fit(model, "cross_entropy", optimizer, (X, y), epochs=10)
"""

from . import datasets, init
from .activations import (
    Identity,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Tanh,
    get_activation,
    identity,
    leaky_relu,
    relu,
    sigmoid,
    softmax,
    softplus,
    step,
    tanh,
)
from .callbacks import Callback, EarlyStopping, LRSchedulerCallback, ModelCheckpoint
from .crossval import CrossValidation, cross_validate
from .data import (
    DataLoader,
    KFold,
    MinMaxScaler,
    StandardScaler,
    train_test_split,
    train_val_test_split,
)
from .diagnose import Finding
from .draw import draw_network
from .history import History
from .init import manual_seed
from .io import load, save
from .layers import MLP, Dropout, Linear, Neuron, Perceptron, Sequential
from .losses import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HingeLoss,
    L1Loss,
    MSELoss,
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    get_loss,
    hinge,
    l1_loss,
    l2_penalty,
    mae,
    mse,
    mse_loss,
)
from .lr_find import lr_find
from .module import Module, Parameter
from .optim import (
    SGD,
    Adagrad,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    Optimizer,
    ReduceLROnPlateau,
    RMSprop,
    StepLR,
    get_optimizer,
)
from .train import Trainer, TrainingDiverged, evaluate, fit, predict, predict_proba

__all__ = [
    "MLP", "SGD", "Adagrad", "Adam", "AdamW", "BCELoss", "BCEWithLogitsLoss", "Callback",
    "CosineAnnealingLR", "CrossEntropyLoss", "CrossValidation", "DataLoader", "Dropout",
    "EarlyStopping", "ExponentialLR", "Finding", "HingeLoss", "History", "Identity", "KFold",
    "L1Loss", "LRSchedulerCallback", "LeakyReLU", "Linear", "MSELoss", "MinMaxScaler",
    "Module", "ModelCheckpoint", "Neuron", "Optimizer", "Parameter", "Perceptron", "RMSprop",
    "ReLU", "ReduceLROnPlateau", "Sequential", "Sigmoid", "Softmax", "Softplus",
    "StandardScaler", "Step", "StepLR", "Tanh", "Trainer", "TrainingDiverged",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
    "cross_validate", "datasets", "draw_network", "evaluate", "fit",
    "get_activation", "get_loss", "get_optimizer", "hinge", "identity", "init", "l1_loss",
    "l2_penalty", "leaky_relu", "load", "lr_find", "mae", "manual_seed", "mse", "mse_loss",
    "predict", "predict_proba", "relu", "save", "sigmoid", "softmax", "softplus", "step",
    "tanh", "train_test_split", "train_val_test_split",
]
