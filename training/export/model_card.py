"""MODEL_CARD.md: a readable account of what the pack is, how it was made and how it did."""

from __future__ import annotations

SMALL_TEST = 30  # test images below which the card warns (as build_pack.SMALL_TEST)


def _ci(ci) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else "—"


def metrics_table(entries: list[dict], classes: list[str]) -> list[str]:
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


def stage1_lines(s1: dict) -> list[str]:
    """One line per stage-1 data set (BUSI, DDTI): its held-out check."""
    out = []
    for key in ("busi", "ddti"):
        if key in s1:
            r = s1[key]
            out.append(f"- **{r['dataset']}** (n={r['n']}): macro AUC {r['macroAuc']:.3f} {_ci(r['macroAucCi95'])}, "
                       f"accuracy {r['accuracy']:.3f}, per class AUC " +
                       ", ".join(f"{c} {v['auc']:.3f}" for c, v in r["perClass"].items()) + ".")
    return out


def other_sets_rows(sets: dict[str, dict[str, dict]], datasets: dict[str, str]) -> list[str]:
    """Rows of the "other test sets" table: set → model → report."""
    return [f"| {datasets.get(name, name)} | {m} | {r['n']} | {r['macroAuc']:.3f} {_ci(r.get('macroAucCi95'))} | "
            f"{r['accuracy']:.3f} |" for name, models in sets.items() for m, r in models.items()]


OTHER_SETS_HEADING = "## Other test sets"
TIMINGS_HEADING = "## Timings (this build)"


def other_sets_body(sets: dict[str, dict[str, dict]], names: dict[str, str], text: str) -> list[str]:
    """The "Other test sets" section (without its heading): set → model → report."""
    L = [text, ""]
    L += _tiny_warning([f"{names.get(n, n)} {m} n={r['n']}" for n, ms in sets.items() for m, r in ms.items()
                        if r["n"] < SMALL_TEST])
    if not any(sets.values()):
        return L
    L += ["| Test set | Model | n | Macro AUC (95% CI) | Accuracy |", "|---|---|---|---|---|"]
    return L + other_sets_rows(sets, names) + [""]


def _tiny_warning(sizes: list[str]) -> list[str]:
    if not sizes:
        return []
    return [f"> **Warning: tiny test set.** {', '.join(sizes)} (fewer than {SMALL_TEST} images): these figures are "
            "too uncertain to rely on.", ""]


def timings_body(t: dict) -> list[str]:
    """A rebuild's record (planned and measured minutes per step) as a table; other commands' flat
    records as a list."""
    if "steps" not in t:
        return [f"- {k}: {v}" for k, v in t.items()] + [""]
    L = ["| Step | Planned (estimate) | Measured |", "|---|---|---|"]
    for k, v in t["steps"].items():
        measured = "—" if v.get("minutes") is None else f"{v['minutes']:.1f} min"
        L.append(f"| {k} | {v['estimateMinutes']:.1f} min | {measured} |")
    total = "—" if t.get("minutes") is None else f"{t['minutes']:.1f} min"
    L.append(f"| **total** (wall clock) | {t['estimateMinutes']:.1f} min | {total} |")
    budget = (f"sized to fit a {t['budgetMinutes']:.0f}-minute budget" if t.get("budgetMinutes") else
              "epochs given, no budget")
    L += ["", f"Planned from the speed measured at the start ({t['threads']} CPU threads: one training step of "
          f"16 images took {t['speed']['stage2Step']:.2f} s in stage 2), {budget}; measured = wall "
          "clock of each step, training steps as the sum of their epoch times (kept when a run resumes). The "
          "phantoms (Node time) are generated in the background while stage 1 trains: the plan counts half of "
          "them towards the total.", ""]
    return L


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
    variant = extra.get("variant", "pretrained")
    how = "stage 1 → stage 2" if variant == "pretrained" else "trained from scratch, no stage-1 pre-training"
    L += [f"## Held-out test results ({how}; weights as shipped)", ""]
    L += _tiny_warning([f"{e['modality']} n={e['n']}" for e in manifest["metrics"] if e["n"] < SMALL_TEST])
    L += metrics_table(manifest["metrics"], classes)
    boots = {m: b for m, b in (extra.get("bootstrap") or {}).items() if b}
    unit = next((b.get("unit") for b in boots.values()), "case")
    skipped = {m: b["skipped"] for m, b in boots.items() if b.get("skipped")}
    L += ["", "Metrics are of the weights exactly as stored in this pack (after the chosen quantization). AUCs are "
          "one-vs-rest, from the uncalibrated logits of each model (the temperature cannot change them); fused AUC is "
          "of the fused calibrated probabilities the app shows. Fused = the pack's fusion rule over the calibrated "
          f"probabilities of the modalities, per case. CIs: 1,000 bootstrap resamples of test {unit}s (whole "
          f"{unit}s, stratified by class; percentile); resamples unusable for a statistic: "
          f"{skipped if skipped else 'none'}. ECE: 15 equal-width bins, top label.", ""]
    if extra.get("ablation"):
        L += ["## Ablation: stage 2 without stage-1 pre-training (same split, same epochs)", ""]
        L += metrics_table(extra["ablation"], classes)
        L += [""]
    L += ["## Confusion matrices (test, calibrated argmax)", ""] + _confusions(manifest["metrics"], classes)
    if extra.get("stage1"):
        s1 = extra["stage1"]
        L += ["## Stage 1 real-data check (public ultrasound, held-out test split)", ""]
        L += _tiny_warning([f"{s1[k]['dataset']} n={s1[k]['n']}" for k in ("busi", "ddti")
                            if k in s1 and s1[k]["n"] < SMALL_TEST])
        L += stage1_lines(s1)
        e = s1.get("epochs")
        L += ["", f"Stage 1 trained at {s1.get('imageSize')} px for {e} epoch{'' if e == 1 else 's'}; near-duplicates "
              "were grouped by perceptual and difference hashes before splitting.", ""]
    if extra.get("quantization"):
        L += ["## Weight quantization", "",
              "| Modality | Chosen | Validation macro AUC float32 | uint8 | Drop | Size |",
              "|---|---|---|---|---|---|"]
        for m, q in extra["quantization"].items():
            a = q.get("validationMacroAuc") or q["testMacroAuc"]
            L.append(f"| {m} | {q['weightsDtype']} | {a['float32']:.4f} | {a['uint8']:.4f} | {q['uint8AucDrop']:.4f} | "
                     f"{q.get('bytes', 0) / 1e6:.1f} MB |")
        L += ["", "Rule: uint8 (affine per tensor) only where the validation macro AUC drops by ≤ 0.005 against "
              "float32, else float16; the test split takes no part in the choice. Biases stay float32.", ""]
    if extra.get("timings"):
        L += [TIMINGS_HEADING, ""] + timings_body(extra["timings"])
    L += ["## Limitations", "", extra.get("limitations") or "- None recorded by the trainer: treat this as a "
          "research model that has not been validated outside the data it was tested on.", "",
          "## License", "", manifest["license"], ""]
    return "\n".join(L)


def render_import_card(manifest: dict) -> str:
    """MODEL_CARD.md of an imported pack: where each modality's weights came from (file name and
    SHA-256 of the checkpoint), how they are stored, and that nothing about its accuracy is known."""
    imports = manifest["training"].get("imports", {})
    L = [f"# {manifest['title']}", "", f"**{manifest['disclaimer']}**", "",
         f"Pack `{manifest['id']}` — model pack format v1, built by `python3 -m training import`.", "",
         "## Intended use", "", manifest["intendedUse"], "", "## Models", "",
         "| Modality | Checkpoint | SHA-256 | Architecture | Weights | Temperature | Imported |",
         "|---|---|---|---|---|---|---|"]
    for m, spec in manifest["modalities"].items():
        v = imports.get(m, {})
        L.append(f"| {m} | `{v.get('checkpoint', '?')}` | `{v.get('sha256', '?')}` | {spec.get('architecture')} | "
                 f"{spec.get('weightsDtype')} | {spec['temperature']:.3f} | {v.get('importedAt', '?')} |")
    L += ["", "Class order (the order of the model's outputs, as given with `--classes`): " +
          ", ".join(f"{i} = {c['id']}" for i, c in enumerate(manifest["classes"])) + ".", "",
          "Golden logits: computed by PyTorch from the weights as stored and reproduced by the app's TF.js loader "
          "before the pack was written.", "",
          "## Evaluation", "", "None: an imported pack carries no metrics. Evaluate it on your own labelled data "
          "(the app's validation screen) before any use.", "",
          "## Limitations", "",
          "- Unknown training data, preprocessing and class definitions: the class order above is the importer's "
          "statement, not read from the checkpoint; a wrong order silently swaps diagnoses.",
          "- The app feeds 224×224 RGB crops normalised with ImageNet mean/std; a model trained with other "
          "preprocessing will be wrong without any error.",
          "- No calibration unless a temperature was given.", "",
          "## License", "", manifest["license"], ""]
    return "\n".join(L)
