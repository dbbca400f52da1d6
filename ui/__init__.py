"""The PySide6 desktop application. It calls the core's services and nothing deeper."""
