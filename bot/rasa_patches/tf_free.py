"""Serve, test and train without loading TensorFlow, when no component of the model needs it.

Rasa 3.6 imports TensorFlow on every start: ``rasa.core.actions.action`` pulls in the policy
module tree (TED, UnexpecTED), the recipe registers DIET and the ResponseSelector, and spaCy's
``thinc`` probes for it. TensorFlow then holds about 500 MiB of the ~650 MiB a server process
uses and 3-4 s of its start, although our model (spaCy tokens, count vectors, logistic
regression, RulePolicy) never calls it.

``install()`` puts an import hook in front of Python's finders that answers every import of
``tensorflow``, ``keras`` and TensorFlow's add-on packages with a placeholder module. The
placeholders let Rasa's modules *define* their TensorFlow classes (base classes, decorators,
type hints) and fail loudly the moment anything tries to *use* TensorFlow: a call made after
:func:`arm` raises :class:`TensorFlowNotLoaded`. Before that, calls made while modules are
imported (decorators such as ``@tf.function``) return placeholders.

:func:`model_needs_tensorflow` reads a packed model's metadata (no Rasa import needed) so that
the hook is installed only for models that can run without TensorFlow, and
:func:`config_needs_tensorflow` reads a training config the same way for ``rasa train``. Serving
(and ``rasa test``) arm the placeholders once the model is loaded, training once the graph
starts to train: by then every module Rasa needs is imported.

Undoing the patch takes the hook off ``sys.meta_path`` and the placeholders out of
``sys.modules``; modules imported while it was on keep the placeholders they were given.

The runtime venv (requirements.lock) has no TensorFlow at all, so a process that imports Rasa
without applying the patch gets :func:`stand_in_where_not_installed` instead: the test session,
whose tests apply and undo the patches themselves.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import json
import sys
import tarfile
import types
from pathlib import Path
from typing import Any, Iterable, Optional, Sequence

import yaml

from bot.rasa_patches.registry import Context, Patching

#: Top-level packages that are answered with placeholders.
STUBBED_PACKAGES = (
    "tensorflow",
    "keras",
    "tensorflow_addons",
    "tensorflow_hub",
    "tensorflow_text",
    "tensorflow_probability",
    "tensorflow_estimator",
)

#: Modules that libraries import only to probe whether TensorFlow works; refusing them makes
#: the probe answer "not installed" (``thinc.compat`` then leaves TensorFlow alone).
REFUSED_PROBES = ("tensorflow.experimental.dlpack",)

#: Rasa components that run TensorFlow when they train, load or predict.
TENSORFLOW_COMPONENTS = (
    "DIETClassifier",
    "ResponseSelector",
    "TEDPolicy",
    "UnexpecTEDIntentPolicy",
    "ConveRTFeaturizer",
    "LanguageModelFeaturizer",
)


class TensorFlowNotLoaded(RuntimeError):
    """Something used TensorFlow in a process that serves without it."""


_armed = False


def arm(armed: bool = True) -> None:
    """From now on, calling any placeholder raises :class:`TensorFlowNotLoaded`."""
    global _armed
    _armed = armed


def _refuse(what: str) -> None:
    if _armed:
        raise TensorFlowNotLoaded(
            f"{what} needs TensorFlow, which this process did not load "
            "(bot/rasa_patches/tf_free.py); set TF_FREE=0 to load it"
        )


class _Empty:
    """Falsy, empty and iterable over nothing: how a placeholder class and its instances
    answer truth tests, ``len`` and loops (the metaclass gives these to the classes)."""

    def __bool__(self) -> bool:
        return False

    def __iter__(self) -> Any:
        return iter(())

    def __len__(self) -> int:
        return 0


def _dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _call(what: str, args: Any, kwargs: Any) -> Any:
    """A placeholder called: refused once armed; as a decorator it keeps the function."""
    _refuse(what)
    if len(args) == 1 and callable(args[0]) and not kwargs:
        return args[0]
    return type.__call__(_Placeholder)


class _PlaceholderType(_Empty, type):
    """Metaclass: every attribute of a placeholder class is another placeholder class."""

    def __getattr__(cls, name: str) -> Any:
        if _dunder(name):
            raise AttributeError(name)
        return _placeholder(f"{cls.__qualname__}.{name}")

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return _call(cls.__qualname__, args, kwargs)

    def __or__(cls, other: Any) -> Any:  # ``tf.Tensor | None`` in annotations
        return cls

    __ror__ = __or__


class _Placeholder(_Empty, metaclass=_PlaceholderType):
    """What a placeholder call returns: a decorator that keeps the decorated function."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return _call("a TensorFlow decorator", args, kwargs)

    def __getattr__(self, name: str) -> Any:
        if _dunder(name):
            raise AttributeError(name)
        return _placeholder(name)


_classes: dict = {}


def _placeholder(qualname: str) -> Any:
    found = _classes.get(qualname)
    if found is None:
        found = _PlaceholderType(qualname.rsplit(".", 1)[-1], (_Placeholder,), {})
        found.__qualname__ = qualname
        found.__module__ = __name__
        _classes[qualname] = found
    return found


class _PlaceholderModule(types.ModuleType):
    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        submodule = sys.modules.get(f"{self.__name__}.{name}")
        if submodule is not None:
            return submodule
        return _placeholder(f"{self.__name__}.{name}")


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        module = _PlaceholderModule(spec.name)
        module.__path__ = []  # a package, so that any submodule can be imported
        module.__dict__["__version__"] = "0+not-loaded"
        return module

    def exec_module(self, module: types.ModuleType) -> None:
        return None


class _Finder(importlib.abc.MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]] = None, target: Any = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname in REFUSED_PROBES:
            raise ModuleNotFoundError(f"{fullname} is not loaded in this server", name=fullname)
        if fullname.split(".", 1)[0] not in STUBBED_PACKAGES:
            return None
        return importlib.machinery.ModuleSpec(fullname, _Loader(), is_package=True)


_FINDER = _Finder()


def stand_in_where_not_installed() -> bool:
    """Answer TensorFlow imports with placeholders in a venv that has no TensorFlow (the
    runtime venv), outside the patch registry and never armed; True if it did.

    For the test session: its tests import Rasa's modules (which import TensorFlow) and apply
    and undo the patches themselves, so the session's stand-in must not be one of them.
    """
    if _FINDER in sys.meta_path or importlib.util.find_spec("tensorflow") is not None:
        return False
    sys.meta_path.insert(0, _FINDER)
    return True


def _install_finder(patching: Patching) -> None:
    loaded = [name for name in sys.modules if name.split(".", 1)[0] in STUBBED_PACKAGES]
    if loaded:
        raise RuntimeError(f"TensorFlow is already imported ({loaded[0]}): tf-free comes too late")
    sys.meta_path.insert(0, _FINDER)

    def remove() -> None:
        arm(False)
        if _FINDER in sys.meta_path:
            sys.meta_path.remove(_FINDER)
        for name in [n for n, m in sys.modules.items() if isinstance(m, _PlaceholderModule)]:
            del sys.modules[name]

    patching.on_undo(remove)


def install(patching: Patching) -> None:
    """Answer TensorFlow imports with placeholders (before anything imports TensorFlow).

    Armed after ``Agent.load_model`` when serving or testing a model, as soon as
    ``GraphTrainer.train`` starts when training.
    """
    _install_finder(patching)
    if patching.context.training_config is not None:
        from rasa.engine.training.graph_trainer import GraphTrainer

        train = GraphTrainer.train

        def train_armed(self: Any, *args: Any, **kwargs: Any) -> Any:
            arm()
            return train(self, *args, **kwargs)

        patching.replace(GraphTrainer, "train", train_armed)
    else:
        from rasa.core.agent import Agent

        load_model = Agent.load_model

        def load_model_armed(self: Any, *args: Any, **kwargs: Any) -> Any:
            result = load_model(self, *args, **kwargs)
            arm()  # every worker loads its own model
            return result

        patching.replace(Agent, "load_model", load_model_armed)


def wanted(context: Context) -> bool:
    """Whether what Rasa is about to run can do without TensorFlow (the model, or the config
    it will train); unknown (no model named): no."""
    if context.training_config is not None:
        return not config_needs_tensorflow(context.training_config)
    return context.model is not None and not model_needs_tensorflow(context.model)


def _component_names(metadata: dict) -> Iterable[str]:
    for schema in ("train_schema", "predict_schema"):
        for node in (metadata.get(schema) or {}).get("nodes", {}).values():
            yield str(node.get("uses", ""))


def model_needs_tensorflow(model: Path) -> bool:
    """True when the packed model has a component that runs TensorFlow (or cannot be read)."""
    try:
        with tarfile.open(model, "r:gz") as archive:
            member = archive.extractfile("metadata.json")
            if member is None:
                return True
            metadata = json.load(member)
    except (OSError, KeyError, tarfile.TarError, ValueError):
        return True
    names = list(_component_names(metadata))
    if not names:
        return True
    return any(name.rsplit(".", 1)[-1] in TENSORFLOW_COMPONENTS for name in names)


def config_needs_tensorflow(config: Path) -> bool:
    """True when the training config names a TensorFlow component, or leaves its pipeline or
    its policies to Rasa's defaults (which have some), or cannot be read."""
    try:
        data = yaml.safe_load(Path(config).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return True
    if not isinstance(data, dict):
        return True
    names = []
    for section in ("pipeline", "policies"):
        items = data.get(section)
        if not isinstance(items, list) or not items:
            return True
        names += [str(item.get("name", "")) for item in items if isinstance(item, dict)]
    return any(name.rsplit(".", 1)[-1] in TENSORFLOW_COMPONENTS for name in names)
