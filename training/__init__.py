"""LymphScope training and export pipeline: PyTorch ResNet → verified TF.js model pack."""
