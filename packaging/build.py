"""Build the installable one-folder app with PyInstaller, then check what was built.

    python packaging/build.py [--clean] [--report FILE.json] [--screenshot FILE.png] [--installer]

1. Runs PyInstaller on packaging/inspector.spec into dist/Inspector (work files in build/pyinstaller).
2. Checks the folder: every file of resources/ is inside with the same bytes, the version
   metadata matches pyproject.toml, the Windows version resources parse, and (Linux) every bundled
   library finds the libraries it links to.
3. Runs the built app the way a release check would, from a temporary directory, offscreen:
   the start time (`--quit-after-start`, first start on a new data directory, then warm starts), the
   release self-test (`--self-test`: loads the demo, records a finding through the recording view,
   exports the minutes PDF), then the built command line on the same data directory (`catalog
   list`, `events verify`, `verify` of the exported PDF) and `central serve` answering /health.
4. Prints a short report (and writes it as JSON with --report); the exit code is 0 only if every
   step passed.

--screenshot (Linux, needs Xvfb) also starts the built app in a virtual X server and saves a
picture of the main window, to look at the icons and fonts of the frozen app.

--installer (Windows, needs Inno Setup 6.3+) then compiles packaging/windows/inspector.iss into
dist/installer/Inspector-<version>-setup.exe, passing the version from pyproject.toml.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import types
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "packaging" / "inspector.spec"
WINDOWS = sys.platform == "win32"
EXE = ".exe" if WINDOWS else ""
GUI_EXE = f"Inspector{EXE}"
CLI_EXE = f"inspector-cli{EXE}" if WINDOWS else "inspector"
RUN_TIMEOUT = 180


class Failed(Exception):
    """A check did not pass; the message says which and why."""


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def version_quad(version: str) -> str:
    """"1.2.3rc1" -> "1.2.3.0": the numeric form Windows version resources need."""
    release = re.match(r"\d+(?:\.\d+)*", version)
    numbers = [int(n) for n in release.group(0).split(".")] if release else []
    return ".".join(str(n) for n in [*numbers, 0, 0, 0, 0][:4])


def app_env(**extra: str) -> dict[str, str]:
    """The environment of a user's machine: no Python variables from this checkout, Qt offscreen."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PYTHON", "INSPECTOR_", "QT_")) and k not in ("VIRTUAL_ENV", "LD_LIBRARY_PATH")}
    env["QT_QPA_PLATFORM"] = "offscreen"
    # Data directories are encrypted; a build machine has no OS key store (no Secret Service), so
    # the checked app protects its data with a passphrase, as such a user's would.
    env["INSPECTOR_KEY_STORE"] = "passphrase"
    env["INSPECTOR_PASSPHRASE"] = "kiểm tra bản dựng 2026"
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None,
        timeout: float = RUN_TIMEOUT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, cwd=cwd, env=env or app_env(), capture_output=True, text=True, encoding="utf-8",
                          errors="replace", timeout=timeout)


def tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


# --- building ------------------------------------------------------------------------------------

def build(dist: Path, work: Path, clean: bool) -> float:
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    if clean:
        cmd.insert(3, "--clean")
        shutil.rmtree(dist / "Inspector", ignore_errors=True)
    started = time.perf_counter()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, encoding="utf-8", errors="replace")
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise Failed(f"PyInstaller failed (exit {result.returncode}):\n{tail(result.stdout + result.stderr, 40)}")
    return seconds


# --- checking the folder -------------------------------------------------------------------------

def folder_size(folder: Path) -> tuple[float, int]:
    files = [p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1_000_000, len(files)


def check_links(folder: Path) -> None:
    dangling = [str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_symlink() and not p.exists()]
    if dangling:
        raise Failed(f"links to files that were not bundled: {', '.join(sorted(dangling)[:10])}")


def check_resources(internal: Path) -> int:
    """Every file under resources/ is bundled, byte for byte."""
    source = ROOT / "resources"
    missing = []
    count = 0
    for path in sorted(p for p in source.rglob("*") if p.is_file()):
        count += 1
        bundled = internal / "resources" / path.relative_to(source)
        if not bundled.is_file() or bundled.read_bytes() != path.read_bytes():
            missing.append(str(path.relative_to(ROOT)))
    if missing:
        raise Failed(f"resources missing or different in the build: {', '.join(missing)}")
    return count


def check_metadata(internal: Path, version: str) -> None:
    meta = internal / f"inspector-{version}.dist-info" / "METADATA"
    if not meta.is_file() or f"Version: {version}" not in meta.read_text(encoding="utf-8"):
        raise Failed(f"{meta.relative_to(internal.parent)} missing: the frozen app would not know its version")


def check_windows_version_resources(work: Path, version: str) -> list[str]:
    """The VERSIONINFO text the spec generates parses and serialises (also checked on Linux)."""
    # PyInstaller's parser imports pefile and pywin32, which exist on Windows only; neither is
    # needed to parse and serialise the resource.
    import PyInstaller.compat

    if not hasattr(PyInstaller.compat, "win32api"):
        PyInstaller.compat.win32api = None  # type: ignore[attr-defined]
    try:
        import pefile  # noqa: F401
    except ImportError:
        sys.modules["pefile"] = types.ModuleType("pefile")
    from PyInstaller.utils.win32 import versioninfo

    checked = []
    for path in sorted((work / SPEC.stem / "generated").glob("version-*.txt")):
        info = versioninfo.load_version_info_from_text_file(str(path))
        info.toRaw()
        if version not in str(info):
            raise Failed(f"{path.name} does not carry version {version}")
        checked.append(path.name)
    if len(checked) != 2:
        raise Failed(f"expected two Windows version resources in {work / 'generated'}, found {checked}")
    return checked


def check_linked_libraries(internal: Path) -> list[str]:
    """Linux: each bundled library loads and resolves its dependencies from the bundle or the system.

    Catches libraries a build step broke (e.g. a strip that leaves "ELF load command address/offset
    not page-aligned": Qt then silently skips the plugin) and libraries pruned too eagerly. Returns
    the system libraries missing on this machine (the user's desktop provides them, e.g. Wayland's);
    fails if a missing one is something the bundle should have carried.
    """
    if WINDOWS or not shutil.which("ldd"):
        return []
    env = dict(os.environ, LD_LIBRARY_PATH=f"{internal}:{internal / 'PySide6' / 'Qt' / 'lib'}")
    missing: set[str] = set()
    broken: list[str] = []
    for path in sorted(internal.rglob("*.so*")):
        if not path.is_file() or path.is_symlink():
            continue
        result = subprocess.run(["ldd", str(path)], capture_output=True, text=True, env=env)
        out = result.stdout + result.stderr
        missing.update(m.group(1) for m in re.finditer(r"^\s*(\S+) => not found", out, re.M))
        if "not a dynamic executable" in out or "error while loading" in out:
            broken.append(f"{path.relative_to(internal)}: {out.strip().splitlines()[-1]}")
    if broken:
        raise Failed("bundled libraries do not load:\n  " + "\n  ".join(broken[:10]))
    ours = sorted(m for m in missing if m.startswith(("libQt6", "libpyside6", "libshiboken6", "libpython")))
    if ours:
        raise Failed(f"bundled libraries link to libraries missing from the bundle: {', '.join(ours)}")
    return sorted(missing)


# --- running the built app -----------------------------------------------------------------------

def measure_start(gui: Path, scratch: Path) -> dict[str, float]:
    """Seconds from launch until the main window is shown with its data and the app has quit."""
    data = scratch / "start-data"

    def once() -> float:
        started = time.perf_counter()
        result = run([str(gui), "--data-dir", str(data), "--quit-after-start"], cwd=scratch)
        seconds = time.perf_counter() - started
        if result.returncode != 0:
            raise Failed(f"the built app did not start (exit {result.returncode}):\n"
                         f"{tail(result.stdout + result.stderr)}")
        return seconds

    first = once()  # creates the database, renders the icon cache
    warm = [once() for _ in range(3)]
    return {"first_start_s": round(first, 2), "start_s": round(statistics.median(warm), 2)}


def self_test(gui: Path, data: Path, scratch: Path) -> dict[str, Any]:
    pdf = data / "out.pdf"
    result = run([str(gui), "--data-dir", str(data), "--self-test", str(pdf)], cwd=scratch)
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    try:
        report: dict[str, Any] = json.loads(lines[-1])
    except (IndexError, ValueError):
        raise Failed(f"the self-test printed no report (exit {result.returncode}):\n"
                     f"{tail(result.stdout + result.stderr)}") from None
    if result.returncode != 0 or report.get("self_test") != "ok":
        raise Failed(f"the self-test failed (exit {result.returncode}): {report}\n{tail(result.stderr)}")
    if not pdf.is_file() or not pdf.read_bytes().startswith(b"%PDF"):
        raise Failed(f"the self-test reported success but wrote no PDF at {pdf}")
    return report


def cli_checks(cli: Path, data: Path, scratch: Path) -> dict[str, Any]:
    common = ["--data-dir", str(data)]
    out: dict[str, Any] = {}

    listed = run([str(cli), "catalog", "list", "--json", *common], cwd=scratch)
    if listed.returncode != 0:
        raise Failed(f"`inspector catalog list` failed (exit {listed.returncode}):\n{tail(listed.stderr)}")
    out["catalog_list"] = len(json.loads(listed.stdout))
    if out["catalog_list"] < 1:
        raise Failed("`inspector catalog list` lists no catalog: the bundled resources were not found")

    verified = run([str(cli), "events", "verify", "--json", *common], cwd=scratch)
    if verified.returncode != 0 or not json.loads(verified.stdout).get("ok"):
        raise Failed(f"`inspector events verify` failed (exit {verified.returncode}):\n"
                     f"{tail(verified.stdout + verified.stderr)}")
    out["events_verify"] = "ok"

    # pyHanko's validation stack: an unsigned PDF is a clean "no signature" answer (exit 1), not a crash.
    checked = run([str(cli), "verify", str(data / "out.pdf"), "--json", *common], cwd=scratch)
    try:
        answer = json.loads(checked.stdout)
    except ValueError:
        answer = None
    if checked.returncode not in (0, 1) or not isinstance(answer, dict) or answer.get("signatures") != []:
        raise Failed(f"`inspector verify` on the exported PDF failed (exit {checked.returncode}):\n"
                     f"{tail(checked.stdout + checked.stderr)}")
    out["verify_pdf"] = "ok"
    out["central_serve"] = central_serve(cli, scratch)
    return out


def central_serve(cli: Path, scratch: Path) -> str:
    """`inspector central serve` (uvicorn, starlette) starts and answers /health."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([str(cli), "central", "serve", "--data-dir", str(scratch / "central"),
                               "--port", str(port)], cwd=scratch, env=app_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace")
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if server.poll() is not None:
                raise Failed(f"`inspector central serve` exited ({server.returncode}):\n{tail(server.stdout.read())}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as response:
                    if response.status == 200:
                        return "ok"
            except OSError:
                time.sleep(0.3)
        raise Failed("`inspector central serve` did not answer /health within 60 s")
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def screenshot(gui: Path, data: Path, scratch: Path, target: Path) -> dict[str, Any]:
    """Linux: the built app in Xvfb; saves the screen and reads the window's class and icon."""
    if WINDOWS or not shutil.which("Xvfb"):
        raise Failed("--screenshot needs Linux with Xvfb (Debian package xvfb)")
    from PIL import ImageGrab

    display = next(f":{n}" for n in range(90, 200) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1366x800x24", "-nolisten", "tcp"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    app = None
    try:
        socket_path = Path(f"/tmp/.X11-unix/X{display[1:]}")
        for _ in range(100):
            if socket_path.exists():
                break
            time.sleep(0.1)
        env = app_env(DISPLAY=display, QT_QPA_PLATFORM="xcb")
        app = subprocess.Popen([str(gui), "--data-dir", str(data)], cwd=scratch, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(6)
        if app.poll() is not None:
            raise Failed(f"the built app exited in Xvfb ({app.returncode}): {app.stderr.read().decode()[-2000:]}")
        info: dict[str, Any] = {}
        if shutil.which("xprop") and shutil.which("xwininfo"):
            tree = run(["xwininfo", "-display", display, "-root", "-children"], cwd=scratch).stdout
            # e.g.  0x200007 "Inspector — Kiểm tra …": ("Inspector" "Inspector")  1366x800+0+0
            window = re.search(r'^\s*(0x[0-9a-f]+) "Inspector[^"]*": \("[^"]*" "[^"]*"\)', tree, re.M)
            if window:
                props = run(["xprop", "-display", display, "-id", window.group(1), "WM_CLASS", "_NET_WM_ICON"],
                            cwd=scratch).stdout
                wm_class = re.search(r'WM_CLASS\(STRING\) = "([^"]*)", "([^"]*)"', props)
                info["wm_class"] = wm_class.group(2) if wm_class else None
                info["window_icon"] = "_NET_WM_ICON(CARDINAL) = " in props
        ImageGrab.grab(xdisplay=display).save(target)
        info["screenshot"] = str(target)
        return info
    finally:
        if app is not None:
            app.terminate()
            try:
                app.wait(10)
            except subprocess.TimeoutExpired:
                app.kill()
        xvfb.terminate()
        xvfb.wait(10)


def build_installer(version: str) -> dict[str, Any]:
    """Windows: compile the Inno Setup script with the project's version."""
    if not WINDOWS:
        raise Failed("--installer: the Inno Setup installer is built on Windows only")
    candidates = [os.environ.get("ISCC"), shutil.which("iscc"),
                  *(str(Path(base) / "Inno Setup 6" / "ISCC.exe") for base in (
                      os.environ.get("LOCALAPPDATA", "") + "\\Programs", os.environ.get("PROGRAMFILES(X86)", ""),
                      os.environ.get("PROGRAMFILES", "")) if base)]
    iscc = next((c for c in candidates if c and Path(c).is_file()), None)
    if iscc is None:
        raise Failed("--installer: ISCC.exe not found (install Inno Setup 6.3+ or set ISCC to its path)")
    result = run([iscc, f"/DAppVersion={version}", f"/DFileVersion={version_quad(version)}",
                  str(ROOT / "packaging" / "windows" / "inspector.iss")], cwd=ROOT, env=dict(os.environ), timeout=1800)
    setup = ROOT / "dist" / "installer" / f"Inspector-{version}-setup.exe"
    if result.returncode != 0 or not setup.is_file():
        raise Failed(f"Inno Setup failed (exit {result.returncode}):\n{tail(result.stdout + result.stderr, 30)}")
    return {"path": str(setup), "size_mb": round(setup.stat().st_size / 1_000_000, 1)}


# --- main ----------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache and the output folder first")
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder (default: dist/)")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "pyinstaller",
                        help="PyInstaller's work folder (default: build/pyinstaller/)")
    parser.add_argument("--no-build", action="store_true", help="only check an existing build")
    parser.add_argument("--report", type=Path, default=None, help="also write the report to this JSON file")
    parser.add_argument("--screenshot", type=Path, default=None, help="Linux: save a picture of the built app")
    parser.add_argument("--installer", action="store_true", help="Windows: then build the Inno Setup installer")
    args = parser.parse_args(argv)

    version = project_version()
    folder = args.dist.resolve() / "Inspector"
    report: dict[str, Any] = {"version": version, "platform": sys.platform, "folder": str(folder), "ok": False}
    steps: list[str] = []
    try:
        if not args.no_build:
            report["build_s"] = round(build(args.dist.resolve(), args.work.resolve(), args.clean), 1)
            steps.append(f"built in {report['build_s']:.0f} s")
        gui, cli, internal = folder / GUI_EXE, folder / CLI_EXE, folder / "_internal"
        for exe in (gui, cli):
            if not exe.is_file():
                raise Failed(f"{exe} was not built")
        size_mb, files = folder_size(folder)
        report.update(size_mb=round(size_mb, 1), files=files)
        check_links(folder)
        report["resources"] = check_resources(internal)
        check_metadata(internal, version)
        report["windows_version_resources"] = check_windows_version_resources(args.work.resolve(), version)
        report["system_libraries_missing_here"] = check_linked_libraries(internal)
        with tempfile.TemporaryDirectory(prefix="inspector-build-check-") as tmp:
            scratch = Path(tmp)
            report.update(measure_start(gui, scratch))
            data = scratch / "data"
            report["self_test"] = self_test(gui, data, scratch)
            report["cli"] = cli_checks(cli, data, scratch)
            if args.screenshot:
                report["screenshot"] = screenshot(gui, data, scratch, args.screenshot.resolve())
        if args.installer:
            report["installer"] = build_installer(version)
        report["ok"] = True
    except Failed as exc:
        report["error"] = str(exc)
    except subprocess.TimeoutExpired as exc:
        report["error"] = f"timed out after {exc.timeout:.0f} s: {' '.join(map(str, exc.cmd))}"

    print_report(report)
    if args.report:
        args.report.write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0 if report["ok"] else 1


def print_report(r: dict[str, Any]) -> None:
    print(f"Inspector {r['version']} build ({r['platform']}): {r['folder']}")
    if "build_s" in r:
        print(f"  build time     {r['build_s']:.0f} s")
    if "size_mb" in r:
        print(f"  folder size    {r['size_mb']:.0f} MB in {r['files']} files")
    if "resources" in r:
        print(f"  resources      {r['resources']} files bundled, identical to resources/")
    if "start_s" in r:
        print(f"  start time     {r['start_s']:.2f} s (first start on a new data folder {r['first_start_s']:.2f} s)")
    if r.get("system_libraries_missing_here"):
        print(f"  note           system libraries absent on this machine (the desktop provides them):"
              f" {', '.join(r['system_libraries_missing_here'])}")
    if "self_test" in r:
        print(f"  self-test      {json.dumps(r['self_test'], ensure_ascii=False)}")
    if "cli" in r:
        print("  command line   " + ", ".join(f"{k} {v}" for k, v in r["cli"].items()))
    if "screenshot" in r:
        print(f"  screenshot     {r['screenshot']}")
    if "installer" in r:
        print(f"  installer      {r['installer']['path']} ({r['installer']['size_mb']:.0f} MB)")
    print("RESULT: OK" if r["ok"] else f"RESULT: FAILED — {r.get('error')}")


if __name__ == "__main__":
    sys.exit(main())
