"""Learned node/lesion finder: a compact U-Net trained on lesion masks (BUSI, DDTI, simulated nodes),
exported into a model pack as an extra TF.js LayersModel (docs/node-finder.md)."""
