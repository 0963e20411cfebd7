"""Errors the engine raises at its public boundary, in the user's terms."""


class ShapeError(ValueError):
    """Operands of an op have shapes that do not fit together (names the op and shapes)."""


class DataError(ValueError):
    """An op's forward found operand values it cannot use (labels outside the classes).
    Raised as is: unlike NumPy's ValueErrors, it is not reworded as a shape problem."""


class AnomalyError(FloatingPointError):
    """Raised under ``detect_anomaly()`` by the first op that turns finite numbers into nan/inf."""


class GradcheckError(AssertionError):
    """The engine's gradient disagrees with central finite differences."""


class TraceError(RuntimeError):
    """A traced function built another graph after replay had begun (see `autograd.trace`)."""
