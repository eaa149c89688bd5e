"""proact_env: a Gymnasium environment for proactivity calibration (Clarify or Execute?).

`import proact_env` registers the environments (`proact_env/Synthetic-v0`, ...)
and imports only gymnasium and numpy.
"""

from proact_env.env import EnvSnapshot, ProactEnv
from proact_env.errors import MissingExtraError, SchemaError
from proact_env.personas import PRESETS, Persona, get_preset, sample_persona
from proact_env.registration import ENV_IDS, TEXT_ENV_IDS, register_envs
from proact_env.render import render_state
from proact_env.reward import RewardConfig
from proact_env.simulator import RuleBasedSimulator, SimulatorConfig
from proact_env.source_checker import TaskSourceError, check_task_source
from proact_env.types import Action, HiddenFact, Reaction, ReactionMeta, State, Task, TaskScore, Turn
from proact_env.wrappers import TextObservation

__version__ = "0.1.0"

register_envs()

__all__ = [
    "Action",
    "ENV_IDS",
    "EnvSnapshot",
    "HiddenFact",
    "MissingExtraError",
    "PRESETS",
    "Persona",
    "ProactEnv",
    "Reaction",
    "ReactionMeta",
    "RewardConfig",
    "RuleBasedSimulator",
    "SchemaError",
    "SimulatorConfig",
    "State",
    "TEXT_ENV_IDS",
    "Task",
    "TaskScore",
    "TaskSourceError",
    "TextObservation",
    "Turn",
    "check_task_source",
    "get_preset",
    "render_state",
    "sample_persona",
]
