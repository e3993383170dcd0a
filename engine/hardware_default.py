"""Which model fits this machine: Qwen3-Embedding with an accelerator, e5-small without.

Qwen3-Embedding-0.6B gives the best results but embeds a few hundred tokens a second on a
laptop CPU: a first index of a large tree would take most of a day. multilingual-e5-small
(bundled, 4-bit, no torch) reads the same hundred languages an order of magnitude faster.
So a CUDA or MPS device makes Qwen3 the default, and a CPU-only machine gets e5-small;
``--model qwen3`` (or the Settings choice) still runs Qwen3 on a CPU.

The probe is cheap on purpose: importing torch to ask it costs seconds at every start, and
the CPU-only default never needs torch at all. It reads what the driver leaves on disk and
torch's installed version, and asks torch only when something already imported it.
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import platform
import shutil
import sys
from collections.abc import Iterable

from engine.e5_embedder import E5_MODEL_ID
from engine.model_resolution import DEFAULT_MODEL

logger = logging.getLogger(__name__)

QWEN3_MODEL = DEFAULT_MODEL
CPU_MODEL = E5_MODEL_ID
ACCELERATOR_KINDS = ("cuda", "mps")


def default_model_for(devices: Iterable[str]) -> str:
    """The model to use on a machine with ``devices`` (e.g. ``("cpu", "cuda:0")``)."""
    kinds = {d.split(":", 1)[0].strip().lower() for d in devices}
    return QWEN3_MODEL if kinds & set(ACCELERATOR_KINDS) else CPU_MODEL


def detect_devices() -> tuple[str, ...]:
    """The devices torch could run a model on here: always ``"cpu"``, plus cuda/mps when seen."""
    devices = ["cpu"]
    torch = sys.modules.get("torch")
    if torch is not None:  # already paid for: ask it directly
        if torch.cuda.is_available():
            devices.append("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            devices.append("mps")
        return tuple(devices)
    build = _torch_build()
    if build is None:
        return tuple(devices)
    if _gpu_driver_present() and "+cpu" not in build:
        devices.append("cuda")
    if sys.platform == "darwin" and platform.machine() == "arm64":
        devices.append("mps")
    logger.debug("Devices seen without importing torch %s: %s", build, devices)
    return tuple(devices)


def _torch_build() -> str | None:
    try:
        return importlib.metadata.version("torch")
    except importlib.metadata.PackageNotFoundError:
        return None


def _gpu_driver_present() -> bool:
    """An NVIDIA (or ROCm) driver is installed: what torch's CUDA build needs to see a GPU."""
    if sys.platform.startswith("linux"):
        return os.path.exists("/proc/driver/nvidia/version") or os.path.exists("/dev/kfd")
    if sys.platform == "win32":
        return shutil.which("nvidia-smi") is not None
    return False
