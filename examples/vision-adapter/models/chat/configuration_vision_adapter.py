"""Configuration of the vision-adapter chat model."""


class VisionAdapterConfig:
    model_type = "llama"
