#!/bin/sh
# Install the built one-folder app for the current user (no root needed), or remove it.
#
#   packaging/linux/install.sh [dist/Inspector]      install or upgrade
#   packaging/linux/install.sh --uninstall           remove the app (never the user's data)
#
# Puts the app in ~/.local/opt/Inspector, the command line on PATH as ~/.local/bin/inspector,
# the icon in the hicolor theme and the menu entry in ~/.local/share/applications.
# Data stays in ~/.local/share/Inspector (see docs/packaging.md) and is not touched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
target=$HOME/.local/opt/Inspector
bin=$HOME/.local/bin
icons=$data_home/icons/hicolor
entry=$data_home/applications/inspector.desktop

remove() {
  rm -rf "$target" "$entry" "$icons/scalable/apps/inspector.svg"
  for size in 16 24 32 48 64 128 256; do rm -f "$icons/${size}x${size}/apps/inspector.png"; done
  if [ -L "$bin/inspector" ]; then rm -f "$bin/inspector"; fi
}

if [ "${1:-}" = "--uninstall" ]; then
  remove
  echo "Inspector removed. Data in $data_home/Inspector was kept."
  exit 0
fi

source=${1:-$root/dist/Inspector}
[ -x "$source/Inspector" ] || { echo "no built app in $source: run python packaging/build.py first" >&2; exit 1; }
remove
mkdir -p "$(dirname "$target")" "$bin" "$(dirname "$entry")" "$icons/scalable/apps"
cp -a "$source" "$target"
ln -s "$target/inspector" "$bin/inspector"
cp "$root/resources/icons/inspector.svg" "$icons/scalable/apps/inspector.svg"
for size in 16 24 32 48 64 128 256; do
  mkdir -p "$icons/${size}x${size}/apps"
  cp "$root/resources/icons/inspector-$size.png" "$icons/${size}x${size}/apps/inspector.png"
done
sed -e "s|^Exec=.*|Exec=$target/Inspector|" -e "s|^TryExec=.*|TryExec=$target/Inspector|" \
  "$here/inspector.desktop" > "$entry"
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$(dirname "$entry")" || true
command -v gtk-update-icon-cache >/dev/null 2>&1 && gtk-update-icon-cache -q -t "$icons" || true
echo "Inspector installed in $target (menu: Office → Inspector; command line: $bin/inspector)."
