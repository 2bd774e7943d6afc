"""The reference autoencoder: its size must match the lecture's network, and its shapes must fit every config."""

from __future__ import annotations

import pytest
import torch

from core.model.autoencoder import ConvAutoEncoder, ModelConfig, count_parameters


def test_parameter_counts_match_the_lecture() -> None:
    """200,963 parameters at latent size 2 on 1×28×28 images: the lecture's model, layer for layer."""
    model = ConvAutoEncoder(ModelConfig(latent_dim=2, channels=1, image_size=28))
    assert count_parameters(model.encoder) == 98_946
    assert count_parameters(model.decoder) == 102_017
    assert count_parameters(model) == 200_963


def test_encode_decode_shapes() -> None:
    """Encoder gives N×latent codes; decoder and forward give back N×C×H×W images."""
    torch.manual_seed(0)
    model = ConvAutoEncoder()
    x = torch.rand(5, 1, 28, 28)
    codes = model.encode(x)
    assert codes.shape == (5, 2)
    assert model.decode(codes).shape == (5, 1, 28, 28)
    assert model(x).shape == (5, 1, 28, 28)
    torch.testing.assert_close(model(x), model.decode(model.encode(x)), rtol=0, atol=0)


@pytest.mark.parametrize("latent_dim", [1, 2, 3, 16, 64])
def test_latent_sizes_1_to_64_work(latent_dim: int) -> None:
    """Every latent size the UI offers builds and round-trips a batch."""
    model = ConvAutoEncoder(ModelConfig(latent_dim=latent_dim))
    x = torch.rand(3, 1, 28, 28)
    assert model.encode(x).shape == (3, latent_dim)
    assert model(x).shape == x.shape


@pytest.mark.parametrize("latent_dim", [0, 65, -1])
def test_latent_sizes_outside_1_to_64_raise(latent_dim: int) -> None:
    """Out-of-range sizes are refused at config time with a message stating the range."""
    with pytest.raises(ValueError, match="between 1 and 64"):
        ModelConfig(latent_dim=latent_dim)


@pytest.mark.parametrize(("image_size", "channels"), [(8, 1), (12, 1), (16, 3), (32, 1), (32, 3), (64, 4)])
def test_other_image_sizes_reconstruct_at_input_size(image_size: int, channels: int) -> None:
    """The decoder's Trim must crop to the input size for any multiple of 4, not just 28."""
    model = ConvAutoEncoder(ModelConfig(latent_dim=4, channels=channels, image_size=image_size))
    x = torch.rand(2, channels, image_size, image_size)
    assert model(x).shape == x.shape
    assert model.decode(torch.zeros(2, 4)).shape == x.shape


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"image_size": 30}, "multiple of 4"), ({"image_size": 4}, "at least 8"), ({"channels": 5}, "between 1 and 4")],
)
def test_invalid_image_configs_raise(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ModelConfig(**kwargs)


def test_output_is_in_unit_range_even_for_extreme_inputs() -> None:
    """The sigmoid keeps pixels in [0, 1]: the viewer draws them without clipping."""
    torch.manual_seed(1)
    model = ConvAutoEncoder(ModelConfig(latent_dim=8))
    with torch.no_grad():
        outputs = [
            model(torch.rand(4, 1, 28, 28)),
            model(torch.full((2, 1, 28, 28), 1000.0)),
            model.decode(torch.randn(16, 8) * 1e4),
        ]
    for out in outputs:
        assert torch.isfinite(out).all()
        assert out.min() >= 0.0 and out.max() <= 1.0


def test_model_config_round_trips_through_dict() -> None:
    """Checkpoints store the config as a dict; it must rebuild the same config."""
    config = ModelConfig(latent_dim=7, channels=3, image_size=32)
    assert config.to_dict() == {"latent_dim": 7, "channels": 3, "image_size": 32, "kind": "autoencoder", "beta": 1.0}
    assert ModelConfig.from_dict(config.to_dict()) == config
