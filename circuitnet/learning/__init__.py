"""Training: the algorithms (EP, CL, CpL), the local rule, SGD, the Trainer and its config, checkpoints."""
from .algorithms import ALGORITHMS as ALGORITHMS, Algorithm as Algorithm, get_algorithm as get_algorithm
from .checkpoint import Checkpoint as Checkpoint, load_checkpoint as load_checkpoint, save_checkpoint as save_checkpoint
from .config import TrainingConfig as TrainingConfig
from .contrast import Contrast as Contrast
from .gradcheck import (
    finite_difference_gradient as finite_difference_gradient,
    gradient_check as gradient_check,
    implicit_gradient as implicit_gradient,
)
from .parameters import Parameters as Parameters, circuit_with as circuit_with
from .rule import estimate_gradient as estimate_gradient
from .simulator import Simulator as Simulator, SolverSettings as SolverSettings
from .trainer import EpochRecord as EpochRecord, Trainer as Trainer
