"""The PySide6 desktop application. It calls the core's services and nothing deeper."""

from ui import pyside_imports

pyside_imports.install()  # first, so every module the app imports after Qt is cheaper to import
