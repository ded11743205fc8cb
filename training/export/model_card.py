"""MODEL_CARD.md: a readable account of what the pack is, how it was made and how it did."""

from __future__ import annotations


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "—"


def _metrics_table(entries: list[dict], classes: list[str]) -> list[str]:
    head = "| Model | n | Macro AUC (95% CI) | Accuracy | " + " | ".join(
        f"{c} AUC / sens / spec" for c in classes) + " | ECE before → after T |"
    lines = [head, "|" + "---|" * (5 + len(classes))]
    for e in entries:
        pc = e.get("perClass", {})
        cells = [
            f"{pc[c]['auc']:.3f} / {pc[c]['sensitivity']:.2f} / {pc[c]['specificity']:.2f}" if c in pc else "—"
            for c in classes
        ]
        ece = e.get("ece", {})
        lines.append(
            f"| {e['modality']} | {e['n']} | {e['macroAuc']:.3f} {_ci(e.get('macroAucCi95'))} | {e['accuracy']:.3f} | "
            + " | ".join(cells) + f" | {ece.get('before', float('nan')):.3f} → {ece.get('after', float('nan')):.3f} |"
        )
    return lines


def _confusions(entries: list[dict], classes: list[str]) -> list[str]:
    out: list[str] = []
    for e in entries:
        cm = e.get("confusionMatrix")
        if not cm:
            continue
        out += [f"**{e['modality']}** (rows = true, columns = predicted)", "",
                "| | " + " | ".join(classes) + " |", "|---|" + "---|" * len(classes)]
        out += [f"| {classes[i]} | " + " | ".join(str(v) for v in row) + " |" for i, row in enumerate(cm)]
        out.append("")
    return out


def render_model_card(manifest: dict, extra: dict) -> str:
    """`extra` holds stage1 (BUSI/DDTI check), ablation entries, quantization, split/seed,
    timings and free-text data description."""
    classes = [c["id"] for c in manifest["classes"]]
    L = [f"# {manifest['title']}", "", f"**{manifest['disclaimer']}**", "",
         f"Pack `{manifest['id']}` v{manifest['version']} — model pack format v1.", "",
         "## Intended use", "", manifest["intendedUse"], "",
         "## Models", ""]
    for m, spec in manifest["modalities"].items():
        L.append(f"- **{m}**: {spec.get('architecture', 'resnet')} (torchvision definition), input "
                 f"{spec['input']['width']}×{spec['input']['height']} RGB, ImageNet mean/std, Grad-CAM layer "
                 f"`{spec['gradcamLayer']}`, temperature {spec['temperature']:.3f}, "
                 f"weights {spec.get('weightsDtype')}.")
    L += ["", "## Data and training", "", extra.get("dataText", ""), ""]
    L += [f"- Seed: {manifest['training'].get('seed')}; split: {extra.get('splitText', '')}", ""]
    L += ["## Held-out test results (stage 1 → stage 2, calibrated)", ""]
    L += _metrics_table(manifest["metrics"], classes)
    L += ["", "Fused = mean of the temperature-calibrated probabilities of the three modalities, per case. "
          "CIs: 1,000 bootstrap resamples of test cases (percentile). ECE: 15 equal-width bins, top label.", ""]
    if extra.get("ablation"):
        L += ["## Ablation: stage 2 without stage-1 pre-training (same split, same epochs)", ""]
        L += _metrics_table(extra["ablation"], classes)
        L += [""]
    L += ["## Confusion matrices (test, calibrated argmax)", ""] + _confusions(manifest["metrics"], classes)
    if extra.get("stage1"):
        s1 = extra["stage1"]
        L += ["## Stage 1 real-data check (public ultrasound, held-out test split)", ""]
        for key in ("busi", "ddti"):
            if key in s1:
                r = s1[key]
                L.append(f"- **{r['dataset']}** (n={r['n']}): macro AUC {r['macroAuc']:.3f} {_ci(r['macroAucCi95'])}, "
                         f"accuracy {r['accuracy']:.3f}, per class AUC " +
                         ", ".join(f"{c} {v['auc']:.3f}" for c, v in r["perClass"].items()) + ".")
        L += ["", f"Stage 1 trained at {s1.get('imageSize')} px for {s1.get('epochs')} epochs; BUSI near-duplicates "
              "were grouped by perceptual hash before splitting.", ""]
    if extra.get("quantization"):
        L += ["## Weight quantization", "", "| Modality | Chosen | Test macro AUC float32 | uint8 | Drop | Size |",
              "|---|---|---|---|---|---|"]
        for m, q in extra["quantization"].items():
            a = q["testMacroAuc"]
            L.append(f"| {m} | {q['weightsDtype']} | {a['float32']:.4f} | {a['uint8']:.4f} | {q['uint8AucDrop']:.4f} | "
                     f"{q.get('bytes', 0) / 1e6:.1f} MB |")
        L += ["", "Rule: uint8 (affine per tensor) only where the test macro AUC drops by ≤ 0.005 against float32, "
              "else float16. Biases stay float32.", ""]
    if extra.get("timings"):
        L += ["## Timings (this build)", ""] + [f"- {k}: {v}" for k, v in extra["timings"].items()] + [""]
    L += ["## Limitations", "", extra.get("limitations", ""), "", "## License", "", manifest["license"], ""]
    return "\n".join(L)
