#!/usr/bin/env bash
# Rebuilds ui/assets/NotoSansSC-gridloop.otf, the bundled subset of Noto Sans CJK SC
# (SIL OFL 1.1, see OFL.txt): every character of GB2312 (levels 1 and 2), CJK punctuation and
# full-width forms, plus every non-ASCII character in the project's sources and the district
# configuration, so every label the workstation shows renders on a machine with no CJK font.
# Needs Debian's fonts-noto-cjk and fonttools (pip install fonttools).
set -euo pipefail
cd "$(dirname "$0")/../.."
src=/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc
out=ui/assets/NotoSansSC-gridloop.otf
chars=$(mktemp)
python3 - "$chars" <<'PY'
import pathlib, sys
cs = set()
for hi in range(0xB0, 0xF8):          # GB2312 hanzi, levels 1 and 2
    for lo in range(0xA1, 0xFF):
        try:
            cs.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
for hi in range(0xA1, 0xAA):          # GB2312 symbols, punctuation, kana, Greek, Cyrillic
    for lo in range(0xA1, 0xFF):
        try:
            cs.add(bytes([hi, lo]).decode("gb2312"))
        except UnicodeDecodeError:
            pass
cs.update(chr(c) for c in range(0x3000, 0x3040))   # CJK symbols and punctuation
cs.update(chr(c) for c in range(0xFF00, 0xFFF0))   # full-width forms
for p in pathlib.Path(".").rglob("*"):
    if p.suffix in {".rs", ".toml", ".md", ".json"} and "target" not in p.parts and p.is_file():
        cs.update(c for c in p.read_text(errors="ignore") if ord(c) > 0x7F)
open(sys.argv[1], "w").write("".join(sorted(cs)))
print(len(cs), "characters", file=sys.stderr)
PY
pyftsubset "$src" --font-number=2 --text-file="$chars" --output-file="$out" \
  --layout-features='*' --no-hinting --name-IDs='*' --name-languages='*'
rm -f "$chars"
ls -l "$out"
