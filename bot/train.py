"""`make train`: train the Rasa model only when its inputs changed; record how long training took.

Inputs are config.yml, domain.yml, every file under data/ and the spaCy pipeline's build info.
Their fingerprint is stored beside the model; the same inputs never train twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from knowledge.db import ROOT

MODEL_DIR = ROOT / "models"
MODEL = MODEL_DIR / "bieb.tar.gz"
FINGERPRINT = MODEL_DIR / "bieb.fingerprint.json"


def inputs(config: Path = ROOT / "config.yml"):
    files = [config, ROOT / "domain.yml", ROOT / "var" / "spacy-nl" / "bieb-pipeline.json", ROOT / "bot" / "nlu_guard.py"]
    files += sorted(p for p in (ROOT / "data").rglob("*.yml") if p.is_file())
    return files


def fingerprint(config: Path = ROOT / "config.yml") -> str:
    digest = hashlib.sha256()
    for path in inputs(config):
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes() if path.exists() else b"-")
    return digest.hexdigest()[:16]


def rasa() -> str:
    return str(Path(sys.executable).with_name("rasa"))


def train(config: Path = ROOT / "config.yml", out: Path = MODEL_DIR, name: str = "bieb", force: bool = False) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    model = out / f"{name}.tar.gz"
    info_file = out / f"{name}.fingerprint.json"
    fp = fingerprint(config)
    if not force and model.exists() and info_file.exists() and json.loads(info_file.read_text()).get("fingerprint") == fp:
        return {"skipped": True, **json.loads(info_file.read_text())}
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONWARNINGS="ignore")
    start = time.perf_counter()
    print("Het model wordt getraind (een paar minuten)...", flush=True)
    subprocess.run([sys.executable, "-m", "bot.quiet", rasa(), "train", "--config", str(config), "--domain", "domain.yml", "--data", "data",
                    "--out", str(out), "--fixed-model-name", name, "--force", "--quiet"],
                   cwd=ROOT, env=env, check=True)
    info = {"fingerprint": fp, "seconds": round(time.perf_counter() - start, 1), "config": str(config.relative_to(ROOT))}
    info_file.write_text(json.dumps(info, indent=2))
    return {"skipped": False, **info}


def main() -> int:
    force = "--force" in sys.argv
    try:
        info = train(force=force)
    except subprocess.CalledProcessError as exc:
        print(f"Training mislukt (exit {exc.returncode}). Zie de uitvoer hierboven.", file=sys.stderr)
        return exc.returncode or 1
    if info["skipped"]:
        print(f"model is al bij (gegevens en instellingen niet veranderd): {MODEL.relative_to(ROOT)}")
    else:
        print(f"model getraind in {info['seconds']} s: {MODEL.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
