"""ML artifacts as evidence: model configs, tokenizers and weights, fingerprinted and compared.

Everything here reads files as data. Nothing from a scanned repository is imported, executed
or unpickled: safetensors are read from their JSON header and memory-mapped bytes, PyTorch
files by walking their pickle opcodes without running them.
"""
