"""convae-explorer core: model, data, training engine, latent maths, checkpoints, CLI.

Nothing in this package imports Qt: it runs on a headless GPU server.
"""

__version__ = "0.1.0"
