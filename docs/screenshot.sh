#!/usr/bin/env bash
# Makes docs/screenshot.png (the inbox with a case open) and docs/screenshot-assess.png (the
# 统计考核 view): the real workstation window on the live demo district, under
# Xvfb with Mesa's software OpenGL. Needs Debian's xvfb, libgl1-mesa-dri, xdotool and
# imagemagick (apt-get install xvfb libgl1-mesa-dri xdotool imagemagick).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build -p gridloop-app              # dev profile: dependencies are optimised (Cargo.toml)
export DISPLAY=:77
Xvfb "$DISPLAY" -screen 0 1440x900x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $app $xvfb 2>/dev/null || true' EXIT
sleep 1
target/debug/gridloop demo --history 3000 &
app=$!
sleep 40                                   # start the district, let cases move and sync
win=$(xdotool search --sync --name gridloop | head -1)
xdotool windowmove "$win" 0 0
xdotool windowsize "$win" 1440 900
sleep 2
xdotool mousemove 497 13 click 1           # the inbox (工作台)
sleep 1
xdotool mousemove 70 147 click 1           # the 处置中 queue
sleep 2
xdotool mousemove 400 103 click 1          # open the first (most urgent) case
sleep 3
import -window root docs/screenshot.png
echo "wrote docs/screenshot.png"
xdotool mousemove 668 13 click 1           # 统计考核
sleep 10                                   # the month and five before it, on a worker thread
import -window root docs/screenshot-assess.png
echo "wrote docs/screenshot-assess.png"
