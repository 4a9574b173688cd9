#!/usr/bin/env bash
# Makes docs/screenshot.png (the inbox with a case open), docs/screenshot-assess.png (the
# 统计考核 view), docs/screenshot-drill.png (the 演练 view after the rainstorm example played,
# with its after-action report) and docs/screenshot-emergency.png (the 应急 view in 战时 after
# opening the flood plan over 东华门街道): the real workstation window on the live demo district, under
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
xdotool mousemove 70 147 click 1           # the 待派遣 queue
sleep 2
xdotool mousemove 400 103 click 1          # open the first (most urgent) case
sleep 3
import -window root docs/screenshot.png
echo "wrote docs/screenshot.png"
xdotool mousemove 668 13 click 1           # 统计考核
sleep 10                                   # the month and five before it, on a worker thread
xdotool mousemove 700 500                  # scroll to the rankings and their formulas
for _ in 1 2 3 4 5 6 7; do xdotool click 5; sleep 0.2; done
sleep 2
import -window root docs/screenshot-assess.png
echo "wrote docs/screenshot-assess.png"
xdotool mousemove 781 13 click 1           # 演练
sleep 2
xdotool mousemove 725 67 click 1           # 开始演练: the rainstorm example at 60×
sleep 30
xdotool mousemove 770 387 click 1          # 生成演练评估
sleep 2
import -window root docs/screenshot-drill.png
echo "wrote docs/screenshot-drill.png"
xdotool mousemove 399 13 click 1           # 岗位 …
sleep 1
xdotool mousemove 384 63 click 1           # … 值班长
sleep 1
xdotool mousemove 731 13 click 1           # 应急
sleep 2
xdotool mousemove 297 44 click 1           # 启动应急预案… (防汛, III级)
sleep 2
xdotool mousemove 16 144 click 1           # area: not the whole district …
xdotool mousemove 80 144 click 1           # … but 东华门街道
xdotool windowfocus --sync "$win"
xdotool mousemove 280 196 click 1          # 情况描述
xdotool type --delay 100 "东华门地区暴雨，多处路面积水"
sleep 1
xdotool mousemove 67 270 click 1           # 启动（进入战时）
sleep 3
xdotool mousemove 367 171 click 1          # 落实 the first checklist item
sleep 3
import -window root docs/screenshot-emergency.png
echo "wrote docs/screenshot-emergency.png"
