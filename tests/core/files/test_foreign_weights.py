"""Weights trained elsewhere: real files in each format read into the module, and the files that would need more
than weights_only=True refused with the reason."""

from __future__ import annotations

import pickle

import pytest
import torch
from own_model_kit import MLP, write_module
from safetensors.torch import save_file

from core.files.foreign_weights import WeightsError, checkpoint_from_code, fit_state, read_state_dict
from core.model.own_code import build_module, source_of


@pytest.fixture
def net_and_source(tmp_path):
    source = source_of(write_module(tmp_path, "mlp", MLP), "MLP", '{"latent": 2}')
    torch.manual_seed(7)
    return build_module(source), source


def _same(state, net):
    assert set(state) == set(net.state_dict())
    for key, value in net.state_dict().items():
        torch.testing.assert_close(state[key], value)


def test_safetensors_pt_lightning_and_pythae_state_dicts_all_fit(net_and_source, tmp_path):
    net, _ = net_and_source
    state = net.state_dict()
    save_file({k: v.contiguous() for k, v in state.items()}, tmp_path / "w.safetensors")
    torch.save(state, tmp_path / "w.pt")
    lightning = {"state_dict": {f"model.{k}": v for k, v in state.items()}, "epoch": 3, "global_step": 120}
    lightning["optimizer_states"] = [{"state": {}, "param_groups": [{"lr": 0.001}]}]
    torch.save(lightning, tmp_path / "w.ckpt")
    torch.save({"model_state_dict": state}, tmp_path / "model_weights.pt")
    for name in ("w.safetensors", "w.pt", "w.ckpt", "model_weights.pt"):
        path = tmp_path / name
        _same(fit_state(path, read_state_dict(path), net), net)


def test_missing_unexpected_keys_and_shapes_are_listed(net_and_source, tmp_path):
    net, _ = net_and_source
    state = dict(net.state_dict())
    del state["dec.2.bias"]
    state["extra.weight"] = torch.zeros(3)
    state["enc.3.weight"] = torch.zeros(5, 32)
    with pytest.raises(WeightsError) as caught:
        fit_state(tmp_path / "w.pt", state, net)
    message = str(caught.value)
    assert "missing keys: dec.2.bias" in message and "unexpected keys: extra.weight" in message
    assert "enc.3.weight: file 5×32, module 2×32" in message


class Whole(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer = torch.nn.Linear(2, 2)


@pytest.mark.filterwarnings("ignore::FutureWarning")  # torch.jit's deprecation: TorchScript files still exist
def test_a_pickled_whole_model_torchscript_and_a_pkl_are_refused_with_the_reason(tmp_path):
    torch.save(Whole(), tmp_path / "whole.pt")
    with pytest.raises(WeightsError, match=r"whole.pt holds more than weights.*torch.save\(model.state_dict\(\)"):
        read_state_dict(tmp_path / "whole.pt")
    torch.jit.save(torch.jit.script(Whole()), tmp_path / "scripted.pt")
    with pytest.raises(WeightsError, match="TorchScript archive"):
        read_state_dict(tmp_path / "scripted.pt")
    (tmp_path / "encoder.pkl").write_bytes(pickle.dumps({"a": 1}))
    with pytest.raises(WeightsError, match=r"pythae.*model_weights\.pt"):
        read_state_dict(tmp_path / "encoder.pkl")
    (tmp_path / "notes.txt").write_text("not weights at all")
    with pytest.raises(WeightsError, match="neither a safetensors file nor a PyTorch"):
        read_state_dict(tmp_path / "notes.txt")


def test_a_checkpoint_of_weights_trained_elsewhere_encodes_as_the_module_does(net_and_source, tmp_path, digits_subset):
    net, source = net_and_source
    torch.save({"state_dict": {f"model.{k}": v for k, v in net.state_dict().items()}}, tmp_path / "w.ckpt")
    data = digits_subset(64)
    checkpoint = checkpoint_from_code(source, tmp_path / "w.ckpt", data)
    assert checkpoint.model_config.latent_dim == 2 and checkpoint.dataset == data.name
    snapshot = checkpoint.resume(data, device="cpu", num_threads=1, display_size=64).snapshot()
    with torch.no_grad():
        own = net.eval().encode(data.train.images.float() / 255)
    order = checkpoint.resume(data, device="cpu", num_threads=1, display_size=64).display.indices
    torch.testing.assert_close(torch.from_numpy(snapshot.codes), own[order], atol=1e-5, rtol=1e-5)
