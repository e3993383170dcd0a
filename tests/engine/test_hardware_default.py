"""The default model by hardware, with fake device lists and fake probes."""

from __future__ import annotations

import sys
import types

import pytest

import engine.hardware_default as hw
from engine.e5_embedder import E5_MODEL_ID
from engine.model_resolution import DEFAULT_MODEL


@pytest.mark.parametrize(
    ("devices", "model"),
    [
        (("cpu",), E5_MODEL_ID),
        (("cpu", "cuda"), DEFAULT_MODEL),
        (("cpu", "cuda:1"), DEFAULT_MODEL),
        (("cpu", "mps"), DEFAULT_MODEL),
        (("CUDA",), DEFAULT_MODEL),
        ((), E5_MODEL_ID),
        (("cpu", "xpu"), E5_MODEL_ID),  # not a device Kenning's Qwen3 path picks
    ],
)
def test_default_model_for_a_device_list(devices, model):
    assert hw.default_model_for(devices) == model


def _no_torch_imported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "torch", raising=False)


def test_a_cuda_build_and_a_driver_mean_cuda(monkeypatch):
    _no_torch_imported(monkeypatch)
    monkeypatch.setattr(hw, "_torch_build", lambda: "2.5.1+cu124")
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: True)
    monkeypatch.setattr(hw.sys, "platform", "linux")
    assert hw.detect_devices() == ("cpu", "cuda")


def test_a_cpu_build_of_torch_sees_no_gpu_even_with_a_driver(monkeypatch):
    _no_torch_imported(monkeypatch)
    monkeypatch.setattr(hw, "_torch_build", lambda: "2.13.0+cpu")
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: True)
    monkeypatch.setattr(hw.sys, "platform", "linux")
    assert hw.detect_devices() == ("cpu",)


def test_no_driver_means_cpu_only(monkeypatch):
    _no_torch_imported(monkeypatch)
    monkeypatch.setattr(hw, "_torch_build", lambda: "2.5.1")
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: False)
    monkeypatch.setattr(hw.sys, "platform", "linux")
    assert hw.detect_devices() == ("cpu",)


def test_apple_silicon_means_mps(monkeypatch):
    _no_torch_imported(monkeypatch)
    monkeypatch.setattr(hw, "_torch_build", lambda: "2.5.1")
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: False)
    monkeypatch.setattr(hw.sys, "platform", "darwin")
    monkeypatch.setattr(hw.platform, "machine", lambda: "arm64")
    assert hw.detect_devices() == ("cpu", "mps")


def test_without_torch_installed_only_the_cpu_counts(monkeypatch):
    _no_torch_imported(monkeypatch)
    monkeypatch.setattr(hw, "_torch_build", lambda: None)
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: True)
    assert hw.detect_devices() == ("cpu",)


def test_an_imported_torch_is_asked_directly(monkeypatch):
    fake = types.SimpleNamespace(
        cuda=types.SimpleNamespace(is_available=lambda: True),
        backends=types.SimpleNamespace(mps=types.SimpleNamespace(is_available=lambda: False)),
    )
    monkeypatch.setitem(sys.modules, "torch", fake)
    monkeypatch.setattr(hw, "_gpu_driver_present", lambda: False)  # torch knows better
    assert hw.detect_devices() == ("cpu", "cuda")


def test_the_probe_does_not_import_torch(monkeypatch):
    _no_torch_imported(monkeypatch)
    hw.detect_devices()
    assert "torch" not in sys.modules
