"""Export of PyTorch ResNets to the app's model pack (TF.js LayersModel + manifest)."""
