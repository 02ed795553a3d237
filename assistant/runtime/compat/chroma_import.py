"""`import chromadb` without the parts of it this project never runs, loaded later if something asks for them.

Written for chromadb 1.5.9 (with overrides 7.7.0, pydantic-settings 2.16.3, httpx 0.29.0 and
opentelemetry-exporter-otlp-proto-grpc 1.45.2: `WRITTEN_FOR`); with other releases, or `ASSISTANT_NO_COMPAT=1`,
chromadb is imported as shipped. Measured gain: see `MEASURED`. Three things make the import cheaper, all only
for the length of the import, all put back in `finally`:

- Chroma marks its methods with the `overrides` package's `@override`, which, as each class is created, finds the
  base classes by disassembling the caller's bytecode and compares signatures: a check for Chroma's own
  developers. During the import it just sets the `__override__` mark that `EnforceOverrides` looks for, as the
  real one does; so does the import of the client's parts Chroma loads when a client is created
  (`LOCAL_CLIENT`, `SERVER_CLIENT`).
- Three modules are imported at Chroma's import time for names used only on paths this project never takes:
  the registry of Chroma's own embedding functions (~30 client libraries' wrappers, jsonschema; read when a
  collection's configuration names a Chroma embedding function: ours have none), the OpenTelemetry gRPC
  exporter (built only when a tracing endpoint is configured) and httpx's command line (click, rich, pygments).
  Stand-ins serve those names; the first use of one imports the real module and hands over to it, and the
  stand-ins leave `sys.modules` with the import, so a later `import` of those modules gets the real ones.
- Seven of Chroma's functions take `settings=Settings()` as a default argument, built as the modules are
  imported; each build reads every one of its ~80 fields from the environment and `.env` through
  pydantic-settings' private `_settings_build_values` (~6 ms each). The first reading serves the other six (the
  environment does not change during the import); each instance is still validated by pydantic as usual.
"""

from __future__ import annotations

import copy
import importlib
import sys
from collections.abc import Callable, Iterator, MutableMapping
from contextlib import ExitStack, contextmanager
from types import ModuleType
from typing import Any

from assistant.runtime.compat import applies

WRITTEN_FOR = {"chromadb": "1.5.9", "overrides": "7.7.0", "pydantic-settings": "2.16.3", "httpx": "0.29.0",
               "opentelemetry-exporter-otlp-proto-grpc": "1.45.2"}
# `import_chromadb(*LOCAL_CLIENT)` in a fresh interpreter, 2 idle cores, median of 7 interleaved runs:
MEASURED = "chromadb's import with the local client's parts: 0.64 s as shipped, 0.34 s patched"

# module -> (names that stand in for mappings, names that stand in for callables); any other name loads the module
DEFERRED: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "chromadb.utils.embedding_functions": (("known_embedding_functions",), ("register_embedding_function",)),
    "opentelemetry.exporter.otlp.proto.grpc.trace_exporter": ((), ("OTLPSpanExporter",)),
    "httpx._main": ((), ("main",)),
}


# The modules of a client's parts that Chroma imports only when the client is created (`chromadb.config`'s
# `get_class`): imported with chromadb, so that their classes too are made without the signature checks
# (`chromadb.api.rust` alone took 0.13 s of opening the local store with them).
LOCAL_CLIENT = ("chromadb.api.rust", "chromadb.telemetry.product.posthog")
SERVER_CLIENT = ("chromadb.api.fastapi", "chromadb.telemetry.product.posthog")


def import_chromadb(*components: str) -> ModuleType:
    """`chromadb`, imported as described above (or the one already imported), with `components` (modules, such
    as `LOCAL_CLIENT`'s) imported the same way."""
    missing = [name for name in ("chromadb", *components) if name not in sys.modules]
    if missing and not applies(WRITTEN_FOR):
        for name in missing:
            importlib.import_module(name)
    elif missing:
        with ExitStack() as stack:
            stack.enter_context(_override_marks_only())
            stack.enter_context(_chroma_settings_read_once())
            for name, (mappings, callables) in DEFERRED.items():
                stack.enter_context(_stand_in(name, mappings, callables))
            for name in missing:
                importlib.import_module(name)
    return sys.modules["chromadb"]


def _real(name: str) -> ModuleType:
    """The real module `name`, imported now if need be (in place of its stand-in, if that is still there)."""
    module = sys.modules.get(name)
    if module is None or getattr(module, "_assistant_stand_in", False):
        sys.modules.pop(name, None)
        module = importlib.import_module(name)
    return module


class _DeferredMapping(MutableMapping[Any, Any]):
    """A mapping that is the real module's `attribute` from its first use on."""

    def __init__(self, module: str, attribute: str) -> None:
        self._module, self._attribute = module, attribute

    def _target(self) -> MutableMapping[Any, Any]:
        target: MutableMapping[Any, Any] = getattr(_real(self._module), self._attribute)
        return target

    def __getitem__(self, key: Any) -> Any:
        return self._target()[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._target()[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._target()[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._target())

    def __len__(self) -> int:
        return len(self._target())

    def __contains__(self, key: object) -> bool:
        return key in self._target()


def _deferred_callable(module: str, attribute: str) -> Callable[..., Any]:
    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(_real(module), attribute)(*args, **kwargs)

    call.__name__ = call.__qualname__ = attribute
    call.__doc__ = f"{module}.{attribute}, imported at the first call."
    return call


@contextmanager
def _stand_in(name: str, mappings: tuple[str, ...], callables: tuple[str, ...]) -> Iterator[None]:
    """`name` served by a stand-in module for the block, unless it is imported already."""
    if name in sys.modules:
        yield
        return
    stand_in = ModuleType(name, f"Stand-in for {name} while chromadb is imported (assistant.runtime.chroma_import).")
    stand_in._assistant_stand_in = True  # type: ignore[attr-defined]
    for attribute in mappings:
        setattr(stand_in, attribute, _DeferredMapping(name, attribute))
    for attribute in callables:
        setattr(stand_in, attribute, _deferred_callable(name, attribute))

    def any_other_name(attribute: str) -> Any:  # an unexpected name: the real module, as a plain import gives
        if attribute.startswith("__"):  # the import system asks for `__path__` and the like: the stand-in has none
            raise AttributeError(attribute)
        return getattr(_real(name), attribute)

    stand_in.__getattr__ = any_other_name  # type: ignore[method-assign]
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]


@contextmanager
def _override_marks_only() -> Iterator[None]:
    import overrides

    real = overrides.override, overrides.overrides

    def mark(method: Any = None, **_options: Any) -> Any:
        def marked(function: Any) -> Any:
            function.__override__ = True
            return function

        return marked if method is None else marked(method)

    overrides.override = overrides.overrides = mark
    try:
        yield
    finally:
        overrides.override, overrides.overrides = real


@contextmanager
def _chroma_settings_read_once() -> Iterator[None]:
    """Chroma's `Settings()` built without arguments reads the environment once for the block; the rest of the
    builds get a copy of those values (a build with arguments, or of another settings class, reads as usual)."""
    from pydantic_settings import BaseSettings

    real = BaseSettings.__dict__["_settings_build_values"]
    read: dict[type, dict[str, Any]] = {}

    def build_values(cls: type, sources: Any, init_kwargs: dict[str, Any]) -> dict[str, Any]:
        if init_kwargs or not cls.__module__.startswith("chromadb."):
            return real.__func__(cls, sources, init_kwargs)
        if cls not in read:
            read[cls] = real.__func__(cls, sources, init_kwargs)
        return copy.deepcopy(read[cls])

    BaseSettings._settings_build_values = classmethod(build_values)  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        BaseSettings._settings_build_values = real  # type: ignore[method-assign]


def private_names_missing() -> list[str]:
    """The private names (and stood-in modules' names) this patch relies on that the installed releases lack."""
    import overrides
    from pydantic_settings import BaseSettings

    gone = [] if isinstance(BaseSettings.__dict__.get("_settings_build_values"), classmethod) else [
        "pydantic_settings.BaseSettings._settings_build_values"]
    gone += [] if callable(getattr(overrides, "override", None)) else ["overrides.override"]
    for module, (mappings, callables) in DEFERRED.items():
        try:
            real = importlib.import_module(module)
        except ImportError:
            gone.append(module)
            continue
        gone += [f"{module}.{name}" for name in (*mappings, *callables) if not hasattr(real, name)]
    return gone
